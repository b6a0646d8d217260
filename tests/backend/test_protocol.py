"""The ML backend's protocol pieces, the debounced trainer and the switch rule, without a
server: pure functions, a trainer whose job is counted, runs scored on the gold dataset."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from khabar.annotations.format import task_article, task_data
from khabar.backend.protocol import config_problem, training_reason
from khabar.backend.trainer import Trainer, TrainerConfig, job_commands, retrain_args, run_name
from khabar.corpus.sentences import text_sentences
from khabar.model.assess.selection import LAYERS, decide, validation_metrics, validation_score
from khabar.schema import label_config

TEXT = "विदेश मंत्री जयशंकर मॉस्को पहुंचे। उन्होंने लावरोव से मुलाकात की।\n\nदोनों ने बयान दिया।"


def test_a_task_of_the_corpus_keeps_its_sentences_and_a_bare_one_is_split(seed_articles):
    art = seed_articles[0]
    again = task_article({"id": 7, "data": task_data(art)})
    assert (again.id, again.text, again.sentences) == (art.id, art.text, art.sentences)
    bare = task_article({"id": 9, "data": {"text": TEXT}})  # imported by hand: text only
    assert bare.id == "task-9"
    assert bare.sentences == text_sentences(TEXT) and len(bare.sentences) == 3
    assert [TEXT[s:e] for s, e in bare.sentences][2] == "दोनों ने बयान दिया।"
    broken = task_article({"id": 3, "data": {"text": TEXT, "sentences": "[[0, 9999]]"}})
    assert broken.sentences == bare.sentences  # offsets beyond the text are not trusted


def test_setup_accepts_khabar_configs_only(schema):
    assert config_problem(label_config(schema)) is None
    other = '<View><Labels name="label" toName="text"/><Text name="text" value="$text"/></View>'
    problem = config_problem(other)
    assert '<Labels name="entity">' in problem and "<Relations>" in problem


def test_training_is_asked_by_train_requests_and_annotation_events_only():
    assert training_reason("train", {}) == "a train request"
    assert training_reason("webhook", {"action": "START_TRAINING"}) == "webhook START_TRAINING"
    assert training_reason("webhook", {"action": "ANNOTATION_CREATED"})
    assert training_reason("webhook", {"action": "PROJECT_UPDATED"}) is None


def test_run_names_are_times_and_never_reuse_a_folder(tmp_path):
    now = time.mktime((2026, 11, 24, 10, 30, 5, 0, 0, -1))
    assert run_name(tmp_path, now) == "20261124-103005"
    (tmp_path / "20261124-103005").mkdir()
    assert run_name(tmp_path, now) == "20261124-103005-2"


def test_a_job_is_export_then_train_then_evaluate_into_the_work_dir(tmp_path):
    cfg = TrainerConfig(work_dir=tmp_path / "w", train_args=["--epochs", "3"])
    steps = job_commands(cfg, tmp_path / "runs" / "r1")
    assert [s for s, _ in steps] == ["export", "train", "evaluate"]
    train = steps[1][1]
    assert train[train.index("--dataset") + 1] == str(tmp_path / "w" / "dataset")
    assert train[-2:] == ["--epochs", "3"]


def test_retraining_keeps_the_served_runs_public_corpora_unless_told_otherwise():
    served = {"args": {"transfer": "models/base/transfer-hiner-quick"}}
    assert retrain_args(["--epochs", "3"], served) == [
        "--epochs", "3", "--transfer", "models/base/transfer-hiner-quick"]  # fmt: skip
    assert retrain_args(["--transfer", "x"], served) == ["--transfer", "x"]
    assert retrain_args(["--transfer=x"], served) == ["--transfer=x"]
    assert retrain_args([], {"args": {"transfer": ""}}) == [] == retrain_args([], {})


class Clock:
    """A clock the test advances by hand: the trainer's quiet periods pass only when told."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingTrainer(Trainer):
    """A trainer whose job only counts how often it ran and how many requests it took."""

    def __init__(self, debounce_s: float, max_wait_s: float = 30.0):
        self.ran: list[int] = []
        self.release = threading.Event()
        self.clock = Clock()
        cfg = TrainerConfig(work_dir=Path("."), debounce_s=debounce_s, max_wait_s=max_wait_s)
        super().__init__(cfg, decide=lambda *_: {}, log=lambda _: None, clock=self.clock)

    def run_job(self, requests: int = 1) -> dict:
        self.ran.append(requests)
        assert self.release.wait(120), "the test never released the job"
        return {"requests": requests}

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on the trainer's clock (the worker looks again within its wait)."""
        self.clock.now += seconds
        with self._cond:
            self._cond.notify_all()


