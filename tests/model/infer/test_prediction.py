"""Prediction over whole articles: exact spans, windows, bad input, agreement with the
transformers pipeline, and Label Studio predictions that replace instead of stacking."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from khabar.annotations.format import content_hash, task_data
from khabar.corpus.article import Article
from khabar.corpus.sentences import split_sentences
from khabar.model.infer.prediction import ls_prediction, predict_articles
from khabar.model.infer.run import tag_words
from khabar.model.infer.strategies import uncertainty
from khabar.spans import bio_to_spans, tokenize

TWEET = "जयशंकर ने लिखा 😀🙏 @DrSJaishankar: Honored to call on President Putin at the Kremlin."


def article(text: str, aid: str = "fx") -> Article:
    return Article(id=aid, origin=f"fixture/{aid}", text=text, sentences=split_sentences(text))


def test_predicted_spans_are_exact_substrings(tiny_run, seed_articles):
    long_text = " ".join(["विदेश मंत्री जयशंकर ने मॉस्को में लावरोव से मुलाकात की और कहा"] * 40)
    arts = [*seed_articles, article(TWEET, "tweet"), article(long_text, "long")]
    run = dataclasses.replace(tiny_run, info={**tiny_run.info, "max_length": 32})  # force windows
    records = predict_articles(run, arts)
    assert [r["article_id"] for r in records] == [a.id for a in arts]
    n = n_trig = n_arg = 0
    for art, rec in zip(arts, records, strict=True):
        starts = {t.start for t in tokenize(art.text)}
        ends = {t.end for t in tokenize(art.text)}
        assert rec["content_hash"] == content_hash(art.text)
        for e in rec["entities"]:
            assert art.text[e["start"] : e["end"]] == e["text"]
            assert e["start"] in starts and e["end"] in ends  # whole tokens, never part of one
            assert 0 < e["score"] <= 1
            n += 1
        for t in rec["triggers"]:
            assert art.text[t["start"] : t["end"]] == t["text"] and t["start"] in starts
            assert t["label"] in tiny_run.info["event_labels"] and 0 < t["score"] <= 1
        ids = {x["id"] for x in rec["entities"] + rec["triggers"]}
        assert len(ids) == len(rec["entities"]) + len(rec["triggers"])  # ids are unique
        for a in rec["arguments"]:  # both ends are spans of the same record
            assert a["trigger_id"].startswith("t") and a["entity_id"].startswith("e")
            assert {a["trigger_id"], a["entity_id"]} <= ids
        assert len(rec["sentences"]) == len(art.sentences)
        for s in rec["sentences"]:
            assert s["event_types"] == sorted(s["events"], key=tiny_run.info["event_labels"].index)
        n_trig += len(rec["triggers"])
        n_arg += len(rec["arguments"])
    assert n > 50  # a barely trained model still tags plenty: the check is not vacuous
    assert n_trig > 10 and n_arg > 0
    # The long article is one sentence far over the 32-sub-token window: it is still tagged to
    # its end, not truncated.
    long_rec = records[-1]
    assert long_rec["entities"] and long_rec["entities"][-1]["end"] > 0.9 * len(long_text)


def test_empty_article_gives_an_empty_record(tiny_run):
    (rec,) = predict_articles(tiny_run, [article("", "empty")])
    assert rec["entities"] == [] and rec["sentences"] == [] and rec["uncertainty"] == 1.0
    assert rec["triggers"] == [] and rec["arguments"] == []
    # nothing predicted is no confident prediction: scored like a task without text
    assert ls_prediction(rec)["score"] == 0.0


def test_uncertainty_and_the_label_studio_prediction():
    assert uncertainty([0.6, 0.8]) == pytest.approx((0.4 + 0.2) / 2)
    assert uncertainty([]) == 1.0
    rec = {"model_version": "run-x", "uncertainty": 0.25, "entities": [
        {"id": "e0_6", "start": 0, "end": 6, "label": "PER", "text": "जयशंकर", "score": 0.8}],
        "triggers": [{"id": "t14_21", "start": 14, "end": 21, "label": "MEET",
                      "text": "मुलाकात", "score": 0.9}],
        "arguments": [{"trigger_id": "t14_21", "entity_id": "e0_6", "role": "participant",
                       "score": 0.7}]}  # fmt: skip
    pred = ls_prediction(rec)
    assert pred["model_version"] == "run-x" and pred["score"] == 0.75
    ent, trig, rel = pred["result"]
    assert ent["value"] == {"start": 0, "end": 6, "text": "जयशंकर", "labels": ["PER"]}
    assert ent["from_name"] == "entity" and ent["score"] == 0.8 and ent["id"] == "e0_6"
    assert trig["from_name"] == "trigger" and trig["value"]["labels"] == ["MEET"]
    assert rel == {
        "from_id": "t14_21",
        "to_id": "e0_6",
        "type": "relation",
        "direction": "right",
        "labels": ["participant"],
    }


def test_same_entities_as_the_transformers_pipeline(tiny_run, seed_articles):
    """khabar's batched windows agree with pipeline(aggregation_strategy='first') word for word
    (compared before BIO decoding, which the pipeline does not do)."""
    from transformers import pipeline

    words = [[t.text for t in tokenize(a.text[s:e])] for a in seed_articles
             for s, e in a.sentences][:40]  # fmt: skip
    pipe = pipeline("token-classification", model=tiny_run.ner, tokenizer=tiny_run.ner_tokenizer,
                    aggregation_strategy="first", device=-1)  # fmt: skip
    ours = tag_words(tiny_run.ner, tiny_run.ner_tokenizer, words, 512, bio=False)  # argmax
    agree = total = tagged_any = 0
    for w, tagged in zip(words, ours, strict=True):
        theirs = {(x["start"], x["end"], x["entity_group"])
                  for x in pipe([w], is_split_into_words=True)[0]}  # fmt: skip
        offsets, pos = [], 0
        for word in w:  # the pipeline joins pre-split words with single spaces
            offsets.append((pos, pos + len(word)))
            pos += len(word) + 1
        spans = bio_to_spans([tokenize("x")[0].__class__("", s, e) for s, e in offsets],
                             [t for t, _ in tagged])  # fmt: skip
        mine = {(s.start, s.end, s.label) for s in spans}
        agree += mine == theirs
        total += 1
        tagged_any += bool(mine or theirs)
    assert agree == total
    assert tagged_any >= total // 2  # most sentences have entities: the comparison is not vacuous


@pytest.mark.labelstudio
def test_predictions_replace_and_never_stack(client, project, seed_articles, tiny_run):
    from khabar.studio.sync import replace_predictions

    arts = seed_articles[:2]
    client.import_tasks(project, [{"data": task_data(a)} for a in arts])
    records = predict_articles(tiny_run, arts)
    preds = {r["article_id"]: ls_prediction(r) for r in records}
    hashes = {r["article_id"]: r["content_hash"] for r in records}
    other = {"model_version": "rules", "score": 0.5, "result": []}
    first = replace_predictions(client, project, preds, hashes)
    assert first.added == 2 and first.replaced == 0
    client.add_prediction(client.tasks(project)[0]["id"], other)
    client.set_uncertainty_sampling(project, tiny_run.name)
    # The whole version replaced (one bulk delete), then one article of it (deleted by id).
    again = replace_predictions(client, project, preds, hashes)
    assert again.added == 2 and again.replaced == 2
    one = replace_predictions(client, project, {arts[0].id: preds[arts[0].id]}, hashes)
    assert one.added == 1 and one.replaced == 1
    for task in client.tasks(project):
        mine = [p for p in task["predictions"] if p["model_version"] == tiny_run.name]
        assert len(mine) == 1
        assert len(mine[0]["result"]) == len(preds[task["data"]["article_id"]]["result"])
    versions = [p["model_version"] for t in client.tasks(project) for p in t["predictions"]]
    assert versions.count("rules") == 1  # another version is never touched
    # Label Studio clears the project's model_version with a bulk delete; it is put back.
    assert client.project_model_version(project) == tiny_run.name
    stale = replace_predictions(client, project, preds, dict.fromkeys(hashes, "other"))
    assert stale.added == 0 and len(stale.stale) == 2
    missing = replace_predictions(client, project, {"nope": preds[arts[0].id]}, {"nope": "x"})
    assert missing.no_task == ["nope"]


@pytest.mark.labelstudio
def test_full_prediction_round_trips_through_label_studio(client, project, schema, tiny_run,
                                                          seed_articles):  # fmt: skip
    """One prediction per task holds entity regions, trigger regions and relations between
    them; an annotation copied from it exports back to exactly the same spans and arguments."""
    from khabar.dataset.rows import build_rows
    from khabar.studio.sync import replace_predictions

    # The article the tiny model finds most arguments in, so the check below is not vacuous.
    rec, art = max(zip(predict_articles(tiny_run, seed_articles), seed_articles, strict=True),
                   key=lambda x: len(x[0]["arguments"]))  # fmt: skip
    assert rec["triggers"] and rec["arguments"]
    client.import_tasks(project, [{"data": task_data(art)}])
    replace_predictions(client, project, {art.id: ls_prediction(rec)},
                        {art.id: rec["content_hash"]})  # fmt: skip
    (task,) = client.tasks(project)
    (pred,) = [p for p in task["predictions"] if p["model_version"] == tiny_run.name]
    region_ids = {r["id"] for r in pred["result"] if r["type"] == "labels"}
    relations = [r for r in pred["result"] if r["type"] == "relation"]
    assert len(relations) == len(rec["arguments"])
    assert all({r["from_id"], r["to_id"]} <= region_ids for r in relations)
    assert {r["from_name"] for r in pred["result"] if r["type"] == "labels"} == {
        "entity", "trigger"}  # fmt: skip
    client.create_annotation(task["id"], pred["result"], unique_id=str(uuid.uuid4()),
                             parent_prediction=pred["id"])  # fmt: skip
    export = json.loads(client.export(project))
    rows, report = build_rows(export, schema)
    assert not [p for p in report.problems if p.reason != "disagreement"], report.problems

    def found(key: str) -> set:  # rows hold sentence offsets and label names
        return {(r["sentence_start"] + x["start"], r["sentence_start"] + x["end"], x["label"])
                for r in rows[art.id] for x in r[key]}  # fmt: skip

    got_args = {(a["trigger_id"], a["entity_id"], a["role"])
                for r in rows[art.id] for a in r["arguments"]}  # fmt: skip
    got_ents, got_trigs = found("entities"), found("triggers")
    assert got_ents == {(e["start"], e["end"], e["label"]) for e in rec["entities"]}
    assert got_trigs == {(t["start"], t["end"], t["label"]) for t in rec["triggers"]}
    assert got_args == {(a["trigger_id"], a["entity_id"], a["role"]) for a in rec["arguments"]}
