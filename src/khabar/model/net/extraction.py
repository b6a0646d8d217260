"""Event extraction on the entity tagger's encoder: a trigger tagger and an argument-role classifier
that read the same hidden states as the entity head, so one forward pass gives all three layers.

Roles are scored from span pooling, not from typed markers: each span is the mean of its words'
vectors (a word's vector is its first sub-token's hidden state), and a pair is [trigger; entity;
trigger × entity; entity type; event type; signed distance]. Markers would need one encoder pass
per pair (a sentence with 4 triggers and 6 entities: 24 passes); pooling scores every pair of a
sentence from one pass, which on a CPU is the difference between usable and not. Word vectors are
stitched from a sentence's windows before pooling, so a pair across a window border is scored
once, from the window that owns each word.

The heads are saved beside the tagger (`event_heads.safetensors` + `event_heads.json`): the tagger
folder stays an ordinary token-classification model that `from_pretrained` loads, and
`load_heads` adds the event layers to it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from khabar.model.measure.evaluation import Arg, bio_entities
from khabar.model.net.device import encoder_autocast
from khabar.model.net.inputs import Window, encode, length_batches, pad
from khabar.spans import Span, bio_decode, match_phrases, tags_of

HEADS_FILE = "event_heads.safetensors"
HEADS_CONFIG = "event_heads.json"
NONE = "none"  # the role of a (trigger, entity) pair that is no argument
DISTANCE_BUCKETS = 6  # |distance| in words, log2-bucketed: 0, 1, 2-3, 4-7, 8-15, 16-31, 32+


@dataclass
class HeadsConfig:
    """Label inventories and sizes of the event heads, and the thresholds tuned on validation."""

    hidden_size: int
    trigger_tags: list[str]
    entity_labels: list[str]
    event_labels: list[str]
    role_labels: list[str]  # NONE first
    role_entity_types: dict[str, list[str]]  # the schema's constraint: role -> entity types
    type_dim: int = 32
    dropout: float = 0.1
    trigger_threshold: float = 0.5
    role_threshold: float = 0.5
    # Tuned on validation: None, the lexicon is only a feature of the trigger head; a number v,
    # every lexicon match is also a trigger unless the model's mean P(O) over it exceeds v (see
    # `decode_triggers`).
    lexicon_veto: float | None = None
    # The schema's trigger words as [[word, …], event type] pairs: a feature of the trigger head.
    lexicon: list = field(default_factory=list)
    # Training triggers per event type (None: heads saved before it was recorded). A lexicon
    # match of a type with fewer than `min_type_triggers` of them is a trigger of the lexicon's
    # type whatever the head says (see `lexicon_decides`).
    type_counts: dict[str, int] | None = None
    min_type_triggers: int = 5

    def lexicon_matches(self, words: list[str]) -> list[Span]:
        """Where the lexicon's phrases occur in a word list (word positions, longest first)."""
        phrases = self.__dict__.get("_phrases")  # built once: this runs for every sentence
        if phrases is None:
            phrases = self.__dict__["_phrases"] = {tuple(p): t for p, t in self.lexicon}
        return match_phrases(words, phrases)

    def lexicon_tags(self, words: list[str], found: list[Span] | None = None) -> list[int]:
        """Trigger tag ids the lexicon gives a word list (0, i.e. O, where no phrase matches);
        `found`: its `lexicon_matches`, when already known."""
        found = self.lexicon_matches(words) if found is None else found
        return [self.trigger_tags.index(t) for t in tags_of(found, len(words))]

    def lexicon_decides(self) -> set[str]:
        """Event types too rare in training for the head to know: their lexicon matches are
        triggers of the lexicon's type. Why: a type the head saw never or a few times is one it
        cannot tell from the others, and the lexicon feature's embedding of it is untrained; in
        the sample's cross-validation a head that had never seen DEATH called मौत an AGREEMENT."""
        if self.type_counts is None or not self.lexicon:
            return set()
        return {t for t in self.event_labels
                if self.type_counts.get(t, 0) < self.min_type_triggers}  # fmt: skip

    def allowed(self) -> list[list[bool]]:
        """[entity type][role]: whether the schema lets an entity of that type fill the role."""
        return [[r == NONE or not self.role_entity_types.get(r) or e in self.role_entity_types[r]
                 for r in self.role_labels] for e in self.entity_labels]  # fmt: skip


