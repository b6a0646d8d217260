"""Validating one annotation against its task: every region against the text, the schema and the
sentence spans, every relation against the roles; what fails is dropped and reported with task
id, annotation id and reason, never lost silently.

The export, the gold validator and agreement all run these same checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from khabar.annotations.format import Region, Relation, parse_results, task_sentences
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL, Schema
from khabar.spans import has_astral, sentence_of, utf16_to_index


@dataclass
class Problem:
    """One thing wrong in the export, with where and why."""

    task_id: int | None
    reason: str
    detail: str = ""
    annotation_id: int | None = None


@dataclass
class Checks:
    """Counts and problems of validating annotations (the dataset build extends it)."""

    regions: int = 0
    regions_dropped: int = 0
    relations: int = 0
    relations_dropped: int = 0
    repaired_offsets: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, task_id, reason, detail="", annotation_id=None) -> None:
        """Record a problem."""
        self.problems.append(Problem(task_id, reason, detail, annotation_id))


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
            if has_astral(text) and text[s16:e16] == want:
                start, end = s16, e16
                report.repaired_offsets += 1
            else:
                reason = f"text mismatch: article has {text[start:end]!r}"
        if reason is None and sentence_of(sentences, start, end) is None:
            reason = "region crosses a sentence boundary"
        if reason:
            report.add(tid, reason.split(":")[0], where + ": " + reason, aid)
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
