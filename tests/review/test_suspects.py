"""Suspect ranking on hand-made judgements: each kind of disagreement, its score, the order."""

import numpy as np

from khabar.review.suspects import Judged, collapse, disagreements, find_suspects
from khabar.spans import Span

TEXT = "मोदी ने पुतिन से मास्को में मुलाकात की"
WORDS = TEXT.split()
OFFSETS = []
_at = 0
for _w in WORDS:
    _at = TEXT.index(_w, _at)
    OFFSETS.append((_at, _at + len(_w)))
    _at += len(_w)
CLASSES = ["O", "LOC", "PER"]


def probs(labels: list[str], sure: float = 0.9) -> np.ndarray:
    """Each word gives `sure` to its class and shares the rest."""
    p = np.full((len(labels), len(CLASSES)), (1 - sure) / (len(CLASSES) - 1))
    for i, lab in enumerate(labels):
        p[i, CLASSES.index(lab)] = sure
    return p


def judged(gold: list[Span], pred: list[Span], model: list[str], row: str = "a-000",
           roles: tuple = ()) -> Judged:  # fmt: skip
    return Judged(row, "a", 7, 100, TEXT, OFFSETS, {"entity": gold, "trigger": []},
                  {"entity": pred, "trigger": []},
                  {"entity": probs(model), "trigger": np.eye(1)[[0] * len(WORDS)]},
                  {"entity": CLASSES, "trigger": ["O"]}, *roles)  # fmt: skip


def test_collapse_sums_b_and_i_of_a_type():
    p, classes = collapse(np.array([[0.1, 0.2, 0.3, 0.4]]), ["O", "B-PER", "I-PER", "B-LOC"])
    assert classes == ["O", "LOC", "PER"] and np.allclose(p, [[0.1, 0.4, 0.5]])


def test_every_kind_of_span_disagreement():
    gold = [Span(0, 1, "PER"), Span(2, 3, "LOC"), Span(4, 5, "LOC"), Span(6, 7, "PER")]
    pred = [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(5, 6, "LOC")]
    kinds = [(k, g and g.start, p and p.start) for k, g, p in disagreements(gold, pred)]
    assert kinds == [("boundary", 0, 0), ("type", 2, 2), ("spurious", 4, None),
                     ("spurious", 6, None), ("missing", None, 5)]  # fmt: skip
    assert disagreements(gold, gold) == []


def test_the_surer_model_ranks_first_with_offsets_in_the_task_text():
    gold = [Span(0, 1, "PER", id="r1"), Span(2, 3, "LOC", id="r2")]
    pred = [Span(0, 1, "PER"), Span(2, 3, "PER")]
    # the model is sure पुतिन is PER (annotated LOC); a second sentence where it barely thinks so
    sure = judged(gold, pred, ["PER", "O", "PER", "O", "O", "O", "O", "O"])
    unsure = judged(gold, pred, ["PER", "O", "PER", "O", "O", "O", "O", "O"], row="a-001")
    unsure.probs["entity"][2] = [0.1, 0.4, 0.5]
    found = find_suspects([unsure, sure])
    assert [(s["rank"], s["row_id"], s["kind"]) for s in found] == [
        (1, "a-000", "type"),
        (2, "a-001", "type"),
    ]
    top = found[0]
    assert top["score"] == 0.95 and top["task_id"] == 7 and top["model"]["label"] == "PER"
    assert top["annotation"] == {"start": 100 + OFFSETS[2][0], "end": 100 + OFFSETS[2][1],
                                 "text": "पुतिन", "label": "LOC", "id": "r2"}  # fmt: skip
    assert "PER" in top["why"] and found[1]["score"] == 0.6


def test_an_argument_role_the_model_contradicts():
    t, e = Span(7, 8, "MEET"), Span(0, 1, "PER")
    roles = (
        [(t, e), (t, Span(4, 5, "LOC"))],
        ["participant", "none"],
        np.array([[0.05, 0.05, 0.9], [0.2, 0.7, 0.1]]),
        ["none", "place", "participant"],
    )
    j = judged([e, Span(4, 5, "LOC")], [e, Span(4, 5, "LOC")],
               ["PER", "O", "O", "O", "LOC", "O", "O", "O"], roles=roles)  # fmt: skip
    (s,) = find_suspects([j])
    assert (s["layer"], s["kind"], s["annotation"]["role"], s["model"]["role"]) == (
        "argument",
        "role",
        "none",
        "place",
    )
    assert s["annotation"]["entity"]["text"] == "मास्को" and s["score"] == 0.8