def distance_bucket(d: int) -> int:
    """Signed log2 bucket of a word distance, shifted to a non-negative embedding index."""
    b = min(DISTANCE_BUCKETS, math.ceil(math.log2(abs(d) + 1)))
    return DISTANCE_BUCKETS + (b if d >= 0 else -b)


class EventHeads(nn.Module):
    """Trigger BIO classifier over word vectors and a role classifier over span pairs."""

    def __init__(self, config: HeadsConfig):
        super().__init__()
        self.config = config
        h, d = config.hidden_size, config.type_dim
        self.dropout = nn.Dropout(config.dropout)
        # A word's vector plus an embedding of the lexicon's tag for it: the head learns when
        # the schema's trigger words are triggers (स्वागत, a MEET, is not always one). Added at
        # the hidden states' scale: a one-hot beside 384 large dimensions was learnt too slowly.
        self.lexicon = nn.Embedding(len(config.trigger_tags), h)
        self.trigger = nn.Linear(h, len(config.trigger_tags))
        self.entity_type = nn.Embedding(len(config.entity_labels), d)
        self.event_type = nn.Embedding(len(config.event_labels), d)
        self.distance = nn.Embedding(2 * DISTANCE_BUCKETS + 1, d)
        self.role = nn.Sequential(
            nn.Linear(3 * h + 3 * d, h), nn.GELU(), nn.Dropout(config.dropout),
            nn.Linear(h, len(config.role_labels)),
        )  # fmt: skip
        self.register_buffer("allowed", torch.tensor(config.allowed()), persistent=False)

    def trigger_logits(self, words: torch.Tensor, lexicon: list[int]) -> torch.Tensor:
        """Trigger tag logits of word vectors (n, hidden) with their lexicon tag ids."""
        lex = self.lexicon(torch.tensor(lexicon, dtype=torch.long, device=words.device))
        return self.trigger(self.dropout(words + lex))

    def role_logits(self, words: torch.Tensor, pairs: list[tuple[Span, Span]]) -> torch.Tensor:
        """Role logits (len(pairs), roles) of (trigger, entity) pairs of one sentence, in word
        positions; roles the schema forbids for the entity's type get -1e4."""
        c = self.config
        trig = torch.stack([words[t.start : t.end].mean(0) for t, _ in pairs])
        ent = torch.stack([words[e.start : e.end].mean(0) for _, e in pairs])
        at = {"device": words.device}
        etype = torch.tensor([c.entity_labels.index(e.label) for _, e in pairs], **at)
        vtype = torch.tensor([c.event_labels.index(t.label) for t, _ in pairs], **at)
        dist = torch.tensor([distance_bucket(e.start - t.start) for t, e in pairs], **at)
        x = torch.cat([trig, ent, trig * ent, self.entity_type(etype), self.event_type(vtype),
                       self.distance(dist)], -1)  # fmt: skip
        return self.role(self.dropout(x)).masked_fill(~self.allowed[etype], -1e4)


class Joint(nn.Module):
    """The entity tagger (a token-classification model) and the event heads, trained as one."""

    def __init__(self, tagger, heads: EventHeads):
        super().__init__()
        self.tagger, self.heads = tagger, heads

    @property
    def base_model(self):
        """The tagger's encoder (what training runs in its precision)."""
        return self.tagger.base_model


