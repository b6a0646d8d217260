"""One owner per setting: every option built from an argument dataclass says what its field says
(default, help, environment variable), every --device / --precision has the one default, and no
command restates a field by hand beside the ones it draws."""

from __future__ import annotations

import dataclasses

import pytest
import typer
from typer.testing import CliRunner

from khabar.cli import app
from khabar.model.infer.engine import EngineArgs
from khabar.model.net.device import DEVICE, DEVICE_ENV, PRECISION, PRECISION_ENV
from khabar.model.train.args import TrainArgs
from khabar.model.train.distill import DistillArgs

ENV = ("BASE_MODEL", "TRANSFER_BASE", DEVICE_ENV, PRECISION_ENV)
# The commands whose options are drawn from a dataclass, and from which.
DRAWN = {"train": TrainArgs, "evaluate": TrainArgs, "review-errors": TrainArgs,
         "pretrain": TrainArgs, "predict": EngineArgs, "distill": DistillArgs}  # fmt: skip


@pytest.fixture
def no_env(monkeypatch):
    for var in ENV:
        monkeypatch.delenv(var, raising=False)


def _commands() -> dict[str, tuple]:
    """name -> (the click command, what options_from recorded or None)."""
    group = typer.main.get_command(app)
    out = {}
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        out[name] = (group.commands[name], getattr(info.callback, "options_from", None))
    return out


def test_the_commands_that_draw_on_a_dataclass_say_so():
    drawn = {name: rec[0] for name, (_, rec) in _commands().items() if rec}
    assert drawn == DRAWN
    _, (cls, names) = _commands()["train"]
    with_help = [f.name for f in dataclasses.fields(TrainArgs) if "help" in f.metadata]
    assert cls is TrainArgs and names == with_help  # train takes every field


def test_every_drawn_option_has_its_fields_default_help_and_env(no_env):
    checked = 0
    for _name, (cmd, rec) in _commands().items():
        if not rec:
            continue
        cls, names = rec
        made = cls()  # the dataclass's own defaults, the environment cleared
        fields = {f.name: f for f in dataclasses.fields(cls)}
        params = {p.name: p for p in cmd.params}
        for n in names:
            p = params[n]
            assert p.default == getattr(made, n), (cmd.name, n, p.default)
            assert p.help == fields[n].metadata["help"]
            assert p.envvar == fields[n].metadata.get("envvar")
            checked += 1
    assert checked >= len(dataclasses.fields(TrainArgs)) + 8


def test_no_command_restates_a_field_it_draws_from():
    for name, (cmd, rec) in _commands().items():
        if not rec:
            continue
        cls, names = rec
        own = [p.name for p in cmd.params if p.name not in names]
        # pretrain's --epochs are passes of masked-LM training, not TrainArgs.epochs
        exempt = {"epochs"} if name == "pretrain" else set()
        restated = set(own) & {f.name for f in dataclasses.fields(cls)} - exempt
        assert not restated, (name, restated)


def test_every_device_and_precision_option_has_the_one_default(no_env):
    seen = 0
    for name, (cmd, _) in _commands().items():
        for p in cmd.params:
            if p.name in ("device", "precision"):
                want = (DEVICE, DEVICE_ENV) if p.name == "device" else (PRECISION, PRECISION_ENV)
                assert (p.default, p.envvar) == want, (name, p.name)
                seen += 1
    # train, evaluate, review-errors, predict, serve-backend; distill's device (it trains fp32)
    assert seen == 2 * 5 + 1
    assert (TrainArgs().device, TrainArgs().precision) == (DEVICE, PRECISION)
    assert (EngineArgs().device, EngineArgs().precision) == (DEVICE, PRECISION)


def test_a_value_the_dataclass_refuses_is_one_error_line(tmp_path):
    out = CliRunner().invoke(app, ["predict", "--run", str(tmp_path), "--precision", "fp16"])
    assert out.exit_code == 1
    assert "unknown precision 'fp16'" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(app, ["predict", "--run", str(tmp_path), "--engine", "spark"])
    assert out.exit_code == 1 and "unknown engine 'spark'" in out.output
