"""What the joint model learns from: one training item per sentence, and the losses of a batch
(entity tags with partial labels, trigger tags, argument roles)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from khabar.model.net.heads import NONE, HeadsConfig, Joint, word_vectors
from khabar.model.net.inputs import Window, encode
from khabar.spans import Span, tags_of


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
