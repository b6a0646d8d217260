"""The `khabar` command: one subcommand per pipeline stage, explicit inputs and outputs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

app = typer.Typer(
    help="khabar: raw Hindi news -> Label Studio -> Hugging Face dataset -> model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

SchemaOpt = Annotated[
    Path, typer.Option("--schema", help="Annotation schema (single source of labels).")
]


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _schema(path: Path):
    from khabar.schema import SchemaError, load_schema

    try:
        return load_schema(path)
    except SchemaError as exc:
        _fail(str(exc))


def _client():
    from khabar.config import load_settings
    from khabar.lsclient import Client, LabelStudioError

    settings = load_settings()
    try:
        return Client(settings.url, settings.token), settings
    except LabelStudioError as exc:
        _fail(str(exc))


def _write_json(path: Path, payload) -> None:
    from khabar.corpus import write_atomic

    write_atomic(path, [json.dumps(payload, ensure_ascii=False, indent=1)])


def _write_lines(path: Path, rows: list[dict]) -> None:
    from khabar.corpus import write_atomic

    write_atomic(path, [json.dumps(r, ensure_ascii=False) + "\n" for r in rows])


# Written by `khabar export` beside the snapshot: who the user ids are, and the overlap.
PROJECT_INFO = "project.json"


def _project_info(path: Path) -> tuple[dict[int, str] | None, int | None]:
    """(user id -> email, overlap) from project.json; (None, None) when there is none."""
    if not path.is_file():
        return None, None
    info = json.loads(path.read_text(encoding="utf-8"))
    members = info.get("members")
    return ({int(k): v for k, v in members.items()} if members is not None else None,
            info.get("overlap"))  # fmt: skip


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help=".txt/.jsonl files or folders of them.")],
    out: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
) -> None:
    """Clean raw articles: NFC, boilerplate and repeats out, metadata, sentence spans."""
    from khabar.corpus import ingest as run_ingest
    from khabar.corpus import write_articles

    result = run_ingest(inputs)
    for err in result.errors:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    for dup in result.duplicates:
        typer.echo(f"skipped duplicate: {dup}", err=True)
    write_articles(result.articles, out)
    typer.echo(f"{result.summary()} -> {out}")
    if result.errors:
        raise typer.Exit(1)


@app.command()
def schema(
    schema_path: Annotated[Path, typer.Option("--schema", help="Schema YAML.")] = Path(
        "annotation/schema.yaml"
    ),
    out_dir: Annotated[Path, typer.Option(help="Where the generated files go.")] = Path(
        "annotation"
    ),
) -> None:
    """Generate the Label Studio config and annotator instructions from the schema."""
    from khabar.schema import write_generated

    s = _schema(schema_path)
    for path in write_generated(s, out_dir):
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(s.entities)} entity types, {len(s.events)} event types, {len(s.roles)} roles")


@app.command()
def tasks(
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    out: Annotated[Path, typer.Option(help="Label Studio tasks (JSON).")] = Path(
        "datasets/tasks/tasks.json"
    ),
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
    gazetteer: Annotated[Path, typer.Option(help="Names for the rule pre-annotator.")] = Path(
        "annotation/gazetteer.yaml"
    ),
) -> None:
    """Make one Label Studio task per article, with rule + gazetteer pre-annotations."""
    from khabar.corpus import read_articles
    from khabar.prelabel import build_task, load_gazetteer

    s = _schema(schema_path)
    gaz = load_gazetteer(gazetteer)
    try:
        arts = read_articles(articles)
    except FileNotFoundError as exc:
        _fail(str(exc))
    built = [build_task(a, s, gaz) for a in tqdm(arts, desc="pre-annotating", unit="article")]
    _write_json(out, built)
    n = sum(len(t["predictions"][0]["result"]) for t in built)
    typer.echo(f"{len(built)} tasks, {n} pre-annotated regions -> {out}")


@app.command()
def push(
    tasks_file: Annotated[
        Path, typer.Option("--tasks", help="Tasks JSON from `khabar tasks`.")
    ] = Path("datasets/tasks/tasks.json"),
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
    chunk_size: Annotated[int, typer.Option(help="Tasks per import request.")] = 500,
    overlap: Annotated[
        int | None,
        typer.Option(min=1, help="How many annotators label each task (unset: leave as is)."),
    ] = None,
) -> None:
    """Create or update the Label Studio project and import tasks (idempotent)."""
    from khabar.lsclient import LabelStudioError
    from khabar.schema import instructions_html, label_config
    from khabar.sync import push as run_push

    s = _schema(schema_path)
    if not tasks_file.is_file():
        _fail(f"{tasks_file} not found: run `khabar tasks` (or `make tasks`) first")
    payload = json.loads(tasks_file.read_text(encoding="utf-8"))
    client, settings = _client()
    try:
        pid = client.ensure_project(settings.project, label_config(s), instructions_html(s))
        with tqdm(total=len(payload), desc="importing", unit="task") as bar:
            report = run_push(client, pid, payload, chunk_size, on_chunk=bar.update)
        if overlap:
            client.set_overlap(pid, overlap)
        current = client.project_settings(pid)["overlap"]
    except LabelStudioError as exc:
        _fail(str(exc))
    for line in report.conflicts + report.stale:
        typer.echo(f"  note: {line}", err=True)
    typer.echo(f"{report.summary()}; {current} annotator(s) per task; "
               f"open {settings.url}/projects/{pid}")  # fmt: skip


@app.command("load-annotations")
def load_annotations(
    gold: Annotated[Path, typer.Option(help="Folder of gold annotations (*.json).")] = Path(
        "annotation/gold"
    ),
    tasks_file: Annotated[Path, typer.Option("--tasks")] = Path("datasets/tasks/tasks.json"),
) -> None:
    """Load gold annotations into Label Studio; without gold, the rule predictions stand in."""
    from khabar.lsclient import LabelStudioError
    from khabar.sync import load_gold, load_standins, read_gold

    client, settings = _client()
    try:
        pid = client.find_project(settings.project)
        items = read_gold(gold) if gold.is_dir() else []
        if items:
            report = load_gold(client, pid, items)
            kind = f"gold from {gold}"
        else:
            version = json.loads(tasks_file.read_text(encoding="utf-8"))[0]["predictions"][0][
                "model_version"
            ]
            typer.secho(
                f"No gold annotations in {gold}: loading the {version} pre-annotations as "
                "STAND-IN annotations (marked prediction-standin in the dataset).",
                fg=typer.colors.YELLOW,
            )
            report = load_standins(client, pid, version)
            kind = "stand-ins"
    except LabelStudioError as exc:
        _fail(str(exc))
    for p in report.problems:
        typer.echo(f"  problem: {p}", err=True)
    typer.echo(f"{kind}: {report.summary()}")
    if report.problems:
        raise typer.Exit(1)


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
    from khabar.corpus import write_atomic
    from khabar.dataset import build_dataset
    from khabar.lsclient import LabelStudioError

    s = _schema(schema_path)
    try:
        fractions = tuple(float(x) for x in split.split(","))
    except ValueError:
        _fail(f"--split must be three numbers like 0.6,0.2,0.2, not {split!r}")
    info_file = out.parent / PROJECT_INFO
    if not from_file:
        client, settings = _client()
        try:
            pid = client.find_project(settings.project)
            raw = client.export(pid)
            info = {"project_id": pid, "overlap": client.project_settings(pid)["overlap"],
                    "members": client.users()}  # fmt: skip
        except LabelStudioError as exc:
            _fail(str(exc))
        write_atomic(out, [raw.decode("utf-8")])
        _write_json(info_file, info)
    if not out.is_file():
        _fail(f"{out} not found: run `khabar export` without --from-file first")
    payload = json.loads(out.read_text(encoding="utf-8"))
    members, overlap = _project_info(info_file)
    try:
        dd, report = build_dataset(payload, s, dataset_dir, conll_dir, fractions, seed,
                                   members, overlap)  # fmt: skip
    except ValueError as exc:
        _fail(str(exc))
    problems_file = out.parent / "problems.jsonl"
    _write_lines(problems_file, [asdict(p) for p in report.problems])
    _write_lines(out.parent / "decisions.jsonl", report.decisions)
    typer.echo(report.summary())
    sizes = ", ".join(f"{k} {len(v)}" for k, v in dd.items())
    typer.echo(f"dataset -> {dataset_dir} ({sizes} sentences); CoNLL -> {conll_dir}; "
               f"{len(report.problems)} problems listed in {problems_file}")  # fmt: skip


GoldOpt = Annotated[Path, typer.Option("--gold", help="Folder of gold files (*.json).")]
ArticlesOpt = Annotated[Path, typer.Option(help="Cleaned corpus (JSONL) the gold refers to.")]


def _gold_and_articles(gold: Path, articles: Path):
    from khabar.corpus import read_articles
    from khabar.gold import read_gold_files

    files = read_gold_files(gold) if gold.is_dir() else {}
    if not files:
        _fail(f"no gold files (*.json) in {gold}")
    if not articles.is_file():
        _fail(f"{articles} not found: run `khabar ingest` (or `make ingest`) first")
    arts = read_articles(articles)
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
    from khabar.gold import validate_item

    s = _schema(schema_path)
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
        _fail(f"{bad} of {len(pairs)} gold files have problems")
    typer.echo(f"{len(pairs)} gold files valid")


@app.command("reanchor-gold")
def reanchor_gold(
    gold: GoldOpt = Path("annotation/gold"),
    articles: ArticlesOpt = Path("datasets/cleaned/articles.jsonl"),
) -> None:
    """Move gold spans onto the current cleaned text after ingest changed it (by content and
    context, never by old offsets); report every span it could not place."""
    from khabar.gold import reanchor, write_gold
    from khabar.lsformat import content_hash

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
        _fail(
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
    from khabar.gold import count_table, read_gold_files, replace_counts

    s = _schema(schema_path)
    table = count_table(list(read_gold_files(gold).values()), s)
    if write is None:
        typer.echo(table)
        return
    try:
        write.write_text(replace_counts(write.read_text(encoding="utf-8"), table), encoding="utf-8")
    except (OSError, ValueError) as exc:
        _fail(f"{write}: {exc}")
    typer.echo(f"counts written to {write}")


# ------------------------------------------------------------------ model: train, evaluate, predict

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="DatasetDict folder (khabar export).")]
RunOpt = Annotated[Path, typer.Option("--run", help="Run folder, models/<run>.")]


def _targ(name: str) -> str:
    """Help text of a TrainArgs field, so the CLI and run.json describe it the same way."""
    from khabar.training import TrainArgs

    return TrainArgs.__dataclass_fields__[name].metadata["help"]


def _load_dataset(path: Path):
    from datasets import load_from_disk

    if not (path / "dataset_dict.json").is_file():
        _fail(f"{path} is not a khabar dataset: run `make dataset` (or `khabar export`) first")
    try:
        dd = load_from_disk(str(path))
    except IndexError:  # datasets cannot reload a split saved with no rows
        _fail(f"{path} cannot be read; is a split empty? Annotate more articles, then export")
    missing = [s for s in ("train", "validation") if s not in dd or not len(dd[s])]
    if missing:
        _fail(f"{path} has no {' or '.join(missing)} rows: annotate more articles, then export")
    return dd


def _model_errors():
    """Errors a user can fix (a missing or incomplete run, a label mismatch, a bad tag map)."""
    from khabar.modeling import RunError

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
    batch_size: Annotated[int, typer.Option(help=_targ("batch_size"))] = 16,
    max_length: Annotated[int, typer.Option(help=_targ("max_length"))] = 128,
    seed: Annotated[int, typer.Option(help=_targ("seed"))] = 13,
    extra_train: Annotated[list[Path], typer.Option(help=_targ("extra_train"))] = [],  # noqa: B006
    tag_map: Annotated[str, typer.Option(help=_targ("tag_map"))] = "",
    baselines: Annotated[bool, typer.Option(help=_targ("baselines"))] = True,
) -> None:
    """Fine-tune the NER tagger and the event classifier, train the baselines, score them all."""
    import time

    from khabar.report import score_run, write_metrics
    from khabar.training import HINER_TAG_MAP, TrainArgs, train_run

    for p in extra_train:
        if not p.is_file():
            _fail(f"--extra-train {p}: no such file")
    args = TrainArgs(
        base_model=base_model, epochs=epochs, event_epochs=event_epochs,
        learning_rate=learning_rate, batch_size=batch_size, max_length=max_length, seed=seed,
        extra_train=[str(p) for p in extra_train], tag_map=tag_map or HINER_TAG_MAP,
        baselines=baselines,
    )  # fmt: skip
    dd = _load_dataset(dataset)
    started = time.perf_counter()
    try:
        run = train_run(dd, out, args, str(dataset))
        metrics = write_metrics(run, score_run(run, dd)[0])
    except _model_errors() as exc:
        _fail(str(exc))
    info = run.info
    if info["extra_train_sentences"]:
        typer.echo(f"extra training: {info['extra_train_sentences']} sentences; tags mapped to O: "
                   f"{info['extra_train_dropped_tags']}")  # fmt: skip
    summary = _summary(json.loads(metrics.read_text(encoding="utf-8")))
    typer.echo(f"run {run.name}: {summary}; {time.perf_counter() - started:.0f} s -> {out}")


@app.command()
def evaluate(
    run_dir: RunOpt = Path("models/default"),
    dataset: DatasetOpt = Path("datasets/dataset"),
) -> None:
    """Score the run and its baselines; write metrics.json, report.md and confusion PNGs."""
    from khabar.modeling import load_run
    from khabar.report import score_run, write_metrics, write_report

    dd = _load_dataset(dataset)
    try:
        run = load_run(run_dir)
        metrics, preds = score_run(run, dd)
    except _model_errors() as exc:
        _fail(str(exc))
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
    from khabar.corpus import read_articles
    from khabar.modeling import load_run
    from khabar.prediction import predict_articles, write_records

    if not articles.is_file():
        _fail(f"{articles} not found: run `khabar ingest` (or `make ingest`) first")
    arts = read_articles(articles)
    try:
        run = load_run(run_dir, baselines=False)
    except _model_errors() as exc:
        _fail(str(exc))
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


@app.command("push-predictions")
def push_predictions(
    predictions: Annotated[Path, typer.Option(help="Predictions JSONL from `khabar predict`.")],
) -> None:
    """Put a run's predictions into Label Studio (model_version = run; a rerun replaces them)."""
    from khabar.lsclient import LabelStudioError
    from khabar.prediction import ls_prediction, read_records
    from khabar.sync import replace_predictions

    if not predictions.is_file():
        _fail(f"{predictions} not found: run `khabar predict` (or `make predict`) first")
    records = read_records(predictions)
    client, settings = _client()
    try:
        pid = client.find_project(settings.project)
        report = replace_predictions(
            client, pid, {r["article_id"]: ls_prediction(r) for r in records},
            {r["article_id"]: r["content_hash"] for r in records},
        )  # fmt: skip
    except LabelStudioError as exc:
        _fail(str(exc))
    for line in report.stale:
        typer.echo(f"  skipped (text changed since prediction): {line}", err=True)
    version = records[0]["model_version"] if records else "?"
    typer.echo(f"model_version {version}: {report.summary()}; sort by prediction score "
               f"(ascending) for least confident first: {settings.url}/projects/{pid}")  # fmt: skip


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
    from khabar.agreement import agreement as measure
    from khabar.agreement import collect, write_report

    s = _schema(schema_path)
    if not export_file.is_file():
        _fail(f"{export_file} not found: run `khabar export` (or `make export`) first")
    members, overlap = _project_info(project_info)
    result = measure(collect(json.loads(export_file.read_text("utf-8")), s, members, overlap))
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


