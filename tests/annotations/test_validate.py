"""Export validation: every region and relation checked against text, schema and sentences;
problems kept."""

from __future__ import annotations

from khabar.dataset.rows import build_rows
from tests.conftest import TEXT, rel, span, task


def test_valid_regions_and_relations(schema):
    modi = TEXT.index("मोदी")
    meet = TEXT.index("मुलाकात")
    result = [
        span("m", modi, modi + 4, "PER"),
        span("t", meet, meet + 7, "MEET", "trigger"),
        rel("t", "m", "participant"),
    ]
    rows, report = build_rows([task(1, result)], schema)
    assert not report.problems
    row = rows["a1"][0]
    assert row["entities"][0]["text"] == "मोदी"
    assert row["arguments"] == [{"trigger_id": "t", "entity_id": "m", "role": "participant"}]
    assert row["event_types"] == ["MEET"]
    assert "B-PER" in row["ner_tags"]


def test_problems_are_reported_never_silently_lost(schema):
    modi = TEXT.index("मोदी")
    result = [
        span("bad-text", modi, modi + 4, "PER", text="पुतिन"),
        span("bad-label", modi, modi + 4, "PERSON"),
        span("cross", 35, 45, "LOC"),
        rel("gone", "bad-label", "participant"),
    ]
    cancelled = task(2, [], article="a2")
    cancelled["annotations"][0]["was_cancelled"] = True
    empty = task(3, [], article="a3")
    empty["annotations"] = []
    rows, report = build_rows([task(1, result), cancelled, empty], schema)
    reasons = [p.reason for p in report.problems]
    assert "text mismatch" in reasons
    assert "unknown label 'PERSON' for entity" in reasons
    assert "region crosses a sentence boundary" in reasons
    assert "relation end missing" in reasons
    assert reasons.count("cancelled annotation") == 1
    assert reasons.count("no annotations") == 2  # the cancelled-only task and the empty one
    assert report.regions_dropped == 3 and report.relations_dropped == 1
    assert set(rows) == {"a1"}


def test_utf16_offsets_from_the_browser_are_repaired(schema):
    modi = TEXT.index("मोदी")
    # The browser counts the emoji as two code units: its offsets are one higher.
    result = [span("m", modi + 1, modi + 5, "PER", text="मोदी")]
    rows, report = build_rows([task(1, result)], schema)
    assert report.repaired_offsets == 1 and not report.problems
    ent = rows["a1"][0]["entities"][0]
    assert (ent["start"], ent["end"]) == (modi, modi + 4)


def test_relation_rules(schema):
    modi, meet = TEXT.index("मोदी"), TEXT.index("मुलाकात")
    bharat = TEXT.index("भारत")
    result = [
        span("m", modi, modi + 4, "PER"),
        span("t", meet, meet + 7, "MEET", "trigger"),
        span("b", bharat, bharat + 4, "LOC"),
        rel("m", "t", "participant"),  # reversed: normalised
        rel("t", "m", "time"),  # PER cannot be a time
        rel("t", "b", "place"),
    ]  # crosses sentences
    rows, report = build_rows([task(1, result)], schema)
    assert rows["a1"][0]["arguments"] == [
        {"trigger_id": "t", "entity_id": "m", "role": "participant"}
    ]
    reasons = {p.reason for p in report.problems}
    assert {"role time does not take a PER", "argument crosses sentences"} <= reasons


def test_overlap_policy(schema):
    modi = TEXT.index("मोदी")
    result = [
        span("a", modi, modi + 4, "PER"),
        span("b", modi, modi + 4, "LOC"),
        span("c", modi + 2, modi + 7, "ORG"),
    ]
    _, report = build_rows([task(1, result)], schema)
    assert [p.reason for p in report.problems] == ["overlap", "overlap"]
