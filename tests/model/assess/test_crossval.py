"""Cross-validation by article: folds of whole articles, figures with their spread, bootstrap
intervals, and a real (tiny) run over the gold dataset."""

from __future__ import annotations

import numpy as np
import pytest

from khabar.model.assess.crossval import article_folds, bootstrap, counts, f1, fold_splits


def test_folds_hold_whole_articles_and_test_each_once():
    ids = [f"a{i}" for i in range(7)] * 3  # one id per sentence
    folds = article_folds(ids, 3)
    assert sorted(a for f in folds for a in f) == sorted(set(ids))
    assert [len(f) for f in folds] == [3, 2, 2]
    for i in range(3):
        s = fold_splits(folds, i)
        assert s["test"] == folds[i] and s["validation"] == folds[(i + 1) % 3]
        assert not set(s["train"]) & (set(s["test"]) | set(s["validation"]))
    with pytest.raises(ValueError, match="between 2 and 7"):
        article_folds(ids, 8)


def test_micro_f1_and_its_bootstrap_interval():
    c = counts([({1, 2}, {1, 3}), ({4}, {4}), (set(), {5})])
    assert c.tolist() == [[1, 2, 2], [1, 1, 1], [0, 1, 0]]
    assert f1(c) == pytest.approx(2 * 2 / (4 + 3))
    lo, hi = bootstrap(c, 500)
    assert 0 <= lo <= f1(c) <= hi <= 1
    assert bootstrap(np.array([[1, 1, 1]] * 20, dtype=float)) == (1.0, 1.0)


def test_cross_validation_of_a_tiny_model_reports_every_figure(gold_dataset, tiny_run, schema,
                                                               tmp_path):  # fmt: skip
    from khabar.model.assess.crossval import cross_validate
    from khabar.model.assess.cv_report import write_cv
    from khabar.model.train.args import TrainArgs

    _, dd = gold_dataset
    args = TrainArgs(base_model=tiny_run.info["base_model"], epochs=2, max_length=64,
                     learning_rate=5e-3)  # fmt: skip
    result = cross_validate(dd, 5, args, schema, curve=False, log=lambda _: None)
    assert [len(r["test"]) for r in result["runs"]] == [1] * 5
    tested = sorted(a for r in result["runs"] for a in r["test"])
    assert tested == sorted(set(dd["train"]["article_id"]) | set(dd["validation"]["article_id"])
                            | set(dd["test"]["article_id"]))  # fmt: skip
    fig = result["figures"]
    assert fig["entities"]["model"]["gold"] == 297  # every gold mention tested exactly once
    assert fig["trigger classification"]["baseline"]["gold"] == 190
    assert fig["argument classification, gold spans"]["model"]["gold"] == 218
    # one row per entity type, whose mentions add up to the micro figure's
    types = [f"entities, {t}" for t in schema.entity_names]
    assert sum(fig[t]["model"]["gold"] for t in types) == 297 and fig["entities, DATE"]["model"]
    for row in fig.values():
        for system in ("model", "baseline"):
            lo, hi = row[system]["ci95"]
            assert lo <= row[system]["pooled"] <= hi and len(row[system]["folds"]) == 5
    text = write_cv(result, tmp_path).read_text(encoding="utf-8")
    assert "| trigger classification | 190 triggers |" in text and "±" in text
    assert "| entities, PER |" in text and result["transfer"] is None
    first = result["runs"][0]
    assert f"| 0 | 3 | {first['validation'][0]} | {first['test'][0]} |" in text
