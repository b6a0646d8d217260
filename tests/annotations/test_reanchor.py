"""Locating spans by string and re-anchoring gold after a cleaning change."""

from __future__ import annotations

import copy
import dataclasses

from khabar.annotations.format import Relation
from khabar.annotations.gold import (
    gold_item,
    item_regions,
    read_gold_files,
    validate_item,
)
from khabar.annotations.reanchor import locate, move_result, reanchor
from khabar.corpus.article import Article
from tests.conftest import GOLD, article, ent, rel, span, trig


def test_locate_whole_words_and_occurrences():
    text = "रूसी राष्ट्रपति ने रूस में कहा, रूस-भारत"
    assert locate(text, "रूस") == (text.index("रूस में"), text.index("रूस में") + 3)
    assert locate(text, "रूस", occurrence=2) == (text.index("रूस-"), text.index("रूस-") + 3)
    assert locate(text, "रूस", occurrence=3) is None
    assert locate(text, "राष्ट्र") is None  # never part of a word


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


def test_move_result_keeps_items_and_is_safe_to_run_twice():
    old = "जयशंकर ने मॉस्को में लावरोव से मुलाकात की।"
    new = "नई दिल्ली। " + old
    j, m = old.index("जयशंकर"), old.index("मुलाकात")
    choice = {"type": "choices", "value": {"choices": ["x"]}}
    result = [span("p", j, j + 6, "PER"), span("t", m, m + 7, "MEET", "trigger"),
              rel("t", "p", "participant"), choice]  # fmt: skip
    moved, unplaced = move_result(result, old, new)
    assert not unplaced and len(moved) == 4
    shift = len("नई दिल्ली। ")
    assert [(x["id"], x["value"]["start"]) for x in moved[:2]] == [("p", j + shift),
                                                                    ("t", m + shift)]  # fmt: skip
    assert moved[2]["from_id"] == "t" and moved[3]["type"] == "choices"
    again, unplaced = move_result(moved, old, new)  # interrupted and run again
    assert again == moved and not unplaced
    gone, unplaced = move_result(result, old, "नई दिल्ली।")
    assert gone == [result[3]]
    assert sorted(u["reason"] for u in unplaced) == ["relation end not placed", "text not found",
                                                     "text not found"]  # fmt: skip
