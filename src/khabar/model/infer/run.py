"""What training, evaluation and prediction share: the layout of a run folder, loading it with
clear errors, and batched inference.

A run folder `models/<run>/` holds `ner/` (the shared encoder with the entity head, a
`save_pretrained` token classifier with its tokenizer, and beside it the event heads:
`event_heads.safetensors` + `event_heads.json`), `events/` only when the separate sentence
classifier was trained, `baselines/` (CRF and TF-IDF pickles), `run.json` (label maps, arguments,
seed, thresholds, data) and `metrics.json`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from khabar.io import read_json
from khabar.model.net.device import FP32_CPU, Placement, place
from khabar.model.net.inputs import encode, length_batches, pad
from khabar.spans import bio_decode

if TYPE_CHECKING:
    from khabar.model.net.heads import EventHeads

NER_DIR = "ner"
EVENTS_DIR = "events"
BASELINES_DIR = "baselines"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
CRF_FILE = "crf.pkl"
TFIDF_FILE = "tfidf.pkl"
LEXICON_FILE = "trigger_lexicon.pkl"
MODEL_FILES = ("config.json", "tokenizer_config.json")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class RunError(Exception):
    """A run folder or base model that cannot be used, with what to do about it."""


def word_dists(
    model,
    tokenizer,
    word_lists: list[list[str]],
    max_length: int = 512,
    batch_size: int = 32,
    precision: str = "fp32",
) -> list[list[list[float]]]:
    """Every word's tag distribution (in the model's label order), from its first sub-token;
    length-sorted batches under `torch.inference_mode()`, the encoder on the model's device in
    `precision` and the classifier in fp32 (`device.py`)."""
    import torch

    from khabar.model.net.device import encoder_autocast

    model.eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    o_only = [float(lab == "O") for lab in labels]  # a word no window holds (a lone joiner)
    dists = [[o_only] * len(words) for words in word_lists]
    with torch.inference_mode():
        for batch in length_batches(encode(tokenizer, word_lists, max_length), batch_size):
            ids, mask = pad(batch, tokenizer.pad_token_id)
            with encoder_autocast(precision, model.device.type):
                states = model.base_model(input_ids=ids.to(model.device),
                                          attention_mask=mask.to(model.device))  # fmt: skip
            logits = model.classifier(states.last_hidden_state.float())
            probs = logits.softmax(-1).cpu()
            for b, w in enumerate(batch):
                row = dists[w.row]
                for pos, word in zip(w.first, w.words, strict=True):
                    row[word] = probs[b, pos].tolist()
    return dists


def tag_words(model, tokenizer, word_lists: list[list[str]], max_length: int = 512,
              batch_size: int = 32, bio: bool = True,
              precision: str = "fp32") -> list[list[tuple[str, float]]]:  # fmt: skip
    """(BIO tag, probability) of every word (`word_dists`), decoded as valid BIO
    (`spans.bio_decode`; `bio=False`: each word's own argmax, as the transformers pipeline does)."""
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    out = []
    for row in word_dists(model, tokenizer, word_lists, max_length, batch_size, precision):
        path = bio_decode(row, labels) if bio else [max(range(len(p)), key=p.__getitem__)
                                                    for p in row]  # fmt: skip
        out.append([(labels[j], row[k][j]) for k, j in enumerate(path)])
    return out


def event_probs(model, tokenizer, word_lists: list[list[str]], max_length: int = 512,
                batch_size: int = 32) -> list[dict[str, float]]:  # fmt: skip
    """Probability of each event type per word list (sigmoid; the max over a list's windows)."""
    import torch

    model.eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    out = [dict.fromkeys(labels, 0.0) for _ in word_lists]
    with torch.inference_mode():
        for batch in length_batches(encode(tokenizer, word_lists, max_length), batch_size):
            ids, mask = pad(batch, tokenizer.pad_token_id)
            probs = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)
                          ).logits.sigmoid().tolist()  # fmt: skip
            for w, p in zip(batch, probs, strict=True):
                row = out[w.row]
                for lab, v in zip(labels, p, strict=True):
                    row[lab] = max(row[lab], v)
    return out


def train_hint(run: Path) -> str:
    """The command that trains the run folder `run` (models/<name>: `make train RUN=<name>`)."""
    name = Path(run).name
    return "`make train`" if name == "default" else f"`make train RUN={name}`"


