"""Injected errors for bench-errors, and the scores of a ranking that finds them."""

from khabar.review.noise import bench_scores, corrupt, ranking_scores, retag

TEXT = "मोदी ने पुतिन से मास्को में मुलाकात की ।"


def row(i: int) -> dict:
    words = TEXT.split()
    starts, at = [], 0
    for w in words:
        at = TEXT.index(w, at)
        starts.append(at)
        at += len(w)
    ent = lambda k, label, w: {"id": f"e{i}{k}", "start": starts[w],  # noqa: E731
                               "end": starts[w] + len(words[w]), "label": label,
                               "text": words[w]}  # fmt: skip
    return {"id": f"a-{i:03d}", "text": TEXT, "sentence_start": 10 * i, "tokens": words,
            "token_starts": starts,
            "token_ends": [s + len(w) for s, w in zip(starts, words, strict=True)],
            "entities": [ent(0, "PER", 0), ent(1, "PER", 2), ent(2, "LOC", 4)],
            "triggers": [{"id": f"t{i}", "start": starts[6], "end": starts[6] + len(words[6]),
                          "label": "MEET", "text": words[6]}],
            "arguments": [{"trigger_id": f"t{i}", "entity_id": f"e{i}0", "role": 0}]}  # fmt: skip


LABELS = {"entity": ["LOC", "ORG", "PER"], "trigger": ["MEET", "VISIT"]}


def test_corruption_is_seeded_and_injects_each_kind_once_per_four():
    rows = [row(i) for i in range(20)]
    injected = corrupt(rows, LABELS, rate=0.1, seed=3)
    assert injected == corrupt([row(i) for i in range(20)], LABELS, rate=0.1, seed=3)
    ents = [x for x in injected if x["layer"] == "entity"]
    assert len(ents) == 6 and [x["kind"] for x in ents] == [
        "type",
        "boundary",
        "deletion",
        "insertion",
        "type",
        "boundary",
    ]
    assert sum(len(r["entities"]) for r in rows) == 60  # one deleted, one inserted
    for x in ents:
        r = next(r for r in rows if r["id"] == x["row_id"])
        a, b = x["start"] - r["sentence_start"], x["end"] - r["sentence_start"]
        assert TEXT[a:b].strip() == TEXT[a:b] and TEXT[a:b]  # whole words
    deleted = next(x for x in ents if x["kind"] == "deletion")
    r = next(r for r in rows if r["id"] == deleted["row_id"])
    ids = {e["id"] for e in r["entities"]}
    assert all(a["entity_id"] in ids for a in r["arguments"])  # no argument left dangling
    tags = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    retagged = retag(rows[0], tags, ["MEET", "VISIT"])
    assert len(retagged["ner_tags"]) == len(rows[0]["tokens"])


def suspect(row: str, layer: str, kind: str, score: float, annotation, model) -> dict:
    return {"row_id": row, "layer": layer, "kind": kind, "score": score,
            "annotation": annotation, "model": model}  # fmt: skip


def test_precision_at_k_and_recall_at_2k_beside_the_corpus_order_baseline():
    injected = [
        {"row_id": "a", "layer": "entity", "kind": "type", "start": 0, "end": 4},
        {"row_id": "b", "layer": "entity", "kind": "deletion", "start": 5, "end": 9},
    ]
    at = lambda a, b: {"start": a, "end": b}  # noqa: E731
    hit_a = suspect("a", "entity", "type", 0.9, at(0, 4), at(0, 4))
    hit_b = suspect("b", "entity", "missing", 0.5, None, at(6, 9))
    miss = suspect("a", "trigger", "type", 0.7, at(0, 4), at(0, 4))
    assert ranking_scores([hit_a, miss, hit_b], injected) == {
        "k": 2,
        "precision_at_k": 0.5,
        "recall_at_2k": 1.0,
    }
    scores = bench_scores([hit_a, miss, hit_b], injected)
    assert scores["deletion"]["khabar"]["precision_at_k"] == 1.0
    assert scores["overall"]["baseline"]["k"] == 2
