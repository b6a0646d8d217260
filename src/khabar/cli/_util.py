"""Helpers that more than one command module uses (spaCy's `cli/_util` idea): loading a dataset,
the errors a user can fix, and the transfer check that runs before any work."""

from __future__ import annotations

from pathlib import Path

from khabar.cli.app import fail


def load_dataset(path: Path):
    """The khabar dataset at `path`, or one sentence on what to run first."""
    from datasets import load_from_disk

    if not (path / "dataset_dict.json").is_file():
        fail(f"{path} is not a khabar dataset: run `make dataset` (or `khabar export`) first")
    try:
        dd = load_from_disk(str(path))
    except IndexError:  # datasets cannot reload a split saved with no rows
        fail(f"{path} cannot be read; is a split empty? Annotate more articles, then export")
    missing = [s for s in ("train", "validation") if s not in dd or not len(dd[s])]
    if missing:
        fail(f"{path} has no {' or '.join(missing)} rows: annotate more articles, then export")
    return dd


def model_errors():
    """Errors a user can fix (a missing or incomplete run, a label mismatch, a bad tag map)."""
    from khabar.model.infer.run import RunError

    return (RunError, ValueError, FileNotFoundError)


def check_transfer(transfer: str) -> None:
    """Refuse a --transfer folder that is no transfer base, before the dataset is loaded."""
    from khabar.model.infer.run import RunError
    from khabar.model.train.transfer import load_base

    if not transfer:
        return
    try:
        load_base(transfer)
    except RunError as exc:
        fail(str(exc))
