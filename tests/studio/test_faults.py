"""Faults against a real server: Label Studio killed (SIGKILL) at an exact point of `export` and of
`push-predictions`, then started again; and two `khabar push` at once.

The server is this module's own (killing the session's would break other tests). khabar talks to
it through a small TCP relay that sees each HTTP request line, so the kill lands exactly where the
test wants it: after the export snapshot was created and before it is downloaded, or after the
bulk import of predictions was sent."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from khabar.dataset.build import saved_digest
from khabar.studio.client import Client
from tests.conftest import (
    ROOT,
    TOKEN,
    _free_port,
    label_studio_env,
    label_studio_script,
    run_khabar,
)


class Relay:
    """A TCP relay localhost:port -> the server that calls `trip` once, before forwarding the
    first request whose request line `when` accepts (then that request goes nowhere)."""

    def __init__(self, target: int):
        self.target, self.port = target, _free_port()
        self.when: Callable[[str], bool] | None = None
        self.trip: Callable[[], None] = lambda: None
        self.seen: list[str] = []
        self._srv = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, when: Callable[[str], bool], trip: Callable[[], None]) -> None:
        """Call `trip` before the next request that `when` accepts."""
        self.when, self.trip = when, trip

    def _accept(self) -> None:
        while True:
            conn, _ = self._srv.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            up = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            conn.close()  # the server is down: the client sees a refused-like failure
            return
        threading.Thread(target=self._pump, args=(up, conn, False), daemon=True).start()
        self._pump(conn, up, True)

    def _pump(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        try:
            while data := src.recv(65536):
                if requests and data[:8].split(b" ")[0] in (b"GET", b"POST", b"PATCH", b"DELETE"):
                    line = data.split(b"\r\n", 1)[0].decode("latin-1")
                    self.seen.append(line)
                    if self.when and self.when(line):
                        self.when = None
                        self.trip()
                        break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A Label Studio of this module's own, reached through a Relay; (relay, env, kill, start)."""
    port = _free_port()
    env = label_studio_env(tmp_path_factory.mktemp("faults-ls"), port)
    label_studio_script("start", env)
    relay = Relay(port)
    pid_file = os.path.join(env["LS_DATA_DIR"], "server.pid")

    def kill() -> None:
        """SIGKILL the server's whole process group, as a crash or an OOM kill would."""
        pid = int(open(pid_file).read())
        os.killpg(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.1)

    def start() -> None:
        label_studio_script("start", env)

    cli_env = dict(os.environ, LABEL_STUDIO_URL=f"http://127.0.0.1:{relay.port}",
                   LABEL_STUDIO_API_KEY=TOKEN)  # fmt: skip
    yield relay, cli_env, kill, start
    subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), "stop"], env=env,
                   capture_output=True, text=True, timeout=600)  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _khabar(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "khabar.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)  # fmt: skip


def _files(folder) -> dict:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_server_killed_during_export_and_push_predictions_then_rerun(
    own_server, tiny_run, tmp_path
):
    relay, env, kill, start = own_server
    env = dict(env, KHABAR_PROJECT=f"faults-{uuid.uuid4().hex[:6]}")
    cleaned, tasks = tmp_path / "cleaned.jsonl", tmp_path / "tasks.json"
    run_khabar("ingest", ROOT / "datasets" / "raw", "--out", cleaned, env=env)
    run_khabar("tasks", "--articles", cleaned, "--out", tasks, env=env)
    run_khabar("push", "--tasks", tasks, env=env)
    run_khabar("load-annotations", "--gold", ROOT / "annotation" / "gold", "--tasks", tasks,
               env=env)  # fmt: skip
    out = tmp_path / "export" / "export.json"
    export = ("export", "--out", out, "--dataset", tmp_path / "ds", "--conll", tmp_path / "conll",
              "--splits", tmp_path / "splits.tsv")  # fmt: skip
    run_khabar(*export, env=env)
    before = _files(tmp_path / "export") | _files(tmp_path / "ds")

    # 1. Killed between creating the export snapshot and downloading it.
    relay.arm(lambda line: "/exports/" in line and line.startswith("GET"), kill)
    failed = _khabar(*export, env=env)
    assert failed.returncode != 0
    said = (failed.stdout + failed.stderr).strip()
    assert "Traceback" not in said and "Label Studio" in said.splitlines()[-1], said
    assert any("/exports" in line and line.startswith("POST") for line in relay.seen)
    assert _files(tmp_path / "export") | _files(tmp_path / "ds") == before  # nothing half-written
    assert not list(tmp_path.rglob("*.tmp"))
    start()
    assert "5/5 tasks used" in run_khabar(*export, env=env)
    # An export into fresh folders (splits assigned anew) builds the same dataset.
    run_khabar("export", "--out", tmp_path / "again.json", "--dataset", tmp_path / "ds2",
               "--conll", tmp_path / "conll2", "--splits", tmp_path / "splits2.tsv",
               env=env)  # fmt: skip
    assert saved_digest(tmp_path / "ds2") == saved_digest(tmp_path / "ds")

    # 2. Pushed once, then killed on the rerun's bulk import (after it deleted the version it
    # replaces): the next run leaves exactly one prediction of the run per task.
    preds = tmp_path / "preds.jsonl"
    run_khabar("predict", "--run", tiny_run.path, "--articles", cleaned, "--out", preds, env=env)
    run_khabar("push-predictions", "--predictions", preds, env=env)

    def bulk_import(line: str) -> bool:
        return line.startswith("POST /api/projects/") and "/import/predictions" in line

    relay.arm(bulk_import, kill)
    failed = _khabar("push-predictions", "--predictions", preds, env=env)
    assert failed.returncode != 0 and "Traceback" not in failed.stdout + failed.stderr
    assert any(line.startswith("DELETE") and "model-versions" in line for line in relay.seen)
    start()
    run_khabar("push-predictions", "--predictions", preds, env=env)
    run_khabar("push-predictions", "--predictions", preds, env=env)  # and once more
    client = Client(env["LABEL_STUDIO_URL"], TOKEN)
    version = json.loads(preds.read_text("utf-8").splitlines()[0])["model_version"]
    tasks_now = client.tasks(client.find_project(env["KHABAR_PROJECT"]))
    assert len(tasks_now) == 5
    for t in tasks_now:
        assert [p["model_version"] for p in t["predictions"]].count(version) == 1, t["id"]


def test_two_pushes_at_once_import_each_task_once(label_studio, ls_env, tmp_path):
    tasks = [{"data": {"text": f"मोदी {i}", "article_id": f"race-{i}", "content_hash": str(i),
                       "sentences": json.dumps([[0, 6 + len(str(i))]])}}
             for i in range(60)]  # fmt: skip
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    cmd = [sys.executable, "-m", "khabar.cli", "push", "--tasks", str(path), "--chunk-size", "10"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=ls_env, cwd=ROOT) for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    client = Client(*label_studio)
    title = ls_env["KHABAR_PROJECT"]
    # Unlocked, each made a project of that title and imported into its own.
    assert [p.title for p in client.call(client.sdk.projects.list, title=title)] == [title]
    ids = [t["data"]["article_id"] for t in client.tasks(client.find_project(title))]
    assert sorted(ids) == sorted(t["data"]["article_id"] for t in tasks)  # none twice
    said = "".join(o + e for o, e in outs)
    assert "60 tasks imported, 0 already there" in said and "0 tasks imported, 60 already" in said
