"""The one `khabar` app and what its command modules share: error exits, the schema, the Label
Studio connection and common options. Each stage group registers its commands on `app` from its
own module (corpus, studio, annotations, dataset, model, publish)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from khabar.model.net.device import device_field, precision_field
from khabar.settings import field_default
from khabar.studio.settings import DEFAULT_URL

app = typer.Typer(
    help="khabar: raw Hindi news -> Label Studio -> Hugging Face dataset -> model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Said under every command that talks to Label Studio (`connect`): how to name the server.
SERVER_HELP = (f"Label Studio: LABEL_STUDIO_URL (default {DEFAULT_URL}, or the port in "
               "LABEL_STUDIO_PORT), LABEL_STUDIO_API_KEY and KHABAR_PROJECT, from the environment "
               "or .env (`make secrets` writes one).")  # fmt: skip

SchemaOpt = Annotated[
    Path, typer.Option("--schema", help="Annotation schema (single source of labels).")
]

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="DatasetDict folder (khabar export).")]
RunOpt = Annotated[Path, typer.Option("--run", help="Run folder, models/<run>.")]


def field_option(f: dataclasses.Field, *decls: str) -> typer.models.OptionInfo:
    """The typer option of a dataclass field: its help and environment variable as the field
    states them (its default is the parameter's: `field_default(f)`)."""
    envvar = f.metadata.get("envvar")
    return typer.Option(*decls, help=f.metadata["help"], envvar=envvar,
                        show_default=field_default(f) not in ("", None))  # fmt: skip


# For commands placing a model without an argument dataclass of their own (the ML backend).
DeviceOpt = Annotated[str, field_option(device_field(), "--device")]
PrecisionOpt = Annotated[str, field_option(precision_field(), "--precision")]

# `khabar --help` lists commands, then command groups, in pipeline order, whichever module
# registers them (typer lists them in registration order).
PIPELINE = (
    "secrets", "ingest", "schema", "tasks", "push", "reanchor", "load-annotations", "export",
    "validate-gold", "reanchor-gold", "gold-counts", "base-model", "transfer-base", "train",
    "distill", "evaluate", "review-errors", "push-review", "predict",
    "push-predictions", "events", "serve-backend", "connect-backend", "agreement", "adjudicate",
    "queue", "pretrain", "annotators", "publish",
)  # fmt: skip


def field_help(cls: type, name: str) -> str:
    """Help text of a dataclass field, so the CLI and the code's own arguments say the same."""
    return cls.__dataclass_fields__[name].metadata["help"]


def options_from(cls: type, param: str = "args",
                 only: Iterable[str] | None = None) -> Callable[[Callable], Callable]:  # fmt: skip
    """Decorator, HfArgumentParser's idea: the command's options are `cls`'s fields with help
    (`only` those), each with the type, default, help and environment variable the dataclass
    states, and the command receives them as one `cls` object, its `param`. A value the
    dataclass refuses (a ValueError) is one `error:` line."""
    only = None if only is None else set(only)

    def decorate(command: Callable) -> Callable:
        sig = inspect.signature(command, eval_str=True)
        hints = typing.get_type_hints(cls)
        chosen = [f for f in dataclasses.fields(cls) if "help" in f.metadata
                  and (only is None or f.name in only)]  # fmt: skip
        own = [p for p in sig.parameters.values() if p.name != param]
        added = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=field_default(f),
                                   annotation=Annotated[hints[f.name], field_option(f)])
                 for f in chosen]  # fmt: skip

        @functools.wraps(command)
        def wrapper(**kwargs):
            values = {f.name: kwargs.pop(f.name) for f in chosen}
            try:
                args = cls(**values)
            except ValueError as exc:
                fail(str(exc))
            return command(**kwargs, **{param: args})

        wrapper.options_from = (cls, [f.name for f in chosen])  # what tests/cli/test_options reads
        wrapper.__signature__ = sig.replace(parameters=own + added)
        wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
        return wrapper

    return decorate


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
