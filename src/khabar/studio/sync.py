"""Idempotent push of tasks, loading of annotations and predictions, and adjudication proposals
into a Label Studio project (all through `studio.client`)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from khabar.annotations.adjudication import proposal
from khabar.annotations.decision import DEPARTED, SEVERAL, UNDER, choose
from khabar.annotations.format import UNPLACED_FIELD
from khabar.annotations.reanchor import move_result
from khabar.annotations.validate import Checks
from khabar.studio.client import Client

GOLD_PREFIX = "khabar-gold"
STANDIN_PREFIX = "khabar-standin"


@dataclass
class PushReport:
    """What `push` did, for the summary line and the tests."""

    project_id: int
    created: int = 0
    skipped_existing: int = 0
    predictions_added: int = 0
    updated: int = 0
    conflicts: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"project {self.project_id}: {self.created} tasks imported, "
            f"{self.skipped_existing} already there, {self.updated} updated, "
            f"{self.predictions_added} predictions added, {len(self.conflicts)} conflicts, "
            f"{len(self.stale)} tasks not in the corpus"
        )


def slim(task: dict) -> dict:
    """What push and push-predictions need of a listed task: its id, article and text hash,
    whether it is annotated, and its predictions' model versions (not its text). `task` is a
    task whole (with `predictions`) or a summary (`Client.iter_task_summaries`, `versions`)."""
    data = task.get("data") or {}
    versions = task.get("versions")
    if "predictions" in task:
        versions = sorted({p.get("model_version") for p in task.get("predictions") or []
                           if isinstance(p, dict)})  # fmt: skip
    return {
        "id": task["id"],
        "data": {k: data[k] for k in ("article_id", "content_hash") if k in data},
        "total_annotations": task.get("total_annotations") or len(task.get("annotations") or []),
        "versions": versions,
    }


def listed(client: Client, project_id: int) -> Iterator[dict]:
    """Every task of the project, slim, from the data manager's summaries (no annotation or
    prediction is sent); a task whose version list Label Studio cut short is asked for whole."""
    for task in map(slim, client.iter_task_summaries(project_id)):
        if task["versions"] is None:
            whole = {**task, "predictions": client.task_predictions(task["id"])}
            task["versions"] = slim(whole)["versions"]
        yield task


def _by_article(tasks: Iterable[dict]) -> tuple[dict[str, dict], list[str]]:
    out: dict[str, dict] = {}
    dupes = []
    for t in tasks:
        aid = (t.get("data") or {}).get("article_id")
        if aid in out:
            dupes.append(f"task {t['id']}: article {aid} is also task {out[aid]['id']}")
        elif aid:
            out[aid] = t
    return out, dupes


def _delete_predictions(client: Client, task_id: int, version: str | None = None) -> None:
    """Delete a task's predictions (of one model version, or all)."""
    for p in client.task_predictions(task_id):
        if version is None or p.get("model_version") == version:
            client.delete_prediction(p["id"])


def push(client: Client, project_id: int, tasks: Iterable[dict], chunk_size: int = 500,
         on_chunk=None) -> PushReport:  # fmt: skip
    """Bring the project's tasks in line with `tasks`; nothing is ever imported twice.

    New articles are imported in chunks as `tasks` streams in (a file of any size is never held
    whole; a push cut off midway imports the rest on the next run, since every article already
    there is skipped). An article already there keeps its task: it gets the prediction if it
    lacks that model_version, and its data is replaced when the cleaned text changed and nobody
    has annotated it yet (otherwise a conflict is reported, never overwritten).
    """
    report = PushReport(project_id)
    existing, dupes = _by_article(listed(client, project_id))
    report.conflicts += dupes
    wanted: set[str] = set()
    new: list[dict] = []
    for task in tasks:
        wanted.add(task["data"]["article_id"])
        current = existing.get(task["data"]["article_id"])
        if current is None:
            new.append(task)
            if len(new) == chunk_size:
                report.created += len(client.import_tasks(project_id, new, chunk_size, on_chunk))
                new = []
            continue
        report.skipped_existing += 1
        if on_chunk:
            on_chunk(1)  # progress counts every task, imported or already there
        _refresh(client, current, task, report)
    report.created += len(client.import_tasks(project_id, new, chunk_size, on_chunk))
    report.stale = sorted(
        f"task {t['id']}: article {a}" for a, t in existing.items() if a not in wanted
    )
    return report


