"""`khabar review-errors` end to end on the gold dataset with a tiny base (seconds a fold)."""

import json
import os

from tests.conftest import run_khabar


def test_review_errors_ranks_suspects_judged_out_of_fold(gold_dataset, tiny_run, tmp_path):
    path, dd = gold_dataset
    out = tmp_path / "review"
    text = run_khabar("review-errors", "--dataset", path, "--out", out, "--folds", 3,
                      "--epochs", 2, "--base-model", tiny_run.info["base_model"], "--show", 3,
                      env=dict(os.environ))  # fmt: skip
    suspects = [json.loads(line) for line in (out / "suspects.jsonl").read_text().splitlines()]
    review = json.loads((out / "review.json").read_text())
    assert review["sentences"] == sum(len(dd[s]) for s in dd) and review["suspects"] == len(
        suspects
    )
    assert suspects and [s["rank"] for s in suspects] == list(range(1, len(suspects) + 1))
    assert [s["score"] for s in suspects] == sorted((s["score"] for s in suspects), reverse=True)
    for run in review["cv_runs"]:  # no sentence judged by a model that trained on its article
        assert not set(run["test"]) & set(run["train"] + run["validation"])
    rows = {r["id"]: r for s in dd for r in dd[s]}
    for s in suspects:  # every span's offsets point at its text in the task (article) text
        row = rows[s["row_id"]]
        for where in (s["annotation"], s["model"]) if s["layer"] != "argument" else ():
            if where:
                a = where["start"] - row["sentence_start"]
                assert row["text"][a : a + len(where["text"])] == where["text"]
    assert "suspects: " in text and "-> " in text and " 1. " in text
