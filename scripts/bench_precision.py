"""Benchmark: `khabar predict` on N generated articles, the whole command (start included), with
the encoder in each precision asked (fp32, auto, int8), one after the other, and then a distilled
student of the run (`--student`, in fp32 and in int8 where int8 is asked); articles/s of each,
how often their decisions agree with the first's, by kind (entities, triggers, arguments: the
share of the union both found), on the generated articles and on the sample's own, and the
tagger's entity F1 and sentences/s on HiNER's held-out part in each.

The corpus is `scripts/make_corpus.py N` (generated, under datasets/scale/N/), cleaned by
`khabar ingest`. Targets (issue 41): on a CPU with native bf16, auto >= 1.4x fp32 in
articles/s and >= 99 % agreement by kind; on one without, auto chooses fp32.

    python scripts/bench_precision.py --run models/default [--n 1000] [--student models/default-6]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import local_corpus, provenance, write_result  # noqa: E402

from khabar.dataset.splits import read_manifest  # noqa: E402
from khabar.io import read_jsonl  # noqa: E402
from khabar.model.infer.run import load_run  # noqa: E402
from khabar.model.net.device import cpu_bf16_flags, cpu_model  # noqa: E402


def khabar(*args: str) -> subprocess.CompletedProcess:
    """The khabar CLI in a fresh process, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k != "KHABAR_PRECISION"}  # the CLI's default
    return subprocess.run([sys.executable, "-m", "khabar.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, check=True, env=env)  # fmt: skip


def corpus(n: int) -> Path:
    """The cleaned generated corpus of n articles (made once)."""
    base = ROOT / "datasets" / "scale" / str(n)
    cleaned = base / "cleaned" / "articles.jsonl"
    if not cleaned.is_file():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), str(n),
                        "--out", str(base / "raw")], check=True)  # fmt: skip
        khabar("ingest", str(base / "raw"), "--out", str(cleaned))
    return cleaned


# What each side is held to (issues 41 and 59), printed beside its figures.
FASTER = "(targets: >= 1.8x, >= 98 % agreement on the sample, F1 within 0.5 point)"
TARGETS = {"auto": "(targets, where bf16 is native: >= 1.4x, >= 99 % agreement)",
           "int8": FASTER, "student": FASTER, "student int8": FASTER}  # fmt: skip


def items(rec: dict, kind: str) -> set:
    """A record's decisions of one kind, without scores."""
    if kind == "arguments":
        return {(a["trigger_id"], a["entity_id"], a["role"]) for a in rec["arguments"]}
    return {(x["start"], x["end"], x["label"]) for x in rec[kind]}


def agreement(a: list[dict], b: list[dict]) -> dict:
    """Per kind: |both| / |either| over all articles (1.0 when neither found any)."""
    out = {}
    for kind in ("entities", "triggers", "arguments"):
        both = either = 0
        for x, y in zip(a, b, strict=True):
            both += len(items(x, kind) & items(y, kind))
            either += len(items(x, kind) | items(y, kind))
        out[kind] = both / either if either else 1.0
    return out


def pct(by_kind: dict | None) -> str:
    """Agreement by kind as 'entities 99.10 %, ...' (empty where it was not measured)."""
    return ", ".join(f"{k} {100 * v:.2f} %" for k, v in (by_kind or {}).items())