def _refresh(client: Client, current: dict, task: dict, report: PushReport) -> None:
    """An article already in the project: new text (unless annotated) and missing predictions."""
    if current["data"].get("content_hash") != task["data"]["content_hash"]:
        if current.get("total_annotations") or current.get("annotations"):
            report.conflicts.append(
                f"task {current['id']}: article {task['data']['article_id']} text changed "
                "but the task has annotations; run `khabar reanchor`, then push again"
            )
            return
        client.update_task_data(current["id"], task["data"])
        _delete_predictions(client, current["id"])  # offsets refer to the old text
        current = {**current, "versions": []}
        report.updated += 1
    have = set(current["versions"])
    for pred in task.get("predictions", []):
        if pred["model_version"] not in have:
            client.add_prediction(current["id"], pred)
            report.predictions_added += 1


@dataclass
class ReanchorReport:
    """What `reanchor_tasks` moved and what it could not place."""

    tasks: int = 0
    annotations: int = 0
    predictions: int = 0
    placed: int = 0
    unplaced: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"{self.tasks} tasks re-anchored ({self.annotations} annotations, "
                f"{self.predictions} predictions): {self.placed} items placed, "
                f"{len(self.unplaced)} not placed")  # fmt: skip


def reanchor_tasks(client: Client, project_id: int, tasks: list[dict]) -> ReanchorReport:
    """Move every annotation (all annotators, ground truth included) and prediction of each task
    whose article text changed onto the new text, then give the task the new data. What cannot
    be placed is kept in the task's data under `reanchor_unplaced` (original JSON, annotation,
    reason) and listed in the report; the export reports it until a person has redrawn it."""
    report = ReanchorReport()
    existing, _ = _by_article(map(slim, client.iter_task_summaries(project_id)))
    for task in tasks:
        current = existing.get(task["data"]["article_id"])
        if current is None or current["data"].get("content_hash") == task["data"]["content_hash"]:
            continue
        current = client.task(current["id"])  # only a changed task is read whole
        old, new = current["data"]["text"], task["data"]["text"]
        lost = json.loads(current["data"].get(UNPLACED_FIELD) or "[]")
        moves = []
        for kind, items, update in (("annotation", current.get("annotations"),
                                     client.update_annotation),
                                    ("prediction", current.get("predictions"),
                                     client.update_prediction)):  # fmt: skip
            for it in items or []:
                moved, unplaced = move_result(it.get("result") or [], old, new)
                moves.append((update, it["id"], moved))
                report.annotations += kind == "annotation"
                report.predictions += kind == "prediction"
                report.placed += len(moved)
                for u in unplaced:
                    report.unplaced.append({**u, kind: it["id"], "task": current["id"]})
                    if report.unplaced[-1] not in lost:  # a rerun finds the same ones again
                        lost.append(report.unplaced[-1])
        # What cannot be placed is kept in the task (still on its old text) before any result
        # drops it, then the results move, then the task gets the new text: stopped anywhere, a
        # rerun finds the task again, recognises what already moved, and nothing is lost.
        kept = {UNPLACED_FIELD: json.dumps(lost, ensure_ascii=False)} if lost else {}
        if kept:
            client.update_task_data(current["id"], {**current["data"], **kept})
        for update, item_id, moved in moves:
            update(item_id, moved)
        data = {**task["data"], **kept}
        client.update_task_data(current["id"], data)
        report.tasks += 1
    return report


def annotation_uid(prefix: str, article_id: str, result: list[dict]) -> str:
    """Deterministic annotation unique_id (a UUID, as Label Studio requires).

    Label Studio rejects a second annotation with the same unique_id, so loading the same
    annotation twice creates it once.
    """
    digest = hashlib.sha256(json.dumps(result, sort_keys=True, ensure_ascii=False).encode())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{prefix}:{article_id}:{digest.hexdigest()}"))


