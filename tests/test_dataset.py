"""Export validation, annotation choice, splits and the DatasetDict / CoNLL outputs."""

from __future__ import annotations

import json

import pytest

from datasets import load_from_disk
from khabar.dataset import (
    build_dataset,
    build_rows,
    parse_tag_map,
    read_conll,
    split_articles,
    to_conll,
)
from tests.conftest import annotation

TEXT = "😀 मोदी ने मॉस्को में पुतिन से मुलाकात की। दूसरा वाक्य भारत में।"


def span(rid, start, end, label, control="entity", text=None):
    return {
        "id": rid,
        "from_name": control,
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": TEXT[start:end] if text is None else text,
            "labels": [label],
        },
    }


def rel(a, b, role):
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


def task(tid, result, article="a1", **ann):
    cut = TEXT.index("।") + 1
    sentences = [[0, cut], [cut + 1, len(TEXT)]]
    annotation = {
        "id": tid * 10,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "updated_at": "2026-01-01T00:00:00Z",
        **ann,
    }
    return {
        "id": tid,
        "data": {"text": TEXT, "article_id": article, "sentences": json.dumps(sentences)},
        "annotations": [annotation],
    }


def test_valid_regions_and_relations(schema):
    modi = TEXT.index("मोदी")
    meet = TEXT.index("मुलाकात")
    result = [
        span("m", modi, modi + 4, "PER"),
        span("t", meet, meet + 7, "MEET", "trigger"),
        rel("t", "m", "participant"),
    ]
    rows, report = build_rows([task(1, result)], schema)
    assert not report.problems
    row = rows["a1"][0]
    assert row["entities"][0]["text"] == "मोदी"
    assert row["arguments"] == [{"trigger_id": "t", "entity_id": "m", "role": "participant"}]
    assert row["event_types"] == ["MEET"]
    assert "B-PER" in row["ner_tags"]


def test_problems_are_reported_never_silently_lost(schema):
    modi = TEXT.index("मोदी")
    result = [
        span("bad-text", modi, modi + 4, "PER", text="पुतिन"),
        span("bad-label", modi, modi + 4, "PERSON"),
        span("cross", 35, 45, "LOC"),
        rel("gone", "bad-label", "participant"),
    ]
    cancelled = task(2, [], article="a2")
    cancelled["annotations"][0]["was_cancelled"] = True
    empty = task(3, [], article="a3")
    empty["annotations"] = []
    rows, report = build_rows([task(1, result), cancelled, empty], schema)
    reasons = [p.reason for p in report.problems]
    assert "text mismatch" in reasons
    assert "unknown label 'PERSON' for entity" in reasons
    assert "region crosses a sentence boundary" in reasons
    assert "relation end missing" in reasons
    assert reasons.count("cancelled annotation") == 1
    assert reasons.count("no annotations") == 2  # the cancelled-only task and the empty one
    assert report.regions_dropped == 3 and report.relations_dropped == 1
    assert set(rows) == {"a1"}


def test_utf16_offsets_from_the_browser_are_repaired(schema):
    modi = TEXT.index("मोदी")
    # The browser counts the emoji as two code units: its offsets are one higher.
    result = [span("m", modi + 1, modi + 5, "PER", text="मोदी")]
    rows, report = build_rows([task(1, result)], schema)
    assert report.repaired_offsets == 1 and not report.problems
    ent = rows["a1"][0]["entities"][0]
    assert (ent["start"], ent["end"]) == (modi, modi + 4)


def test_relation_rules(schema):
    modi, meet = TEXT.index("मोदी"), TEXT.index("मुलाकात")
    bharat = TEXT.index("भारत")
    result = [
        span("m", modi, modi + 4, "PER"),
        span("t", meet, meet + 7, "MEET", "trigger"),
        span("b", bharat, bharat + 4, "LOC"),
        rel("m", "t", "participant"),  # reversed: normalised
        rel("t", "m", "time"),  # PER cannot be a time
        rel("t", "b", "place"),
    ]  # crosses sentences
    rows, report = build_rows([task(1, result)], schema)
    assert rows["a1"][0]["arguments"] == [
        {"trigger_id": "t", "entity_id": "m", "role": "participant"}
    ]
    reasons = {p.reason for p in report.problems}
    assert {"role time does not take a PER", "argument crosses sentences"} <= reasons


def test_overlap_policy(schema):
    modi = TEXT.index("मोदी")
    result = [
        span("a", modi, modi + 4, "PER"),
        span("b", modi, modi + 4, "LOC"),
        span("c", modi + 2, modi + 7, "ORG"),
    ]
    _, report = build_rows([task(1, result)], schema)
    assert [p.reason for p in report.problems] == ["overlap", "overlap"]


def _by(user, aid, result, **kw):
    return annotation(aid, user, result, **kw)


