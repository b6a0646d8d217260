"""`khabar publish dataset|model`: build the Hub repository folder, upload it when configured."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import DatasetOpt, RunOpt, app, fail

PublicOpt = Annotated[bool, typer.Option(help="Create the repo public (default private).")]


def _published(folder: Path, url: str | None, public: bool, needed: dict[str, str]) -> None:
    """What was built, and where it went or what upload still needs (never the token itself)."""
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    typer.echo(f"built {folder}: {len(files)} files ({', '.join(files[:6])}"
               f"{', …' if len(files) > 6 else ''})")  # fmt: skip
    visibility = "public" if public else "private"
    if url:
        typer.echo(f"uploaded to {url} ({visibility})")
    else:
        need = " and ".join(name for name, value in needed.items() if not value)
        typer.echo(f"not uploaded: set {need} to send these {len(files)} files to the Hub as a "
                   f"{visibility} repository")  # fmt: skip


publish_app = typer.Typer(help="Build the Hub repository folder (and upload it when configured).",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(publish_app, name="publish")


@publish_app.command("dataset")
def publish_dataset(
    dataset: DatasetOpt = Path("datasets/dataset"),
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL): sources, dates.")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    export_file: Annotated[
        Path, typer.Option("--export", help="Export snapshot (annotators; problems.jsonl beside).")
    ] = Path("datasets/export/export.json"),
    card: Annotated[
        Path, typer.Option(help="Licence, name and citation of the card (required values).")
    ] = Path("annotation/dataset_card.yaml"),
    hub_root: Annotated[Path, typer.Option(help="Where repository folders are built.")] = Path(
        "datasets/hub"
    ),
    agreement_file: Annotated[
        Path, typer.Option("--agreement", help="agreement.json of `khabar agreement` (if any).")
    ] = Path("datasets/agreement/agreement.json"),
    review_file: Annotated[
        Path, typer.Option("--review", help="review.json of `khabar review-errors` (if any).")
    ] = Path("datasets/review/review.json"),
    repo: Annotated[
        str, typer.Option(envvar="HF_DATASET_REPO", help="Hub dataset repo id (user/name).")
    ] = "",
    public: PublicOpt = False,
) -> None:
    """Build datasets/hub/<repo>/ (parquet per split + a card generated from the data); with
    HF_TOKEN and HF_DATASET_REPO set, upload that same folder."""
    import os

    from khabar.corpus.article import read_articles
    from khabar.publish.dataset_card import publish_dataset as run_publish
    from khabar.publish.hub import PublishError

    arts = read_articles(articles) if articles.is_file() else []
    token = os.environ.get("HF_TOKEN", "")
    try:
        folder, url = run_publish(dataset, arts, export_file, card, hub_root, repo, token,
                                  private=not public, agreement_file=agreement_file,
                                  review_file=review_file)  # fmt: skip
    except PublishError as exc:
        fail(str(exc))
    _published(folder, url, public, {"HF_TOKEN": token, "HF_DATASET_REPO": repo})


@publish_app.command("model")
def publish_model(
    run_dir: RunOpt = Path("models/default"),
    card: Annotated[Path, typer.Option(help="Licence and name settings (as for the dataset).")] = (
        Path("annotation/dataset_card.yaml")
    ),
    dataset_repo: Annotated[
        str, typer.Option(envvar="HF_DATASET_REPO", help="Hub id of the training dataset.")
    ] = "",
    repo: Annotated[
        str, typer.Option(envvar="HF_MODEL_REPO", help="Hub model repo id (user/name).")
    ] = "",
    public: PublicOpt = False,
) -> None:
    """Build models/<run>/hub/ (models, run.json, a card with the report's figures); with
    HF_TOKEN and HF_MODEL_REPO set, upload that same folder."""
    import os

    from khabar.model.infer.run import RunError
    from khabar.publish.hub import PublishError
    from khabar.publish.model_card import publish_model as run_publish

    token = os.environ.get("HF_TOKEN", "")
    try:
        folder, url = run_publish(run_dir, card, dataset_repo, repo, token, private=not public)
    except (PublishError, RunError) as exc:
        fail(str(exc))
    _published(folder, url, public, {"HF_TOKEN": token, "HF_MODEL_REPO": repo})
