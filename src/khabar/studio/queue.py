"""Least confident first: Label Studio serves annotators the unlabelled task the newest model is
least sure of (uncertainty sampling on its model_version, and a saved data-manager tab)."""

from __future__ import annotations

from dataclasses import dataclass, field

from khabar.annotations.coding import ADJUDICATION_VERSION
from khabar.studio.client import Client
from khabar.studio.mlbackend import serving_version
from khabar.studio.prelabel import RULES_PREFIX

QUEUE_VIEW = "khabar: least confident first"


class QueueError(ValueError):
    """A ranking the project cannot use: it would turn the connected backend off."""


def uncertainty_version(newest_first: list[str]) -> str | None:
    """The model_version whose scores rank the queue, of the project's versions (the one made
    last first): the newest model run's, else the rule pre-annotator's (adjudication proposals
    never rank it)."""
    pool = [v for v in newest_first if v and v != ADJUDICATION_VERSION]
    models = [v for v in pool if not v.startswith(RULES_PREFIX)]
    return (models or pool or [None])[0]


@dataclass
class QueueReport:
    """The least-confident-first queue as Label Studio now serves it."""

    version: str | None
    total: int = 0
    order: list[tuple[int, float | None]] = field(default_factory=list)
    view_id: int | None = None
    backend: bool = False  # ranked by the run the connected ML backend serves

    @property
    def unscored(self) -> int:
        """Unlabelled tasks without a prediction of `version` (served after the scored ones)."""
        return sum(u is None for _, u in self.order)

    def summary(self) -> str:
        """One line for the terminal."""
        line = (f"{len(self.order)} of {self.total} tasks still need annotations; ranked by "
                f"{self.version or 'nothing (no predictions)'} uncertainty, most uncertain first"
                f"{f'; {self.unscored} have no score' if self.unscored else ''}")  # fmt: skip
        if self.backend:
            push = ", `make push-predictions` of that run scores them all" if self.unscored else ""
            line += f" (the run the ML backend serves; it scores a task when it is opened{push})"
        return line


def queue(client: Client, project_id: int, version: str | None = None) -> QueueReport:
    """Serve annotators the most uncertain unlabelled task first.

    Uncertainty = 1 - the task's prediction score of `version` (for a model run that is its
    article uncertainty; for the rules, the mean region score). Label Studio then does the rest:
    uncertainty sampling on that version for "Label All Tasks", and a saved data-manager tab of
    unlabelled tasks in that order.

    While khabar's ML backend is connected, its serving run is the version (see `mlbackend`):
    ranking by another would turn its pre-annotation off, so asking for one is a QueueError.
    """
    served = serving_version(client, project_id)
    if served and version and version != served:
        raise QueueError(
            f"the connected ML backend serves {served}, and Label Studio keeps one model_version "
            f"per project: ranking by {version} would turn its pre-annotation off. Rank by "
            f"{served} (leave out --model-version), or serve {version} (`make ml-backend "
            f"RUN=...`, then `make connect-backend`)"
        )  # fmt: skip
    # Nothing here holds every task: the versions are one aggregate, the count one number, and
    # the tab's tasks are read a page at a time, keeping each one's id and uncertainty.
    settings = client.project_settings(project_id)
    overlap = settings["overlap"]
    version = (
        served or version or uncertainty_version(client.model_versions_newest_first(project_id))
    )
    report = QueueReport(version, total=settings["tasks"], backend=bool(served))
    if version is None:
        report.order = [(t["id"], None) for t in client.iter_task_summaries(project_id)
                        if (t.get("total_annotations") or 0) < overlap]  # fmt: skip
        return report
    client.set_uncertainty_sampling(project_id, version)
    report.view_id = client.ensure_view(project_id, QUEUE_VIEW, {
        "ordering": ["tasks:predictions_score"],
        "filters": {"conjunction": "and", "items": [{
            "filter": "filter:tasks:total_annotations", "operator": "less", "type": "Number",
            "value": overlap}]},
    })  # fmt: skip
    for t in client.view_tasks(project_id, report.view_id):
        scores = [p.get("score") for p in t.get("predictions") or []
                  if p.get("model_version") == version and p.get("score") is not None]  # fmt: skip
        report.order.append((t["id"], round(1 - scores[-1], 4) if scores else None))
    return report
