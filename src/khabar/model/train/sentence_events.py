"""The optional sentence-level event classifier: a multi-label sequence classifier with a
balanced loss and a tuned threshold."""

from __future__ import annotations

from khabar.model.infer.run import event_probs, load_pretrained
from khabar.model.measure.evaluation import event_scores, tune_threshold
from khabar.model.net.inputs import encode
from khabar.model.train.args import TrainArgs
from khabar.model.train.fitting import Split, fit, freeze_words


def event_features(tokenizer, words, events, labels, max_length) -> list[dict]:
    """Model inputs for the event classifier: a multi-hot float vector per window."""
    return [
        {"input_ids": w.input_ids,
         "labels": [float(lab in events[w.row]) for lab in labels]}
        for w in encode(tokenizer, words, max_length)
    ]  # fmt: skip


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
    freeze_words(model, freeze, args.freeze_layers)
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
