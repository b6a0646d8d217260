"""Masked-LM pretraining of khabar's small BERT on unlabelled Hindi text."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from khabar.io import write_json
from khabar.model.base.build import BASE_INFO, BaseModelArgs, build_base_model
from khabar.model.infer.run import load_pretrained
from khabar.model.net.inputs import encode
from khabar.model.train.args import TrainArgs
from khabar.model.train.fitting import fit
from khabar.spans import tokenize

TAG = re.compile(r"^(O|[BIES]-\S+)$")


def looks_conll(lines: list[str]) -> bool:
    """Whether text lines are CoNLL (a token and a BIO tag last on nearly every line): IL-NER
    ships its CoNLL files as .txt."""
    rows = [ln.split() for ln in lines[:500] if ln.strip() and not ln.startswith("#")]
    tagged = sum(len(r) >= 2 and TAG.match(r[-1]) is not None for r in rows)
    return bool(rows) and tagged >= 0.9 * len(rows)


def read_texts(path: Path) -> list[str]:
    """Unlabelled sentences: a cleaned corpus (.jsonl: its sentences), a CoNLL file (.conll, or
    any file whose lines look like CoNLL: its sentences, tags ignored) or plain text (one line
    each)."""
    from khabar.corpus.article import read_articles
    from khabar.dataset.conll import read_conll

    path = Path(path)
    if path.suffix == ".jsonl":
        return [a.text[s:e] for a in read_articles(path) for s, e in a.sentences]
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".conll" or looks_conll(lines):
        return [" ".join(words) for words, _ in read_conll(path, {}, [])[0]]
    return [line.strip() for line in lines if line.strip()]


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
