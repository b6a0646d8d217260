"""The int8 encoder (`--precision int8`): asked for only, prediction only, built once per
weights, close to fp32."""

import json
import shutil

import pytest
import torch

from khabar.model.net.device import DeviceError, choose_precision
from khabar.model.net.int8 import INT8_DIR, MODEL_FILE, SOURCE_FILE, cached, weights_digest
from tests.conftest import run_khabar


def test_int8_is_asked_for_never_chosen_by_auto_and_never_trains(tiny_run, monkeypatch):
    """auto never picks int8, whatever the CPU; asked, it runs on the CPU only; a fit asked
    for it trains fp32 and says why."""
    from khabar.model.net import device

    encoder = tiny_run.ner.base_model
    for flags in ([], ["avx512_bf16"]):  # AVX2-only and native bf16
        monkeypatch.setattr(device, "cpu_bf16_flags", lambda f=flags: f)
        assert choose_precision("auto", encoder, "cpu").precision in ("fp32", "bf16")
    assert choose_precision("int8", encoder, "cpu").precision == "int8"
    fit = choose_precision("int8", encoder, "cpu", training=True)
    assert fit.precision == "fp32" and "prediction" in fit.reason
    with pytest.raises(DeviceError, match="runs on the CPU"):
        choose_precision("int8", encoder, "cuda")


def test_int8_encoder_is_close_to_fp32_and_built_once(tiny_run, tmp_path):
    """The int8 stand-in's hidden states follow fp32's; it is built into <run>/int8 the first
    time and reused after, and rebuilt when the weights change."""
    from khabar.model.infer.run import NER_DIR, load_run
    from khabar.model.net.inputs import encode, pad

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run.path, run_dir)
    fp32 = load_run(run_dir, baselines=False, device="cpu", precision="fp32")
    int8 = load_run(run_dir, baselines=False, device="cpu", precision="int8")
    assert int8.placement.precision == "int8" and fp32.placement.precision == "fp32"
    built = run_dir / INT8_DIR / MODEL_FILE
    assert built.is_file()

    words = [["भारत", "और", "रूस", "के", "बीच", "बातचीत"], ["मास्को", "में", "बैठक"]]
    ids, mask = pad(encode(fp32.ner_tokenizer, words, 64), fp32.ner_tokenizer.pad_token_id)
    with torch.inference_mode():
        a = fp32.ner.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
        b = int8.ner.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    assert a.shape == b.shape
    real = mask.bool()
    cos = torch.nn.functional.cosine_similarity(a[real], b[real], dim=-1)
    assert cos.min() > 0.95, cos.min()

    stamp = built.stat().st_mtime_ns
    load_run(run_dir, baselines=False, device="cpu", precision="int8")
    assert built.stat().st_mtime_ns == stamp  # reused, not rebuilt
    digest = weights_digest(run_dir / NER_DIR)
    assert cached(run_dir / INT8_DIR, digest) == built
    source = run_dir / INT8_DIR / SOURCE_FILE
    source.write_text(json.dumps({"weights_sha256": "other weights", "recipe": "?"}))
    assert cached(run_dir / INT8_DIR, digest) is None  # other weights: built again when asked


def test_predict_with_int8_writes_records_that_say_so(tiny_run, tmp_path, seed_articles):
    """`khabar predict --precision int8` runs end to end and each record names its precision."""
    import os

    from khabar.corpus.article import write_articles
    from khabar.io import read_jsonl

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run.path, run_dir)
    arts = tmp_path / "articles.jsonl"
    write_articles(seed_articles[:2], arts)
    out = tmp_path / "pred.jsonl"
    said = run_khabar("predict", "--run", run_dir, "--articles", arts, "--out", out,
                      "--precision", "int8", env=dict(os.environ))  # fmt: skip
    assert "encoder int8 (asked)" in said
    records = read_jsonl(out)
    assert len(records) == 2 and {r["precision"] for r in records} == {"int8"}
