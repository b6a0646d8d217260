"""Files every stage writes and reads: atomic writes, JSON and JSONL.

Stages are Makefile file targets, so a crash must never leave half a file that make takes for
finished: everything khabar writes goes through `write_atomic`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def write_atomic(path: Path, chunks: Iterable[str], mode: int | None = None) -> None:
    """Write text chunks to `path` through a temporary file, so a crash never leaves half a file
    (which a Makefile stage would take for finished). `mode` (e.g. 0o600 for secrets) is set
    before anything is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        if mode is not None:
            os.chmod(tmp, mode)
        fh.writelines(chunks)
    tmp.replace(path)


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` atomically unless the file already holds exactly it; return whether written.
    An unchanged file keeps its time, so make reruns nothing downstream of it."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, [text])
    return True


def write_json(path: Path, payload, indent: int = 1, mode: int | None = None) -> None:
    """Write one JSON document atomically (Devanagari kept readable, not escaped)."""
    write_atomic(path, [json.dumps(payload, ensure_ascii=False, indent=indent)], mode=mode)


def jsonl_lines(rows: Iterable[dict]) -> list[str]:
    """One JSON line (newline included) per object."""
    return [json_line(r) for r in rows]


def json_line(row: dict) -> str:
    """One object as a JSONL line, Devanagari readable, newline included."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write one JSON object per line atomically; return how many. Rows are written as they
    come, so a generator is streamed to disk, never held."""
    count = 0

    def lines():
        nonlocal count
        for row in rows:
            count += 1
            yield json_line(row)

    write_atomic(path, lines())
    return count


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (a corpus or an Arrow shard can be large)."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_json(path: Path):
    """One JSON document."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSONL file (blank lines skipped)."""
    return list(iter_jsonl(path))


def iter_jsonl(path: Path) -> Iterator[dict]:
    """The objects of a JSONL file one at a time (blank lines skipped), so a large file is
    streamed."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def iter_items(path: Path) -> Iterator[dict]:
    """The objects of a JSONL file, or of a file holding one JSON array (an older tasks.json),
    one at a time either way: the array is parsed incrementally (ijson), never whole."""
    if Path(path).suffix == ".jsonl":
        yield from iter_jsonl(path)
        return
    import ijson

    with Path(path).open("rb") as fh:
        yield from ijson.items(fh, "item", use_float=True)


def count_items(path: Path) -> int | None:
    """How many objects `iter_items` will yield, where that is cheap to know (JSONL: its
    non-blank lines); None for a JSON array."""
    if Path(path).suffix != ".jsonl":
        return None
    with Path(path).open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def write_items(path: Path, rows: Iterable[dict]) -> int:
    """Write objects as they come, as JSONL or, for a .json path, one JSON array; return how
    many. Neither holds the rows."""
    if Path(path).suffix == ".jsonl":
        return write_jsonl(path, rows)
    count = 0

    def chunks():
        nonlocal count
        yield "["
        for row in rows:
            yield ("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False)
            count += 1
        yield "\n]\n"

    write_atomic(path, chunks())
    return count
