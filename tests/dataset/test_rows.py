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


def test_an_export_streamed_from_its_file_builds_the_same_rows(tmp_path, schema):
    """`khabar export` parses the snapshot task by task (ijson); nothing changes but memory."""
    from khabar.io import iter_items, write_json

    modi = TEXT.index("मोदी")
    tasks = [task(1, [span("m", modi, modi + 4, "PER")]), task(2, [])]
    tasks[1]["data"]["article_id"] = "second"
    write_json(tmp_path / "export.json", tasks)
    streamed = iter_items(tmp_path / "export.json")
    assert not isinstance(streamed, list)
    rows, report = build_rows(streamed, schema)
    assert (rows, report.tasks) == (build_rows(tasks, schema)[0], 2)