def check_model_dir(path: Path) -> None:
    """Raise RunError naming every file a saved model folder lacks."""
    if not path.is_dir():
        run = path.parent if path.name == NER_DIR else path
        raise RunError(f"{path} is not a folder: train a run first ({train_hint(run)})")
    missing = [f for f in MODEL_FILES if not (path / f).is_file()]
    if not any((path / f).is_file() for f in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    if missing:
        raise RunError(f"{path} is incomplete, missing: {', '.join(missing)}; retrain the run")


def quiet_transformers() -> None:
    """Silence transformers' load reports and per-file bars (khabar draws its own bars)."""
    from transformers.utils import logging

    # Loading an MLM checkpoint into a tagger lists every new head weight, and each load and save
    # draws its own bar: expected here, and noise between khabar's own progress bars.
    logging.set_verbosity_error()
    logging.disable_progress_bar()


def load_pretrained(kind: str, name_or_path: str | Path, **kwargs):
    """`from_pretrained` of a tokenizer ('tokenizer'), tagger ('ner') or classifier ('events'),
    with a clear error for a name that cannot be found or downloaded."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    quiet_transformers()

    cls = {
        "tokenizer": AutoTokenizer,
        "ner": AutoModelForTokenClassification,
        "events": AutoModelForSequenceClassification,
    }[kind]
    try:
        return cls.from_pretrained(str(name_or_path), **kwargs)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(
            f"cannot load {kind} from {name_or_path!r}: {first}. A Hub name needs a network; "
            "offline, give a local folder (or leave BASE_MODEL empty for khabar's own small BERT)"
        ) from exc


@dataclass
class Run:
    """A trained run: the tagger with its event heads, the optional sentence classifier, the
    baselines and run.json."""

    path: Path
    info: dict
    ner: object
    ner_tokenizer: object
    events: object = None
    events_tokenizer: object = None
    crf: object = None
    tfidf: object = None
    lexicon: object = None  # trigger words of the training split (baselines.TriggerLexicon)
    heads: EventHeads | None = None
    placement: Placement = FP32_CPU  # where the models are and the encoder's precision

    @property
    def precision(self) -> str:
        """The encoder's precision: fp32 or bf16."""
        return self.placement.precision

    @property
    def name(self) -> str:
        """The run's name (its folder's name): the model_version of its predictions."""
        return self.path.name

    @property
    def threshold(self) -> float:
        """Event decision threshold of the sentence classifier, tuned on validation."""
        return float(self.info.get("event_threshold", 0.5))

    @property
    def max_length(self) -> int:
        """Longest model input in sub-tokens."""
        return int(self.info.get("max_length", 512))


def check_run(path: Path) -> None:
    """Raise RunError when a run folder lacks what prediction loads (without loading it)."""
    from khabar.model.net.heads import HEADS_CONFIG, HEADS_FILE

    path = Path(path)
    if not (path / RUN_FILE).is_file():
        raise RunError(f"{path / RUN_FILE} not found: train the run first ({train_hint(path)})")
    check_model_dir(path / NER_DIR)
    lacking = [f for f in (HEADS_FILE, HEADS_CONFIG) if not (path / NER_DIR / f).is_file()]
    if lacking:
        raise RunError(f"{path / NER_DIR} lacks the event heads ({', '.join(lacking)}): it was "
                       "trained before event extraction existed; retrain the run")  # fmt: skip


def load_run(path: Path, baselines: bool = True, device: str | None = None,
             precision: str | None = None) -> Run:  # fmt: skip
    """Load a run folder, refusing an incomplete one with the list of what is missing; its
    models on `device` with the encoder in `precision` (`auto` for either: `device.py`)."""
    from khabar.model.measure import baselines as bl
    from khabar.model.net.heads import load_heads

    path = Path(path)
    check_run(path)
    info = read_json(path / RUN_FILE)
    run = Run(
        path,
        info,
        load_pretrained("ner", path / NER_DIR),
        load_pretrained("tokenizer", path / NER_DIR),
        heads=load_heads(path / NER_DIR),
    )
    if info.get("args", {}).get("sentence_classifier"):
        check_model_dir(path / EVENTS_DIR)
        run.events = load_pretrained("events", path / EVENTS_DIR)
        run.events_tokenizer = load_pretrained("tokenizer", path / EVENTS_DIR)
    if baselines:
        for attr, name in (("crf", CRF_FILE), ("tfidf", TFIDF_FILE), ("lexicon", LEXICON_FILE)):
            f = path / BASELINES_DIR / name
            if not f.is_file():
                raise RunError(f"{f} is missing; retrain the run (or pass --no-baselines)")
            setattr(run, attr, bl.load(f))
    run.placement = place([run.ner, run.heads, run.events], device, precision)
    if run.placement.precision == "int8":  # every reader of the encoder goes through base_model
        from khabar.model.net.int8 import INT8_DIR, int8_encoder

        said = lambda m: print(m, file=sys.stderr)  # noqa: E731
        setattr(run.ner, run.ner.base_model_prefix,
                int8_encoder(run.ner, path / NER_DIR, path / INT8_DIR, said))  # fmt: skip
    return run


def check_labels(run: Run, ner_names: list[str], event_names: list[str]) -> None:
    """Refuse data whose label inventory differs from the one the run was trained on."""
    have_events = run.heads.config.event_labels if run.heads else run.info.get("event_labels", [])
    for what, have, want in (
        ("entity tags", [run.ner.config.id2label[i] for i in range(run.ner.config.num_labels)],
         ner_names),
        ("event types", have_events, event_names),
    ):  # fmt: skip
        if list(have) != list(want):
            extra, lack = sorted(set(want) - set(have)), sorted(set(have) - set(want))
            raise RunError(
                f"the data's {what} differ from run {run.name}'s (data only: {extra or 'none'}; "
                f"model only: {lack or 'none'}; or the order changed): retrain on this dataset"
            )
