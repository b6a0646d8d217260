"""A cleaned article: its text, metadata, sentence spans and removal log, and the JSONL file of
them (`datasets/cleaned/articles.jsonl`) that every later stage reads."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khabar.io import iter_jsonl, write_atomic


@dataclass
class Removal:
    """A line (or prefix of one) that cleaning removed, and why."""

    line: int
    reason: str
    text: str


@dataclass
class Article:
    """A cleaned article with metadata, sentence spans and its removal log."""

    id: str
    origin: str
    text: str
    sentences: list[list[int]]
    title: str | None = None
    date: str | None = None
    date_source: str | None = None
    dateline: dict | None = None
    source: str | None = None
    agency: str | None = None
    url: str | None = None
    removed: list[Removal] = field(default_factory=list)

    def to_json(self) -> str:
        """One JSONL line."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        """Rebuild from a parsed JSONL record."""
        d = dict(d)
        d["removed"] = [Removal(**r) for r in d.get("removed", [])]
        return cls(**d)


def article_id(raw_text: str) -> str:
    """Stable id from the raw content (so improving the cleaning keeps ids stable)."""
    norm = unicodedata.normalize("NFC", raw_text).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def write_articles(articles: Iterable[Article], out: Path) -> None:
    """Write articles as JSONL, atomically."""
    write_atomic(out, (art.to_json() + "\n" for art in articles))


def read_articles(path: Path) -> list[Article]:
    """Read the cleaned corpus JSONL written by `write_articles`."""
    return list(iter_articles(path))


def iter_articles(path: Path) -> Iterator[Article]:
    """The articles of a cleaned corpus JSONL one at a time, so a large corpus is streamed."""
    require_corpus(path)
    return (Article.from_dict(d) for d in iter_jsonl(path))


def require_corpus(path: Path) -> None:
    """Raise FileNotFoundError, saying which stage makes it, when the cleaned corpus is absent."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} not found: run `khabar ingest` (or `make ingest`) first")
