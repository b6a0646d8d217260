"""Injected annotation errors, and how well a ranking of suspects finds them (`make bench-errors`).

A copy of the dataset has a share of its entity mentions and triggers corrupted, with a seed, in
four ways an annotator errs: a type swapped, a boundary moved by one word, a span deleted, a span
drawn where there is none. `review-errors` then runs on the copy; a suspect finds an injected
error when it is in the same sentence and layer and overlaps it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import regex

from khabar.review.suspects import LAYERS, _overlaps
from khabar.spans import Span, Token, spans_to_bio, word_span

NOISE_KINDS = ("type", "boundary", "deletion", "insertion")
# the suspect kind that each injected error should show up as
SHOWS_AS = {"type": "type", "boundary": "boundary", "deletion": "missing", "insertion": "spurious"}
FIELD = {"entity": "entities", "trigger": "triggers"}
WORDLIKE = regex.compile(r"[\p{L}\p{N}]")


def _word_span(row: dict, item: dict) -> tuple[int, int]:
    return word_span(row["token_starts"], row["token_ends"], item["start"], item["end"])


def _set_words(row: dict, item: dict, start: int, end: int) -> None:
    item["start"], item["end"] = row["token_starts"][start], row["token_ends"][end - 1]
    item["text"] = row["text"][item["start"] : item["end"]]


def _free(row: dict, layer: str, skip: dict | None = None) -> set[int]:
    taken = {w for it in row[FIELD[layer]] if it is not skip for w in range(*_word_span(row, it))}
    return set(range(len(row["tokens"]))) - taken


def _boundary(row: dict, layer: str, item: dict, rng: random.Random) -> bool:
    s, e = _word_span(row, item)
    free = _free(row, layer, item)
    moves = [(a, b) for a, b in ((s - 1, e), (s, e + 1), (s + 1, e), (s, e - 1))
             if a < b and (a >= s or a in free) and (b <= e or b - 1 in free)
             and a >= 0 and b <= len(row["tokens"])]  # fmt: skip
    if not moves:
        return False
    _set_words(row, item, *rng.choice(moves))
    return True


def _insert(row: dict, layer: str, labels: Sequence[str], rng: random.Random, n: int) -> dict:
    words = sorted(w for w in _free(row, layer) if WORDLIKE.search(row["tokens"][w]))
    if not words:
        return {}
    w = rng.choice(words)
    item = {"id": f"noise-{n}", "label": rng.choice(list(labels))}
    _set_words(row, item, w, w + 1)
    row[FIELD[layer]].append(item)
    return item


def corrupt(rows: list[dict], labels: dict[str, Sequence[str]], rate: float = 0.1,
            seed: int = 13) -> list[dict]:  # fmt: skip
    """Corrupt `rate` of the entity mentions and of the triggers of `rows` (dataset rows as
    dicts, changed in place; `labels`: layer -> its types), the four kinds in turn; the
    injected errors as {row_id, layer, kind, start, end (in the task text), label}. The caller
    rebuilds each row's derived fields (`retag`)."""
    rng = random.Random(seed)
    injected = []
    for layer in LAYERS:
        items = [(r, it) for r in rows for it in r[FIELD[layer]]]
        chosen = rng.sample(items, round(rate * len(items)))
        for n, (row, item) in enumerate(chosen):
            kind = NOISE_KINDS[n % len(NOISE_KINDS)]
            if item not in row[FIELD[layer]]:  # deleted by an earlier draw
                continue
            if kind == "type":
                item["label"] = rng.choice([x for x in labels[layer] if x != item["label"]])
            elif kind == "boundary" and not _boundary(row, layer, item, rng):
                continue
            elif kind == "deletion":
                row[FIELD[layer]].remove(item)
                ends = lambda a: (a["trigger_id"], a["entity_id"])  # noqa: E731
                row["arguments"] = [a for a in row["arguments"] if item["id"] not in ends(a)]
            elif kind == "insertion":
                item = _insert(row, layer, labels[layer], rng, len(injected))
                if not item:
                    continue
            injected.append({"row_id": row["id"], "layer": layer, "kind": kind,
                             "start": row["sentence_start"] + item["start"],
                             "end": row["sentence_start"] + item["end"],
                             "label": item["label"]})  # fmt: skip
    return injected


def retag(row: dict, tag_names: list[str], event_order: list[str]) -> dict:
    """A corrupted row's BIO tags and event types from its spans again."""
    toks = [Token(w, a, b) for w, a, b in zip(row["tokens"], row["token_starts"],
                                               row["token_ends"], strict=True)]  # fmt: skip
    tags, _ = spans_to_bio(toks, [Span(e["start"], e["end"], e["label"]) for e in row["entities"]])
    row["ner_tags"] = [tag_names.index(t) for t in tags]
    row["event_types"] = sorted({t["label"] for t in row["triggers"]}, key=event_order.index)
    return row


def _hits(suspect: dict, injected: list[dict]) -> list[int]:
    places = [suspect[k] for k in ("annotation", "model") if suspect.get(k)]
    return [
        i
        for i, x in enumerate(injected)
        if x["row_id"] == suspect["row_id"] and x["layer"] == suspect["layer"]
        and any(_overlaps(Span(p["start"], p["end"], ""), Span(x["start"], x["end"], ""))
                for p in places)
    ]  # fmt: skip


def ranking_scores(ranked: list[dict], injected: list[dict]) -> dict:
    """precision@k (k = errors injected) and recall@2k of a ranked suspect list."""
    k = len(injected)
    if not k:
        return {"k": 0, "precision_at_k": 0.0, "recall_at_2k": 0.0}
    hits = [_hits(s, injected) for s in ranked[: 2 * k]]
    return {"k": k, "precision_at_k": round(sum(bool(h) for h in hits[:k]) / k, 3),
            "recall_at_2k": round(len({i for h in hits for i in h}) / k, 3)}  # fmt: skip


def bench_scores(suspects: list[dict], injected: list[dict]) -> dict:
    """Overall and per injected kind, khabar's ranking beside the baseline's: every
    disagreement, in corpus order ("the model disagrees"). Only suspects of the corrupted
    layers count (arguments are never corrupted; a corpus without triggers has none)."""
    layers = {x["layer"] for x in injected}
    spans = [s for s in suspects if s["layer"] in layers]
    order = {r: i for i, r in enumerate(sorted({s["row_id"] for s in spans}))}
    baseline = sorted(spans, key=lambda s: (order[s["row_id"]], _first(s)))
    out = {"overall": {"khabar": ranking_scores(spans, injected),
                       "baseline": ranking_scores(baseline, injected)}}  # fmt: skip
    for kind in NOISE_KINDS:
        mine = [x for x in injected if x["kind"] == kind]
        shown = [s for s in spans if s["kind"] == SHOWS_AS[kind]]
        base = [s for s in baseline if s["kind"] == SHOWS_AS[kind]]
        out[kind] = {"khabar": ranking_scores(shown, mine),
                     "baseline": ranking_scores(base, mine)}  # fmt: skip
    return out


def _first(s: dict) -> int:
    return min(s[k]["start"] for k in ("annotation", "model") if s.get(k))
