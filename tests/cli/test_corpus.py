"""`khabar ingest`: a bad file makes the exit code non-zero after the good ones are written."""

from __future__ import annotations

import subprocess
import sys

from khabar.corpus.article import read_articles


def test_cli_exits_nonzero_after_processing_good_files(tmp_path):
    (tmp_path / "a.txt").write_text("भारत और रूस के बीच वार्ता हुई।", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bad")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "khabar.cli", "ingest", str(tmp_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1
    assert "b.txt" in proc.stderr and "Traceback" not in proc.stderr
    assert len(read_articles(out)) == 1
