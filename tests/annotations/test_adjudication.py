"""Merging annotators: votes, majority, the reviewer's proposal, and the round trip through a
real Label Studio server (annotators disagree -> proposal -> reviewer's ground truth -> export)."""

from __future__ import annotations

import json

import requests

from khabar.annotations.adjudication import proposal
from khabar.annotations.coding import ADJUDICATION_VERSION, Coded
from khabar.annotations.decision import majority, tally
from khabar.annotations.format import Region, Relation
from khabar.studio.client import Client
from tests.conftest import run_khabar


def _coded(name, regions, relations=()):
    return Coded(name, None, regions, list(relations))


def _r(rid, start, end, label, control="entity", text="x"):
    return Region(rid, start, end, label, control, text)


def test_votes_majority_and_proposal():
    per, loc = _r("a", 0, 4, "PER"), _r("b", 8, 14, "LOC")
    meet = _r("t", 20, 27, "MEET", "trigger")
    asha = _coded("asha", [per, loc, meet], [Relation("t", "a", "participant")])
    ravi = _coded("ravi", [_r("z", 0, 4, "PER"), meet], [Relation("t", "z", "participant")])
    meena = _coded("meena", [per, loc, _r("t2", 20, 27, "TRAVEL", "trigger")])
    t = tally({"asha": asha, "ravi": ravi, "meena": meena})
    assert not t.unanimous
    regions, relations, dropped = majority(t)
    # PER 3/3, LOC 2/3, MEET 2/3 kept; TRAVEL 1/3 dropped; participant 2/3 kept (ids differ).
    assert [(r.label, r.start) for r in regions] == [("PER", 0), ("LOC", 8), ("MEET", 20)]
    assert relations == [Relation("t20_27_MEET", "e0_4_PER", "participant")]
    assert len(dropped) == 1 and "TRAVEL" in dropped[0] and "1/3 (meena)" in dropped[0]
    prop = proposal(t)
    assert prop["model_version"] == ADJUDICATION_VERSION
    spans = {r["value"]["labels"][0]: r for r in prop["result"] if r["type"] == "labels"}
    assert "meta" not in spans["PER"] and spans["PER"]["score"] == 1.0
    assert spans["LOC"]["meta"]["text"][0].startswith("DISPUTED: chosen by 2/3 (asha, meena)")
    assert "disputed argument participant" in spans["MEET"]["meta"]["text"][0]
    assert prop["score"] == round(1 / 4, 4)  # one of four regions agreed by all
    assert tally({"asha": asha, "again": asha}).unanimous


def _find(text, word, label, control="entity", rid=None):
    start = text.index(word)
    return {
        "id": rid or f"{label}{start}",
        "from_name": control,
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]},
    }


def _rel(a, b, role):
    return {
        "from_id": a["id"],
        "to_id": b["id"],
        "type": "relation",
        "direction": "right",
        "labels": [role],
    }


