"""Publishing a run: the model card carries the report's figures, the folder loads back."""

from __future__ import annotations

from huggingface_hub import DatasetCard, HfApi

from tests.conftest import SETTINGS


def test_model_card_shows_the_report_figures_and_loads_back(tiny_run, gold_dataset, monkeypatch):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from khabar.model.assess.report import write_report
    from khabar.model.assess.scoring import score_run
    from khabar.publish.model_card import publish_model

    _, dd = gold_dataset
    metrics, preds = score_run(tiny_run, dd)
    report = write_report(tiny_run, metrics, preds).read_text(encoding="utf-8")
    calls = []
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: calls.append(kw))
    monkeypatch.setattr(HfApi, "upload_folder", lambda self, **kw: calls.append(kw))
    folder, url = publish_model(tiny_run.path, SETTINGS, "someone/data", "someone/model", "hf_x")
    assert url == "https://huggingface.co/someone/model"
    assert calls[0]["repo_type"] == "model" and calls[0]["private"] is True
    assert calls[1]["folder_path"] == str(folder)
    card = (folder / "README.md").read_text(encoding="utf-8")
    # The tables are the report's own lines, figure for figure.
    for heading in (
        "| type | gold | transformer P",
        "| event type | gold | transformer P",
        "| score | gold | model P",
    ):
        table = report.split(heading, 1)[1].split("\n\n", 1)[0]
        assert heading + table in card
    meta = DatasetCard.load(folder / "README.md").data.to_dict()  # YAML parses
    results = meta["model-index"][0]["results"]
    test = metrics["splits"]["test"]["transformer"]
    ner = {m["type"]: m["value"] for m in results[0]["metrics"]
           if m["type"] in ("precision", "recall", "f1")}  # fmt: skip
    assert {m["type"] for m in results[0]["metrics"]} >= {"trigger_f1", "argument_f1"}
    assert ner == {k: round(test["entities"]["overall"][k], 3) for k in ner}
    assert (
        f"| **micro** | {test['entities']['overall']['support']} | {ner['precision']:.3f}" in report
    )
    assert meta["datasets"] == ["someone/data"] and meta["language"] == ["hi"]
    model = AutoModelForTokenClassification.from_pretrained(str(folder))
    assert model.config.id2label == tiny_run.ner.config.id2label
    # The documented head file loads beside it and gives the run's own event layers.
    from khabar.model.net.decoding import extract
    from khabar.model.net.heads import load_heads

    heads = load_heads(folder)
    assert heads.config == tiny_run.heads.config
    words = "जयशंकर ने लावरोव से मुलाकात की".split()
    a = extract(model, heads, AutoTokenizer.from_pretrained(str(folder)), [words])[0]
    b = extract(tiny_run.ner, tiny_run.heads, tiny_run.ner_tokenizer, [words])[0]
    assert a.triggers == b.triggers and a.arguments == b.arguments
    assert not (folder / "events").exists()  # no sentence classifier in this run


def test_publish_model_through_the_cli_builds_the_folder_and_uploads_only_when_told(
    tiny_run, tmp_path, monkeypatch
):
    """`khabar publish model` as a user runs it, the Hub stubbed at its two calls: without
    HF_TOKEN it builds the folder and says what upload needs; with it, it sends that folder."""
    import shutil

    from typer.testing import CliRunner

    from khabar.cli import app

    run = tmp_path / "run"
    shutil.copytree(tiny_run.path, run, ignore=shutil.ignore_patterns("hub"))
    calls = []
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: calls.append(
        ("create_repo", repo_id, kw)))  # fmt: skip
    monkeypatch.setattr(HfApi, "upload_folder", lambda self, **kw: calls.append(
        ("upload_folder", kw)))  # fmt: skip
    cmd = ["publish", "model", "--run", str(run), "--card", str(SETTINGS)]
    env = {"HF_TOKEN": "", "HF_MODEL_REPO": "someone/model", "HF_DATASET_REPO": "someone/data"}
    built = CliRunner().invoke(app, cmd, env=env)
    assert built.exit_code == 0, built.output
    assert "not uploaded: set HF_TOKEN to send these" in built.output and calls == []
    folder = run / "hub"
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "run.json", "config.json", "model.safetensors"} <= names
    assert any(n.startswith("event_heads") for n in names)
    assert "someone/data" in (folder / "README.md").read_text(encoding="utf-8")

    token = "hf_" + "x" * 12
    sent = CliRunner().invoke(app, cmd, env={**env, "HF_TOKEN": token})
    assert sent.exit_code == 0, sent.output
    assert "uploaded to https://huggingface.co/someone/model (private)" in sent.output
    assert token not in sent.output
    (create, repo_id, kw), (upload, up) = calls
    assert (create, repo_id, kw["repo_type"], kw["private"]) == (
        "create_repo", "someone/model", "model", True)  # fmt: skip
    assert up["folder_path"] == str(folder) and up["repo_id"] == "someone/model"
