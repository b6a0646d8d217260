"""Reading raw input: .txt files (one article each) and .jsonl files (one record per line).

Raw files are never modified; a file that cannot be used is an `IngestError` naming the file and
why, a bad record inside a usable file is a problem reported beside the good records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".jsonl")


class IngestError(Exception):
    """A file that cannot be read as articles (the message names the file and why)."""


@dataclass
class RawDoc:
    """One article as read from disk, before cleaning."""

    text: str
    origin: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise IngestError(f"{path}: empty file")
    if b"\x00" in data:
        raise IngestError(f"{path}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None


def read_file(path: Path) -> tuple[list[RawDoc], list[str]]:
    """Read the raw articles of one .txt or .jsonl file, with per-record problems.

    Raises IngestError when the whole file is unusable (empty, binary, not UTF-8, wrong type).
    """
    if path.suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{path}: unsupported file type (expected .txt or .jsonl)")
    text = _decode(path, path.read_bytes())
    if path.suffix == ".txt":
        return [RawDoc(text=text, origin=str(path))], []
    docs, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict) or not str(rec.get("text") or "").strip():
            problems.append(f"{path}:{n}: record has no non-empty 'text' field")
            continue
        meta = {
            k: (str(rec[k]) if rec.get(k) else None) for k in ("title", "date", "source", "url")
        }
        docs.append(RawDoc(text=str(rec["text"]), origin=f"{path}:{n}", **meta))
    return docs, problems


def find_inputs(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their .txt/.jsonl files (sorted); keep explicit files as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUPPORTED_SUFFIXES)
        else:
            out.append(p)
    return out
