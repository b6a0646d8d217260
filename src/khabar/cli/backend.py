"""`khabar serve-backend` and `khabar connect-backend`: the model in Label Studio's loop."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from khabar.backend.trainer import TrainerConfig
from khabar.cli.app import (
    SERVER_HELP,
    DeviceOpt,
    PrecisionOpt,
    RunOpt,
    app,
    connect,
    fail,
    field_help,
)
from khabar.model.net.device import DEVICE, PRECISION

DEFAULT_PORT = 9090  # Label Studio's documented ML backend port


def _help(name: str) -> str:
    return field_help(TrainerConfig, name)


@app.command("serve-backend")
def serve_backend(
    run_dir: RunOpt = Path("models/default"),
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback keeps the backend to this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="KHABAR_BACKEND_PORT", help="Port.")] = DEFAULT_PORT,
    train: Annotated[
        bool, typer.Option(help="Retrain on train requests and submitted annotations.")
    ] = True,
    train_args: Annotated[str, typer.Option(help=_help("train_args"))] = "",
    debounce: Annotated[float, typer.Option(help=_help("debounce_s"))] = 60.0,
    max_wait: Annotated[float, typer.Option(help=_help("max_wait_s"))] = 600.0,
    work_dir: Annotated[Path, typer.Option(help=_help("work_dir"))] = Path("models/backend"),
    runs_dir: Annotated[Path, typer.Option(help=_help("runs_dir"))] = Path("models"),
    schema: Annotated[Path, typer.Option(help=_help("schema"))] = Path("annotation/schema.yaml"),
    splits: Annotated[Path, typer.Option(help=_help("splits"))] = Path("annotation/splits.tsv"),
    project: Annotated[
        int | None,
        typer.Option(
            "--project-id",
            envvar="KHABAR_BACKEND_PROJECT",
            help="The Label Studio project whose webhooks it acts on (default: the first project "
            "that sets it up); others are ignored.",
            show_default=False,
        ),
    ] = None,
    device: DeviceOpt = DEVICE,
    precision: PrecisionOpt = PRECISION,
) -> None:
    """Serve a trained run as a Label Studio ML backend (health, setup, predict, train, webhook;
    GET /status for khabar's own state), loading the model once."""
    import uvicorn

    from khabar.backend.server import basic_auth_from_env, create_app
    from khabar.backend.service import load_backend
    from khabar.backend.trainer import Trainer, retrain_args
    from khabar.model.infer.run import RunError

    def log(msg: str) -> None:
        typer.echo(f"[khabar backend] {msg}", err=True)

    try:
        backend = load_backend(run_dir, log, device, precision)
    except (RunError, OSError, ValueError) as exc:
        fail(f"cannot serve {run_dir}: {exc}")
    trainer = None
    if train:
        extra = retrain_args(shlex.split(train_args), backend.run.info)
        cfg = TrainerConfig(work_dir, runs_dir, schema, splits, extra, debounce,
                            max_wait)  # fmt: skip
        trainer = Trainer(cfg, backend.decide_and_switch, log)
    log(f"serving run {backend.model_version} at http://{host}:{port} (training "
        f"{'on, ' + str(debounce) + ' s debounce' if train else 'off'}); connect it with "
        f"`khabar connect-backend --url http://{host}:{port}`; "
        f"{backend.run.placement.summary()}")  # fmt: skip
    try:
        auth = basic_auth_from_env()
        if auth:
            log("basic auth on (BASIC_AUTH_USER/BASIC_AUTH_PASS): give them in Label Studio's "
                "model settings")  # fmt: skip
        app_ = create_app(backend, trainer, auth, project)
        uvicorn.run(app_, host=host, port=port, log_level="warning")
    finally:
        if trainer:
            trainer.close()


@app.command("connect-backend", epilog=SERVER_HELP)
def connect_backend_cmd(
    url: Annotated[
        str, typer.Option(help="Where the backend answers, as Label Studio sees it.")
    ] = f"http://127.0.0.1:{DEFAULT_PORT}",
    train_on_submit: Annotated[
        bool, typer.Option(help="Ask the backend to retrain when an annotation is submitted.")
    ] = True,
) -> None:
    """Register the ML backend on the project (idempotent) and pre-annotate from it."""
    from khabar.studio.client import LabelStudioError
    from khabar.studio.mlbackend import connect_backend

    client, settings = connect()
    try:
        pid = client.find_project(settings.project)
        done = connect_backend(client, pid, url, train_on_submit=train_on_submit)
    except LabelStudioError as exc:
        fail(str(exc))
    typer.echo(done.summary(f"{settings.url}/projects/{pid}"))
