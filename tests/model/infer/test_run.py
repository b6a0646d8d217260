"""Run folders and sub-token windows: encoding never truncates, bad runs fail with a reason."""

from __future__ import annotations

import shutil

import pytest

from khabar.model.base.build import train_tokenizer
from khabar.model.infer.run import RunError, check_labels, load_pretrained, load_run
from khabar.model.net.inputs import encode

WORDS = "विदेश मंत्री एस जयशंकर ने मॉस्को में सर्गेई लावरोव से मुलाकात की ।".split()


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer([" ".join(WORDS), "Honored to call on President Putin 😀"], 300)


def test_encode_owns_every_word_once_and_fits(tok):
    long = WORDS * 12 + ["😀", "Kremlin", "\u200d"]  # emoji, Latin, a joiner with no sub-token
    wins = encode(tok, [WORDS, long], max_length=24)
    assert all(len(w.input_ids) <= 24 for w in wins)
    for row, words in enumerate([WORDS, long]):
        owned = sorted(x for w in wins if w.row == row for x in w.words)
        # Every word with a sub-token is owned exactly once: nothing truncated, nothing twice.
        assert owned == [i for i, w in enumerate(words) if w != "\u200d"]
    assert sum(w.row == 1 for w in wins) > 4
    w = wins[0]
    assert w.input_ids[0] == tok.cls_token_id and w.input_ids[-1] == tok.sep_token_id
    for pos, word in zip(w.first, w.words, strict=True):
        assert tok.convert_ids_to_tokens(w.input_ids[pos]) == tok.tokenize(WORDS[word])[0]


def test_incomplete_run_is_refused_with_the_missing_file(tiny_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run.path, broken)
    (broken / "ner" / "model.safetensors").unlink()
    with pytest.raises(RunError, match=r"ner is incomplete, missing: model\.safetensors"):
        load_run(broken)
    (broken / "run.json").unlink()
    with pytest.raises(RunError, match="run.json not found"):
        load_run(broken)


def test_labels_that_differ_from_the_model_are_refused(tiny_run, schema):
    check_labels(tiny_run, schema.bio_tags, schema.event_names)
    with pytest.raises(RunError, match=r"data only: \['B-WEAPON'"):
        check_labels(tiny_run, schema.bio_tags + ["B-WEAPON", "I-WEAPON"], schema.event_names)


def test_unreachable_base_model_is_a_clear_error(tmp_path):
    with pytest.raises(RunError, match="cannot load tokenizer from .*needs a network"):
        load_pretrained("tokenizer", str(tmp_path / "no-such-model"))
