"""Label Studio commands: the generated config, tasks with pre-annotations, push, loading gold,
model predictions, the least-confident-first queue and annotator accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from khabar.cli.app import SERVER_HELP, app, connect, fail, load_schema_or_fail
from khabar.io import count_items, iter_items, read_json, write_items, write_json
from khabar.model.infer.strategies import QUEUE_STRATEGY


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

    s = load_schema_or_fail(schema_path)
    for path in write_generated(s, out_dir):
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(s.entities)} entity types, {len(s.events)} event types, {len(s.roles)} roles")


@app.command()
def tasks(
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    out: Annotated[
        Path, typer.Option(help="Label Studio tasks: JSONL (or one JSON array, for a .json path).")
    ] = Path("datasets/tasks/tasks.jsonl"),
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
    gazetteer: Annotated[Path, typer.Option(help="Names for the rule pre-annotator.")] = Path(
        "annotation/gazetteer.yaml"
    ),
) -> None:
    """Make one Label Studio task per article, with rule + gazetteer pre-annotations."""
    from khabar.corpus.article import iter_articles, require_corpus
    from khabar.studio.prelabel import build_task, load_gazetteer

    s = load_schema_or_fail(schema_path)
    gaz = load_gazetteer(gazetteer)
    try:
        require_corpus(articles)
    except FileNotFoundError as exc:
        fail(str(exc))
    regions = 0

    def built():  # one article at a time: a corpus of any size streams through
        nonlocal regions
        total = count_items(articles)
        for a in tqdm(iter_articles(articles), total=total, desc="pre-annotating", unit="article"):
            task = build_task(a, s, gaz)
            regions += len(task["predictions"][0]["result"])
            yield task

    n = write_items(out, built())
    typer.echo(f"{n} tasks, {regions} pre-annotated regions -> {out}")


@app.command(epilog=SERVER_HELP)
def push(
    tasks_file: Annotated[
        Path, typer.Option("--tasks", help="Tasks (JSONL or JSON) from `khabar tasks`.")
    ] = Path("datasets/tasks/tasks.jsonl"),
    schema_path: Annotated[Path, typer.Option("--schema")] = Path("annotation/schema.yaml"),
    chunk_size: Annotated[int, typer.Option(help="Tasks per import request.")] = 500,
    overlap: Annotated[
        int | None,
        typer.Option(min=1, help="How many annotators label each task (unset: leave as is)."),
    ] = None,
) -> None:
    """Create or update the Label Studio project and import tasks (idempotent)."""
    from khabar.schema import instructions_html, label_config
    from khabar.studio.client import LabelStudioError
    from khabar.studio.sync import push as run_push

    s = load_schema_or_fail(schema_path)
    if not tasks_file.is_file():
        fail(f"{tasks_file} not found: run `khabar tasks` (or `make tasks`) first")
    client, settings = connect()
    try:
        pid = client.ensure_project(settings.project, label_config(s), instructions_html(s))
        with tqdm(total=count_items(tasks_file), desc="importing", unit="task") as bar:
            report = run_push(client, pid, iter_items(tasks_file), chunk_size,
                              on_chunk=bar.update)  # fmt: skip
        if overlap:
            client.set_overlap(pid, overlap)
        current = client.project_settings(pid)["overlap"]
    except LabelStudioError as exc:
        fail(str(exc))
    for line in report.conflicts + report.stale:
        typer.echo(f"  note: {line}", err=True)
    typer.echo(f"{report.summary()}; {current} annotator(s) per task; "
               f"open {settings.url}/projects/{pid}")  # fmt: skip


@app.command(epilog=SERVER_HELP)
def reanchor(
    tasks_file: Annotated[
        Path, typer.Option("--tasks", help="Tasks from `khabar tasks` (the new text).")
    ] = Path("datasets/tasks/tasks.jsonl"),
) -> None:
    """After a cleaning change: move the annotations and predictions of every task whose text
    changed onto the new text, by content and context, and update the task (then `push` has no
    conflicts). What cannot be placed is kept in the task's data and listed here."""
    from khabar.studio.client import LabelStudioError
    from khabar.studio.sync import reanchor_tasks

    if not tasks_file.is_file():
        fail(f"{tasks_file} not found: run `khabar tasks` (or `make tasks`) first")
    client, settings = connect()
    try:
        report = reanchor_tasks(client, client.find_project(settings.project),
                                list(iter_items(tasks_file)))  # fmt: skip
    except LabelStudioError as exc:
        fail(str(exc))
    for u in report.unplaced:
        where = (
            f"annotation {u['annotation']}"
            if "annotation" in u
            else f"prediction {u['prediction']}"
        )
        typer.echo(f"  not placed: task {u['task']} {where}: {u['item']} ({u['reason']})", err=True)
    typer.echo(report.summary() + ("; the unplaced items are kept in each task's data "
                                   "(reanchor_unplaced) and listed by the export"
                                   if report.unplaced else ""))  # fmt: skip


