"""Span / token / BIO conversions on small Devanagari fixtures."""

from __future__ import annotations

from khabar.spans import (
    Span,
    bio_to_spans,
    sentence_of,
    spans_to_bio,
    tokenize,
    utf16_to_index,
    word_windows,
)


def test_tokens_keep_exact_offsets():
    text = "भारत-रूस संबंध 2024-25 में। डॉ. एस. जयशंकर 😀 @DrSJaishankar ने कहा, ‘‘ठीक’’"
    toks = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in toks)
    words = [t.text for t in toks]
    assert words[:3] == ["भारत", "-", "रूस"]
    assert "।" in words and "😀" in words and "@DrSJaishankar" in words
    assert ["2024", "-", "25"] == words[4:7]


def test_vowel_signs_stay_in_words():
    assert [t.text for t in tokenize("मंत्रियों ने तेज़ी से")] == ["मंत्रियों", "ने", "तेज़ी", "से"]
    assert [t.text for t in tokenize("19वीं शताब्दी")] == ["19वीं", "शताब्दी"]


def test_hyphenated_compound_carries_two_spans():
    text = "भारत-रूस वार्ता"
    toks = tokenize(text)
    tags, warnings = spans_to_bio(toks, [Span(0, 4, "LOC"), Span(5, 8, "LOC")])
    assert tags == ["B-LOC", "O", "B-LOC", "O"] and not warnings
    assert [(s.start, s.end, s.text) for s in bio_to_spans(toks, tags, text)] == [
        (0, 4, "भारत"),
        (5, 8, "रूस"),
    ]


def test_bio_round_trip_multiword():
    text = "शंघाई सहयोग संगठन की बैठक सोमवार को"
    toks = tokenize(text)
    spans = [Span(0, 17, "ORG"), Span(26, 32, "DATE")]
    tags, _ = spans_to_bio(toks, spans)
    assert tags == ["B-ORG", "I-ORG", "I-ORG", "O", "O", "B-DATE", "O"]
    back = bio_to_spans(toks, tags, text)
    assert [(s.start, s.end, s.label) for s in back] == [(0, 17, "ORG"), (26, 32, "DATE")]
    assert back[0].text == "शंघाई सहयोग संगठन"


def test_nested_keeps_outer_and_crossing_warns():
    text = "रूस-भारत मंच 2025 में"
    toks = tokenize(text)
    tags, warnings = spans_to_bio(toks, [Span(0, 3, "LOC"), Span(0, 17, "EVENT")])
    assert tags[:5] == ["B-EVENT", "I-EVENT", "I-EVENT", "I-EVENT", "I-EVENT"] and not warnings
    tags, warnings = spans_to_bio(toks, [Span(0, 12, "EVENT"), Span(9, 17, "DATE")])
    assert any("crosses" in w for w in warnings)


def test_partial_token_span_is_reported():
    toks = tokenize("रूसी सेना")
    tags, warnings = spans_to_bio(toks, [Span(0, 3, "LOC")])
    assert tags[0] == "B-LOC" and "token boundaries" in warnings[0]


def test_utf16_offsets_after_emoji():
    text = "😀😀 मोदी"
    # JavaScript counts each emoji as two code units: मोदी starts at 5 there, 3 here.
    assert utf16_to_index(text, 5) == 3 and text[3:] == "मोदी"
    assert utf16_to_index("मोदी", 2) == 2


def test_sentence_of():
    sents = [[0, 10], [11, 20]]
    assert sentence_of(sents, 2, 5) == 0
    assert sentence_of(sents, 12, 20) == 1
    assert sentence_of(sents, 8, 13) is None


def test_word_windows_cover_every_word_once_within_budget():
    lengths = [1, 3, 1, 2, 2, 1, 4, 1, 1, 2, 1, 1]
    wins = word_windows(lengths, budget=6, overlap=2)
    owned = [w for _, _, s, e in wins for w in range(s, e)]
    assert owned == list(range(len(lengths)))  # each word owned once, in order
    for s, e, own_s, own_e in wins:
        assert s <= own_s <= own_e <= e
        assert sum(lengths[s:e]) <= 6
    assert all(b[0] < a[1] for a, b in zip(wins, wins[1:], strict=False))  # windows overlap


def test_word_windows_short_long_and_empty():
    assert word_windows([1, 1, 1], 10, 2) == [(0, 3, 0, 3)]
    assert word_windows([], 10, 2) == [(0, 0, 0, 0)]
    # A word longer than the budget gets a window of its own instead of being dropped.
    assert word_windows([1, 9, 1], 4, 1) == [(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 3)]


def test_bio_decode_repairs_what_argmax_would_break():
    from khabar.spans import bio_decode

    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    # argmax: O I-PER I-PER (a span with no beginning) -> the best valid reading is B-PER I-PER
    probs = [[0.9, 0.05, 0.02, 0.02, 0.01], [0.3, 0.3, 0.35, 0.03, 0.02],
             [0.1, 0.05, 0.8, 0.03, 0.02]]  # fmt: skip
    assert [labels[i] for i in bio_decode(probs, labels)] == ["O", "B-PER", "I-PER"]
    # argmax: B-LOC I-PER -> I-PER cannot continue LOC; I-LOC can
    probs = [[0.0, 0.1, 0.0, 0.9, 0.0], [0.1, 0.0, 0.5, 0.0, 0.4]]
    assert [labels[i] for i in bio_decode(probs, labels)] == ["B-LOC", "I-LOC"]
    # a valid argmax is left alone
    probs = [[0.1, 0.8, 0.05, 0.05, 0.0], [0.7, 0.1, 0.1, 0.05, 0.05]]
    assert bio_decode(probs, labels) == [1, 0]
    assert bio_decode([], labels) == []
