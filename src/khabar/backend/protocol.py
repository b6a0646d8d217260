"""Label Studio's ML backend protocol as pure functions: what /setup checks, what /predict
answers, which webhook actions ask for training.

Label Studio 1.23 calls, on the backend's URL: GET /health (is it up), POST /setup (the project's
labelling config; answers the model_version), POST /predict (tasks -> one prediction each),
POST /train (legacy: every annotated task) or POST /webhook ({"action": "START_TRAINING"} when
someone presses *Start training*, or when an annotation is submitted in a project that starts
training on submission), GET /versions.
"""

from __future__ import annotations

import re

from khabar.schema import ENTITY_CONTROL, TEXT_OBJECT, TRIGGER_CONTROL

# Actions that start a training: Label Studio's own, and the project webhooks' annotation events.
# A deleted annotation counts, as in HumanSignal's reference backend: the training data changed,
# and a model that learnt from a deleted (say, wrong) annotation should not keep serving it.
TRAIN_ACTIONS = frozenset({"START_TRAINING", "ANNOTATION_CREATED", "ANNOTATION_UPDATED",
                           "ANNOTATIONS_CREATED", "ANNOTATION_DELETED",
                           "ANNOTATIONS_DELETED"})  # fmt: skip


def config_problem(label_config: str) -> str | None:
    """Why a project's labelling config cannot take khabar's predictions, or None when it can:
    the regions and relations name these controls and this text object."""
    wanted = [(f'<Labels name="{ENTITY_CONTROL}">', rf'<Labels\b[^>]*\bname="{ENTITY_CONTROL}"'),
              (f'<Labels name="{TRIGGER_CONTROL}">', rf'<Labels\b[^>]*\bname="{TRIGGER_CONTROL}"'),
              ("<Relations>", r"<Relations\b"),
              (f'<Text name="{TEXT_OBJECT}">', rf'<Text\b[^>]*\bname="{TEXT_OBJECT}"')]  # fmt: skip
    lacking = [tag for tag, pattern in wanted if not re.search(pattern, label_config or "")]
    if not lacking:
        return None
    return (f"the project's labelling config lacks {', '.join(lacking)}: connect the backend to "
            "a project made by `khabar push` (config from annotation/schema.yaml)")  # fmt: skip


def empty_prediction(model_version: str) -> dict:
    """The answer for a task that cannot be predicted (no text): no regions, score 0."""
    return {"model_version": model_version, "score": 0.0, "result": []}


def project_id(value) -> int | None:
    """The project id in a request: `{"id": 3, …}` (webhooks), 3 or "3.1700000000" (/setup,
    /predict: id and a timestamp); None when there is none."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    head = str(value or "").split(".", 1)[0].strip()
    return int(head) if head.isdigit() else None


def request_tasks(tasks) -> list[dict]:
    """The tasks of a /predict body as a list of objects: one object is one task (the body of
    the reference backend's own test); anything else is a ValueError saying what was sent."""
    if isinstance(tasks, dict):
        return [tasks]
    if not isinstance(tasks, list):
        raise ValueError(f"'tasks' must be a list of task objects, not {type(tasks).__name__}")
    bad = [i for i, t in enumerate(tasks) if not isinstance(t, dict)]
    if bad:
        raise ValueError(f"'tasks' must be a list of task objects; item {bad[0]} is a "
                         f"{type(tasks[bad[0]]).__name__}")  # fmt: skip
    return tasks


def training_reason(path: str, payload: dict) -> str | None:
    """Why a /train or /webhook request asks for training, or None when it does not (a webhook
    about something else)."""
    if path == "train":
        return "a train request"
    action = str((payload or {}).get("action") or "")
    return f"webhook {action}" if action in TRAIN_ACTIONS else None
