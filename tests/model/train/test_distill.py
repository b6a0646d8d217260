"""`khabar distill`: a student with fewer encoder layers, distilled from a run, saved as an
ordinary run that predict loads unchanged, nearer its teacher than the bare cut."""

import os
from dataclasses import replace

import pytest

from khabar.io import read_json, read_jsonl
from khabar.model.train.distill import kept_layers
from tests.conftest import run_khabar


def test_kept_layers_spread_from_first_to_last():
    """The student keeps evenly spaced layers, the last always among them; no bigger student."""
    assert kept_layers(12, 6) == [0, 2, 4, 7, 9, 11]
    assert kept_layers(4, 2) == [0, 3]
    assert kept_layers(12, 1) == [11]
    with pytest.raises(ValueError, match="no smaller"):
        kept_layers(6, 6)


def test_text_files_are_read_as_what_they_hold(tmp_path):
    """--text takes CoNLL written as .txt (IL-NER's files) as sentences, tags dropped, and plain
    text as a sentence a line."""
    from khabar.model.train.pretraining import read_texts

    conll = tmp_path / "hindi-train.txt"
    conll.write_text("भारत\tB-NEL\nमें\tO\n\nदिल्ली\tB-NEL\n", encoding="utf-8")
    assert read_texts(conll) == ["भारत में", "दिल्ली"]
    plain = tmp_path / "plain.txt"
    plain.write_text("भारत में बैठक हुई\n\nदिल्ली O\n", encoding="utf-8")
    assert read_texts(plain) == ["भारत में बैठक हुई", "दिल्ली O"]


@pytest.fixture(scope="module")
def deep_run(tmp_path_factory, gold_dataset, tiny_base):
    """A tiny run whose encoder has 4 layers, so it can be halved."""
    from khabar.model.base.build import build_base_model
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.fitting import split_lists
    from khabar.model.train.training import train_run

    _, dd = gold_dataset
    tmp = tmp_path_factory.mktemp("deep-run")
    base = build_base_model(split_lists(dd["train"]).texts, tmp / "base",
                            replace(tiny_base, num_hidden_layers=4))  # fmt: skip
    args = TrainArgs(base_model=str(base), epochs=6, event_epochs=1, max_length=64,
                     learning_rate=5e-3)  # fmt: skip
    return train_run(dd, tmp / "deep", args, "gold")


def test_distill_writes_a_smaller_run_that_predicts(deep_run, gold_dataset, tmp_path,
                                                    seed_articles):  # fmt: skip
    """The student has the layers asked for, agrees with its teacher more than the cut it
    started from, is scored, predicts through `khabar predict`, and a rerun does nothing."""
    from khabar.corpus.article import write_articles
    from khabar.model.infer.run import load_run

    dataset, _ = gold_dataset
    out, env = tmp_path / "deep-2", dict(os.environ)
    cmd = ("distill", "--run", deep_run.path, "--dataset", dataset, "--out", out,
           "--layers", "2", "--epochs", "3", "--learning-rate", "3e-3")  # fmt: skip
    said = run_khabar(*cmd, env=env)
    assert "2 of 4 layers" in said, said
    student = load_run(out)
    assert student.ner.config.num_hidden_layers == 2
    assert len(student.ner.base_model.encoder.layer) == 2
    record = read_json(out / "run.json")["distilled"]
    assert record["layers_kept"] == [0, 3] and record["sources"]["validation split (tuning)"] > 0
    history = record["history"]
    assert record["epoch"] > 0, history  # distilling brought the cut nearer its teacher
    assert record["tune_distance"] < 0.8 * history[0]["tune_distance"], history
    assert (out / "metrics.json").is_file() and (out / "baselines" / "crf.pkl").is_file()

    arts = tmp_path / "articles.jsonl"
    write_articles(seed_articles[:2], arts)
    run_khabar("predict", "--run", out, "--articles", arts, "--out", tmp_path / "p.jsonl", env=env)
    assert len(read_jsonl(tmp_path / "p.jsonl")) == 2

    stamp = (out / "run.json").stat().st_mtime_ns
    assert "already" in run_khabar(*cmd, env=env)
    assert (out / "run.json").stat().st_mtime_ns == stamp
