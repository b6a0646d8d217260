"""User mistakes with the model commands end in one clear line and exit 1, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def khabar_fails(*args) -> str:
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: ")
    return proc.stderr


@pytest.fixture(scope="module")
def other_labels_dataset(tmp_path_factory, schema):
    """The gold dataset built with one more entity type than the run was trained on."""
    import yaml

    from khabar.annotations.gold import read_gold
    from khabar.dataset.build import build_dataset
    from khabar.schema import load_schema

    tmp = tmp_path_factory.mktemp("other-labels")
    raw = yaml.safe_load((ROOT / "annotation" / "schema.yaml").read_text(encoding="utf-8"))
    raw["entities"].append({**raw["entities"][0], "name": "WEAPON", "hotkey": "9"})
    (tmp / "schema.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    other = load_schema(tmp / "schema.yaml")
    export = [dict(item, id=i + 1) for i, item in enumerate(read_gold(ROOT / "annotation/gold"))]
    build_dataset(export, other, tmp / "dataset", tmp / "conll")
    return tmp / "dataset"


def test_model_commands_explain_user_mistakes(tmp_path, tiny_run, gold_dataset,
                                              other_labels_dataset, seed_articles):  # fmt: skip
    from khabar.corpus.article import write_articles

    ds, _ = gold_dataset
    cleaned = tmp_path / "articles.jsonl"
    write_articles(seed_articles, cleaned)
    assert "is not a khabar dataset" in khabar_fails("train", "--dataset", tmp_path / "none")
    err = khabar_fails("train", "--dataset", ds, "--extra-train", tmp_path / "x.conll")
    assert "no such file" in err
    err = khabar_fails("train", "--dataset", ds, "--out", tmp_path / "r", "--tag-map", "PERSON")
    assert "SOURCE=TARGET" in err
    err = khabar_fails("train", "--dataset", ds, "--out", tmp_path / "r",
                       "--base-model", tmp_path / "no-such-model")  # fmt: skip
    assert "cannot load tokenizer" in err
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run.path, broken)
    (broken / "ner" / "config.json").unlink()
    err = khabar_fails("evaluate", "--run", broken, "--dataset", ds)
    assert "ner is incomplete, missing: config.json" in err
    err = khabar_fails("evaluate", "--dataset", ds, "--folds", 9, "--cv-out", tmp_path / "cv")
    assert "9 folds need between 2 and 5 (the number of articles)" in err
    err = khabar_fails("evaluate", "--run", tiny_run.path, "--dataset", other_labels_dataset)
    assert "entity tags differ from run tiny's (data only: ['B-WEAPON', 'I-WEAPON']" in err
    err = khabar_fails("predict", "--run", tmp_path / "nope", "--articles", cleaned,
                       "--out", tmp_path / "p.jsonl")  # fmt: skip
    assert "run.json not found" in err
    assert "not found" in khabar_fails("push-predictions", "--predictions", tmp_path / "p.jsonl")
