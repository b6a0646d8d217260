"""Benchmark: khabar's inference beside transformers.pipeline("token-classification",
aggregation_strategy="first") on the same model and the same sentences, in one run.

Sentences come from ../shared/benchmarks/hiner/hiner-collapsed-part1.conll (CC-BY-SA-4.0, see its
ATTRIBUTION.md); without ../shared, the sample corpus' sentences are repeated to the same count.
Each side runs in its own fresh process (so its peak memory is its own) after a short warm-up,
and both see the same pre-split words. Prints sentences/s, words/s and sub-tokens/s, peak RSS,
the khabar/pipeline ratio (target ≥ 3×) and how often both found exactly the same entities.

    python scripts/bench_predict.py --run models/default [--sentences 2000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HINER = ROOT.parent / "shared" / "benchmarks" / "hiner" / "hiner-collapsed-part1.conll"
sys.path.insert(0, str(ROOT / "src"))


def load_sentences(n: int) -> tuple[list[list[str]], str]:
    """n word lists: HiNER if present, else the sample corpus repeated."""
    from khabar.corpus.article import read_articles
    from khabar.dataset.conll import read_conll
    from khabar.spans import tokenize

    if HINER.is_file():
        # Re-tokenised as khabar tokenises articles (hyphen and quote parts are their own words),
        # so both sides see the words a prediction run sees.
        sents = [[t.text for t in tokenize(" ".join(w))] for w, _ in read_conll(HINER, {}, [])[0]]
        source = f"{HINER.name} (first {n}, khabar-tokenised)"
    else:
        arts = read_articles(ROOT / "datasets" / "cleaned" / "articles.jsonl")
        sents = [[t.text for t in tokenize(a.text[s:e])] for a in arts for s, e in a.sentences]
        source = "sample corpus repeated (../shared absent)"
    return (sents * (n // max(len(sents), 1) + 1))[:n], source


def entities_khabar(model, tok, words, batch_size):
    from khabar.model.run import tag_words
    from khabar.spans import Token, bio_to_spans

    out = []
    for w, tagged in zip(words, tag_words(model, tok, words, 512, batch_size), strict=True):
        offsets, pos = [], 0
        for word in w:  # the pipeline's coordinates: words joined by single spaces
            offsets.append(Token(word, pos, pos + len(word)))
            pos += len(word) + 1
        out.append(sorted((s.start, s.end, s.label) for s in
                          bio_to_spans(offsets, [t for t, _ in tagged])))  # fmt: skip
    return out


def entities_pipeline(pipe, words, batch_size):
    results = pipe(words, is_split_into_words=True, batch_size=batch_size)
    return [sorted((x["start"], x["end"], x["entity_group"]) for x in r) for r in results]


def measure(kind: str, run: str, words: list[list[str]], batch_size: int) -> dict:
    """Time one side in this (fresh) process; return timing, entities and peak RSS."""
    import warnings

    import torch
    from transformers import pipeline

    from khabar.model.run import load_run

    warnings.filterwarnings("ignore")
    r = load_run(Path(run), baselines=False)
    if kind == "khabar":
        fn = lambda ws: entities_khabar(r.ner, r.ner_tokenizer, ws, batch_size)  # noqa: E731
    else:
        pipe = pipeline("token-classification", model=r.ner, tokenizer=r.ner_tokenizer,
                        aggregation_strategy="first", device=-1)  # fmt: skip
        fn = lambda ws: entities_pipeline(pipe, ws, batch_size)  # noqa: E731
    fn(words[:32])  # warm-up: first calls allocate and pick kernels
    started = time.perf_counter()
    ents = fn(words)
    seconds = time.perf_counter() - started
    enc = r.ner_tokenizer(words, is_split_into_words=True, add_special_tokens=False)
    subtokens = sum(len(x) for x in enc["input_ids"])
    return {"seconds": seconds, "entities": ents, "threads": torch.get_num_threads(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "subtokens": subtokens}  # fmt: skip


def in_fresh_process(*args) -> dict:
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(measure, *args).result()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=str(ROOT / "models" / "default"))
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=32, help="khabar's batch size")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-predict.json"
    )
    a = ap.parse_args()
    if not (Path(a.run) / "run.json").is_file():
        print(f"error: {a.run} has no trained run: `make train` first", file=sys.stderr)
        return 1
    words, source = load_sentences(a.sentences)
    n_words = sum(len(w) for w in words)
    print(f"{len(words)} sentences, {n_words} words from {source}; model {a.run}")
    sides = [("khabar", a.batch_size), ("pipeline", 1), ("pipeline", 32)]
    res = {}
    for kind, bs in sides:
        r = in_fresh_process(kind, a.run, words, bs)
        res[f"{kind} (batch {bs})"] = r
        print(f"  {kind:8} batch {bs:>3}: {len(words) / r['seconds']:8.1f} sentences/s "
              f"{n_words / r['seconds']:9.0f} words/s {r['subtokens'] / r['seconds']:9.0f} "
              f"sub-tokens/s  peak RSS {r['peak_rss_mb']:.0f} MB  ({r['seconds']:.1f} s, "
              f"{r['threads']} threads)")  # fmt: skip
    ours, default, batched = res.values()
    same = sum(x == y for x, y in zip(ours["entities"], default["entities"], strict=True))
    ratio = default["seconds"] / ours["seconds"]
    print(
        f"khabar / pipeline (default batch 1): {ratio:.1f}x  (target >= 3x); "
        f"vs pipeline batch 32: {batched['seconds'] / ours['seconds']:.1f}x"
    )
    print(
        f"same entities in {same}/{len(words)} sentences "
        f"({sum(len(e) for e in ours['entities'])} entities from khabar)"
    )
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({
        "sentences": len(words), "words": n_words, "source": source, "ratio": ratio,
        "ratio_vs_batched_pipeline": batched["seconds"] / ours["seconds"],
        "same_entities_sentences": same,
        "sides": {k: {x: y for x, y in v.items() if x != "entities"} for k, v in res.items()},
    }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
