"""Benchmark: training speed with the encoder in fp32 and in `auto` (bf16 where the CPU runs it
natively and a check finds it faster), one after the other.

1. `khabar train` on the sample dataset, the whole command (start, baselines and scoring
   included): wall seconds, peak RSS, and from run.json the fit's seconds, where they went
   (forward, backward, optimizer, validation), epochs run, best epoch and validation score.
2. The HiNER tagger, `khabar transfer-base`'s training path (`tagger.train_ner`, batch 16, word
   embeddings frozen): steps/s over its first STEPS steps. Needs ../shared/benchmarks/hiner
   (skipped with a message without it).

Issue 42's targets compare the code before and after it, on one machine: the sample run at most
0.5 x the old time, the HiNER tagger at least 1.7 x the old steps/s. This script measures today's
code; the note of issue 42 has the side-by-side. Writes models/benchmarks/bench-train.json.

    python scripts/bench_train.py [--steps 200] [--only sample|hiner]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import local_corpus, measure, provenance  # noqa: E402

from khabar.io import read_json  # noqa: E402
from khabar.model.net.device import cpu_bf16_flags, cpu_model  # noqa: E402

PRECISIONS = ("fp32", "auto")


def sample_run(precision: str) -> dict:
    """`khabar train` on the sample in one precision: wall, peak RSS and the fit's record."""
    out = ROOT / "models" / "benchmarks" / "train" / precision
    env = {k: v for k, v in os.environ.items() if k != "KHABAR_PRECISION"}
    wall, peak, _ = measure([sys.executable, "-m", "khabar.cli", "train", "--dataset",
                             str(ROOT / "datasets" / "dataset"), "--out", str(out),
                             "--precision", precision], env)  # fmt: skip
    fit = read_json(out / "run.json")["ner_fit"]
    keep = ("seconds", "phases", "epochs_run", "best_epoch", "best_val", "best_val_detail",
            "precision", "precision_reason")  # fmt: skip
    return {"wall_s": round(wall, 1), "peak_rss_mb": peak // 2**20,
            **{k: fit.get(k) for k in keep}}  # fmt: skip


def hiner_steps(precision: str, steps: int) -> dict | None:
    """steps/s of the HiNER tagger's first `steps` steps in one precision (None without HiNER)."""
    from khabar.model.base.build import default_base
    from khabar.model.train.fitting import Split
    from khabar.model.train.tagger import train_ner
    from khabar.model.train.transfer_base import TransferArgs, prepare

    corpus = local_corpus("hiner")
    if corpus is None:
        return None
    t = TransferArgs()
    rows = prepare(corpus, t).fit[: steps * t.batch_size]
    tags = ["O", *sorted({x for _, tags in rows for x in tags} - {"O"})]
    args = t.train_args(epochs=1, precision=precision, patience=0)
    split = Split([w for w, _ in rows], [x for _, x in rows], [], [])
    _, _, log = train_ner(str(default_base()), split, None, tags, t.learning_rate, args,
                          freeze=True, score=lambda m, tok: 0.0)  # fmt: skip
    busy = sum(v for k, v in log["phases"].items() if k != "validation")
    return {"steps": steps, "seconds": round(busy, 1), "steps_per_s": round(steps / busy, 3),
            "precision": log["precision"], "precision_reason": log["precision_reason"],
            "phases": log["phases"]}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--only", choices=["sample", "hiner"])
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-train.json")
    a = ap.parse_args()
    res: dict = provenance() | {"bf16_flags": cpu_bf16_flags()}
    if a.only != "hiner":
        if not (ROOT / "datasets" / "dataset").is_dir():
            print("error: no datasets/dataset: `make dataset` first", file=sys.stderr)
            return 1
        res["sample"] = {p: sample_run(p) for p in PRECISIONS}
        for p, r in res["sample"].items():
            print(f"sample, {p:4}: {r['wall_s']:6.1f} s wall, fit {r['seconds']:.1f} s "
                  f"({r['precision']}; {r['epochs_run']} epochs, best {r['best_epoch']}, "
                  f"validation {r['best_val']:.3f}), peak RSS {r['peak_rss_mb']} MB")  # fmt: skip
    if a.only != "sample":
        sides = {p: hiner_steps(p, a.steps) for p in PRECISIONS}
        if all(sides.values()):
            res["hiner"] = sides
            for p, r in sides.items():
                print(f"HiNER tagger, {p:4}: {r['steps_per_s']:.2f} steps/s over {a.steps} "
                      f"steps ({r['precision']}: {r['precision_reason']})")  # fmt: skip
    print(f"CPU: {cpu_model()}; bf16 flags: {', '.join(cpu_bf16_flags()) or 'none'}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