@dataclass
class LoadReport:
    """What loading annotations did."""

    created: int = 0
    already_loaded: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.created} annotations created, {self.already_loaded} already loaded, "
            f"{len(self.problems)} problems"
        )


def load_gold(client: Client, project_id: int, gold: list[dict]) -> LoadReport:
    """Load gold annotations as ground-truth annotations on the matching tasks."""
    report = LoadReport()
    tasks, _ = _by_article(map(slim, client.iter_task_summaries(project_id)))
    for item in gold:
        aid = item.get("data", {}).get("article_id")
        task = tasks.get(aid)
        if task is None:
            report.problems.append(f"gold article {aid}: no task in the project (push first)")
            continue
        want = item["data"].get("content_hash")
        if want and want != task["data"].get("content_hash"):
            report.problems.append(
                f"gold article {aid}: annotated on another version of the cleaned text; "
                "re-anchor the gold before loading"
            )
            continue
        for ann in item.get("annotations", []):
            uid = annotation_uid(GOLD_PREFIX, aid, ann["result"])
            made = client.create_annotation(task["id"], ann["result"], unique_id=uid,
                                            ground_truth=ann.get("ground_truth", True))  # fmt: skip
            report.created += made is not None
            report.already_loaded += made is None
    return report


def load_standins(client: Client, project_id: int, model_version: str) -> LoadReport:
    """Copy each task's rule prediction into an annotation, marked as a stand-in for gold.

    The mark survives export: `parent_prediction` points at the prediction, the result equals
    it and no lead time was recorded; the dataset records such rows as 'prediction-standin'.
    """
    report = LoadReport()
    for task in client.iter_tasks(project_id):
        preds = [
            p for p in task.get("predictions") or [] if p.get("model_version") == model_version
        ]
        if not preds:
            report.problems.append(f"task {task['id']}: no prediction of {model_version}")
            continue
        pred = preds[-1]
        uid = annotation_uid(STANDIN_PREFIX, task["data"]["article_id"], pred["result"])
        made = client.create_annotation(task["id"], pred["result"], unique_id=uid,
                                        parent_prediction=pred["id"])  # fmt: skip
        report.created += made is not None
        report.already_loaded += made is None
    return report


# Predictions per import request. Label Studio 1.23 spends a fixed time on each request that
# grows with the project (7.3 s at 10,000 tasks, against 1.5 ms per prediction), so few large
# requests: 500 predictions took 8.2 s, 5,000 took 14.7 s (about 15 MB of JSON).
PREDICTION_CHUNK = 5000


@dataclass
class PredictionReport:
    """What pushing one model version's predictions did."""

    added: int = 0
    replaced: int = 0
    no_task: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.added} tasks got predictions ({self.replaced} replaced an earlier one of the "
            f"same version); {len(self.no_task)} articles have no task (push first); "
            f"{len(self.stale)} tasks hold another version of the text"
        )


class PredictionSource(Protocol):
    """Predictions too many to hold: read twice, cheaply for their versions, then in full."""

    def versions(self) -> Iterable[tuple[str, str]]:
        """(article_id, model_version) of every prediction."""

    def items(self) -> Iterable[tuple[str, dict]]:
        """(article_id, Label Studio prediction), one at a time."""


