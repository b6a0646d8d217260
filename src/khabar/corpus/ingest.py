"""The ingest stage: read every raw file, clean each article, skip duplicates, report the rest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from khabar.corpus.article import Article
from khabar.corpus.clean import clean
from khabar.corpus.read import IngestError, find_inputs, read_file


@dataclass
class IngestResult:
    """What an ingest run produced and every file it could not use."""

    articles: list[Article]
    errors: list[str]
    duplicates: list[str]

    def summary(self) -> str:
        """One line for the terminal."""
        reasons = Counter(r.reason for a in self.articles for r in a.removed)
        removed = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"
        return (
            f"{len(self.articles)} articles, "
            f"{sum(len(a.sentences) for a in self.articles)} sentences; removed: {removed}; "
            f"{len(self.duplicates)} duplicate articles skipped; {len(self.errors)} errors"
        )


def ingest(paths: Iterable[Path]) -> IngestResult:
    """Read and clean every article under `paths`; bad files are reported, the rest processed."""
    articles: list[Article] = []
    errors: list[str] = []
    duplicates: list[str] = []
    seen: dict[str, str] = {}
    for path in find_inputs(Path(p) for p in paths):
        if not path.exists():
            errors.append(f"{path}: no such file")
            continue
        try:
            docs, problems = read_file(path)
        except IngestError as exc:
            errors.append(str(exc))
            continue
        errors += problems
        for doc in docs:
            try:
                art = clean(doc)
            except IngestError as exc:
                errors.append(str(exc))
                continue
            if art.id in seen:
                duplicates.append(f"{doc.origin}: same content as {seen[art.id]}")
                continue
            seen[art.id] = doc.origin
            articles.append(art)
    return IngestResult(articles, errors, duplicates)
