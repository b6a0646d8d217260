"""Benchmark: learning from public Hindi NER corpora (`khabar transfer-base`, `train --transfer`).

Reads ../shared/benchmarks (HiNER part 1, CC-BY-SA-4.0; IL-NER Hindi, CC-BY-4.0). Each step is its
own `khabar` process, timed, with the peak RSS of its process tree:

1. the sample run without transfer (`make all TRANSFER=`);
2. the quick recipe, `make all`'s default: the HiNER pool (`khabar transfer-base hiner --recipe
   quick`) and the sample run that mixes it in;
3. the full recipe: the HiNER transfer base (its first 90 % trains, the last 10 % is held out;
   `make transfer-base TRANSFER=hiner`; a base that is up to date is not trained again, and its
   recorded time is reported) and the sample run from it;
4. the IL-NER base (train file; its dev file is held out) and the HiNER + IL-NER base;
5. every tagger scored on HiNER's held-out part and IL-NER dev, PER/LOC/ORG only, strict
   micro-F1 (seqeval): what a base knows, what a sample run keeps of it, and how it does on a
   corpus it never trained on; and the recipes side by side (`recipes`: time of the transfer
   stage and of the run, those F1, the sample's test F1).

Nothing here picks a setting: the held-out parts and IL-NER dev are only reported.
Writes models/benchmarks/bench-transfer.json after every step.

    python scripts/bench_transfer.py [--recipes quick full] [--bases hiner ilner hiner-ilner]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import measure, provenance  # noqa: E402

from khabar.dataset.corpora import CorpusError, load_declared, read_corpus  # noqa: E402
from khabar.io import read_json, write_json  # noqa: E402
from khabar.model.infer.run import load_pretrained  # noqa: E402
from khabar.model.train.transfer import PROVENANCE, load_base, score_tagger  # noqa: E402

KHABAR = str(Path(sys.executable).parent / "khabar")
BENCH = ROOT.parent / "shared" / "benchmarks"
BASES = {"hiner": ["hiner"], "ilner": ["ilner"], "hiner-ilner": ["hiner", "ilner"]}
TYPES = ["PER", "LOC", "ORG"]


def base_step(key: str, names: list[str], env: dict, recipe: str = "full") -> dict:
    """Make (or find up to date) one transfer base; its held-out F1, time and memory (a quick
    recipe's pool: only the time to read the corpora and write it)."""
    out = ROOT / "models" / "base" / f"transfer-{key}"
    wall, peak, text = measure([KHABAR, "transfer-base", *names, "--out", str(out),
                                "--recipe", recipe], env)  # fmt: skip
    prov = read_json(out / PROVENANCE)
    cached = "is up to date" in text
    if not prov["trained"]:
        print(
            f"pool {key}: {wall:.1f} s; "
            + ", ".join(f"{c['name']} {c['sentences']['pool']} sentences" for c in prov["corpora"])
        )
        return {"folder": str(out.relative_to(ROOT)), "recipe": recipe, "cached": cached,
                "wall_s": round(wall, 1), "train_s": 0.0, "peak_rss_mb": round(peak / 2**20),
                "sentences": {c["name"]: c["sentences"] for c in prov["corpora"]}}  # fmt: skip
    t = prov["training"]
    print(f"base {key}: {'up to date, trained earlier in' if cached else 'trained in'} "
          f"{t['seconds']:.0f} s, best epoch {t['best_epoch']}, peak RSS {t['peak_rss_mb']} MB; "
          + ", ".join(f"{c['name']} held-out {c['held_out_f1']['f1']:.4f}"
                      for c in prov["corpora"]))  # fmt: skip
    return {"folder": str(out.relative_to(ROOT)), "recipe": recipe, "cached": cached,
            "wall_s": round(wall, 1),
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
    taggers = {
        f"base {k}": ROOT / v["folder"] for k, v in results["bases"].items() if v["train_s"]
    }  # a quick recipe's pool holds no tagger
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


PARTS = ("hiner held-out", "ilner dev")
# The recipes side by side: the transfer stage (its base), the sample run, the run's scores.
RECIPES = {"none": (None, "sample"), "quick": ("hiner-quick", "sample-quick"),
           "full": ("hiner", "sample-from-hiner")}  # fmt: skip


def recipes(results: dict) -> dict:
    """Each measured recipe: seconds of the transfer stage (a base trained earlier: its recorded
    training time) and of the run, HiNER held-out and IL-NER dev F1, the sample's test F1."""
    out = {}
    for name, (base, run) in RECIPES.items():
        if run not in results["sample_runs"] or (base and base not in results["bases"]):
            continue
        b, r = results["bases"].get(base or "", {}), results["sample_runs"][run]
        scores = results["scores"].get(f"run {run}", {})
        # a base trained earlier: its recorded training; a pool, or one trained now: the wall
        stage = 0.0 if not base else b["train_s"] if b["cached"] and b["train_s"] else b["wall_s"]
        f1 = {part: s["f1"] for part, s in scores.items()}
        out[name] = {"transfer_stage_s": stage, "run_s": r["wall_s"],
                     "total_s": round(stage + r["wall_s"], 1), **f1, "test": r["test"]}  # fmt: skip
    print("\n| recipe | transfer stage s | run s | " + " | ".join(PARTS) +
          " | test entities / triggers / arguments |\n|---|---|---|---|---|---|")  # fmt: skip
    for name, x in out.items():
        t = x["test"]
        print(
            f"| {name} | {x['transfer_stage_s']:.0f} | {x['run_s']:.0f} | "
            + " | ".join(f"{x.get(p, 0):.4f}" for p in PARTS)
            + f" | {t['entities']:.3f} / {t['triggers']:.3f} / {t['arguments']:.3f} |"
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="*", default=["quick", "full"],
                    choices=["quick", "full"], help="recipes to measure beside the sample alone "
                    "(full builds the HiNER base: about 30 minutes on 2 cores)")  # fmt: skip
    ap.add_argument(
        "--bases",
        nargs="*",
        default=list(BASES),
        choices=list(BASES),
        help="more transfer bases to build and score (with the full recipe)",
    )
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
    results: dict = provenance() | {"bases": {}, "sample_runs": {}, "scores": {}, "recipes": {}}
    a.out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # After every step: a long benchmark stopped half-way keeps what it measured.
        write_json(a.out, results, indent=1)

    # The sample runs and their bases first: they are what the recipes' table needs.
    results["sample_runs"]["sample"] = sample_step("sample", None, env)
    save()
    hiner_base = ROOT / "models" / "base" / "transfer-hiner"
    parts = {"hiner held-out": None, "ilner dev": ilner.held_out}
    for recipe in a.recipes:
        key, run = RECIPES[recipe]
        results["bases"][key] = base_step(key, BASES["hiner"], env, recipe)
        save()
        folder = ROOT / results["bases"][key]["folder"]
        parts["hiner held-out"] = parts["hiner held-out"] or load_base(folder).part(
            "hiner", "held_out")  # fmt: skip
        results["sample_runs"][run] = sample_step(run, str(folder), env)
        save()
    if parts["hiner held-out"] is None:
        parts["hiner held-out"] = load_base(hiner_base).part("hiner", "held_out")
    score_all(results, parts)
    results["recipes"] = recipes(results)
    save()
    for key in (k for k in BASES if k != "hiner" and k in a.bases and "full" in a.recipes):
        results["bases"][key] = base_step(key, BASES[key], env)
        save()
    score_all(results, parts)
    save()
    print(f"-> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
