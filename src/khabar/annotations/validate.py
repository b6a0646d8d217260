"""Validating one annotation against its task: every region against the text, the schema and the
sentence spans, every relation against the roles; what fails is dropped and reported with task
id, annotation id and reason, never lost silently.

The export, the gold validator and agreement all run these same checks.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from khabar.annotations.format import Region, Relation, parse_results, task_sentences
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL, Schema
from khabar.spans import has_astral, sentence_of, tokenize, utf16_to_index

ERROR, STATE = "error", "state"
SEVERAL = "several annotations by one annotator"
DEPARTED = "annotator no longer a member"
UNDER = "under-annotated"
SNAPPED = "snapped to words"
NOT_REANCHORED = "not re-anchored"
# Reasons that describe where the work stands, not wrong data: a project where some tasks are not
# labelled yet is the normal state, so these never block publishing; the dataset card states them.
STATE_REASONS = frozenset({
    "no annotations", "cancelled annotation", "disagreement", "dropped by majority vote",
    UNDER, SEVERAL, DEPARTED, SNAPPED, NOT_REANCHORED,
})  # fmt: skip


@dataclass
class Problem:
    """One thing the export reports, with where and why. Severity `error` (wrong data: text
    mismatch, unknown label, bad offsets, crossing spans, dangling relations…) blocks publishing
    until resolved; `state` (the state of the work) informs."""

    task_id: int | None
    reason: str
    detail: str = ""
    annotation_id: int | None = None
    severity: str = ""

    def __post_init__(self) -> None:
        self.severity = self.severity or (STATE if self.reason in STATE_REASONS else ERROR)


@dataclass
class Checks:
    """Counts and problems of validating annotations (the dataset build extends it)."""

    regions: int = 0
    regions_dropped: int = 0
    relations: int = 0
    relations_dropped: int = 0
    repaired_offsets: int = 0
    snapped: int = 0  # regions moved onto whole words (`snap_words`)
    problems: list[Problem] = field(default_factory=list)
    # `--snap words`: a region whose edge cuts a word or a grapheme, or that has a space,
    # punctuation or ZWJ/ZWNJ at an edge, is moved onto the words it touches instead of dropped.
    snap_words: bool = False

    def add(self, task_id, reason, detail="", annotation_id=None) -> None:
        """Record a problem."""
        self.problems.append(Problem(task_id, reason, detail, annotation_id))


# ---------------------------------------------------------------- Hindi-aware span edges

# A span may begin with these non-letters: handles and hashtags carry them in their name.
NAME_SIGILS = "@#"
_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class Bounds:
    """Where a text's graphemes and tokens start and end (code-point offsets)."""

    graphemes: frozenset[int]
    token_starts: tuple[int, ...]
    token_ends: tuple[int, ...]


@lru_cache(maxsize=64)
def bounds(text: str) -> Bounds:
    """Grapheme and token boundaries of a text (cached: every region of a task shares them)."""
    cuts = {m.start() for m in _GRAPHEME.finditer(text)} | {len(text)}
    tokens = tokenize(text)
    return Bounds(frozenset(cuts), tuple(t.start for t in tokens), tuple(t.end for t in tokens))


def _edge_kind(ch: str, at_start: bool, span: str) -> str | None:
    if ch.isspace():
        return "a space"
    if ch in "\u200c\u200d":
        return "ZWJ/ZWNJ"
    if unicodedata.category(ch)[0] in "PS" and not (at_start and ch in NAME_SIGILS
                                                     and len(span) > 1):  # fmt: skip
        return f"punctuation {ch!r}"
    return None


def edge_problems(text: str, start: int, end: int, b: Bounds) -> list[str]:
    """What is wrong with a span's edges in Hindi text: an edge inside a grapheme cluster (between
    a consonant and its vowel sign or virama), a first character that is a vowel sign or virama,
    an edge that cuts a word, a space, punctuation or ZWJ/ZWNJ at an edge. Empty when clean."""
    span = text[start:end]
    out = []
    if start not in b.graphemes or end not in b.graphemes:
        out.append("edge inside a grapheme cluster")
    if unicodedata.category(span[0]).startswith("M"):
        out.append("starts with a vowel sign or virama")
    for kind, where in ((_edge_kind(span[0], True, span), "starts"),
                        (_edge_kind(span[-1], False, span), "ends")):  # fmt: skip
        if kind:
            out.append(f"{where} with {kind}")
    cut = (start not in b.token_starts and _token_at(start, b) is not None) or (
        end not in b.token_ends and _token_at(end - 1, b) is not None)  # fmt: skip
    if cut:
        out.append("cuts a word")
    return out


def _token_at(i: int, b: Bounds) -> int | None:
    """Index of the token that holds character i (None between tokens)."""
    k = bisect_right(b.token_starts, i) - 1
    return k if k >= 0 and i < b.token_ends[k] else None


def snap_to_words(text: str, start: int, end: int, b: Bounds) -> tuple[int, int] | None:
    """The span without edge spaces, punctuation and ZWJ/ZWNJ, widened to the whole words (tokens)
    it touches; None when nothing of it is left."""
    while start < end and _edge_kind(text[start], True, text[start:end]):
        start += 1
    while end > start and _edge_kind(text[end - 1], False, text[start:end]):
        end -= 1
    if start == end:
        return None
    if (k := _token_at(start, b)) is not None:
        start = b.token_starts[k]
    if (k := _token_at(end - 1, b)) is not None:
        end = b.token_ends[k]
    return start, end


