"""The `khabar-review` prediction of a task with suspects: its annotation as the dataset holds
it, with each suspect's proposed fix applied and a region note saying what changed and why.

A reviewer opens the task, reads the notes on the marked regions, undoes any fix they disagree
with, and submits: the submitted annotation is what the next export takes (`decision`). A span
the model would delete (`spurious`) stays, marked: deleting is the reviewer's call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from khabar.annotations.coding import REVIEW_VERSION
from khabar.annotations.format import Region, Relation, prediction
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL

CONTROL = {"entity": ENTITY_CONTROL, "trigger": TRIGGER_CONTROL}


def task_annotation(rows: list[dict]) -> tuple[dict[str, Region], list[Relation]]:
    """One task's regions (by id) and relations from its dataset rows (labels as names)."""
    regions, relations = {}, []
    for row in rows:
        base = row["sentence_start"]
        for key, control in (("entities", ENTITY_CONTROL), ("triggers", TRIGGER_CONTROL)):
            for x in row[key]:
                regions[x["id"]] = Region(x["id"], base + x["start"], base + x["end"],
                                          x["label"], control, x["text"])  # fmt: skip
        relations += [Relation(a["trigger_id"], a["entity_id"], a["role"])
                      for a in row["arguments"]]  # fmt: skip
    return regions, relations


def _note(s: dict, what: str) -> str:
    return f"khabar-review #{s['rank']} ({s['score']:.2f}): {s['why']}; {what}"


def apply(regions: dict[str, Region], relations: list[Relation], suspects: list[dict]
          ) -> tuple[dict[str, Region], list[Relation], dict[str, list[str]]]:  # fmt: skip
    """The annotation with every suspect's fix applied, and the notes per region id."""
    regions, relations = dict(regions), list(relations)
    notes: dict[str, list[str]] = defaultdict(list)
    for s in sorted(suspects, key=lambda s: s["rank"]):
        a, m = s["annotation"], s["model"]
        if s["kind"] == "role":
            t, e = a["trigger"]["id"], a["entity"]["id"]
            relations = [r for r in relations if (r.from_id, r.to_id) != (t, e)]
            if m["role"] != "none":
                relations.append(Relation(t, e, m["role"]))
            notes[t].append(_note(s, f"{a['role']} -> {m['role']} for «{a['entity']['text']}»"))
        elif s["kind"] == "missing":
            rid = f"review-{s['rank']}"
            regions[rid] = Region(rid, m["start"], m["end"], m["label"], CONTROL[s["layer"]],
                                  m["text"], 1.0 - s["score"])  # fmt: skip
            notes[rid].append(_note(s, "added; delete it if nobody should have"))
        elif a.get("id") not in regions:
            continue  # its region went with an earlier fix
        elif s["kind"] == "spurious":
            notes[a["id"]].append(_note(s, "delete the region if so"))
        else:  # type, boundary: the model's span and label in place of the annotated one
            regions[a["id"]] = replace(regions[a["id"]], start=m["start"], end=m["end"],
                                       label=m["label"], text=m["text"],
                                       score=1.0 - s["score"])  # fmt: skip
            notes[a["id"]].append(_note(s, f"was {a['label']} «{a['text']}»"))
    return regions, relations, notes


def review_predictions(rows: list[dict], suspects: list[dict]) -> dict[str, dict]:
    """article_id -> the `khabar-review` prediction of each task that has suspects; its score is
    1 − its top suspect's, so the most suspect task sorts first."""
    by_article: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_article[row["article_id"]].append(row)
    found: dict[str, list[dict]] = defaultdict(list)
    for s in suspects:
        found[s["article_id"]].append(s)
    out = {}
    for aid, mine in found.items():
        regions, relations, notes = apply(*task_annotation(by_article[aid]), mine)
        pred = prediction(sorted(regions.values(), key=lambda r: (r.start, r.end)),
                          REVIEW_VERSION, relations)  # fmt: skip
        for item in pred["result"]:
            if item.get("id") in notes:
                item["meta"] = {"text": ["\n".join(notes[item["id"]])]}
        pred["score"] = round(1.0 - max(s["score"] for s in mine), 4)
        out[aid] = pred
    return out
