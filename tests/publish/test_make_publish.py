"""`make publish-dataset` / `make publish-model` create a private repository unless PUBLIC=1."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(("extra", "public"), [([], False), (["PUBLIC=1"], True)])
def test_public_reaches_both_publish_commands(extra, public):
    done = subprocess.run(["make", "-n", "publish-dataset", "publish-model", *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if "khabar publish " in line]
    assert len(lines) == 2, done.stdout + done.stderr
    assert all(("--public" in line) == public for line in lines)