@app.command()
def adjudicate(
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
) -> None:
    """Push a merged proposal to every task whose annotators disagree, for a reviewer: agreed
    regions as they are, disputed ones marked. Star the reviewed annotation as ground truth."""
    from khabar.lsclient import LabelStudioError
    from khabar.sync import adjudicate as run_adjudicate

    s = _schema(schema_path)
    client, settings = _client()
    try:
        pid = client.find_project(settings.project)
        export = json.loads(client.export(pid))
        report = run_adjudicate(client, pid, export, s, client.users())
    except LabelStudioError as exc:
        _fail(str(exc))
    for p in report.problems + report.pushed.stale:
        typer.echo(f"  reported: {p}", err=True)
    typer.echo(f"{report.summary()}. Reviewers: open a disputed task, copy the "
               f"khabar-adjudication prediction, resolve the DISPUTED regions, submit and mark "
               f"it ground truth: {settings.url}/projects/{pid}")  # fmt: skip


@app.command()
def queue(
    model_version: Annotated[
        str | None,
        typer.Option(
            help="Prediction version whose uncertainty ranks tasks (default: newest "
            "model run, else the rule pre-annotator)."
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="How many of the next tasks to list.")] = 5,
) -> None:
    """Order Label Studio's task list least confident first and say how many tasks remain."""
    from khabar.lsclient import LabelStudioError
    from khabar.sync import QUEUE_VIEW
    from khabar.sync import queue as run_queue

    client, settings = _client()
    try:
        pid = client.find_project(settings.project)
        report = run_queue(client, pid, model_version)
    except LabelStudioError as exc:
        _fail(str(exc))
    for tid, u in report.order[:show]:
        typer.echo(f"  task {tid}: uncertainty {'–' if u is None else f'{u:.3f}'}")
    where = f"tab {QUEUE_VIEW!r}, " if report.view_id else ""
    typer.echo(f"{report.summary()}; {where}{settings.url}/projects/{pid}")


