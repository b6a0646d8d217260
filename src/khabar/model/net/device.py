"""Where and in what precision the encoder runs: CUDA where there is one, else the CPU; bf16 where
the hardware runs it natively and a short check shows it faster, else fp32.

Only the encoder's forward pass changes precision. The entity head, the event heads, the
thresholds and every decision stay fp32: under bf16 they flip near their tuned thresholds (75
of 200 articles changed when the whole path ran in bf16; the encoder alone changed none of
1,000 sentences' tags), and they cost little. A CPU without AMX or AVX512-BF16 emulates bf16 and
is about three times slower with it, so `auto` never picks it there.

int8 (`--precision int8`, prediction on a CPU) runs the encoder through ONNX Runtime with int8
matrix products (`int8.py`); it is asked for, never chosen by `auto`, and training runs fp32.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khabar.settings import env_default, env_field

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "int8")
# What is asked when nothing is said (KHABAR_DEVICE / KHABAR_PRECISION override it): the one
# default of every argument object, command and loader that places a model.
DEVICE = "auto"
PRECISION = "auto"
DEVICE_ENV = "KHABAR_DEVICE"
PRECISION_ENV = "KHABAR_PRECISION"
BF16_FLAGS = ("amx_bf16", "avx512_bf16")  # /proc/cpuinfo flags of native bf16 arithmetic
# bf16 must beat fp32 by this much in the check at load to be chosen: below it, the
# noise of a short check could pick a precision that is no faster and not exact.
MIN_GAIN = 1.1


class DeviceError(ValueError):
    """A device or precision that does not exist or that this machine cannot run."""


@dataclass(frozen=True)
class Placement:
    """The device and the encoder's precision a model runs with, and why."""

    device: str = "cpu"
    precision: str = "fp32"
    reason: str = "default"

    def summary(self) -> str:
        """One line for the log: device, precision and why."""
        return f"device {self.device}, encoder {self.precision} ({self.reason})"


FP32_CPU = Placement()


def device_field() -> Any:
    """The `device` field of an argument dataclass: its default, help and environment variable."""
    return env_field(DEVICE_ENV, DEVICE, "Where the model runs: auto (CUDA where torch sees "
                     "one, else the CPU), cpu or cuda.")  # fmt: skip


def precision_field() -> Any:
    """The `precision` field of an argument dataclass: its default, help and environment
    variable."""
    return env_field(PRECISION_ENV, PRECISION, "The encoder's precision: auto (bf16 where the "
                     "CPU or GPU runs it natively and a check at load finds it faster, else fp32), "
                     "fp32, bf16, or int8 (prediction on a CPU through ONNX Runtime: faster "
                     "where bf16 is not native, not exact; training runs fp32). The heads, "
                     "decisions, loss and weights stay fp32.")  # fmt: skip


def asked(device: str | None = None, precision: str | None = None) -> tuple[str, str]:
    """The device and precision asked for: as given, else the environment's, else the default
    (`auto` for both): what the `device_field` and `precision_field` of an argument object say."""
    return (device or env_default(DEVICE_ENV, DEVICE),
            precision or env_default(PRECISION_ENV, PRECISION))  # fmt: skip


def encoder_autocast(precision: str, device: str) -> AbstractContextManager:
    """torch.autocast to bf16 on `device`'s type for precision bf16, else nothing."""
    if precision != "bf16":
        return nullcontext()
    import torch

    return torch.autocast(device.split(":")[0], dtype=torch.bfloat16)


@contextmanager
def encoder_in(precision: str, encoder, device: str) -> Iterator[None]:
    """For the duration, `encoder` (a model's base_model) runs its forward pass, and so its
    backward pass, under `encoder_autocast`, and hands fp32 back: the heads, the loss and the
    weights stay fp32 in training as in inference (autocast of the whole training loop gave a
    model with entity F1 0.000)."""
    if precision != "bf16":
        yield
        return
    plain = encoder.forward

    def forward(*args, **kwargs):
        with encoder_autocast(precision, device):
            out = plain(*args, **kwargs)
        for key, value in out.items():
            if value is not None and hasattr(value, "is_floating_point") and \
                    value.is_floating_point():  # fmt: skip
                out[key] = value.float()
        return out

    encoder.forward = forward  # an instance attribute: nn.Module.__call__ finds it first
    try:
        yield
    finally:
        del encoder.forward


def check_device(name: str) -> None:
    """Refuse a device name that is none of auto, cpu, cuda or cuda:N (DeviceError)."""
    if name.split(":")[0] not in DEVICES or (":" in name and not name.startswith("cuda:")):
        raise DeviceError(f"unknown device {name!r}: choose one of {', '.join(DEVICES)}")


