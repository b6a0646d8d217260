"""Label Studio on PostgreSQL (`make label-studio DB=postgres`): the same push -> annotate ->
export path as on SQLite, against a real PostgreSQL cluster and Label Studio the session starts."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

from khabar.annotations.gold import read_gold
from tests.conftest import ROOT, postgres_server, run_khabar


def psql(data_dir, query: str) -> str:
    """One query's value, asked of the test's PostgreSQL cluster directly (not through LS)."""
    env = dict(os.environ, PGPASSWORD=(data_dir / "postgres.password").read_text().strip())
    port = (data_dir / "postgres" / "port").read_text().strip()
    cmd = [f"{postgres_server()}/psql", "-h", "127.0.0.1", "-p", port, "-U", "khabar",
           "-d", "labelstudio", "-tAc", query]  # fmt: skip
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, check=True, timeout=600
    ).stdout.strip()


def test_push_annotate_export_on_postgresql(label_studio_postgres, seed_tasks, tmp_path):
    url, token, data_dir = label_studio_postgres
    env = dict(os.environ, LABEL_STUDIO_URL=url, LABEL_STUDIO_API_KEY=token,
               KHABAR_PROJECT=f"pg-{uuid.uuid4().hex[:6]}")  # fmt: skip
    assert "5 tasks imported" in run_khabar("push", "--tasks", seed_tasks, env=env)
    assert "0 tasks imported, 5 already there" in run_khabar("push", "--tasks", seed_tasks,
                                                             env=env)  # fmt: skip
    run_khabar("load-annotations", "--gold", ROOT / "annotation" / "gold", "--tasks", seed_tasks,
               env=env)  # fmt: skip
    export, ds = tmp_path / "export.json", tmp_path / "ds"
    out = run_khabar("export", "--out", export, "--dataset", ds, "--conll", tmp_path / "conll",
                     "--splits", tmp_path / "splits.tsv", env=env)  # fmt: skip
    assert "5/5 tasks used" in out

    # Every gold region came back out of Label Studio, and it was PostgreSQL that held them.
    gold = sum(len(a["result"]) for item in read_gold(ROOT / "annotation" / "gold")
               for a in item["annotations"])  # fmt: skip
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert sum(len(a["result"]) for t in exported for a in t["annotations"]) == gold
    assert psql(data_dir, "SELECT count(*) FROM task_completion") == str(
        sum(len(t["annotations"]) for t in exported)
    )
    assert psql(data_dir, "SELECT count(*) FROM task") == "5"
    assert not list(data_dir.glob("*.sqlite3")), "Label Studio fell back to SQLite"
    assert (data_dir / "database").read_text().strip() == "postgres"


def test_a_data_dir_keeps_its_database(label_studio_postgres, tmp_path):
    """Starting a data dir made on PostgreSQL with LS_DB=sqlite is refused, saying why."""
    _, _, data_dir = label_studio_postgres
    env = dict(os.environ, LS_DATA_DIR=str(data_dir), LS_DB="sqlite", LABEL_STUDIO_PORT="1")
    done = subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), "start"], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 2
    assert f"{data_dir} holds a Label Studio on postgres, not sqlite" in done.stderr
