"""Cleaning: the seed articles' boilerplate, repeats, metadata and removal log; NFC before
offsets."""

from __future__ import annotations

import unicodedata

from khabar.corpus.clean import clean
from khabar.corpus.read import RawDoc

BOILERPLATE = [
    "facebook twitter instagram",
    "Copyright ©",
    "ETV Bharat Logo",
    "यह भी पढ़ें",
    "Image Source",
    "author img",
    "Published :",
    "Latest World News",
    "ETV Bharat / international",
    "S JAISHANKAR SERGEY LAVROV MEETING",
]


def by_origin(articles, prefix):
    return next(a for a in articles if prefix in a.origin)


def test_seeds_are_five_clean_articles(seed_articles):
    assert len(seed_articles) == 5
    for art in seed_articles:
        for junk in BOILERPLATE:
            assert junk not in art.text, (art.origin, junk)
        assert not any(len(p.strip()) <= 1 for p in art.text.split("\n\n"))
        assert unicodedata.normalize("NFC", art.text) == art.text


def test_seed_003_body_once(seed_articles):
    art = by_origin(seed_articles, "003_")
    lead = "नई दिल्ली: विदेश मंत्री एस जयशंकर ने बुधवार को कजाखिस्तान"
    assert art.text.count(lead) == 1
    assert art.text.count("8 जुलाई को मॉस्को जाएंगे पीएम मोदी") == 1
    dupes = [r for r in art.removed if r.reason == "duplicate-paragraph"]
    assert len(dupes) == 6  # the second copy: 6 paragraphs (its read-also line is logged as such)


def test_dates_and_sources(seed_articles):
    a002, a003, a004 = (by_origin(seed_articles, p) for p in ("002_", "003_", "004_"))
    assert (a002.date, a002.date_source) == ("2025-11-19", "date-prefix")
    assert a002.dateline == {
        "place": "मास्को",
        "date": "2025-11-18",
        "agency": "आईएएनएस",
        "date_text": "18 नवंबर",
    }
    assert (a003.date, a003.date_source) == ("2024-07-03", "published-line")
    assert a003.source == "ETV Bharat"
    assert a004.date == "2025-08-22"
    assert not a004.text.startswith("date")
    a000 = by_origin(seed_articles, "000_")
    assert a000.source == "India TV Hindi" and a000.agency == "भाषा/पीटीआई"
    assert a000.title.startswith("मॉस्को में सर्गेई लावरोव से मिलेंगे जयशंकर")


def test_removal_log_explains_each_removal(seed_articles):
    reasons = {r.reason for a in seed_articles for r in a.removed}
    assert {
        "share-links",
        "copyright",
        "logo",
        "read-also",
        "image-credit",
        "breadcrumb",
        "published-line",
        "stray-character",
        "duplicate-paragraph",
        "date-prefix",
    } <= reasons
    for art in seed_articles:
        for r in art.removed:
            assert r.line >= 1 and r.reason and r.text


def test_nfc_happens_before_offsets():
    # क़ (U+0958) is a composition exclusion: NFC turns it into क + ़ (two code points).
    art = clean(RawDoc(text="\u0958ज़ा शहर में बैठक हुई। दूसरा वाक्य।", origin="x"))
    assert "\u0958" not in art.text and "क\u093c" in art.text
    s, e = art.sentences[0]
    assert art.text[s:e] == "क\u093cज\u093cा शहर में बैठक हुई।"
