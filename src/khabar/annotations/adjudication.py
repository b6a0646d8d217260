"""The reviewer's proposal for a disputed task: one Label Studio prediction merging every
annotator's regions, the disputed ones marked with who chose them (pure; `khabar adjudicate`
pushes it)."""

from __future__ import annotations

from khabar.annotations.coding import ADJUDICATION_VERSION
from khabar.annotations.decision import RegionKey, Tally, merged_id, merged_region, votes
from khabar.annotations.format import Relation, region_result, relation_result


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
                f"disputed argument {role} -> {t.regions[b][0].text}: {votes(t, who)}"
            )
    for key, (r, who) in sorted(t.regions.items(), key=lambda kv: kv[0][1:]):
        item = region_result(merged_region(key, r, len(who) / n))
        lines = list(notes.get(key, []))
        if len(who) < n:
            disputed += 1
            lines.insert(0, f"DISPUTED: {votes(t, who)}")
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
