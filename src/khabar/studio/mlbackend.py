"""Connect khabar's ML backend to the project: registered once (a rerun updates it), used for
pre-annotation when an annotator opens a task, asked to train when annotations are submitted.

This module owns the project's `model_version` while a backend is connected. Label Studio 1.23
has one value for two features: live pre-annotation needs it to equal the title of an ML backend
(`Project.ml_backend_in_model_version`), and uncertainty sampling ("Label All Tasks", the
`predictions_score` ordering) ranks by the stored predictions of that exact version. khabar
therefore titles its registration with the run the backend serves, which is also the
model_version of that run's predictions (`push-predictions` and the backend's own): one value
makes both work. `serving_version` renames the registration when the backend has switched runs
(Label Studio moves the project's value along), and `khabar queue` ranks by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from khabar.studio.client import Client

TITLE = "khabar"  # the title before the backend has said which run it serves
MARK = "khabar ML backend (khabar serve-backend)"  # description: finds the registration again


@dataclass
class Connection:
    """What `connect_backend` did and what Label Studio says of the backend."""

    backend_id: int
    created: bool
    url: str
    state: str
    model_version: str
    train_on_submit: bool
    removed: int = 0

    def summary(self, project_url: str) -> str:
        """What annotators will see, in a few lines."""
        verb = "registered" if self.created else "already registered, updated"
        lines = [
            f"ML backend {self.url} {verb} (id {self.backend_id}, state {self.state}, serving "
            f"model_version {self.model_version or '?'})",
            f"Annotators who open a task at {project_url} (Label All Tasks, or a task in the "
            "list that has no prediction yet) get the backend's entity regions, trigger regions "
            "and argument relations as an editable pre-annotation, with their scores; each "
            "task is predicted once per model version and kept.",
        ]
        lines.append(f"The project's model_version is {self.model_version or '?'}, the run the "
                     "backend serves: pre-annotation and the least-confident-first queue (`make "
                     "queue`) both use it.")  # fmt: skip
        if self.removed:
            lines.append(f"{self.removed} other registration(s) of the same backend removed")
        lines.append("Each submitted annotation asks the backend to retrain (debounced; it "
                     "switches only to a run that beats the serving one on validation)."
                     if self.train_on_submit else
                     "Training only when someone presses Start training in the project's "
                     "Model settings.")  # fmt: skip
        return "\n".join(lines)


def _registrations(client: Client, project_id: int, url: str | None = None) -> list[dict]:
    """khabar's registrations on the project: the one at `url`, or any it made before."""
    return [m for m in client.ml_backends(project_id)
            if (url and m["url"].rstrip("/") == url) or m["description"] == MARK
            or m["title"] == TITLE]  # fmt: skip


def _title_as_served(client: Client, project_id: int, backend_id: int) -> dict:
    """Give the registration the title of the run it serves now; return the registration."""
    now = client.ml_backend(backend_id)  # fresh: Label Studio asks the backend's /setup
    served = now["model_version"] or now["title"]
    if served != now["title"]:
        client.update_ml_backend(backend_id, project_id, now["url"], served, MARK)
    return now | {"title": served}


def serving_version(client: Client, project_id: int) -> str | None:
    """The model_version the project must use while khabar's backend is connected (the run it
    serves), after renaming the registration if the backend switched runs; None without one."""
    regs = _registrations(client, project_id)
    return _title_as_served(client, project_id, regs[0]["id"])["title"] if regs else None


def connect_backend(client: Client, project_id: int, url: str,
                    train_on_submit: bool = True) -> Connection:  # fmt: skip
    """Register the backend at `url` on the project, or update khabar's registration with that
    url (never a second one), title it with the run it serves and turn pre-annotation from it
    on (the project's model_version = that run: uncertainty sampling keeps working)."""
    url = url.rstrip("/")
    mine = _registrations(client, project_id, url)
    if mine:
        backend_id = mine[0]["id"]
        client.update_ml_backend(backend_id, project_id, url, mine[0]["title"], MARK)
        for extra in mine[1:]:
            client.delete_ml_backend(extra["id"])
    else:
        backend_id = client.add_ml_backend(project_id, url, TITLE, description=MARK)
    now = _title_as_served(client, project_id, backend_id)
    client.use_ml_backend(project_id, now["title"], train_on_submit)
    return Connection(backend_id, not mine, url, now["state"] or "", now["model_version"] or "",
                      train_on_submit, max(0, len(mine) - 1))  # fmt: skip
