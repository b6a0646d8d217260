"""The joint model: the entity tagger and the trigger and role heads on one encoder, their
thresholds tuned on validation, and rehearsal of a transfer base's sentences."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from khabar.model.infer.run import load_pretrained
from khabar.model.measure.evaluation import Arg, ace_scores, entity_scores
from khabar.model.train.args import TrainArgs
from khabar.model.train.fitting import Split, fit, freeze_words
from khabar.model.train.transfer import carry_rows
from khabar.schema import Schema, bio_inventory
from khabar.spans import Span, tokenize

if TYPE_CHECKING:
    from khabar.model.net.heads import HeadsConfig
    from khabar.model.train.transfer import TransferBase


def heads_config(tagger, schema: Schema, event_names: list[str], role_names: list[str],
                 lexicon: bool = True) -> HeadsConfig:  # fmt: skip
    """The event heads' inventories, from the schema (roles and what entity types fill them)."""
    from khabar.model.net.heads import NONE, HeadsConfig

    tags = [tagger.config.id2label[i] for i in range(tagger.config.num_labels)]
    ent = [t[2:] for t in tags if t.startswith("B-")]  # in the tagger's (the schema's) order
    return HeadsConfig(
        hidden_size=tagger.config.hidden_size, trigger_tags=bio_inventory(event_names),
        entity_labels=ent, event_labels=list(event_names), role_labels=[NONE, *role_names],
        role_entity_types={r.name: list(r.entity_types) for r in schema.roles},
        lexicon=[[[t.text for t in tokenize(w)], e.name] for e in schema.events
                 for w in e.examples if e.name in event_names] if lexicon else [],
    )  # fmt: skip


def tune_heads(ext: list, val: Split, gold_pairs: list, cfg: HeadsConfig) -> dict:
    """Pick the trigger threshold, whether and how far the lexicon anchors triggers, and the role
    threshold on validation (ties: the model alone, thresholds nearest 0.5); return the scores
    there: entity F1, trigger classification F1, argument classification F1 on gold spans
    (`gold_pairs`: each sentence's gold (trigger, entity) pairs, as `extract` scored them)."""
    from khabar.model.net.decoding import (
        anchor_triggers,
        decode_spans,
        gate_triggers,
        lexicon_anchors,
        roles_on,
    )

    grid = [x / 20 for x in range(1, 20)]
    vetoes = [None, 0.5, 0.8, 0.95, 1.0] if cfg.lexicon else [None]
    decided = cfg.lexicon_decides()
    anchors = [lexicon_anchors(x.lexicon_matches, x.trigger_probs, cfg.trigger_tags) for x in ext]

    def trig_f1(spans: list[list], t: float, veto: float | None) -> float:
        pred = [anchor_triggers(s, a, veto, decided)
                for s, a in zip(spans, anchors, strict=True)]  # fmt: skip
        return ace_scores(val.triggers, pred, [[]] * len(pred), [[]] * len(pred))[
            "trigger_classification"]["f1"]  # fmt: skip

    def model_spans(t: float) -> list[list]:
        """Each sentence's decoded trigger spans at threshold t (what every veto starts from:
        decoded once per threshold, not once per threshold and veto)."""
        return [decode_spans(gate_triggers(x.trigger_probs, t), cfg.trigger_tags)[1]
                for x in ext]  # fmt: skip

    gold_args = gold_arguments(val)

    def arg_f1(t: float) -> float:
        pred = [roles_on(pairs, x.gold_role_probs, cfg.role_labels, t)
                for x, pairs in zip(ext, gold_pairs, strict=True)]  # fmt: skip
        return ace_scores(val.triggers, val.triggers, gold_args, pred)[
            "argument_classification"]["f1"]  # fmt: skip

    trig, _, _, cfg.trigger_threshold, cfg.lexicon_veto = max(
        (trig_f1(spans, t, v), v is None, -abs(t - 0.5), t, v)
        for t, spans in ((t, model_spans(t)) for t in grid) for v in vetoes)  # fmt: skip
    arg, _, cfg.role_threshold = max((arg_f1(t), -abs(t - 0.5), t) for t in grid)
    ent = entity_scores(val.tags, [[t for t, _ in x.entity_tags] for x in ext])["overall"]["f1"]
    return {"entities": ent, "triggers": trig, "arguments": arg}


def gold_arguments(split: Split) -> list[list[Arg]]:
    """A split's gold arguments as (trigger span, entity span, role) per sentence."""
    return resolve(split.arguments, split.triggers, split.entities)


def resolve(arguments: list[list[tuple[int, int, str]]], triggers: list[list[Span]],
            entities: list[list[Span]]) -> list[list[Arg]]:  # fmt: skip
    """Index-based arguments as (trigger span, entity span, role) per sentence."""
    return [[(trigs[t], ents[e], r) for t, e, r in args]
            for args, trigs, ents in zip(arguments, triggers, entities, strict=True)]  # fmt: skip