@app.command("load-annotations", epilog=SERVER_HELP)
def load_annotations(
    gold: Annotated[Path, typer.Option(help="Folder of gold annotations (*.json).")] = Path(
        "annotation/gold"
    ),
    tasks_file: Annotated[Path, typer.Option("--tasks")] = Path("datasets/tasks/tasks.jsonl"),
) -> None:
    """Load gold annotations into Label Studio; without gold, the rule predictions stand in."""
    from khabar.annotations.gold import read_gold
    from khabar.studio.client import LabelStudioError
    from khabar.studio.sync import load_gold, load_standins

    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        items = read_gold(gold) if gold.is_dir() else []
        if items:
            report = load_gold(client, pid, items)
            kind = f"gold from {gold}"
        else:
            version = next(iter_items(tasks_file))["predictions"][0]["model_version"]
            typer.secho(
                f"No gold annotations in {gold}: loading the {version} pre-annotations as "
                "STAND-IN annotations (marked prediction-standin in the dataset).",
                fg=typer.colors.YELLOW,
            )
            report = load_standins(client, pid, version)
            kind = "stand-ins"
    except LabelStudioError as exc:
        fail(str(exc))
    for p in report.problems:
        typer.echo(f"  problem: {p}", err=True)
    typer.echo(f"{kind}: {report.summary()}")
    if report.problems:
        raise typer.Exit(1)


class PredictionFile:
    """`khabar predict`'s records as a `sync.PredictionSource`: the file is read twice and never
    held (100,000 records are gigabytes). Each prediction's score is `strategy`'s."""

    def __init__(self, path: Path, strategy: str | None = None) -> None:
        self.path, self.strategy = path, strategy or QUEUE_STRATEGY

    def versions(self):
        """(article_id, model_version) of every record."""
        from khabar.io import iter_jsonl

        return ((r["article_id"], r["model_version"]) for r in iter_jsonl(self.path))

    def items(self):
        """(article_id, Label Studio prediction) of every record."""
        from khabar.io import iter_jsonl
        from khabar.model.infer.prediction import ls_prediction

        return ((r["article_id"], ls_prediction(r, self.strategy)) for r in iter_jsonl(self.path))


StrategyOpt = Annotated[str | None, typer.Option(
    envvar="KHABAR_QUEUE_STRATEGY", show_default=False,
    help="What the prediction score ranks tasks by: uncertainty (least confidence over every "
         "layer), margin, entropy or mnlp (the entity layer's); default: "
         f"{QUEUE_STRATEGY} (docs/benchmarks.md measures them).")]  # fmt: skip


def _push(client, pid: int, predictions: Path, strategy: str | None):
    """Replace the run's predictions in the project, each scored by `strategy`."""
    from khabar.studio.sync import replace_predictions

    hashes, version = {}, "?"
    for r in iter_items(predictions):
        hashes[r["article_id"]], version = r["content_hash"], r["model_version"]
    source = PredictionFile(predictions, strategy)
    try:
        next(iter(source.items()), None)  # a strategy the records cannot rank by fails here
    except ValueError as exc:
        fail(str(exc))
    with tqdm(total=len(hashes), desc="predictions", unit="task") as bar:
        report = replace_predictions(client, pid, source, hashes, on_chunk=bar.update)
    return report, version


@app.command("push-predictions", epilog=SERVER_HELP)
def push_predictions(
    predictions: Annotated[Path, typer.Option(help="Predictions JSONL from `khabar predict`.")],
    strategy: StrategyOpt = None,
) -> None:
    """Put a run's predictions into Label Studio (model_version = run; a rerun replaces them)."""
    from khabar.studio.client import LabelStudioError

    if not predictions.is_file():
        fail(f"{predictions} not found: run `khabar predict` (or `make predict`) first")
    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        report, version = _push(client, pid, predictions, strategy)
    except LabelStudioError as exc:
        fail(str(exc))
    for line in report.stale:
        typer.echo(f"  skipped (text changed since prediction): {line}", err=True)
    typer.echo(f"model_version {version}: {report.summary()}; sort by prediction score "
               f"(ascending) for least confident first: {settings.url}/projects/{pid}")  # fmt: skip


