"""The review in a real Label Studio: the khabar-review prediction with its notes, the tab, and
a fix a reviewer accepts reaching the next export."""

from __future__ import annotations

import json
import uuid

import pytest

from khabar.dataset.rows import build_rows, rows_with_names
from khabar.review.proposal import REVIEW_VERSION, review_predictions
from tests.conftest import run_khabar


def suspects_of(row: dict) -> list[dict]:
    """A type swap on the row's first entity and a name nobody drew on its last word."""
    e = row["entities"][0]
    at = row["sentence_start"]
    other = "ORG" if e["label"] != "ORG" else "PER"
    annotation = {"start": at + e["start"], "end": at + e["end"], "text": e["text"],
                  "label": e["label"], "id": e["id"]}  # fmt: skip
    last = len(row["tokens"]) - 2  # the last word before the danda
    a, b = row["token_starts"][last], row["token_ends"][last]
    base = {"task_id": 0, "article_id": row["article_id"], "row_id": row["id"],
            "cleanlab_issue": True}  # fmt: skip
    return [
        {**base, "rank": 1, "score": 0.97, "kind": "type", "layer": "entity",
         "annotation": annotation, "model": {**annotation, "label": other},
         "why": f"the model reads this as {other}"},
        {**base, "rank": 2, "score": 0.9, "kind": "missing", "layer": "entity", "annotation": None,
         "model": {"start": at + a, "end": at + b, "text": row["text"][a:b], "label": "LOC"},
         "why": "the model sees a LOC here that nobody annotated"},
    ]  # fmt: skip


@pytest.mark.labelstudio
def test_review_prediction_tab_and_an_accepted_fix_in_the_next_export(
    label_studio, ls_env, seed_tasks, gold_dataset, schema, tmp_path
):
    from khabar.studio.client import Client
    from khabar.studio.review import REVIEW_VIEW

    path, dd = gold_dataset
    rows = [r for s in dd for r in rows_with_names(dd[s])]
    row = next(r for r in rows if r["entities"] and not r["entities"][0]["id"].startswith("x"))
    suspects = suspects_of(row)
    file = tmp_path / "suspects.jsonl"
    file.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in suspects))
    run_khabar("push", "--tasks", seed_tasks, env=ls_env)
    out = run_khabar("push-review", "--suspects", file, "--dataset", path, env=ls_env)
    assert "2 suspects on 1 tasks" in out and "khabar: suspected errors" in out
    run_khabar("push-review", "--suspects", file, "--dataset", path, env=ls_env)  # a rerun

    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    task = next(t for t in client.tasks(pid) if t["data"]["article_id"] == row["article_id"])
    (pred,) = [p for p in task["predictions"] if p["model_version"] == REVIEW_VERSION]
    fixed = {r["id"]: r for r in pred["result"] if r.get("type") == "labels"}
    swapped = fixed[row["entities"][0]["id"]]
    assert swapped["value"]["labels"] == [suspects[0]["model"]["label"]]
    assert "khabar-review #1 (0.97)" in swapped["meta"]["text"][0]
    assert "was " + row["entities"][0]["label"] in swapped["meta"]["text"][0]
    added = fixed["review-2"]
    assert added["value"]["text"] == suspects[1]["model"]["text"] and "added" in str(added["meta"])
    assert pred["score"] == 0.03
    (view,) = [v for v in client.call(client.sdk.views.list, project=pid)
               if v.data.get("title") == REVIEW_VIEW]  # fmt: skip
    assert [t["id"] for t in client.view_tasks(pid, view.id)] == [task["id"]]

    # The reviewer accepts the proposal as it is and submits it.
    client.create_annotation(task["id"], pred["result"], unique_id=str(uuid.uuid4()),
                             parent_prediction=pred["id"])  # fmt: skip
    export = [t for t in json.loads(client.export(pid)) if t["id"] == task["id"]]
    by_article, report = build_rows(export, schema)
    (new,) = [
        r for r in by_article[row["article_id"]] if r["sentence_start"] == row["sentence_start"]
    ]
    labels = {(e["start"], e["end"]): e["label"] for e in new["entities"]}
    e = row["entities"][0]
    assert labels[(e["start"], e["end"])] == suspects[0]["model"]["label"]
    m = suspects[1]["model"]
    assert labels[(m["start"] - row["sentence_start"], m["end"] - row["sentence_start"])] == "LOC"


def test_the_proposal_applies_fixes_without_a_server():
    row = {"article_id": "a", "id": "a-000", "sentence_start": 5, "text": "मोदी ने पुतिन से मुलाकात की",
           "tokens": [], "token_starts": [], "token_ends": [],
           "entities": [{"id": "e1", "start": 0, "end": 4, "label": "PER", "text": "मोदी"},
                        {"id": "e2", "start": 8, "end": 13, "label": "LOC", "text": "पुतिन"}],
           "triggers": [{"id": "t1", "start": 17, "end": 24, "label": "MEET", "text": "मुलाकात"}],
           "arguments": [{"trigger_id": "t1", "entity_id": "e1",
                          "role": "participant"}]}  # fmt: skip
    role = {"rank": 2, "score": 0.8, "kind": "role", "layer": "argument", "article_id": "a",
            "annotation": {"trigger": {"id": "t1", "text": "मुलाकात"},
                           "entity": {"id": "e1", "text": "मोदी"}, "role": "participant"},
            "model": {"role": "none"}, "why": "no"}  # fmt: skip
    spurious = {"rank": 1, "score": 0.9, "kind": "spurious", "layer": "entity", "article_id": "a",
                "annotation": {"id": "e2", "start": 13, "end": 18, "label": "LOC",
                               "text": "पुतिन"}, "model": None, "why": "no name"}  # fmt: skip
    (pred,) = review_predictions([row], [role, spurious]).values()
    assert not [r for r in pred["result"] if r.get("type") == "relation"]  # the role removed
    notes = {r["id"]: r["meta"]["text"][0] for r in pred["result"] if "meta" in r}
    assert set(notes) == {"t1", "e2"} and "delete the region" in notes["e2"]
    assert "participant -> none" in notes["t1"] and pred["score"] == 0.1
