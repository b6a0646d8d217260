"""`khabar events`: what the corpus says, as a table of events, plots and an HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import SchemaOpt, app, fail, load_schema_or_fail


def _records(predictions: Path | None, export: Path | None, gold: Path | None, schema_path):
    """The one source the user named, as records, and what the report calls it."""
    from khabar.events.mentions import (
        records_from_export,
        records_from_gold,
        records_from_predictions,
    )
    from khabar.io import read_json

    named = [p for p in (predictions, export, gold) if p is not None]
    if len(named) != 1:
        fail("give exactly one of --predictions, --export or --gold")
    if not named[0].exists():
        fail(f"{named[0]} not found: run `make predict` (predictions) or `make export` first")
    if predictions:
        recs = records_from_predictions(predictions)
        return recs, f"predictions of run {recs[0]['model_version'] if recs else '?'}"
    if gold:
        return records_from_gold(gold), f"gold files in {gold}"
    recs, _ = records_from_export(read_json(export), load_schema_or_fail(schema_path))
    return recs, f"annotations exported from Label Studio ({export})"


@app.command()
def events(
    out: Annotated[Path, typer.Option(help="Folder for the tables, plots and report.html.")],
    predictions: Annotated[
        Path | None, typer.Option(help="Predictions JSONL from `khabar predict`.")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="Label Studio export (the decided annotation per task).")
    ] = None,
    gold: Annotated[Path | None, typer.Option(help="Folder of gold files (*.json).")] = None,
    corpus: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    aliases: Annotated[
        Path, typer.Option(help="Reviewable alias file: canonical names and their spellings.")
    ] = Path("annotation/aliases.yaml"),
    against: Annotated[
        Path | None,
        typer.Option(help="Gold to score the event tuples against (an export or a gold folder)."),
    ] = None,
    splits: Annotated[
        Path, typer.Option(help="Split manifest: test articles are also scored on their own.")
    ] = Path("annotation/splits.tsv"),
    date_truth: Annotated[
        Path, typer.Option(help="Hand-checked values of DATE spans (TSV).")
    ] = Path("annotation/dates.tsv"),
    gold_out: Annotated[
        Path | None,
        typer.Option(help="With --against: also write the gold's own tables and report here."),
    ] = None,
    schema_path: SchemaOpt = Path("annotation/schema.yaml"),
) -> None:
    """One row per event mention (who, where, when), merged into events across outlets."""
    from khabar.corpus.article import read_articles, require_corpus
    from khabar.dataset.splits import read_manifest
    from khabar.events.build import EventInputs, build, read_date_truth

    records, title = _records(predictions, export, gold, schema_path)
    require_corpus(corpus)
    inp = EventInputs(
        records,
        {a.id: a for a in read_articles(corpus)},
        aliases,
        title,
        date_truth=read_date_truth(date_truth),
    )
    if against is not None:
        is_dir = against.is_dir()
        inp.gold, _ = _records(
            None, None if is_dir else against, against if is_dir else None, schema_path
        )
        test = {a for a, s in read_manifest(splits).items() if s == "test"}
        inp.held_out = test or None
    try:
        summary = build(inp, out, gold_out)
    except ValueError as exc:  # a malformed alias file
        fail(str(exc))
    for key, value in summary["lines"].items():
        typer.echo(f"  {key}: {value}")
    for scope, s in summary.get("tuples", {}).items():
        m, r = s["strict"], s["relaxed"]
        typer.echo(
            f"  tuples vs gold ({scope}): strict P/R/F1 {m['precision']:.3f}/"
            f"{m['recall']:.3f}/{m['f1']:.3f}, relaxed F1 {r['f1']:.3f}"
        )
    if summary["no_article"]:
        typer.echo(f"  {len(summary['no_article'])} records have no article in {corpus}", err=True)
    typer.echo(f"-> {out}/events.parquet, events.csv, merged.csv, report.html")
