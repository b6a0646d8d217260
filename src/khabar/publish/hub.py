"""What both Hub repositories share: the card settings (licence, name), building the repository
folder atomically, and uploading it through huggingface_hub."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REQUIRED_SETTINGS = ("repo_name", "pretty_name", "license")


class PublishError(Exception):
    """The dataset or its card is not fit to publish, with the reasons."""


def load_card_settings(path: Path) -> dict:
    """annotation/dataset_card.yaml, refusing empty required values (the licence above all)."""
    if not Path(path).is_file():
        raise PublishError(f"{path} not found: it names the licence and the repository")
    settings = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    missing = [k for k in REQUIRED_SETTINGS if not str(settings.get(k) or "").strip()]
    if settings.get("license") == "other":
        missing += [k for k in ("license_name", "license_note") if not settings.get(k)]
    if missing:
        raise PublishError(f"{path}: set {', '.join(missing)} (no licence, no publication: "
                           "news text belongs to its publishers)")  # fmt: skip
    return settings


def build_folder_atomically(out_dir: Path, fill) -> Path:
    """Run `fill(tmp)` on a fresh folder beside `out_dir`, then swap it in: an interrupted build
    never leaves half a repository folder."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    fill(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.replace(out_dir)
    return out_dir


def upload(folder: Path, repo_id: str, token: str, private: bool = True, repo_type="dataset",
           api=None) -> str:  # fmt: skip
    """Create the repository (private unless asked) and upload the built folder as it is."""
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=repo_type,
                      commit_message="Publish with khabar")  # fmt: skip
    return f"https://huggingface.co/{'datasets/' if repo_type == 'dataset' else ''}{repo_id}"
