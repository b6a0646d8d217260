"""Datelines are found only where a place can be: not a handle opening a tweet-only article, not a
heading (with or without a zero-width joiner), not a numbered label of a long article."""

from __future__ import annotations

import pytest

from khabar.corpus.clean import clean
from khabar.corpus.metadata import parse_dateline, plausible_place
from khabar.corpus.read import RawDoc

ZWJ = "\u200d"
BODY = "विदेश मंत्री एस जयशंकर ने बुधवार को रूसी समकक्ष सर्गेई लावरोव से मुलाकात की।"


@pytest.mark.parametrize(
    ("paragraph", "place", "date"),
    [
        ("मास्को, 18 नवंबर (आईएएनएस)। रूस ने कहा।", "मास्को", "2025-11-18"),
        (f"नई दिल्ली: {BODY}", "नई दिल्ली", None),
        (f"Moscow: {BODY}", "Moscow", None),
    ],
)
def test_real_datelines_are_kept(paragraph, place, date):
    found = parse_dateline(paragraph, 2025)
    assert found is not None and found["place"] == place and found["date"] == date


@pytest.mark.parametrize(
    "paragraph",
    [
        "@DrSJaishankar: Had a very good meeting with FM Sergey Lavrov in Moscow today.",
        "#SCOSummit: भारत ने आतंकवाद पर कड़ा रुख अपनाया।",
        f"भारत{ZWJ}-रूस: नई साझेदारी की ओर",  # a heading with a ZWJ inside
        f"भारत{ZWJ}: {BODY}",
        "रणनीतिक साझेदारी: नई दिशा",  # a heading without one
        "अनुच्छेद 0: यह समझौता दोनों पक्षों के हस्ताक्षर के दिन से लागू होगा।",
        "अनुच्छेद 12, 3 मार्च: संशोधन लागू हुआ।",
        "धारा ४: दोनों देश सूचना साझा करेंगे।",
    ],
)
def test_what_only_looks_like_a_dateline_is_none(paragraph):
    assert parse_dateline(paragraph, 2025) is None


def test_a_place_is_one_or_two_words_of_letters():
    assert plausible_place("नई दिल्ली") and plausible_place("St. Petersburg")
    assert not plausible_place("@narendramodi") and not plausible_place(f"मॉस्को{ZWJ}")
    assert not plausible_place("अनुच्छेद 0") and not plausible_place("संयुक्त राष्ट्र महासभा")


@pytest.mark.parametrize(
    "text",
    [
        # a tweet-only article that opens with the handle
        "@DrSJaishankar: Good to meet FM Sergey Lavrov in Moscow today. Discussed bilateral "
        "ties.\n\nदोनों नेताओं ने द्विपक्षीय संबंधों पर चर्चा की।",
        # a heading line with a ZWJ, then the body
        f"भारत{ZWJ}-रूस: रिश्तों में नई गर्मजोशी\n\n{BODY}",
        # a long article with numbered paragraphs
        "\n\n".join(
            f"अनुच्छेद {i}: दोनों पक्ष इस प्रावधान का पालन करेंगे और सूचना साझा करेंगे।" for i in range(5)
        ),  # fmt: skip
    ],
)
def test_articles_of_these_kinds_get_no_dateline(text):
    art = clean(RawDoc(text=text, origin="case.txt"))
    assert art.dateline is None
