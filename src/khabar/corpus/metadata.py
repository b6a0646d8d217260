"""Metadata found in an article: dates (Hindi and English month names, datelines), outlets and
news agencies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date as Date

HINDI_MONTHS = {
    "जनवरी": 1, "फरवरी": 2, "फ़रवरी": 2, "मार्च": 3, "अप्रैल": 4, "अप्रेल": 4, "मई": 5,
    "जून": 6, "जुलाई": 7, "अगस्त": 8, "सितंबर": 9, "सितम्बर": 9, "अक्टूबर": 10,
    "अक्तूबर": 10, "नवंबर": 11, "नवम्बर": 11, "दिसंबर": 12, "दिसम्बर": 12,
}  # fmt: skip
# Weekday names (Monday = 0, as `date.weekday()`), with their less common synonyms.
WEEKDAYS = {
    "सोमवार": 0, "मंगलवार": 1, "बुधवार": 2, "गुरुवार": 3, "बृहस्पतिवार": 3, "वीरवार": 3,
    "शुक्रवार": 4, "शनिवार": 5, "रविवार": 6, "इतवार": 6,
}  # fmt: skip
ENGLISH_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
# Outlets and agencies recognised in bylines, breadcrumbs, credits and logo lines.
OUTLETS = (
    "ETV Bharat", "India TV", "NDTV", "Aaj Tak", "ABP News", "Zee News", "News18",
    "Amar Ujala", "Dainik Bhaskar", "Dainik Jagran", "Live Hindustan", "Navbharat Times",
    "TV9 Bharatvarsh", "Republic Bharat", "BBC", "Prabhat Khabar", "Patrika", "Jansatta",
)  # fmt: skip
AGENCY_RE = re.compile(
    r"\((आईएएनएस|पीटीआई|भाषा(?:\s*/\s*पीटीआई)?|एएनआई|यूएनआई|वार्ता|IANS|PTI|ANI|UNI|Reuters)\)"
)


def find_outlet(lines: Iterable[str]) -> str | None:
    """The first known outlet named in `lines` (with "Hindi" when the line says so)."""
    for line in lines:
        for outlet in OUTLETS:
            if outlet.lower() in line.lower():
                m = re.search(re.escape(outlet) + r"(\s+Hindi)?", line, re.IGNORECASE)
                return m.group(0) if m else outlet
    return None


def parse_english_date(text: str) -> str | None:
    """'Jul 3, 2024' or 'July 3, 2024' anywhere in text -> '2024-07-03'."""
    m = re.search(r"\b([A-Z][a-z]{2,8})\.? (\d{1,2}), (\d{4})\b", text)
    if m and m.group(1)[:3].lower() in ENGLISH_MONTHS:
        try:
            return Date(
                int(m.group(3)), ENGLISH_MONTHS[m.group(1)[:3].lower()], int(m.group(2))
            ).isoformat()
        except ValueError:
            return None
    return None


_MONTH_ALT = "|".join(sorted(HINDI_MONTHS, key=len, reverse=True))
_DATELINE_RE = re.compile(
    rf"^(?P<place>[^\s,:।()]+(?: [^\s,:।()]+)?)"
    rf"(?:,\s*(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_ALT})(?:\s+(?P<year>\d{{4}}))?)?"
    rf"\s*(?:\((?P<agency>[^()]{{1,30}})\))?\s*[।:]\s"
)


# A place is one or two words of letters: Devanagari (with its signs and nukta) or Latin. What a
# dateline's shape also matches and is no place: a handle or hashtag opening a tweet-only article,
# a numbered label (अनुच्छेद 0:), a word with a digit, a zero-width joiner or non-joiner (headings
# pasted from a CMS keep them; the cleaned text of a place name does not).
_PLACE_WORD_RE = re.compile(r"(?:[\u0900-\u0963\u0971-\u097F]+|[A-Za-z][A-Za-z.'-]*)")
# A heading ('विषय: उपशीर्षक') has the shape of a bare 'place:' dateline: a short paragraph
# without a sentence's end is taken for one.
_SENTENCE_END = ("।", "|", ".", "…", "?", "!", "॥", '"', "”", "'", "’", ")")
HEADING_WORDS = 15


def plausible_place(place: str) -> bool:
    """Whether a dateline's place can be a place name: one or two words of letters."""
    words = place.split(" ")
    return 0 < len(words) <= 2 and all(_PLACE_WORD_RE.fullmatch(w) for w in words)


def _heading(paragraph: str) -> bool:
    text = paragraph.rstrip()
    return len(text.split()) < HEADING_WORDS and not text.endswith(_SENTENCE_END)


def parse_dateline(paragraph: str, year_hint: int | None) -> dict | None:
    """'मास्को, 18 नवंबर (आईएएनएस)। …' or 'मॉस्को: …' -> place, date, agency. A bare 'place:' counts
    only before a sentence (a heading 'विषय: उपशीर्षक' is none), and only a plausible place."""
    m = _DATELINE_RE.match(paragraph)
    if not m or not (m.group("day") or m.group(0).rstrip().endswith(":")):
        return None
    if not plausible_place(m.group("place")):
        return None
    if not m.group("day") and _heading(paragraph):
        return None
    out = {"place": m.group("place"), "date": None, "agency": m.group("agency")}
    if m.group("day"):
        year = int(m.group("year")) if m.group("year") else year_hint
        out["date_text"] = f"{m.group('day')} {m.group('month')}"
        if year:
            try:
                out["date"] = Date(
                    year, HINDI_MONTHS[m.group("month")], int(m.group("day"))
                ).isoformat()
            except ValueError:
                pass
    return out
