"""Rule pre-annotation: date patterns, gazetteer names and the schema's trigger words as regions.

Pure functions over a text. The studio stage sends them to Label Studio as the rule predictions;
the model stage uses the trigger words as its lexicon baseline.
"""

from __future__ import annotations

import re

from khabar.annotations.format import Region, region_id
from khabar.corpus.metadata import HINDI_MONTHS, WEEKDAYS
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL, Schema
from khabar.spans import tokenize

# Region confidences: what an annotator sees as the prediction score. Date patterns are rarely
# wrong, names from a list sometimes are (a place name used as an organisation), and trigger words
# often are (a noun used outside any event).
SCORE_DATE, SCORE_NAME, SCORE_TRIGGER = 0.9, 0.8, 0.5

_MONTHS = "|".join(sorted(HINDI_MONTHS, key=len, reverse=True))
_EN_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_WEEKDAYS = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
DATE_PATTERNS = [
    rf"\d{{1,2}}(?:\s*-\s*\d{{1,2}})?\s+(?:{_MONTHS})(?:\s*,?\s*\d{{4}})?",  # 17-18 नवंबर 2025
    rf"(?:{_MONTHS})\s+\d{{4}}",  # दिसंबर 2023
    rf"{_EN_MONTHS}\.?\s+\d{{1,2}},\s+\d{{4}}",  # August 21, 2025
    r"(?:साल|वर्ष|सन्)\s+(?:19|20)\d{2}",  # साल 2019
    r"(?:19|20)\d{2}(?:-\d{2})?",  # 2021, 2024-25
    r"(?:इस|पिछले|अगले)\s+(?:साल|वर्ष|सप्ताह|हफ्ते|महीने)",  # relative dates
    rf"{_WEEKDAYS}",
    rf"{_MONTHS}",
]
DATE_RE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS))


def _candidates(text: str, schema: Schema, gazetteer: dict[str, list[str]]):
    for m in DATE_RE.finditer(text):
        yield m.start(), m.end(), "DATE", ENTITY_CONTROL, SCORE_DATE
    for label, names in gazetteer.items():
        if label not in schema.entity_names:
            continue
        for name in names:
            for m in re.finditer(re.escape(name), text):
                yield m.start(), m.end(), label, ENTITY_CONTROL, SCORE_NAME
    for event in schema.events:
        for word in event.examples:
            for m in re.finditer(re.escape(word), text):
                yield m.start(), m.end(), event.name, TRIGGER_CONTROL, SCORE_TRIGGER


def prelabel(text: str, schema: Schema, gazetteer: dict[str, list[str]]) -> list[Region]:
    """Propose entity and trigger regions for a text.

    Only whole-token matches count (रूस never inside रूसी). Within each layer the longest match
    wins and overlapping shorter ones are dropped; triggers may overlap entities (a summit's
    trigger inside a named EVENT), as the schema allows.
    """
    tokens = tokenize(text)
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}
    cands = sorted(
        {c for c in _candidates(text, schema, gazetteer) if c[0] in starts and c[1] in ends},
        key=lambda c: (-(c[1] - c[0]), c[0], -c[4]),
    )
    taken: dict[str, list[tuple[int, int]]] = {ENTITY_CONTROL: [], TRIGGER_CONTROL: []}
    regions: list[Region] = []
    for start, end, label, control, score in cands:
        if any(start < e and s < end for s, e in taken[control]):
            continue
        taken[control].append((start, end))
        regions.append(
            Region(
                region_id(control, start, end), start, end, label, control, text[start:end], score
            )
        )
    return sorted(regions, key=lambda r: (r.start, r.end, r.control))