def held_out(r, hiner) -> tuple[float | None, float | None]:
    """(entity F1 (PER/LOC/ORG, strict), sentences/s) of a loaded run's tagger, in its
    precision, on HiNER's held-out part (None without ../shared): what a faster encoder must
    keep, and how much faster the encoder alone is (issue 59)."""
    from khabar.model.infer.run import tag_words
    from khabar.model.measure.evaluation import entity_scores

    if hiner is None:
        return None, None
    words, gold = [w for w, _ in hiner.held_out], [t for _, t in hiner.held_out]
    tag_words(r.ner, r.ner_tokenizer, words[:64], r.max_length, precision=r.precision)  # warm-up
    started = time.perf_counter()
    tags = tag_words(r.ner, r.ner_tokenizer, words, r.max_length, precision=r.precision)
    per_s = len(words) / (time.perf_counter() - started)
    keep = {"PER", "LOC", "ORG"}  # the types HiNER marks; the run's others count as O
    tags = [[t if t != "O" and t[2:] in keep else "O" for t, _ in row] for row in tags]
    return entity_scores(gold, tags)["overall"]["f1"], per_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / "models" / "default")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--precisions", nargs="+", default=["fp32", "auto"],
                    help="encoder precisions, in turn; the first is the reference")  # fmt: skip
    ap.add_argument(
        "--student",
        type=Path,
        help="a distilled student of the run (khabar distill), measured after them",
    )
    ap.add_argument("--json", type=Path, help="also write the result here (docs/results/...)")
    a = ap.parse_args()
    for run in (a.run, a.student):
        if run and not (run / "run.json").is_file():
            print(f"error: {run} has no trained run: `make train` (or `make distill`) first",
                  file=sys.stderr)  # fmt: skip
            return 1
    # Each side: (name, run, encoder precision); the first is the reference.
    sides = [(p, a.run, p) for p in a.precisions]
    if a.student:
        sides += [("student", a.student, "fp32")]
        sides += [("student int8", a.student, "int8")] if "int8" in a.precisions else []
    said = provenance()  # what runs: the commit as it starts
    articles = corpus(a.n)
    sample = ROOT / "datasets" / "cleaned" / "articles.jsonl"
    out_dir = ROOT / "models" / "benchmarks" / "precision"
    out_dir.mkdir(parents=True, exist_ok=True)
    hiner = local_corpus("hiner")  # read once; None without ../shared
    res = {}
    for name, run, precision in sides:
        out = out_dir / f"{name.replace(' ', '-')}.jsonl"
        # One load per side, before the timed command: int8's first load builds its encoder,
        # once per run's weights (timed apart, not counted), and the load scores HiNER.
        started = time.perf_counter()
        loaded = load_run(run, baselines=False, device="cpu", precision=precision)
        built = time.perf_counter() - started if precision == "int8" else None
        f1, per_s = held_out(loaded, hiner)
        del loaded  # its memory is not the timed command's
        started = time.perf_counter()
        proc = khabar("predict", "--run", str(run), "--articles", str(articles), "--out",
                      str(out), "--precision", precision)  # fmt: skip
        seconds = time.perf_counter() - started
        lines = proc.stderr.replace("\r", "\n").splitlines()  # progress bars redraw with \r
        # The run's one line ("run R: device cpu, encoder bf16 (why)"); the progress bar may
        # have drawn on the same line before it.
        said_lines = (re.search(r"run \S+: device .*", ln) for ln in lines)
        chosen = next((m.group(0) for m in said_lines if m and "encoder" in m.group(0)), "?")
        on_sample = out_dir / f"{name.replace(' ', '-')}.sample.jsonl"
        if sample.is_file():  # the sample's own articles: what the agreement bar reads
            khabar("predict", "--run", str(run), "--articles", str(sample), "--out",
                   str(on_sample), "--precision", precision)  # fmt: skip
        res[name] = {"run": run.name, "precision": precision, "seconds": seconds,
                     "articles_per_s": a.n / seconds, "chosen": chosen, "records": read_jsonl(out),
                     "sample_records": read_jsonl(on_sample) if sample.is_file() else None,
                     "hiner_f1": f1, "hiner_sentences_per_s": per_s,
                     "build_seconds": built}  # fmt: skip
        print(f"  {name:12}: {seconds:6.1f} s, {a.n / seconds:6.2f} articles/s; {chosen}; "
              f"HiNER held-out F1 {f1}, {per_s} sentences/s")  # fmt: skip
    ref, *others = [name for name, _, _ in sides]
    splits = read_manifest(ROOT / "annotation" / "splits.tsv")
    print(f"CPU: {cpu_model()}; bf16 flags: {', '.join(cpu_bf16_flags()) or 'none'}")
    for p in others:
        x = res[p]
        x["speedup"] = res[ref]["seconds"] / x["seconds"]
        x["agreement"] = agreement(res[ref]["records"], x["records"])
        if x["sample_records"] is not None:
            x["sample_agreement"] = agreement(res[ref]["sample_records"], x["sample_records"])
            # the test split's articles: no student ever read them (it distils on the training
            # split and picks its epoch on validation)
            test = [i for i, r in enumerate(x["sample_records"])
                    if splits.get(r["article_id"]) == "test"]  # fmt: skip
            if test:
                x["sample_test_agreement"] = agreement(
                    [res[ref]["sample_records"][i] for i in test],
                    [x["sample_records"][i] for i in test])  # fmt: skip
        if x["hiner_sentences_per_s"]:
            x["sentences_speedup"] = x["hiner_sentences_per_s"] / res[ref]["hiner_sentences_per_s"]
        print(f"{p} / {ref}: {x['speedup']:.2f}x articles/s; agreement {pct(x['agreement'])}; "
              f"on the sample {pct(x.get('sample_agreement'))}; on its test article "
              f"{pct(x.get('sample_test_agreement'))} {TARGETS.get(p, '')}")  # fmt: skip
    write_result(said | {
        "run": a.run.name, "articles": a.n,
        "sentences": sum(len(r["sentences"]) for r in read_jsonl(articles)),
        "bf16_flags": cpu_bf16_flags(), "reference": ref,
        "student": a.student.name if a.student else None,
        "sides": {k: {x: y for x, y in v.items() if not x.endswith("records")}
                  for k, v in res.items()},
    }, out_dir / "bench-precision.json", a.json)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
