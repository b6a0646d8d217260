"""The DatasetDict on disk and the CoNLL files beside it."""

from __future__ import annotations

from datasets import load_from_disk
from khabar.dataset.build import build_dataset
from khabar.dataset.conll import to_conll
from tests.conftest import TEXT, span, task


def test_dataset_on_disk_and_conll(schema, tmp_path):
    modi = TEXT.index("मोदी")
    export = [task(i, [span("m", modi, modi + 4, "PER")], article=f"a{i}") for i in range(5)]
    dd, _ = build_dataset(export, schema, tmp_path / "ds", tmp_path / "conll")
    loaded = load_from_disk(str(tmp_path / "ds"))
    assert set(loaded) == {"train", "validation", "test"}
    feats = loaded["train"].features
    assert feats["ner_tags"].feature.names == schema.bio_tags
    assert feats["event_types"].feature.names == schema.event_names
    arts = [set(loaded[k]["article_id"]) for k in loaded]
    assert not (arts[0] & arts[1] or arts[0] & arts[2] or arts[1] & arts[2])
    conll = (tmp_path / "conll" / "train.conll").read_text(encoding="utf-8")
    assert "मोदी\tB-PER" in conll
    row = loaded["train"][0]
    assert (
        to_conll(
            [{**row, "ner_tags": [feats["ner_tags"].feature.int2str(t) for t in row["ner_tags"]]}]
        ).count("\n")
        > 3
    )


def test_an_unchanged_dataset_is_not_rewritten_and_a_change_is(schema, tmp_path):
    modi = TEXT.index("मोदी")
    export = [task(i, [span("m", modi, modi + 4, "PER")], article=f"a{i}") for i in range(5)]
    ds, conll = tmp_path / "ds", tmp_path / "conll"
    _, first = build_dataset(export, schema, ds, conll)
    files = sorted(p for p in [*ds.rglob("*"), *conll.rglob("*")] if p.is_file())
    times = [p.stat().st_mtime_ns for p in files]
    # A new task nobody has labelled yet: no rows change, so nothing is written.
    unlabelled = task(9, [], article="a9")
    unlabelled["annotations"] = []
    _, again = build_dataset([*export, unlabelled], schema, ds, conll, manifest=first.manifest)
    assert not first.unchanged and again.unchanged
    assert [p.stat().st_mtime_ns for p in files] == times
    export[0]["annotations"][0]["result"] = []  # a changed annotation is rebuilt
    _, changed = build_dataset(export, schema, ds, conll, manifest=first.manifest)
    assert not changed.unchanged
    assert (ds / "dataset_dict.json").stat().st_mtime_ns > times[
        files.index(ds / "dataset_dict.json")
    ]


def test_pseudo_articles_of_ner_sentences_keep_offsets_and_tags(schema):
    from khabar.dataset.build import pseudo_article_rows

    sents = [(["मोदी", "ने", "पुतिन", "से", "बात", "की"], ["B-PER", "O", "B-PER", "O", "O", "O"]),
             (["नई", "दिल्ली", "में"], ["B-LOC", "I-LOC", "O"]),
             (["भाजपा", "जीती"], ["B-ORG", "O"])]  # fmt: skip
    rows = pseudo_article_rows(sents, 2, "x-", schema)
    assert [(r["article_id"], r["sentence_index"]) for r in rows] == [
        ("x-0000", 0),
        ("x-0000", 1),
        ("x-0001", 0),
    ]
    assert rows[1]["sentence_start"] == len(rows[0]["text"]) + 1 and rows[2]["sentence_start"] == 0
    (loc,) = rows[1]["entities"]
    assert rows[1]["text"][loc["start"] : loc["end"]] == "नई दिल्ली" == loc["text"]
    assert [schema.bio_tags[t] for t in rows[0]["ner_tags"]] == sents[0][1]


def test_the_streamed_build_keeps_the_rows_and_the_fingerprint_of_the_whole_one(schema, tmp_path):
    """Rows go through a spool file, one article at a time: the dataset, the CoNLL text and the
    fingerprint are what holding every row gave (so no earlier dataset is taken for changed)."""
    import hashlib
    import json

    from khabar.dataset.build import features
    from khabar.dataset.rows import build_rows
    from khabar.io import read_json

    modi = TEXT.index("मोदी")
    export = [task(i, [span("m", modi, modi + 4, "PER")], article=f"a{i}") for i in range(7)]
    dd, report = build_dataset(iter(export), schema, tmp_path / "ds", tmp_path / "conll")
    build = read_json(tmp_path / "ds" / "khabar_build.json")
    by_article, _ = build_rows(export, schema)
    rows = {name: [r for a in ids for r in by_article[a]] for name, ids in build["splits"].items()}
    whole = json.dumps([rows, features(schema).to_dict(), schema.bio_tags], ensure_ascii=False,
                       sort_keys=True, default=str)  # fmt: skip
    assert build["fingerprint"] == hashlib.sha256(whole.encode("utf-8")).hexdigest()
    assert (
        build["rows"] == {k: len(v) for k, v in rows.items()} == {k: len(v) for k, v in dd.items()}
    )
    assert dd["train"]["id"] == [r["id"] for r in rows["train"]]
    assert (tmp_path / "conll" / "test.conll").read_text(encoding="utf-8") == to_conll(rows["test"])
    assert report.tasks == report.tasks_used == 7


def test_a_split_left_empty_is_built_and_built_again(schema, tmp_path):
    """One article: validation and test have no rows (datasets saves them as no shard at all)."""
    modi = TEXT.index("मोदी")
    export = [task(1, [span("m", modi, modi + 4, "PER")], article="only")]
    for _ in range(2):  # the second build finds it unchanged
        dd, report = build_dataset(export, schema, tmp_path / "ds", tmp_path / "conll")
        assert len(dd["train"]) > 0 and len(dd["validation"]) == len(dd["test"]) == 0
    assert report.unchanged and sum(p.reason == "empty split" for p in report.problems) == 2


def test_saved_digest_is_the_rows_not_the_folder_or_the_temporary_file(schema, tmp_path):
    from khabar.dataset.build import saved_digest

    modi = TEXT.index("मोदी")
    export = [task(i, [span("m", modi, modi + 4, "PER")], article=f"a{i}") for i in range(5)]
    build_dataset(export, schema, tmp_path / "one", tmp_path / "c1")
    build_dataset(export, schema, tmp_path / "two", tmp_path / "c2")
    assert saved_digest(tmp_path / "one") == saved_digest(tmp_path / "two")
    export[0]["annotations"][0]["result"] = []
    build_dataset(export, schema, tmp_path / "three", tmp_path / "c3")
    assert saved_digest(tmp_path / "three") != saved_digest(tmp_path / "one")
