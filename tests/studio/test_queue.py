"""The least-confident-first queue as Label Studio serves it."""

from __future__ import annotations

import uuid


def test_queue_serves_the_least_confident_unlabelled_task_first(label_studio, ls_env,
                                                                 seed_tasks):  # fmt: skip
    import requests

    from khabar.studio.client import Client
    from khabar.studio.queue import QUEUE_VIEW
    from tests.conftest import run_khabar

    run_khabar("push", "--tasks", seed_tasks, env=ls_env)
    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    tasks = client.tasks(pid)
    rules = tasks[0]["predictions"][0]["model_version"]
    out = run_khabar("queue", env=ls_env)
    assert f"5 of 5 tasks still need annotations; ranked by {rules} uncertainty" in out
    by_rules = sorted(tasks, key=lambda t: t["predictions"][0]["score"])
    first = (
        f"task {by_rules[0]['id']}: uncertainty {1 - by_rules[0]['predictions'][0]['score']:.3f}"
    )
    assert first in out.splitlines()[0]

    # A model run's predictions take over from the rules, in their own order.
    model_scores = [0.9, 0.3, 0.7, 0.5, 0.95]
    for t, score in zip(tasks, model_scores, strict=True):
        client.add_prediction(t["id"], {"model_version": "run-x", "score": score, "result": []})
    out = run_khabar("queue", "--show", 5, env=ls_env)
    want = [t["id"] for _, t in sorted(zip(model_scores, tasks, strict=True), key=lambda p: p[0])]
    assert [int(line.split()[1][:-1]) for line in out.splitlines()[:5]] == want
    view = [v for v in client.call(client.sdk.views.list, project=pid)
            if v.data.get("title") == QUEUE_VIEW]  # fmt: skip
    assert len(view) == 1 and [t["id"] for t in client.view_tasks(pid, view[0].id)] == want
    # Label Studio's own "Label All Tasks" stream serves the same task first.
    url, token = label_studio
    nxt = requests.get(f"{url}/api/projects/{pid}/next",
                       headers={"Authorization": f"Token {token}"}, timeout=30).json()  # fmt: skip
    assert nxt["id"] == want[0]

    client.create_annotation(want[0], [], unique_id=str(uuid.uuid4()))
    out = run_khabar("queue", env=ls_env)
    assert "4 of 5 tasks still need annotations; ranked by run-x" in out
    assert f"task {want[0]}:" not in out and f"task {want[1]}: uncertainty 0.500" in out
    assert len([v for v in client.call(client.sdk.views.list, project=pid)
                if v.data.get("title") == QUEUE_VIEW]) == 1  # rerun replaces the tab  # fmt: skip


def test_the_queue_ranks_by_the_strategy_asked(label_studio, ls_env, seed_tasks, tmp_path):
    """`khabar queue --strategy margin` pushes the run's predictions again scored by margin, and
    Label Studio then serves tasks in margin's order, not least confidence's."""
    import json

    import requests

    from khabar.studio.client import Client
    from tests.conftest import run_khabar

    run_khabar("push", "--tasks", seed_tasks, env=ls_env)
    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    tasks = client.tasks(pid)
    # Least confidence and margin disagree: uncertainty ranks the tasks 0, 1, 2, 3, 4 first to
    # last; margin the other way round.
    records = [{"article_id": t["data"]["article_id"], "content_hash": t["data"]["content_hash"],
                "model_version": "run-s", "uncertainty": 0.9 - 0.1 * k,
                "scores": {"margin": 0.1 + 0.1 * k, "entropy": 1.0, "mnlp": 1.0},
                "entities": [], "triggers": [], "arguments": [], "sentences": []}
               for k, t in enumerate(tasks)]  # fmt: skip
    path = tmp_path / "run-s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ids = [t["id"] for t in tasks]

    def served() -> list[int]:
        out = run_khabar("queue", "--show", 5, env=ls_env)
        return [int(line.split()[1][:-1]) for line in out.splitlines()[:5]]

    run_khabar("push-predictions", "--predictions", path, env=ls_env)
    assert served() == ids  # least confident first: the default
    out = run_khabar("queue", "--strategy", "margin", "--predictions", path, "--show", 5,
                     env=ls_env)  # fmt: skip
    assert "ranked by run-s" in out
    assert [int(line.split()[1][:-1]) for line in out.splitlines()[:5]] == ids[::-1]
    url, token = label_studio
    nxt = requests.get(f"{url}/api/projects/{pid}/next",
                       headers={"Authorization": f"Token {token}"}, timeout=30).json()  # fmt: skip
    assert nxt["id"] == ids[-1]  # Label Studio's own stream follows the score the queue wrote
    # One prediction of the run per task still: the strategy's push replaced the first.
    assert all(sum(p["model_version"] == "run-s" for p in t["predictions"]) == 1
               for t in client.tasks(pid))  # fmt: skip
    assert served() == ids[::-1]  # a later queue keeps the strategy's scores
