"""Label Studio export -> validated sentence rows, one decided version per task.

Pure functions over the export JSON: every region is checked against the task's text, the schema
and the sentence spans (`annotations.validate`), the decision rules pick each task's one version
(`annotations.decision`), and every problem is kept with task id and reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from khabar.annotations.coding import live_annotations
from khabar.annotations.decision import decide
from khabar.annotations.format import (
    UNPLACED_FIELD,
    Region,
    Relation,
    parse_results,
    task_sentences,
)
from khabar.annotations.validate import ERROR, NOT_REANCHORED, STATE, Checks
from khabar.schema import Schema
from khabar.spans import Span, spans_to_bio, tokenize


@dataclass
class BuildReport(Checks):
    """Counts and problems of one dataset build."""

    tasks: int = 0
    tasks_used: int = 0
    disagreements: int = 0
    decided_by: Counter = field(default_factory=Counter)
    decisions: list[dict] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)  # article -> split, after this build
    unchanged: bool = False  # the dataset on disk already held exactly these rows

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [
            f"{self.tasks_used}/{self.tasks} tasks used; regions kept "
            f"{self.regions - self.regions_dropped}/{self.regions}; relations kept "
            f"{self.relations - self.relations_dropped}/{self.relations}; "
            f"{self.repaired_offsets} UTF-16 offsets repaired; {self.snapped} regions snapped to "
            f"words; {self.disagreements} tasks with "
            f"disagreeing annotations; decided by: {dict(self.decided_by) or 'nothing'}",
        ]
        for severity, title in ((ERROR, "data errors (block publishing)"),
                                (STATE, "state of the work (does not block)")):  # fmt: skip
            n = Counter(p.reason for p in self.problems if p.severity == severity)
            if n:
                lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in sorted(n.items())))
        return "\n".join(lines)


def _span_key(result: list[dict]) -> set:
    spans, _, _ = parse_results(result)
    return {(s["value"].get("start"), s["value"].get("end"), tuple(s["value"].get("labels", [])))
            for s in spans}  # fmt: skip


def sentence_rows(task: dict, regions: list[Region], relations: list[Relation], schema: Schema,
                  source: str, report: BuildReport) -> list[dict]:  # fmt: skip
    """One dataset row per sentence; span offsets relative to the sentence text."""
    data = task["data"]
    text, aid = data["text"], data["article_id"]
    rows = []
    for i, (s, e) in enumerate(task_sentences(data)):
        sent = text[s:e]
        toks = tokenize(sent)
        ents = [r for r in regions if not r.is_trigger and s <= r.start and r.end <= e]
        trigs = [r for r in regions if r.is_trigger and s <= r.start and r.end <= e]
        tags, warnings = spans_to_bio(toks, [Span(r.start - s, r.end - s, r.label) for r in ents])
        for w in warnings:
            report.add(task.get("id"), "bio", f"sentence {i}: {w}")
        ids = {r.id for r in ents + trigs}
        args = [x for x in relations if x.from_id in ids and x.to_id in ids]
        rows.append({
            "id": f"{aid}-{i:03d}",
            "article_id": aid,
            "sentence_index": i,
            "text": sent,
            "sentence_start": s,
            "tokens": [t.text for t in toks],
            "token_starts": [t.start for t in toks],
            "token_ends": [t.end for t in toks],
            "ner_tags": tags,
            "entities": [_span_dict(r, s) for r in ents],
            "triggers": [_span_dict(r, s) for r in trigs],
            "event_types": sorted({r.label for r in trigs}, key=schema.event_names.index),
            "arguments": [{"trigger_id": x.from_id, "entity_id": x.to_id, "role": x.role}
                          for x in args],
            "annotation_source": source,
            "task_id": task.get("id") or -1,
        })  # fmt: skip
    return rows


def _span_dict(r: Region, base: int) -> dict:
    return {
        "id": r.id,
        "start": r.start - base,
        "end": r.end - base,
        "label": r.label,
        "text": r.text,
    }


def build_rows(
    export: Iterable[dict],
    schema: Schema,
    members: dict[int, str] | None = None,
    overlap: int | None = None,
    snap_words: bool = False,
) -> tuple[dict[str, list[dict]], BuildReport]:
    """Validate an export and turn it into sentence rows grouped by article id (one decided
    version per task; see `decide`); with `snap_words`, regions that cut words are moved onto
    them instead of dropped."""
    report = BuildReport(tasks=0, snap_words=snap_words)
    by_article = dict(article_rows(export, schema, report, members, overlap))
    return by_article, report


def article_rows(
    export: Iterable[dict],
    schema: Schema,
    report: BuildReport,
    members: dict[int, str] | None = None,
    overlap: int | None = None,
) -> Iterator[tuple[str, list[dict]]]:
    """(article id, sentence rows) of each usable task, one task at a time as the export
    streams in; what is wrong goes into `report` (`build_rows`, which holds them all)."""
    for task in export:  # one task at a time: the export may be streamed from its file
        report.tasks += 1
        tid = task.get("id")
        data = task.get("data") or {}
        if not data.get("article_id") or "text" not in data:
            report.add(tid, "not a khabar task", "data lacks article_id or text")
            continue
        for u in json.loads(data.get(UNPLACED_FIELD) or "[]"):
            report.add(tid, NOT_REANCHORED, f"{u.get('item')} ({u.get('reason')}); kept in the "
                       "task's data: draw it again", u.get("annotation"))  # fmt: skip
        cancelled = [a for a in task.get("annotations") or [] if a.get("was_cancelled")]
        for a in cancelled:
            report.add(tid, "cancelled annotation", "skipped", a.get("id"))
        decided = decide(task, schema, report, members, overlap)
        if decided is None:
            report.add(tid, "no annotations", "task has no usable annotation; not in the dataset")
            continue
        regions, relations, source, rule = decided
        live = live_annotations(task)
        if len({frozenset(_span_key(a.get("result") or [])) for a in live}) > 1:
            report.disagreements += 1
            report.add(tid, "disagreement", f"{len(live)} annotations differ; decided by {rule}")
        report.decided_by[rule] += 1
        report.decisions.append({"task_id": tid, "article_id": data["article_id"],
                                 "decided_by": rule, "source": source,
                                 "annotations": [a.get("id") for a in live]})  # fmt: skip
        rows = sentence_rows(task, regions, relations, schema, source, report)
        report.tasks_used += 1
        yield data["article_id"], [dict(r, decided_by=rule) for r in rows]


def rows_with_names(ds) -> list[dict]:
    """A dataset split's rows as dicts, span labels, roles and event types as names (a
    `Dataset.from_list` with the split's features turns them back into ids)."""
    feats = ds.features
    ent = feats["entities"].feature["label"].names
    events = feats["event_types"].feature.names
    roles = feats["arguments"].feature["role"].names
    rows = ds.to_list()
    for r in rows:
        for key, names in (("entities", ent), ("triggers", events)):
            for x in r[key]:
                x["label"] = names[x["label"]]
        for a in r["arguments"]:
            a["role"] = roles[a["role"]]
        r["event_types"] = [events[e] for e in r["event_types"]]
    return rows