def word_vectors(tagger, windows: list[Window], lengths: list[int], pad_id: int,
                 batch_size: int | None = None,
                 precision: str = "fp32") -> list[torch.Tensor]:  # fmt: skip
    """Each word list's word vectors (first sub-token's last hidden state), stitched from its
    windows; a word no window holds (a lone joiner) gets zeros. `batch_size` None: one batch.
    The encoder runs on the tagger's device in `precision`; the vectors are fp32."""
    hidden, device = tagger.config.hidden_size, tagger.device
    starts = [0]  # each word list's first row in one (all words, hidden) table
    for n in lengths:
        starts.append(starts[-1] + n)
    table = torch.zeros(starts[-1], hidden, device=device)
    batches = length_batches(windows, batch_size) if batch_size else [windows]
    for batch in batches:
        if not batch:
            continue
        ids, mask = pad(batch, pad_id)
        with encoder_autocast(precision, device.type):
            states = tagger.base_model(input_ids=ids.to(device), attention_mask=mask.to(device))
        states = states.last_hidden_state.float()  # the heads and decisions stay fp32
        # One gather per batch, not one index per word: in training each indexing is a node
        # the backward pass walks.
        src = [b * ids.shape[1] + pos for b, w in enumerate(batch) for pos in w.first]
        dst = [starts[w.row] + word for w in batch for word in w.words]
        at = torch.tensor(dst, device=device)
        table = table.index_put((at,), states.reshape(-1, hidden)[torch.tensor(src, device=device)])
    return list(torch.split(table, lengths))


# ------------------------------------------------------------------ training


@dataclass
class SentenceLabels:
    """What the joint model learns from one sentence, in word positions."""

    windows: list[Window]
    entity_tags: list[int]  # -100: not learnt (a word no window holds)
    trigger_tags: list[int]  # -100 everywhere for NER-only sentences (extra CoNLL data)
    lexicon: list[int] = field(default_factory=list)  # the lexicon's tag id of each word
    pairs: list[tuple[Span, Span]] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    # Entity tag ids an O of this sentence may also be: the types its corpus does not annotate
    # (a public corpus without DATE tags its dates O). Empty: O means O.
    o_also: list[int] = field(default_factory=list)

    @property
    def input_ids(self) -> list[int]:
        """All of the sentence's sub-token ids (their count sorts batches by length)."""
        return [i for w in self.windows for i in w.input_ids]


def pairs_of(triggers: list[Span], entities: list[Span]) -> list[tuple[Span, Span]]:
    """Every (trigger, entity) pair of a sentence: the candidates the role classifier scores."""
    return [(t, e) for t in triggers for e in entities]


def training_items(tokenizer, words: list[list[str]], entity_tags: list[list[str]],
                   events: list[tuple[list[Span], list[Span], list] | None],
                   entity_ids: dict[str, int], config: HeadsConfig,
                   max_length: int) -> list[SentenceLabels]:  # fmt: skip
    """One training item per sentence. `events[i]` is (triggers, entities, arguments) in word
    positions, or None for a sentence without an event layer (its trigger tags are not learnt).
    A pair whose gold role the schema forbids for its entity's type is left out: never trained
    on (the export reports such relations)."""
    by_row: dict[int, list[Window]] = {}
    for w in encode(tokenizer, words, max_length):
        by_row.setdefault(w.row, []).append(replace(w, row=0))
    trig_ids = {t: i for i, t in enumerate(config.trigger_tags)}
    role_ids = {r: i for i, r in enumerate(config.role_labels)}
    allowed = config.allowed()
    items = []
    for i, ws in enumerate(words):
        held = {k for w in by_row.get(i, []) for k in w.words}
        ent = [entity_ids[t] if k in held else -100 for k, t in enumerate(entity_tags[i])]
        item = SentenceLabels(by_row.get(i, []), ent, [-100] * len(ws), config.lexicon_tags(ws))
        if events[i] is not None:
            triggers, entities, arguments = events[i]
            item.trigger_tags = [trig_ids[t] if k in held else -100
                                 for k, t in enumerate(tags_of(triggers, len(ws)))]  # fmt: skip
            gold = {(t, e): role for t, e, role in arguments}  # trigger, entity index -> role
            for ti, t in enumerate(triggers):
                for ei, e in enumerate(entities):
                    role = role_ids[gold.get((ti, ei), NONE)]
                    if allowed[config.entity_labels.index(e.label)][role]:
                        item.pairs.append((t, e))
                        item.roles.append(role)
        items.append(item)
    return [x for x in items if x.windows]


