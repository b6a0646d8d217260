"""`khabar reanchor` against a real server: annotations of two annotators (one starred as ground
truth) and the rules' prediction on a seed article, a cleaning change that adds a line in front and
drops a sentence, then reanchor, push and export: every surviving region sits exactly where its
words moved, and what was in the dropped sentence is kept in the task and reported."""

from __future__ import annotations

import json
import uuid

from khabar.annotations.format import UNPLACED_FIELD, parse_results
from khabar.annotations.gold import read_gold
from khabar.corpus.article import Article
from khabar.corpus.sentences import split_sentences
from khabar.studio.client import Client
from khabar.studio.prelabel import build_task, load_gazetteer
from tests.conftest import ROOT, run_khabar

PREFIX = "नई दिल्ली (एजेंसी)।\n"  # a dateline a changed cleaning rule now keeps


def _moved(old: str, prefix: str, cut: tuple[int, int]):
    """Where offset i of the old text is in the new one (None inside the dropped sentence)."""
    a, b = cut

    def at(i: int, end: bool = False) -> int | None:
        if i < a or (end and i == a):
            return i + len(prefix)
        if i >= b:
            return i - (b - a) + len(prefix)
        return None

    return at


def test_reanchor_moves_every_annotation_and_prediction_and_keeps_what_it_cannot_place(
    label_studio, ls_env, seed_articles, schema, tmp_path
):
    art = seed_articles[1]
    gold = next(g for g in read_gold(ROOT / "annotation" / "gold")
                if g["data"]["article_id"] == art.id)  # fmt: skip
    result = gold["annotations"][0]["result"]
    gaz = load_gazetteer(ROOT / "annotation" / "gazetteer.yaml")
    old_tasks = tmp_path / "tasks-old.json"
    old_tasks.write_text(json.dumps([build_task(art, schema, gaz)], ensure_ascii=False), "utf-8")
    run_khabar("push", "--tasks", old_tasks, env=ls_env)
    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    (task,) = client.tasks(pid)
    other, _ = client.add_annotator("reanchor.colleague@khabar.test", "reanchor-pass-2026")
    client.create_annotation(task["id"], result, unique_id=str(uuid.uuid4()), ground_truth=True)
    spans = parse_results(result)[0]
    client.call(
        client.sdk.annotations.create, id=task["id"], completed_by=other, result=spans[::2]
    )  # a second annotator: every other region, no relations

    # The cleaning change: a dateline kept in front, the third sentence gone.
    old = art.text
    a, b = art.sentences[2]
    b = b + 1 if old[b : b + 1] == " " else b
    new_text = PREFIX + old[:a] + old[b:]
    new = Article(id=art.id, origin=art.origin, text=new_text, title=art.title,
                  sentences=split_sentences(new_text))  # fmt: skip
    new_tasks = tmp_path / "tasks-new.json"
    new_tasks.write_text(json.dumps([build_task(new, schema, gaz)], ensure_ascii=False), "utf-8")
    assert "1 conflicts" in run_khabar("push", "--tasks", new_tasks, env=ls_env)

    out = run_khabar("reanchor", "--tasks", new_tasks, env=ls_env)
    assert "1 tasks re-anchored (2 annotations, 1 predictions)" in out
    assert "0 conflicts" in run_khabar("push", "--tasks", new_tasks, env=ls_env)
    assert "0 tasks re-anchored" in run_khabar("reanchor", "--tasks", new_tasks, env=ls_env)

    (after,) = client.tasks(pid)
    assert after["data"]["text"] == new_text
    at = _moved(old, PREFIX, (a, b))
    placed = unplaced = 0
    for before, now in [(result, next(x for x in after["annotations"] if x["ground_truth"])),
                        (task["predictions"][0]["result"], after["predictions"][0])]:  # fmt: skip
        spans_now = {s["id"]: s["value"] for s in parse_results(now["result"])[0]}
        for s in parse_results(before)[0]:
            v = s["value"]
            start, end = at(v["start"]), at(v["end"], end=True)
            if start is None or end is None:
                assert s["id"] not in spans_now
                unplaced += 1
                continue
            assert (spans_now[s["id"]]["start"], spans_now[s["id"]]["end"]) == (start, end)
            assert new_text[start:end] == v["text"] == spans_now[s["id"]]["text"]
            placed += 1
    kept = json.loads(after["data"][UNPLACED_FIELD])
    assert unplaced and len({(k.get("annotation"), k.get("prediction"), k["item"]) for k in kept
                             if "relation" not in k["reason"]}) >= unplaced  # fmt: skip
    print(
        f"reanchor round trip: {placed} regions placed exactly, {unplaced} not placed "
        f"(in the dropped sentence), {len(kept)} items kept in the task"
    )

    ds = tmp_path / "dataset"
    exported = run_khabar("export", "--out", tmp_path / "export" / "export.json", "--dataset", ds,
                          "--conll", tmp_path / "conll", "--splits", tmp_path / "splits.tsv",
                          env=ls_env)  # fmt: skip
    assert "state of the work (does not block): " in exported and "not re-anchored" in exported
    lines = (tmp_path / "export" / "problems.jsonl").read_text("utf-8").splitlines()
    problems = [json.loads(line) for line in lines]
    # Every moved region is valid on the new text (one article cannot fill three splits).
    assert {p["reason"] for p in problems if p["severity"] == "error"} == {"empty split"}
    assert sum(p["reason"] == "not re-anchored" for p in problems) == len(kept)
