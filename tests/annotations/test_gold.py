"""The seed gold standard, its validator, the counts appendix, and loading it into Label Studio."""

from __future__ import annotations

import dataclasses
import json

import pytest

from khabar.annotations.format import Relation
from khabar.annotations.gold import (
    COUNTS_END,
    COUNTS_START,
    count_table,
    gold_item,
    item_regions,
    read_gold,
    read_gold_files,
    validate_item,
)
from khabar.dataset.rows import build_rows
from khabar.studio.sync import load_gold, push
from tests.conftest import GOLD, ROOT, article, ent, trig

FIXTURE = "जयशंकर ने सोमवार को मॉस्को में सर्गेई लावरोव से मुलाकात की। रूसी सेना ने कहा।"


def good_item():
    art = article(FIXTURE)
    t = art.text
    per, date, loc = ent(t, "जयशंकर", "PER"), ent(t, "सोमवार", "DATE"), ent(t, "मॉस्को", "LOC")
    per2, meet = ent(t, "सर्गेई लावरोव", "PER"), trig(t, "मुलाकात", "MEET")
    rels = [
        Relation(meet.id, per.id, "participant"),
        Relation(meet.id, date.id, "time"),
        Relation(meet.id, loc.id, "place"),
        Relation(meet.id, per2.id, "participant"),
    ]
    return art, gold_item(art, [per, date, loc, per2, meet], rels)


def problems_after(schema, edit) -> list[str]:
    art, item = good_item()
    edit(item)
    return validate_item(item, schema, art).problems


def test_fixture_is_valid(schema):
    art, item = good_item()
    check = validate_item(item, schema, art)
    assert check.problems == [] and len(check.regions) == 5 and len(check.relations) == 4


def _span(item, text):
    result = item["annotations"][0]["result"]
    return next(r for r in result if r.get("value", {}).get("text") == text)


def _set_span(item, text, start, end, new_text=None, label=None):
    v = _span(item, text)["value"]
    full = item["data"]["text"]
    v.update(start=start, end=end, text=full[start:end] if new_text is None else new_text)
    if label:
        v["labels"] = [label]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # offsets that do not give the span's text
        (lambda it: _span(it, "मॉस्को")["value"].update(start=1), "text mismatch"),
        # a label the schema does not have
        (lambda it: _span(it, "मॉस्को")["value"].update(labels=["GPE"]), "unknown label"),
        # span with its postposition: 'मॉस्को में'
        (
            lambda it: _set_span(it, "मॉस्को", FIXTURE.index("मॉस्को"), FIXTURE.index(" सर्गेई")),
            "postposition",
        ),  # fmt: skip
        # span starting with a space
        (
            lambda it: _set_span(it, "मॉस्को", FIXTURE.index(" मॉस्को"), FIXTURE.index(" में")),
            "space",
        ),  # fmt: skip
        # span ending with the danda
        (
            lambda it: _set_span(
                it, "मुलाकात", FIXTURE.index("मुलाकात"), FIXTURE.index("।") + 1, label=None
            ),
            "punctuation",
        ),  # fmt: skip
        # part of a word: 'रूस' inside 'रूसी'
        (
            lambda it: _set_span(it, "मॉस्को", FIXTURE.index("रूसी"), FIXTURE.index("रूसी") + 3),
            "cuts a word",
        ),  # fmt: skip
        # entity crossing another entity
        (
            lambda it: _set_span(it, "मॉस्को", FIXTURE.index("मॉस्को"), FIXTURE.index("सर्गेई") + 6),
            "crosses",
        ),  # fmt: skip
        # region across the sentence boundary
        (
            lambda it: _set_span(it, "मुलाकात", FIXTURE.index("मुलाकात"), FIXTURE.index("रूसी") + 4),
            "sentence",
        ),  # fmt: skip
    ],
    ids=[
        "offsets",
        "label",
        "postposition",
        "space",
        "punctuation",
        "subword",
        "crossing",
        "sentence",
    ],  # fmt: skip
)
def test_validator_reports_each_broken_rule(schema, edit, expected):
    found = problems_after(schema, edit)
    assert any(expected in p for p in found), found