def check_precision(name: str) -> None:
    """Refuse a precision that is none of auto, fp32 or bf16 (DeviceError)."""
    if name not in PRECISIONS:
        raise DeviceError(f"unknown precision {name!r}: choose one of {', '.join(PRECISIONS)}")


def check_placement(device: str, precision: str) -> None:
    """Refuse an unknown device or precision before any work is done (DeviceError)."""
    check_device(device)
    check_precision(precision)


def pick_device(name: str) -> str:
    """`auto`: cuda when torch sees one, else cpu; `cuda` (or `cuda:N`) only when it does."""
    import torch

    check_device(name)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"--device {name}: torch {torch.__version__} sees no CUDA device on "
                          "this machine; use --device cpu (or auto)")  # fmt: skip
    return name


def _cpuinfo_field(key: str, cpuinfo: Path) -> str | None:
    """The first `key : value` of /proc/cpuinfo (None where the file or the key is absent)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                 if ln.startswith(key)), None)  # fmt: skip


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The feature flags this CPU reports (none where /proc/cpuinfo is absent)."""
    return set((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_bf16_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """The native-bf16 flags this CPU reports (none where /proc/cpuinfo is absent)."""
    flags = cpu_flags(cpuinfo)
    return [f for f in BF16_FLAGS if f in flags]


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name ("" where /proc/cpuinfo does not say)."""
    return _cpuinfo_field("model name", cpuinfo) or ""


def _time_encoder(encoder, device: str, reps: int = 5) -> dict[str, float]:
    """Seconds of the fastest of `reps` forward passes over a fixed 32 x 48 batch, per
    precision. The two alternate and the minimum counts, so a moment when other work takes the
    cores slows a pass of each rather than deciding between them."""
    import torch

    vocab = getattr(encoder.config, "vocab_size", 1000)
    ids = torch.randint(5, max(6, vocab - 1), (32, 48), generator=torch.Generator().manual_seed(0))
    ids, mask = ids.to(device), torch.ones_like(ids).to(device)
    best = {"fp32": float("inf"), "bf16": float("inf")}
    with torch.inference_mode():
        for rep in range(reps + 1):  # the first pass of each picks kernels: not timed
            for precision in best:
                started = time.perf_counter()
                with encoder_autocast(precision, device):
                    encoder(input_ids=ids, attention_mask=mask)
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                if rep:
                    best[precision] = min(best[precision], time.perf_counter() - started)
    return best


def choose_precision(requested: str, encoder, device: str, training: bool = False) -> Placement:
    """The encoder's precision on `device`: fp32, bf16 or int8 as asked, or for `auto` bf16 only
    where it is native (CUDA with bf16, or a CPU with AMX / AVX512-BF16) and measured faster."""
    import torch

    check_precision(requested)
    cuda = device.startswith("cuda")
    if requested == "int8":
        if training:  # int8 has no backward pass; KHABAR_PRECISION=int8 still trains
            return Placement(device, "fp32", "int8 is for prediction: training runs fp32")
        if cuda:
            raise DeviceError("--precision int8 runs on the CPU: use --device cpu, or "
                              "--precision auto on a GPU")  # fmt: skip
        return Placement(device, "int8", "asked")
    if cuda and requested != "fp32" and not torch.cuda.is_bf16_supported():
        if requested == "bf16":
            raise DeviceError(f"--precision bf16: {torch.cuda.get_device_name(device)} has no "
                              "bf16; use --precision fp32 (or auto)")  # fmt: skip
        return Placement(device, "fp32", "auto: this GPU has no bf16")
    if requested != "auto":
        native = cuda or bool(cpu_bf16_flags())
        return Placement(device, requested, "asked" if requested == "fp32" or native else
                         "asked; this CPU emulates bf16, expect it slower than fp32")  # fmt: skip
    if cuda:
        return Placement(device, "bf16", "auto: the GPU runs bf16")
    flags = cpu_bf16_flags()
    if not flags:
        return Placement(device, "fp32", "auto: no AMX or AVX512-BF16, bf16 would be emulated")
    took = _time_encoder(encoder, device)
    gain = took["fp32"] / took["bf16"]
    return Placement(device, "bf16" if gain >= MIN_GAIN else "fp32",
                     f"auto: {'/'.join(flags)}, bf16 measured {gain:.2f}x fp32")  # fmt: skip


def place(models: list, device: str | None = None, precision: str | None = None,
          training: bool = False) -> Placement:  # fmt: skip
    """Move models (the first one's encoder is the one timed) to the device and choose the
    encoder precision (None: `asked`'s default); the weights stay fp32 (autocast casts per
    operation). The one place a device and precision are resolved, at load or when a fit
    starts; what it returns is carried from there."""
    device, precision = asked(device, precision)
    where = pick_device(device)
    for m in models:
        if m is not None:
            m.to(where)
    encoder = getattr(models[0], "base_model", models[0])
    return choose_precision(precision, encoder, where, training)
