"""Transfer bases: what `transfer-base` writes and when it is up to date, the partial-label loss
of rehearsed sentences, the classifier rows carried into a run, and what run.json, the report
and the model card say of the sources and their licences."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch

from khabar.dataset.corpora import CorpusSpec, read_corpus
from khabar.model.net.losses import SentenceLabels, entity_loss
from khabar.model.train.transfer import PROVENANCE, carry_rows, is_transfer_base, load_base
from khabar.model.train.transfer_base import (
    TransferArgs,
    folder_name,
    mark_unavailable,
    recipe_args,
    train_base,
    up_to_date,
)
from tests.conftest import run_khabar, toy_hiner

ROWS = [
    (["नरेंद्र", "मोदी", "दिल्ली", "पहुंचे", "।"], ["B-PERSON", "I-PERSON", "B-LOCATION", "O", "O"]),
    (["संयुक्त", "राष्ट्र", "ने", "मॉस्को", "में", "कहा"],
     ["B-ORGANIZATION", "I-ORGANIZATION", "O", "B-LOCATION", "O", "O"]),
    (["लावरोव", "ने", "सोमवार", "को", "विदेश", "मंत्रालय", "से", "बात", "की"],
     ["B-PERSON", "O", "O", "O", "B-ORGANIZATION", "I-ORGANIZATION", "O", "O", "O"]),
]  # fmt: skip


def _spec(name="toy", license="cc-by-sa-4.0") -> CorpusSpec:
    return CorpusSpec(name=name, title=f"Toy {name}", license=license, citation=f"{name} 2026",
                      hub_id=f"someone/{name}",
                      tag_map={"PERSON": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG"},
                      local={"train": f"{name}.conll", "held_out": "shuffle 20%"})  # fmt: skip


@pytest.fixture(scope="module")
def transfer_base(tmp_path_factory, tiny_base, schema):
    """A transfer base trained in seconds: a tiny self-built BERT on a toy CoNLL corpus."""
    from khabar.model.base.build import build_base_model

    tmp = tmp_path_factory.mktemp("transfer")
    (tmp / "toy.conll").write_text("".join(
        "".join(f"{w}\t{t}\n" for w, t in zip(*r, strict=True)) + "\n" for r in ROWS * 10),
        encoding="utf-8")  # fmt: skip
    base = build_base_model([" ".join(w) for w, _ in ROWS], tmp / "tiny", tiny_base)
    corpus = read_corpus(_spec(), data=tmp)
    args = TransferArgs(epochs=2, learning_rate=5e-3, max_length=64, tune_fraction=0.2,
                        rehearsal_pool=12)  # fmt: skip
    out = tmp / folder_name(["toy"])
    prov = train_base([corpus], out, schema.entity_names, str(base), args, log=lambda _: None)
    return out, prov, corpus, args, str(base), tmp


def test_a_base_records_its_sources_and_parts(transfer_base):
    out, prov, corpus, args, base, _ = transfer_base
    assert out.name == "transfer-toy" and is_transfer_base(out)
    assert folder_name(["toy", "hiner", "toy"], 3000) == "transfer-hiner-toy-max3000"
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert prov["labels"] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    (c,) = prov["corpora"]
    assert c["license"] == "cc-by-sa-4.0" and c["citation"] == "toy 2026"
    assert c["read"][0]["sha256"] == corpus.read[0]["sha256"] and len(c["read"][0]["sha256"]) == 64
    assert c["sentences"] == {"available": 24, "train": 19, "tune": 5, "held_out": 6, "pool": 12}
    assert c["tag_map"]["PERSON"] == "PER" and c["tags_mapped_to_o"] == {}
    assert 0 <= c["held_out_f1"]["f1"] <= 1 and set(c["held_out_f1"]["per_type"]) <= {
        "PER", "LOC", "ORG"}  # fmt: skip
    assert len(prov["training"]["history"]) == 2 and "toy" in prov["training"]["history"][0]["tune"]
    # whether other work shared the machine, so a training time is read for what it is
    assert prov["training"]["other_work_cores"] >= 0 and prov["training"]["cpu_count"] >= 1
    assert isinstance(prov["training"]["other_work_beside"], bool) and prov["training"]["cpu"]
    tb = load_base(out)
    assert len(tb.part("toy", "held_out")) == 6 and len(tb.part("toy", "rehearsal")) == 12
    assert up_to_date(out, [corpus], args, base)
    assert not up_to_date(out, [corpus], TransferArgs(epochs=3), base)


def test_a_changed_source_is_not_up_to_date_a_new_citation_is(transfer_base):
    out, _, _, args, base, tmp = transfer_base
    changed = tmp / "changed"
    changed.mkdir(exist_ok=True)
    text = (tmp / "toy.conll").read_text(encoding="utf-8")
    (changed / "toy.conll").write_text(text.replace("मोदी", "मोदीजी", 1), encoding="utf-8")
    assert not up_to_date(out, [read_corpus(_spec(), data=changed)], args, base)
    # the same bytes elsewhere, and a corrected licence: nothing to retrain, the record follows
    (changed / "toy.conll").write_text(text, encoding="utf-8")
    assert up_to_date(out, [read_corpus(_spec(license="cc-by-4.0"), data=changed)], args, base)
    assert json.loads((out / PROVENANCE).read_text())["corpora"][0]["license"] == "cc-by-4.0"
    assert up_to_date(out, [read_corpus(_spec(), data=tmp)], args, base)


def test_an_o_of_a_corpus_without_dates_may_be_a_date():
    logits = torch.tensor([[2.0, 0.0, 0.0, 1.0, 0.5], [0.0, 3.0, 0.0, 0.0, 0.0]])
    full = SentenceLabels([], [0, 1], [-100, -100])
    part = SentenceLabels([], [0, 1], [-100, -100], o_also=[3, 4])  # 3, 4: B-/I-DATE
    p = logits.softmax(-1)
    assert entity_loss(logits, [full]).item() == pytest.approx(
        -(math.log(p[0, 0]) + math.log(p[1, 1])) / 2, rel=1e-5)  # fmt: skip
    assert entity_loss(logits, [part]).item() == pytest.approx(
        -(math.log(p[0, 0] + p[0, 3] + p[0, 4]) + math.log(p[1, 1])) / 2, rel=1e-5)  # fmt: skip
    ignored = SentenceLabels([], [-100, 1], [-100, -100], o_also=[3])
    assert entity_loss(logits, [ignored]).item() == pytest.approx(-math.log(p[1, 1]), rel=1e-5)


def test_a_run_starts_from_the_base_and_says_what_it_kept(transfer_base, gold_dataset, tmp_path):
    from khabar.model.assess.report import write_report
    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.training import train_run
    from khabar.publish.model_card import model_card

    out, prov, *_ = transfer_base
    _, dd = gold_dataset
    args = TrainArgs(transfer=str(out), epochs=1, max_length=64, learning_rate=5e-3,
                     rehearsal=8, baselines=False)  # fmt: skip
    run = train_run(dd, tmp_path / "run", args, "gold")
    t = json.loads((tmp_path / "run" / "run.json").read_text())["transfer"]
    assert t["carried_tags"] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    assert t["corpora"][0]["license"] == "cc-by-sa-4.0" and t["rehearsal"] == 8
    assert t["recipe"]["rehearsal"] == 8 and "validation" in t["recipe"]["why"]
    held = t["held_out"]["toy"]
    assert held["base_f1"] == prov["corpora"][0]["held_out_f1"]["f1"]
    # The recorded F1 is the run's tagger on the base's held-out sentences, recomputed here with
    # seqeval itself (tags the toy corpus lacks count as O).
    from seqeval.metrics import f1_score

    from khabar.model.infer.run import tag_words
    from khabar.model.train.transfer import load_base

    sentences = load_base(out).part("toy", "held_out")
    tagged = tag_words(run.ner, run.ner_tokenizer, [w for w, _ in sentences], 64)
    gold = [list(tags) for _, tags in sentences]
    pred = [[t if t[2:] in ("PER", "LOC", "ORG") else "O" for t, _ in row] for row in tagged]
    assert held["f1"] == pytest.approx(f1_score(gold, pred), abs=1e-4)
    assert held["sentences"] == len(sentences) == 6
    metrics, preds = score_run(run, dd)
    write_metrics(run, metrics)
    report = write_report(run, metrics, preds).read_text(encoding="utf-8")
    assert "## Transfer from public corpora" in report
    assert "Toy toy (`toy`) | cc-by-sa-4.0" in report
    card = str(model_card(run.path, {"license": "cc-by-4.0"}, "me/data"))
    assert "- someone/toy" in card and "ShareAlike" in card and "Toy toy" in card
    from khabar.model.infer.run import RunError

    with pytest.raises(RunError, match="not both"):
        train_run(dd, tmp_path / "run2", TrainArgs(transfer=str(out), base_model=str(tmp_path)))


def test_carried_rows_are_the_bases_and_new_tags_start_fresh(transfer_base, schema):
    from safetensors.torch import load_file

    from khabar.model.infer.run import load_pretrained

    out = transfer_base[0]
    tags = schema.bio_tags
    tagger = load_pretrained("ner", out, num_labels=len(tags), id2label=dict(enumerate(tags)),
                             label2id={t: i for i, t in enumerate(tags)},
                             ignore_mismatched_sizes=True)  # fmt: skip
    carried = carry_rows(tagger, load_base(out))
    assert "B-DATE" not in carried and len(carried) == 7
    state = load_file(str(out / "model.safetensors"))
    base_labels = json.loads((out / PROVENANCE).read_text())["labels"]
    row = tagger.classifier.weight[tags.index("B-LOC")]
    assert torch.equal(row, state["classifier.weight"][base_labels.index("B-LOC")])
    assert not torch.equal(tagger.classifier.weight[tags.index("B-DATE")], row)


def test_a_folder_that_is_no_transfer_base_is_refused(tmp_path):
    from khabar.model.infer.run import RunError

    with pytest.raises(RunError, match="not a transfer base.*make transfer-base"):
        load_base(tmp_path)


def test_the_crf_baseline_never_trains_on_transfer_sentences(transfer_base, gold_dataset,
                                                             tmp_path, monkeypatch):  # fmt: skip
    from khabar.model.measure import baselines as bl
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.training import train_run

    out = transfer_base[0]
    _, dd = gold_dataset
    seen: list[int] = []
    fit = bl.CrfTagger.fit

    def spy(self, words, tags):
        seen.append(len(words))
        return fit(self, words, tags)

    monkeypatch.setattr(bl.CrfTagger, "fit", spy)
    args = TrainArgs(transfer=str(out), epochs=1, max_length=64, learning_rate=5e-3,
                     rehearsal=8, baselines=True)  # fmt: skip
    train_run(dd, tmp_path / "run", args, "gold")
    # the project's training sentences only: the 8 rehearsed ones trained the tagger alone
    assert seen == [len(dd["train"])]


@pytest.fixture(scope="module")
def quick_pool(transfer_base, schema):
    """The quick recipe's folder on the toy corpus: its parts and a pool, no tagger."""
    _, _, corpus, _, _, tmp = transfer_base
    args = recipe_args("quick", tune_fraction=0.2)
    out = tmp / folder_name(["toy"], recipe="quick")
    prov = train_base([corpus], out, schema.entity_names, "", args, log=lambda _: None)
    return out, prov, corpus, args


