"""Review commands: find suspect annotations with out-of-fold models (`review-errors`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from khabar.cli._util import check_transfer, load_dataset, model_errors
from khabar.cli.app import SERVER_HELP, DatasetOpt, app, fail, options_from
from khabar.io import write_json
from khabar.model.train.args import TrainArgs

SUSPECTS_FILE = "suspects.jsonl"
REVIEW_FILE = "review.json"


@app.command("review-errors")
@options_from(TrainArgs, only=("epochs", "base_model", "transfer", "rehearsal", "device",
                               "precision"))  # fmt: skip
def review_errors(
    dataset: DatasetOpt = Path("datasets/dataset"),
    out: Annotated[
        Path, typer.Option(help=f"Folder for {SUSPECTS_FILE} (ranked) and {REVIEW_FILE}.")
    ] = Path("datasets/review"),
    folds: Annotated[
        int, typer.Option(help="Models to train, each judging the articles it never saw.")
    ] = 5,
    show: Annotated[int, typer.Option(help="Print this many of the top suspects.")] = 10,
    args: TrainArgs = None,  # the TrainArgs fields above are options (options_from)
) -> None:
    """Rank suspect annotations: out-of-fold predictions by article, cleanlab's label quality
    and span rules -> <out>/suspects.jsonl."""
    from khabar.io import write_jsonl
    from khabar.review.oof import out_of_fold
    from khabar.review.suspects import by_kind, find_suspects, summary
    from khabar.schema import load_schema

    check_transfer(args.transfer)
    dd = load_dataset(dataset)
    started = time.perf_counter()
    try:
        judged, cv = out_of_fold(dd, folds, args, load_schema(), log=typer.echo)
    except model_errors() as exc:
        fail(str(exc))
    suspects = find_suspects(judged)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / SUSPECTS_FILE, suspects)
    write_json(out / REVIEW_FILE, {
        "dataset": str(dataset), "folds": folds, "sentences": len(judged),
        "suspects": len(suspects), "seconds": round(time.perf_counter() - started, 1),
        "by_kind": by_kind(suspects), "cv_runs": cv["runs"],
    }, indent=2)  # fmt: skip
    for s in suspects[:show]:
        a = s["annotation"] or {}
        text = (
            a.get("text")
            or (a.get("entity") or {}).get("text")
            or (s["model"] or {}).get("text", "")
        )
        typer.echo(f"{s['rank']:>3}. {s['score']:.2f} {s['layer']} {s['kind']:<8} task "
                   f"{s['task_id']}: «{text}»: {s['why']}")  # fmt: skip
    typer.echo(f"{summary(suspects)} -> {out / SUSPECTS_FILE}")


@app.command("push-review", epilog=SERVER_HELP)
def push_review(
    suspects: Annotated[Path, typer.Option(help="Ranked suspects (review-errors).")] = Path(
        "datasets/review/suspects.jsonl"
    ),
    dataset: DatasetOpt = Path("datasets/dataset"),
) -> None:
    """Give every task with suspects a khabar-review prediction (fixes applied, each marked in
    its region note) and save the tab "khabar: suspected errors"."""
    from khabar.cli.app import connect
    from khabar.dataset.rows import rows_with_names
    from khabar.io import read_jsonl
    from khabar.review.proposal import REVIEW_VERSION, review_predictions
    from khabar.studio.client import LabelStudioError
    from khabar.studio.review import push_review as push

    if not suspects.is_file():
        fail(f"{suspects}: no such file; run `make review-errors` (khabar review-errors) first")
    dd = load_dataset(dataset)
    rows = [r for s in dd for r in rows_with_names(dd[s])]
    found = read_jsonl(suspects)
    preds = review_predictions(rows, found)
    sentences: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        sentences.setdefault(r["article_id"], []).append((r["sentence_start"], r["text"]))
    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        report, view = push(client, pid, preds, REVIEW_VERSION, sentences)
    except LabelStudioError as exc:
        fail(str(exc))
    for p in report.stale + report.no_task:
        typer.echo(f"  not reviewed (text changed since the export, or no task): {p}", err=True)
    typer.echo(f"{len(found)} suspects on {len(preds)} tasks: {report.summary()}. Review them "
               f"in the tab 'khabar: suspected errors': {settings.url}/projects/{pid}/data?tab="
               f"{view}")  # fmt: skip
