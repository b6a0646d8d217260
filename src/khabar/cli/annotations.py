"""Commands about what people labelled: the gold (validate, re-anchor, count), agreement
between annotators and the reviewer's adjudication proposals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import SERVER_HELP, SchemaOpt, app, connect, fail, load_schema_or_fail

GoldOpt = Annotated[Path, typer.Option("--gold", help="Folder of gold files (*.json).")]
ArticlesOpt = Annotated[Path, typer.Option(help="Cleaned corpus (JSONL) the gold refers to.")]


def _gold_and_articles(gold: Path, articles: Path):
    from khabar.annotations.gold import read_gold_files
    from khabar.corpus.article import read_articles

    files = read_gold_files(gold) if gold.is_dir() else {}
    if not files:
        fail(f"no gold files (*.json) in {gold}")
    try:
        arts = read_articles(articles)
    except FileNotFoundError as exc:
        fail(str(exc))
    by_id = {a.id: a for a in arts}
    by_origin = {a.origin: a for a in arts}
    pairs = []
    for path, item in files.items():
        data = item.get("data") or {}
        art = by_id.get(data.get("article_id")) or by_origin.get(data.get("origin"))
        pairs.append((path, item, art))
    return pairs, arts


@app.command("validate-gold")
def validate_gold(
    gold: GoldOpt = Path("annotation/gold"),
    articles: ArticlesOpt = Path("datasets/cleaned/articles.jsonl"),
    schema_path: SchemaOpt = Path("annotation/schema.yaml"),
) -> None:
    """Check the gold: exact offsets on the cleaned text, schema labels, overlaps, argument
    roles, and the span rules of annotation/guidelines.md."""
    from khabar.annotations.gold import validate_item

    s = load_schema_or_fail(schema_path)
    pairs, arts = _gold_and_articles(gold, articles)
    bad = 0
    for path, item, art in pairs:
        check = validate_item(item, s, art)
        if art is None:
            check.problems.insert(0, "its article is not in the cleaned corpus")
        n_ent = sum(not r.is_trigger for r in check.regions)
        n_trig = len(check.regions) - n_ent
        status = "ok" if not check.problems else f"{len(check.problems)} problems"
        typer.echo(f"{path.name}: {n_ent} entities, {n_trig} triggers, "
                   f"{len(check.relations)} arguments — {status}")  # fmt: skip
        for p in check.problems:
            typer.secho(f"  {p}", fg=typer.colors.RED, err=True)
        bad += bool(check.problems)
    covered = {art.id for _, _, art in pairs if art is not None}
    missing = [a.origin for a in arts if a.id not in covered]
    if missing:
        typer.echo(f"{len(missing)} articles have no gold yet: {', '.join(missing[:5])}")
    if bad:
        fail(f"{bad} of {len(pairs)} gold files have problems")
    typer.echo(f"{len(pairs)} gold files valid")


@app.command("reanchor-gold")
def reanchor_gold(
    gold: GoldOpt = Path("annotation/gold"),
    articles: ArticlesOpt = Path("datasets/cleaned/articles.jsonl"),
) -> None:
    """Move gold spans onto the current cleaned text after ingest changed it (by content and
    context, never by old offsets); report every span it could not place."""
    from khabar.annotations.format import content_hash
    from khabar.annotations.gold import write_gold
    from khabar.annotations.reanchor import reanchor

    pairs, _ = _gold_and_articles(gold, articles)
    unplaced_total = 0
    for path, item, art in pairs:
        if art is None:
            typer.secho(f"{path.name}: its article is not in the cleaned corpus; left as it is",
                        fg=typer.colors.RED, err=True)  # fmt: skip
            unplaced_total += 1
            continue
        if item["data"].get("content_hash") == content_hash(art.text):
            typer.echo(f"{path.name}: already on the current text")
            continue
        new, unplaced = reanchor(item, art)
        write_gold(new, path)
        n = len(new["annotations"][0]["result"])
        typer.echo(f"{path.name}: re-anchored, {n} items placed, {len(unplaced)} not placed")
        for u in unplaced:
            typer.secho(f"  not placed ({u['reason']}): {u['item']}", fg=typer.colors.RED, err=True)
        unplaced_total += len(unplaced)
    if unplaced_total:
        fail(
            f"{unplaced_total} items need a person: they are kept under 'reanchor_unplaced' in "
            "their file, and validate-gold refuses the file until they are resolved"
        )


@app.command("gold-counts")
def gold_counts(
    gold: GoldOpt = Path("annotation/gold"),
    schema_path: SchemaOpt = Path("annotation/schema.yaml"),
    write: Annotated[
        Path | None, typer.Option(help="Update the appendix between the markers of this file.")
    ] = None,
) -> None:
    """Table of gold counts per article and label (the guidelines' appendix)."""
    from khabar.annotations.gold import count_table, read_gold_files, replace_counts

    s = load_schema_or_fail(schema_path)
    table = count_table(list(read_gold_files(gold).values()), s)
    if write is None:
        typer.echo(table)
        return
    try:
        write.write_text(replace_counts(write.read_text(encoding="utf-8"), table), encoding="utf-8")
    except (OSError, ValueError) as exc:
        fail(f"{write}: {exc}")
    typer.echo(f"counts written to {write}")


ExportOpt = Annotated[Path, typer.Option("--export", help="Export snapshot from `khabar export`.")]
InfoOpt = Annotated[
    Path, typer.Option("--project-info", help="Members and overlap, written by `khabar export`.")
]


@app.command()
def agreement(
    export_file: ExportOpt = Path("datasets/export/export.json"),
    project_info: InfoOpt = Path("datasets/export/project.json"),
    out: Annotated[Path, typer.Option(help="Folder of agreement.md/.png/.json.")] = Path(
        "datasets/agreement"
    ),
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
) -> None:
    """Agreement between annotators: span F1 (strict/overlap), trigger and argument F1, kappa
    per pair and Krippendorff's alpha, as Markdown, a heatmap and JSON (for the dataset card)."""
    from khabar.annotations.agreement import agreement as measure
    from khabar.annotations.agreement import collect, write_report
    from khabar.annotations.coding import read_project_info
    from khabar.io import read_json

    s = load_schema_or_fail(schema_path)
    if not export_file.is_file():
        fail(f"{export_file} not found: run `khabar export` (or `make export`) first")
    members, overlap = read_project_info(project_info)
    result = measure(collect(read_json(export_file), s, members, overlap))
    paths = write_report(result, out)
    for p in result["problems"]:
        typer.echo(f"  reported: {p}", err=True)
    o = result["overall"]
    figures = ", ".join(f"{k} {'–' if o[k] is None else f'{o[k]:.3f}'}" for k in
                        ("entity_strict", "entity_overlap", "trigger", "argument",
                         "mean_kappa_entity", "alpha_entity"))  # fmt: skip
    typer.echo(f"{result['tasks_compared']} tasks compared across "
               f"{len(result['annotators'])} annotators: {figures}; "
               f"{len(result['problems'])} reported -> {', '.join(map(str, paths))}")  # fmt: skip


@app.command(epilog=SERVER_HELP)
def adjudicate(
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
) -> None:
    """Push a merged proposal to every task whose annotators disagree, for a reviewer: agreed
    regions as they are, disputed ones marked. Star the reviewed annotation as ground truth."""
    from khabar.studio.client import LabelStudioError
    from khabar.studio.sync import adjudicate as run_adjudicate

    s = load_schema_or_fail(schema_path)
    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        export = json.loads(client.export(pid))
        report = run_adjudicate(client, pid, export, s, client.users())
    except LabelStudioError as exc:
        fail(str(exc))
    for p in report.problems + report.pushed.stale:
        typer.echo(f"  reported: {p}", err=True)
    typer.echo(f"{report.summary()}. Reviewers: open a disputed task, copy the "
               f"khabar-adjudication prediction, resolve the DISPUTED regions, submit and mark "
               f"it ground truth: {settings.url}/projects/{pid}")  # fmt: skip
