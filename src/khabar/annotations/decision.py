"""The decision rules: which version of a task stands when it has several annotations.

The rules, in order: a ground-truth annotation (a reviewer's verdict or loaded gold; the latest
wins) -> several annotators who all agree ('unanimous') -> several who disagree ('majority': what
more than half chose) -> one annotator ('single') -> else the latest annotation ('latest', e.g. a
stand-in). `choose` walks them once; the export (`decide`) keeps what the rule says and
`khabar adjudicate` proposes a merge where the rule is 'majority'.

A region is the same in two annotations when control, offsets and label are equal; a relation
when both ends and the role are (region ids differ between annotators, so relations are compared
through their ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from khabar.annotations.coding import (
    ADJUDICATION_VERSION,
    Coded,
    by_annotator,
    code,
    is_standin,
    live_annotations,
    parent_prediction,
)
from khabar.annotations.format import Region, Relation, region_id
from khabar.annotations.validate import DEPARTED, SEVERAL, UNDER, Checks, validate_regions
from khabar.schema import Schema

RULES = ("ground_truth", "unanimous", "majority", "single", "latest")
# `choose` reports under SEVERAL, DEPARTED and UNDER (adjudicate shows the first, the export all).

RegionKey = tuple[str, int, int, str]


def region_key(r: Region) -> RegionKey:
    """What makes two annotators' regions the same region."""
    return (r.control, r.start, r.end, r.label)


def merged_id(key: RegionKey) -> str:
    """Region id in merged results: deterministic, and unique even for two labels of one span."""
    control, start, end, label = key
    return f"{region_id(control, start, end)}_{label}"


@dataclass
class Tally:
    """Who chose each region and each relation."""

    annotators: list[str]
    regions: dict[RegionKey, tuple[Region, set[str]]] = field(default_factory=dict)
    relations: dict[tuple[RegionKey, RegionKey, str], set[str]] = field(default_factory=dict)

    @property
    def unanimous(self) -> bool:
        """Whether every annotator chose exactly the same regions and relations."""
        n = len(self.annotators)
        return all(len(v) == n for _, v in self.regions.values()) and all(
            len(v) == n for v in self.relations.values()
        )


def tally(coded: dict[str, Coded]) -> Tally:
    """Count the annotators behind every region and relation of one task."""
    t = Tally(sorted(coded))
    for name, c in coded.items():
        keys = {r.id: region_key(r) for r in c.regions}
        for r in c.regions:
            t.regions.setdefault(keys[r.id], (r, set()))[1].add(name)
        for rel in c.relations:
            k = (keys[rel.from_id], keys[rel.to_id], rel.role)
            t.relations.setdefault(k, set()).add(name)
    return t


def merged_region(key: RegionKey, r: Region, score: float | None = None) -> Region:
    """A region as it appears in a merge (majority or proposal), under its merged id."""
    return Region(merged_id(key), r.start, r.end, r.label, r.control, r.text, score)


def votes(t: Tally, who: set[str]) -> str:
    """'chosen by 1/2 (asha)': who chose a region or relation, out of how many."""
    return f"chosen by {len(who)}/{len(t.annotators)} ({', '.join(sorted(who))})"


def majority(t: Tally) -> tuple[list[Region], list[Relation], list[str]]:
    """Regions and relations chosen by more than half of the annotators, and what was dropped.

    With two annotators who disagree this keeps what both chose; a relation is kept only when
    both its ends are.
    """
    need = len(t.annotators) / 2
    regions, dropped = [], []
    for key, (r, who) in sorted(t.regions.items(), key=lambda kv: kv[0][1:]):
        if len(who) > need:
            regions.append(merged_region(key, r))
        else:
            dropped.append(f"{r.label} {r.start}-{r.end} {r.text!r}: {votes(t, who)}")
    kept = {region_key(r) for r in regions}
    relations = []
    for (a, b, role), who in sorted(t.relations.items()):
        if len(who) > need and a in kept and b in kept:
            relations.append(Relation(merged_id(a), merged_id(b), role))
        else:
            dropped.append(
                f"argument {role} {a[3]} {a[1]}-{a[2]} -> {b[3]} {b[1]}-{b[2]}: {votes(t, who)}"
            )
    return regions, relations, dropped


# ---------------------------------------------------------------- the rules


@dataclass
class Choice:
    """Which rule decides a task and what it rests on."""

    rule: str | None  # one of RULES; None for a task without a live annotation
    annotation: dict | None = None  # ground_truth, single, latest: the annotation that stands
    coded: dict[str, Coded] = field(default_factory=dict)  # unanimous, majority: each annotator's
    tally: Tally | None = None  # unanimous, majority: who chose what


def choose(task: dict, schema: Schema, report: Checks, members: dict[int, str] | None = None,
           overlap: int | None = None) -> Choice:  # fmt: skip
    """Walk the decision rules (module docstring) for one task.

    What it meets on the way goes to `report`: several annotations by one annotator, annotators
    who are no longer members, fewer annotators than the overlap asks for, and the invalid
    regions of the annotations it compares.
    """
    tid, live = task.get("id"), live_annotations(task)
    if not live:
        return Choice(None)
    gt = [a for a in live if a.get("ground_truth")]
    if gt:
        return Choice("ground_truth", gt[-1])
    works, left, notes = by_annotator(task, members)
    for n in notes:
        report.add(tid, SEVERAL, n)
    for name in sorted(left):
        report.add(tid, DEPARTED, f"{name}'s annotation is kept and counts")
    if overlap and 0 < len(works) < overlap:
        need = f"labelled by {len(works)} of the {overlap} annotators the overlap asks for"
        report.add(tid, UNDER, need)
    if len(works) >= 2:
        coded = code(task, works, schema, report)
        t = tally(coded)
        return Choice("unanimous" if t.unanimous else "majority", coded=coded, tally=t)
    return Choice("single", list(works.values())[-1]) if works else Choice("latest", live[-1])


def decide(task: dict, schema: Schema, report: Checks, members: dict[int, str] | None = None,
           overlap: int | None = None):  # fmt: skip
    """What stands for a task: (regions, relations, source, rule), or None with no annotation.

    Every annotation used is validated on its own; a majority keeps what more than half chose
    and reports the rest.
    """
    c = choose(task, schema, report, members, overlap)
    if c.rule is None:
        return None
    if c.rule == "unanimous":
        first = c.coded[c.tally.annotators[0]]
        return first.regions, first.relations, "annotators", "unanimous"
    if c.rule == "majority":
        regions, relations, dropped = majority(c.tally)
        for d in dropped:
            report.add(task.get("id"), "dropped by majority vote", d)
        return regions, relations, "majority-vote", "majority"
    return (*validate_regions(task, c.annotation, schema, report),
            annotation_source(task, c.annotation), c.rule)  # fmt: skip


def annotation_source(task: dict, ann: dict) -> str:
    """Who made the annotation: a stand-in copied from a prediction, a reviewer working from the
    adjudication proposal, or a person."""
    parent = parent_prediction(task, ann).get("model_version", "")
    if is_standin(task, ann):
        return f"prediction-standin:{parent}"
    if parent == ADJUDICATION_VERSION:
        return "adjudicated"
    return "ground_truth" if ann.get("ground_truth") else "annotator"
