"""Benchmark: khabar's Label Studio import/export throughput beside raw SDK calls.

Starts its own Label Studio (free port, temporary data dir), makes N synthetic Hindi tasks with a
prediction each, and times on the same server:
  import  khabar `push` (existing-task check + chunked import)  vs  SDK `projects.import_tasks`
  export  khabar `Client.export` (create -> poll -> download)  vs  SDK `exports.download_sync`
          (the one-shot synchronous download, all tasks)
Prints tasks/s and the khabar/SDK ratio (>1 means khabar is faster).

    python scripts/bench_labelstudio.py --tasks 5000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import free_port, label_studio, label_studio_env, provenance, write_result  # noqa: E402

from khabar.schema import label_config, load_schema  # noqa: E402
from khabar.studio.client import Client  # noqa: E402
from khabar.studio.sync import push  # noqa: E402

TOKEN = "khabar-bench-token-0000000000000000"
SENTENCE = "विदेश मंत्री एस जयशंकर ने सोमवार को मॉस्को में रूसी समकक्ष सर्गेई लावरोव से मुलाकात की।"


def synthetic(n: int) -> list[dict]:
    """N tasks shaped like khabar's: one article text, sentence spans, a prediction."""
    start = SENTENCE.index("जयशंकर")
    tasks = []
    for i in range(n):
        text = f"{SENTENCE} लेख {i}।"
        result = [
            {
                "id": "e1",
                "from_name": "entity",
                "to_name": "text",
                "type": "labels",
                "value": {"start": start, "end": start + 6, "text": "जयशंकर", "labels": ["PER"]},
            }
        ]
        tasks.append({
            "data": {"text": text, "article_id": f"bench-{i:06d}", "content_hash": str(i),
                     "sentences": json.dumps([[0, len(SENTENCE)], [len(SENTENCE) + 1, len(text)]])},
            "predictions": [{"model_version": "bench", "score": 0.8, "result": result}],
        })  # fmt: skip
    return tasks


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=5000, help="synthetic tasks per side")
    ap.add_argument("--chunk-size", type=int, default=500, help="tasks per import request")
    args = ap.parse_args()
    said = provenance()  # what runs: the commit as it starts

    env = label_studio_env(Path(tempfile.mkdtemp(prefix="khabar-bench-ls-")), free_port(), TOKEN)
    label_studio("start", env)
    try:
        client = Client(env["LABEL_STUDIO_URL"], TOKEN, timeout=600)
        config = label_config(load_schema(ROOT / "annotation" / "schema.yaml"))
        tasks = synthetic(args.tasks)
        p_sdk = client.ensure_project("bench-sdk", config)
        p_kh = client.ensure_project("bench-khabar", config)

        def sdk_import():
            for i in range(0, len(tasks), args.chunk_size):
                client.sdk.projects.import_tasks(id=p_sdk, request=tasks[i : i + args.chunk_size])

        t_sdk_imp, _ = timed(sdk_import)
        t_kh_imp, report = timed(lambda: push(client, p_kh, tasks, args.chunk_size))
        assert report.created == args.tasks, report.summary()
        t_rerun, again = timed(lambda: push(client, p_kh, tasks, args.chunk_size))
        assert again.created == 0

        t_sdk_exp, raw = timed(
            lambda: b"".join(
                client.sdk.projects.exports.download_sync(
                    id=p_sdk, export_type="JSON", download_all_tasks=True
                )
            )
        )
        t_kh_exp, payload = timed(lambda: client.export(p_kh))
        assert len(json.loads(payload)) == len(json.loads(raw)) == args.tasks

        n = args.tasks
        print(f"\nLabel Studio throughput, {n} synthetic tasks, chunk {args.chunk_size}:")
        print(f"{'':8}{'khabar tasks/s':>16}{'SDK tasks/s':>14}{'ratio':>8}")
        for name, tk, ts in (("import", t_kh_imp, t_sdk_imp), ("export", t_kh_exp, t_sdk_exp)):
            print(f"{name:8}{n / tk:16.0f}{n / ts:14.0f}{ts / tk:8.2f}")
        print(f"idempotent re-push of all {n} (imports nothing): {t_rerun:.1f}s")
        write_result(said | {"tasks": n, "chunk_size": args.chunk_size,
                             "seconds": {"khabar_import": t_kh_imp, "sdk_import": t_sdk_imp,
                                         "khabar_export": t_kh_exp, "sdk_export": t_sdk_exp,
                                         "khabar_rerun": t_rerun}},
                     ROOT / "models" / "benchmarks" / "bench-labelstudio.json")  # fmt: skip
    finally:
        label_studio("stop", env)


if __name__ == "__main__":
    main()
