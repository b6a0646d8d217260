"""Transfer from public NER corpora: the base folder a run starts from (`model.transfer_base`
builds it), carrying its classifier rows into a run, and measuring what a run kept of it.

A transfer base `models/base/transfer-<names>/` is an ordinary token-classification folder
(`from_pretrained` loads it) with `PROVENANCE.json` (sources with the sha256 of what was read,
sentence counts, tag maps, tags mapped to O, licences, held-out F1 per corpus) and `transfer/`:
per corpus its held-out part (never trained on, what forgetting is measured on), its tuning part
(held out from training to pick the epoch here and settings later) and a rehearsal pool of
training sentences, so `khabar train --transfer` needs neither the network nor ../shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from khabar.dataset.corpora import Sentence, mentions
from khabar.io import read_json, read_jsonl

PROVENANCE = "PROVENANCE.json"
DATA_DIR = "transfer"
KIND = "khabar transfer base"
PARTS = ("held_out", "tune", "rehearsal")


def restrict(tags: list[str], types: set[str]) -> list[str]:
    """Tags of types outside `types` as O: a corpus without DATE cannot score a DATE guess."""
    return [t if t == "O" or t[2:] in types else "O" for t in tags]


def score_tagger(model, tokenizer, sentences: list[Sentence], types: list[str],
                 max_length: int = 128) -> dict:  # fmt: skip
    """Strict micro-F1 overall and per type on a corpus part, over its own types only."""
    from khabar.model.infer.run import tag_words
    from khabar.model.measure.evaluation import entity_scores

    keep = set(types)
    pred = tag_words(model, tokenizer, [w for w, _ in sentences], max_length, 64)
    scores = entity_scores([t for _, t in sentences],
                           [restrict([t for t, _ in row], keep) for row in pred])  # fmt: skip
    return {"f1": scores["overall"]["f1"], "precision": scores["overall"]["precision"],
            "recall": scores["overall"]["recall"], "sentences": len(sentences),
            "mentions": sum(mentions(sentences).values()),
            "per_type": {t: round(v["f1"], 4) for t, v in scores["per_type"].items()}}  # fmt: skip


@dataclass
class TransferBase:
    """A transfer base folder as a run uses it."""

    path: Path
    provenance: dict

    @property
    def trained(self) -> bool:
        """Whether it holds a tagger trained on the corpora; not: a quick recipe's pool, which
        a run mixes into its own epochs, trained from its own base."""
        return self.provenance.get("trained", True)

    @property
    def unavailable(self) -> str:
        """Why the corpora could not be read when the folder was made ('' when they were)."""
        return self.provenance.get("unavailable", "")

    @property
    def corpora(self) -> list[dict]:
        """The corpora it was trained on, as PROVENANCE.json records them."""
        return self.provenance["corpora"]

    @property
    def labels(self) -> list[str]:
        """Its tagger's BIO tags."""
        return self.provenance["labels"]

    def part(self, name: str, part: str) -> list[Sentence]:
        """A stored part of one corpus: held_out, tune or rehearsal."""
        rows = read_jsonl(self.path / DATA_DIR / f"{name}.{part}.jsonl")
        return [(r["words"], r["tags"]) for r in rows]


def is_transfer_base(folder: str | Path) -> bool:
    """Whether a folder is a transfer base (its PROVENANCE.json says so)."""
    prov = Path(folder) / PROVENANCE
    try:
        return prov.is_file() and read_json(prov).get("kind") == KIND
    except (OSError, ValueError):
        return False


def load_base(folder: str | Path) -> TransferBase:
    """A transfer base folder, refused in one line when it is not one or lacks its parts."""
    from khabar.model.infer.run import RunError

    folder = Path(folder)
    if not is_transfer_base(folder):
        raise RunError(f"{folder} is not a transfer base (no {PROVENANCE} of kind {KIND!r}): "
                       "make it with `make transfer-base TRANSFER=\"hiner\"`")  # fmt: skip
    base = TransferBase(folder, read_json(folder / PROVENANCE))
    if base.unavailable:
        return base
    missing = [f"{c['name']}.{p}.jsonl" for c in base.corpora for p in PARTS
               if not (folder / DATA_DIR / f"{c['name']}.{p}.jsonl").is_file()]  # fmt: skip
    if missing:
        raise RunError(f"{folder / DATA_DIR} lacks {', '.join(missing)}: make the base again")
    return base


def carry_rows(tagger, base: TransferBase) -> list[str]:
    """Copy the base classifier's rows into the tagger's for the tags both have; the schema's
    other tags (DATE, EVENT) keep their fresh initialisation. Returns the tags carried."""
    import torch
    from safetensors.torch import load_file

    state = load_file(str(base.path / "model.safetensors"))
    weight, bias = state["classifier.weight"], state["classifier.bias"]
    have = {t: i for i, t in enumerate(base.labels)}
    carried = []
    with torch.no_grad():
        for i in range(tagger.config.num_labels):
            tag = tagger.config.id2label[i]
            if tag in have:
                tagger.classifier.weight[i] = weight[have[tag]]
                tagger.classifier.bias[i] = bias[have[tag]]
                carried.append(tag)
    return carried


def transfer_scores(tagger, tokenizer, base: TransferBase, part: str = "held_out",
                    max_length: int = 128) -> dict:  # fmt: skip
    """F1 of a run's tagger on each corpus' stored part, beside the base's own held-out F1."""
    out = {}
    for c in base.corpora:
        got = score_tagger(tagger, tokenizer, base.part(c["name"], part), c["types"], max_length)
        base_f1 = (c["held_out_f1"] or {}).get("f1") if part == "held_out" else None
        out[c["name"]] = {**got, "base_f1": base_f1}
    return out