def test_decision_rules_ground_truth_unanimous_majority_single(schema):
    modi, mos = TEXT.index("मोदी"), TEXT.index("मॉस्को")
    per, loc = span("m", modi, modi + 4, "PER"), span("l", mos, mos + 6, "LOC")
    t = task(1, [])
    t["annotations"] = [_by(1, 1, [per, loc]), _by(2, 2, [per]), _by(3, 3, [per, loc])]
    rows, report = build_rows([t], schema, members={1: "asha", 2: "ravi", 3: "meena"})
    assert report.decided_by == {"majority": 1}
    assert [p.reason for p in report.problems] == ["disagreement"]
    _, gone = build_rows([t], schema, members={1: "asha", 2: "ravi"})  # meena left the team
    assert (gone.problems[0].reason, gone.problems[0].detail) == (
        "annotator no longer a member",
        "user-3's annotation is kept and counts",
    )
    assert gone.decided_by == {"majority": 1}
    assert [e["label"] for e in rows["a1"][0]["entities"]] == ["PER", "LOC"]  # 3 and 2 of 3
    assert rows["a1"][0]["decided_by"] == "majority"
    t["annotations"][1] = _by(2, 2, [span("x", modi, modi + 4, "PER")])  # ravi drops LOC...
    t["annotations"].append(_by(2, 4, [per, loc]))  # ...then agrees: his latest counts
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"unanimous": 1}
    assert [p.reason for p in report.problems].count("several annotations by one annotator") == 1
    t["annotations"].append(_by(1, 5, [loc], ground_truth=True))  # a reviewer's verdict wins
    cancelled = _by(9, 6, [per], ground_truth=True, was_cancelled=True)
    t["annotations"].append(cancelled)
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"ground_truth": 1}
    assert [e["label"] for e in rows["a1"][0]["entities"]] == ["LOC"]
    t["annotations"] = [_by(1, 1, [per])]
    _, report = build_rows([t], schema, overlap=2)  # one annotator where two were asked for
    assert report.decided_by == {"single": 1}
    assert [p.reason for p in report.problems] == ["under-annotated"]
    assert report.decisions == [
        {
            "task_id": 1,
            "article_id": "a1",
            "decided_by": "single",
            "source": "annotator",
            "annotations": [1],
        }
    ]


def test_majority_reports_what_it_drops(schema):
    modi, meet = TEXT.index("मोदी"), TEXT.index("मुलाकात")
    per, trig = span("m", modi, modi + 4, "PER"), span("t", meet, meet + 7, "MEET", "trigger")
    t = task(1, [])
    t["annotations"] = [_by(1, 1, [per, trig, rel("t", "m", "participant")]), _by(2, 2, [per])]
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"majority": 1}
    row = rows["a1"][0]
    assert [e["label"] for e in row["entities"]] == ["PER"] and not row["triggers"]
    dropped = [p.detail for p in report.problems if p.reason == "dropped by majority vote"]
    assert len(dropped) == 2 and "MEET" in dropped[0] and "1/2" in dropped[0]
    assert "argument participant" in dropped[1]


def test_disagreement_is_reported(schema):
    modi = TEXT.index("मोदी")
    t = task(1, [span("m", modi, modi + 4, "PER")])
    t["annotations"].append(
        {"id": 11, "result": [], "was_cancelled": False, "updated_at": "2026-02-01"}
    )
    _, report = build_rows([t], schema)
    assert report.disagreements == 1


def test_split_is_by_article_and_deterministic():
    ids = [f"a{i}" for i in range(5)]
    s1 = split_articles(ids, seed=1)
    assert s1 == split_articles(list(reversed(ids)), seed=1)
    assert [len(s1[k]) for k in ("train", "validation", "test")] == [3, 1, 1]
    assert sorted(sum(s1.values(), [])) == ids
    with pytest.raises(ValueError):
        split_articles(ids, (0.5, 0.5, 0.5))


def test_dataset_on_disk_and_conll(schema, tmp_path):
    modi = TEXT.index("मोदी")
    export = [task(i, [span("m", modi, modi + 4, "PER")], article=f"a{i}") for i in range(5)]
    dd, _ = build_dataset(export, schema, tmp_path / "ds", tmp_path / "conll")
    loaded = load_from_disk(str(tmp_path / "ds"))
    assert set(loaded) == {"train", "validation", "test"}
    feats = loaded["train"].features
    assert feats["ner_tags"].feature.names == schema.bio_tags
    assert feats["event_types"].feature.names == schema.event_names
    arts = [set(loaded[k]["article_id"]) for k in loaded]
    assert not (arts[0] & arts[1] or arts[0] & arts[2] or arts[1] & arts[2])
    conll = (tmp_path / "conll" / "train.conll").read_text(encoding="utf-8")
    assert "मोदी\tB-PER" in conll
    row = loaded["train"][0]
    assert (
        to_conll(
            [{**row, "ner_tags": [feats["ner_tags"].feature.int2str(t) for t in row["ner_tags"]]}]
        ).count("\n")
        > 3
    )


def test_read_conll_maps_types_and_reports_unknown_ones(schema, tmp_path):
    f = tmp_path / "x.conll"
    f.write_text(
        "# id = 1\nअमरीकी\tB-ORGANIZATION\nसेना\tI-ORGANIZATION\nमें\tO\n\n"
        "विलियम\tB-PERSON\n2003\tB-NETI\nदिल्ली\t-NEL\n", encoding="utf-8"
    )  # fmt: skip
    sents, dropped = read_conll(f, parse_tag_map("ORGANIZATION=ORG, PERSON=PER"),
                                schema.entity_names)  # fmt: skip
    assert sents == [(["अमरीकी", "सेना", "में"], ["B-ORG", "I-ORG", "O"]),
                     (["विलियम", "2003", "दिल्ली"], ["B-PER", "O", "O"])]  # fmt: skip
    assert dropped == {"B-NETI": 1, "-NEL": 1}
    with pytest.raises(ValueError, match="not entity types"):
        read_conll(f, {"PERSON": "HUMAN"}, schema.entity_names)
    with pytest.raises(ValueError, match="SOURCE=TARGET"):
        parse_tag_map("PERSON")
