"""The seed gold standard, its validator, re-anchoring after a cleaning change, and the appendix."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from khabar.corpus import Article, split_sentences
from khabar.dataset import build_rows
from khabar.gold import (
    COUNTS_END,
    COUNTS_START,
    count_table,
    gold_item,
    item_regions,
    locate,
    read_gold_files,
    reanchor,
    validate_item,
)
from khabar.lsformat import Region, Relation, region_id
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL
from khabar.sync import load_gold, push, read_gold

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "annotation" / "gold"


def article(text: str, aid: str = "fixture") -> Article:
    """An Article for `text`, paragraphs split by blank lines, sentences as ingest splits them."""
    sentences, pos = [], 0
    for para in text.split("\n\n"):
        sentences += split_sentences(para, pos)
        pos += len(para) + 2
    return Article(id=aid, origin=f"fixture/{aid}.txt", text=text, sentences=sentences)


def ent(text: str, needle: str, label: str, k: int = 1) -> Region:
    s, e = locate(text, needle, occurrence=k)
    return Region(region_id(ENTITY_CONTROL, s, e), s, e, label, ENTITY_CONTROL, needle)


def trig(text: str, needle: str, label: str, k: int = 1) -> Region:
    s, e = locate(text, needle, occurrence=k)
    return Region(region_id(TRIGGER_CONTROL, s, e), s, e, label, TRIGGER_CONTROL, needle)


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


# ---------------------------------------------------------------- locate


def test_locate_whole_words_and_occurrences():
    text = "रूसी राष्ट्रपति ने रूस में कहा, रूस-भारत"
    assert locate(text, "रूस") == (text.index("रूस में"), text.index("रूस में") + 3)
    assert locate(text, "रूस", occurrence=2) == (text.index("रूस-"), text.index("रूस-") + 3)
    assert locate(text, "रूस", occurrence=3) is None
    assert locate(text, "राष्ट्र") is None  # never part of a word


# ---------------------------------------------------------------- validator


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
            "token boundaries",
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


# ---------------------------------------------------------------- the seed gold


def test_every_seed_article_has_valid_gold(schema, seed_articles):
    files = read_gold_files(GOLD)
    by_id = {item["data"]["article_id"]: item for item in files.values()}
    assert set(by_id) == {a.id for a in seed_articles}
    for art in seed_articles:
        check = validate_item(by_id[art.id], schema, art)
        assert check.problems == [], (art.origin, check.problems)
        assert {r.label for r in check.regions if not r.is_trigger} <= set(schema.entity_names)
        assert check.relations, f"{art.origin}: no arguments"


def test_validate_gold_cli_passes_and_fails(tmp_path, seed_articles):
    from khabar.corpus import write_articles

    cleaned = tmp_path / "articles.jsonl"
    write_articles(seed_articles, cleaned)
    cmd = [sys.executable, "-m", "khabar.cli", "validate-gold", "--articles", str(cleaned)]
    ok = subprocess.run([*cmd, "--gold", str(GOLD)], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0 and "5 gold files valid" in ok.stdout, ok.stdout + ok.stderr
    broken = tmp_path / "gold"
    broken.mkdir()
    src = sorted(GOLD.glob("*.json"))[0]
    item = json.loads(src.read_text(encoding="utf-8"))
    item["annotations"][0]["result"][0]["value"]["start"] += 1
    (broken / src.name).write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run([*cmd, "--gold", str(broken)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "text mismatch" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_appendix_counts_are_current():
    from khabar.schema import load_schema

    schema = load_schema(ROOT / "annotation" / "schema.yaml")
    doc = (ROOT / "annotation" / "guidelines.md").read_text(encoding="utf-8")
    table = doc.split(COUNTS_START)[1].split(COUNTS_END)[0].strip()
    assert table == count_table(list(read_gold_files(GOLD).values()), schema), (
        "run `khabar gold-counts --write annotation/guidelines.md`"
    )


# ---------------------------------------------------------------- re-anchoring


def recleaned(art: Article, change) -> Article:
    """The article as a changed cleaning step would give it (same id, new text)."""
    paragraphs = change(art.text.split("\n\n"))
    new = article("\n\n".join(paragraphs), art.id)
    return dataclasses.replace(new, origin=art.origin)


def test_reanchor_moves_every_span_and_reports_lost_ones(schema, seed_articles):
    art = next(a for a in seed_articles if a.origin.endswith(".txt") and "000_" in a.origin)
    item = next(i for i in read_gold_files(GOLD).values() if i["data"]["article_id"] == art.id)
    old_regions, old_rels = item_regions(item)
    dropped = art.text.split("\n\n")[1]  # the second paragraph disappears

    def change(paras):
        # a new boilerplate line kept at the top, one paragraph removed, one line re-spaced
        return ["विज्ञापन: यह एक नया पैराग्राफ है।"] + [paras[0]] + paras[2:]

    new_art = recleaned(art, change)
    new, unplaced = reanchor(copy.deepcopy(item), new_art)
    regions, rels = item_regions(new)
    p_start = art.text.index(dropped)
    lost = [r for r in old_regions if p_start <= r.start and r.end <= p_start + len(dropped)]
    assert len(regions) == len(old_regions) - len(lost)
    # each span lands exactly where its words moved to, not on another occurrence of them
    added = len("विज्ञापन: यह एक नया पैराग्राफ है।") + 2
    expected = {
        (r.start + added - (len(dropped) + 2 if r.start > p_start else 0), r.label, r.control)
        for r in old_regions
        if r not in lost
    }
    assert {(r.start, r.label, r.control) for r in regions} == expected
    assert all(new_art.text[r.start : r.end] == r.text for r in regions)
    assert {(r.text, r.label) for r in regions} | {(r.text, r.label) for r in lost} >= {
        (r.text, r.label) for r in old_regions
    }
    # the lost spans and their relations are reported and kept in the file, not dropped
    assert len(unplaced) == len(lost) + (len(old_rels) - len(rels))
    assert new["reanchor_unplaced"] == unplaced
    check = validate_item(new, schema, new_art)
    assert any("not re-anchored" in p for p in check.problems)
    # once a person resolves them, the re-anchored gold is valid on the new text
    del new["reanchor_unplaced"]
    assert validate_item(new, schema, new_art).problems == []


def test_reanchor_uses_context_for_repeated_words(schema):
    old = article("मोदी ने कहा। पुतिन ने कहा।")
    said = trig(old.text, "कहा", "STATEMENT", 2)
    putin = ent(old.text, "पुतिन", "PER")
    item = gold_item(old, [putin, said], [Relation(said.id, putin.id, "participant")])
    new = article("आज मोदी ने कहा। फिर पुतिन ने कहा। फिर कहा।", old.id)
    moved, unplaced = reanchor(item, new)
    regions, rels = item_regions(moved)
    placed = {r.text: r.start for r in regions}
    assert unplaced == [] and len(rels) == 1
    assert placed["कहा"] == new.text.index("पुतिन ने कहा") + len("पुतिन ने ")


# ---------------------------------------------------------------- into Label Studio


def test_gold_loads_into_label_studio_and_exports_complete(client, project, schema, seed_articles):
    from khabar.prelabel import build_task, load_gazetteer

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