def test_adjudication_round_trip_against_the_server(
    label_studio, ls_env, seed_tasks, tmp_path, schema
):
    tasks = json.loads(seed_tasks.read_text("utf-8"))[:3]  # three articles fill three splits
    seed_tasks.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    assert "2 annotator(s) per task" in run_khabar("push", "--tasks", seed_tasks, "--overlap", 2,
                                                   env=ls_env)  # fmt: skip
    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    asha, _ = client.add_annotator("asha.adj@khabar.test", "asha-pass-2026")
    ravi, _ = client.add_annotator("ravi.adj@khabar.test", "ravi-pass-2026")
    by_article = {t["data"]["article_id"]: t for t in client.tasks(pid)}
    disputed, agreed, third = (by_article[t["data"]["article_id"]] for t in tasks)
    text = disputed["data"]["text"]
    lavrov = _find(text, "सर्गेई लावरोव", "PER")
    meet = _find(text, "मिलेंगे", "MEET", "trigger")
    moscow = _find(text, "मॉस्को", "LOC")
    jai_per, jai_org = _find(text, "जयशंकर", "PER"), _find(text, "जयशंकर", "ORG")
    work = {
        asha: [
            lavrov,
            meet,
            moscow,
            jai_per,
            _rel(meet, lavrov, "participant"),
            _rel(meet, moscow, "place"),
        ],
        ravi: [lavrov, meet, jai_org, _rel(meet, lavrov, "participant")],
    }
    same = [r for r in agreed["predictions"][0]["result"] if r["type"] == "labels"][:5]
    for user, result in work.items():
        for task, res in ((disputed, result), (agreed, same), (third, [])):
            client.call(client.sdk.annotations.create, id=task["id"], result=res,
                        completed_by=user, lead_time=40.0)  # fmt: skip

    out = run_khabar("adjudicate", env=ls_env)
    assert "1 disputed tasks got a merged proposal (1 pushed" in out and "2 unanimous" in out
    out = run_khabar("adjudicate", env=ls_env)  # a rerun replaces, never stacks
    assert "1 replaced an older one" in out
    # The task as the editor loads it holds the proposal beside the rule pre-annotations.
    url, token = label_studio
    editor = requests.get(f"{url}/api/tasks/{disputed['id']}", timeout=30,
                          headers={"Authorization": f"Token {token}"}).json()  # fmt: skip
    assert ADJUDICATION_VERSION in [p["model_version"] for p in editor["predictions"]]
    props = [p for p in client.tasks(pid) if p["id"] == disputed["id"]][0]["predictions"]
    props = [p for p in props if p["model_version"] == ADJUDICATION_VERSION]
    assert len(props) == 1 and props[0]["score"] == round(2 / 5, 4)  # PER + MEET of 5 agreed
    marked = {r["value"]["text"] + "/" + r["value"]["labels"][0]: r.get("meta")
              for r in props[0]["result"] if r["type"] == "labels"}  # fmt: skip
    assert marked["सर्गेई लावरोव/PER"] is None
    assert all(marked[k]["text"][0].startswith("DISPUTED: chosen by 1/2")
               for k in ("मॉस्को/LOC", "जयशंकर/PER", "जयशंकर/ORG"))  # fmt: skip
    assert not [p for p in agreed["predictions"] if p["model_version"] == ADJUDICATION_VERSION]

    # No reviewer yet: the export falls back to the majority and says so.
    ds, exp = tmp_path / "ds", tmp_path / "export" / "export.json"
    args = ("export", "--out", exp, "--dataset", ds, "--conll", tmp_path / "conll",
            "--splits", tmp_path / "splits.tsv")  # fmt: skip
    run_khabar(*args, env=ls_env)
    rules = _decisions(exp)
    assert rules == {
        disputed["id"]: "majority",
        agreed["id"]: "unanimous",
        third["id"]: "unanimous",
    }
    assert "मॉस्को/LOC" not in _entities(exp, disputed, schema)  # 1 of 2: dropped, and reported
    problems = (exp.parent / "problems.jsonl").read_text("utf-8")
    assert "dropped by majority vote" in problems and "मॉस्को" in problems

    # The reviewer starts from the proposal, keeps मॉस्को/LOC and जयशंकर/PER, marks it ground truth.
    keep = [r for r in props[0]["result"] if r["type"] == "relation"
            or r["value"]["labels"][0] != "ORG"]  # fmt: skip
    ids = {r["id"] for r in keep if r["type"] == "labels"}
    keep = [r for r in keep if r["type"] == "labels" or {r["from_id"], r["to_id"]} <= ids]
    client.call(client.sdk.annotations.create, id=disputed["id"], result=keep,
                parent_prediction=props[0]["id"], lead_time=90.0, ground_truth=True)  # fmt: skip
    run_khabar(*args, env=ls_env)
    assert _decisions(exp) == {
        disputed["id"]: "ground_truth",
        agreed["id"]: "unanimous",
        third["id"]: "unanimous",
    }
    ents = _entities(exp, disputed, schema)
    assert {"मॉस्को/LOC", "जयशंकर/PER", "सर्गेई लावरोव/PER"} <= ents and "जयशंकर/ORG" not in ents
    assert "1 already decided by a reviewer" in run_khabar("adjudicate", env=ls_env)

    # Agreement compares the two annotators only: the reviewer's verdict is not a third one.
    run_khabar("agreement", "--export", exp, "--project-info", exp.parent / "project.json",
               "--out", tmp_path / "agreement", env=ls_env)  # fmt: skip
    result = json.loads((tmp_path / "agreement" / "agreement.json").read_text("utf-8"))
    assert result["annotators"] == ["asha.adj@khabar.test", "ravi.adj@khabar.test"]
    assert result["tasks_compared"] == 3


def _decisions(export_file) -> dict[int, str]:
    lines = (export_file.parent / "decisions.jsonl").read_text("utf-8").splitlines()
    return {d["task_id"]: d["decided_by"] for d in map(json.loads, lines)}


def _entities(export_file, task, schema) -> set[str]:
    """Entities of the task's rows as the export builds them (two articles are too few for
    three non-empty splits, and datasets cannot reload an empty one)."""
    from khabar.dataset.rows import build_rows

    export = json.loads(export_file.read_text("utf-8"))
    rows, _ = build_rows(export, schema, *_info(export_file))
    return {
        f"{e['text']}/{e['label']}"
        for row in rows[task["data"]["article_id"]]
        for e in row["entities"]
    }


def _info(export_file):
    info = json.loads((export_file.parent / "project.json").read_text("utf-8"))
    return {int(k): v for k, v in info["members"].items()}, info["overlap"]