def _until(condition, what: str, timeout: float = 60.0) -> None:
    """Wait for `condition()` (a generous deadline: only a hung worker reaches it)."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.01)


def _settle(t: Trainer, jobs: int) -> dict:
    """The trainer's status once `jobs` jobs are done and it is idle."""
    _until(lambda: len(t.status()["jobs"]) >= jobs and t.status()["state"] == "idle",
           f"{jobs} finished jobs")  # fmt: skip
    return t.status()


def test_a_burst_of_fifty_submissions_starts_one_training():
    t = CountingTrainer(debounce_s=0.5)
    t.release.set()
    for _ in range(50):
        t.request("webhook ANNOTATION_CREATED")
        t.advance(0.01)  # never a quiet period, however slowly this loop runs
    assert t.status()["state"] == "waiting" and t.ran == []
    t.advance(0.5)
    status = _settle(t, 1)
    assert t.ran == [50] and status["pending_requests"] == 0  # nothing left for a straggler
    t.close()


def test_requests_during_a_job_start_exactly_one_more():
    t = CountingTrainer(debounce_s=0.25)
    t.request("train")
    t.advance(0.25)
    _until(lambda: t.ran, "the first job")
    assert t.status()["state"] == "training"
    for _ in range(5):  # submissions while it trains
        t.request("webhook START_TRAINING")
    t.release.set()
    _until(lambda: t.status()["jobs"], "the first job's end")
    assert t.ran == [1] and t.status()["state"] == "waiting"  # the five wait for their quiet
    t.advance(0.25)
    _settle(t, 2)
    assert t.ran == [1, 5]
    t.close()


def test_a_steady_stream_cannot_postpone_training_past_max_wait():
    t = CountingTrainer(debounce_s=0.5, max_wait_s=1.0)
    t.release.set()
    for _ in range(8):  # every 0.125 s: never 0.5 s of quiet
        t.request("webhook ANNOTATION_CREATED")
        t.advance(0.125)
    assert t.clock.now == 1.0  # max_wait since the first request, 0.125 since the last
    status = _settle(t, 1)
    assert t.ran == [8] and status["pending_requests"] == 0
    t.close()


def test_the_switch_rule_takes_the_better_run_and_keeps_on_a_tie(tiny_run, weak_run,
                                                                 gold_dataset):  # fmt: skip
    _, dd = gold_dataset
    good = validation_score(validation_metrics(tiny_run, dd))
    bad = validation_score(validation_metrics(weak_run, dd))
    assert good > bad  # the tiny run learnt something; the weak one next to nothing
    up = decide(tiny_run, weak_run, dd)
    assert up.switch and up.candidate_score == good and up.serving_score == bad
    assert "beats" in up.reason and f"{good:.3f}" in up.reason
    down = decide(weak_run, tiny_run, dd)
    assert not down.switch and f"keeping {tiny_run.name}" in down.reason
    tie = decide(tiny_run, tiny_run, dd)
    assert not tie.switch  # equal scores: no churn for annotators
    assert len(LAYERS) == 3


def test_no_validation_rows_keep_the_serving_run(tiny_run, weak_run, gold_dataset):
    from datasets import DatasetDict

    _, dd = gold_dataset
    only_train = DatasetDict({"train": dd["train"]})
    d = decide(weak_run, tiny_run, only_train)
    assert not d.switch and "no validation rows" in d.reason
