"""Corpus ingest: cleaning of the seed articles, metadata, sentences and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

import pytest

from khabar.corpus import RawDoc, clean, ingest, read_articles, split_sentences, write_articles

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


def test_sentences_cover_text_exactly(seed_articles):
    for art in seed_articles:
        prev_end = 0
        for s, e in art.sentences:
            assert prev_end <= s < e <= len(art.text)
            assert art.text[s:e] == art.text[s:e].strip()
            prev_end = e
        # Every non-space character is inside some sentence.
        covered = set()
        for s, e in art.sentences:
            covered.update(range(s, e))
        assert all(ch.isspace() for i, ch in enumerate(art.text) if i not in covered)


@pytest.mark.parametrize(
    "para,expected",
    [
        ("डॉ. एस. जयशंकर सोमवार को पहुंचे। वे बोले।", ["डॉ. एस. जयशंकर सोमवार को पहुंचे।", "वे बोले।"]),
        (
            "व्यापार 2024-25 में 65 अरब डॉलर रहा. अब आगे?",
            ["व्यापार 2024-25 में 65 अरब डॉलर रहा.", "अब आगे?"],
        ),
        ("कहा, ‘‘ बातचीत सार्थक रही ।’’ उन्होंने कहा।", ["कहा, ‘‘ बातचीत सार्थक रही ।’’", "उन्होंने कहा।"]),
        ("लिखा, 'पहला वाक्य. दूसरा वाक्य.' फिर", ["लिखा, 'पहला वाक्य.", "दूसरा वाक्य.'", "फिर"]),
        ('उसने कहा, "सोमवार को वार्ता होगी।" यह बैठक', ['उसने कहा, "सोमवार को वार्ता होगी।"', "यह बैठक"]),
        ("गया। (भाषा/पीटीआई)", ["गया। (भाषा/पीटीआई)"]),
        (
            "Dr. S. Jaishankar met FM Lavrov. pic.twitter.com/x1 ok",
            ["Dr. S. Jaishankar met FM Lavrov.", "pic.twitter.com/x1 ok"],
        ),
        ("हुए हैं ।हमने बात की", ["हुए हैं ।", "हमने बात की"]),
    ],
)
def test_split_sentences(para, expected):
    assert [para[s:e] for s, e in split_sentences(para)] == expected


def test_nfc_happens_before_offsets():
    # क़ (U+0958) is a composition exclusion: NFC turns it into क + ़ (two code points).
    art = clean(RawDoc(text="\u0958ज़ा शहर में बैठक हुई। दूसरा वाक्य।", origin="x"))
    assert "\u0958" not in art.text and "क\u093c" in art.text
    s, e = art.sentences[0]
    assert art.text[s:e] == "क\u093cज\u093cा शहर में बैठक हुई।"


def test_bad_files_are_reported_and_others_processed(tmp_path, seed_articles):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "good.txt").write_text(
        "भारत और रूस के बीच वार्ता हुई। दोनों देश सहमत हुए।", encoding="utf-8"
    )
    (tmp_path / "mixed.jsonl").write_text(
        json.dumps(
            {"text": "मोदी ने कहा। अच्छा।", "title": "शीर्षक", "url": "https://x"}, ensure_ascii=False
        )
        + "\n{not json\n"
        + json.dumps({"title": "no text"})
        + "\n",
        encoding="utf-8",
    )
    result = ingest([tmp_path])
    assert len(result.articles) == 2
    joined = "\n".join(result.errors)
    assert "empty.txt: empty file" in joined
    assert "binary.txt: binary file" in joined
    assert "latin1.txt: not UTF-8" in joined
    assert "mixed.jsonl:2: invalid JSON" in joined and "mixed.jsonl:3: record has no" in joined
    jsonl_art = next(a for a in result.articles if a.origin.endswith("mixed.jsonl:1"))
    assert jsonl_art.title == "शीर्षक" and jsonl_art.url == "https://x"


def test_cli_exits_nonzero_after_processing_good_files(tmp_path):
    (tmp_path / "a.txt").write_text("भारत और रूस के बीच वार्ता हुई।", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bad")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "khabar.cli", "ingest", str(tmp_path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "b.txt" in proc.stderr and "Traceback" not in proc.stderr
    assert len(read_articles(out)) == 1


def test_duplicate_articles_skipped(tmp_path):
    text = "भारत और रूस के बीच वार्ता हुई।"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    result = ingest([tmp_path])
    assert len(result.articles) == 1 and len(result.duplicates) == 1


def test_articles_round_trip_through_jsonl(tmp_path, seed_articles):
    out = tmp_path / "a.jsonl"
    write_articles(seed_articles, out)
    assert read_articles(out) == seed_articles


def test_ids_are_stable_and_distinct(seed_articles):
    ids = [a.id for a in seed_articles]
    assert len(set(ids)) == 5 and all(len(i) == 16 for i in ids)
    again = ingest([a.origin for a in seed_articles])
    assert [a.id for a in again.articles] == ids
