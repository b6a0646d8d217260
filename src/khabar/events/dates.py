"""Hindi time expressions to ISO dates and intervals, resolved against the article's own date.

`normalise("सोमवार", anchor)` gives the Monday of the article's week, `"17-18 नवंबर"` the two days
of the anchor's year, `"दिसंबर 2023"` a month, `"2024-25"` an Indian financial year. What names no
time a calendar can hold ("सोवियत काल", "हाल के वर्षों") or needs a date the article lacks is kept
verbatim with `status="unresolved"` and the reason.

The anchor is the dateline's date (the day the report was filed), else the article's date, else
a date the text itself pins down ("सोमवार, 17 नवंबर" has one year near today where 17 November is
a Monday). Inside a quoted post the post's own date line is the anchor (`post_anchors`: "… today.
— Dr. S. Jaishankar (@DrSJaishankar) August 21, 2025", and a Hindi quotation of a post in an
article that embeds a dated one), and an article with no date at all may take one from another
report of the same event (`carry.carry_dates`). A weekday or "कल" is read as past (the usual
news report) unless the sentence speaks in the future tense (करेंगे, होगी, जाने वाले हैं).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date as Date
from datetime import timedelta

from khabar.corpus.article import Article
from khabar.corpus.metadata import ENGLISH_MONTHS, HINDI_MONTHS, WEEKDAYS, parse_english_date

_MONTH = "|".join(sorted(HINDI_MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# Postpositions and fillers that a span may carry at its end ("सोमवार को", "2021 में").
_TRAILING = re.compile(r"(\s+(को|में|से|तक|के|की|का|पर|आसपास|दौरान))+$")
_PART_OF_DAY = re.compile(r"\s*(की|को)?\s*(सुबह|शाम|रात|दोपहर|देर रात)$")
_FUTURE = re.compile(
    r"(ेंगे|ेंगी|ेगा|ेगी|ेगे|ूंगा|ोगे|होगा|होगी|होंगे|होंगी|वाले हैं|वाला है|वाली है|"
    r"वाले थे|जा रहे|जा रही|जा रहा|प्रस्तावित|आगामी|संभावना)"
)
# Names of times that no calendar date can stand for, kept verbatim on purpose.
VAGUE = ("काल", "हाल", "दशक", "सदी", "शताब्दी", "दौर", "युग", "जल्द", "भविष्य", "अतीत")
UNIT_DAYS = {
    "सप्ताह": "week",
    "हफ्ते": "week",
    "हफ़्ते": "week",
    "हफ्ता": "week",
    "महीने": "month",
    "माह": "month",
    "महीना": "month",
    "साल": "year",
    "वर्ष": "year",
    "बरस": "year",
}
_UNIT = "|".join(sorted(UNIT_DAYS, key=len, reverse=True))


@dataclass(frozen=True)
class Anchor:
    """The date relative expressions of an article are resolved against, and where it came from."""

    day: Date
    source: str  # "dateline", "article date" or "inferred from '<text>'"


@dataclass(frozen=True)
class TimeValue:
    """One normalised time expression (TIMEX3-like `value`, plus its first and last day)."""

    text: str
    status: str  # "resolved" or "unresolved"
    value: str | None = None  # 2025-11-17, 2025-11, 2021, 2024-W27, FY2024-25, A/B
    start: str | None = None  # first day, ISO
    end: str | None = None  # last day, ISO
    granularity: str | None = None  # day, week, month, quarter, year, fiscal-year, days
    how: str = ""  # resolved: explicit / relative to <anchor source>; else why not

    def to_dict(self) -> dict:
        """A plain dict (for tables and JSON)."""
        return asdict(self)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(str.maketrans("०१२३४५६७८९", "0123456789"))
    text = re.sub(r"\s+", " ", text.strip(" ,.।\"'()"))
    return _TRAILING.sub("", text).strip()


def is_future(sentence: str) -> bool:
    """Whether a Hindi sentence speaks of what is still to come (future tense or 'about to')."""
    return bool(_FUTURE.search(sentence))


def _day(y: int, m: int, d: int) -> Date | None:
    try:
        return Date(y, m, d)
    except ValueError:
        return None


def _month_end(y: int, m: int) -> Date:
    return (Date(y + m // 12, m % 12 + 1, 1)) - timedelta(days=1)


def _resolved(text: str, start: Date, end: Date, gran: str, value: str, how: str) -> TimeValue:
    return TimeValue(text, "resolved", value, start.isoformat(), end.isoformat(), gran, how)


def _one_day(text: str, d: Date, how: str) -> TimeValue:
    return _resolved(text, d, d, "day", d.isoformat(), how)


def _month(text: str, y: int, m: int, how: str) -> TimeValue:
    return _resolved(text, Date(y, m, 1), _month_end(y, m), "month", f"{y}-{m:02d}", how)


def _year(text: str, y: int, how: str) -> TimeValue:
    return _resolved(text, Date(y, 1, 1), Date(y, 12, 31), "year", str(y), how)


def _nearest_year(anchor: Date, month: int, day: int = 15) -> int:
    """The year that puts (month, day) closest to the anchor: 'दिसंबर' in a November report is
    this December, in a January report last December."""
    years = [y for y in (anchor.year - 1, anchor.year, anchor.year + 1) if _day(y, month, day)]
    return min(years, key=lambda y: abs((Date(y, month, min(day, 28)) - anchor).days))


def _weekday(anchor: Date, wd: int, future: bool) -> Date:
    back = (anchor.weekday() - wd) % 7
    return (
        anchor - timedelta(days=back)
        if not future
        else anchor + timedelta(days=(wd - anchor.weekday()) % 7)
    )


def _unresolved(text: str, why: str) -> TimeValue:
    return TimeValue(text, "unresolved", how=why)


def normalise(text: str, anchor: Anchor | None, future: bool = False) -> TimeValue:
    """Normalise one DATE span; `future` says whether its sentence is in the future tense."""
    s = _clean(text)
    rel = f"relative to the {anchor.source}" if anchor else ""
    # Explicit dates: nothing to resolve against.
    if m := re.fullmatch(r"(?:साल|वर्ष|सन)?\s*(\d{4})\s*[-–/]\s*(\d{2})", s):
        y = int(m.group(1))
        if int(m.group(2)) == (y + 1) % 100:  # Indian financial year, April to March
            return _resolved(
                text,
                Date(y, 4, 1),
                Date(y + 1, 3, 31),
                "fiscal-year",
                f"FY{y}-{m.group(2)}",
                "explicit",
            )
    if m := re.fullmatch(r"(?:साल|वर्ष|सन)\s*(\d{4})|(\d{4})(?:\s*(?:में|का|की))?", s):
        return _year(text, int(m.group(1) or m.group(2)), "explicit")
    if iso := parse_english_date(s):
        return _one_day(text, Date.fromisoformat(iso), "explicit")
    if m := re.fullmatch(rf"({_MONTH})\s*,?\s*(\d{{4}})", s):
        return _month(text, int(m.group(2)), HINDI_MONTHS[m.group(1)], "explicit")
    if m := re.fullmatch(r"([A-Z][a-z]+)\.? (\d{4})", s):
        if m.group(1)[:3].lower() in ENGLISH_MONTHS:
            return _month(text, int(m.group(2)), ENGLISH_MONTHS[m.group(1)[:3].lower()], "explicit")
    days = re.fullmatch(
        rf"(?:(?:{_WEEKDAY})\s*,?\s*)?(\d{{1,2}})(?:\s*[-–]\s*(\d{{1,2}}))?\s+({_MONTH})"
        rf"(?:\s*,?\s*(\d{{4}}))?",
        s,
    )
    if days:
        d1, d2 = int(days.group(1)), int(days.group(2) or days.group(1))
        month = HINDI_MONTHS[days.group(3)]
        if days.group(4):
            year, how = int(days.group(4)), "explicit"
        elif anchor:
            year, how = _nearest_year(anchor.day, month, d1), f"year {rel}"
        else:
            return _unresolved(text, "no year and the article has no date")
        a, b = _day(year, month, d1), _day(year, month, d2)
        if not a or not b or b < a:
            return _unresolved(text, "not a calendar date")
        if a == b:
            return _one_day(text, a, how)
        return _resolved(text, a, b, "days", f"{a.isoformat()}/{b.isoformat()}", how)
    if m := re.fullmatch(rf"({_MONTH})", s):
        if not anchor:
            return _unresolved(text, "no year and the article has no date")
        month = HINDI_MONTHS[m.group(1)]
        return _month(text, _nearest_year(anchor.day, month), month, f"year {rel}")
    if any(v in s for v in VAGUE):
        return _unresolved(text, "names no calendar time")
    # Relative expressions: they need the anchor.
    if not anchor:
        return _unresolved(text, "relative, and the article has no date")
    day = anchor.day
    if m := re.fullmatch(rf"({_WEEKDAY})", _PART_OF_DAY.sub("", s)):
        return _one_day(text, _weekday(day, WEEKDAYS[m.group(1)], future), rel)
    if s in ("आज", "today", "Today", "अभी"):
        return _one_day(text, day, rel)
    if s in ("कल", "yesterday", "tomorrow"):
        step = 1 if (future or s == "tomorrow") and s != "yesterday" else -1
        return _one_day(text, day + timedelta(days=step), rel)
    if s == "परसों":
        return _one_day(text, day + timedelta(days=2 if future else -2), rel)
    if m := re.fullmatch(rf"(इस|इसी|पिछले|पिछली|बीते|गत|अगले|अगली|आने वाले)\s+({_UNIT})(.*)", s):
        step = {"पिछले": -1, "पिछली": -1, "बीते": -1, "गत": -1, "अगले": 1, "अगली": 1, "आने वाले": 1}.get(
            m.group(1), 0
        )
        return _relative_unit(text, day, UNIT_DAYS[m.group(2)], step, m.group(3).strip(), rel)
    return _unresolved(text, "not a date expression khabar knows")


def _relative_unit(text: str, day: Date, unit: str, step: int, rest: str, rel: str) -> TimeValue:
    """'इस सप्ताह', 'पिछले वर्ष', 'इस साल के आखिर' ..."""
    if unit == "week":
        monday = day - timedelta(days=day.weekday()) + timedelta(weeks=step)
        iso = monday.isocalendar()
        return _resolved(
            text, monday, monday + timedelta(days=6), "week", f"{iso.year}-W{iso.week:02d}", rel
        )
    if unit == "month":
        y, m = divmod(day.year * 12 + day.month - 1 + step, 12)
        return _month(text, y, m + 1, rel)
    y = day.year + step
    if re.search(r"आखिर|अंत|आखिरी", rest):  # the end of the year: its last quarter
        return _resolved(text, Date(y, 10, 1), Date(y, 12, 31), "quarter", f"{y}-Q4", rel)
    if re.search(r"शुरू|शुरुआत|आरंभ", rest):
        return _resolved(text, Date(y, 1, 1), Date(y, 3, 31), "quarter", f"{y}-Q1", rel)
    return _year(text, y, rel)


# An embedded post's signature: "— Name (@handle) August 21, 2025" (the date as X prints it).
_SIGNATURE = re.compile(
    r"[—–-]\s*[^\n()—–]{1,80}\(@\w{1,30}\)\s*(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})"
)
# A post quoted in Hindi: "अपने एक्स पोस्ट में लिखा, 'आज …'" up to the closing quote mark.
_QUOTED_POST = re.compile(
    r"(?:पोस्ट|ट्वीट|ट्विटर|\bX\b|एक्स)[^।\n'\"‘“]{0,60}?(?P<quote>['\"‘“])[^'\"’”\n]*['\"’”]?"
)


def post_anchors(text: str) -> list[tuple[int, int, Anchor]]:
    """(start, end, anchor) of the stretches of an article that a post's own date anchors: an
    embedded post's paragraph up to its dated signature, and, where the article embeds dated
    posts, a Hindi quotation of a post (the nearest dated post's date)."""
    out, posts = [], []
    for m in _SIGNATURE.finditer(text):
        iso = parse_english_date(m.group("date"))
        if iso:
            anchor = Anchor(Date.fromisoformat(iso), f"post's date line ('{m.group('date')}')")
            out.append((text.rfind("\n", 0, m.start()) + 1, m.end(), anchor))
            posts.append((m.end(), anchor))
    for q in _QUOTED_POST.finditer(text) if posts else ():
        start = q.start("quote")
        nearest = min(posts, key=lambda p: abs(p[0] - start))[1]
        out.append(
            (start, q.end(), Anchor(nearest.day, nearest.source.replace("post's", "quoted post's")))
        )
    return out


def infer_anchor(date_texts: list[str], today: Date | None = None) -> Anchor | None:
    """A date pinned down by the text alone: a weekday with a day and month ('सोमवार, 17 नवंबर')
    holds in one recent year; the latest such year up to `today` is taken."""
    today = today or Date.today()
    for text in date_texts:
        m = re.fullmatch(rf"({_WEEKDAY})\s*,?\s*(\d{{1,2}})\s+({_MONTH})", _clean(text))
        if not m:
            continue
        for year in range(today.year, today.year - 12, -1):
            d = _day(year, HINDI_MONTHS[m.group(3)], int(m.group(2)))
            if d and d <= today and d.weekday() == WEEKDAYS[m.group(1)]:
                return Anchor(d, f"date the text gives ('{text}')")
    return None


def article_anchor(article: Article, date_texts: list[str] = (), today: Date | None = None):
    """The anchor of one article: its dateline's date, its own date, or one the text pins down."""
    dateline = (article.dateline or {}).get("date")
    if dateline:
        return Anchor(Date.fromisoformat(dateline), "dateline")
    if article.date:
        return Anchor(Date.fromisoformat(article.date), "article date")
    return infer_anchor(list(date_texts), today)
