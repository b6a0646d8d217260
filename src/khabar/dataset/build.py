"""The dataset stage: validated rows split by article into a Hugging Face DatasetDict (features
generated from the schema) and CoNLL files, with khabar_build.json saying how they were split."""

from __future__ import annotations

from pathlib import Path

from khabar.dataset.conll import to_conll
from khabar.dataset.rows import build_rows
from khabar.dataset.splits import split_articles
from khabar.io import write_atomic, write_json
from khabar.schema import Schema


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


def build_dataset(export: list[dict], schema: Schema, out_dir: Path, conll_dir: Path,
                  fractions=(0.6, 0.2, 0.2), seed: int = 13,
                  members: dict[int, str] | None = None, overlap: int | None = None):  # fmt: skip
    """Write the DatasetDict (save_to_disk) and CoNLL files; return (DatasetDict, report)."""
    from datasets import Dataset, DatasetDict

    by_article, report = build_rows(export, schema, members, overlap)
    splits = split_articles(list(by_article), fractions, seed)
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
    dd.save_to_disk(str(out_dir))
    for name, rs in rows.items():
        write_atomic(conll_dir / f"{name}.conll", [to_conll(rs)])
    write_json(out_dir / "khabar_build.json", {
        "splits": splits, "seed": seed, "fractions": list(fractions),
        "rows": {k: len(v) for k, v in dd.items()},
    }, indent=2)  # fmt: skip
    return dd, report