annotators_app = typer.Typer(help="Annotator accounts in Label Studio.", no_args_is_help=True)
app.add_typer(annotators_app, name="annotators")


@annotators_app.command("add")
def annotators_add(
    names: Annotated[list[str], typer.Argument(help="Names (asha) or emails (asha@example.org).")],
    domain: Annotated[str, typer.Option(help="Email domain for plain names.")] = "khabar.local",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="KHABAR_ANNOTATOR_PASSWORD",
            show_default=False,
            help="One password for all (default: a new random one each).",
        ),
    ] = None,
    credentials: Annotated[
        Path, typer.Option(help="Where new passwords are kept (mode 600, never printed).")
    ] = Path(".labelstudio/annotators.json"),
) -> None:
    """Create annotator accounts that can log in to Label Studio (existing ones are kept)."""
    import secrets

    from khabar.corpus import write_atomic
    from khabar.lsclient import LabelStudioError

    client, settings = _client()
    saved = json.loads(credentials.read_text("utf-8")) if credentials.is_file() else {}
    for name in names:
        email = name if "@" in name else f"{name}@{domain}"
        secret = password or secrets.token_urlsafe(12)
        try:
            uid, created = client.add_annotator(email, secret, name.split("@")[0])
        except LabelStudioError as exc:
            _fail(str(exc))
        if created:
            # Saved at once, private from the first byte: a later failure must not lose it.
            saved[email] = {"user_id": uid, "password": secret}
            write_atomic(credentials, [json.dumps(saved, indent=1)], mode=0o600)
        typer.echo(f"{email}: user {uid}, {'created' if created else 'already there'}")
    typer.echo(f"passwords of new accounts are in {credentials}; log in at {settings.url}")


