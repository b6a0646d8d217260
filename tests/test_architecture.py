"""The layers of src/khabar (.importlinter) hold, and they catch what they are there to catch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)  # fmt: skip


def test_the_committed_contracts_are_kept():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the cleaner reaching up into Label Studio: layers, and a cycle through annotations
        ("corpus/clean.py", "from khabar.studio import sync", "Stages are layered"),
        ("dataset/rows.py", "from khabar.studio import queue", "Stages are layered"),
        ("model/infer/prediction.py", "from khabar.studio.sync import push", "never talk to Label"),
        ("annotations/gold.py", "import requests", "Only the studio client"),
        ("corpus/sentences.py", "from khabar.corpus import clean", "No import cycles"),
        # the network reaching up to a trainer: the model's rooms
        ("model/net/inputs.py", "from khabar.model.train import fitting", "rooms are layered"),
    ],
)
def test_each_contract_breaks_on_its_violation(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "src" / "khabar", tmp_path / "khabar")
    shutil.copy(ROOT / ".importlinter", tmp_path)
    with (tmp_path / "khabar" / module).open("a", encoding="utf-8") as fh:
        fh.write(f"\n{line}  # noqa\n")
    # The copy, not the installed khabar, is the one analysed.
    proc = lint_imports(tmp_path, dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert broken in proc.stdout.replace("\n", " ") and "BROKEN" in proc.stdout


def test_help_lists_commands_in_pipeline_order():
    from khabar.cli import app
    from khabar.cli.app import PIPELINE

    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    listed = re.findall(r"^│ ([a-z][a-z-]*)\s{2,}\S", out, flags=re.M)  # the command column
    assert listed == list(PIPELINE)
