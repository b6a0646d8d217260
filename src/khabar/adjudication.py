"""Merging several annotators' annotations of a task: votes, majority and the reviewer's proposal.

Pure functions over validated regions. A region is the same in two annotations when control,
offsets and label are equal; a relation when both ends and the role are (region ids differ
between annotators, so relations are compared through their ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from khabar.agreement import ADJUDICATION_VERSION, Coded
from khabar.lsformat import Region, Relation, region_id, region_result, relation_result

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


def _region(key: RegionKey, r: Region, score: float | None = None) -> Region:
    return Region(merged_id(key), r.start, r.end, r.label, r.control, r.text, score)


def _votes(t: Tally, who: set[str]) -> str:
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
            regions.append(_region(key, r))
        else:
            dropped.append(f"{r.label} {r.start}-{r.end} {r.text!r}: {_votes(t, who)}")
    kept = {region_key(r) for r in regions}
    relations = []
    for (a, b, role), who in sorted(t.relations.items()):
        if len(who) > need and a in kept and b in kept:
            relations.append(Relation(merged_id(a), merged_id(b), role))
        else:
            dropped.append(
                f"argument {role} {a[3]} {a[1]}-{a[2]} -> {b[3]} {b[1]}-{b[2]}: {_votes(t, who)}"
            )
    return regions, relations, dropped


def proposal(t: Tally) -> dict:
    """A Label Studio prediction for the reviewer: every region any annotator chose, those all
    agreed on as they are, the disputed ones with a note (who chose it) and a score = the share
    of annotators who did; disputed relations are named in the note of their trigger."""
    n = len(t.annotators)
    results, disputed = [], 0
    notes: dict[RegionKey, list[str]] = {}
    for (a, b, role), who in t.relations.items():
        if len(who) < n:
            notes.setdefault(a, []).append(
                f"disputed argument {role} -> {t.regions[b][0].text}: {_votes(t, who)}"
            )
    for key, (r, who) in sorted(t.regions.items(), key=lambda kv: kv[0][1:]):
        item = region_result(_region(key, r, len(who) / n))
        lines = list(notes.get(key, []))
        if len(who) < n:
            disputed += 1
            lines.insert(0, f"DISPUTED: {_votes(t, who)}")
        if lines:
            item["meta"] = {"text": ["; ".join(lines)]}
        results.append(item)
    results += [relation_result(Relation(merged_id(a), merged_id(b), role))
                for (a, b, role) in sorted(t.relations)]  # fmt: skip
    agreed = len(t.regions) - disputed
    return {
        "model_version": ADJUDICATION_VERSION,
        "score": round(agreed / len(t.regions), 4) if t.regions else 1.0,
        "result": results,
    }
