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
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
from torch import nn

from khabar.model.net.device import encoder_autocast
from khabar.model.net.inputs import Window, length_batches, pad
from khabar.spans import Span, match_phrases, tags_of

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


def pairs_of(triggers: list[Span], entities: list[Span]) -> list[tuple[Span, Span]]:
    """Every (trigger, entity) pair of a sentence: the candidates the role classifier scores."""
    return [(t, e) for t in triggers for e in entities]


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
