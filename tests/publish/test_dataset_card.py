"""Publishing the dataset: the built Hub folder reloads equal, the card is generated from the
data and validates, and the upload receives exactly that folder (only the HfApi calls are
replaced)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData, HfApi

from datasets import DatasetDict, load_dataset
from khabar.publish import dataset_card as card_module
from khabar.publish.dataset_card import check_publishable, publish_dataset
from khabar.publish.hub import PublishError, load_card_settings
from tests.conftest import ROOT, SETTINGS


@pytest.fixture
def export_file(tmp_path):
    from khabar.annotations.gold import read_gold

    gold = read_gold(ROOT / "annotation" / "gold")
    export = [{**item, "id": i + 1, "annotations": [{**a, "completed_by": 7} for a in
                                                     item["annotations"]]}
              for i, item in enumerate(gold)]  # fmt: skip
    path = tmp_path / "export" / "export.json"
    path.parent.mkdir()
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    (path.parent / "problems.jsonl").write_text("", encoding="utf-8")
    return path


@pytest.fixture
def built(gold_dataset, seed_articles, export_file, tmp_path):
    ds_dir, dd = gold_dataset
    folder, url = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "hub")
    return folder, url, dd


def test_folder_reloads_equal_to_the_export(built):
    folder, url, dd = built
    assert url is None  # no token: built, not sent
    assert sorted(p.name for p in (folder / "data").iterdir()) == [
        "test-00000-of-00001.parquet", "train-00000-of-00001.parquet",
        "validation-00000-of-00001.parquet"]  # fmt: skip
    back = load_dataset(
        str(folder), cache_dir=str(folder.parent / "hf-cache")
    )  # not ~/.cache: paths recur
    assert set(back) == set(dd)
    for split in dd:
        assert back[split].features == dd[split].features
        assert back[split].to_list() == dd[split].to_list()


def _table_rows(text: str, heading: str) -> dict[str, list[str]]:
    lines = text.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = [line for line in lines[start:] if line.startswith("|") or not line][:]
    table = table[: table.index("")] if "" in table else table
    rows = [r.strip("|").split("|") for r in table[2:]]
    return {r[0].strip().strip("`"): [c.strip() for c in r[1:]] for r in rows}


def test_card_is_valid_and_every_number_comes_from_the_data(built, seed_articles):
    folder, _, dd = built
    card = DatasetCard.load(folder / "README.md")
    meta = card.data.to_dict()
    DatasetCardData(**meta)  # validates
    for key in card_module.REQUIRED_METADATA:
        assert meta.get(key), key
    assert meta["language"] == ["hi"] and meta["license"] == "other"
    assert "named-entity-recognition" in meta["task_ids"]
    assert meta["size_categories"] == ["n<1K"]
    splits = {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]}
    assert splits == {k: len(v) for k, v in dd.items()}
    text = card.text
    # Counts per label per split, recomputed here independently of the card builder.
    for column, heading in (("entities", "### Entity types"), ("triggers", "### Event types")):
        rows = _table_rows(text, heading)
        for split_i, split in enumerate(["train", "validation", "test"]):
            names = dd[split].features[column].feature["label"].names
            got = Counter(names[e["label"]] for row in dd[split][column] for e in row)
            for label in names:
                assert int(rows[label][1 + split_i]) == got[label], (label, split)
        assert sum(int(r[-1]) for r in rows.values()) == sum(
            len(row) for s in dd.values() for row in s[column]
        )
    rows = _table_rows(text, "## Splits")
    for split, ds in dd.items():
        assert rows[split][:3] == [str(len(set(ds["article_id"]))), str(len(ds)),
                                   str(sum(len(t) for t in ds["tokens"]))]  # fmt: skip
    total = sum(len(ds) for ds in dd.values())
    tokens = sum(len(t) for ds in dd.values() for t in ds["tokens"])
    articles = len({a for ds in dd.values() for a in ds["article_id"]})
    n_events = len(dd["train"].features["event_types"].feature.names)
    summary = f"{total} sentences ({tokens} tokens) from {articles} articles"
    assert summary in text and f"typed by {n_events} event types" in text
    assert "annotators: 1 " in text  # one distinct completed_by in the export
    assert "furthest below its target fraction ([0.6, 0.2, 0.2])" in text
    dates = sorted(a.date for a in seed_articles if a.date)
    assert f"{dates[0]} to {dates[-1]}" in text
    per = next(e["text"] for row in dd["train"]["entities"] for e in row if e["label"] == 0)
    assert f"`PER` | {per} |" in text  # a Hindi example per label: its first mention


def test_upload_sends_the_built_folder_privately(gold_dataset, seed_articles, export_file,
                                                 tmp_path, monkeypatch):  # fmt: skip
    calls = []
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: calls.append(
        ("create_repo", repo_id, kw)))  # fmt: skip
    monkeypatch.setattr(HfApi, "upload_folder", lambda self, **kw: calls.append(
        ("upload_folder", kw)))  # fmt: skip
    ds_dir, _ = gold_dataset
    folder, url = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "hub",
                                  repo_id="someone/khabar", token="hf_x")  # fmt: skip
    assert url == "https://huggingface.co/datasets/someone/khabar"
    (create, repo_id, kw), (upload, up) = calls
    assert (create, repo_id) == ("create_repo", "someone/khabar")
    assert kw["repo_type"] == "dataset" and kw["private"] is True
    assert up["folder_path"] == str(folder) and up["repo_id"] == "someone/khabar"
    assert up["repo_type"] == "dataset"
    assert (Path(up["folder_path"]) / "README.md").is_file()


def test_refusals(gold_dataset, seed_articles, export_file, tmp_path):
    ds_dir, dd = gold_dataset
    hub = tmp_path / "hub"
    no_licence = tmp_path / "card.yaml"
    raw = yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))
    no_licence.write_text(yaml.safe_dump({**raw, "license": ""}), encoding="utf-8")
    with pytest.raises(PublishError, match="set license"):
        publish_dataset(ds_dir, seed_articles, export_file, no_licence, hub)
    problems = export_file.parent / "problems.jsonl"
    problems.write_text('{"task_id": 1, "reason": "text mismatch"}\n', encoding="utf-8")
    with pytest.raises(PublishError, match=r"1 unresolved data errors .*\(text mismatch 1\)"):
        publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, hub)
    problems.write_text("", encoding="utf-8")
    with pytest.raises(PublishError, match="split 'test' is empty"):
        check_publishable(DatasetDict({**dd, "test": dd["test"].select([])}), None)
    empty = tmp_path / "empty-split"
    DatasetDict({**dd, "test": dd["test"].select([])}).save_to_disk(str(empty))
    with pytest.raises(PublishError, match="is a split empty"):
        publish_dataset(empty, seed_articles, export_file, SETTINGS, hub)
    assert not hub.exists()  # nothing half-built
    # The header the card gets has every field the Hub lists a dataset by; one without is refused.
    meta = card_module.card_metadata(dd, load_card_settings(SETTINGS))
    card_module.check_metadata(meta)
    assert set(card_module.REQUIRED_METADATA) <= set(meta)
    with pytest.raises(PublishError, match="card metadata lacks task_ids"):
        card_module.check_metadata({k: v for k, v in meta.items() if k != "task_ids"})


def test_agreement_figures_and_decisions_go_into_the_card(gold_dataset, seed_articles,
                                                           export_file, tmp_path):  # fmt: skip
    ds_dir, _ = gold_dataset
    card_of = lambda folder: (folder / "README.md").read_text("utf-8")  # noqa: E731
    folder, _ = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "h1",
                                agreement_file=tmp_path / "none.json")  # fmt: skip
    assert "not measured (`make agreement` measures it)" in card_of(folder)
    assert "decided by (articles): ground_truth 5" in card_of(folder)
    result = {"pairs": [{}], "tasks_compared": 4, "annotators": ["a", "b", "c"], "overall": {
        "entity_strict": 0.5714, "entity_overlap": 0.7619, "trigger": 0.5, "argument": 0.6667,
        "mean_kappa_entity": 0.6873, "alpha_entity": 0.7117, "mean_kappa_trigger": 0.6471,
        "alpha_trigger": None}}  # fmt: skip
    (tmp_path / "agreement.json").write_text(json.dumps(result), "utf-8")
    folder, _ = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "h2",
                                agreement_file=tmp_path / "agreement.json")  # fmt: skip
    card = card_of(folder)
    assert (
        "(4 tasks labelled by two or more of 3 annotators, all pairs pooled): entity span F1 "
        "0.571 strict, 0.762 overlap; trigger F1 with event type 0.500; argument-link F1 "
        "0.667; on tokens, Cohen's kappa 0.687 (mean of pairs) and Krippendorff's alpha "
        "0.712 for entities, 0.647 and – for triggers"
    ) in card


def test_unlabelled_tasks_do_not_block_publishing_and_the_card_says_how_many(
    gold_dataset, seed_articles, export_file, tmp_path
):
    ds_dir, _ = gold_dataset
    problems = export_file.parent / "problems.jsonl"
    problems.write_text(
        '{"task_id": 6, "reason": "no annotations"}\n'
        '{"task_id": 2, "reason": "dropped by majority vote", "detail": "x"}\n', encoding="utf-8"
    )  # fmt: skip
    folder, _ = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "hub")
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "state of the work: 1 of 5 articles not labelled yet" in card
    assert "dropped by majority vote: 1" in card
    assert "annotation/splits.tsv" in card


def test_the_card_says_how_many_suspects_were_found_and_reviewed(
    gold_dataset, seed_articles, export_file, tmp_path
):
    ds_dir, _ = gold_dataset
    card_of = lambda folder: (folder / "README.md").read_text("utf-8")  # noqa: E731
    folder, _ = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "h1",
                                review_file=tmp_path / "none.json")  # fmt: skip
    assert "suspected annotation errors: not searched" in card_of(folder)
    export = json.loads(export_file.read_text("utf-8"))
    review = {"model_version": "khabar-review", "created_at": "2026-12-01T10:00:00.000000Z"}
    export[0]["predictions"] = [review]  # marked, then annotated again after it: reviewed
    export[0]["annotations"][0]["updated_at"] = "2026-12-02T09:00:00.000000Z"
    export[1]["predictions"] = [review]  # marked, its annotation older: not reviewed yet
    export[1]["annotations"][0]["updated_at"] = "2026-11-30T09:00:00.000000Z"
    export_file.write_text(json.dumps(export, ensure_ascii=False), "utf-8")
    (tmp_path / "review.json").write_text(json.dumps({"suspects": 41, "sentences": 116}))
    folder, _ = publish_dataset(ds_dir, seed_articles, export_file, SETTINGS, tmp_path / "h2",
                                review_file=tmp_path / "review.json")  # fmt: skip
    assert ("suspected annotation errors: 41 found by `khabar review-errors`" in card_of(folder)
            and "in 116 sentences; 2 tasks marked for review in Label Studio, 1 of them "
            "reviewed since" in card_of(folder))  # fmt: skip
