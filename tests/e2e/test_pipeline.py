"""End-to-end smoke test: the seed corpus through every stage's CLI, against a real server."""

from __future__ import annotations

import json
import os
import uuid

from datasets import load_from_disk
from khabar.corpus.article import read_articles
from khabar.studio.client import Client
from tests.conftest import ROOT, run_khabar

khabar = run_khabar


def test_seed_corpus_end_to_end(label_studio, tmp_path, schema, tiny_base):
    url, token = label_studio
    env = dict(
        os.environ,
        LABEL_STUDIO_URL=url,
        LABEL_STUDIO_API_KEY=token,
        KHABAR_PROJECT=f"e2e-{uuid.uuid4().hex[:6]}",
    )
    cleaned, tasks = tmp_path / "articles.jsonl", tmp_path / "tasks.json"
    export, ds, conll = tmp_path / "export.json", tmp_path / "ds", tmp_path / "conll"
    khabar("ingest", ROOT / "datasets" / "raw", "--out", cleaned, env=env)
    khabar("tasks", "--articles", cleaned, "--out", tasks, env=env)
    khabar("push", "--tasks", tasks, env=env)
    assert "0 tasks imported, 5 already there" in khabar("push", "--tasks", tasks, env=env)
    out = khabar("load-annotations", "--gold", tmp_path / "no-gold", "--tasks", tasks, env=env)
    assert "STAND-IN" in out
    out = khabar("export", "--out", export, "--dataset", ds, "--conll", conll,
                 "--splits", tmp_path / "splits.tsv", env=env)  # fmt: skip
    assert "5/5 tasks used" in out

    dd = load_from_disk(str(ds))
    assert set(dd) == {"train", "validation", "test"}
    assert all(len(split) > 0 for split in dd.values())
    articles = {a.id: a for a in read_articles(cleaned)}
    seen_articles = set()
    n_spans = 0
    for split in dd.values():
        names = split.features["entities"].feature["label"].names
        for row in split:
            art = articles[row["article_id"]]
            seen_articles.add(art.id)
            s = row["sentence_start"]
            assert art.text[s : s + len(row["text"])] == row["text"]
            for t, ts, te in zip(
                row["tokens"], row["token_starts"], row["token_ends"], strict=True
            ):
                assert row["text"][ts:te] == t
            for span in row["entities"] + row["triggers"]:
                assert art.text[s + span["start"] : s + span["end"]] == span["text"]
                n_spans += 1
            assert all(names[e["label"]] in schema.entity_names for e in row["entities"])
    assert seen_articles == set(articles)
    assert n_spans > 300
    # Every region Label Studio holds is in the dataset: nothing silently lost.
    held = sum(len(a["result"]) for t in json.loads(export.read_text()) for a in t["annotations"])
    assert n_spans == held
    for name in ("train", "validation", "test"):
        assert (conll / f"{name}.conll").read_text(encoding="utf-8").strip()

    # train -> evaluate -> predict -> Label Studio, with a tiny base so it takes seconds.
    from khabar.model.base.build import build_base_model
    from khabar.model.infer.prediction import read_records

    base = build_base_model(dd["train"]["text"], tmp_path / "base", tiny_base)
    run, preds = tmp_path / "models" / "e2e-run", tmp_path / "e2e-run.jsonl"
    out = khabar("train", "--dataset", ds, "--out", run, "--base-model", base, "--epochs", 1,
                 "--event-epochs", 1, env=env)  # fmt: skip
    assert out.startswith("run e2e-run: validation: NER F1") and "(CRF " in out
    assert "report.md" in khabar("evaluate", "--run", run, "--dataset", ds, env=env)
    assert "CRF P" in (run / "report.md").read_text(encoding="utf-8")
    khabar("predict", "--run", run, "--articles", cleaned, "--out", preds, env=env)
    records = read_records(preds)
    assert {r["article_id"] for r in records} == set(articles)
    for _ in range(2):  # a rerun replaces the run's predictions
        out = khabar("push-predictions", "--predictions", preds, env=env)
        assert "5 tasks got predictions" in out
    assert "5 replaced" in out
    client = Client(url, token)
    tasks = client.tasks(client.find_project(env["KHABAR_PROJECT"]))
    for t in tasks:
        versions = [p["model_version"] for p in t["predictions"]]
        assert versions.count("e2e-run") == 1 and any(v.startswith("rules-") for v in versions)
