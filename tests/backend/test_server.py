"""The ML backend against a real Label Studio: a task imported after the last `make predict`
is pre-annotated by the backend when opened the way the editor opens it, a task with only a
text is predicted from that text, a submitted annotation starts exactly one training, and the
backend going down leaves annotators working. The backend runs as `khabar serve-backend`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from khabar.annotations.format import task_article
from khabar.corpus.article import Article
from khabar.corpus.sentences import text_sentences
from khabar.model.infer.prediction import ls_prediction, predict_articles
from tests.conftest import GOLD, ROOT, _free_port, run_khabar, start_backend, stop

NEW = ("नई दिल्ली। विदेश मंत्री एस जयशंकर ने सोमवार को मॉस्को में रूसी विदेश मंत्री सर्गेई "
       "लावरोव से मुलाकात की।\n\nदोनों नेताओं ने व्यापार और ऊर्जा पर बातचीत की।")  # fmt: skip
BARE = "प्रधानमंत्री नरेंद्र मोदी ने बुधवार को वाशिंगटन में राष्ट्रपति से मुलाकात की।"


def _project(label_studio, schema) -> tuple:
    """A project of the test's own: (client, project id, env for CLI runs against it)."""
    import os

    from khabar.schema import instructions_html, label_config
    from khabar.studio.client import Client

    url, token = label_studio
    client = Client(url, token)
    title = f"backend-{uuid.uuid4().hex[:6]}"
    pid = client.ensure_project(title, label_config(schema), instructions_html(schema))
    env = dict(os.environ, LABEL_STUDIO_URL=url, LABEL_STUDIO_API_KEY=token, KHABAR_PROJECT=title)
    return client, pid, env


def _serve(tiny_run, work, env: dict, *backend_args: str) -> tuple:
    """The backend serving a copy of the tiny run, connected to env's project by `khabar
    connect-backend` (from then on, every annotation made there asks it for a training):
    (backend url, proc)."""
    shutil.copy(ROOT / "annotation" / "splits.tsv", work / "splits.tsv")
    shutil.copytree(tiny_run.path, work / "served")
    proc, backend = start_backend(work / "served", env, work, *backend_args)
    out = run_khabar("connect-backend", "--url", backend, env=env)
    assert "registered" in out and "trigger regions" in out
    return backend, proc


@pytest.fixture(scope="module")
def loop(label_studio, tiny_run, tmp_path_factory, schema, seed_articles):
    """A project with the seed tasks and the gold, and the backend serving a copy of the tiny
    run: (client, project id, env, backend url, proc, work dir)."""
    from khabar.annotations.gold import read_gold
    from khabar.studio.prelabel import build_task, load_gazetteer
    from khabar.studio.sync import push

    client, pid, env = _project(label_studio, schema)
    gaz = load_gazetteer(ROOT / "annotation" / "gazetteer.yaml")
    push(client, pid, [build_task(a, schema, gaz) for a in seed_articles])
    # The gold as ground truth, under ids of this project's own: Label Studio's annotation ids
    # are unique server-wide, and other tests load the same gold (`load_gold` would skip it).
    # Before the backend is connected: these annotations must not ask it for a training.
    by_article = {t["data"]["article_id"]: t["id"] for t in client.tasks(pid)}
    for item in read_gold(GOLD):
        for ann in item["annotations"]:
            client.create_annotation(by_article[item["data"]["article_id"]], ann["result"],
                                     unique_id=str(uuid.uuid4()), ground_truth=True)  # fmt: skip
    work = tmp_path_factory.mktemp("backend")
    base = tiny_run.info["base_model"]
    backend, proc = _serve(
        tiny_run, work, env, "--debounce", "4",
        "--train-args", f"--base-model {base} --epochs 6 --event-epochs 2 --max-length 64 "
        "--learning-rate 5e-3",
    )  # fmt: skip
    assert "already registered" in run_khabar("connect-backend", "--url", backend, env=env)
    assert len(client.ml_backends(pid)) == 1
    yield client, pid, env, backend, proc, work
    if proc.poll() is None:
        stop(proc)