@annotators_app.command("list")
def annotators_list() -> None:
    """Members of the Label Studio organisation (id and email)."""
    from khabar.lsclient import LabelStudioError

    client, _ = _client()
    try:
        users = client.users()
    except LabelStudioError as exc:
        _fail(str(exc))
    for uid, email in sorted(users.items()):
        typer.echo(f"{uid}\t{email}")


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
    from khabar.training import TrainArgs, read_texts
    from khabar.training import pretrain as run_pretrain

    texts = []
    for path in [articles, *extra_text]:
        if not path.is_file():
            _fail(f"{path} not found")
        texts += read_texts(path)
    if not texts:
        _fail("no text to pretrain on")
    info = run_pretrain(texts, out, TrainArgs(max_length=max_length, seed=seed), epochs)
    typer.echo(f"pretrained on {len(texts)} sentences, final MLM loss {info['mlm_loss']:.3f}, "
               f"{info['seconds']:.0f} s -> {out}; use it with BASE_MODEL={out}")  # fmt: skip


# ------------------------------------------------------------------ publish to the Hub

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
    repo: Annotated[
        str, typer.Option(envvar="HF_DATASET_REPO", help="Hub dataset repo id (user/name).")
    ] = "",
    public: PublicOpt = False,
) -> None:
    """Build datasets/hub/<repo>/ (parquet per split + a card generated from the data); with
    HF_TOKEN and HF_DATASET_REPO set, upload that same folder."""
    import os

    from khabar.corpus import read_articles
    from khabar.publish import PublishError
    from khabar.publish import publish_dataset as run_publish

    arts = read_articles(articles) if articles.is_file() else []
    token = os.environ.get("HF_TOKEN", "")
    try:
        folder, url = run_publish(dataset, arts, export_file, card, hub_root, repo, token,
                                  private=not public, agreement_file=agreement_file)  # fmt: skip
    except PublishError as exc:
        _fail(str(exc))
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

    from khabar.modeling import RunError
    from khabar.publish import PublishError
    from khabar.publish import publish_model as run_publish

    token = os.environ.get("HF_TOKEN", "")
    try:
        folder, url = run_publish(run_dir, card, dataset_repo, repo, token, private=not public)
    except (PublishError, RunError) as exc:
        _fail(str(exc))
    _published(folder, url, public, {"HF_TOKEN": token, "HF_MODEL_REPO": repo})


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
