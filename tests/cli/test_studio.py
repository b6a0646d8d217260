"""Label Studio commands without a server: one clear line, no traceback."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import _free_port


def test_cli_without_server_prints_no_traceback(tmp_path):
    env = {"LABEL_STUDIO_URL": f"http://127.0.0.1:{_free_port()}", "PATH": "/usr/bin:/bin"}
    tasks = tmp_path / "tasks.json"
    tasks.write_text("[]")
    proc = subprocess.run(
        [sys.executable, "-m", "khabar.cli", "push", "--tasks", str(tasks)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 1
    assert "not reachable" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().count("\n") == 0


def test_tasks_are_written_as_jsonl_one_article_at_a_time(tmp_path, seed_articles):
    from khabar.corpus.article import write_articles
    from khabar.io import iter_items
    from tests.conftest import run_khabar

    corpus = tmp_path / "articles.jsonl"
    write_articles(seed_articles, corpus)
    out = tmp_path / "tasks.jsonl"
    log = run_khabar("tasks", "--articles", corpus, "--out", out, env={"PATH": "/usr/bin:/bin"})
    tasks = list(iter_items(out))
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(tasks) == len(seed_articles)
    assert [t["data"]["article_id"] for t in tasks] == [a.id for a in seed_articles]
    regions = sum(len(t["predictions"][0]["result"]) for t in tasks)
    assert f"{len(tasks)} tasks, {regions} pre-annotated regions" in log
