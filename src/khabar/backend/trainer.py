"""Training from Label Studio, in the background and one at a time: export -> train a new run
(named by time) -> evaluate -> compare with the serving run on validation -> switch or keep.

Requests are debounced: each one (a train request, a submitted annotation) restarts a quiet
period, and a job starts once no request came for `debounce_s` seconds (or `max_wait_s` after
the first one, so a steady stream of submissions cannot postpone training for ever). A burst of
fifty submissions starts one training; requests that arrive during a job start one more after it.

Each step is the `khabar` command a person would run, in a subprocess at lower CPU priority:
training for minutes must not hold the serving process's interpreter, a crash in it must not
take the backend down, and its log is the same as a manual run's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

JOBS_FILE = "jobs.jsonl"


@dataclass
class TrainerConfig:
    """Where a training job writes and how it trains."""

    work_dir: Path = field(
        default=Path("models/backend"),
        metadata={"help": "Export, dataset and job logs of the backend's trainings."},
    )
    runs_dir: Path = field(
        default=Path("models"), metadata={"help": "Where each new run (named by time) goes."}
    )
    schema: Path = field(default=Path("annotation/schema.yaml"), metadata={"help": "Schema."})
    splits: Path = field(
        default=Path("annotation/splits.tsv"),
        metadata={"help": "Split manifest: new articles are added, none ever moves."},
    )
    train_args: list[str] = field(
        default_factory=list, metadata={"help": "Extra `khabar train` options, e.g. --epochs 10."}
    )
    debounce_s: float = field(
        default=60.0, metadata={"help": "Quiet seconds after the last request before training."}
    )
    max_wait_s: float = field(
        default=600.0, metadata={"help": "Longest wait after the first request of a burst."}
    )


def run_name(runs_dir: Path, now: float | None = None) -> str:
    """A new run's name: the local time, with a suffix when that folder exists already."""
    base = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    name, k = base, 1
    while (runs_dir / name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


def retrain_args(train_args: list[str], served: dict) -> list[str]:
    """`khabar train` options of the backend's retrainings: the served run's transfer folder
    (`make all`'s default pool, or a base) unless the options name one, so a retrained model
    keeps learning from the public corpora the served one did."""
    given = (served.get("args") or {}).get("transfer")
    if not given or any(a == "--transfer" or a.startswith("--transfer=") for a in train_args):
        return list(train_args)
    return [*train_args, "--transfer", given]


def job_commands(cfg: TrainerConfig, run_dir: Path) -> list[tuple[str, list[str]]]:
    """(step, command) of one training job: the CLI commands a person would run."""
    khabar = [sys.executable, "-m", "khabar.cli"]
    data = cfg.work_dir / "dataset"
    return [
        ("export", [*khabar, "export", "--out", str(cfg.work_dir / "export" / "export.json"),
                    "--dataset", str(data), "--conll", str(cfg.work_dir / "conll"),
                    "--schema", str(cfg.schema), "--splits", str(cfg.splits)]),
        ("train", [*khabar, "train", "--dataset", str(data), "--out", str(run_dir),
                   *cfg.train_args]),
        ("evaluate", [*khabar, "evaluate", "--run", str(run_dir), "--dataset", str(data)]),
    ]  # fmt: skip


def _lower_priority() -> None:  # pragma: no cover - runs in the child
    os.nice(10)


class Trainer:
    """The background trainer: `request()` from the HTTP handlers, one worker thread."""

    def __init__(self, cfg: TrainerConfig, decide: Callable[[Path, Path], dict],
                 log: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic):  # fmt: skip
        """`decide(run_dir, dataset_dir)` compares the new run with the serving one, switches if
        it should, and returns the decision (`selection.Decision.to_dict()`). `clock` measures
        the quiet period (tests pass one they advance by hand, so no timing can split a burst)."""
        self.cfg, self._decide, self._log, self._clock = cfg, decide, log, clock
        self._cond = threading.Condition()
        self._pending = 0  # requests not yet taken by a job
        self._first = self._last = 0.0
        self._state = "idle"
        self._jobs: list[dict] = []
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="khabar-trainer", daemon=True)
        self._thread.start()

    def request(self, reason: str) -> dict:
        """Ask for a training; returns the trainer's status."""
        with self._cond:
            now = self._clock()
            if not self._pending:
                self._first = now
            self._pending += 1
            self._last = now
            self._cond.notify_all()
        self._log(f"training requested ({reason}); starts after {self.cfg.debounce_s:g} s "
                  "without another request")  # fmt: skip
        return self.status()

    def status(self) -> dict:
        """State (idle, waiting, training), pending requests and the jobs so far."""
        with self._cond:
            state = "waiting" if self._pending and self._state == "idle" else self._state
            return {"state": state, "pending_requests": self._pending,
                    "jobs": [dict(j) for j in self._jobs]}  # fmt: skip

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker (a running job's subprocess finishes on its own)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _take(self) -> int | None:
        """Wait for requests and their quiet period; the number taken, None when stopping."""
        with self._cond:
            while not self._stop:
                if not self._pending:
                    self._cond.wait()
                    continue
                wake = min(self._last + self.cfg.debounce_s, self._first + self.cfg.max_wait_s)
                now = self._clock()
                if now >= wake:
                    taken, self._pending, self._state = self._pending, 0, "training"
                    return taken
                self._cond.wait(wake - now)
            return None

    def _loop(self) -> None:
        while (taken := self._take()) is not None:
            job = self.run_job(taken)
            with self._cond:
                self._jobs.append(job)
                self._state = "idle"

    def run_job(self, requests: int = 1) -> dict:
        """One training job; its record (also appended to work_dir/jobs.jsonl)."""
        cfg = self.cfg
        name = run_name(cfg.runs_dir)
        run_dir = cfg.runs_dir / name
        logs = cfg.work_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        job = {"run": name, "requests": requests, "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "log": str(logs / f"{name}.log"), "steps": {}}  # fmt: skip
        self._log(f"training {name} ({requests} requests): export -> train -> evaluate; log "
                  f"{job['log']}")  # fmt: skip
        started = time.perf_counter()
        with open(job["log"], "w", encoding="utf-8") as out:
            for step, cmd in job_commands(cfg, run_dir):
                t0 = time.perf_counter()
                out.write(f"$ {' '.join(cmd)}\n")
                out.flush()
                rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    preexec_fn=_lower_priority).returncode  # fmt: skip
                job["steps"][step] = round(time.perf_counter() - t0, 1)
                if rc != 0:
                    job["decision"] = {"switch": False, "reason": f"{step} failed (exit {rc}), "
                                       f"see {job['log']}; keeping the serving run"}  # fmt: skip
                    break
        if "decision" not in job:
            try:
                job["decision"] = self._decide(run_dir, cfg.work_dir / "dataset")
            except Exception as exc:  # noqa: BLE001 - a job must never take the backend down
                job["decision"] = {"switch": False, "reason": f"comparing the runs failed: {exc}"}
        job["seconds"] = round(time.perf_counter() - started, 1)
        self._log(f"training {name} done in {job['seconds']:.0f} s: {job['decision']['reason']}")
        with open(cfg.work_dir / JOBS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(job, ensure_ascii=False) + "\n")
        return job
