"""What every trainer shares: a dataset split as lists, length-bucketed batches, parameter groups
and the fit loop that keeps the best epoch (the arguments are `args.TrainArgs`)."""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from khabar.model.train.args import TrainArgs
from khabar.spans import Span, word_span


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


class _Clock:
    """Seconds spent per phase of training (run.json's `phases`: where the time went)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - started
            self.seconds[phase] = self.seconds.get(phase, 0.0) + took


def trainable_state(model) -> dict:
    """A copy of the weights training can change: a frozen matrix (e5's 96 M-parameter word
    embeddings) cannot, and copying it at every better epoch is waste."""
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k not in frozen}


def fit(model, features: list[dict], collator, epochs: int, lr: float, args: TrainArgs,
        score, desc: str, loss_fn=None, more: Callable[[int], list] | None = None,
        n_more: int = 0) -> dict:  # fmt: skip
    """AdamW with linear warm-up and decay; after each epoch `score(model)` on validation, and
    the best epoch's weights are kept (ties, within `args.epoch_tolerance`, go to the later
    epoch); `args.patience` epochs
    without a better score end training early. `more(epoch)`: `n_more` items added to that
    epoch only (rehearsal). The encoder runs in `args.precision` (`device.encoder_in`)."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    from khabar.model.net.device import encoder_in, place

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    placement = place([model], args.device, args.precision, training=True)  # once, for this fit
    device, encoder = placement.device, model.base_model
    # fused: one kernel over all parameters instead of a loop of small ones per tensor.
    opt = torch.optim.AdamW(param_groups(model, lr, args.head_factor),
                            weight_decay=args.weight_decay, fused=True)  # fmt: skip
    steps = epochs * math.ceil((len(features) + n_more) / args.batch_size)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup * steps), max(steps, 1))
    best, best_state, best_epoch, history, since = -1.0, None, 0, [], 0
    top, tolerance = -1.0, max(args.epoch_tolerance, 0.0)  # the best score so far, a tie's margin
    clock, started = _Clock(), time.perf_counter()
    # Validation runs in the training precision too: the one `auto` inference uses on this
    # machine (in fp32 it picked the same epoch on a fold of the sample, 13 % slower).
    with tqdm(total=steps, desc=desc, unit="step") as bar, \
            encoder_in(placement.precision, encoder, device):  # fmt: skip
        bar.write(f"{desc}: {placement.summary()}", file=sys.stderr)  # stdout: results only
        for epoch in range(1, epochs + 1):
            model.train()
            total = 0.0
            batches = _batches(features + (more(epoch) if more else []), args.batch_size, rng)
            for batch in batches:
                with clock("forward"):
                    inputs = _to(collator(batch), device)
                    loss = loss_fn(model, inputs) if loss_fn else model(**inputs).loss
                bar.update()
                if not torch.isfinite(loss):  # an MLM batch of short lines may mask no token
                    continue
                with clock("backward"):
                    loss.backward()
                with clock("optimizer"):
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    sched.step()
                    opt.zero_grad()
                total += loss.item()
            with clock("validation"):
                val = score(model)
            history.append({"epoch": epoch, "loss": total / max(len(batches), 1), "val": val})
            bar.set_postfix(loss=f"{history[-1]['loss']:.3f}", val=f"{val:.3f}")
            since += 1
            if val >= top - tolerance:
                best, best_epoch, since = val, epoch, 0
                with clock("snapshot"):
                    best_state = trainable_state(model)
            top = max(top, val)
            if args.patience and since >= args.patience:
                bar.write(f"{desc}: stopped after epoch {epoch}, {since} epochs without a "
                          f"better validation score than epoch {best_epoch}'s",
                          file=sys.stderr)  # fmt: skip
                break
    if best_state is not None:
        model.load_state_dict(best_state, strict=False)
    model.to("cpu")  # saving, baselines and scoring after training expect the CPU
    return {"best_epoch": best_epoch, "best_val": best, "seconds": time.perf_counter() - started,
            "epochs_run": len(history), "precision": placement.precision,
            "device": placement.device, "precision_reason": placement.reason,
            "phases": {k: round(v, 2) for k, v in clock.seconds.items()},
            "history": history}  # fmt: skip


def _to(inputs, device: str):
    """A collator's batch on `device`: a dict of tensors moved; khabar's own batches (lists of
    sentences) are moved by the loss that builds their tensors."""
    if isinstance(inputs, dict):
        return {k: v.to(device) if hasattr(v, "to") else v for k, v in inputs.items()}
    return inputs


def freeze_words(model, freeze: bool, layers: int = 0) -> None:
    """Fix the word-embedding matrix: most of a multilingual base's weights, and the ones a small
    labelled set can only disturb (pieces unseen in training would drift from those seen). With
    `layers`, also the other embeddings and the lowest `layers` encoder layers."""
    if not freeze:
        return
    model.get_input_embeddings().weight.requires_grad_(False)
    if layers > 0:
        encoder = model.base_model
        for module in [encoder.embeddings, *encoder.encoder.layer[:layers]]:
            module.requires_grad_(False)
