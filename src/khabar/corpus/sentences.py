"""Sentence splitting of Hindi news paragraphs: danda, ?, ! and a sentence-final '.', never after
an initial or an abbreviation; closing quotes and agency credits stay with their sentence."""

from __future__ import annotations

import re

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


def text_sentences(text: str) -> list[list[int]]:
    """Sentence spans of a whole text whose paragraphs are its lines (as cleaning writes them)."""
    spans: list[list[int]] = []
    for para in re.finditer(r"[^\n]+", text):
        spans += split_sentences(para.group(), para.start())
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
