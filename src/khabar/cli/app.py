"""The one `khabar` app and what its command modules share: error exits, the schema, the Label
Studio connection and common options. Each stage group registers its commands on `app` from its
own module (corpus, studio, annotations, dataset, model, publish)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="khabar: raw Hindi news -> Label Studio -> Hugging Face dataset -> model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

SchemaOpt = Annotated[
    Path, typer.Option("--schema", help="Annotation schema (single source of labels).")
]

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="DatasetDict folder (khabar export).")]
RunOpt = Annotated[Path, typer.Option("--run", help="Run folder, models/<run>.")]
DeviceOpt = Annotated[str, typer.Option(
    "--device", envvar="KHABAR_DEVICE",
    help="auto (CUDA where torch sees one, else the CPU), cpu or cuda.")]  # fmt: skip
PrecisionOpt = Annotated[str, typer.Option(
    "--precision", envvar="KHABAR_PRECISION",
    help="The encoder's: auto (bf16 where the CPU or GPU runs it natively and a check at load "
         "finds it faster, else fp32), fp32 or bf16. Heads and decisions stay fp32.")]  # fmt: skip

# `khabar --help` lists commands, then command groups, in pipeline order, whichever module
# registers them (typer lists them in registration order).
PIPELINE = (
    "secrets", "ingest", "schema", "tasks", "push", "reanchor", "load-annotations", "export",
    "validate-gold", "reanchor-gold", "gold-counts", "base-model", "transfer-base", "train",
    "evaluate", "review-errors", "push-review", "predict",
    "push-predictions", "events", "serve-backend", "connect-backend", "agreement", "adjudicate",
    "queue", "pretrain", "annotators", "publish",
)  # fmt: skip


def field_help(cls: type, name: str) -> str:
    """Help text of a dataclass field, so the CLI and the code's own arguments say the same."""
    return cls.__dataclass_fields__[name].metadata["help"]


def fail(message: str, code: int = 1) -> None:
    """Print one red `error:` line and exit (no traceback for mistakes a user can fix)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_schema_or_fail(path: Path):
    """The annotation schema, or a clear error."""
    from khabar.schema import SchemaError, load_schema

    try:
        return load_schema(path)
    except SchemaError as exc:
        fail(str(exc))


_LOCKS: dict[str, object] = {}  # open lock files, held until the process ends


def hold_server_lock(url: str, project: str) -> None:
    """Hold a file lock for (server, project) until this process ends, so that two khabar
    commands on one machine never change one project at once (two `push` would both see no task
    and both import); the second waits and says what for."""
    import hashlib
    import tempfile

    key = hashlib.sha256(f"{url.rstrip('/')}\n{project}".encode()).hexdigest()[:16]
    if key in _LOCKS:
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        return
    folder = Path(tempfile.gettempdir()) / "khabar-locks"
    folder.mkdir(exist_ok=True)
    fh = (folder / f"{key}.lock").open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        typer.echo(f"waiting for another khabar command on {url} (project {project!r}) to "
                   "finish ...", err=True)  # fmt: skip
        fcntl.flock(fh, fcntl.LOCK_EX)
    _LOCKS[key] = fh


def connect():
    """(Label Studio client, settings) from the environment or .env, or a clear error; holds the
    project's lock (`hold_server_lock`) from here on."""
    from khabar.studio.client import Client, LabelStudioError
    from khabar.studio.settings import load_settings

    settings = load_settings()
    hold_server_lock(settings.url, settings.project)
    try:
        return Client(settings.url, settings.token), settings
    except LabelStudioError as exc:
        fail(str(exc))


def order_commands() -> None:
    """Put the registered commands and groups in pipeline order (unknown ones last)."""

    def rank(info) -> int:
        name = info.name or info.callback.__name__.replace("_", "-")
        return PIPELINE.index(name) if name in PIPELINE else len(PIPELINE)

    app.registered_commands.sort(key=rank)
    app.registered_groups.sort(key=rank)
