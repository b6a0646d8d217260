"""Idempotent push, interrupted imports, annotation loading, and exact offsets end to end."""

from __future__ import annotations

import json
import uuid

import pytest

from khabar.corpus.clean import clean
from khabar.corpus.read import RawDoc
from khabar.dataset.rows import build_rows
from khabar.studio.prelabel import build_task, load_gazetteer
from khabar.studio.sync import load_gold, load_standins, push


def synthetic_tasks(n: int) -> list[dict]:
    return [
        {
            "data": {
                "text": f"मोदी {i}",
                "article_id": f"syn-{i}",
                "content_hash": str(i),
                "sentences": json.dumps([[0, 4 + len(str(i)) + 1]]),
            }
        }
        for i in range(n)
    ]


def article_ids(client, project) -> list[str]:
    return [t["data"]["article_id"] for t in client.tasks(project)]


def test_push_twice_imports_nothing_twice(client, project):
    tasks = synthetic_tasks(7)
    first = push(client, project, tasks, chunk_size=3)
    second = push(client, project, tasks, chunk_size=3)
    assert (first.created, second.created, second.skipped_existing) == (7, 0, 7)
    assert sorted(article_ids(client, project)) == sorted(t["data"]["article_id"] for t in tasks)
    assert client.task_count(project) == 7


def test_interrupted_import_then_rerun(client, project):
    tasks = synthetic_tasks(10)
    chunks = []

    def crash_after_two(n):
        chunks.append(n)
        if len(chunks) == 2:
            raise KeyboardInterrupt("simulated interruption")

    with pytest.raises(KeyboardInterrupt):
        push(client, project, tasks, chunk_size=3, on_chunk=crash_after_two)
    assert len(article_ids(client, project)) == 6
    report = push(client, project, tasks, chunk_size=3)
    ids = article_ids(client, project)
    assert report.created == 4 and len(ids) == 10 and len(set(ids)) == 10


def test_changed_text_updates_unannotated_task_and_protects_annotated(client, project, schema):
    gaz = load_gazetteer()
    v1 = clean(RawDoc("मोदी मॉस्को पहुंचे।", "x"))
    task = build_task(v1, schema, gaz)
    push(client, project, [task])
    v2 = {**task, "data": {**task["data"], "text": "मोदी मॉस्को पहुंचे। नया।", "content_hash": "new"}}
    report = push(client, project, [v2])
    assert report.updated == 1 and report.predictions_added == 1
    (live,) = client.tasks(project)
    assert live["data"]["content_hash"] == "new" and len(live["predictions"]) == 1
    client.create_annotation(live["id"], [], unique_id=str(uuid.uuid4()))
    v3 = {**task, "data": {**task["data"], "content_hash": "newer"}}
    report = push(client, project, [v3])
    assert report.conflicts and client.tasks(project)[0]["data"]["content_hash"] == "new"


def test_emoji_offsets_exact_through_push_and_export(client, project, schema):
    art = clean(
        RawDoc("😀🇮🇳 ट्वीट: Honored 🙏 to meet @narendramodi. मोदी ने मॉस्को में पुतिन से मुलाकात की।", "e")
    )
    task = build_task(art, schema, load_gazetteer())
    push(client, project, [task])
    load_standins(client, project, task["predictions"][0]["model_version"])
    export = json.loads(client.export(project))
    rows, report = build_rows(export, schema)
    assert not [p for p in report.problems if p.reason != "bio"]
    found = {e["text"] for r in rows[art.id] for e in r["entities"]}
    assert {"मोदी", "मॉस्को", "पुतिन"} <= found
    for row in rows[art.id]:
        for e in row["entities"] + row["triggers"]:
            s = row["sentence_start"]
            assert art.text[s + e["start"] : s + e["end"]] == e["text"]
    assert all(r["annotation_source"].startswith("prediction-standin") for r in rows[art.id])


def test_gold_loads_once_as_ground_truth(client, project, schema):
    art = clean(RawDoc("मोदी मॉस्को पहुंचे।", "g"))
    task = build_task(art, schema, load_gazetteer())
    push(client, project, [task])
    result = [
        {
            "id": "g1",
            "from_name": "entity",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 4, "text": "मोदी", "labels": ["PER"]},
        }
    ]
    gold = [
        {
            "data": {"article_id": art.id, "content_hash": task["data"]["content_hash"]},
            "annotations": [{"result": result, "ground_truth": True}],
        }
    ]
    first = load_gold(client, project, gold)
    again = load_gold(client, project, gold)
    assert (first.created, again.created, again.already_loaded) == (1, 0, 1)
    stale = [{"data": {"article_id": art.id, "content_hash": "other"}, "annotations": []}]
    assert "re-anchor" in load_gold(client, project, stale).problems[0]
    export = json.loads(client.export(project))
    rows, report = build_rows(export, schema)
    assert report.decided_by["ground_truth"] == 1
    assert rows[art.id][0]["annotation_source"] == "ground_truth"


def test_a_listed_task_is_kept_without_its_text():
    """push and push-predictions list every task; each is kept as a few ids, not its text."""
    from khabar.studio.sync import slim

    task = {"id": 3, "data": {"article_id": "a", "content_hash": "h", "text": "मोदी " * 500},
            "annotations": [{"id": 1}], "predictions": [{"id": 9, "model_version": "v",
                                                         "result": [{"id": "r"}]}]}  # fmt: skip
    summary = {"id": 3, "data": task["data"], "total_annotations": 1, "versions": ["v"]}
    kept = {"id": 3, "data": {"article_id": "a", "content_hash": "h"}, "total_annotations": 1,
            "versions": ["v"]}  # fmt: skip
    assert slim(task) == slim(summary) == kept


def test_model_versions_read_from_the_data_manager_column():
    """SQLite joins them with commas, PostgreSQL with ", "; a column cut short is unknown."""
    from khabar.studio.client import DM_CHAR_LIMIT, model_versions

    assert model_versions("b,a,b") == model_versions("a, b") == ["a", "b"]
    assert model_versions("") == model_versions(None) == []
    assert model_versions("v," * (DM_CHAR_LIMIT // 2)) is None


def test_summaries_carry_versions_and_partial_replace_deletes_per_task(client, project):
    """The sparse listing reports each task's versions; replacing one version on some of the
    tasks holding it deletes only theirs, and the others keep theirs."""
    from khabar.studio.sync import listed, replace_predictions

    pred = {"model_version": "v1", "score": 0.5, "result": []}
    tasks = [{**t, "predictions": [pred]} for t in synthetic_tasks(3)]
    push(client, project, tasks)
    by_article = {t["data"]["article_id"]: t for t in listed(client, project)}
    assert [t["versions"] for t in by_article.values()] == [["v1"]] * 3
    first = tasks[0]["data"]["article_id"]
    hashes = {t["data"]["article_id"]: t["data"]["content_hash"] for t in tasks}
    report = replace_predictions(client, project, {first: pred}, hashes)
    assert (report.added, report.replaced) == (1, 1)
    counts = {a: len(client.task_predictions(t["id"])) for a, t in by_article.items()}
    assert counts == dict.fromkeys(by_article, 1)
    # A data-manager filter lists only its tasks, with the same fields.
    regex = {"filter": "filter:tasks:data.article_id", "operator": "regex", "type": "String",
             "value": "^(syn-0|syn-2)$"}  # fmt: skip
    found = list(client.iter_task_summaries(project, {"conjunction": "and", "items": [regex]}))
    assert sorted(t["data"]["article_id"] for t in found) == ["syn-0", "syn-2"]
    assert [t["versions"] for t in found] == [["v1"]] * 2
