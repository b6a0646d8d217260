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
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HINER = ROOT.parent / "shared" / "benchmarks" / "hiner" / "hiner-collapsed-part1.conll"

from benchkit import provenance, write_result  # noqa: E402

from khabar.model.net.device import cpu_bf16_flags, cpu_model  # noqa: E402


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


def entities_khabar(model, tok, words, batch_size, precision="fp32"):
    from khabar.model.infer.run import tag_words
    from khabar.spans import Token, bio_to_spans

    out = []
    tags = tag_words(model, tok, words, 512, batch_size, precision=precision)
    for w, tagged in zip(words, tags, strict=True):
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


def measure(kind: str, run: str, words: list[list[str]], batch_size: int,
            precision: str = "fp32") -> dict:  # fmt: skip
    """Time one side in this (fresh) process; return timing, entities and peak RSS (khabar:
    with the encoder in `precision`, auto's check at load included in no timing)."""
    import warnings

    import torch
    from transformers import pipeline

    from khabar.model.infer.run import load_run

    warnings.filterwarnings("ignore")
    r = load_run(Path(run), baselines=False, precision=precision if kind == "khabar" else "fp32")
    if kind == "khabar":
        fn = lambda ws: entities_khabar(r.ner, r.ner_tokenizer, ws, batch_size,  # noqa: E731
                                        r.precision)  # fmt: skip
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
            "precision": r.placement.precision, "choice": r.placement.reason,
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
    ap.add_argument("--json", type=Path, help="also write the result here (docs/results/...)")
    a = ap.parse_args()
    if not (Path(a.run) / "run.json").is_file():
        print(f"error: {a.run} has no trained run: `make train` first", file=sys.stderr)
        return 1
    said = provenance()  # what runs: the commit as it starts
    words, source = load_sentences(a.sentences)
    n_words = sum(len(w) for w in words)
    print(f"{len(words)} sentences, {n_words} words from {source}; model {a.run}")
    sides = [
        ("khabar", a.batch_size, "fp32"),
        ("khabar", a.batch_size, "auto"),
        ("pipeline", 1, "fp32"),
        ("pipeline", 32, "fp32"),
    ]
    res = {}
    for kind, bs, precision in sides:
        r = in_fresh_process(kind, a.run, words, bs, precision)
        name = f"{kind} {precision} (batch {bs})" if kind == "khabar" else f"{kind} (batch {bs})"
        res[name] = r
        print(f"  {name:26}: {len(words) / r['seconds']:8.1f} sentences/s "
              f"{n_words / r['seconds']:9.0f} words/s {r['subtokens'] / r['seconds']:9.0f} "
              f"sub-tokens/s  peak RSS {r['peak_rss_mb']:.0f} MB  ({r['seconds']:.1f} s, "
              f"{r['threads']} threads)")  # fmt: skip
    fp32, auto, default, batched = res.values()
    same = sum(x == y for x, y in zip(fp32["entities"], default["entities"], strict=True))
    same_auto = sum(x == y for x, y in zip(fp32["entities"], auto["entities"], strict=True))
    ratio = default["seconds"] / fp32["seconds"]
    ratio_auto = default["seconds"] / auto["seconds"]
    print(f"CPU: {cpu_model()}; bf16 flags: {', '.join(cpu_bf16_flags()) or 'none'}")
    print(f"khabar fp32 / pipeline (default batch 1): {ratio:.2f}x (target >= 3x); vs pipeline "
          f"batch 32: {batched['seconds'] / fp32['seconds']:.2f}x")  # fmt: skip
    print(f"khabar auto = {auto['precision']} ({auto['choice']}): {ratio_auto:.2f}x the "
          f"pipeline (target >= 5x with native bf16), {fp32['seconds'] / auto['seconds']:.2f}x "
          f"fp32; entity spans identical to fp32 in {same_auto}/{len(words)} sentences "
          f"({100 * same_auto / len(words):.1f} %, target >= 99.5 %)")  # fmt: skip
    print(
        f"same entities as the pipeline in {same}/{len(words)} sentences "
        f"({sum(len(e) for e in fp32['entities'])} entities from khabar fp32)"
    )
    write_result(said | {
        "run": Path(a.run).name, "batch_size": a.batch_size,
        "sentences": len(words), "words": n_words, "source": source,
        "bf16_flags": cpu_bf16_flags(), "ratio": ratio, "ratio_auto": ratio_auto,
        "auto_precision": auto["precision"], "auto_choice": auto["choice"],
        "ratio_vs_batched_pipeline": batched["seconds"] / fp32["seconds"],
        "same_entities_sentences": same, "auto_same_as_fp32_sentences": same_auto,
        "sides": {k: {x: y for x, y in v.items() if x != "entities"} for k, v in res.items()},
    }, a.out, a.json)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
