"""Re-anchoring gold after ingest cleaning changed the text: every span is found again by its
content and the text around it, never by its old offsets, and what cannot be placed is kept and
reported (`khabar reanchor-gold`)."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from khabar.annotations.format import Relation, parse_results, region_id
from khabar.annotations.gold import gold_item, item_regions
from khabar.corpus.article import Article

CONTEXT = 40  # characters of context each side used to re-anchor a span
# A place is trusted only when this many characters of context around it still match: a word
# that merely occurs elsewhere (a name repeated in another sentence) must not attract the span.
MIN_CONTEXT = 8


def _is_boundary(text: str, i: int) -> bool:
    """Whether offset i does not cut a word (letters, vowel signs, digits) in two."""
    if i <= 0 or i >= len(text):
        return True

    def wordish(ch: str) -> bool:
        return unicodedata.category(ch)[0] in "LMN" or ch in "\u200c\u200d"

    return not (wordish(text[i - 1]) and wordish(text[i]))


def occurrences(text: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Start offsets of `needle` in text[lo:hi] that begin and end on word boundaries."""
    hi = len(text) if hi is None else hi
    out, i = [], text.find(needle, lo, hi)
    while needle and i != -1:
        if _is_boundary(text, i) and _is_boundary(text, i + len(needle)):
            out.append(i)
        i = text.find(needle, i + 1, hi)
    return out


def locate(text: str, needle: str, lo: int = 0, hi: int | None = None, occurrence: int = 1):
    """(start, end) of the n-th whole-word occurrence of `needle` in text[lo:hi], or None."""
    found = occurrences(text, needle, lo, hi)
    if not 1 <= occurrence <= len(found):
        return None
    return found[occurrence - 1], found[occurrence - 1] + len(needle)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _place(old: str, new: str, start: int, end: int) -> tuple[int | None, str]:
    """New start of old[start:end] in `new`: the whole-word occurrence whose context fits best."""
    needle = old[start:end]
    cands = occurrences(new, needle)
    if not cands:
        return None, "text not found"
    left, right = old[max(0, start - CONTEXT) : start], old[end : end + CONTEXT]
    old_occ = occurrences(old, needle)
    # Tie-breaker: with as many occurrences as before, the n-th stays the n-th.
    rank = old_occ.index(start) if start in old_occ and len(cands) == len(old_occ) else -1

    def fit(n: int, c: int) -> tuple[int, int]:
        ctx = _common_suffix(left, new[max(0, c - CONTEXT) : c]) + _common_prefix(
            right, new[c + len(needle) : c + len(needle) + CONTEXT]
        )
        return ctx, int(n == rank)

    scored = sorted(((fit(n, c), c) for n, c in enumerate(cands)), reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None, f"ambiguous: {len(cands)} equally good places"
    if scored[0][0][0] < min(MIN_CONTEXT, len(left) + len(right)):
        return None, "its context changed (the text around it is gone)"
    return scored[0][1], ""


def move_result(result: list[dict], old: str, new: str) -> tuple[list[dict], list[dict]]:
    """A Label Studio result list (one annotation's or prediction's) moved from text `old` onto
    text `new`: each span found again by content and context, its item otherwise unchanged (id,
    label, origin, score); relations kept where both ends were placed; anything else as it was.
    Returns (moved result, what could not be placed: reason, item, and the original JSON).

    A span that already sits on `new` (its text is there and no longer at that place in `old`)
    stays: a re-anchoring interrupted half-way can simply be run again."""
    spans, rels, other = parse_results(result)
    moved, placed, unplaced = [], set(), []
    taken: set[tuple[int, int, str]] = set()
    for item in spans:
        v = item["value"]
        start, end, text = v.get("start"), v.get("end"), v.get("text", "")
        label = (v.get("labels") or [""])[0]
        where = f"{label} {text!r} at {start}-{end}"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            unplaced.append({"reason": "no usable offsets", "item": where, "result": item})
            continue
        if new[start:end] == text and old[start:end] != text:
            at, why = start, ""
        else:
            at, why = _place(old, new, start, end)
        key = (at, (at or 0) + end - start, item.get("from_name", ""))
        if at is None or key in taken:
            unplaced.append({"reason": why or "another span already sits there", "item": where,
                             "result": item})  # fmt: skip
            continue
        taken.add(key)
        placed.add(item.get("id"))
        stop = at + end - start
        moved.append({**item, "value": {**v, "start": at, "end": stop, "text": new[at:stop]}})
    for rel in rels:
        if rel.get("from_id") in placed and rel.get("to_id") in placed:
            moved.append(rel)
        else:
            unplaced.append({"reason": "relation end not placed", "result": rel,
                             "item": f"{(rel.get('labels') or [''])[0]} "
                                     f"{rel.get('from_id')}->{rel.get('to_id')}"})  # fmt: skip
    return moved + other, unplaced


def reanchor(item: dict, article: Article) -> tuple[dict, list[dict]]:
    """Move a gold item's spans onto the article's current cleaned text.

    Spans are found by content and context, never by old offsets (`move_result`). Returns the new
    item and the spans and relations that could not be placed (also kept in the item under
    `reanchor_unplaced`, so nothing is lost and the validator refuses the file until they are
    fixed by hand).
    """
    result, unplaced = move_result(item["annotations"][0]["result"], item["data"]["text"],
                                   article.text)  # fmt: skip
    regions, relations = item_regions({"annotations": [{"result": result}]})
    # A gold region's id says where it is: renamed after its new offsets.
    ids = {r.id: region_id(r.control, r.start, r.end) for r in regions}
    regions = [replace(r, id=ids[r.id]) for r in regions]
    relations = [Relation(ids[r.from_id], ids[r.to_id], r.role) for r in relations]
    new = gold_item(article, regions, relations)
    unplaced = [{k: u[k] for k in ("reason", "item")} for u in unplaced]
    if unplaced:
        new["reanchor_unplaced"] = (item.get("reanchor_unplaced") or []) + unplaced
    return new, unplaced
