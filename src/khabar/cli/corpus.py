"""`khabar ingest`: raw files in, the cleaned corpus out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import app


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help=".txt/.jsonl files or folders of them.")],
    out: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
) -> None:
    """Clean raw articles: NFC, boilerplate and repeats out, metadata, sentence spans."""
    from khabar.corpus.article import write_articles
    from khabar.corpus.ingest import IngestResult, iter_ingest

    # Streamed: each article is written as soon as it is clean, so memory does not grow with
    # the corpus; the file only appears (atomically) once all of it is written.
    result = IngestResult()
    write_articles(iter_ingest(inputs, result), out)
    for err in result.errors:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    for dup in result.duplicates:
        typer.echo(f"skipped duplicate: {dup}", err=True)
    typer.echo(f"{result.summary()} -> {out}")
    if result.errors:
        raise typer.Exit(1)
