"""The self-built base model: a cased Hindi WordPiece tokenizer and a small BERT that load back
through the same `from_pretrained` path as a Hub model."""

from __future__ import annotations

import pytest

from khabar.model.base.build import BaseModelArgs, build_base_model, train_tokenizer

TEXTS = [
    "विदेश मंत्री एस जयशंकर ने मॉस्को में सर्गेई लावरोव से मुलाकात की।",
    "रूसी राष्ट्रपति व्लादिमीर पुतिन दिसंबर में भारत आएंगे।",
    "जयशंकर ने कहा कि बातचीत व्यापक और सार्थक रही।",
    "Honored to call on President Putin at the Kremlin today.",
] * 3

TINY = BaseModelArgs(vocab_size=400, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128)  # fmt: skip


def test_tokenizer_keeps_vowel_signs_and_case():
    tok = train_tokenizer(TEXTS, vocab_size=400)
    for word in ["कहा", "मुलाकात", "राष्ट्रपति", "Kremlin"]:
        pieces = tok.tokenize(word)
        assert "[UNK]" not in pieces
        assert "".join(p.removeprefix("##") for p in pieces) == word  # nothing dropped
    assert tok.tokenize("।") == ["।"]  # the danda is its own token


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    return build_base_model(TEXTS, tmp_path_factory.mktemp("base"), TINY)


def test_base_model_loads_through_from_pretrained(base_dir):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForTokenClassification.from_pretrained(str(base_dir), num_labels=3)
    enc = tok(["जयशंकर", "ने", "कहा", "।"], is_split_into_words=True, return_tensors="pt")
    words = enc.word_ids()
    assert words[0] is None and words[-1] is None and set(words[1:-1]) == {0, 1, 2, 3}
    out = model(**enc)
    assert tuple(out.logits.shape) == (1, enc["input_ids"].shape[1], 3)
    assert model.config.hidden_size == 32 and (base_dir / "khabar_base.json").is_file()


def test_same_seed_same_weights(tmp_path, base_dir):
    import torch
    from transformers import AutoModel

    again = build_base_model(TEXTS, tmp_path / "again", TINY)
    a = AutoModel.from_pretrained(str(base_dir)).embeddings.word_embeddings.weight
    b = AutoModel.from_pretrained(str(again)).embeddings.word_embeddings.weight
    assert torch.equal(a, b)
