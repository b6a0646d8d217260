"""`khabar export`: annotations out of Label Studio, validated, into the dataset and CoNLL."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import SERVER_HELP, app, connect, fail, load_schema_or_fail


def download_export(client, project_id: int, out: Path) -> int:
    """Stream the project's export into `out` (through a temporary file); an export identical
    to the snapshot there leaves it untouched, so make rebuilds nothing. Its size in bytes."""
    import filecmp

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".download")
    try:
        with tmp.open("wb") as sink:
            client.export_to(project_id, sink)
    except BaseException:  # nothing half-downloaded is left beside the snapshot
        tmp.unlink(missing_ok=True)
        raise
    size = tmp.stat().st_size
    if out.is_file() and filecmp.cmp(tmp, out, shallow=False):
        tmp.unlink()
    else:
        tmp.replace(out)
    return size


@app.command(epilog=SERVER_HELP)
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
    seed: Annotated[
        int, typer.Option(help="Seed of the order in which several new articles get a split.")
    ] = 13,
    splits_file: Annotated[
        Path,
        typer.Option(
            "--splits",
            help="Split manifest (article id, split): articles keep their split; new ones are "
            "added to the split furthest below its fraction.",
        ),
    ] = Path("annotation/splits.tsv"),
    snap: Annotated[
        str,
        typer.Option(
            help="'words': move a region whose edge cuts a word or a grapheme cluster, or has a "
            "space, punctuation or ZWJ/ZWNJ at an edge, onto the words it touches (each repair "
            "counted and listed) instead of dropping it as a data error.",
        ),
    ] = "",
    build: Annotated[
        bool,
        typer.Option(
            help="Build the dataset and CoNLL files; --no-build only pulls the snapshot (the "
            "Makefile builds in its own stage, so a run of `make all` builds once)."
        ),
    ] = True,
) -> None:
    """Export annotations, validate every region and write the dataset and CoNLL files."""
    from khabar.annotations.coding import PROJECT_INFO, read_project_info
    from khabar.dataset.build import build_dataset
    from khabar.dataset.splits import read_manifest, write_manifest
    from khabar.io import iter_items, jsonl_lines, write_if_changed
    from khabar.studio.client import LabelStudioError

    s = load_schema_or_fail(schema_path)
    if snap not in ("", "words"):
        fail(f"--snap takes 'words' (or nothing), not {snap!r}")
    try:
        fractions = tuple(float(x) for x in split.split(","))
    except ValueError:
        fail(f"--split must be three numbers like 0.6,0.2,0.2, not {split!r}")
    info_file = out.parent / PROJECT_INFO
    if from_file and not build:
        fail("--from-file --no-build does nothing: give one of them")
    if not from_file:
        client, settings = connect()
        try:
            pid = client.find_project(settings.project)
            size = download_export(client, pid, out)
            info = {"project_id": pid, "overlap": client.project_settings(pid)["overlap"],
                    "members": client.users()}  # fmt: skip
        except LabelStudioError as exc:
            fail(str(exc))
        write_if_changed(info_file, json.dumps(info, ensure_ascii=False, indent=1))
        if not build:
            # Not parsed here: the build stage reads it, and a large export is parsed once.
            typer.echo(f"export snapshot ({size:,} bytes) -> {out}; build with --from-file")
            return
    if not out.is_file():
        fail(f"{out} not found: run `khabar export` without --from-file first")
    payload = iter_items(out)  # parsed task by task (ijson), never whole
    members, overlap = read_project_info(info_file)
    try:
        manifest = read_manifest(splits_file)
        dd, report = build_dataset(payload, s, dataset_dir, conll_dir, fractions, seed,
                                   members, overlap, manifest, snap == "words")  # fmt: skip
    except ValueError as exc:  # ManifestError is one
        fail(str(exc))
    if report.manifest != manifest:
        write_manifest(splits_file, report.manifest)
        new = {a: t for a, t in report.manifest.items() if a not in manifest}
        typer.echo(f"{len(new)} new articles added to {splits_file}: "
                   + ", ".join(f"{a} -> {t}" for a, t in sorted(new.items())))  # fmt: skip
    problems_file = out.parent / "problems.jsonl"
    write_if_changed(problems_file, "".join(jsonl_lines(asdict(p) for p in report.problems)))
    write_if_changed(out.parent / "decisions.jsonl", "".join(jsonl_lines(report.decisions)))
    typer.echo(report.summary())
    sizes = ", ".join(f"{k} {len(v)}" for k, v in dd.items())
    state = "unchanged, not rewritten" if report.unchanged else "written"
    typer.echo(f"dataset {state} -> {dataset_dir} ({sizes} sentences); CoNLL -> {conll_dir}; "
               f"{len(report.problems)} problems listed in {problems_file}")  # fmt: skip
