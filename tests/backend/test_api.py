"""The ML backend's HTTP answers, request by request, against the request bodies of HumanSignal's
reference backend (label-studio-ml-backend, tests/test_api.py) and malformed ones: a JSON answer
every time, 4xx for what the caller got wrong, and the server still up afterwards."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from khabar.backend.server import create_app
from khabar.backend.service import Backend
from khabar.backend.trainer import Trainer, TrainerConfig

# The reference's own bodies (its tests/test_api.py).
REFERENCE_PREDICT = {"tasks": {"id": 1}, "label_config": "<View></View>",
                     "project": "1.1000000000", "params": {"context": {}}}  # fmt: skip
REFERENCE_SETUP = {"project": "1.1000000000", "schema": "<View></View>", "extra_params": {}}
REFERENCE_WEBHOOK = {"action": "ANNOTATION_CREATED",
                     "project": {"id": 1, "label_config": "<View></View>"}}  # fmt: skip


def idle_trainer(tmp_path, said: list[str]) -> Trainer:
    """The real trainer with a quiet period no test waits out: requests queue, nothing trains
    (what a job then does: tests/backend/test_server.py); what it logs goes into `said`."""
    return Trainer(TrainerConfig(work_dir=tmp_path, debounce_s=3600, max_wait_s=3600),
                   decide=lambda *_: {}, log=said.append)  # fmt: skip


@pytest.fixture(scope="module")
def backend(tiny_run) -> Backend:
    return Backend(tiny_run, log=lambda _: None)


def _client(backend, **kw) -> TestClient:
    return TestClient(create_app(backend, **kw), raise_server_exceptions=False)


def test_the_reference_bodies_get_json_answers(backend):
    c = _client(backend)
    assert c.get("/health").json()["status"] == "UP"
    r = c.post("/predict", json=REFERENCE_PREDICT)
    assert r.status_code == 200
    (pred,) = r.json()["results"]  # one task object is one task; it has no text
    assert pred["result"] == [] and pred["score"] == 0.0
    r = c.post("/setup", json=REFERENCE_SETUP)  # not a khabar config: refused, in JSON
    assert r.status_code == 400 and "lacks" in r.json()["error"]
    r = c.post("/webhook", json=REFERENCE_WEBHOOK)  # started without training
    assert r.status_code == 200 and r.json()["status"] == "training disabled"
    assert c.post("/train", json={}).json()["status"] == "training disabled"


@pytest.mark.parametrize(
    "body",
    [
        {"tasks": ["not", "tasks"]},
        {"tasks": 5},
        {"tasks": "text"},
        [1, 2, 3],  # not an object at all
    ],
)
def test_malformed_predict_requests_are_4xx_json_and_the_server_stays_up(backend, body):
    c = _client(backend)
    r = c.post("/predict", json=body)
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == "application/json"
    assert r.json()
    assert c.get("/health").status_code == 200


def test_a_body_that_is_no_json_is_a_4xx_json(backend):
    c = _client(backend)
    r = c.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()


def test_tasks_without_text_empty_text_or_odd_data_all_score_zero(backend):
    c = _client(backend)
    tasks = [{"id": 1, "data": {"text": ""}}, {"id": 2, "data": {}}, {"id": 3, "data": "x"},
             {"id": 4, "data": {"text": "नई दिल्ली में विदेश मंत्री ने बात की।"}}]  # fmt: skip
    r = c.post("/predict", json={"tasks": tasks})
    assert r.status_code == 200
    scores = [p["score"] for p in r.json()["results"]]
    assert scores[:3] == [0.0, 0.0, 0.0] and 0.0 < scores[3] <= 1.0


def test_basic_auth_like_the_reference(backend):
    c = _client(backend, auth=("asha", "s3cret"))
    r = c.get("/health")
    assert r.status_code == 401 and r.json()["status"] == "error"
    assert r.headers["www-authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"asha:nope").decode()
    assert c.get("/health", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    assert c.get("/health", auth=("asha", "s3cret")).status_code == 200
    assert c.post("/predict", json={"tasks": []}, auth=("asha", "s3cret")).status_code == 200


def test_webhooks_of_another_project_are_ignored_and_a_deletion_requests_training(
    backend, schema, tmp_path
):
    from khabar.schema import label_config

    said: list[str] = []
    trainer = idle_trainer(tmp_path, said)
    c = _client(backend, trainer=trainer)
    assert c.post("/setup", json={"project": "3.1700000000",
                                  "schema": label_config(schema)}).status_code == 200  # fmt: skip
    other = c.post("/webhook", json={"action": "ANNOTATION_CREATED", "project": {"id": 4}})
    assert other.json()["status"] == "ignored" and "project 4" in other.json()["reason"]
    assert trainer.status()["pending_requests"] == 0
    ours = c.post("/webhook", json={"action": "ANNOTATION_CREATED", "project": {"id": 3}})
    assert ours.json()["status"] == "scheduled"
    deleted = c.post("/webhook", json={"action": "ANNOTATION_DELETED", "project": {"id": 3}})
    assert deleted.json()["status"] == "scheduled"
    status = trainer.status()
    assert status["pending_requests"] == 2 and status["state"] == "waiting"
    assert [line.split(";")[0] for line in said] == [
        "training requested (webhook ANNOTATION_CREATED)",
        "training requested (webhook ANNOTATION_DELETED)",
    ]
    trainer.close()
    # an explicit project wins over the first setup
    kept = idle_trainer(tmp_path, [])
    fixed = _client(backend, trainer=kept, project=7)
    fixed.post("/setup", json={"project": "3.1", "schema": label_config(schema)})
    r = fixed.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 3}})
    assert r.json()["status"] == "ignored" and kept.status()["pending_requests"] == 0
    kept.close()
