"""Device check: train one epoch on the sample on a device (CUDA where there is one), predict
the sample corpus with that run on the device and on the CPU, and compare the two by kind.

For the GPU machine the `device` tool lends (one prepared script, under 10 minutes). It uses
khabar's own small BERT (`--base-model scratch`): the e5 base (465 MB) does not travel. It
needs the sample dataset and corpus (`datasets/dataset`, `datasets/cleaned/articles.jsonl`,
made by `make all`). On a machine without CUDA, `--device cpu` checks the script itself.

    python scripts/device_check.py --device cuda [--out models/device-check]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The lent GPU machine gets the tree, not an installed khabar: import it from src/.
sys.path.insert(0, str(ROOT / "src"))

from bench_precision import agreement  # noqa: E402

from khabar.io import read_jsonl  # noqa: E402


def khabar(*args: str) -> float:
    """Run the khabar CLI in a fresh process; its wall seconds (its output passes through)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "khabar.cli", *args], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="the device to check against the CPU")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "device-check")
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "dataset")
    ap.add_argument("--epochs", type=int, default=1,
                    help="NER epochs (one checks the device; six give the scratch model entities "
                    "to compare)")  # fmt: skip
    ap.add_argument("--articles", type=Path,
                    default=ROOT / "datasets" / "cleaned" / "articles.jsonl")  # fmt: skip
    a = ap.parse_args()
    for need in (a.dataset, a.articles):
        if not need.exists():
            print(f"error: {need} not found: run `make all` first", file=sys.stderr)
            return 1
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, CUDA device: {gpu}", flush=True)
    run = a.out / "run"
    seconds = {"train": khabar("train", "--dataset", str(a.dataset), "--out", str(run),
                               "--base-model", "scratch", "--epochs", str(a.epochs),
                               "--event-epochs", "1",
                               "--no-baselines", "--device", a.device)}  # fmt: skip
    preds = {}
    for device, precision in dict.fromkeys(
        ((a.device, "auto"), (a.device, "fp32"), ("cpu", "fp32"))
    ):
        name = f"{device}-{precision}"
        preds[name] = a.out / f"{name}.jsonl"
        seconds[f"predict {name}"] = khabar(
            "predict", "--run", str(run), "--articles", str(a.articles), "--out",
            str(preds[name]), "--device", device, "--precision", precision,
        )  # fmt: skip
    cpu = read_jsonl(preds["cpu-fp32"])
    result = {"device": a.device, "seconds": seconds, "agreement_with_cpu_fp32": {}}
    for name in preds:
        if name != "cpu-fp32":
            recs = read_jsonl(preds[name])
            result["agreement_with_cpu_fp32"][name] = agreement(cpu, recs)
            found = {k: sum(len(r[k]) for r in recs) for k in ("entities", "triggers", "arguments")}
            print(f"{name}: precision {recs[0]['precision'] if recs else '?'}, found {found}; "
                  "agreement with "
                  "cpu fp32: " + ", ".join(f"{k} {100 * v:.2f} %" for k, v in
                                          agreement(cpu, recs).items()))  # fmt: skip
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    (a.out / "device-check.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
