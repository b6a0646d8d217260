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
    )
    assert proc.returncode == 1
    assert "not reachable" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().count("\n") == 0
