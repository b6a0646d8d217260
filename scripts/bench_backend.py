"""Benchmark: the ML backend's predict latency, model already loaded, as Label Studio sees it
(one POST /predict per opened task), for one seed article and for a 20,000-word article.

Starts `khabar serve-backend --no-train` on a free port, warms it up with one request, then
times `--repeat` requests per article and prints p50/p95 and words/s. The long article is the
seed articles' paragraphs repeated to the word count (the corpus' own sentences and spelling).
Label Studio gives a prediction ML_TIMEOUT_PREDICT seconds (100 by default).

    python scripts/bench_backend.py --run models/default [--words 20000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

from benchkit import free_port, provenance, write_result  # noqa: E402

from khabar.annotations.format import task_data  # noqa: E402
from khabar.corpus.article import Article  # noqa: E402
from khabar.corpus.ingest import ingest  # noqa: E402
from khabar.corpus.sentences import text_sentences  # noqa: E402


def long_article(seeds: list[Article], words: int) -> Article:
    """The seeds' paragraphs repeated until the text has `words` words."""
    paras = [p for a in seeds for p in a.text.split("\n\n") if p.strip()]
    out, n, i = [], 0, 0
    while n < words:
        out.append(paras[i % len(paras)])
        n += len(paras[i % len(paras)].split())
        i += 1
    text = "\n\n".join(out)
    return Article(id="long", origin="bench/long", text=text, sentences=text_sentences(text))


def start(run: Path, precision: str) -> tuple[subprocess.Popen, str]:
    """serve-backend on a free port with the encoder in `precision`, once /health answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "khabar.cli", "serve-backend", "--run",
                             str(run), "--port", str(port), "--no-train", "--precision",
                             precision], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("serve-backend did not start")


def timed(url: str, art: Article, repeat: int) -> list[float]:
    """Seconds of each POST /predict of the article as a task."""
    body = {"tasks": [{"id": 1, "data": task_data(art)}]}
    httpx.post(f"{url}/predict", json=body, timeout=600).raise_for_status()  # warm-up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        httpx.post(f"{url}/predict", json=body, timeout=600).raise_for_status()
        out.append(time.perf_counter() - t0)
    return out


def pct(xs: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of xs."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, default=ROOT / "models" / "default")
    ap.add_argument("--words", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=20, help="requests for the seed article")
    ap.add_argument("--repeat-long", type=int, default=5, help="requests for the long article")
    ap.add_argument(
        "--precision",
        nargs="+",
        default=["fp32", "auto"],
        help="encoder precisions to serve with, one backend each, in turn",
    )
    ap.add_argument("--json", type=Path, help="also write the result here (docs/results/...)")
    args = ap.parse_args()
    said = provenance()  # what runs: the commit as it starts
    seeds = ingest([ROOT / "datasets" / "raw"]).articles
    seed = max(seeds, key=lambda a: len(a.text.split()))
    cases = [
        ("seed article", seed, args.repeat),
        (f"{args.words:,}-word article", long_article(seeds, args.words), args.repeat_long),
    ]
    rows = []
    for precision in args.precision:
        proc, url = start(args.run, precision)
        try:
            chosen = httpx.get(f"{url}/status", timeout=10).json().get("precision", precision)
            for name, art, k in cases:
                secs = timed(url, art, k)
                words = len(art.text.split())
                rows.append({"article": name, "precision": f"{precision} ({chosen})",
                             "words": words, "sentences": len(art.sentences), "requests": k,
                             "p50_s": round(pct(secs, 0.5), 3),
                             "p95_s": round(pct(secs, 0.95), 3),
                             "words_per_s": round(words / statistics.median(secs))})  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"ML backend predict latency, run {args.run.name}, {os.cpu_count()} cores, model loaded")
    print(
        "| article | precision (chosen) | words | sentences | requests | p50 s | p95 s | words/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['article']} | {r['precision']} | {r['words']:,} | {r['sentences']} | "
            f"{r['requests']} | {r['p50_s']:.3f} | {r['p95_s']:.3f} | {r['words_per_s']:,} |"
        )
    result = said | {"run": args.run.name, "rows": rows}
    write_result(result, ROOT / "models" / "benchmarks" / "bench-backend.json", args.json)


if __name__ == "__main__":
    main()