def test_the_quick_recipe_trains_nothing_and_keeps_every_training_sentence(quick_pool):
    out, prov, corpus, args = quick_pool
    assert out.name == "transfer-toy-quick" and args.epochs == 0
    assert not (out / "model.safetensors").exists() and prov["trained"] is False
    (c,) = prov["corpora"]
    assert c["held_out_f1"] is None and c["license"] == "cc-by-sa-4.0"
    assert c["sentences"] == {"available": 24, "train": 19, "tune": 5, "held_out": 6, "pool": 19}
    tb = load_base(out)
    assert not tb.trained and len(tb.part("toy", "rehearsal")) == 19
    assert up_to_date(out, [corpus], args, "") and not up_to_date(out, [corpus], args, "e5")
    with pytest.raises(ValueError, match="recipe must be one of full, quick"):
        recipe_args("slow")


def test_a_run_mixes_the_pool_into_its_epochs_from_its_own_base(quick_pool, gold_dataset,
                                                                 tiny_base, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    from khabar.model.assess.report import write_report
    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.base.build import build_base_model
    from khabar.model.train import joint
    from khabar.model.train.args import MIXED_FREEZE, MIXED_IN, MIXED_TOLERANCE, TrainArgs
    from khabar.model.train.fitting import split_lists
    from khabar.model.train.training import train_run
    from khabar.publish.model_card import model_card

    out, *_ = quick_pool
    _, dd = gold_dataset
    base = build_base_model(split_lists(dd["train"]).texts, tmp_path / "tiny", tiny_base)
    mixed: list[int] = []
    fit = joint.fit

    def spy(*a, **kw):
        mixed.append(a[-1])  # n_more: transfer sentences added to each epoch
        return fit(*a, **kw)

    monkeypatch.setattr(joint, "fit", spy)
    args = TrainArgs(base_model=str(base), transfer=str(out), epochs=1, max_length=64,
                     learning_rate=5e-3, baselines=False)  # fmt: skip
    run = train_run(dd, tmp_path / "run", args, "gold")
    t = run.info["transfer"]
    assert mixed == [19]  # the whole pool: it is smaller than the MIXED_IN asked for
    assert t["rehearsal"] == 19 and t["recipe"] == {**t["recipe"], "name": "quick",
                                                    "rehearsal": MIXED_IN}  # fmt: skip
    assert t["trained"] is False and t["carried_tags"] == []
    assert run.info["base_model"] == str(base) and run.info["learning_rate"] == 5e-3
    assert run.info["args"]["freeze_layers"] == MIXED_FREEZE
    assert run.info["args"]["epoch_tolerance"] == MIXED_TOLERANCE
    assert t["held_out"]["toy"]["base_f1"] is None and t["corpora"][0]["sentences"]["pool"] == 19
    metrics, preds = score_run(run, dd)
    write_metrics(run, metrics)
    report = write_report(run, metrics, preds).read_text(encoding="utf-8")
    assert "the quick recipe, no tagger trained first" in report
    assert "| Toy toy (`toy`) | cc-by-sa-4.0 | 6 / " in report and "| – |" in report
    card = str(model_card(run.path, {"license": "cc-by-4.0"}, "me/data"))
    assert "- someone/toy" in card and "ShareAlike" in card
    assert "with 19 sentences of public corpora (toy) per epoch" in card


def test_unreadable_corpora_leave_the_run_to_the_projects_data(gold_dataset, tiny_base,
                                                                tmp_path):  # fmt: skip
    from khabar.model.base.build import build_base_model
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.fitting import split_lists
    from khabar.model.train.training import train_run

    out, args = tmp_path / "transfer-toy-quick", recipe_args("quick")
    why = "transfer corpus 'toy' cannot be read: https://huggingface.co did not answer"
    assert mark_unavailable(out, ["toy"], args, why)
    written = (out / PROVENANCE).stat().st_mtime_ns
    # the same corpora and settings: left as it is, so nothing downstream reruns
    assert not mark_unavailable(out, ["toy"], args, why + " again")
    assert (out / PROVENANCE).stat().st_mtime_ns == written
    assert load_base(out).unavailable == why and is_transfer_base(out)
    _, dd = gold_dataset
    base = build_base_model(split_lists(dd["train"]).texts, tmp_path / "tiny", tiny_base)
    run = train_run(dd, tmp_path / "run", TrainArgs(base_model=str(base), transfer=str(out),
                    epochs=1, max_length=64, baselines=False), "gold")  # fmt: skip
    assert "transfer" not in run.info
    assert run.info["transfer_unavailable"] == {"base": str(out), "why": why}
    assert mark_unavailable(out, ["toy", "other"], args, why)  # other corpora: a new verdict


def test_transfer_base_through_the_cli_trains_a_base_and_a_rerun_is_free(tiny_run, tmp_path):
    """`khabar transfer-base hiner --recipe full` on a toy HiNER under TRANSFER_DATA, as a user
    runs it: a trained base with its provenance; the same command again trains nothing."""
    data, out = tmp_path / "data", tmp_path / "base"
    toy = toy_hiner(data)
    env = dict(os.environ, TRANSFER_DATA=str(data), HF_HUB_OFFLINE="1")
    cmd = ["transfer-base", "hiner", "--recipe", "full", "--base", tiny_run.info["base_model"],
           "--epochs", 1, "--learning-rate", 5e-3, "--out", out]  # fmt: skip
    said = run_khabar(*cmd, env=env)
    prov = json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["trained"] is True and (out / "model.safetensors").is_file()
    (c,) = prov["corpora"]
    assert c["name"] == "hiner" and c["read"][0]["from"] == str(toy)
    assert c["sentences"]["held_out"] == 4 and c["held_out_f1"]["sentences"] == 4
    assert len(prov["training"]["history"]) == 1 and str(out) in said
    assert load_base(out).trained
    again = run_khabar(*cmd, env=env)
    assert "is up to date" in again
    assert json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8")) == prov