@app.command(epilog=SERVER_HELP)
def queue(
    model_version: Annotated[
        str | None,
        typer.Option(
            help="Prediction version whose uncertainty ranks tasks (default: the run the "
            "connected ML backend serves, else the newest model run, else the rule "
            "pre-annotator)."
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="How many of the next tasks to list.")] = 5,
    strategy: StrategyOpt = None,
    predictions: Annotated[
        Path,
        typer.Option(help="With --strategy: the run's predictions, pushed again scored by it."),
    ] = Path("datasets/predictions/default.jsonl"),
) -> None:
    """Order Label Studio's task list least confident first (or by --strategy) and say how many
    tasks remain."""
    from khabar.studio.client import LabelStudioError
    from khabar.studio.queue import QUEUE_VIEW, QueueError
    from khabar.studio.queue import queue as run_queue

    if strategy and not predictions.is_file():
        fail(f"--strategy {strategy}: {predictions} not found; run `make predict` (or give "
             "--predictions)")  # fmt: skip
    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        if strategy:  # the scores Label Studio sorts by are the strategy's from now on
            _, version = _push(client, pid, predictions, strategy)
            model_version = model_version or version
        report = run_queue(client, pid, model_version)
    except (LabelStudioError, QueueError) as exc:
        fail(str(exc))
    for tid, u in report.order[:show]:
        typer.echo(f"  task {tid}: uncertainty {'–' if u is None else f'{u:.3f}'}")
    where = f"tab {QUEUE_VIEW!r}, " if report.view_id else ""
    typer.echo(f"{report.summary()}; {where}{settings.url}/projects/{pid}")


@app.command("secrets")
def write_secrets_command(
    env_file: Annotated[Path, typer.Option("--env", help="The settings file to write.")] = Path(
        ".env"
    ),
    data_dir: Annotated[
        Path, typer.Option(envvar="LS_DATA_DIR", help="The local server's data directory.")
    ] = Path(".labelstudio"),
) -> None:
    """Give the local Label Studio's admin password and token random values in .env (mode 600),
    where they are missing or the documented defaults. Values are never printed."""
    from khabar.studio.settings import write_secrets

    if (data_dir / "label_studio.sqlite3").exists():
        fail(f"the server in {data_dir} was set up with the current password and token, and a "
             "new .env would not change them: set them before the first start (or stop it and "
             f"delete {data_dir})")  # fmt: skip
    changed = write_secrets(env_file)
    if changed:
        typer.echo(f"{env_file} (mode 600): new random {' and '.join(changed)}; the local server "
                   "uses them from its first start")  # fmt: skip
    else:
        typer.echo(f"{env_file} (mode 600): password and token already set, left as they are")


annotators_app = typer.Typer(help="Annotator accounts in Label Studio.", no_args_is_help=True)
app.add_typer(annotators_app, name="annotators")


@annotators_app.command("add", epilog=SERVER_HELP)
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

    from khabar.studio.client import LabelStudioError

    client, settings = connect()
    saved = read_json(credentials) if credentials.is_file() else {}
    for name in names:
        email = name if "@" in name else f"{name}@{domain}"
        secret = password or secrets.token_urlsafe(12)
        try:
            uid, created = client.add_annotator(email, secret, name.split("@")[0])
        except LabelStudioError as exc:
            fail(str(exc))
        if created:
            # Saved at once, private from the first byte: a later failure must not lose it.
            saved[email] = {"user_id": uid, "password": secret}
            write_json(credentials, saved, mode=0o600)
        typer.echo(f"{email}: user {uid}, {'created' if created else 'already there'}")
    typer.echo(f"passwords of new accounts are in {credentials}; log in at {settings.url}")


@annotators_app.command("list", epilog=SERVER_HELP)
def annotators_list() -> None:
    """Members of the Label Studio organisation (id and email)."""
    from khabar.studio.client import LabelStudioError

    client, _ = connect()
    try:
        users = client.users()
    except LabelStudioError as exc:
        fail(str(exc))
    for uid, email in sorted(users.items()):
        typer.echo(f"{uid}\t{email}")
