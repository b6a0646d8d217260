"""Suspect annotations: where an out-of-fold model disagrees with the annotation, ranked by how
sure it is that the annotation is wrong.

Every sentence is judged by a model that never trained on its article (`out_of_fold`). Two
signals meet here:
- cleanlab's label quality of every word, per layer (entities, triggers): the model's probability
  of the annotated class (O or a type; B-/I- summed, as cleanlab advises for token labels), and
  whether confident learning flags the word as a label issue given each class's own threshold;
- span rules: each annotated span against the model's decoded spans says what kind of error it
  would be (`KINDS`) and what the model proposes instead.
A suspect's score is 1 − the lowest label quality over the words it covers: 0.97 means the model
gives the annotated labels of some word 3 %. Argument roles are scored the same way, on every
(trigger, entity) pair of the annotated spans.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from khabar.spans import Span

LAYERS = ("entity", "trigger")
# annotation vs model: a type swapped, a boundary off, a span nobody should have drawn
# (`spurious`), one nobody drew (`missing`), an argument's role (or none) contradicted.
KINDS = ("type", "boundary", "spurious", "missing", "role")
NONE = "none"


@dataclass
class Judged:
    """One sentence: its annotation and an out-of-fold model's view of it, in word positions."""

    row_id: str
    article_id: str
    task_id: int
    sentence_start: int  # in the task's text
    text: str  # the sentence
    offsets: list[tuple[int, int]]  # of words, in `text`
    gold: dict[str, list[Span]]  # layer -> annotated spans
    predicted: dict[str, list[Span]]  # layer -> the model's decoded spans
    probs: dict[str, np.ndarray]  # layer -> (words, classes): O first, then the types
    classes: dict[str, list[str]]  # layer -> ["O", type, …]
    pairs: list[tuple[Span, Span]] = field(default_factory=list)  # annotated (trigger, entity)
    pair_roles: list[str] = field(default_factory=list)  # each pair's annotated role or NONE
    role_probs: np.ndarray | None = None  # (pairs, role labels), NONE first
    role_labels: list[str] = field(default_factory=list)
    role_threshold: float = 0.5


def collapse(probs: np.ndarray, tags: list[str]) -> tuple[np.ndarray, list[str]]:
    """BIO tag probabilities -> class probabilities (O, then each type: B- + I-)."""
    types = sorted({t[2:] for t in tags if t != "O"})
    out = np.zeros((len(probs), 1 + len(types)))
    for j, tag in enumerate(tags):
        out[:, 0 if tag == "O" else 1 + types.index(tag[2:])] += probs[:, j]
    return out, ["O", *types]


def word_labels(spans: list[Span], n: int, classes: list[str]) -> np.ndarray:
    """Class index of each of n words under `spans` (0: O)."""
    out = np.zeros(n, dtype=int)
    for s in sorted(spans, key=lambda s: s.end - s.start):  # an outer span wins, as in BIO
        if s.label in classes:
            out[s.start : s.end] = classes.index(s.label)
    return out


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _inside(a: Span, b: Span) -> bool:
    return b.start <= a.start and a.end <= b.end and b.end - b.start > a.end - a.start


def disagreements(gold: list[Span], predicted: list[Span]) -> list[tuple[str, Span | None,
                                                                         Span | None]]:  # fmt: skip
    """(kind, annotated span, model's span) wherever the two span lists differ. A span nested
    in a longer annotated one is left out: BIO tags cannot hold it, so no tagger predicts it."""
    out = []
    for g in [g for g in gold if not any(_inside(g, o) for o in gold)]:
        same = [p for p in predicted if (p.start, p.end) == (g.start, g.end)]
        over = [p for p in predicted if _overlaps(p, g)]
        if same:
            if same[0].label != g.label:
                out.append(("type", g, same[0]))
        elif over:
            p = max(over, key=lambda p: min(p.end, g.end) - max(p.start, g.start))
            out.append(("boundary" if p.label == g.label else "type", g, p))
        else:
            out.append(("spurious", g, None))
    out += [("missing", None, p) for p in predicted if not any(_overlaps(p, g) for g in gold)]
    return out


def token_quality(judged: list[Judged], layer: str) -> tuple[list[np.ndarray], set]:
    """cleanlab's per-word label quality (self-confidence) of one layer, and the (sentence,
    word) pairs its confident learning flags as label issues."""
    from cleanlab.token_classification.filter import find_label_issues
    from cleanlab.token_classification.rank import get_label_quality_scores

    idx = [i for i, j in enumerate(judged) if len(j.offsets)]
    labels = [word_labels(judged[i].gold[layer], len(judged[i].offsets),
                          judged[i].classes[layer]) for i in idx]  # fmt: skip
    probs = [judged[i].probs[layer] for i in idx]
    quality = [np.ones(len(j.offsets)) for j in judged]
    if not idx:
        return quality, set()
    _, scores = get_label_quality_scores(labels, probs)
    for i, s in zip(idx, scores, strict=True):
        quality[i] = np.asarray(s, dtype=float)
    if len(np.unique(np.concatenate(labels))) < 2:  # confident learning needs two classes
        return quality, set()
    flagged = {(idx[s], w) for s, w in find_label_issues(labels, probs)}
    return quality, flagged


