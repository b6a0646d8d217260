"""What the Makefile's variables resolve to, as the docs promise."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import ROOT


def make_var(name: str, *assignments: str, env: dict | None = None) -> str:
    """The value `name` has in the Makefile with these assignments on the command line."""
    done = subprocess.run(["make", "-s", f"--eval=show-var: ; @echo '[$({name})]'", "show-var",
                           *assignments], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()[1:-1]


@pytest.mark.parametrize(("assignments", "base"), [
    ((), ""),  # the default run: the e5 base
    (("RUN=scratch",), "scratch"),  # a run named scratch is khabar's own small BERT
    (("RUN=scratch", "BASE_MODEL=models/base-mlm"), "models/base-mlm"),  # what is given wins
    (("RUN=other",), ""),
])  # fmt: skip
@pytest.mark.parametrize("outer", [None, ""])  # BASE_MODEL unset, or empty as make exports it
def test_run_scratch_trains_khabars_own_bert(assignments, base, outer):
    env = {k: v for k, v in os.environ.items() if k != "BASE_MODEL"}
    if outer is not None:
        env["BASE_MODEL"] = outer
    assert make_var("BASE_MODEL", *assignments, env=env) == base
