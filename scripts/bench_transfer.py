"""Benchmark: learning from public Hindi NER corpora (`khabar transfer-base`, `train --transfer`).

Reads ../shared/benchmarks (HiNER part 1, CC-BY-SA-4.0; IL-NER Hindi, CC-BY-4.0). Each step is its
own `khabar` process, timed, with the peak RSS of its process tree:

1. the HiNER transfer base (its first 90 % trains, the last 10 % is held out; `make transfer-base
   TRANSFER=hiner`; a base that is up to date is not trained again, and its recorded time is
   reported);
2. the sample run without transfer and the sample run from the HiNER base (`khabar train`);
3. the IL-NER base (train file; its dev file is held out) and the HiNER + IL-NER base;
4. every tagger scored on HiNER's held-out part and IL-NER dev, PER/LOC/ORG only, strict
   micro-F1 (seqeval): what a base knows, what a sample run keeps of it, and how it does on a
   corpus it never trained on.

Nothing here picks a setting: the held-out parts and IL-NER dev are only reported.
Writes models/benchmarks/bench-transfer.json after every step.

    python scripts/bench_transfer.py [--bases hiner ilner hiner-ilner]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchkit import measure  # noqa: E402

from khabar.dataset.corpora import CorpusError, load_declared, read_corpus  # noqa: E402
from khabar.io import read_json, write_json  # noqa: E402
from khabar.model.run import load_pretrained  # noqa: E402
from khabar.model.transfer import PROVENANCE, load_base, score_tagger  # noqa: E402

KHABAR = str(Path(sys.executable).parent / "khabar")
BENCH = ROOT.parent / "shared" / "benchmarks"
BASES = {"hiner": ["hiner"], "ilner": ["ilner"], "hiner-ilner": ["hiner", "ilner"]}
TYPES = ["PER", "LOC", "ORG"]


def base_step(key: str, names: list[str], env: dict) -> dict:
    """Make (or find up to date) one transfer base; its held-out F1, time and memory."""
    out = ROOT / "models" / "base" / f"transfer-{key}"
    wall, peak, text = measure([KHABAR, "transfer-base", *names, "--out", str(out)], env)
    prov = read_json(out / PROVENANCE)
    cached = "is up to date" in text
    t = prov["training"]
    print(f"base {key}: {'up to date, trained earlier in' if cached else 'trained in'} "
          f"{t['seconds']:.0f} s, best epoch {t['best_epoch']}, peak RSS {t['peak_rss_mb']} MB; "
          + ", ".join(f"{c['name']} held-out {c['held_out_f1']['f1']:.4f}"
                      for c in prov["corpora"]))  # fmt: skip
    return {"folder": str(out.relative_to(ROOT)), "cached": cached, "wall_s": round(wall, 1),
            "train_s": t["seconds"], "peak_rss_mb": t["peak_rss_mb"] if cached else
            round(peak / 2**20), "best_epoch": t["best_epoch"],
            "tune_curve": [h["tune"] for h in t["history"]],
            "held_out": {c["name"]: c["held_out_f1"] for c in prov["corpora"]},
            "sentences": {c["name"]: c["sentences"] for c in prov["corpora"]}}  # fmt: skip


def sample_step(name: str, transfer: str | None, env: dict) -> dict:
    """Train the sample run (with or without a transfer base); its own figures, time, memory."""
    out = ROOT / "models" / "benchmarks" / "transfer" / name
    cmd = [KHABAR, "train", "--dataset", str(ROOT / "datasets" / "dataset"), "--out", str(out)]
    wall, peak, _ = measure(cmd + (["--transfer", transfer] if transfer else []), env)
    metrics = read_json(out / "metrics.json")["splits"]
    info = read_json(out / "run.json")

    def layer(split: str) -> dict:
        m = metrics[split]["transformer"]
        ext = m["extraction"]
        return {"entities": m["entities"]["overall"]["f1"],
                "triggers": ext["end_to_end"]["trigger_classification"]["f1"],
                "arguments": ext["gold_spans"]["argument_classification"]["f1"]}  # fmt: skip

    print(f"sample run {name}: {wall:.0f} s, peak RSS {peak / 2**20:.0f} MB; validation "
          f"{layer('validation')}; test {layer('test')}")  # fmt: skip
    return {"folder": str(out.relative_to(ROOT)), "wall_s": round(wall, 1),
            "peak_rss_mb": round(peak / 2**20), "best_epoch": info["ner_fit"]["best_epoch"],
            "validation": layer("validation"), "test": layer("test"),
            "transfer": info.get("transfer")}  # fmt: skip


def score_all(results: dict, parts: dict) -> None:
    """Score every tagger not scored yet on each part (the sample runs' taggers are in ner/)."""
    taggers = {f"base {k}": ROOT / v["folder"] for k, v in results["bases"].items()}
    taggers |= {f"run {k}": ROOT / v["folder"] / "ner" for k, v in results["sample_runs"].items()}
    for name, folder in taggers.items():
        if name in results["scores"]:
            continue
        model, tok = load_pretrained("ner", folder), load_pretrained("tokenizer", folder)
        results["scores"][name] = {p: score_tagger(model, tok, rows, TYPES)
                                   for p, rows in parts.items()}  # fmt: skip
    print(f"\n| tagger | {' | '.join(parts)} |\n|---|{'---|' * len(parts)}")
    for name, got in results["scores"].items():
        print(f"| {name} | " + " | ".join(f"{g['f1']:.4f}" for g in got.values()) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bases", nargs="*", default=list(BASES), choices=list(BASES),
                    help="transfer bases to build and score (hiner is always built: the sample "
                    "run starts from it)")  # fmt: skip
    ap.add_argument(
        "--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-transfer.json"
    )
    a = ap.parse_args()
    if not BENCH.is_dir():
        print(f"bench-transfer skipped: {BENCH} not found (../shared is absent here)")
        return 0
    env = dict(os.environ, TRANSFER_DATA=str(BENCH), TRANSFER_SOURCE="local")
    try:
        ilner = read_corpus(load_declared(ROOT / "annotation" / "transfer.yaml")["ilner"],
                            "local", BENCH)  # fmt: skip
    except CorpusError as exc:
        print(f"error: {exc}")
        return 1
    results: dict = {"bases": {}, "sample_runs": {}, "scores": {}}
    a.out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # After every step: a long benchmark stopped half-way keeps what it measured.
        write_json(a.out, results, indent=1)

    # HiNER's base and the sample runs first: they are what the forgetting figures need.
    hiner_base = ROOT / "models" / "base" / "transfer-hiner"
    results["bases"]["hiner"] = base_step("hiner", BASES["hiner"], env)
    save()
    parts = {"hiner held-out": load_base(hiner_base).part("hiner", "held_out"),
             "ilner dev": ilner.held_out}  # fmt: skip
    for name, base in (("sample", None), ("sample-from-hiner", str(hiner_base))):
        results["sample_runs"][name] = sample_step(name, base, env)
        save()
    score_all(results, parts)
    save()
    for key in (k for k in BASES if k != "hiner" and k in a.bases):
        results["bases"][key] = base_step(key, BASES[key], env)
        save()
    score_all(results, parts)
    save()
    print(f"-> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
