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


def _stage(tmp_path, *goal: str) -> str:
    """Run make on a stage built like the export and dataset stages: `stamp` runs the stage
    (which may leave `out` as it was), `out: stamp ;`, and `model` is built from `out`."""
    t = tmp_path
    rules = (f"{t}/stamp: {t}/in\n\t$(call stamp_from,{t}/out)\n{t}/out: {t}/stamp ;\n"
             f"{t}/model: {t}/out\n\t@echo TRAIN\n")  # fmt: skip
    done = subprocess.run(["make", "-s", f"--eval={rules}", *goal], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_n_previews_no_rebuild_after_a_finished_stage(tmp_path):
    """A stage whose file was just written stamps with that file's time (`stamp_from`), so
    `make -n` after it shows nothing to do; where the stage left the file older than its input
    (nothing new), the stamp is now, and -n may preview what make then skips."""
    (tmp_path / "in").write_text("a")
    (tmp_path / "out").write_text("b")
    (tmp_path / "model").write_text("c")
    os.utime(tmp_path / "in", (1000, 1000))
    os.utime(tmp_path / "out", (2000, 2000))  # the stage's file, written after its input
    os.utime(tmp_path / "model", (3000, 3000))
    assert _stage(tmp_path, f"{tmp_path}/stamp") == ""
    assert (tmp_path / "stamp").stat().st_mtime == 2000
    assert "TRAIN" not in _stage(tmp_path, "-n", f"{tmp_path}/model")
    os.utime(tmp_path / "in", (2500, 2500))  # a new input that changes nothing in `out`
    _stage(tmp_path, f"{tmp_path}/stamp")
    assert (tmp_path / "stamp").stat().st_mtime > 3000
    assert "TRAIN" not in _stage(tmp_path, f"{tmp_path}/model")  # make itself trains nothing


def test_a_distilled_student_is_remade_by_distill_never_trained_over(tmp_path):
    """`make train RUN=<student>` with the student older than every source trains nothing over
    it (make distill remakes it), where a plain run that old is retrained."""
    for name, info in (("plain", "{}"), ("plain-6", '{"distilled": {"layers_kept": [0, 11]}}')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(info)
        os.utime(tmp_path / name / "run.json", (1000, 1000))

    def preview(*goal: str) -> str:
        done = subprocess.run(["make", "-n", *goal], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    run = os.path.relpath(tmp_path / "plain", ROOT / "models")
    assert "khabar train" in preview("train", f"RUN={run}")
    assert "khabar train" not in preview("train", f"RUN={run}-6")
    assert f"khabar distill --run models/{run} " in preview("distill", f"RUN={run}")
