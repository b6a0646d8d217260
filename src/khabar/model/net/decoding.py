"""Decoding one encoder pass into entities, triggers and argument roles: valid BIO by Viterbi,
the tuned trigger gate, the schema's trigger words as anchors, roles under the schema's
constraints."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from khabar.model.measure.evaluation import Arg, bio_entities
from khabar.model.net.heads import NONE, EventHeads, pairs_of, word_vectors
from khabar.model.net.inputs import encode
from khabar.spans import Span, bio_decode


@dataclass
class Extracted:
    """Everything the model says about one sentence, in word positions."""

    entity_tags: list[tuple[str, float]]  # decoded BIO tag and its probability, per word
    entities: list[Span]
    entity_scores: list[float]
    trigger_probs: np.ndarray  # (words, trigger tags): kept to re-decode at other thresholds
    triggers: list[Span]
    trigger_scores: list[float]
    arguments: list[tuple[int, int, str, float]]  # (trigger index, entity index, role, score)
    confidence: float = 1.0  # of the least sure decision of any layer (see `uncertainty`)
    gold_role_probs: np.ndarray | None = None  # on the gold pairs given to `extract`
    lexicon_matches: list[Span] = field(default_factory=list)  # the schema's trigger words
    entity_probs: np.ndarray | None = None  # (words, entity tags): what review-errors weighs


def decode_spans(probs: np.ndarray, labels: list[str]) -> tuple[list[int], list[Span], list[float]]:
    """(tag index per word, spans, each span's mean tag probability): valid BIO by Viterbi."""
    path = bio_decode(probs, labels) if len(probs) else []
    spans = bio_entities([labels[j] for j in path])
    scores = [float(np.mean([probs[k][path[k]] for k in range(s.start, s.end)])) for s in spans]
    return path, spans, scores


def gate_triggers(probs: np.ndarray, threshold: float) -> np.ndarray:
    """Trigger tag probabilities (O first) biased by the decision threshold t before Viterbi:
    every non-O tag is weighed by (1 − t) / t, so a word alone is a trigger when its trigger
    probability is at least t (t = 0.5: plain Viterbi), while a multi-word trigger is still
    decoded as one span (आदान - प्रदान: the hyphen continues it)."""
    p = np.array(probs, dtype=np.float64, copy=True)
    if len(p):
        p[:, 1:] *= (1.0 - threshold) / threshold
    return p


def decode_triggers(probs: np.ndarray, tags: list[str], threshold: float,
                    matches: list[Span] = (), veto: float | None = None,
                    decided: Collection[str] = ()) -> list[Span]:  # fmt: skip
    """A sentence's triggers: the model's spans at the threshold, and, when the lexicon anchors
    (`veto` set), every lexicon match whose mean P(O) is at most `veto`, in place of any model
    span it overlaps. A kept match takes the model's event type where the model itself calls it
    a trigger (mean 1 − P(O) ≥ 0.5), else the lexicon's. Why: the schema's trigger words are a
    curated list the annotators wrote; with three training articles the head cannot learn every
    word of it, and where validation shows the list is surer than the head the list decides what
    is a trigger, the head what it is not and which type it is. Matches of the `decided` types
    (`HeadsConfig.lexicon_decides`) are triggers of the lexicon's type whatever the veto."""
    return anchor_triggers(decode_spans(gate_triggers(probs, threshold), tags)[1],
                           lexicon_anchors(matches, probs, tags), veto, decided)  # fmt: skip


def lexicon_anchors(matches: list[Span], probs: np.ndarray,
                    tags: list[str]) -> list[tuple[Span, Span, float]]:  # fmt: skip
    """Each lexicon match, as the anchor it would become (`_retyped`), with its mean P(O): what
    `anchor_triggers` weighs against the veto (computed once for every threshold and veto)."""
    return [(m, _retyped(m, probs, tags), float(np.mean(probs[m.start : m.end, 0])))
            for m in matches]  # fmt: skip


def anchor_triggers(spans: list[Span], anchors: list[tuple[Span, Span, float]],
                    veto: float | None, decided: Collection[str] = ()) -> list[Span]:  # fmt: skip
    """The model's decoded trigger spans with the lexicon's anchored matches (`lexicon_anchors`)
    put in (see `decode_triggers`); unchanged when `veto` is None and no match is of a
    `decided` type."""
    kept = [m for m, _, _ in anchors if m.label in decided]
    if veto is not None:
        kept += [typed for m, typed, p_o in anchors if m.label not in decided and p_o <= veto]
    if not kept:
        return spans
    rest = [s for s in spans if not any(s.start < m.end and m.start < s.end for m in kept)]
    return sorted(kept + rest, key=lambda s: s.start)


def _retyped(match: Span, probs: np.ndarray, tags: list[str]) -> Span:
    p = probs[match.start : match.end].mean(0)
    if 1.0 - p[0] < 0.5:
        return match
    mass: dict[str, float] = {}
    for j, tag in enumerate(tags[1:], 1):
        mass[tag[2:]] = mass.get(tag[2:], 0.0) + float(p[j])
    return replace(match, label=max(mass, key=lambda t: (mass[t], t == match.label)))


def decide_roles(probs: np.ndarray, role_labels: list[str],
                 threshold: float) -> list[tuple[str, float]]:  # fmt: skip
    """(role, confidence) per pair: its most probable role when that role's probability reaches
    the threshold, else NONE; confidence is the probability of what was decided."""
    out = []
    for row in probs:
        best = 1 + int(np.argmax(row[1:]))
        p = float(row[best])
        out.append((role_labels[best], p) if p >= threshold else (NONE, 1.0 - p))
    return out


def roles_on(pairs: list[tuple[Span, Span]], probs: np.ndarray, role_labels: list[str],
             threshold: float) -> list[Arg]:  # fmt: skip
    """The arguments among a sentence's (trigger, entity) pairs, given each pair's role
    probabilities: (trigger span, entity span, role) for every pair not decided NONE."""
    decided = decide_roles(probs, role_labels, threshold)
    return [(t, e, r) for (t, e), (r, _) in zip(pairs, decided, strict=True) if r != NONE]


def extract(tagger, heads: EventHeads, tokenizer, word_lists: list[list[str]],
            max_length: int = 512, batch_size: int = 32,
            gold_pairs: list[list[tuple[Span, Span]]] | None = None,
            chunk: int = 256, precision: str = "fp32") -> list[Extracted]:  # fmt: skip
    """Run the encoder once per sentence and decode entities, triggers (at the tuned threshold)
    and the roles of every predicted (trigger, entity) pair under the schema's constraints; with
    `gold_pairs`, also the role probabilities of those pairs. Chunks of sentences bound memory.
    `precision`: the encoder's (`device.py`); heads and decisions are fp32 either way."""
    labels = [tagger.config.id2label[i] for i in range(tagger.config.num_labels)]
    tagger.eval()
    heads.eval()
    out: list[Extracted] = []
    with torch.inference_mode():
        for lo in range(0, len(word_lists), chunk):
            part = word_lists[lo : lo + chunk]
            vecs = word_vectors(
                tagger,
                encode(tokenizer, part, max_length),
                [len(w) for w in part],
                tokenizer.pad_token_id,
                batch_size,
                precision,
            )
            for k, (v, words) in enumerate(zip(vecs, part, strict=True)):
                gold = gold_pairs[lo + k] if gold_pairs is not None else None
                out.append(_decode(tagger, heads, v, words, labels, gold))
    return out


def _decode(tagger, heads: EventHeads, v, words: list[str], labels, gold) -> Extracted:
    cfg = heads.config
    matches = cfg.lexicon_matches(words)
    held = (v.abs().sum(-1) > 0).cpu().numpy()  # words no window holds have a zero vector: O
    ent_p = tagger.classifier(v).softmax(-1).cpu().numpy()
    ent_p[~held] = [float(lab == "O") for lab in labels]
    trig_p = heads.trigger_logits(v, cfg.lexicon_tags(words, matches)).softmax(-1).cpu().numpy()
    trig_p[~held] = [float(t == "O") for t in cfg.trigger_tags]
    path, entities, ent_scores = decode_spans(ent_p, labels)
    tpath, model_triggers, _ = decode_spans(gate_triggers(trig_p, cfg.trigger_threshold),
                                            cfg.trigger_tags)  # fmt: skip
    triggers = anchor_triggers(model_triggers, lexicon_anchors(matches, trig_p, cfg.trigger_tags),
                               cfg.lexicon_veto, cfg.lexicon_decides())  # fmt: skip
    trig_scores = [float(np.mean(1.0 - trig_p[s.start : s.end, 0])) for s in triggers]
    pairs = pairs_of(triggers, entities)
    decided = decide_roles(heads.role_logits(v, pairs).softmax(-1).cpu().numpy(), cfg.role_labels,
                           cfg.role_threshold) if pairs else []  # fmt: skip
    index = {(t, e): (ti, ei) for ti, t in enumerate(triggers) for ei, e in enumerate(entities)}
    args = [(*index[pair], role, p) for pair, (role, p) in zip(pairs, decided, strict=True)
            if role != NONE]  # fmt: skip
    sure = [ent_p[k, j] for k, j in enumerate(path)]
    sure += [trig_p[k, j] for k, j in enumerate(tpath)]
    sure += [p for _, p in decided]
    gold_p = (heads.role_logits(v, gold).softmax(-1).cpu().numpy() if gold else
              np.zeros((0, len(cfg.role_labels))))  # fmt: skip
    return Extracted([(labels[j], float(ent_p[k, j])) for k, j in enumerate(path)], entities,
                     ent_scores, trig_p, triggers, trig_scores, args,
                     float(min(sure)) if sure else 1.0, gold_p, matches, ent_p)  # fmt: skip
