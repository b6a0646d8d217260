"""Entity and event scores against figures computed by hand."""

from __future__ import annotations

import pytest

from khabar.model.measure.evaluation import (
    Ent,
    bio_entities,
    entity_scores,
    event_scores,
    semeval_counts,
)
from khabar.model.measure.evaluation import semeval_scores as scores


def test_bio_entities_conlleval_style():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "B-LOC", "I-ORG"]
    assert bio_entities(tags) == [
        Ent(0, 2, "PER"), Ent(3, 4, "LOC"), Ent(4, 5, "LOC"), Ent(5, 6, "LOC"), Ent(6, 7, "ORG")
    ]  # fmt: skip


GOLD = [Ent(0, 2, "PER")]


@pytest.mark.parametrize(
    ("pred", "strict", "exact", "partial", "typ"),
    [
        (Ent(0, 2, "PER"), "COR", "COR", "COR", "COR"),  # same span, same type
        (Ent(0, 2, "LOC"), "INC", "COR", "COR", "INC"),  # same span, other type
        (Ent(0, 3, "PER"), "INC", "INC", "PAR", "COR"),  # overlap, same type
        (Ent(1, 3, "LOC"), "INC", "INC", "PAR", "INC"),  # overlap, other type
    ],
)
def test_semeval_scenarios(pred, strict, exact, partial, typ):
    c = semeval_counts(GOLD, [pred])
    assert [next(iter(c[s])) for s in ("strict", "exact", "partial", "type")] == [
        strict, exact, partial, typ
    ]  # fmt: skip


def test_semeval_missing_and_spurious():
    c = semeval_counts(GOLD, [Ent(5, 6, "PER")])
    assert all(c[s] == {"SPU": 1, "MIS": 1} for s in c)


def test_semeval_scores_by_hand():
    # gold PER(0,2) LOC(3,4); predicted PER(0,3) (overlap, same type) and ORG(5,6) (spurious)
    s = scores([[Ent(0, 2, "PER"), Ent(3, 4, "LOC")]], [[Ent(0, 3, "PER"), Ent(5, 6, "ORG")]])
    assert s["strict"]["precision"] == 0 and s["strict"]["recall"] == 0
    assert s["partial"]["precision"] == pytest.approx(0.25)  # 0.5 credit / 2 predicted
    assert s["type"]["precision"] == pytest.approx(0.5) and s["type"]["recall"] == 0.5
    assert (s["partial"]["PAR"], s["partial"]["MIS"], s["partial"]["SPU"]) == (1, 1, 1)


def test_entity_scores_strict_per_type():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-DATE"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-DATE"]]
    s = entity_scores(gold, pred)
    assert s["overall"]["precision"] == pytest.approx(2 / 3)
    assert s["overall"]["recall"] == pytest.approx(2 / 3)
    assert s["per_type"]["PER"]["f1"] == 1.0 and s["per_type"]["LOC"]["recall"] == 0.0
    assert s["per_type"]["ORG"]["predicted"] == 1 and s["per_type"]["ORG"]["support"] == 0
    assert s["semeval"]["exact"]["COR"] == 3  # LOC/ORG share boundaries
    assert s["sentences"] == 2


def test_event_scores_by_hand():
    labels = ["MEET", "TRAVEL", "STATEMENT", "DEATH"]
    gold = [["MEET"], ["MEET", "TRAVEL"], []]
    pred = [["MEET"], ["TRAVEL"], ["STATEMENT"]]
    s = event_scores(gold, pred, labels)
    assert s["per_type"]["MEET"]["recall"] == 0.5 and s["per_type"]["MEET"]["precision"] == 1
    assert s["per_type"]["STATEMENT"]["support"] == 0 and s["per_type"]["STATEMENT"]["f1"] == 0
    assert s["micro"]["precision"] == pytest.approx(2 / 3)
    assert s["micro"]["recall"] == pytest.approx(2 / 3)
    # macro over the three types that occur; DEATH (absent everywhere) is left out
    assert s["macro"]["f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_ace_scores_identify_then_classify_triggers_and_arguments():
    from khabar.model.measure.evaluation import ace_scores
    from khabar.spans import Span

    meet, said = Span(6, 7, "MEET"), Span(9, 10, "STATEMENT")
    per, loc = Span(2, 3, "PER"), Span(0, 1, "LOC")
    gold_t = [[meet, said], []]
    gold_a = [[(meet, per, "participant"), (meet, loc, "place"), (said, per, "participant")], []]
    pred_t = [[meet, Span(9, 10, "MEET")], [Span(1, 2, "MEET")]]  # right span, wrong type; spurious
    pred_a = [[(meet, per, "participant"), (meet, loc, "participant")], []]
    s = ace_scores(gold_t, pred_t, gold_a, pred_a)
    assert s["trigger_identification"]["f1"] == pytest.approx(2 * 2 / (3 + 2))  # 2 of 3 / 2 of 2
    assert s["trigger_classification"]["precision"] == pytest.approx(1 / 3)
    assert s["trigger_classification"]["per_type"]["STATEMENT"]["recall"] == 0.0
    assert s["argument_identification"]["precision"] == 1.0
    assert s["argument_identification"]["recall"] == pytest.approx(2 / 3)
    assert s["argument_classification"]["precision"] == 0.5  # place called participant
    assert s["argument_classification"]["per_role"]["place"]["support"] == 1
    empty = ace_scores([[]], [[]], [[]], [[]])
    assert empty["argument_classification"]["f1"] == 0.0 and empty["sentences"] == 1
