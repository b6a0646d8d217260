"""`khabar validate-gold`: passes on the seed gold, fails with one clear line on a broken file."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import GOLD, ROOT


def test_validate_gold_cli_passes_and_fails(tmp_path, seed_articles):
    from khabar.corpus.article import write_articles

    cleaned = tmp_path / "articles.jsonl"
    write_articles(seed_articles, cleaned)
    cmd = [sys.executable, "-m", "khabar.cli", "validate-gold", "--articles", str(cleaned)]
    ok = subprocess.run(
        [*cmd, "--gold", str(GOLD)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert ok.returncode == 0 and "5 gold files valid" in ok.stdout, ok.stdout + ok.stderr
    broken = tmp_path / "gold"
    broken.mkdir()
    src = sorted(GOLD.glob("*.json"))[0]
    item = json.loads(src.read_text(encoding="utf-8"))
    item["annotations"][0]["result"][0]["value"]["start"] += 1
    (broken / src.name).write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run(
        [*cmd, "--gold", str(broken)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert bad.returncode == 1 and "text mismatch" in bad.stderr
    assert "Traceback" not in bad.stderr
