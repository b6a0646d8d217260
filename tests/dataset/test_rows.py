"""Sentence rows of an export: disagreement between annotations is reported."""

from __future__ import annotations

from khabar.dataset.rows import build_rows
from tests.conftest import TEXT, span, task


def test_disagreement_is_reported(schema):
    modi = TEXT.index("मोदी")
    t = task(1, [span("m", modi, modi + 4, "PER")])
    t["annotations"].append(
        {"id": 11, "result": [], "was_cancelled": False, "updated_at": "2026-02-01"}
    )
    _, report = build_rows([t], schema)
    assert report.disagreements == 1
