"""Cleaning one raw article: NFC, boilerplate and repeated paragraphs out, headline and metadata
found, sentences split.

Each article is NFC-normalised exactly once, before any offset exists; everything after that
(sentence spans, annotations) indexes the cleaned text as written.
"""

from __future__ import annotations

import re
import unicodedata

from khabar.corpus.article import Article, Removal, article_id
from khabar.corpus.metadata import AGENCY_RE, find_outlet, parse_dateline, parse_english_date
from khabar.corpus.read import IngestError, RawDoc
from khabar.corpus.sentences import text_sentences


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
    sentences = text_sentences(clean_text)

    year_hint = int(date[:4]) if date and re.match(r"\d{4}", date) else None
    dateline = None
    for para in paragraphs[:3]:
        dateline = parse_dateline(para, year_hint)
        if dateline:
            break
    if not date and dateline and dateline.get("date"):
        date, date_source = dateline["date"], "dateline"

    agency_match = AGENCY_RE.search(clean_text)
    agency = (dateline or {}).get("agency") or (agency_match.group(1) if agency_match else None)
    source = doc.source or find_outlet(r.text for r in removed)
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