def validate_regions(task: dict, ann: dict, schema: Schema, report: Checks):
    """Check every region and relation of one annotation; return the ones that hold."""
    text = task["data"].get("text", "")
    sentences = task_sentences(task["data"])
    tid, aid = task.get("id"), ann.get("id")
    spans, rels, other = parse_results(ann.get("result") or [])
    for item in other:
        report.add(tid, "unsupported result type", str(item.get("type")), aid)
    allowed = {ENTITY_CONTROL: set(schema.entity_names), TRIGGER_CONTROL: set(schema.event_names)}
    regions: list[Region] = []
    for item in spans:
        report.regions += 1
        v = item["value"]
        labels = v.get("labels") or []
        start, end, want = v.get("start"), v.get("end"), v.get("text", "")
        control = item.get("from_name")
        where = f"{start}-{end} {labels} {want!r}"
        reason = None
        if control not in allowed:
            reason = f"unknown control {control!r}"
        elif len(labels) != 1:
            reason = "region needs exactly one label"
        elif labels[0] not in allowed[control]:
            reason = f"unknown label {labels[0]!r} for {control}"
        elif not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        ):
            reason = "offsets out of range"
        elif text[start:end] != want:
            # Offsets counted in UTF-16 code units (JavaScript's; older Label Studio editors,
            # other tools) run ahead after an emoji. 1.23 stores code points (browser test).
            s16, e16 = utf16_to_index(text, start), utf16_to_index(text, end)
            if has_astral(text) and s16 < e16 and text[s16:e16] == want:
                start, end = s16, e16
                report.repaired_offsets += 1
            else:
                reason = f"text mismatch: article has {text[start:end]!r}"
        if reason is None and sentence_of(sentences, start, end) is None:
            reason = "region crosses a sentence boundary"
        if reason is None and (edges := edge_problems(text, start, end, bounds(text))):
            snapped = snap_to_words(text, start, end, bounds(text)) if report.snap_words else None
            if snapped and sentence_of(sentences, *snapped) is not None:
                (start, end), want = snapped, text[snapped[0] : snapped[1]]
                report.snapped += 1
                report.add(tid, SNAPPED, f"{where} -> {start}-{end} {want!r} "
                           f"({'; '.join(edges)})", aid)  # fmt: skip
            else:
                reason = "; ".join(edges) + ("" if report.snap_words else " (--snap words moves "
                                             "it onto the word)")  # fmt: skip
        if reason:
            report.add(tid, reason.split(":")[0].split(";")[0].split(" (")[0],
                       where + ": " + reason, aid)  # fmt: skip
            report.regions_dropped += 1
            continue
        regions.append(
            Region(str(item.get("id")), start, end, labels[0], control, want, item.get("score"))
        )
    nested_ok = schema.overlap.get("nested_entities") != "error"
    regions = _check_overlaps(regions, tid, aid, report, nested_ok)
    relations = _check_relations(rels, regions, sentences, schema, tid, aid, report)
    return regions, relations


def _check_overlaps(regions: list[Region], tid, aid, report: Checks,
                    nested_ok: bool = True) -> list[Region]:  # fmt: skip
    kept: list[Region] = []
    for r in sorted(regions, key=lambda r: (r.start, -(r.end - r.start))):
        clash = None
        for k in kept:
            if k.control != r.control or not (r.start < k.end and k.start < r.end):
                continue
            nested = (k.start <= r.start and r.end <= k.end) or (
                r.start <= k.start and k.end <= r.end
            )
            if r.is_trigger:
                clash = f"trigger overlaps trigger {k.start}-{k.end}"
            elif (k.start, k.end) == (r.start, r.end):
                clash = f"duplicate entity span {k.label}/{r.label}"
            elif not nested:
                clash = f"entity crosses entity {k.start}-{k.end}"
            elif not nested_ok:
                clash = f"entity nested in entity {k.start}-{k.end} (the schema forbids nesting)"
            if clash:
                break
        if clash:
            report.add(tid, "overlap", f"{r.start}-{r.end} {r.label}: {clash}", aid)
            report.regions_dropped += 1
        else:
            kept.append(r)
    return kept


def _check_relations(rels, regions, sentences, schema, tid, aid, report) -> list[Relation]:
    by_id = {r.id: r for r in regions}
    out: list[Relation] = []
    for rel in rels:
        report.relations += 1
        a, b = by_id.get(rel.get("from_id")), by_id.get(rel.get("to_id"))
        labels = rel.get("labels") or []
        reason = None
        if a is None or b is None:
            reason = "relation end missing (region deleted or dropped)"
        else:
            if not a.is_trigger and b.is_trigger:
                a, b = b, a  # drawn from the entity to the trigger: same argument
            if not a.is_trigger or b.is_trigger:
                reason = "relation must link a trigger to an entity"
            elif len(labels) != 1:
                reason = "relation needs exactly one role"
            elif labels[0] not in schema.role_names:
                reason = f"unknown role {labels[0]!r}"
            elif not schema.role_allows(labels[0], b.label):
                reason = f"role {labels[0]} does not take a {b.label}"
            elif sentence_of(sentences, min(a.start, b.start), max(a.end, b.end)) is None:
                reason = "argument crosses sentences"
        if reason:
            report.add(
                tid,
                reason.split(" (")[0].split(" '")[0],
                f"{rel.get('from_id')}->{rel.get('to_id')} {labels}: {reason}",
                aid,
            )
            report.relations_dropped += 1
        else:
            out.append(Relation(a.id, b.id, labels[0]))
    return out
