"""The dataset stage: validated rows split by article into a Hugging Face DatasetDict (features
generated from the schema) and CoNLL files, with khabar_build.json saying how they were split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from khabar.dataset.conll import to_conll
from khabar.dataset.rows import build_rows
from khabar.dataset.splits import assign_splits, split_members
from khabar.io import read_json, write_atomic, write_json
from khabar.schema import Schema

BUILD_FILE = "khabar_build.json"  # how the dataset was split, and its content's fingerprint


def features(schema: Schema):
    """Hugging Face Features of a khabar dataset, generated from the schema."""
    from datasets import ClassLabel, Features, Sequence, Value

    span = {"id": Value("string"), "start": Value("int32"), "end": Value("int32"),
            "text": Value("string")}  # fmt: skip
    return Features({
        "id": Value("string"),
        "article_id": Value("string"),
        "sentence_index": Value("int32"),
        "text": Value("string"),
        "sentence_start": Value("int32"),
        "tokens": Sequence(Value("string")),
        "token_starts": Sequence(Value("int32")),
        "token_ends": Sequence(Value("int32")),
        "ner_tags": Sequence(ClassLabel(names=schema.bio_tags)),
        "entities": [span | {"label": ClassLabel(names=schema.entity_names)}],
        "triggers": [span | {"label": ClassLabel(names=schema.event_names)}],
        "event_types": Sequence(ClassLabel(names=schema.event_names)),
        "arguments": [{"trigger_id": Value("string"), "entity_id": Value("string"),
                       "role": ClassLabel(names=schema.role_names)}],
        "annotation_source": Value("string"),
        "decided_by": Value("string"),
        "task_id": Value("int64"),
    })  # fmt: skip


def build_dataset(export: Iterable[dict], schema: Schema, out_dir: Path, conll_dir: Path,
                  fractions=(0.6, 0.2, 0.2), seed: int = 13,
                  members: dict[int, str] | None = None, overlap: int | None = None,
                  manifest: dict[str, str] | None = None, snap_words: bool = False):  # fmt: skip
    """Write the DatasetDict (save_to_disk) and CoNLL files; return (DatasetDict, report).
    Articles keep their split in `manifest`; new ones are added to it (`report.manifest`)."""
    from datasets import Dataset, DatasetDict

    by_article, report = build_rows(export, schema, members, overlap, snap_words)
    report.manifest = assign_splits(manifest or {}, by_article, fractions, seed)
    splits = split_members(report.manifest, by_article)
    feats = features(schema)
    rows = {name: [r for a in ids for r in by_article[a]] for name, ids in splits.items()}
    # from_list cannot infer an empty table's columns; from_dict takes them from feats.
    dd = DatasetDict({
        name: Dataset.from_list(rs, features=feats) if rs
        else Dataset.from_dict({k: [] for k in feats}, features=feats)
        for name, rs in rows.items()
    })  # fmt: skip
    for name, split in dd.items():
        if not len(split):
            report.add(None, "empty split", f"{name} has no rows: {len(by_article)} articles "
                       "are too few for the split fractions")  # fmt: skip
    out_dir, conll_dir = Path(out_dir), Path(conll_dir)
    build = {"splits": splits, "seed": seed, "fractions": list(fractions),
             "rows": {k: len(v) for k, v in dd.items()},
             "fingerprint": fingerprint(rows, feats, schema)}  # fmt: skip
    # An unchanged dataset is not rewritten: its files keep their times, so make retrains nothing.
    report.unchanged = _built(out_dir) == build and (out_dir / "dataset_dict.json").is_file()
    if not report.unchanged:
        dd.save_to_disk(str(out_dir))
        for name, rs in rows.items():
            write_atomic(conll_dir / f"{name}.conll", [to_conll(rs)])
        write_json(out_dir / BUILD_FILE, build, indent=2)
    return dd, report


def fingerprint(rows: dict[str, list[dict]], feats, schema: Schema) -> str:
    """sha256 of a dataset's content: its rows per split, features and label inventory."""
    payload = json.dumps([rows, feats.to_dict(), schema.bio_tags], ensure_ascii=False,
                         sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _built(out_dir: Path) -> dict | None:
    try:
        return read_json(out_dir / BUILD_FILE)
    except (OSError, ValueError):
        return None


def pseudo_article_rows(sentences: list[tuple[list[str], list[str]]], per_article: int,
                        prefix: str, schema: Schema) -> list[dict]:  # fmt: skip
    """Dataset rows of NER-only sentences (words, BIO tags of the schema's types), grouped in
    file order into pseudo-articles of `per_article` consecutive sentences (words joined by
    spaces): what the benches use to run khabar's article-level machinery on a public corpus."""
    from khabar.spans import Token, bio_to_spans

    rows, at = [], 0
    for i, (words, tags) in enumerate(sentences):
        k = i % per_article
        at = 0 if k == 0 else at
        starts = [sum(len(w) + 1 for w in words[:j]) for j in range(len(words))]
        ends = [s + len(w) for s, w in zip(starts, words, strict=True)]
        spans = bio_to_spans([Token("", j, j + 1) for j in range(len(words))], tags)
        rows.append({
            "id": f"{prefix}{i // per_article:04d}-{k:03d}", "article_id":
            f"{prefix}{i // per_article:04d}", "sentence_index": k, "text": " ".join(words),
            "sentence_start": at, "tokens": words, "token_starts": starts, "token_ends": ends,
            "ner_tags": [schema.bio_tags.index(t) for t in tags],
            "entities": [{"id": f"e{i}_{n}", "start": starts[s.start], "end": ends[s.end - 1],
                          "text": " ".join(words[s.start : s.end]), "label": s.label}
                         for n, s in enumerate(spans)],
            "triggers": [], "event_types": [], "arguments": [], "annotation_source": prefix,
            "decided_by": "", "task_id": -1,
        })  # fmt: skip
        at += len(rows[-1]["text"]) + 1
    return rows
