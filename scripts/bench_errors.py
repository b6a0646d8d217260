"""Benchmark: does `khabar review-errors` find annotation errors? Inject them and count.

1. Copy the dataset (datasets/dataset) and corrupt RATE of its entity mentions and of its
   triggers with a seed (`review.noise.corrupt`): a type swapped, a boundary moved by one word,
   a span deleted, a span drawn on a word that had none, in turn.
2. Run `khabar review-errors` on the copy (out-of-fold models, cleanlab, span rules).
3. precision@k (k = errors injected) and recall@2k of its ranking, overall and per kind, beside
   a baseline that lists every disagreement of the model in corpus order. The real gold's own
   errors count against both: precision here is a lower bound.

Writes models/benchmarks/bench-errors.json (and the noisy copy, its injected errors and the
suspects under models/benchmarks/errors/).

    python scripts/bench_errors.py [--rate 0.1] [--seed 13] [--folds 5] [--epochs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchkit import measure  # noqa: E402

from khabar.dataset.rows import rows_with_names  # noqa: E402
from khabar.io import read_jsonl, write_json  # noqa: E402
from khabar.review.noise import NOISE_KINDS, bench_scores, corrupt, retag  # noqa: E402

KHABAR = str(Path(sys.executable).parent / "khabar")
OUT = ROOT / "models" / "benchmarks" / "errors"


def noisy_copy(source: Path, out: Path, rate: float, seed: int) -> list[dict]:
    """The dataset at `source` with errors injected, saved to `out`; the injected errors."""
    from datasets import Dataset, DatasetDict, load_from_disk

    dd = load_from_disk(str(source))
    feats = dd["train"].features
    events = feats["event_types"].feature.names
    labels = {"entity": feats["entities"].feature["label"].names, "trigger": events}
    rows = {s: rows_with_names(dd[s]) for s in dd}
    injected = corrupt([r for s in rows for r in rows[s]], labels, rate, seed)
    for split_rows in rows.values():
        for r in split_rows:
            retag(r, feats["ner_tags"].feature.names, events)
    shutil.rmtree(out, ignore_errors=True)
    DatasetDict({s: Dataset.from_list(r, features=dd[s].features) for s, r in rows.items()}
                ).save_to_disk(str(out))  # fmt: skip
    return injected


def table(scores: dict) -> str:
    """Markdown: each kind, k, khabar's and the baseline's precision@k and recall@2k."""
    lines = [
        "| injected | k | khabar P@k | R@2k | baseline P@k | R@2k |",
        "|---|---|---|---|---|---|",
    ]
    for kind in ("overall", *NOISE_KINDS):
        a, b = scores[kind]["khabar"], scores[kind]["baseline"]
        lines.append(f"| {kind} | {a['k']} | {a['precision_at_k']:.3f} | {a['recall_at_2k']:.3f} | "
                     f"{b['precision_at_k']:.3f} | {b['recall_at_2k']:.3f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    """Inject, review, score."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "dataset")
    ap.add_argument("--rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=30)
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    injected = noisy_copy(a.dataset, OUT / "dataset", a.rate, a.seed)
    write_json(OUT / "injected.json", injected, indent=1)
    print(f"{len(injected)} errors injected ({a.rate:.0%} of mentions and triggers, seed {a.seed})")
    wall, peak, text = measure([KHABAR, "review-errors", "--dataset", str(OUT / "dataset"),
                                "--out", str(OUT / "review"), "--folds", str(a.folds),
                                "--epochs", str(a.epochs)], dict(os.environ))  # fmt: skip
    suspects = read_jsonl(OUT / "review" / "suspects.jsonl")
    scores = bench_scores(suspects, injected)
    result = {"dataset": str(a.dataset), "rate": a.rate, "seed": a.seed, "folds": a.folds,
              "epochs": a.epochs, "injected": len(injected), "suspects": len(suspects),
              "review_wall_s": round(wall, 1), "review_peak_rss_mb": round(peak / 2**20),
              "scores": scores}  # fmt: skip
    write_json(ROOT / "models" / "benchmarks" / "bench-errors.json", result, indent=1)
    print(text.strip().splitlines()[-1])
    print(table(scores))
    print(
        f"review-errors: {wall:.0f} s, peak RSS {peak / 2**20:.0f} MB -> "
        "models/benchmarks/bench-errors.json"
    )


if __name__ == "__main__":
    main()
