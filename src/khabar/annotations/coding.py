"""Whose annotation is which: annotator names (the export's project.json says who each user id
is), which annotations are an annotator's own work (not stand-ins copied from a prediction, not a
reviewer's adjudication, not loaded gold), and each annotator's validated annotation of a task.

Agreement, the decision rules and adjudication all see annotators through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from khabar.annotations.format import Region, Relation
from khabar.annotations.validate import Checks, validate_regions
from khabar.io import read_json
from khabar.schema import Schema

# The model_version of the merged proposal `khabar adjudicate` gives a reviewer.
ADJUDICATION_VERSION = "khabar-adjudication"
# The model_version of the fixes `khabar push-review` proposes for suspect annotations.
REVIEW_VERSION = "khabar-review"
# Written by `khabar export` beside the snapshot: who the user ids are, and the overlap.
PROJECT_INFO = "project.json"


def read_project_info(path: Path) -> tuple[dict[int, str] | None, int | None]:
    """(user id -> email, overlap) from project.json; (None, None) when there is none."""
    if not path.is_file():
        return None, None
    info = read_json(path)
    members = info.get("members")
    return ({int(k): v for k, v in members.items()} if members is not None else None,
            info.get("overlap"))  # fmt: skip


@dataclass
class Coded:
    """One annotator's validated annotation of one task."""

    annotator: str
    annotation_id: int | None
    regions: list[Region]
    relations: list[Relation]


def annotator_name(ann: dict, members: dict[int, str] | None) -> tuple[str, bool]:
    """Display name of an annotation's author and whether that user is still a member."""
    user_id = ann.get("completed_by")
    if isinstance(user_id, dict):  # some exports inline the user
        user_id = user_id.get("id")
    if user_id is None:  # hand-made exports: each annotation is its own annotator
        return f"annotation-{ann.get('id')}", True
    if members is None:
        return f"user-{user_id}", True
    name = members.get(user_id) or members.get(str(user_id))
    return (name, True) if name else (f"user-{user_id}", False)


def parent_prediction(task: dict, ann: dict) -> dict:
    """The prediction an annotation was started from ({} if none).

    Found by `parent_prediction` id among the task's predictions: the export's own
    `prediction` field shows the task's first prediction, whichever the parent was.
    """
    pid = ann.get("parent_prediction")
    if not pid:
        return {}
    found = [p for p in task.get("predictions") or [] if isinstance(p, dict) and p.get("id") == pid]
    return found[0] if found else (ann.get("prediction") or {})


def is_standin(task: dict, ann: dict) -> bool:
    """An annotation copied unchanged from a prediction through the API (no editing time)."""
    pred = parent_prediction(task, ann)
    return bool(pred) and not ann.get("lead_time") and pred.get("result") == ann.get("result")


def is_annotator_work(task: dict, ann: dict) -> bool:
    """Whether an annotation is an annotator's own work (what agreement compares).

    Left out: cancelled ones, stand-ins copied from a prediction, annotations started from the
    adjudication proposal, and ground truth loaded through the API (no time spent in the editor).
    """
    if ann.get("was_cancelled") or is_standin(task, ann):
        return False
    if parent_prediction(task, ann).get("model_version") == ADJUDICATION_VERSION:
        return False
    return not (ann.get("ground_truth") and not ann.get("lead_time"))


def live_annotations(task: dict) -> list[dict]:
    """A task's annotations that were not cancelled, oldest first (later ids are later edits)."""
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    return sorted(live, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))


def by_annotator(task: dict, members: dict[int, str] | None = None):
    """Each annotator's latest own annotation of a task: ({name: annotation}, names of users no
    longer members, notes about extra annotations)."""
    latest: dict[str, dict] = {}
    left: set[str] = set()
    notes: list[str] = []
    for ann in live_annotations(task):
        if not is_annotator_work(task, ann):
            continue
        name, member = annotator_name(ann, members)
        if not member:
            left.add(name)
        if name in latest:
            notes.append(f"task {task.get('id')}: {name} has several annotations; the latest "
                         f"({ann.get('id')}) counts")  # fmt: skip
        latest[name] = ann
    return latest, left, notes


def code(task: dict, works: dict[str, dict], schema: Schema, report: Checks) -> dict[str, Coded]:
    """Validate each annotator's annotation (problems into `report`)."""
    return {n: Coded(n, a.get("id"), *validate_regions(task, a, schema, report))
            for n, a in works.items()}  # fmt: skip


def review_state(export: list[dict]) -> tuple[int, int]:
    """(tasks with a khabar-review prediction, those of them with an annotation submitted or
    updated after it: reviewed)."""
    from datetime import datetime

    def when(x: dict) -> datetime:
        return datetime.fromisoformat(x.get("updated_at") or x.get("created_at") or "1970-01-01")

    marked = reviewed = 0
    for t in export:
        reviews = [when(p) for p in t.get("predictions") or []
                   if p.get("model_version") == REVIEW_VERSION]  # fmt: skip
        if not reviews:
            continue
        marked += 1
        reviewed += any(not a.get("was_cancelled") and when(a) > max(reviews)
                        for a in t.get("annotations") or [])  # fmt: skip
    return marked, reviewed
