"""Device and encoder precision: clear errors, fp32 wherever bf16 is emulated, and the bf16 path
changing only the encoder (heads and decisions stay fp32)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import torch

from khabar.model.infer.prediction import predict_articles
from khabar.model.net import device as dv
from tests.conftest import ROOT


def test_unknown_or_missing_devices_and_precisions_are_one_clear_error():
    with pytest.raises(dv.DeviceError, match="unknown device 'tpu'"):
        dv.pick_device("tpu")
    with pytest.raises(dv.DeviceError, match="unknown precision 'fp16'"):
        dv.choose_precision("fp16", None, "cpu")
    if not torch.cuda.is_available():
        assert dv.pick_device("auto") == "cpu"
        with pytest.raises(dv.DeviceError, match="sees no CUDA device"):
            dv.pick_device("cuda")


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    amd = tmp_path / "avx2"
    amd.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n")
    intel = tmp_path / "amx"
    intel.write_text("processor\t: 0\nflags\t\t: avx2 avx512_bf16 amx_tile amx_bf16\n")
    assert dv.cpu_bf16_flags(amd) == [] and dv.cpu_bf16_flags(tmp_path / "none") == []
    assert dv.cpu_bf16_flags(intel) == ["amx_bf16", "avx512_bf16"]


def test_auto_is_fp32_where_bf16_is_emulated_and_measured_elsewhere(tiny_run, monkeypatch):
    encoder = tiny_run.ner.base_model
    monkeypatch.setattr(dv, "cpu_bf16_flags", lambda: [])
    choice = dv.choose_precision("auto", encoder, "cpu")
    assert choice.precision == "fp32" and "emulated" in choice.reason
    assert "expect it slower" in dv.choose_precision("bf16", encoder, "cpu").reason
    monkeypatch.setattr(dv, "cpu_bf16_flags", lambda: ["avx512_bf16"])
    took = dv._time_encoder(encoder, "cpu", reps=1)  # the real measurement runs both ways
    assert set(took) == {"fp32", "bf16"} and all(0 < s < 60 for s in took.values())
    # Where the CPU has the flags, the measurement decides: bf16 only when it is MIN_GAIN faster.
    for fp32_s, bf16_s, chosen in ((1.0, 0.5, "bf16"), (1.0, 1.0 / (dv.MIN_GAIN - 0.01), "fp32")):
        monkeypatch.setattr(dv, "_time_encoder", lambda *a, t=(fp32_s, bf16_s): dict(
            fp32=t[0], bf16=t[1]))  # fmt: skip
        choice = dv.choose_precision("auto", encoder, "cpu")
        assert choice.precision == chosen, choice
        assert f"avx512_bf16, bf16 measured {fp32_s / bf16_s:.2f}x fp32" in choice.reason


def test_bf16_changes_the_encoder_only(tiny_run, seed_articles):
    """Under bf16 the records say so, spans stay exact, and most sentences keep their
    entities: the heads read fp32 vectors (a bf16 head would flip many more)."""
    fp32 = predict_articles(tiny_run, seed_articles)
    bf16_run = dataclasses.replace(tiny_run, placement=dv.Placement("cpu", "bf16", "test"))
    bf16 = predict_articles(bf16_run, seed_articles)
    assert {r["precision"] for r in bf16} == {"bf16"} and {r["precision"] for r in fp32} == {"fp32"}
    spans = lambda r: {(e["start"], e["end"], e["label"]) for e in r["entities"]}  # noqa: E731
    kept = sum(len(spans(a) & spans(b)) for a, b in zip(fp32, bf16, strict=True))
    total = sum(len(spans(a) | spans(b)) for a, b in zip(fp32, bf16, strict=True))
    assert total > 20 and kept / total >= 0.9, (kept, total)
    for rec, art in zip(bf16, seed_articles, strict=True):
        assert all(art.text[e["start"] : e["end"]] == e["text"] for e in rec["entities"])


def test_bf16_training_runs_the_encoder_alone_in_bf16(tiny_run):
    """Inside `encoder_in`, the encoder's layers compute in bf16, the head and the loss read
    fp32, gradients reach the fp32 weights, and afterwards the encoder is as it was."""
    import copy

    tagger = copy.deepcopy(tiny_run.ner)
    encoder, seen = tagger.base_model, []
    query = encoder.encoder.layer[0].attention.self.query  # a matmul: bf16 under autocast
    query.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    ids = torch.tensor([[2, 10, 11, 3]])
    with dv.encoder_in("bf16", encoder, "cpu"):
        out = tagger(input_ids=ids, labels=torch.tensor([[-100, 1, 0, -100]]))
        out.loss.backward()
    assert seen == [torch.bfloat16] and out.logits.dtype == out.loss.dtype == torch.float32
    assert tagger.classifier.weight.grad.dtype == torch.float32
    assert query.weight.grad.dtype == torch.float32 and query.weight.grad.abs().sum() > 0
    assert "forward" not in vars(encoder)
    tagger(input_ids=ids)
    assert seen[-1] == torch.float32


def test_the_cli_refuses_a_bad_precision_in_one_sentence(tiny_run):
    out = subprocess.run([sys.executable, "-m", "khabar.cli", "predict", "--run",
                          str(tiny_run.path), "--precision", "fp8"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 1 and "unknown precision 'fp8'" in out.stderr
    train = subprocess.run([sys.executable, "-m", "khabar.cli", "train", "--out",
                            str(tiny_run.path.parent / "never"), "--precision", "fp8"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert train.returncode == 1 and "unknown precision 'fp8'" in train.stderr