def joint_loss(joint: Joint, batch: list[SentenceLabels], pad_id: int,
               weights: tuple[float, float]) -> torch.Tensor:  # fmt: skip
    """Entity tag CE + w_t · trigger tag CE + w_r · role CE over a batch of sentences."""
    windows = [replace(w, row=k) for k, s in enumerate(batch) for w in s.windows]
    vecs = word_vectors(joint.tagger, windows, [len(s.entity_tags) for s in batch], pad_id)
    flat = torch.cat(vecs)
    ce = nn.CrossEntropyLoss(ignore_index=-100)
    tagger = joint.tagger
    loss = entity_loss(tagger.classifier(tagger.dropout(flat)), batch)
    trig_gold = torch.tensor([t for s in batch for t in s.trigger_tags], device=flat.device)
    if (trig_gold != -100).any():
        lex = [t for s in batch for t in s.lexicon]
        loss = loss + weights[0] * ce(joint.heads.trigger_logits(flat, lex), trig_gold)
    with_pairs = [(v, s) for v, s in zip(vecs, batch, strict=True) if s.pairs]
    if with_pairs:
        logits = torch.cat([joint.heads.role_logits(v, s.pairs) for v, s in with_pairs])
        target = torch.tensor([r for _, s in with_pairs for r in s.roles], device=flat.device)
        loss = loss + weights[1] * ce(logits, target)
    return loss


def entity_loss(logits: torch.Tensor, batch: list[SentenceLabels]) -> torch.Tensor:
    """Entity tag cross-entropy over the words of a batch. An O of a sentence with `o_also` is a
    partial label, -log of the probability of O or any of those tags: the corpus only says the
    word is none of the types it annotates."""
    gold = torch.tensor([t for s in batch for t in s.entity_tags], device=logits.device)
    if not any(s.o_also for s in batch):
        return nn.functional.cross_entropy(logits, gold, ignore_index=-100)
    allowed = torch.zeros_like(logits, dtype=torch.bool)
    known = gold != -100
    allowed[known.nonzero().squeeze(-1), gold[known]] = True
    k = 0
    for s in batch:
        for t in s.entity_tags:
            if t == 0 and s.o_also:  # O is the first tag of every inventory
                allowed[k, s.o_also] = True
            k += 1
    logp = logits.log_softmax(-1).masked_fill(~allowed, float("-inf")).logsumexp(-1)
    return -logp[known].mean()


# ------------------------------------------------------------------ decoding


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


# ------------------------------------------------------------------ saving


def save_heads(heads: EventHeads, folder: Path) -> None:
    """Write event_heads.safetensors and event_heads.json into a tagger's folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    save_file({k: v.contiguous() for k, v in heads.state_dict().items()}, folder / HEADS_FILE)
    cfg = {f.name: getattr(heads.config, f.name) for f in fields(heads.config)}  # no caches
    (folder / HEADS_CONFIG).write_text(json.dumps(cfg, ensure_ascii=False, indent=2),
                                       encoding="utf-8")  # fmt: skip


def load_heads(folder: Path) -> EventHeads:
    """The event heads saved beside a tagger by `save_heads`."""
    from safetensors.torch import load_file

    folder = Path(folder)
    cfg = HeadsConfig(**json.loads((folder / HEADS_CONFIG).read_text(encoding="utf-8")))
    heads = EventHeads(cfg)
    heads.load_state_dict(load_file(str(folder / HEADS_FILE)))
    heads.eval()
    return heads
