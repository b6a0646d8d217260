"""The backend's state: the serving run (loaded once), predictions built exactly as
`push-predictions` builds them, and the switch to a better run that a training job produced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from khabar.annotations.format import task_article
from khabar.backend.protocol import empty_prediction
from khabar.model.infer.prediction import ls_prediction, predict_articles
from khabar.model.infer.run import Run, load_run


class Backend:
    """One serving run and the lock that keeps one forward pass at a time (on a small machine,
    two concurrent passes only fight for the same cores)."""

    def __init__(self, run: Run, log: Callable[[str], None] = print, batch_size: int = 32,
                 device: str | None = None, precision: str | None = None):  # fmt: skip
        self.run, self._log, self.batch_size = run, log, batch_size
        self.device, self.precision = device, precision  # as asked: a new run is placed so too
        self._model_lock = threading.Lock()
        self.switches: list[dict] = []
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S")

    @property
    def model_version(self) -> str:
        """The serving run's name: the model_version of every prediction it makes."""
        return self.run.name

    def predict(self, tasks: list[dict]) -> list[dict]:
        """One Label Studio prediction per task, from the task's own text (and its sentences
        when it came from the corpus), built by `ls_prediction` as `push-predictions` does."""
        run = self.run  # a switch during this call does not mix two runs in one answer
        arts, out = [], []
        for task in tasks:
            try:
                arts.append(task_article(task))
            except ValueError as exc:
                self._log(f"task {task.get('id')}: {exc}; answered with an empty prediction")
                arts.append(None)
        with self._model_lock:
            records = iter(predict_articles(run, [a for a in arts if a], self.batch_size))
        for art in arts:
            out.append(ls_prediction(next(records)) if art else empty_prediction(run.name))
        return out

    def decide_and_switch(self, run_dir: Path, dataset_dir: Path) -> dict:
        """Compare a freshly trained run with the serving one on the new dataset's validation
        split (`selection.decide`) and serve it when it is better; the decision as a dict."""
        from datasets import load_from_disk
        from khabar.model.assess.selection import decide

        candidate = load_run(run_dir, baselines=False, device=self.device,
                             precision=self.precision)  # fmt: skip
        dd = load_from_disk(str(dataset_dir))
        with self._model_lock:  # scoring shares the cores with predictions: one at a time
            decision = decide(candidate, self.run, dd)
        if decision.switch:
            old, self.run = self.run.name, candidate
            self.switches.append({"from": old, "to": candidate.name, "reason": decision.reason,
                                  "at": time.strftime("%Y-%m-%dT%H:%M:%S")})  # fmt: skip
            self._log(f"now serving {candidate.name} (was {old}): {decision.reason}")
        else:
            self._log(f"still serving {self.run.name}: {decision.reason}")
        return decision.to_dict()

    def status(self) -> dict:
        """What the backend serves and since when, and every switch so far."""
        return {"model_version": self.model_version, "run": str(self.run.path),
                "device": self.run.placement.device, "precision": self.run.precision,
                "started": self.started, "switches": list(self.switches)}  # fmt: skip


def load_backend(run_dir: Path, log: Callable[[str], None] = print, device: str | None = None,
                 precision: str | None = None) -> Backend:  # fmt: skip
    """The backend for a run folder; `RunError` (one sentence) when the folder lacks files."""
    run = load_run(run_dir, baselines=False, device=device, precision=precision)
    return Backend(run, log, device=device, precision=precision)
