"""The ingest stage: read every raw file, clean each article, skip duplicates, report the rest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from khabar.corpus.article import Article
from khabar.corpus.clean import clean
from khabar.corpus.read import IngestError, find_inputs, read_file


@dataclass
class IngestResult:
    """What an ingest run produced and every file it could not use.

    `iter_ingest` fills the counts, errors and duplicates as it goes; `articles` is filled only
    by `ingest`, which keeps them all (a large corpus is streamed instead)."""

    errors: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    n_articles: int = 0
    n_sentences: int = 0
    removed: Counter = field(default_factory=Counter)
    articles: list[Article] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        removed = ", ".join(f"{k} {v}" for k, v in sorted(self.removed.items())) or "none"
        return (
            f"{self.n_articles} articles, {self.n_sentences} sentences; removed: {removed}; "
            f"{len(self.duplicates)} duplicate articles skipped; {len(self.errors)} errors"
        )


def iter_ingest(paths: Iterable[Path], result: IngestResult) -> Iterator[Article]:
    """Yield each new cleaned article under `paths`, one file at a time, recording counts, bad
    files and duplicates in `result`: memory holds one file's articles and the ids seen."""
    seen: dict[str, str] = {}
    for path in find_inputs(Path(p) for p in paths):
        if not path.exists():
            result.errors.append(f"{path}: no such file")
            continue
        try:
            docs, problems = read_file(path)
        except IngestError as exc:
            result.errors.append(str(exc))
            continue
        result.errors += problems
        for doc in docs:
            try:
                art = clean(doc)
            except IngestError as exc:
                result.errors.append(str(exc))
                continue
            if art.id in seen:
                result.duplicates.append(f"{doc.origin}: same content as {seen[art.id]}")
                continue
            seen[art.id] = doc.origin
            result.n_articles += 1
            result.n_sentences += len(art.sentences)
            result.removed.update(r.reason for r in art.removed)
            yield art


def ingest(paths: Iterable[Path]) -> IngestResult:
    """Read and clean every article under `paths` into memory; bad files are reported, the rest
    processed."""
    result = IngestResult()
    result.articles = list(iter_ingest(paths, result))
    return result