def _where(j: Judged, s: Span | None) -> dict | None:
    if s is None:
        return None
    a, b = j.offsets[s.start][0], j.offsets[s.end - 1][1]
    out = {"start": j.sentence_start + a, "end": j.sentence_start + b, "text": j.text[a:b],
           "label": s.label}  # fmt: skip
    if s.id:
        out["id"] = s.id
    return out


WHY = {
    "type": "the model reads this as {m} (annotated {a})",
    "boundary": "the model draws this {a} over «{mt}» (annotated «{at}»)",
    "spurious": "the model sees no {layer} here (annotated {a})",
    "missing": "the model sees a {m} here that nobody annotated",
    "role": "the model gives this pair the role {m} (annotated {a})",
}


def span_suspects(judged: list[Judged]) -> list[dict]:
    """Every disagreement of the entity and trigger layers, scored by cleanlab's label quality."""
    out = []
    for layer in LAYERS:
        quality, flagged = token_quality(judged, layer)
        for i, j in enumerate(judged):
            for kind, g, p in disagreements(j.gold[layer], j.predicted[layer]):
                words = {w for s in (g, p) if s is not None for w in range(s.start, s.end)}
                q = float(min(quality[i][w] for w in words))
                a, m = _where(j, g), _where(j, p)
                why = WHY[kind].format(
                    layer=layer,
                    a=g.label if g else "",
                    m=p.label if p else "",
                    at=a["text"] if a else "",
                    mt=m["text"] if m else "",
                )
                out.append(_suspect(j, layer, kind, 1.0 - q, a, m, why,
                                    any((i, w) in flagged for w in words)))  # fmt: skip
    return out


def role_suspects(judged: list[Judged]) -> list[dict]:
    """Annotated (trigger, entity) pairs whose role (or absence of one) the model contradicts."""
    from cleanlab.rank import get_label_quality_scores

    rows = [(j, k) for j in judged for k in range(len(j.pairs))]
    if not rows:
        return []
    labels = np.array([j.role_labels.index(j.pair_roles[k]) for j, k in rows])
    probs = np.stack([j.role_probs[k] for j, k in rows])
    if len(np.unique(labels)) > 1:
        quality = get_label_quality_scores(labels, probs)
    else:  # cleanlab refuses one class; its default score is this self-confidence anyway
        quality = probs[np.arange(len(labels)), labels]
    out = []
    for (j, k), q, p in zip(rows, quality, probs, strict=True):
        best = 1 + int(np.argmax(p[1:]))
        said = j.role_labels[best] if p[best] >= j.role_threshold else NONE
        if said == j.pair_roles[k]:
            continue
        t, e = j.pairs[k]
        a = {"trigger": _where(j, t), "entity": _where(j, e), "role": j.pair_roles[k]}
        m = {"role": said, "probability": round(float(p[j.role_labels.index(said)]), 4)}
        why = WHY["role"].format(m=said, a=j.pair_roles[k])
        out.append(_suspect(j, "argument", "role", 1.0 - float(q), a, m, why, False))
    return out


def _suspect(j: Judged, layer: str, kind: str, score: float, annotation: dict | None,
             model: dict | None, why: str, issue: bool) -> dict:  # fmt: skip
    return {"score": round(score, 4), "kind": kind, "layer": layer, "task_id": j.task_id,
            "article_id": j.article_id, "row_id": j.row_id, "annotation": annotation,
            "model": model, "why": why, "cleanlab_issue": issue}  # fmt: skip


def find_suspects(judged: list[Judged]) -> list[dict]:
    """Every suspect of every layer, most suspect first (ties: in corpus order), ranked 1 …"""
    found = span_suspects(judged) + role_suspects(judged)
    order = {j.row_id: i for i, j in enumerate(judged)}
    found.sort(key=lambda s: (-s["score"], order[s["row_id"]]))
    for r, s in enumerate(found, 1):
        s["rank"] = r
    return found


def by_kind(suspects: list[dict]) -> dict[str, int]:
    """How many suspects of each layer and kind ("entity type": n), sorted."""
    return dict(sorted(Counter(f"{s['layer']} {s['kind']}" for s in suspects).items()))


def summary(suspects: list[dict]) -> str:
    """One line: how many suspects of each layer and kind."""
    n = by_kind(suspects)
    return f"{len(suspects)} suspects: " + (", ".join(f"{k} {v}" for k, v in n.items()) or "none")