def test_validator_reports_bad_relations(schema):
    def wrong_role(item):
        rel = next(r for r in item["annotations"][0]["result"] if r["type"] == "relation")
        rel["labels"] = ["time"]  # participant -> PER relabelled 'time': DATE only

    def entity_to_entity(item):
        rel = next(r for r in item["annotations"][0]["result"] if r["type"] == "relation")
        rel["from_id"] = _span(item, "मॉस्को")["id"]

    def dangling(item):
        rel = next(r for r in item["annotations"][0]["result"] if r["type"] == "relation")
        rel["to_id"] = "deleted-region"

    assert any("does not take a PER" in p for p in problems_after(schema, wrong_role))
    assert any("trigger to an entity" in p for p in problems_after(schema, entity_to_entity))
    assert any("relation end missing" in p for p in problems_after(schema, dangling))


def test_validator_reports_overlapping_triggers_and_stale_text(schema):
    art, item = good_item()
    t = art.text
    item["annotations"][0]["result"].append(
        {
            **_span(item, "मुलाकात"),
            "id": "t-dup",
            "value": {
                "start": t.index("मुलाकात"),
                "end": t.index("मुलाकात") + 7,
                "text": "मुलाकात",
                "labels": ["SUMMIT"],
            },
        }  # fmt: skip
    )
    assert any("trigger overlaps trigger" in p for p in validate_item(item, schema, art).problems)
    changed = dataclasses.replace(art, text=art.text + " नया।")
    stale = validate_item(good_item()[1], schema, changed).problems
    assert any("another version" in p for p in stale)


def test_every_seed_article_has_valid_gold(schema, seed_articles):
    files = read_gold_files(GOLD)
    by_id = {item["data"]["article_id"]: item for item in files.values()}
    assert set(by_id) == {a.id for a in seed_articles}
    for art in seed_articles:
        check = validate_item(by_id[art.id], schema, art)
        assert check.problems == [], (art.origin, check.problems)
        assert {r.label for r in check.regions if not r.is_trigger} <= set(schema.entity_names)
        assert check.relations, f"{art.origin}: no arguments"


def test_appendix_counts_are_current():
    from khabar.schema import load_schema

    schema = load_schema(ROOT / "annotation" / "schema.yaml")
    doc = (ROOT / "annotation" / "guidelines.md").read_text(encoding="utf-8")
    table = doc.split(COUNTS_START)[1].split(COUNTS_END)[0].strip()
    assert table == count_table(list(read_gold_files(GOLD).values()), schema), (
        "run `khabar gold-counts --write annotation/guidelines.md`"
    )


def test_gold_loads_into_label_studio_and_exports_complete(client, project, schema, seed_articles):
    from khabar.studio.prelabel import build_task, load_gazetteer

    gaz = load_gazetteer(ROOT / "annotation" / "gazetteer.yaml")
    push(client, project, [build_task(a, schema, gaz) for a in seed_articles])
    gold = read_gold(GOLD)
    first, again = load_gold(client, project, gold), load_gold(client, project, gold)
    assert (first.created, first.problems) == (5, [])
    assert (again.created, again.already_loaded) == (0, 5)
    export = json.loads(client.export(project))
    by_article, report = build_rows(export, schema)
    assert report.problems == [] and report.regions_dropped == report.relations_dropped == 0
    want = sum(len(i["annotations"][0]["result"]) for i in gold)
    assert report.regions + report.relations == want
    rows = [r for rs in by_article.values() for r in rs]
    assert {r["annotation_source"] for r in rows} == {"ground_truth"}
    n_args = sum(len(r["arguments"]) for r in rows)
    assert n_args == sum(len(item_regions(i)[1]) for i in gold)


def test_nesting_follows_the_schema_policy(schema):
    art, item = good_item()
    t = art.text
    # 'सर्गेई' nested inside the PER 'सर्गेई लावरोव'
    s = t.index("सर्गेई")
    item["annotations"][0]["result"].append(
        {
            "id": "e-nested",
            "from_name": "entity",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": s + 6, "text": "सर्गेई", "labels": ["PER"]},
        }  # fmt: skip
    )
    assert validate_item(item, schema, art).problems == []  # keep_outermost_in_bio
    strict = dataclasses.replace(schema, overlap={**schema.overlap, "nested_entities": "error"})
    found = validate_item(item, strict, art).problems
    assert any("nested in entity" in p for p in found), found
