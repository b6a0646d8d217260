"""`khabar export`: annotations out of Label Studio, validated, into the dataset and CoNLL."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import app, connect, fail, load_schema_or_fail


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Raw Label Studio export snapshot (JSON).")] = Path(
        "datasets/export/export.json"
    ),
    dataset_dir: Annotated[Path, typer.Option("--dataset", help="DatasetDict folder.")] = Path(
        "datasets/dataset"
    ),
    conll_dir: Annotated[Path, typer.Option("--conll", help="CoNLL folder.")] = Path(
        "datasets/conll"
    ),
    from_file: Annotated[
        bool,
        typer.Option(help="Rebuild from the existing snapshot without contacting Label Studio."),
    ] = False,
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
    split: Annotated[
        str, typer.Option(help="train,validation,test fractions (by article).")
    ] = "0.6,0.2,0.2",
    seed: Annotated[int, typer.Option(help="Seed of the article split.")] = 13,
) -> None:
    """Export annotations, validate every region and write the dataset and CoNLL files."""
    from khabar.annotations.coding import PROJECT_INFO, read_project_info
    from khabar.dataset.build import build_dataset
    from khabar.io import read_json, write_atomic, write_json, write_jsonl
    from khabar.studio.client import LabelStudioError

    s = load_schema_or_fail(schema_path)
    try:
        fractions = tuple(float(x) for x in split.split(","))
    except ValueError:
        fail(f"--split must be three numbers like 0.6,0.2,0.2, not {split!r}")
    info_file = out.parent / PROJECT_INFO
    if not from_file:
        client, settings = connect()
        try:
            pid = client.find_project(settings.project)
            raw = client.export(pid)
            info = {"project_id": pid, "overlap": client.project_settings(pid)["overlap"],
                    "members": client.users()}  # fmt: skip
        except LabelStudioError as exc:
            fail(str(exc))
        write_atomic(out, [raw.decode("utf-8")])
        write_json(info_file, info)
    if not out.is_file():
        fail(f"{out} not found: run `khabar export` without --from-file first")
    payload = read_json(out)
    members, overlap = read_project_info(info_file)
    try:
        dd, report = build_dataset(payload, s, dataset_dir, conll_dir, fractions, seed,
                                   members, overlap)  # fmt: skip
    except ValueError as exc:
        fail(str(exc))
    problems_file = out.parent / "problems.jsonl"
    write_jsonl(problems_file, [asdict(p) for p in report.problems])
    write_jsonl(out.parent / "decisions.jsonl", report.decisions)
    typer.echo(report.summary())
    sizes = ", ".join(f"{k} {len(v)}" for k, v in dd.items())
    typer.echo(f"dataset -> {dataset_dir} ({sizes} sentences); CoNLL -> {conll_dir}; "
               f"{len(report.problems)} problems listed in {problems_file}")  # fmt: skip
