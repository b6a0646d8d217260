"""Hindi time expressions, and every DATE span of the gold against its hand-checked value."""

from datetime import date

import pytest

from khabar.events.build import read_date_truth
from khabar.events.dates import (
    Anchor,
    article_anchor,
    infer_anchor,
    is_future,
    normalise,
    post_anchors,
)
from khabar.events.evaluate import date_scores
from khabar.events.mentions import event_mentions, records_from_gold
from khabar.events.names import Aliases, Canonicaliser
from tests.conftest import ROOT

TUESDAY = Anchor(date(2025, 11, 18), "dateline")


@pytest.mark.parametrize(
    ("text", "future", "value", "granularity"),
    [
        ("सोमवार", False, "2025-11-17", "day"),
        ("सोमवार को", True, "2025-11-24", "day"),  # a Monday still to come
        ("मंगलवार", False, "2025-11-18", "day"),  # the anchor's own weekday is that day
        ("शुक्रवार", False, "2025-11-14", "day"),
        ("सोमवार की शाम", False, "2025-11-17", "day"),
        ("17-18 नवंबर", False, "2025-11-17/2025-11-18", "days"),
        ("१९-२१ अगस्त २०२५", False, "2025-08-19/2025-08-21", "days"),  # Devanagari digits
        ("सोमवार, 17 नवंबर", False, "2025-11-17", "day"),
        ("दिसंबर", False, "2025-12", "month"),  # the nearest December: the coming one
        ("दिसंबर 2023", False, "2023-12", "month"),
        ("5 दिसंबर", False, "2025-12-05", "day"),
        ("2021 में", False, "2021", "year"),
        ("साल 2019", False, "2019", "year"),
        ("2024-25", False, "FY2024-25", "fiscal-year"),
        ("August 21, 2025", False, "2025-08-21", "day"),
        ("आज", False, "2025-11-18", "day"),
        ("कल", False, "2025-11-17", "day"),
        ("कल", True, "2025-11-19", "day"),
        ("इस सप्ताह", False, "2025-W47", "week"),
        ("पिछले वर्ष", False, "2024", "year"),
        ("अगले महीने", False, "2025-12", "month"),
        ("इस साल के आखिर", False, "2025-Q4", "quarter"),
    ],
)
def test_normalise(text, future, value, granularity):
    t = normalise(text, TUESDAY, future=future)
    assert (t.status, t.value, t.granularity) == ("resolved", value, granularity)
    assert t.start <= t.end


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("सोवियत काल", "names no calendar time"),
        ("हाल के वर्षों", "names no calendar time"),
        ("नवरात्रि", "not a date expression khabar knows"),
        ("31 फरवरी 2025", "not a calendar date"),
    ],
)
def test_what_cannot_be_resolved_is_kept_verbatim_and_says_why(text, why):
    t = normalise(text, TUESDAY)
    assert (t.status, t.text, t.value, t.how) == ("unresolved", text, None, why)


def test_relative_expressions_need_an_anchor():
    assert normalise("मंगलवार", None).how == "relative, and the article has no date"
    assert normalise("17 नवंबर", None).status == "unresolved"
    assert normalise("दिसंबर 2023", None).value == "2023-12"  # explicit needs none


def test_tense_of_a_hindi_sentence():
    assert is_future("जयशंकर सोमवार को लावरोव से वार्ता करेंगे।")
    assert is_future("दिसंबर में पुतिन भारत का दौरा करने वाले हैं।")
    assert not is_future("मंगलवार को उन्होंने पुतिन से मुलाकात की।")


def test_an_undated_article_takes_the_date_its_text_pins_down(seed_articles):
    assert infer_anchor(["सोमवार, 17 नवंबर"], today=date(2026, 11, 24)).day == date(2025, 11, 17)
    assert infer_anchor(["17 नवंबर"], today=date(2026, 11, 24)) is None  # no weekday: no year
    by_id = {a.id: a for a in seed_articles}
    assert article_anchor(by_id["7eed224a86bb1270"]).source == "dateline"  # before its date
    assert article_anchor(by_id["79eb1ab8a1152f87"]).day == date(2024, 7, 3)


def test_a_quoted_post_is_anchored_by_its_own_date_line():
    text = (
        "दिल्ली: मंत्री ने पोस्ट किया।\n\n"
        "Met FM Lavrov today. — Dr. S. Jaishankar (@DrSJaishankar) August 21, 2025\n\n"
        "उन्होंने अपने एक्स पोस्ट में लिखा, 'आज लावरोव से मिला।' फिर कल वे लौटे।"
    )
    (s1, e1, a1), (s2, e2, a2) = post_anchors(text)
    assert text[s1:e1].startswith("Met FM") and text[s1:e1].endswith("2025")
    assert text[s2:e2] == "'आज लावरोव से मिला।'"  # the quotation only: "कल" is the article's
    assert a1.day == a2.day == date(2025, 8, 21)
    # No dated post embedded: a quoted post keeps the article's date (it may be today's).
    assert post_anchors("जयशंकर ने एक्स पर एक पोस्ट में कहा, 'आज अच्छा लगा।'") == []


def test_every_gold_date_against_the_hand_checked_list(seed_articles):
    """annotation/dates.tsv holds the true value of every DATE span of the gold."""
    truth = read_date_truth(ROOT / "annotation" / "dates.tsv")
    found = event_mentions(
        records_from_gold(ROOT / "annotation" / "gold"),
        {a.id: a for a in seed_articles},
        Canonicaliser(Aliases()),
    )
    assert {(d["article_id"], d["span_start"], d["text"]) for d in found.dates} == set(truth)
    scores = date_scores(found.dates, truth)
    assert (scores["spans"], scores["resolved"], scores["right"]) == (37, 29, 29)
    # An embedded tweet's "today", and its Hindi quotation's "आज", are the tweet's own date
    # (21 August), not the article's (22 August).
    assert scores["wrong"] == []
    today = {d["text"]: d for d in found.dates if d["article_id"] == "c7b6bab32610eea6"}
    assert today["today"]["value"] == today["आज"]["value"] == "2025-08-21"
    assert "post's date line ('August 21, 2025')" in today["आज"]["how"]
    # The undated article's weekdays stay unresolved, and so do names of eras.
    assert {u["why"] for u in scores["unresolved"]} == {
        "relative, and the article has no date",
        "names no calendar time",
    }
