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
    modi, moscow = TEXT.index("मोदी"), TEXT.index("मॉस्को")
    result = [
        span("a", modi, modi + 4, "PER"),
        span("b", modi, modi + 4, "LOC"),
        span("c", modi, moscow - 1, "ORG"),  # मोदी ने: whole words, the PER nested in it…
        span("d", moscow - 3, moscow + 6, "LOC"),  # …and ने मॉस्को crosses it
    ]
    _, report = build_rows([task(1, result)], schema)
    assert [p.reason for p in report.problems] == ["overlap", "overlap"]


# ---------------------------------------------------------------- Hindi-aware span edges

EDGES = "डॉ. एस जयशंकर ने क्षेत्र में कहा।"


def _edges(start: int, end: int) -> list[str]:
    from khabar.annotations.validate import bounds, edge_problems

    return edge_problems(EDGES, start, end, bounds(EDGES))


def test_span_edges_are_checked_the_hindi_way():
    j = EDGES.index("जयशंकर")
    assert _edges(j, j + 6) == []  # जयशंकर, whole
    assert _edges(j, j + 5) == ["cuts a word"]  # जयशंक|र: whole graphemes, half a word
    # क|्षेत्र: between a consonant and its virama, inside one grapheme cluster
    k = EDGES.index("क्षेत्र")
    assert "edge inside a grapheme cluster" in _edges(k, k + 1)
    assert "starts with a vowel sign or virama" in _edges(k + 1, k + 7)
    assert _edges(j - 1, j + 6) == ["starts with a space"]
    assert _edges(j, j + 7) == ["ends with a space"]
    assert _edges(EDGES.index("कहा"), len(EDGES)) == ["ends with punctuation '।'"]
    dr = EDGES.index("डॉ.")
    assert _edges(dr, dr + 3) == ["ends with punctuation '.'"]


def test_zwj_at_an_edge_is_reported():
    from khabar.annotations.validate import bounds, edge_problems

    text = "क्\u200dष भारत"
    assert "ends with ZWJ/ZWNJ" in edge_problems(text, 0, 3, bounds(text))


def test_snap_words_moves_a_cut_region_onto_the_word_and_counts_it(schema):
    from khabar.annotations.validate import SNAPPED, STATE

    modi, moscow = TEXT.index("मोदी"), TEXT.index("मॉस्को")
    result = [
        span("m", modi, modi + 3, "PER"),  # मोद|ी: ends before the vowel sign
        span("l", moscow - 1, moscow + 6, "LOC"),  # ' मॉस्को': a space at the start
    ]
    rows, report = build_rows([task(1, result)], schema)
    assert report.regions_dropped == 2 and report.snapped == 0
    assert {p.reason for p in report.problems} >= {"edge inside a grapheme cluster",
                                                   "starts with a space"}  # fmt: skip
    rows, report = build_rows([task(1, result)], schema, snap_words=True)
    ents = rows["a1"][0]["entities"]
    assert [(e["text"], e["label"]) for e in ents] == [("मोदी", "PER"), ("मॉस्को", "LOC")]
    assert report.snapped == 2 and report.regions_dropped == 0
    assert [p.severity for p in report.problems if p.reason == SNAPPED] == [STATE, STATE]
