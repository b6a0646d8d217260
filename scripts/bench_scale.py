"""Benchmark: how khabar's cost grows with the corpus, N/10 and N generated articles.

For each size it writes the corpus (scripts/make_corpus.py), then times each stage as its own
`khabar` process: ingest -> tasks -> predict (each engine) -> and, on a fresh Label Studio of each
database (its own data dir, free port), push -> push-predictions -> export. Before export, one
task in 20 is annotated by copying its prediction, as an annotator accepting it would, so the
export carries annotations, predictions and the dataset build. It prints, per stage, wall time,
items/s and the peak RSS of the stage's process tree (Ray's workers included), and for the Label
Studio stages the server's own peak RSS so far and its database's size on disk after the stage
(SQLite's file; PostgreSQL's cluster folder, WAL included), with the 1-minute load average before
and after each stage; then the N / (N/10) time ratio: 10 is linear. Results go to
models/benchmarks/bench-scale.json.

    python scripts/bench_scale.py --n 10000 --run models/default [--reuse-predictions]

With --reuse-predictions, a size whose predictions file a previous bench of the same run wrote
(with its measured predict row beside it) is not predicted again: its predict row is the one
measured then (marked `reused`), so the 100,000 row can be measured once, in its own sitting,
and the Label Studio stages in another.

With --project-predict, the larger size is not predicted (on 2 cores 100,000 articles take over
two hours): its predict row is projected from the smaller size's per-article cost (marked
`projected`), and the Label Studio stages get the smaller size's predictions repeated over the
larger corpus. The larger corpus starts with the smaller one (same seed), so its first N/10
predictions are the model's own; the others carry a real prediction's size and shape but not
their article's spans, so only tasks among the first N/10 are annotated.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import (  # noqa: E402
    free_port,
    label_studio,
    label_studio_env,
    measure,
    peak_rss,
    provenance,
    server_pid,
)

from khabar.annotations.format import content_hash  # noqa: E402
from khabar.dataset.build import saved_digest  # noqa: E402
from khabar.io import file_sha256, iter_jsonl, read_json, write_json, write_jsonl  # noqa: E402
from khabar.model.infer.prediction import ls_prediction  # noqa: E402
from khabar.studio.client import Client, LabelStudioError  # noqa: E402

TOKEN = "khabar-bench-token-0000000000000000"
KHABAR = str(Path(sys.executable).parent / "khabar")
PROJECT = "khabar-scale"


def fresh_label_studio(db: str) -> dict:
    """A Label Studio of its own on `db` (temporary data dir, free port), started."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"khabar-scale-{db}-"))
    data_dir.chmod(0o755)  # PostgreSQL runs as an unprivileged user that must reach it
    env = dict(label_studio_env(data_dir, free_port(), TOKEN, db), KHABAR_PROJECT=PROJECT)
    label_studio("start", env, quiet=True)
    return env


def annotate(env: dict, predictions: Path, every: int, among: int | None = None) -> int:
    """Accept the prediction of one task in `every` as its annotation (not a timed stage), among
    the first `among` tasks only if given (the listing is in push order, the corpus's).

    Streamed: the chosen tasks come from the sparse listing and their predictions from the file,
    so 100,000 tasks are never held whole here either."""
    client = Client(env["LABEL_STUDIO_URL"], TOKEN, timeout=600)
    pid = client.find_project(env["KHABAR_PROJECT"])
    tasks = itertools.islice(client.iter_task_summaries(pid), among)
    chosen = {t["data"].get("article_id"): t["id"]
              for i, t in enumerate(tasks) if i % every == 0}  # fmt: skip
    done = 0
    for rec in iter_jsonl(predictions):
        if (task_id := chosen.get(rec["article_id"])) is not None:
            client.create_annotation(task_id, ls_prediction(rec)["result"],
                                     unique_id=str(uuid.uuid4()))  # fmt: skip
            done += 1
    return done


