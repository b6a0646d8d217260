"""Rules the suite keeps about itself: every command a test starts has a deadline, so one hung
subprocess fails its test instead of hanging the whole run."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

WAITING = {"run", "call", "check_call", "check_output"}  # Popen: its communicate/wait has one


def calls_without_timeout(source: str) -> list[int]:
    """Lines of subprocess.run/call/check_call/check_output calls that give no timeout."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess"
        and node.func.attr in WAITING and "timeout" not in {k.arg for k in node.keywords}
    ]  # fmt: skip


def test_every_subprocess_a_test_starts_has_a_timeout():
    missing = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (lines := calls_without_timeout(path.read_text(encoding="utf-8")))
    }
    assert not missing, f"subprocess calls without timeout= (file: lines): {missing}"


def test_the_rule_sees_a_call_without_one():
    src = (
        "import subprocess\nsubprocess.run(['true'], timeout=5)\nsubprocess.check_output(\n['x'])\n"
    )
    assert calls_without_timeout(src) == [3]
    assert calls_without_timeout(Path(__file__).read_text(encoding="utf-8")) == []
