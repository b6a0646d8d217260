"""TrainArgs settles every base-dependent default in one place."""

from __future__ import annotations

import pytest

from khabar.model.net.device import DeviceError
from khabar.model.train.args import (
    HEAD_LR_FACTOR,
    MIXED_FREEZE,
    MIXED_IN,
    MIXED_TOLERANCE,
    PRETRAINED_LR,
    REHEARSAL,
    SCRATCH_LR,
    TRANSFER_HEAD_LR,
    TRANSFER_LR,
    TrainArgs,
)


def test_the_defaults_settle_by_the_kind_of_base():
    a = TrainArgs()
    assert a.encoder_lr(scratch=True, trained=False) == SCRATCH_LR
    assert a.encoder_lr(scratch=False, trained=False) == PRETRAINED_LR
    assert a.encoder_lr(scratch=False, trained=True) == TRANSFER_LR
    plain = a.resolved(PRETRAINED_LR, scratch=False, trained=False, mixed=False)
    assert (plain.head_lr_factor, plain.freeze_layers, plain.epoch_tolerance, plain.rehearsal) \
        == (HEAD_LR_FACTOR, 0, 0.0, -1)  # fmt: skip
    mixed = a.resolved(PRETRAINED_LR, scratch=False, trained=False, mixed=True)
    assert (mixed.freeze_layers, mixed.epoch_tolerance, mixed.rehearsal) == \
        (MIXED_FREEZE, MIXED_TOLERANCE, MIXED_IN)  # fmt: skip
    trained = a.resolved(TRANSFER_LR, scratch=False, trained=True, mixed=False)
    assert trained.rehearsal == REHEARSAL
    assert trained.head_lr_factor * TRANSFER_LR == pytest.approx(TRANSFER_HEAD_LR)
    assert a.resolved(SCRATCH_LR, scratch=True, trained=False, mixed=False).head_lr_factor == 1.0


def test_what_is_given_is_kept():
    a = TrainArgs(learning_rate=2e-5, head_lr_factor=3.0, freeze_layers=2, epoch_tolerance=0.01,
                  rehearsal=10)  # fmt: skip
    assert a.encoder_lr(scratch=False, trained=True) == 2e-5
    r = a.resolved(2e-5, scratch=False, trained=False, mixed=True)
    assert (r.head_lr_factor, r.freeze_layers, r.epoch_tolerance, r.rehearsal) == (3.0, 2, 0.01, 10)


def test_an_unknown_device_or_precision_fails_when_the_arguments_are_made():
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        TrainArgs(device="tpu")
    with pytest.raises(DeviceError, match="unknown precision 'fp16'"):
        TrainArgs(precision="fp16")
