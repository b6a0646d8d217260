"""The entity tagger alone: fine-tune a token classifier (transfer bases, bench-ner)."""

from __future__ import annotations

from collections.abc import Callable

from khabar.model.infer.run import load_pretrained, tag_words
from khabar.model.measure.evaluation import entity_scores
from khabar.model.net.inputs import encode
from khabar.model.train.args import TrainArgs
from khabar.model.train.fitting import Split, fit, freeze_words


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
    freeze_words(model, freeze, args.freeze_layers)
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
