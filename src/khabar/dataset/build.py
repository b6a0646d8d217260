"""The dataset stage: validated rows split by article into a Hugging Face DatasetDict (features
generated from the schema) and CoNLL files, with khabar_build.json saying how they were split."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from khabar.dataset.conll import to_conll
from khabar.dataset.rows import BuildReport, article_rows
from khabar.dataset.splits import assign_splits, split_members
from khabar.io import file_sha256, read_json, write_atomic, write_json
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
    Articles keep their split in `manifest`; new ones are added to it (`report.manifest`).

    Bounded memory: each task's rows go to a spool file as the export streams in, and each
    split is written from there article by article (Arrow, CoNLL, the fingerprint), so no more
    than one article's rows are held, whatever the corpus."""
    from datasets.arrow_writer import ArrowWriter

    from datasets import Dataset, DatasetDict

    report = BuildReport(tasks=0, snap_words=snap_words)
    feats = features(schema)
    out_dir, conll_dir = Path(out_dir), Path(conll_dir)
    with tempfile.TemporaryDirectory(prefix="khabar-build-") as tmp, \
            Spool(Path(tmp) / "rows.jsonl") as spool:  # fmt: skip
        for aid, rows in article_rows(export, schema, report, members, overlap):
            spool.add(aid, rows)
        report.manifest = assign_splits(manifest or {}, spool.offsets, fractions, seed)
        splits = split_members(report.manifest, spool.offsets)
        counts, digest = _fingerprint(spool, splits, feats, schema)
        for name, n in counts.items():
            if not n:
                report.add(None, "empty split", f"{name} has no rows: {len(spool.offsets)} "
                           "articles are too few for the split fractions")  # fmt: skip
        build = {"splits": splits, "seed": seed, "fractions": list(fractions), "rows": counts,
                 "fingerprint": digest}  # fmt: skip
        # An unchanged dataset is not rewritten: its files keep their times, so make retrains
        # nothing.
        report.unchanged = _built(out_dir) == build and (out_dir / "dataset_dict.json").is_file()
        if report.unchanged:
            return _load(out_dir, counts, feats), report
        dd = DatasetDict()
        for name, ids in splits.items():
            arrow = Path(tmp) / f"{name}.arrow"
            with ArrowWriter(features=feats, path=str(arrow)) as writer:

                def conll(writer=writer, ids=ids):  # one read of the spool feeds both files
                    for row in spool.rows(ids):
                        writer.write(feats.encode_example(row))
                        yield to_conll([row])

                write_atomic(conll_dir / f"{name}.conll", conll())
                writer.finalize()
            dd[name] = Dataset.from_file(str(arrow)) if counts[name] else _empty(feats)
        dd.save_to_disk(str(out_dir))
        write_json(out_dir / BUILD_FILE, build, indent=2)
    return _load(out_dir, counts, feats), report


def saved_digest(out_dir: Path) -> str:
    """sha256 of a saved dataset's files by content, to tell two builds apart: state.json's
    `_fingerprint` is left out (datasets derives it from the temporary Arrow file's path, not
    from the rows), and so are the cache files training leaves beside the splits."""
    h = hashlib.sha256()
    for p in sorted(Path(out_dir).rglob("*")):
        if not p.is_file() or p.name.startswith("cache-"):
            continue
        if p.name == "state.json":
            state = {k: v for k, v in read_json(p).items() if k != "_fingerprint"}
            part = hashlib.sha256(_dumps(state).encode("utf-8")).hexdigest()
        else:
            part = file_sha256(p)
        h.update(str(p.relative_to(out_dir)).encode("utf-8") + b"\0")
        h.update(bytes.fromhex(part))
    return h.hexdigest()


def _load(out_dir: Path, counts: dict[str, int], feats):
    """The DatasetDict written to `out_dir`, memory-mapped; an empty split (which datasets saves
    as no shard at all, and cannot load back) is made empty here."""
    from datasets import Dataset, DatasetDict

    return DatasetDict({
        name: Dataset.load_from_disk(str(out_dir / name)) if n else _empty(feats)
        for name, n in counts.items()
    })  # fmt: skip


def _empty(feats):
    """A split with no rows and the dataset's features."""
    from datasets import Dataset

    return Dataset.from_dict({k: [] for k in feats}, features=feats)


class Spool:
    """Each article's rows as one JSON line of a temporary file, found again by offset."""

    def __init__(self, path: Path) -> None:
        self.fh = Path(path).open("w+b")
        self.offsets: dict[str, int] = {}  # article -> where its rows start (the last wins)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()

    def add(self, article_id: str, rows: list[dict]) -> None:
        """Append an article's rows."""
        self.fh.seek(0, 2)
        self.offsets[article_id] = self.fh.tell()
        self.fh.write(json.dumps(rows, ensure_ascii=False, default=str).encode("utf-8") + b"\n")

    def rows(self, article_ids: Iterable[str]) -> Iterator[dict]:
        """The rows of these articles, in this order, one article read at a time."""
        for aid in article_ids:
            self.fh.seek(self.offsets[aid])
            yield from json.loads(self.fh.readline())


def _fingerprint(spool: Spool, splits: dict[str, list[str]], feats, schema: Schema):
    """Rows per split, and `fingerprint` of the rows as `spool` holds them, streamed."""
    h, counts = hashlib.sha256(), {}

    def put(text: str) -> None:
        h.update(text.encode("utf-8"))

    # The pieces of json.dumps([rows per split, features, tags], sort_keys=True) in its order and
    # separators: the value the build gave when it held every row, so no dataset built then is
    # taken for changed (and retrained) now.
    put("[{")
    for i, name in enumerate(sorted(splits)):
        put((", " if i else "") + json.dumps(name) + ": [")
        counts[name] = 0
        for row in spool.rows(splits[name]):
            put((", " if counts[name] else "") + _dumps(row))
            counts[name] += 1
        put("]")
    put("}, " + _dumps(feats.to_dict()) + ", " + _dumps(schema.bio_tags) + "]")
    return {name: counts[name] for name in splits}, h.hexdigest()


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


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
