"""Connect khabar's ML backend to the project: registered once (a rerun updates it), used for
pre-annotation when an annotator opens a task, asked to train when annotations are submitted."""

from __future__ import annotations

from dataclasses import dataclass

from khabar.studio.client import Client

TITLE = "khabar"


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
        if self.removed:
            lines.append(f"{self.removed} other registration(s) of the same backend removed")
        lines.append("Each submitted annotation asks the backend to retrain (debounced; it "
                     "switches only to a run that beats the serving one on validation)."
                     if self.train_on_submit else
                     "Training only when someone presses Start training in the project's "
                     "Model settings.")  # fmt: skip
        return "\n".join(lines)


def connect_backend(client: Client, project_id: int, url: str, title: str = TITLE,
                    train_on_submit: bool = True) -> Connection:  # fmt: skip
    """Register the backend at `url` on the project, or update the registration with that url or
    title (never a second one), and turn pre-annotation from it on."""
    url = url.rstrip("/")
    mine = [m for m in client.ml_backends(project_id)
            if m["url"].rstrip("/") == url or m["title"] == title]  # fmt: skip
    if mine:
        backend_id = mine[0]["id"]
        client.update_ml_backend(backend_id, project_id, url, title)
        for extra in mine[1:]:
            client.delete_ml_backend(extra["id"])
    else:
        backend_id = client.add_ml_backend(project_id, url, title)
    client.use_ml_backend(project_id, title, train_on_submit)
    now = next(m for m in client.ml_backends(project_id) if m["id"] == backend_id)
    return Connection(backend_id, not mine, url, now["state"] or "", now["model_version"] or "",
                      train_on_submit, max(0, len(mine) - 1))  # fmt: skip
