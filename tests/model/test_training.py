"""Fine-tuning: first-sub-token labels, the run folder's contents, extra CoNLL data, MLM."""

from __future__ import annotations

import json

from khabar.model.base import BASE_INFO
from khabar.model.run import load_pretrained, load_run
from khabar.model.training import TrainArgs, event_features, ner_features, pretrain, train_run


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
              "events/config.json", "baselines/crf.pkl", "baselines/tfidf.pkl"]:  # fmt: skip
        assert (p / f).is_file(), f
    info = json.loads((p / "run.json").read_text())
    assert info["seed"] == 13 and info["ner_labels"] == schema.bio_tags
    assert info["event_labels"] == schema.event_names and 0 < info["event_threshold"] < 1
    assert info["args"]["epochs"] == 2
    metrics = json.loads((p / "metrics.json").read_text())
    test = metrics["splits"]["test"]
    assert test["sentences"] == 23 and test["mentions"] == 49
    assert {"transformer", "crf", "tfidf"} <= set(test)
    again = load_run(p)  # loads back through from_pretrained
    assert again.ner.config.id2label == tiny_run.ner.config.id2label
    assert again.events.config.problem_type == "multi_label_classification"


def test_extra_conll_is_mapped_and_added(gold_dataset, tmp_path, tiny_base):
    _, dd = gold_dataset
    extra = tmp_path / "extra.conll"
    extra.write_text("राम\tB-PERSON\nदिल्ली\tB-LOCATION\nगए\tO\n\nसौ\tB-NUMBER\n.\tO\n", "utf-8")
    base = tmp_path / "base"
    from khabar.model.base import build_base_model

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