def replace_predictions(client: Client, project_id: int,
                        preds: Mapping[str, dict] | PredictionSource,
                        content_hashes: dict[str, str], chunk_size: int = PREDICTION_CHUNK,
                        on_chunk=None) -> PredictionReport:  # fmt: skip
    """Give each article's task exactly one prediction of each pushed model_version: any older
    prediction of that version is deleted first, so rerunning replaces and never stacks.

    `preds` maps article_id to a Label Studio prediction (or streams them from a file, see
    `PredictionSource`: then none is held beyond a chunk); a task whose text differs from the
    one predicted on (`content_hashes`) is skipped and reported, since the offsets would not fit.
    New predictions go in chunks of `chunk_size` per request (one request per task ran at ten
    tasks a second); `on_chunk(n)` is told about each chunk, for a progress bar.
    """
    report = PredictionReport()
    every_task = list(listed(client, project_id))
    tasks, _ = _by_article(every_task)
    target: dict[str, int] = {}  # article -> the task its prediction goes to
    old: dict[str, set[int]] = defaultdict(set)  # model_version -> tasks holding one to delete
    versions = (((a, p["model_version"]) for a, p in preds.items())
                if isinstance(preds, Mapping) else preds.versions())  # fmt: skip
    for aid, version in versions:
        task = tasks.get(aid)
        if task is None:
            report.no_task.append(aid)
            continue
        if task["data"].get("content_hash") != content_hashes.get(aid):
            report.stale.append(f"task {task['id']}: article {aid}")
            continue
        had = version in task["versions"]
        if had:
            old[version].add(task["id"])
        target[aid] = task["id"]
        report.added += 1
        report.replaced += had
    everywhere = Counter(v for t in every_task for v in t["versions"])
    whole = [v for v, ids in old.items() if ids and len(ids) == everywhere[v]]
    # A whole-version delete clears the project's own version (uncertainty sampling, `queue`).
    kept = client.project_model_version(project_id) if whole else None
    for version, ids in old.items():
        if version in whole:
            client.delete_model_version(project_id, version)  # the whole version: one request
        else:
            for task_id in ids:
                _delete_predictions(client, task_id, version)
    chunk: list[dict] = []
    for aid, pred in preds.items():
        if aid in target:  # an article listed twice in a file goes once
            chunk.append({**pred, "task": target.pop(aid)})
        if len(chunk) == chunk_size:
            client.import_predictions(project_id, chunk, chunk_size, on_chunk)
            chunk = []
    client.import_predictions(project_id, chunk, chunk_size, on_chunk)
    if kept and client.project_model_version(project_id) != kept:
        # It can only be set back once predictions of that version exist again.
        client.set_project_model_version(project_id, kept)
    return report


@dataclass
class AdjudicationReport:
    """What `adjudicate` found and pushed."""

    disputed: int = 0
    reviewed: int = 0
    unanimous: int = 0
    single: int = 0
    pushed: PredictionReport = field(default_factory=PredictionReport)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"{self.disputed} disputed tasks got a merged proposal ({self.pushed.added} "
                f"pushed, {self.pushed.replaced} replaced an older one); {self.reviewed} already "
                f"decided by a reviewer's ground truth, {self.unanimous} unanimous, {self.single} "
                f"with one annotator or none")  # fmt: skip


def adjudicate(client: Client, project_id: int, export: list[dict], schema,
               members: dict[int, str] | None = None) -> AdjudicationReport:  # fmt: skip
    """Push a merged proposal (model_version khabar-adjudication) to every task whose annotators
    disagree and that no reviewer has decided yet; a rerun replaces the earlier proposal."""
    report = AdjudicationReport()
    proposals, hashes = {}, {}
    for task in export:
        checked = Checks()
        choice = choose(task, schema, checked, members)
        if choice.rule == "ground_truth":
            report.reviewed += 1
            continue
        # Of what the rules met, a reviewer needs the extra annotations and the invalid regions
        # (departed members are the export's and agreement's to report).
        report.problems += [
            p.detail if p.reason == SEVERAL
            else f"task {task['id']}: annotation {p.annotation_id}: {p.detail}"
            for p in checked.problems if p.reason not in (DEPARTED, UNDER)
        ]  # fmt: skip
        if choice.tally is None:
            report.single += 1
        elif choice.rule == "unanimous":
            report.unanimous += 1
        else:
            report.disputed += 1
            aid = task["data"]["article_id"]
            proposals[aid] = proposal(choice.tally)
            hashes[aid] = task["data"].get("content_hash")
    report.pushed = replace_predictions(client, project_id, proposals, hashes)
    return report