def _editor_get(label_studio, path: str) -> dict:
    url, token = label_studio
    r = httpx.get(f"{url}{path}", headers={"Authorization": f"Token {token}"}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_new_task_gets_the_backends_prediction_when_opened(loop, label_studio, schema,
                                                             tiny_run):  # fmt: skip
    from khabar.studio.prelabel import build_task, load_gazetteer

    client, pid, _, backend, _, _ = loop
    art = Article(id="after-predict", origin="fixture/new", text=NEW, sentences=text_sentences(NEW),
                  title="नया लेख")  # fmt: skip
    task = build_task(art, schema, load_gazetteer(ROOT / "annotation" / "gazetteer.yaml"))
    (tid,) = client.import_tasks(pid, [task])  # as `khabar push` imports it: with rule predictions
    # The label stream (Label All Tasks) asks /next; the seed tasks are labelled, this one is not.
    shown = _editor_get(label_studio, f"/api/projects/{pid}/next")
    assert shown["id"] == tid
    (pred,) = shown["predictions"]  # the backend's, not the rules'
    assert pred["model_version"] == "served"
    want = ls_prediction(predict_articles(tiny_run, [task_article({"id": tid, **task})])[0])
    assert pred["result"] == want["result"] and pred["score"] == pytest.approx(want["score"])
    kinds = {r["type"] for r in pred["result"]}
    assert {"labels", "relation"} <= kinds  # entity and trigger regions, argument relations
    ids = {r["id"] for r in pred["result"] if r["type"] == "labels"}
    assert all({r["from_id"], r["to_id"]} <= ids for r in pred["result"] if r["type"] == "relation")
    assert {r["from_name"] for r in pred["result"] if r["type"] == "labels"} == {
        "entity",
        "trigger",
    }
    # Opened again: the stored prediction, not a second one.
    _editor_get(label_studio, f"/api/projects/{pid}/next")
    versions = [p.model_version for p in client.call(client.sdk.predictions.list, task=tid)]
    assert sorted(versions) == sorted(["served", task["predictions"][0]["model_version"]])


def test_a_task_with_only_a_text_is_predicted_from_it(loop, label_studio, tiny_run):
    client, pid, *_ = loop
    (tid,) = client.import_tasks(pid, [{"data": {"text": BARE}}])  # not in the corpus
    shown = _editor_get(label_studio, f"/api/tasks/{tid}?project={pid}")  # the quick view
    (pred,) = shown["predictions"]
    texts = {r["value"]["text"] for r in pred["result"] if r["type"] == "labels"}
    assert texts and all(t in BARE for t in texts)
    art = Article(id=f"task-{tid}", origin="", text=BARE, sentences=text_sentences(BARE))
    assert pred["result"] == ls_prediction(predict_articles(tiny_run, [art])[0])["result"]


def test_the_queue_and_the_backend_share_the_projects_model_version(loop, label_studio):
    """Label Studio keeps one model_version per project: live pre-annotation needs it to be the
    backend's title, uncertainty sampling needs it to be the stored predictions' version. Both
    are the served run, whoever ran last (issue 40, point 4)."""
    client, pid, env, backend, _, _ = loop
    tasks = [{"data": {"text": f"{BARE} {i}"}, "predictions": [
        {"model_version": "served", "score": s, "result": []},
        {"model_version": "run-newer", "score": 1 - s, "result": []},  # newer: the old default
    ]} for i, s in enumerate((0.6, 0.001))]  # fmt: skip
    ids = client.import_tasks(pid, tasks)
    out = run_khabar("queue", env=env)
    assert "ranked by served uncertainty" in out and "ML backend serves" in out  # not run-newer
    assert out.splitlines()[0].strip() == f"task {ids[1]}: uncertainty 0.999"
    settings = client.project_settings(pid)
    assert settings["model_version"] == "served" and settings["sampling"] == "Uncertainty sampling"
    # (/next itself is checked in tests/studio/test_queue.py: here the label stream still holds
    # the task the first test was served, as Label Studio keeps it locked to that user.)
    # Pre-annotation is still on: a task without predictions is predicted when it is opened.
    (tid,) = client.import_tasks(pid, [{"data": {"text": BARE + " तीसरा।"}}])
    shown = _editor_get(label_studio, f"/api/tasks/{tid}?project={pid}")
    assert [p["model_version"] for p in shown["predictions"]] == ["served"]
    # Another version would turn pre-annotation off: refused in a sentence, nothing changed.
    bad = subprocess.run([sys.executable, "-m", "khabar.cli", "queue", "--model-version",
                          "run-newer"], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert bad.returncode == 1 and "the connected ML backend serves served" in bad.stderr
    assert client.project_settings(pid)["model_version"] == "served"
    # connect-backend after queue keeps the queue.
    assert "model_version is served" in run_khabar("connect-backend", "--url", backend, env=env)
    settings = client.project_settings(pid)
    assert settings["model_version"] == "served" and settings["sampling"] == "Uncertainty sampling"
    assert [m["title"] for m in client.ml_backends(pid)] == ["served"]


def test_a_submitted_annotation_starts_exactly_one_training(loop, schema, tiny_run):
    from datasets import load_from_disk
    from khabar.model.assess.selection import validation_metrics, validation_score
    from khabar.model.infer.run import load_run
    from khabar.studio.prelabel import build_task, load_gazetteer

    client, pid, _, backend, _, work = loop
    text = NEW.replace("सोमवार", "मंगलवार")  # an article of this test's own
    art = Article(id="submitted", origin="fixture/submitted", text=text,
                  sentences=text_sentences(text), title="जमा लेख")  # fmt: skip
    task = build_task(art, schema, load_gazetteer(ROOT / "annotation" / "gazetteer.yaml"))
    (tid,) = client.import_tasks(pid, [task])
    labels = ls_prediction(predict_articles(tiny_run, [task_article({"id": tid, **task})])[0])
    client.create_annotation(tid, labels["result"], unique_id=str(uuid.uuid4()))  # a submission
    # The job trains at nice 10: anything else busy on the machine comes first. Generous: only
    # a job that never ends reaches it (alone, the job takes about a minute).
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        status = httpx.get(f"{backend}/status", timeout=10).json()
        if status["training"]["jobs"] and status["training"]["state"] == "idle":
            break
        time.sleep(2)
    else:
        pytest.fail(f"no training finished: {status}")
    # Label Studio (without Redis) delivers what a submission sends before create_annotation
    # returns: two requests here (its ANNOTATION_CREATED webhook, its START_TRAINING call). Any
    # further request would be pending the moment the job is done: no clock needed to see it.
    (job,) = status["training"]["jobs"]
    assert job["requests"] >= 1 and not status["training"]["pending_requests"], status
    assert list(job["steps"]) == ["export", "train", "evaluate"], job
    decision = job["decision"]
    assert decision["candidate"] == job["run"] and decision["serving"] == "served"
    assert (work / "runs" / job["run"] / "report.md").is_file()
    # The rule, recomputed here on the job's own dataset: switch only on a higher validation score.
    dd = load_from_disk(str(work / "work" / "dataset"))
    new, old = (validation_score(validation_metrics(load_run(work / d), dd))
                for d in (f"runs/{job['run']}", "served"))  # fmt: skip
    assert (decision["candidate_score"], decision["serving_score"]) == pytest.approx((new, old))
    assert decision["switch"] is (new > old), decision
    serving = httpx.get(f"{backend}/health", timeout=10).json()["model_version"]
    assert serving == (job["run"] if new > old else "served"), decision
    assert "\nsubmitted\t" in (work / "splits.tsv").read_text()  # the new article got a split


def test_the_backend_down_leaves_annotators_working(label_studio, tiny_run, schema, tmp_path):
    client, pid, env = _project(label_studio, schema)
    _, proc = _serve(tiny_run, tmp_path, env)
    stop(proc)  # a backend of this test's own: the other tests' keeps serving
    (tid,) = client.import_tasks(pid, [{"data": {"text": BARE + " फिर से।"}}])
    shown = _editor_get(label_studio, f"/api/tasks/{tid}?project={pid}")
    assert shown["id"] == tid and shown["data"]["text"].startswith(BARE)  # the task still opens
    assert not shown["predictions"]
    (ml,) = client.ml_backends(pid)
    assert ml["state"] in ("DI", "ER")  # Label Studio marks it disconnected


def test_a_run_folder_missing_files_is_refused_in_one_sentence(tiny_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run.path, broken)
    (broken / "ner" / "model.safetensors").unlink()
    out = subprocess.run([sys.executable, "-m", "khabar.cli", "serve-backend", "--run",
                          str(broken), "--port", str(_free_port())], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 1
    (line,) = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert line.startswith(f"error: cannot serve {broken}") and "model.safetensors" in line
