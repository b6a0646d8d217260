"""The encoder in int8 for prediction on a CPU: exported once to ONNX, its attention and
layer norms fused by ONNX Runtime's transformer optimiser, its matrix products quantised to int8
(weights per output channel, activations per batch, at load), then run by ONNX Runtime. The
embedding table, the heads, the thresholds and every decision stay fp32.

Why ONNX Runtime and not `torch.ao`'s dynamic int8: on HiNER's held-out part, on AVX2 cores,
torch.ao's per-channel int8 was slower than this path and lost several times its F1 (issue 59;
`make bench-precision` measures this one). Weights use 7 bits (`reduce_range`): without VNNI, as
on AVX2-only CPUs, 8-bit products can saturate the 16-bit sums of the int8 instructions, and the
7-bit form lost less F1 and ran faster there.

The model is built from the run's own weights the first time it is asked for and kept in
`<run>/int8/` (beside the run's folders, so `publish model` leaves it out), rebuilt when the
weights change.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from khabar.model.net.device import DeviceError

INT8_DIR = "int8"
MODEL_FILE = "encoder.onnx"
SOURCE_FILE = "source.json"
RECIPE = "onnx opset 17, ort bert optimiser, dynamic int8 per-channel, reduce_range"


class Int8Error(DeviceError):
    """The int8 path cannot run here (ONNX Runtime missing, or a model it cannot export)."""


def _require_ort():
    try:
        import onnxruntime
    except ImportError as exc:
        raise Int8Error("--precision int8 needs ONNX Runtime: pip install 'khabar[int8]' "
                        "(or use --precision fp32 / auto)") from exc  # fmt: skip
    return onnxruntime


def weights_digest(model_dir: Path) -> str:
    """sha256 of the tagger's weight files: what the int8 model was built from."""
    h = hashlib.sha256()
    for f in sorted(Path(model_dir).glob("*.safetensors")) + sorted(Path(model_dir).glob("*.bin")):
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _export(encoder, path: Path) -> None:
    """The encoder as ONNX (input ids and mask in, last hidden state out), with eager attention:
    the form the optimiser recognises and fuses."""
    enc = copy.deepcopy(encoder).eval()
    enc.config._attn_implementation = "eager"
    if hasattr(enc, "set_attn_implementation"):
        enc.set_attn_implementation("eager")

    class Hidden(nn.Module):
        def __init__(self, e):
            super().__init__()
            self.e = e

        def forward(self, input_ids, attention_mask):
            return self.e(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():  # the tracer's notes on shapes: every axis here is dynamic
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(enc), (ids, torch.ones_like(ids)), str(path), opset_version=17,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "last_hidden_state": axes})  # fmt: skip


def build(encoder, out_dir: Path, digest: str) -> Path:
    """Export, optimise and quantise `encoder` into out_dir/encoder.onnx; record its source."""
    _require_ort()
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    out_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("onnxruntime").setLevel(logging.ERROR)
    # Each build works in its own folder and moves its result in whole: two processes that
    # build at once (the Ray engine's actors) each leave a complete model, never a mixed one.
    with tempfile.TemporaryDirectory(dir=out_dir) as work:
        plain, fused, built = (Path(work) / n for n in ("plain.onnx", "fused.onnx", MODEL_FILE))
        _export(encoder, plain)
        cfg = encoder.config
        opt = optimizer.optimize_model(str(plain), model_type="bert",
                                       num_heads=cfg.num_attention_heads,
                                       hidden_size=cfg.hidden_size)  # fmt: skip
        opt.save_model_to_file(str(fused))
        # The quantiser advises its shape pre-processing on the root logger; the optimiser
        # above has already fused the graph, so the note says nothing to a user.
        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR
        try:
            float32 = {"DefaultTensorType": onnx.TensorProto.FLOAT}  # the fused ops' outputs
            quantize_dynamic(str(fused), str(built), per_channel=True, reduce_range=True,
                             weight_type=QuantType.QInt8, extra_options=float32)  # fmt: skip
        finally:
            root.setLevel(level)
        built.replace(out_dir / MODEL_FILE)
        source = Path(work) / SOURCE_FILE
        source.write_text(json.dumps({"weights_sha256": digest, "recipe": RECIPE}))
        source.replace(out_dir / SOURCE_FILE)
    return out_dir / MODEL_FILE


def cached(out_dir: Path, digest: str) -> Path | None:
    """The int8 model in out_dir when it was built from these weights by this recipe."""
    try:
        source = json.loads((out_dir / SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return None
    same = source == {"weights_sha256": digest, "recipe": RECIPE}
    return out_dir / MODEL_FILE if same and (out_dir / MODEL_FILE).is_file() else None


def int8_encoder(tagger, model_dir: Path, out_dir: Path, log=None):
    """An int8 stand-in for `tagger.base_model` (built once into out_dir, else reused)."""
    _require_ort()
    digest = weights_digest(model_dir)
    path = cached(out_dir, digest)
    if path is None:
        if log:
            log(f"building the int8 encoder once, into {out_dir} (a minute or so)")
        path = build(tagger.base_model, out_dir, digest)
    return OrtEncoder(path)


class OrtEncoder(nn.Module):
    """The encoder's forward pass through ONNX Runtime: what khabar reads of it
    (`last_hidden_state`), from input ids and an attention mask."""

    def __init__(self, path: Path):
        super().__init__()
        ort = _require_ort()
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])  # fmt: skip

    def forward(self, input_ids=None, attention_mask=None, **_):
        from transformers.modeling_outputs import BaseModelOutput

        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        (hidden,) = self.session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids.cpu().numpy(), "attention_mask": attention_mask.cpu().numpy()},
        )
        return BaseModelOutput(last_hidden_state=torch.from_numpy(hidden))
