"""Where Label Studio's per-request import cost comes from, as the project grows.

Starts its own Label Studio (free port, temporary data dir, `--db`), makes a project with
khabar's labelling config, and imports synthetic tasks (scripts/bench_labelstudio.py's, one
prediction each) chunk by chunk up to `--tasks`, timing every request against the project's size
before it. `--what tasks` times the task imports (each with its prediction, as `push` sends
them); `--what predictions` imports each chunk's tasks bare and times the request that then
attaches their predictions (the import-predictions endpoint, as `push-predictions` sends them;
`--legacy` turns off the flag scripts/labelstudio.sh sets, to see Label Studio's default). At
each size in `--profile-at` one chunk's request is sampled by py-spy (the server's process and
its children) and the server-side functions with the most samples are printed, own code of
label_studio first. Results: models/benchmarks/ls-import-profile-<what>[-legacy]-<db>.json.

    python scripts/profile_ls_import.py --tasks 12000 --chunk-size 500 --profile-at 1000 10000
        [--py-spy /path/to/py-spy] [--db sqlite]

py-spy is not a khabar dependency: `pip install --target /tmp/spy py-spy` and pass
`--py-spy /tmp/spy/bin/py-spy` (it needs ptrace rights over the server: root, or the same user
with kernel.yama.ptrace_scope 0).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from bench_labelstudio import TOKEN, synthetic  # noqa: E402
from benchkit import free_port, label_studio, label_studio_env, server_pid  # noqa: E402

from khabar.io import write_json  # noqa: E402
from khabar.schema import label_config, load_schema  # noqa: E402
from khabar.studio.client import Client  # noqa: E402

# Set true by scripts/labelstudio.sh: Label Studio's import of predictions that recounts only
# the tasks it touched.
FAST_PREDICTIONS = "fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short"


def profiled(py_spy: str, pid: int, out: Path, request) -> float:
    """Run `request()` while py-spy samples the server; its wall seconds."""
    spy = subprocess.Popen([py_spy, "record", "--pid", str(pid), "--subprocesses", "--rate",
                            "200", "--format", "raw", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(2)  # py-spy attaches
    t0 = time.perf_counter()
    request()
    wall = time.perf_counter() - t0
    spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
    spy.wait(timeout=60)
    return wall


def hot_frames(raw: Path, top: int) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's collapsed stacks of the threads serving a request: Label Studio's own
    frames by inclusive share (a frame counted once per stack; its middleware left out), and the
    innermost frames (any library) by own share."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or "get_response" not in stack:
            continue  # an idle thread, not serving a request
        n, frames = int(count), stack.split(";")
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            if "(label_studio/" in frame and "middleware" not in frame:
                inclusive[frame] += n

    def shares(c: Counter) -> list[tuple[str, float]]:
        return [(f, round(k / total, 3)) for f, k in c.most_common(top)] if total else []

    return {"label_studio": shares(inclusive), "own": shares(own)}


def main() -> None:
    """Import chunk by chunk, time each request, profile the requests at the asked sizes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=12000, help="synthetic tasks in all")
    ap.add_argument("--chunk-size", type=int, default=500, help="tasks per import request")
    ap.add_argument("--profile-at", type=int, nargs="*", default=[1000, 10000],
                    help="project sizes at which one request is profiled")  # fmt: skip
    ap.add_argument("--py-spy", default="py-spy", help="the py-spy program")
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    ap.add_argument("--top", type=int, default=40, help="frames printed per profile")
    ap.add_argument("--what", default="tasks", choices=["tasks", "predictions"],
                    help="the request timed and profiled")  # fmt: skip
    ap.add_argument("--legacy", action="store_true",
                    help="Label Studio's default import of predictions (the flag off)")  # fmt: skip
    a = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="khabar-ls-profile-"))
    data_dir.chmod(0o755)  # PostgreSQL's unprivileged user must reach it
    env = label_studio_env(data_dir, free_port(), TOKEN, a.db)
    if a.legacy:
        env[FAST_PREDICTIONS] = "false"
    label_studio("start", env, quiet=True)
    out = ROOT / "models" / "benchmarks"
    result = {"db": a.db, "what": a.what, "legacy": a.legacy, "chunk_size": a.chunk_size,
              "requests": [], "profiles": {}}  # fmt: skip
    try:
        client = Client(env["LABEL_STUDIO_URL"], TOKEN, timeout=600)
        pid = client.ensure_project("profile", label_config(load_schema()))
        tasks, size = synthetic(a.tasks), 0
        todo = sorted(a.profile_at)
        for i in range(0, len(tasks), a.chunk_size):
            chunk = tasks[i : i + a.chunk_size]

            def request(chunk=chunk):
                client.import_tasks(pid, chunk, a.chunk_size)

            if a.what == "predictions":
                bare = [{"data": t["data"]} for t in chunk]
                ids = client.import_tasks(pid, bare, a.chunk_size)
                preds = [{**t["predictions"][0], "task": i}
                         for t, i in zip(chunk, ids, strict=True)]  # fmt: skip

                def request(preds=preds):
                    client.import_predictions(pid, preds, a.chunk_size)

            if todo and size >= todo[0]:
                raw = data_dir / f"profile-{size}.txt"
                wall = profiled(a.py_spy, server_pid(env), raw, request)
                frames = hot_frames(raw, a.top)
                result["profiles"][str(size)] = {"seconds": round(wall, 2), "frames": frames}
                print(f"\nprofile at {size:,} tasks ({wall:.1f} s):")
                for kind, rows in frames.items():
                    print(f"  {kind}:")
                    for frame, share in rows:
                        print(f"  {share:6.1%}  {frame}")
                todo.pop(0)
            else:
                t0 = time.perf_counter()
                request()
                wall = time.perf_counter() - t0
            result["requests"].append({"before": size, "tasks": len(chunk),
                                       "seconds": round(wall, 3)})  # fmt: skip
            size += len(chunk)
            print(f"{size:>8,} tasks: {wall:6.2f} s for the last {len(chunk)}", flush=True)
        name = f"ls-import-profile-{a.what}{'-legacy' * a.legacy}-{a.db}.json"
        write_json(out / name, result, indent=1)
    finally:
        label_studio("stop", env, quiet=True)


if __name__ == "__main__":
    main()
