"""Corpus ingest: read raw articles, clean them, extract metadata and split sentences.

Raw files are never modified. Each article is NFC-normalised exactly once, before any offset
exists; everything after that (sentence spans, annotations) indexes the cleaned text as written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".jsonl")

HINDI_MONTHS = {
    "जनवरी": 1, "फरवरी": 2, "फ़रवरी": 2, "मार्च": 3, "अप्रैल": 4, "अप्रेल": 4, "मई": 5,
    "जून": 6, "जुलाई": 7, "अगस्त": 8, "सितंबर": 9, "सितम्बर": 9, "अक्टूबर": 10,
    "अक्तूबर": 10, "नवंबर": 11, "नवम्बर": 11, "दिसंबर": 12, "दिसम्बर": 12,
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
_AGENCY_RE = re.compile(
    r"\((आईएएनएस|पीटीआई|भाषा(?:\s*/\s*पीटीआई)?|एएनआई|यूएनआई|वार्ता|IANS|PTI|ANI|UNI|Reuters)\)"
)

# Sentence splitting.
TERMINATORS = "।॥?!"
CLOSERS = "’”»)]}›"
STRAIGHT_QUOTES = "\"'"
# Words that end in a dot without ending the sentence: honorifics, titles, abbreviations, and the
# Hindi spellings of Latin letters used as initials (एस. जयशंकर).
ABBREVIATIONS = {
    "डॉ", "श्री", "श्रीमती", "सुश्री", "पं", "प्रो", "मो", "कु", "स्व", "ले", "कै", "सं", "ई", "पू",
    "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "lt", "gen", "col", "capt", "vs", "no",
    "rs", "etc", "inc", "ltd", "co", "govt", "dept", "fm", "dpm",
    "ए", "बी", "सी", "डी", "एफ", "जी", "एच", "आई", "जे", "के", "एल", "एम", "एन", "ओ",
    "पी", "क्यू", "आर", "एस", "टी", "यू", "वी", "डब्ल्यू", "एक्स", "वाई", "जेड", "ज़ेड",
}  # fmt: skip


class IngestError(Exception):
    """A file that cannot be read as articles (the message names the file and why)."""


@dataclass
class RawDoc:
    """One article as read from disk, before cleaning."""

    text: str
    origin: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None


@dataclass
class Removal:
    """A line (or prefix of one) that cleaning removed, and why."""

    line: int
    reason: str
    text: str


@dataclass
class Article:
    """A cleaned article with metadata, sentence spans and its removal log."""

    id: str
    origin: str
    text: str
    sentences: list[list[int]]
    title: str | None = None
    date: str | None = None
    date_source: str | None = None
    dateline: dict | None = None
    source: str | None = None
    agency: str | None = None
    url: str | None = None
    removed: list[Removal] = field(default_factory=list)

    def to_json(self) -> str:
        """One JSONL line."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        """Rebuild from a parsed JSONL record."""
        d = dict(d)
        d["removed"] = [Removal(**r) for r in d.get("removed", [])]
        return cls(**d)


# ---------------------------------------------------------------- reading


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise IngestError(f"{path}: empty file")
    if b"\x00" in data:
        raise IngestError(f"{path}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None


def read_file(path: Path) -> tuple[list[RawDoc], list[str]]:
    """Read the raw articles of one .txt or .jsonl file, with per-record problems.

    Raises IngestError when the whole file is unusable (empty, binary, not UTF-8, wrong type).
    """
    if path.suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{path}: unsupported file type (expected .txt or .jsonl)")
    text = _decode(path, path.read_bytes())
    if path.suffix == ".txt":
        return [RawDoc(text=text, origin=str(path))], []
    docs, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict) or not str(rec.get("text") or "").strip():
            problems.append(f"{path}:{n}: record has no non-empty 'text' field")
            continue
        meta = {
            k: (str(rec[k]) if rec.get(k) else None) for k in ("title", "date", "source", "url")
        }
        docs.append(RawDoc(text=str(rec["text"]), origin=f"{path}:{n}", **meta))
    return docs, problems


def find_inputs(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their .txt/.jsonl files (sorted); keep explicit files as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUPPORTED_SUFFIXES)
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------- cleaning rules


def _words(line: str) -> list[str]:
    return line.split()


_SHARE_WORDS = {
    "facebook", "twitter", "instagram", "whatsapp", "linkedin", "telegram", "koo", "x",
    "share", "email", "copy", "link", "शेयर", "करें", "pinterest", "youtube",
}  # fmt: skip


def boilerplate_reason(line: str) -> str | None:
    """Why a whole line is boilerplate, or None when it is article content."""
    s = line.strip()
    low = s.lower()
    words = _words(s)
    if len(s) <= 1:
        return "stray-character"
    if all(w.lower().strip(".,|:") in _SHARE_WORDS for w in words):
        return "share-links"
    if "©" in s or "copyright" in low or "all rights reserved" in low or "सर्वाधिकार" in s:
        return "copyright"
    if re.match(r"^(यह|ये|इसे|इन्हें)\s+भी\s+पढ़ें|^(also read|read also|और पढ़ें)\b", low):
        return "read-also"
    if re.search(r"\blogo\b", low) and len(words) <= 6:
        return "logo"
    if re.match(r"^(published|updated|last updated|प्रकाशित|अपडेटेड)\s*:", low):
        return "published-line"
    if re.match(r"^(by|written by|edited by|reported by|edited by)\s+\S", low) and len(words) <= 8:
        return "byline"
    if low in {"author img", "author image", "image", "photo"}:
        return "image-placeholder"
    if re.search(r"image source|image credit|photo credit|फोटो साभार|तस्वीर साभार|फोटो\s*:", low):
        return "image-credit"
    # A short caption line crediting a handle: "एस जयशंकर - सर्गेई लावरोव (@DrSJaishankar)".
    if re.search(r"\(@\w+\)\s*$", s) and len(words) <= 12 and not re.search(r"[।.?!]\s", s):
        return "image-credit"
    if re.match(r"^(latest|trending|top|more)\b.*\bnews$", low) and len(words) <= 5:
        return "navigation"
    if re.fullmatch(r"[\w .&-]{2,40} / [\w .&-]{2,40}", s):
        return "breadcrumb"
    return None


def _is_breadcrumb_of(line: str, later: list[str]) -> bool:
    """A line made of a short navigation trail followed by a later line (the headline)."""
    for other in later:
        o = other.strip()
        if len(o) >= 20 and line.strip().endswith(o) and line.strip() != o:
            prefix = line.strip()[: -len(o)]
            return len(prefix.split()) <= 8
    return False


def _find_outlet(lines: Iterable[str]) -> str | None:
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


def parse_dateline(paragraph: str, year_hint: int | None) -> dict | None:
    """'मास्को, 18 नवंबर (आईएएनएस)। …' or 'मॉस्को: …' -> place, date, agency."""
    m = _DATELINE_RE.match(paragraph)
    if not m or not (m.group("day") or m.group(0).rstrip().endswith(":")):
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


def _is_full_stop(para: str, i: int) -> bool:
    """Whether the '.' at para[i] ends a sentence (not an initial, abbreviation or number)."""
    nxt = para[i + 1] if i + 1 < len(para) else ""
    if nxt and not (nxt.isspace() or nxt in CLOSERS or nxt in STRAIGHT_QUOTES):
        return False
    j = i
    while j > 0 and not para[j - 1].isspace() and para[j - 1] not in "(.‘“\"'":
        j -= 1
    word = para[j:i]
    if word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return False
    return bool(word) or i == 0


def split_sentences(para: str, base: int = 0) -> list[list[int]]:
    """Sentence spans [start, end) of one paragraph, offset by `base`.

    Splits after danda, ?, ! and a sentence-final '.', keeps closing quotes (also after a space,
    as in 'रही ।’’') and a trailing agency credit like '(भाषा/पीटीआई)' with their sentence.
    """
    spans: list[list[int]] = []
    n, start, i = len(para), 0, 0
    while i < n:
        ch = para[i]
        if ch in TERMINATORS or (ch == "." and _is_full_stop(para, i)):
            j = i + 1
            while j < n and (para[j] in TERMINATORS or para[j] == "."):
                j += 1
            j = _consume_closers(para, j)
            rest = para[j:]
            if re.fullmatch(r"\s*\([^()]{1,40}\)\s*", rest):
                j = n
            _add_span(spans, para, start, j, base)
            start = i = j
            continue
        i += 1
    _add_span(spans, para, start, n, base)
    return spans


def _consume_closers(para: str, j: int) -> int:
    n = len(para)
    while j < n:
        k = j
        while k < n and para[k] == " ":
            k += 1
        if k >= n:
            break
        ch = para[k]
        is_closer = ch in CLOSERS or (
            # A straight quote closes when the paragraph so far has an odd number of them
            # (the quotation may have opened sentences earlier).
            ch in STRAIGHT_QUOTES and para[:k].count(ch) % 2 == 1
        )
        if not is_closer:
            break
        j = k + 1
    return j


def _add_span(spans: list[list[int]], para: str, s: int, e: int, base: int) -> None:
    while s < e and para[s].isspace():
        s += 1
    while e > s and para[e - 1].isspace():
        e -= 1
    if e <= s:
        return
    if spans and not any(ch.isalnum() for ch in para[s:e]):
        spans[-1][1] = base + e  # stray closing punctuation belongs to the sentence before
    else:
        spans.append([base + s, base + e])


def article_id(raw_text: str) -> str:
    """Stable id from the raw content (so improving the cleaning keeps ids stable)."""
    norm = unicodedata.normalize("NFC", raw_text).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def clean(doc: RawDoc) -> Article:
    """Clean one raw article: normalise, drop boilerplate and repeats, find metadata, split."""
    # NFC once, before any offset exists; whitespace is tidied now for the same reason.
    text = unicodedata.normalize("NFC", doc.text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    removed: list[Removal] = []
    date, date_source = doc.date, ("input" if doc.date else None)

    kept: list[tuple[int, str]] = []
    for n, line in enumerate(lines, 1):
        if not line:
            continue
        m = re.match(r"^date (\d{4}-\d{2}-\d{2})\s+", line)
        if m:
            removed.append(Removal(n, "date-prefix", m.group(0).strip()))
            date, date_source = date or m.group(1), date_source or "date-prefix"
            line = line[m.end() :]
        kept.append((n, line))

    later = [ln for _, ln in kept]
    body: list[tuple[int, str]] = []
    for idx, (n, line) in enumerate(kept):
        reason = boilerplate_reason(line)
        if reason is None and _is_breadcrumb_of(line, later[idx + 1 : idx + 4]):
            reason = "breadcrumb"
        if reason:
            removed.append(Removal(n, reason, line))
            if reason == "published-line" and not date:
                date, date_source = parse_english_date(line), "published-line"
        else:
            body.append((n, line))

    title = doc.title
    seo_phrases: list[str] = []
    if body and not doc.title:
        n, first = body[0]
        # Headline: the first paragraph, when it has no sentence end and the article goes on.
        if len(body) > 1 and not re.search(r"[।.?!]['\"’”]?$", first) and len(first.split()) <= 40:
            m = re.search(r"\s+-\s+([A-Za-z][A-Za-z .]+(?:\s+-\s+[A-Za-z][A-Za-z .]+)*)$", first)
            if m and re.search(r"[\u0900-\u097f]", first[: m.start()]):
                removed.append(Removal(n, "seo-keywords", m.group(0).strip()))
                seo_phrases = [p.strip().lower() for p in m.group(1).split(" - ")]
                first = first[: m.start()]
                body[0] = (n, first)
            title = first

    paragraphs: list[str] = []
    seen: set[str] = set()
    for n, line in body:
        low = line.lower()
        if seo_phrases and any(low.startswith(p) for p in seo_phrases):
            if not re.search(r"[\u0900-\u097f]", line):
                removed.append(Removal(n, "seo-keywords", line))
                continue
            m = re.match(r"^[A-Za-z][A-Za-z .]*:\s+", line)
            if m:
                removed.append(Removal(n, "seo-keywords", m.group(0).strip()))
                line = line[m.end() :]
        key = re.sub(r"\s+", " ", line).strip()
        if key in seen:
            removed.append(Removal(n, "duplicate-paragraph", line))
            continue
        seen.add(key)
        paragraphs.append(line)

    removed.sort(key=lambda r: r.line)
    if not paragraphs:
        raise IngestError(f"{doc.origin}: nothing left after cleaning (only boilerplate)")

    clean_text = "\n\n".join(paragraphs)
    sentences: list[list[int]] = []
    pos = 0
    for para in paragraphs:
        sentences += split_sentences(para, pos)
        pos += len(para) + 2

    year_hint = int(date[:4]) if date and re.match(r"\d{4}", date) else None
    dateline = None
    for para in paragraphs[:3]:
        dateline = parse_dateline(para, year_hint)
        if dateline:
            break
    if not date and dateline and dateline.get("date"):
        date, date_source = dateline["date"], "dateline"

    agency_match = _AGENCY_RE.search(clean_text)
    agency = (dateline or {}).get("agency") or (agency_match.group(1) if agency_match else None)
    source = doc.source or _find_outlet(r.text for r in removed)
    return Article(
        id=article_id(doc.text),
        origin=doc.origin,
        text=clean_text,
        sentences=sentences,
        title=title,
        date=date,
        date_source=date_source,
        dateline=dateline,
        source=source,
        agency=agency,
        url=doc.url,
        removed=removed,
    )


# ---------------------------------------------------------------- stage


@dataclass
class IngestResult:
    """What an ingest run produced and every file it could not use."""

    articles: list[Article]
    errors: list[str]
    duplicates: list[str]

    def summary(self) -> str:
        """One line for the terminal."""
        reasons = Counter(r.reason for a in self.articles for r in a.removed)
        removed = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"
        return (
            f"{len(self.articles)} articles, "
            f"{sum(len(a.sentences) for a in self.articles)} sentences; removed: {removed}; "
            f"{len(self.duplicates)} duplicate articles skipped; {len(self.errors)} errors"
        )


def ingest(paths: Iterable[Path]) -> IngestResult:
    """Read and clean every article under `paths`; bad files are reported, the rest processed."""
    articles: list[Article] = []
    errors: list[str] = []
    duplicates: list[str] = []
    seen: dict[str, str] = {}
    for path in find_inputs(Path(p) for p in paths):
        if not path.exists():
            errors.append(f"{path}: no such file")
            continue
        try:
            docs, problems = read_file(path)
        except IngestError as exc:
            errors.append(str(exc))
            continue
        errors += problems
        for doc in docs:
            try:
                art = clean(doc)
            except IngestError as exc:
                errors.append(str(exc))
                continue
            if art.id in seen:
                duplicates.append(f"{doc.origin}: same content as {seen[art.id]}")
                continue
            seen[art.id] = doc.origin
            articles.append(art)
    return IngestResult(articles, errors, duplicates)


def write_atomic(path: Path, chunks: Iterable[str], mode: int | None = None) -> None:
    """Write text chunks to `path` through a temporary file, so a crash never leaves half a file
    (which a Makefile stage would take for finished). `mode` (e.g. 0o600 for secrets) is set
    before anything is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        if mode is not None:
            os.chmod(tmp, mode)
        fh.writelines(chunks)
    tmp.replace(path)


def write_articles(articles: Iterable[Article], out: Path) -> None:
    """Write articles as JSONL, atomically."""
    write_atomic(out, (art.to_json() + "\n" for art in articles))


def read_articles(path: Path) -> list[Article]:
    """Read the cleaned corpus JSONL written by `write_articles`."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} not found: run `khabar ingest` (or `make ingest`) first")
    with Path(path).open(encoding="utf-8") as fh:
        return [Article.from_dict(json.loads(line)) for line in fh if line.strip()]
