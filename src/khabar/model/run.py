"""What training, evaluation and prediction share: the layout of a run folder, loading it with
clear errors, encoding word lists into sub-token windows, and batched inference.

A run folder `models/<run>/` holds `ner/` and `events/` (each a `save_pretrained` model with its
tokenizer), `baselines/` (CRF and TF-IDF pickles), `run.json` (label maps, arguments, seed,
threshold, data) and `metrics.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from khabar.io import read_json
from khabar.spans import bio_decode, word_windows

NER_DIR = "ner"
EVENTS_DIR = "events"
BASELINES_DIR = "baselines"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
CRF_FILE = "crf.pkl"
TFIDF_FILE = "tfidf.pkl"
MODEL_FILES = ("config.json", "tokenizer_config.json")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class RunError(Exception):
    """A run folder or base model that cannot be used, with what to do about it."""


@dataclass
class Window:
    """One model input cut from a word list: sub-token ids with the words it owns."""

    row: int
    input_ids: list[int]
    first: list[int]  # position in input_ids of the first sub-token of each owned word
    words: list[int]  # those words' indices in the word list


def _specials(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a sequence ([CLS]…[SEP], <s>…</s>)."""
    bare = tokenizer("x", add_special_tokens=False)["input_ids"]
    full = tokenizer("x")["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return full[:i], full[i + len(bare) :]
    return [], []


def encode(tokenizer, word_lists: list[list[str]], max_length: int) -> list[Window]:
    """Sub-token windows of at most `max_length` ids (special tokens included) for word lists.

    Lists that do not fit are cut into overlapping windows (`spans.word_windows`), never
    truncated. A word with no sub-token (a lone joiner character) is in no window: callers tag it O.
    """
    if not word_lists:
        return []
    pre, post = _specials(tokenizer)
    budget = max(1, max_length - len(pre) - len(post))
    enc = tokenizer(word_lists, is_split_into_words=True, add_special_tokens=False)
    out: list[Window] = []
    for row, words in enumerate(word_lists):
        ids = enc["input_ids"][row]
        first: list[int | None] = [None] * len(words)
        ends = [0] * len(words)
        for pos, w in enumerate(enc.word_ids(row)):
            if w is None:
                continue
            if first[w] is None:
                first[w] = pos
            ends[w] = pos + 1
        lengths = [0 if f is None else e - f for f, e in zip(first, ends, strict=True)]
        for s, e, own_s, own_e in word_windows(lengths, budget, budget // 4):
            present = [w for w in range(s, e) if first[w] is not None]
            if not present:
                continue
            lo = first[present[0]]
            piece = ids[lo : ends[present[-1]]][:budget]
            owned = [w for w in present if own_s <= w < own_e]
            out.append(Window(row, pre + piece + post, [len(pre) + first[w] - lo for w in owned],
                              owned))  # fmt: skip
    return out


def length_batches(windows: list[Window], batch_size: int) -> list[list[Window]]:
    """Windows in batches of similar length, so padding costs little."""
    ordered = sorted(windows, key=lambda w: len(w.input_ids))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def pad(batch: list[Window], pad_id: int):
    """input_ids and attention_mask tensors of a batch, right-padded."""
    import torch

    width = max(len(w.input_ids) for w in batch)
    ids = torch.tensor([w.input_ids + [pad_id] * (width - len(w.input_ids)) for w in batch])
    mask = torch.tensor([[1] * len(w.input_ids) + [0] * (width - len(w.input_ids))
                         for w in batch])  # fmt: skip
    return ids, mask


def tag_words(model, tokenizer, word_lists: list[list[str]], max_length: int = 512,
              batch_size: int = 32, bio: bool = True) -> list[list[tuple[str, float]]]:  # fmt: skip
    """(BIO tag, probability) of every word, from its first sub-token's distribution, decoded as
    valid BIO (`spans.bio_decode`; `bio=False`: each word's own argmax, as the transformers
    pipeline does); length-sorted batches under `torch.inference_mode()`."""
    import torch

    model.eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    o_only = [float(lab == "O") for lab in labels]  # a word no window holds (a lone joiner)
    dists = [[o_only] * len(words) for words in word_lists]
    with torch.inference_mode():
        for batch in length_batches(encode(tokenizer, word_lists, max_length), batch_size):
            ids, mask = pad(batch, tokenizer.pad_token_id)
            probs = model(input_ids=ids, attention_mask=mask).logits.softmax(-1)
            for b, w in enumerate(batch):
                row = dists[w.row]
                for pos, word in zip(w.first, w.words, strict=True):
                    row[word] = probs[b, pos].tolist()
    out = []
    for row in dists:
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
            probs = model(input_ids=ids, attention_mask=mask).logits.sigmoid().tolist()
            for w, p in zip(batch, probs, strict=True):
                row = out[w.row]
                for lab, v in zip(labels, p, strict=True):
                    row[lab] = max(row[lab], v)
    return out


def check_model_dir(path: Path) -> None:
    """Raise RunError naming every file a saved model folder lacks."""
    if not path.is_dir():
        raise RunError(f"{path} is not a folder: train a run first (`make train`)")
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
    """A trained run: both models, their tokenizers, the baselines and run.json."""

    path: Path
    info: dict
    ner: object
    ner_tokenizer: object
    events: object
    events_tokenizer: object
    crf: object = None
    tfidf: object = None

    @property
    def name(self) -> str:
        """The run's name (its folder's name): the model_version of its predictions."""
        return self.path.name

    @property
    def threshold(self) -> float:
        """Event decision threshold tuned on validation."""
        return float(self.info.get("event_threshold", 0.5))

    @property
    def max_length(self) -> int:
        """Longest model input in sub-tokens."""
        return int(self.info.get("max_length", 512))


def load_run(path: Path, baselines: bool = True) -> Run:
    """Load a run folder, refusing an incomplete one with the list of what is missing."""
    from khabar.model import baselines as bl

    path = Path(path)
    if not (path / RUN_FILE).is_file():
        raise RunError(f"{path / RUN_FILE} not found: train the run first (`make train`)")
    for sub in (NER_DIR, EVENTS_DIR):
        check_model_dir(path / sub)
    info = read_json(path / RUN_FILE)
    run = Run(
        path, info,
        load_pretrained("ner", path / NER_DIR), load_pretrained("tokenizer", path / NER_DIR),
        load_pretrained("events", path / EVENTS_DIR),
        load_pretrained("tokenizer", path / EVENTS_DIR),
    )  # fmt: skip
    if baselines:
        for attr, name in (("crf", CRF_FILE), ("tfidf", TFIDF_FILE)):
            f = path / BASELINES_DIR / name
            if not f.is_file():
                raise RunError(f"{f} is missing; retrain the run (or pass --no-baselines)")
            setattr(run, attr, bl.load(f))
    return run


def check_labels(run: Run, ner_names: list[str], event_names: list[str]) -> None:
    """Refuse data whose label inventory differs from the one the run was trained on."""
    for what, have, want in (
        ("entity tags", [run.ner.config.id2label[i] for i in range(run.ner.config.num_labels)],
         ner_names),
        ("event types",
         [run.events.config.id2label[i] for i in range(run.events.config.num_labels)],
         event_names),
    ):  # fmt: skip
        if list(have) != list(want):
            extra, lack = sorted(set(want) - set(have)), sorted(set(have) - set(want))
            raise RunError(
                f"the data's {what} differ from run {run.name}'s (data only: {extra or 'none'}; "
                f"model only: {lack or 'none'}; or the order changed): retrain on this dataset"
            )
