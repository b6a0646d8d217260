"""Every command that talks to Label Studio says, in its --help, how to name the server."""

from __future__ import annotations

import ast

from typer.testing import CliRunner

from khabar.cli import app
from tests.conftest import ROOT


def _server_commands() -> list[list[str]]:
    """The command lines (group, name) of every command whose function calls `connect()`."""
    found = []
    for f in sorted((ROOT / "src" / "khabar" / "cli").glob("*.py")):
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
                continue
            if not any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "connect"
                       for n in ast.walk(node)):  # fmt: skip
                continue
            deco = node.decorator_list[0]
            group = deco.func.value.id if isinstance(deco, ast.Call) else "app"
            name = (deco.args[0].value if isinstance(deco, ast.Call) and deco.args
                    else node.name.replace("_", "-"))  # fmt: skip
            found.append(["annotators", name] if group == "annotators_app" else [name])
    return found


def test_every_server_command_names_the_settings_in_its_help():
    commands = _server_commands()
    assert ["export"] in commands and ["queue"] in commands and len(commands) >= 10
    for argv in commands:
        out = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "200"}).output
        assert "LABEL_STUDIO_URL" in out and "KHABAR_PROJECT" in out, argv