def lookups(env: dict, tasks: Path, chunk: int = 500) -> dict:
    """What finding each article's task costs (not a timed stage): the sparse listing of every
    task, as push and push-predictions do it, against a data-manager filter on data.article_id
    per chunk of articles (a regex of the chunk's ids, timed on the first chunk and multiplied
    by the corpus's chunks), the way a lookup without any listing would go."""
    client = Client(env["LABEL_STUDIO_URL"], TOKEN, timeout=600)
    pid = client.find_project(env["KHABAR_PROJECT"])
    t0 = time.perf_counter()
    listed = sum(1 for _ in client.iter_task_summaries(pid))
    listing = time.perf_counter() - t0
    ids = [t["data"]["article_id"] for t in itertools.islice(iter_jsonl(tasks), chunk)]
    regex = "^(" + "|".join(map(re.escape, ids)) + ")$"
    item = {"filter": "filter:tasks:data.article_id", "operator": "regex", "type": "String",
            "value": regex}  # fmt: skip
    t0 = time.perf_counter()
    found = sum(1 for _ in client.iter_task_summaries(pid, {"conjunction": "and", "items": [item]}))
    per_chunk = time.perf_counter() - t0
    chunks = -(-listed // chunk)
    out = {"listing_s": round(listing, 1), "listed": listed,
           "filter_chunk_s": round(per_chunk, 2), "filter_found": found,
           "filter_all_chunks_s": round(per_chunk * chunks, 1)}  # fmt: skip
    print(f"  finding tasks: listing {listed:,} in {listing:.1f} s; filter for {len(ids)} "
          f"articles {per_chunk:.2f} s ({found} found) x {chunks:,} chunks = "
          f"{out['filter_all_chunks_s']:,.1f} s", flush=True)  # fmt: skip
    return out


def interrupted_push(env: dict, tasks: Path, n: int) -> dict:
    """`push` killed (SIGKILL, as a crash) once half the tasks are in a new project, then run
    again: every article must be there exactly once."""
    env = dict(env, KHABAR_PROJECT=f"{PROJECT}-interrupted")
    client = Client(env["LABEL_STUDIO_URL"], TOKEN, timeout=600)
    chunk = str(max(1, min(500, n // 10)))  # a small N still has chunks to cut between
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen([KHABAR, "push", "--tasks", str(tasks), "--chunk-size", chunk],
                            env=env, **quiet)  # fmt: skip
    at = 0
    while proc.poll() is None and at < n // 2:
        time.sleep(0.2)
        with contextlib.suppress(LabelStudioError):
            at = client.task_count(client.find_project(env["KHABAR_PROJECT"]))
    proc.kill()
    proc.wait()
    w, m, _ = timed([KHABAR, "push", "--tasks", str(tasks)], env)
    pid = client.find_project(env["KHABAR_PROJECT"])
    ids = [t["data"]["article_id"] for t in client.iter_task_summaries(pid)]
    out = {"killed_at_tasks": at, "rerun_seconds": round(w, 1),
           "rerun_peak_rss_mb": round(m / 2**20), "tasks": len(ids),
           "distinct": len(set(ids)), "expected": n}  # fmt: skip
    out["ok"] = 0 < at < n and out["tasks"] == out["distinct"] == n
    print(f"  interrupted push: killed at {at:,} tasks, rerun {w:.1f} s -> {len(ids):,} tasks, "
          f"{len(set(ids)):,} distinct of {n:,}: {'ok' if out['ok'] else 'FAILED'}",
          flush=True)  # fmt: skip
    return out


def repeated_export(env: dict, d: Path) -> dict:
    """`export` again into fresh folders: the dataset must be byte for byte the first one's."""
    first, again = d / "dataset", d / "dataset-again"
    shutil.rmtree(again, ignore_errors=True)
    w, m, _ = timed([KHABAR, "export", "--out", str(d / "export-again.json"), "--dataset",
                     str(again), "--conll", str(d / "conll-again"), "--splits",
                     str(d / "splits-again.tsv")], env)  # fmt: skip
    same = saved_digest(first) == saved_digest(again)
    print(f"  export again: {w:.1f} s, dataset {'identical' if same else 'DIFFERENT'}",
          flush=True)  # fmt: skip
    return {"seconds": round(w, 1), "peak_rss_mb": round(m / 2**20), "ok": same}


def row(stage: str, n: int, items: int, unit: str, wall: float, rss: int, **kw) -> dict:
    """One stage's figures, printed as it finishes."""
    r = {"stage": stage, "n": n, "items": items, "unit": unit, "seconds": round(wall, 2),
         "per_s": round(items / wall, 1), "peak_rss_mb": round(rss / 2**20), **kw}  # fmt: skip
    server = (f"  server {r['server_rss_mb']:,} MB, db {r['db_mb']:,} MB"
              if "server_rss_mb" in r else "")  # fmt: skip
    print(f"  {stage:<28} {items:>8,} {unit:<9} {wall:9.1f} s {r['per_s']:>9,.1f}/s "
          f"{r['peak_rss_mb']:>7,} MB{server}", flush=True)  # fmt: skip
    return r


def timed(cmd: list[str], env: dict) -> tuple[float, int, dict]:
    """`measure` one stage, with the 1-minute load average before and after it."""
    before = os.getloadavg()[0]
    wall, rss, _ = measure(cmd, env)
    return wall, rss, {"load": [round(before, 2), round(os.getloadavg()[0], 2)]}


def server_figures(env: dict) -> dict:
    """The Label Studio server's peak RSS so far (VmHWM) and its database's size on disk."""
    data = Path(env["LS_DATA_DIR"])
    db = data / "label_studio.sqlite3" if env["LS_DB"] == "sqlite" else data / "postgres"
    files = [db] if db.is_file() else [f for f in db.rglob("*") if f.is_file()]
    size = sum(f.stat().st_size for f in files if f.exists())
    return {"server_rss_mb": round(peak_rss(server_pid(env)) / 2**20), "db_mb": round(size / 2**20)}


def repeated_predictions(smaller: Path, articles: Path, out: Path) -> int:
    """The larger corpus's predictions for --project-predict: the smaller corpus's records in
    turn, each given the next article's id and content hash (the first ones must be its own)."""

    def records():
        for i, art in enumerate(iter_jsonl(articles)):
            if i % own == 0:
                source = iter_jsonl(smaller)
            rec = next(source)
            if i < own and rec["article_id"] != art["id"]:
                sys.exit(f"error: {articles} does not start with the articles of {smaller}")
            yield rec | {"article_id": art["id"], "content_hash": content_hash(art["text"])}

    own = sum(1 for _ in iter_jsonl(smaller))
    return write_jsonl(out, records())


def projected_predict(stage: str, n: int, before: list[dict], made: Path, articles: Path,
                      out: Path) -> dict:  # fmt: skip
    """The predict row at n projected from the smaller size's per-article cost, with the
    smaller size's predictions (`made`) repeated over `articles` into `out` for the stages
    after it."""
    smaller = next(r for r in before if r["stage"] == stage)
    repeated_predictions(made, articles, out)
    per = smaller["seconds"] / smaller["n"]
    print(f"  {stage:<28} projected from N = {smaller['n']:,}", flush=True)
    return row(stage, n, n, "articles", per * n, smaller["peak_rss_mb"] * 2**20,
               projected=f"from N = {smaller['n']:,}")  # fmt: skip


def reusable(predictions: Path, articles_sha256: str, args: argparse.Namespace) -> dict | None:
    """The predict row measured when `predictions` was written by this run, if asked to reuse it
    and the articles are the same (generated and ingested again, byte for byte)."""
    sidecar = predictions.with_suffix(".row.json")
    if not (args.reuse_predictions and predictions.is_file() and sidecar.is_file()):
        return None
    earlier = read_json(sidecar)
    same = earlier.get("articles_sha256") == articles_sha256 and earlier.get("run") == str(args.run)
    return earlier | {"reused": True} if same else None


def bench_size(n: int, args: argparse.Namespace, work: Path, before: list[dict]) -> list[dict]:
    """Every stage on n generated articles (`before`: the rows of the sizes already done)."""
    d = work / str(n)
    raw, cleaned, tasks = d / "raw", d / "articles.jsonl", d / "tasks.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), str(n),
                    "--out", str(raw)], check=True)  # fmt: skip
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in raw.glob("*.txt"))
    print(f"\nN = {n:,} articles ({words:,} raw words)", flush=True)
    env = dict(os.environ)
    rows: list[dict] = []

    def keep(r: dict) -> None:
        """Add a row and save every row so far: a sitting cut short keeps what it measured."""
        rows.append(r | {"words": words})
        write_json(args.out.with_suffix(".partial.json"), {"rows": before + rows})

    w, m, kw = timed([KHABAR, "ingest", str(raw), "--out", str(cleaned)], env)
    keep(row("ingest", n, n, "articles", w, m, **kw))
    w, m, kw = timed([KHABAR, "tasks", "--articles", str(cleaned), "--out", str(tasks)], env)
    keep(row("tasks", n, n, "articles", w, m, **kw))
    preds = {}
    # --project-predict: the smaller size, whose predictions stand in for this one's.
    smaller = before[0]["n"] if args.project_predict and before else None
    # What a reused predictions file must have been made from.
    articles_sha256 = file_sha256(cleaned)
    for precision in args.precisions:
        for engine in args.engines:
            out = preds[engine, precision] = d / f"predictions-{engine}-{precision}.jsonl"
            stage = f"predict ({engine}, {precision})"
            if smaller is not None:
                made = work / str(smaller) / out.name
                out = preds[engine, precision] = out.with_name(out.stem + "-repeated.jsonl")
                keep(projected_predict(stage, n, before, made, cleaned, out))
                continue
            if (earlier := reusable(out, articles_sha256, args)) is not None:
                keep(earlier)
                print(f"  {stage:<28} reused (measured {earlier['measured']})", flush=True)
                continue
            w, m, kw = timed([KHABAR, "predict", "--run", str(args.run), "--articles",
                              str(cleaned), "--out", str(out), "--engine", engine,
                              "--precision", precision], env)  # fmt: skip
            keep(row(stage, n, n, "articles", w, m, **kw))
            made = {"run": str(args.run), "measured": time.strftime("%Y-%m-%d %H:%M"),
                    "articles_sha256": articles_sha256}  # fmt: skip
            write_json(out.with_suffix(".row.json"), rows[-1] | made)
        if len(args.engines) == 2:
            a, b = (preds[e, precision].read_text(encoding="utf-8").splitlines()
                    for e in args.engines)  # fmt: skip
            same = sum(x == y for x, y in zip(a, b, strict=True))
            print(f"  engines agree on {same:,} of {len(a):,} records", flush=True)
            rows[-1]["records_identical"] = same
    pred = preds[args.engines[0], args.precisions[0]]
    for db in args.dbs:
        ls_env = fresh_label_studio(db)
        try:
            w, m, kw = timed([KHABAR, "push", "--tasks", str(tasks)], ls_env)
            keep(row(f"push [{db}]", n, n, "tasks", w, m, db=db, **kw,
                     **server_figures(ls_env)))  # fmt: skip
            w, m, kw = timed([KHABAR, "push-predictions", "--predictions", str(pred)], ls_env)
            keep(row(f"push-predictions [{db}]", n, n, "tasks", w, m, db=db, **kw,
                     **server_figures(ls_env)))  # fmt: skip
            keep(rows.pop() | {"lookup": lookups(ls_env, tasks)})
            # With repeated predictions, as many annotations, all on the model's own ones.
            every = max(1, args.annotate_every * smaller // n) if smaller else args.annotate_every
            labelled = annotate(ls_env, pred, every, smaller)
            w, m, kw = timed([KHABAR, "export", "--out", str(d / db / "export.json"),
                              "--dataset", str(d / db / "dataset"), "--conll",
                              str(d / db / "conll"), "--splits", str(d / db / "splits.tsv")],
                             ls_env)  # fmt: skip
            keep(row(f"export [{db}]", n, n, "tasks", w, m, db=db, annotated=labelled,
                     **kw, **server_figures(ls_env)))  # fmt: skip
            largest = n == max(args.sizes or [args.n])
            if args.faults is not None and largest and db in (args.faults or args.dbs):
                again = repeated_export(ls_env, d / db)
                cut = interrupted_push(ls_env, tasks, n)
                keep(rows.pop() | {"faults": {"export_again": again, "interrupted_push": cut}})
        finally:
            label_studio("stop", ls_env, quiet=True)
            shutil.rmtree(ls_env["LS_DATA_DIR"], ignore_errors=True)
    return rows


def markdown(result: dict) -> str:
    """The table for the README: each stage at both sizes, the ratio, Label Studio's figures."""
    small, large = sorted({r["n"] for r in result["rows"]})
    by = {(r["stage"], r["n"]): r for r in result["rows"]}

    def cell(r: dict) -> str:
        made = f" (measured {r['measured']})" if r.get("reused") else ""
        made += f" (projected {r['projected']})" if r.get("projected") else ""
        return f"{r['seconds']:,.1f} s, {r['per_s']:,.1f}/s, {r['peak_rss_mb']:,} MB{made}"

    lines = [f"| stage | N = {small:,}: time, items/s, peak RSS | N = {large:,}: time, items/s, "
             f"peak RSS | time ratio ({large / small:.0f} = linear) | Label Studio at {large:,}: "
             "server peak RSS, database | load before → after |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in (r for r in result["rows"] if r["n"] == large):
        first = by.get((r["stage"], small))
        ls = f"{r['server_rss_mb']:,} MB, {r['db_mb']:,} MB" if "server_rss_mb" in r else ""
        load = " → ".join(f"{x:.2f}" for x in r.get("load", []))
        lines.append(f"| {r['stage']} | {cell(first) if first else ''} | {cell(r)} | "
                     f"{r.get('ratio', '')} | {ls} | {load} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    """Bench N/10 and N, print the table and the growth ratios, save the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="Articles of the larger corpus.")
    ap.add_argument("--run", type=Path, default=ROOT / "models" / "default", help="Run folder.")
    ap.add_argument("--engines", nargs="+", default=["local", "ray"], help="Predict engines.")
    ap.add_argument(
        "--dbs",
        nargs="*",
        default=["sqlite", "postgres"],
        help="Label Studio DBs (none: skip the Label Studio stages).",
    )
    ap.add_argument(
        "--precisions",
        nargs="+",
        default=["fp32"],
        help="Encoder precisions of the predict stage (fp32, auto, bf16).",
    )
    ap.add_argument(
        "--sizes",
        nargs=2,
        type=int,
        default=None,
        help="The two corpus sizes [default: N/10 and N].",
    )
    ap.add_argument(
        "--reuse-predictions",
        action="store_true",
        help="Keep a size's predictions (and predict row) from an earlier bench of this run.",
    )
    ap.add_argument(
        "--project-predict",
        action="store_true",
        help="Project the larger size's predict row from the smaller's per-article cost and push "
        "the smaller's predictions repeated over the larger corpus (see above).",
    )
    ap.add_argument(
        "--faults",
        nargs="*",
        default=None,
        help="At the larger size, after export: export again (dataset must be identical) and a "
        "push killed halfway then rerun (no task twice, none missing); on these DBs [all].",
    )
    ap.add_argument("--annotate-every", type=int, default=20, help="Annotate 1 task in this many.")
    ap.add_argument("--work", type=Path, default=ROOT / "datasets" / "scale", help="Work folder.")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-scale.json")
    ap.add_argument("--table", action="store_true", help="Only print --out as a markdown table.")
    args = ap.parse_args()
    if args.table:
        return print(markdown(read_json(args.out)))
    if not (args.run / "run.json").is_file():
        sys.exit(f"error: {args.run} is not a trained run: `make train` first (or --run)")
    sizes = args.sizes or [args.n // 10, args.n]
    print(f"khabar bench-scale: N = {sizes[0]:,} and {sizes[1]:,}, run {args.run.name}, "
          f"{os.cpu_count()} CPUs", flush=True)  # fmt: skip
    rows: list[dict] = []
    for n in sizes:
        rows += bench_size(n, args, args.work, rows)
    linear = sizes[1] / sizes[0]
    print(f"\nGrowth, N = {sizes[1]:,} against {sizes[0]:,} (time ratio; {linear:.1f} is linear):")
    small = {r["stage"]: r for r in rows if r["n"] == sizes[0]}
    for r in rows:
        if r["n"] == sizes[1]:
            ratio = r["seconds"] / small[r["stage"]]["seconds"]
            r["ratio"] = round(ratio, 2)
            print(f"  {r['stage']:<28} {ratio:6.2f}  (peak RSS {small[r['stage']]['peak_rss_mb']:,}"
                  f" -> {r['peak_rss_mb']:,} MB)")  # fmt: skip
    info = read_json(args.run / "run.json")
    result = provenance() | {"run": args.run.name, "base": info.get("base_model"),
                             "finished": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}  # fmt: skip
    write_json(args.out, result)
    print(f"-> {args.out}\n\n{markdown(result)}")


if __name__ == "__main__":
    main()
