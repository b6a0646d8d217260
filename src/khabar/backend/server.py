"""The HTTP side of the ML backend (FastAPI): Label Studio's endpoints and khabar's /status.

- GET /health (and GET /): `{"status": "UP", "model_version": run}`; Label Studio checks it
  when connecting and before predicting.
- POST /setup with the project's labelling config: `{"model_version": run}`, or 400 when the
  config lacks khabar's controls.
- POST /predict with `{"tasks": [...]}`: `{"results": [one prediction per task]}`; one task
  object is one task (the reference backend's own test sends that).
- POST /train (legacy, every annotated task) and POST /webhook (`{"action": "START_TRAINING"}`
  or an annotation event, ANNOTATION_DELETED included): a training is scheduled (debounced);
  other actions, and webhooks of another project than the backend's, are ignored. Started with
  --no-train, they are answered 200 "training disabled" (a 4xx puts the backend into ERROR in
  Label Studio).
- Every malformed request gets a 4xx JSON error, an unexpected failure a 500 JSON error; the
  server stays up. BASIC_AUTH_USER and BASIC_AUTH_PASS (both set) require HTTP basic auth on
  every endpoint, as in HumanSignal's reference backend.
- GET /versions: `{"versions": [run]}`.
- GET /status (khabar's own): the serving run, its switches, the trainer's state and jobs.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from typing import Annotated

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from khabar.backend.protocol import config_problem, project_id, request_tasks, training_reason
from khabar.backend.service import Backend
from khabar.backend.trainer import Trainer

# A JSON object body; Label Studio always sends one, a bare POST is an empty one.
Payload = Annotated[dict, Body(default_factory=dict)]


def error(status: int, message: str, **headers: str) -> JSONResponse:
    """A JSON error answer."""
    return JSONResponse({"status": "error", "error": message}, status_code=status,
                        headers=headers or None)  # fmt: skip


def basic_auth_from_env() -> tuple[str, str] | None:
    """(user, password) when BASIC_AUTH_USER and BASIC_AUTH_PASS are both set."""
    user, password = os.environ.get("BASIC_AUTH_USER"), os.environ.get("BASIC_AUTH_PASS")
    return (user, password) if user and password else None


def _authorised(header: str, auth: tuple[str, str]) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Both compared whatever the first gives: the time taken says nothing of which was wrong.
    ok_user = secrets.compare_digest(user.encode(), auth[0].encode())
    ok_pass = secrets.compare_digest(password.encode(), auth[1].encode())
    return ok_user and ok_pass


def create_app(
    backend: Backend,
    trainer: Trainer | None = None,
    auth: tuple[str, str] | None = None,
    project: int | None = None,
) -> FastAPI:
    """The FastAPI app of a loaded backend. Without a trainer, training requests are answered
    "training disabled"; with `auth`, every request needs those basic-auth credentials; with
    `project`, webhooks of other projects are ignored (without it, the first project that sets
    the backend up is its own)."""
    app = FastAPI(title="khabar ML backend", description=__doc__)
    own = {"project": project}

    if auth is not None:

        @app.middleware("http")
        async def basic_auth(request: Request, call_next):
            if not _authorised(request.headers.get("authorization", ""), auth):
                return error(401, "basic authentication required",
                             **{"WWW-Authenticate": 'Basic realm="khabar ML backend"'})  # fmt: skip
            return await call_next(request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Without this, Starlette answers 500 in plain text and drops the connection.
        return error(500, f"{type(exc).__name__}: {exc}")

    @app.get("/")
    @app.get("/health")
    def health() -> dict:
        return {"status": "UP", "model_class": "khabar", "model_version": backend.model_version}

    @app.post("/setup")
    def setup(payload: Payload):
        schema = payload.get("schema", "")
        problem = config_problem(schema if isinstance(schema, str) else "")
        if problem:
            return error(400, problem)
        if own["project"] is None:
            own["project"] = project_id(payload.get("project"))
        return {"model_version": backend.model_version}

    # Plain `def`: FastAPI runs it in a worker thread, so a long prediction never blocks /health.
    @app.post("/predict")
    def predict(payload: Payload):
        try:
            tasks = request_tasks(payload.get("tasks") or [])
        except ValueError as exc:
            return error(422, str(exc))
        return {"results": backend.predict(tasks), "model_version": backend.model_version}

    def schedule(path: str, payload: dict):
        reason = training_reason(path, payload)
        if reason is None:
            return {"status": "ignored", "action": payload.get("action")}
        sender = project_id(payload.get("project"))
        if own["project"] is not None and sender is not None and sender != own["project"]:
            why = f"project {sender} is not this backend's ({own['project']})"
            return {"status": "ignored", "action": payload.get("action"), "reason": why}
        if trainer is None:
            return {"status": "training disabled", "action": payload.get("action"),
                    "reason": "this backend was started with --no-train"}  # fmt: skip
        return {"status": "scheduled", **trainer.request(reason)}

    @app.post("/train")
    def train(payload: Payload):
        return schedule("train", payload)

    @app.post("/webhook")
    def webhook(payload: Payload):
        return schedule("webhook", payload)

    @app.get("/versions")
    def versions() -> dict:
        return {"versions": [backend.model_version]}

    @app.get("/status")
    def status() -> dict:
        return {**backend.status(), "training": trainer.status() if trainer else None}

    return app
