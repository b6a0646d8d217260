"""Property-based tests of the pure core (hypothesis): on random Devanagari, Latin and emoji text,
tokens keep exact offsets, spans survive BIO and back, and the export validator never raises and
keeps each region exactly or reports it."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar.annotations.validate import Checks, validate_regions
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL
from khabar.spans import Span, bio_to_spans, spans_to_bio, tokenize

# Pieces of news text: Devanagari letters, vowel signs, virama and nukta; Latin; digits; emoji
# (astral, with skin tone, a flag, a ZWJ family); danda, punctuation, spaces, ZWJ/ZWNJ, NBSP.
PIECES = st.one_of(
    st.characters(min_codepoint=0x0900, max_codepoint=0x097F),
    st.sampled_from(["क्ष", "जयशंकर", "मॉस्को", "ऩ", "श्री", "क़"]),
    st.sampled_from(list("abcXYZ0123456789")),
    st.sampled_from(["😀", "👍🏽", "🇮🇳", "👨‍👩‍👧", "𝐀"]),
    st.sampled_from(
        [
            " ",
            "  ",
            "।",
            ",",
            ".",
            "-",
            "!",
            "?",
            "\n",
            "\t",
            "\u200c",
            "\u200d",
            "\u00a0",
            "'",
            '"',
            ":",
            "#",
            "@",
            "https://x.in/a",
        ]
    ),  # fmt: skip
)
TEXTS = st.lists(PIECES, max_size=40).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXTS, st.integers(0, 50))
def test_tokens_keep_exact_offsets_and_cover_every_visible_character(text, offset):
    tokens = tokenize(text, offset)
    covered = [0] * len(text)
    last = offset
    for t in tokens:
        assert t.text and not t.text.isspace()
        assert text[t.start - offset : t.end - offset] == t.text
        assert t.start >= last  # in order, never overlapping
        last = t.end
        for i in range(t.start - offset, t.end - offset):
            covered[i] += 1
    for ch, n in zip(text, covered, strict=True):
        assert n == (0 if ch.isspace() else 1), (ch, text)


@st.composite
def text_and_spans(draw):
    """A text and non-overlapping labelled spans on its token boundaries."""
    text = draw(TEXTS)
    tokens = tokenize(text)
    cuts = sorted(draw(st.sets(st.integers(0, len(tokens)), max_size=8)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < b:
            label = draw(st.sampled_from(["PER", "LOC", "ORG"]))
            spans.append(Span(tokens[a].start, tokens[b - 1].end, label,
                              text[tokens[a].start : tokens[b - 1].end]))  # fmt: skip
    return text, tokens, spans


@SETTINGS
@given(text_and_spans())
def test_spans_round_trip_through_bio(case):
    text, tokens, spans = case
    tags, warnings = spans_to_bio(tokens, spans)
    assert not warnings
    assert bio_to_spans(tokens, tags, text) == spans


@st.composite
def task_and_regions(draw, schema):
    """A task with sentences, and regions of every kind of wrong: out of range, reversed, empty,
    mismatched text, unknown labels and controls, UTF-16 offsets after emoji, overlaps."""
    text = draw(TEXTS.filter(bool))
    cut = draw(st.integers(0, len(text)))
    sentences = [[0, cut], [cut, len(text)]] if 0 < cut < len(text) else [[0, len(text)]]
    n = len(text)
    regions = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(st.integers(-2, n + 2))
        end = draw(st.integers(-2, n + 3))
        control = draw(st.sampled_from([ENTITY_CONTROL, ENTITY_CONTROL, TRIGGER_CONTROL, "x"]))
        names = schema.entity_names if control == ENTITY_CONTROL else schema.event_names
        label = draw(st.sampled_from([*names, "NOPE"]))
        exact = text[start:end] if 0 <= start <= end <= n else ""
        shown = draw(st.sampled_from([exact, exact, exact + "x", text.encode("utf-16-le")
                                      [2 * max(start, 0) : 2 * max(end, 0)]
                                      .decode("utf-16-le", "ignore")]))  # fmt: skip
        regions.append({"id": f"r{i}", "from_name": control, "to_name": "text",
                        "type": "labels", "value": {"start": start, "end": end,
                                                    "text": shown, "labels": [label]}})  # fmt: skip
    task = {"id": 1, "data": {"text": text, "article_id": "a", "sentences": json.dumps(sentences)}}
    return task, {"id": 7, "result": regions}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validator_never_raises_and_keeps_a_region_exactly_or_reports_it(schema, data):
    task, ann = data.draw(task_and_regions(schema))
    report = Checks()
    kept, _ = validate_regions(task, ann, schema, report)
    given_regions = {r["id"]: r["value"] for r in ann["result"]}
    assert len(kept) + report.regions_dropped == len(given_regions)
    assert len(report.problems) >= report.regions_dropped  # every drop says why
    text = task["data"]["text"]
    repaired = 0
    for r in kept:
        v = given_regions[r.id]
        assert text[r.start : r.end] == r.text == v["text"] and r.start < r.end
        if (r.start, r.end) != (v["start"], v["end"]):
            repaired += 1  # counted in UTF-16 code units, moved onto code points
    assert repaired <= report.repaired_offsets