def train_joint(base: str, train: Split, val: Split, tag_names: list[str], lr: float,
                args: TrainArgs, schema: Schema, event_names: list[str], role_names: list[str],
                freeze: bool = False, transfer: TransferBase | None = None):  # fmt: skip
    """Fine-tune the entity tagger and the event heads as one model on the shared encoder;
    returns (tagger, heads, tokenizer, fit log). The epoch and the thresholds are picked on
    validation by the mean of entity F1, trigger classification F1 and argument classification
    F1 on gold spans. From a `transfer` base, its classifier rows of the shared tags are carried
    over and `args.rehearsal` of its sentences join every epoch."""
    from collections import Counter

    import torch

    from khabar.model.net.decoding import extract
    from khabar.model.net.heads import EventHeads, Joint, pairs_of
    from khabar.model.net.losses import joint_loss, training_items

    torch.manual_seed(args.seed)  # the new heads are initialised here and on load
    label2id = {t: i for i, t in enumerate(tag_names)}
    tok = load_pretrained("tokenizer", base)
    trained = transfer is not None and transfer.trained  # a quick recipe's pool is no tagger
    tagger = load_pretrained("ner", base, num_labels=len(tag_names),
                             id2label=dict(enumerate(tag_names)), label2id=label2id,
                             **({"ignore_mismatched_sizes": True} if trained else {}))  # fmt: skip
    carried = carry_rows(tagger, transfer) if trained else []
    freeze_words(tagger, freeze, args.freeze_layers)
    cfg = heads_config(tagger, schema, event_names, role_names, args.trigger_lexicon)
    cfg.type_counts = dict(Counter(t.label for ts in train.triggers for t in ts))
    cfg.min_type_triggers = args.min_type_triggers
    heads = EventHeads(cfg)
    joint = Joint(tagger, heads)
    items = training_items(tok, train.words, train.tags,
                           [train.events_of(i) for i in range(len(train.words))], label2id,
                           heads.config, args.max_length)  # fmt: skip
    gold_pairs = [pairs_of(t, e) for t, e in zip(val.triggers, val.entities, strict=True)]
    thresholds: list[tuple] = []  # (trigger, role, lexicon veto) tuned after each epoch
    details: list[dict] = []

    def score(j) -> float:
        if not val.words:  # nothing to choose an epoch by: the last one is kept
            return 0.0
        ext = extract(j.tagger, j.heads, tok, val.words, args.max_length, 64, gold_pairs)
        details.append(tune_heads(ext, val, gold_pairs, j.heads.config))
        c = j.heads.config
        thresholds.append((c.trigger_threshold, c.role_threshold, c.lexicon_veto))
        return sum(details[-1].values()) / 3

    more, n_more = rehearsal(transfer, tok, label2id, heads.config, args) if transfer else (None, 0)
    weights = (args.trigger_weight, args.role_weight)
    log = fit(joint, items, lambda batch: batch, args.epochs, lr, args, score, "joint",
              lambda m, batch: joint_loss(m, batch, tok.pad_token_id, weights),
              more, n_more)  # fmt: skip
    log["carried_tags"], log["rehearsed"] = carried, n_more
    if thresholds:
        best = log["best_epoch"] - 1
        c = heads.config
        c.trigger_threshold, c.role_threshold, c.lexicon_veto = thresholds[best]
        log["best_val_detail"] = details[best]
        for h, d in zip(log["history"], details, strict=True):
            h["detail"] = d
    return tagger, heads, tok, log


def rehearsal(base: TransferBase, tok, label2id: dict[str, int], config: HeadsConfig,
              args: TrainArgs) -> tuple[Callable[[int], list] | None, int]:  # fmt: skip
    """(a draw of `args.rehearsal` transfer sentences for each epoch, how many): NER-only items
    from the base's rehearsal pool. Their O tags are partial labels: a corpus without DATE or
    EVENT tags a date O because it never tags dates, not because it is no date, so an O there
    may be any tag of a type the corpus lacks (`SentenceLabels.o_also`)."""
    from khabar.model.net.losses import training_items

    want = args.rehearsal  # per epoch, resolved by `training.train_run` for the kind of base
    if want <= 0:
        return None, 0
    pool = []
    for c in base.corpora:
        rows = base.part(c["name"], "rehearsal")
        items = training_items(tok, [w for w, _ in rows], [t for _, t in rows],
                               [None] * len(rows), label2id, config, args.max_length)  # fmt: skip
        lacking = [i for t, i in label2id.items() if t != "O" and t[2:] not in c["types"]]
        for item in items:
            item.o_also = lacking
        pool += items
    n = min(want, len(pool))

    def draw(epoch: int) -> list:
        return random.Random(args.seed * 1000 + epoch).sample(pool, n)

    return draw, n
