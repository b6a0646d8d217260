"""The HTTP side of the ML backend (FastAPI): Label Studio's endpoints and khabar's /status.

- GET /health (and GET /): `{"status": "UP", "model_version": run}`; Label Studio checks it
  when connecting and before predicting.
- POST /setup with the project's labelling config: `{"model_version": run}`, or 400 when the
  config lacks khabar's controls.
- POST /predict with `{"tasks": [...]}`: `{"results": [one prediction per task]}`.
- POST /train (legacy, every annotated task) and POST /webhook (`{"action": "START_TRAINING"}`
  or an annotation event): a training is scheduled (debounced); other actions are ignored.
- GET /versions: `{"versions": [run]}`.
- GET /status (khabar's own): the serving run, its switches, the trainer's state and jobs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

from khabar.backend.protocol import config_problem, training_reason
from khabar.backend.service import Backend
from khabar.backend.trainer import Trainer

# A JSON object body; Label Studio always sends one, a bare POST is an empty one.
Payload = Annotated[dict, Body(default_factory=dict)]


def create_app(backend: Backend, trainer: Trainer | None = None) -> FastAPI:
    """The FastAPI app of a loaded backend; without a trainer, training requests are refused."""
    app = FastAPI(title="khabar ML backend", description=__doc__)

    @app.get("/")
    @app.get("/health")
    def health() -> dict:
        return {"status": "UP", "model_class": "khabar", "model_version": backend.model_version}

    @app.post("/setup")
    def setup(payload: Payload):
        problem = config_problem(payload.get("schema", ""))
        if problem:
            return JSONResponse({"status": "error", "error": problem}, status_code=400)
        return {"model_version": backend.model_version}

    # Plain `def`: FastAPI runs it in a worker thread, so a long prediction never blocks /health.
    @app.post("/predict")
    def predict(payload: Payload) -> dict:
        tasks = payload.get("tasks") or []
        return {"results": backend.predict(tasks), "model_version": backend.model_version}

    def schedule(path: str, payload: dict):
        reason = training_reason(path, payload)
        if reason is None:
            return {"status": "ignored", "action": payload.get("action")}
        if trainer is None:
            return JSONResponse({"status": "error", "error": "this backend was started without "
                                 "training (--no-train)"}, status_code=400)  # fmt: skip
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
