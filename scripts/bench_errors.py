"""Benchmark: does `khabar review-errors` find annotation errors? Inject them and count.

1. Copy the dataset (datasets/dataset) and corrupt RATE of its entity mentions and of its
   triggers with a seed (`review.noise.corrupt`): a type swapped, a boundary moved by one word,
   a span deleted, a span drawn on a word that had none, in turn.
2. Run `khabar review-errors` on the copy (out-of-fold models, cleanlab, span rules).
3. precision@k (k = errors injected) and recall@2k of its ranking, overall and per kind, beside
   a baseline that lists every disagreement of the model in corpus order. The real gold's own
   errors count against both: precision here is a lower bound.

4. The same on HiNER part 1 (../shared/benchmarks; skipped without it), NER only: its first
   2,500 training sentences as pseudo-articles of 25 consecutive sentences, 3 epochs a fold.

Writes models/benchmarks/bench-errors.json (and per corpus the noisy copy, its injected errors
and the suspects under models/benchmarks/errors/<corpus>/).

    python scripts/bench_errors.py [--corpus sample hiner] [--rate 0.1] [--seed 13] [--folds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import local_corpus, measure, provenance  # noqa: E402

from khabar.dataset.rows import rows_with_names  # noqa: E402
from khabar.io import read_json, read_jsonl, write_json  # noqa: E402
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


def hiner_dataset(out: Path, n: int, per_article: int) -> Path | None:
    """The first `n` sentences of HiNER part 1's training file as a khabar dataset of
    pseudo-articles (NER only), saved to `out`; None (with a message) without ../shared."""
    from datasets import Dataset, DatasetDict
    from khabar.dataset.build import features, pseudo_article_rows
    from khabar.schema import load_schema

    corpus = local_corpus("hiner")
    if corpus is None:
        return None
    schema = load_schema()
    rows = pseudo_article_rows(corpus.train[:n], per_article, "hiner-", schema)
    ids = sorted({r["article_id"] for r in rows})
    n_held = max(1, len(ids) // 10)  # crossval pools the splits; export's shape: 80/10/10
    cut = {a: "train" for a in ids[: -2 * n_held]}
    cut |= {a: "validation" for a in ids[-2 * n_held : -n_held]} | {
        a: "test" for a in ids[-n_held:]
    }
    feats = features(schema)
    shutil.rmtree(out, ignore_errors=True)
    DatasetDict({s: Dataset.from_list([r for r in rows if cut[r["article_id"]] == s],
                                      features=feats)
                 for s in ("train", "validation", "test")}).save_to_disk(str(out))  # fmt: skip
    print(f"hiner: {len(rows)} sentences in {len(ids)} pseudo-articles of {per_article}")
    return out


def bench(name: str, source: Path, a: argparse.Namespace, epochs: int) -> dict:
    """Inject errors into a copy of the dataset at `source`, run review-errors, score it."""
    out = OUT / name
    injected = noisy_copy(source, out / "dataset", a.rate, a.seed)
    write_json(out / "injected.json", injected, indent=1)
    print(f"{name}: {len(injected)} errors injected ({a.rate:.0%} of mentions and triggers, "
          f"seed {a.seed})")  # fmt: skip
    wall, peak, text = measure([KHABAR, "review-errors", "--dataset", str(out / "dataset"),
                                "--out", str(out / "review"), "--folds", str(a.folds),
                                "--epochs", str(epochs)], dict(os.environ))  # fmt: skip
    if not (out / "review" / "suspects.jsonl").is_file():
        sys.exit(f"review-errors failed on {name}:\n{text}")
    suspects = read_jsonl(out / "review" / "suspects.jsonl")
    scores = bench_scores(suspects, injected)
    print(text.strip().splitlines()[-1])
    print(table(scores))
    print(f"{name}: review-errors {wall:.0f} s, peak RSS {peak / 2**20:.0f} MB")
    return {"dataset": str(source), "rate": a.rate, "seed": a.seed, "folds": a.folds,
            "epochs": epochs, "injected": len(injected), "suspects": len(suspects),
            "review_wall_s": round(wall, 1), "review_peak_rss_mb": round(peak / 2**20),
            "scores": scores}  # fmt: skip


def main() -> None:
    """Inject, review, score: the sample, then HiNER."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", nargs="+", default=["sample", "hiner"])
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "dataset")
    ap.add_argument("--rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=30, help="sample")
    ap.add_argument("--hiner-epochs", type=int, default=3)
    ap.add_argument("--hiner-sentences", type=int, default=2500)
    ap.add_argument("--per-article", type=int, default=25)
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = ROOT / "models" / "benchmarks" / "bench-errors.json"
    result = read_json(path) if path.is_file() else {}
    for name in a.corpus:
        if name == "sample":
            result["sample"] = provenance() | bench("sample", a.dataset, a, a.epochs)
        else:
            source = hiner_dataset(OUT / "hiner" / "source", a.hiner_sentences, a.per_article)
            if source is not None:
                result["hiner"] = provenance() | bench("hiner", source, a, a.hiner_epochs)
        write_json(path, result, indent=1)
    print(f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
