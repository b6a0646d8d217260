"""The one thin client between khabar and a Label Studio server (label-studio-sdk 2.x).

Every network call of khabar goes through this module. Errors a user can fix (server down,
wrong token) become `LabelStudioError` with one sentence saying what to run or set.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

import httpx
import requests
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

RETRIES = 4
# Transient failures worth retrying: the server restarting, a timeout, a 5xx.
_TRANSIENT = (httpx.TransportError,)
# What `iter_task_summaries` asks the data manager for.
SUMMARY_FIELDS = "id,data,total_annotations,predictions_model_versions"
# The data manager cuts a listed column's text at this many characters.
DM_CHAR_LIMIT = 500


class LabelStudioError(RuntimeError):
    """A Label Studio problem explained in one sentence (no stack trace for the user)."""


def _with_retries(fn: Callable, *args, retries: int = RETRIES, **kwargs):
    """Call fn, retrying transport errors and 5xx answers with exponential back-off."""
    for attempt in range(retries):
        try:
            return fn(*args, **kwargs)
        except _TRANSIENT:
            if attempt == retries - 1:
                raise
        except ApiError as exc:
            if not (exc.status_code and exc.status_code >= 500) or attempt == retries - 1:
                raise
        time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


class Client:
    """A connection to one Label Studio server, checked on creation."""

    def __init__(self, url: str, token: str, timeout: float = 120.0):
        if not token:
            raise LabelStudioError(
                "No Label Studio API token: set LABEL_STUDIO_API_KEY in the environment or "
                ".env (a legacy token or a personal access token from Account & Settings)."
            )
        self.url = url.rstrip("/")
        self._timeout = timeout
        # The SDK exchanges a personal access token (a JWT refresh token) for access tokens
        # itself and sends a legacy token as is, so both kinds work here.
        self.sdk = LabelStudio(base_url=self.url, api_key=token, timeout=timeout)
        self.call(self.sdk.users.whoami)

    def call(self, fn: Callable, *args, **kwargs):
        """Run one SDK call with retries, turning user-fixable failures into LabelStudioError."""
        try:
            return _with_retries(fn, *args, **kwargs)
        except httpx.ConnectError:
            raise LabelStudioError(
                f"Label Studio is not reachable at {self.url}: start it with "
                "`make label-studio`, or set LABEL_STUDIO_URL to the running server."
            ) from None
        except httpx.TimeoutException:
            raise LabelStudioError(
                f"Label Studio at {self.url} did not answer within {self._timeout:.0f}s; "
                "check the server log (.labelstudio/server.log)."
            ) from None
        except httpx.TransportError as exc:  # it went away mid-call (killed, restarted)
            raise LabelStudioError(
                f"Label Studio at {self.url} stopped answering ({type(exc).__name__}): start "
                "it again (`make label-studio`) and rerun the command."
            ) from None
        except ApiError as exc:
            if exc.status_code == 403 and "reserved network address" in _detail(exc):
                raise LabelStudioError(
                    f"Label Studio at {self.url} refused a local address ({_detail(exc)}): start "
                    "it with ML_BLOCK_LOCAL_IP=false and SSRF_PROTECTION_ENABLED=false "
                    "(scripts/labelstudio.sh does so when it listens on loopback)."
                ) from None
            if exc.status_code in (401, 403):
                raise LabelStudioError(
                    f"Label Studio at {self.url} rejected the API token (HTTP "
                    f"{exc.status_code}): set LABEL_STUDIO_API_KEY to a valid legacy token or "
                    "personal access token (Account & Settings in Label Studio)."
                ) from None
            raise

    # ------------------------------------------------------------ projects

    def ensure_project(self, title: str, label_config: str, instructions: str = "") -> int:
        """Create the project, or bring an existing one's config up to date; return its id."""
        found = [p for p in self.call(self.sdk.projects.list, title=title) if p.title == title]
        fields = dict(label_config=label_config, expert_instruction=instructions,
                      show_instruction=bool(instructions))  # fmt: skip
        if not found:
            return self.call(self.sdk.projects.create, title=title, **fields).id
        project = found[0]
        if project.label_config != label_config or project.expert_instruction != instructions:
            try:
                self.call(self.sdk.projects.update, id=project.id, **fields)
            except ApiError as exc:
                raise LabelStudioError(
                    f"Label Studio refused the new label config for project {project.id} "
                    f"({_detail(exc)}); existing annotations use labels the schema no longer has."
                ) from None
        return project.id

    def find_project(self, title: str) -> int:
        """Id of the project with this title; LabelStudioError when there is none."""
        for p in self.call(self.sdk.projects.list, title=title):
            if p.title == title:
                return p.id
        raise LabelStudioError(
            f"No Label Studio project titled {title!r} at {self.url}: run `khabar push` first."
        )

    def task_count(self, project_id: int) -> int:
        """How many tasks the project has: one request, whatever its size."""
        return self.project_settings(project_id)["tasks"]

    def project_settings(self, project_id: int) -> dict:
        """The project settings khabar reads: overlap, sampling and the scoring model version,
        and its number of tasks."""
        p = self.call(self.sdk.projects.get, id=project_id)
        return {"overlap": p.maximum_annotations or 1, "sampling": p.sampling,
                "model_version": p.model_version or "", "tasks": p.task_number or 0}  # fmt: skip

    def set_overlap(self, project_id: int, overlap: int) -> None:
        """Have `overlap` annotators label every task (Label Studio's maximum_annotations)."""
        self.call(self.sdk.projects.update, id=project_id, maximum_annotations=overlap,
                  overlap_cohort_percentage=100)  # fmt: skip

    def set_uncertainty_sampling(self, project_id: int, model_version: str) -> None:
        """Serve annotators the task whose `model_version` prediction has the lowest score first."""
        self.call(self.sdk.projects.update, id=project_id, model_version=model_version,
                  sampling="Uncertainty sampling")  # fmt: skip

    # ------------------------------------------------------------ ML backends

    def ml_backends(self, project_id: int) -> list[dict]:
        """The project's ML backends: id, url, title, description, state, model_version, error."""
        return [_ml_fields(m) for m in self.call(self.sdk.ml.list, project=project_id)]

    def ml_backend(self, backend_id: int) -> dict:
        """One ML backend as it is now: Label Studio asks its /health and /setup first, so the
        model_version is the one it serves at this moment."""
        return _ml_fields(self.call(self.sdk.ml.get, id=backend_id))

    def add_ml_backend(self, project_id: int, url: str, title: str, description: str = "") -> int:
        """Register an ML backend (Label Studio checks its /health and /setup first)."""
        return self._ml_backend(self.sdk.ml.create, project=project_id, url=url, title=title,
                                description=description).id  # fmt: skip

    def update_ml_backend(self, backend_id: int, project_id: int, url: str, title: str,
                          description: str = "") -> None:  # fmt: skip
        """Point a registered ML backend at `url` under `title` (checked like a new one)."""
        self._ml_backend(self.sdk.ml.update, id=backend_id, project=project_id, url=url,
                         title=title, description=description)  # fmt: skip

    def _ml_backend(self, fn: Callable, **fields):
        """Create or update an ML backend registration: not interactive, its model version
        taken from the backend's /setup."""
        try:
            return self.call(fn, is_interactive=False, auto_update=True, **fields)
        except ApiError as exc:
            raise LabelStudioError(f"Label Studio refused the ML backend at {fields['url']}: "
                                   f"{_detail(exc)}") from None  # fmt: skip

    def delete_ml_backend(self, backend_id: int) -> None:
        """Remove an ML backend registration."""
        self.call(self.sdk.ml.delete, id=backend_id)

    def use_ml_backend(self, project_id: int, title: str, train_on_submit: bool) -> None:
        """Pre-annotate from the backend titled `title` when a task is opened (the project's
        model_version names it), and ask it to train on each submitted annotation or not."""
        self.call(self.sdk.projects.update, id=project_id, model_version=title,
                  show_collab_predictions=True,
                  min_annotations_to_start_training=1 if train_on_submit else 0)  # fmt: skip

    def ensure_view(self, project_id: int, title: str, data: dict) -> int:
        """Create or replace the data manager tab `title` (filters, ordering); return its id."""
        for v in self.call(self.sdk.views.list, project=project_id):
            if (v.data or {}).get("title") == title:
                self.call(self.sdk.views.update, id=str(v.id), project=project_id,
                          data={**data, "title": title})  # fmt: skip
                return v.id
        return self.call(self.sdk.views.create, project=project_id,
                         data={**data, "title": title}).id  # fmt: skip

    def view_tasks(self, project_id: int, view_id: int) -> Iterator[dict]:
        """The tasks of a data manager tab, in the tab's order, one page at a time."""
        pager = self.call(self.sdk.tasks.list, project=project_id, view=view_id, fields="all",
                          page_size=500)  # fmt: skip
        for t in pager:
            yield t.dict() if hasattr(t, "dict") else dict(t)

    # ------------------------------------------------------------ users

    def users(self) -> dict[int, str]:
        """Members of the organisation: user id -> email."""
        return {u.id: u.email for u in self.call(self.sdk.users.list)}

    def add_annotator(self, email: str, password: str, first_name: str = "") -> tuple[int, bool]:
        """Create an annotator account that can log in; return (user id, created now).

        The users API makes accounts without a password, so the account is made the way an
        invited person would: through the organisation's invite link, by the signup form.
        """
        known = {e.lower(): i for i, e in self.users().items()}
        if email.lower() in known:
            return known[email.lower()], False
        token = self.call(self.sdk.organizations.invites.get_invite_link).token
        session = requests.Session()
        signup = f"{self.url}/user/signup/?token={token}"
        try:
            session.get(signup, timeout=self._timeout)
            resp = session.post(
                signup,
                data={"email": email, "password": password,
                      "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
                headers={"Referer": signup}, allow_redirects=False, timeout=self._timeout,
            )  # fmt: skip
        except requests.ConnectionError:
            raise LabelStudioError(f"Label Studio is not reachable at {self.url}") from None
        known = {e.lower(): i for i, e in self.users().items()}
        if resp.status_code != 302 or email.lower() not in known:
            raise LabelStudioError(
                f"Label Studio did not create the account {email} (HTTP {resp.status_code}); "
                "passwords need 8 or more characters and the email must be valid."
            )
        if first_name:
            self.call(self.sdk.users.update, id=known[email.lower()], first_name=first_name)
        return known[email.lower()], True

    # ------------------------------------------------------------ tasks

    def tasks(self, project_id: int) -> list[dict]:
        """Every task of a project as plain dicts (data, predictions, annotations)."""
        return list(self.iter_tasks(project_id))

    def iter_tasks(self, project_id: int) -> Iterator[dict]:
        """The tasks of a project one page at a time, as plain dicts: a caller that keeps only
        what it needs of each never holds every task's text."""
        pager = self.call(self.sdk.tasks.list, project=project_id, fields="all", page_size=500)
        for t in pager:
            yield t.dict() if hasattr(t, "dict") else dict(t)

    def iter_task_summaries(self, project_id: int, filters: dict | None = None) -> Iterator[dict]:
        """Each task's id, data, total_annotations and `versions` (its predictions' model
        versions; None where Label Studio cut the list short), one page at a time: the data
        manager's sparse listing, which leaves out every annotation and prediction (10,000
        tasks with a prediction each: 7.8 s against 44.5 s for `iter_tasks`). `filters`: a
        data-manager filter ({"conjunction": ..., "items": [...]}) to list only its tasks."""
        query = self._versions_only(project_id) | ({"filters": filters} if filters else {})
        pager = self.call(self.sdk.tasks.list, project=project_id, fields="task_only",
                          include=SUMMARY_FIELDS, query=json.dumps(query),
                          page_size=500)  # fmt: skip
        for t in pager:
            task = t.dict() if hasattr(t, "dict") else dict(t)
            task["versions"] = model_versions(task.pop("predictions_model_versions", None))
            yield task

    def _versions_only(self, project_id: int) -> dict:
        """A data-manager query that computes one column, predictions_model_versions: the data
        manager computes a column only when it is visible, so every other one is hidden."""
        columns = self.call(self._raw, "GET", "api/dm/columns/", params={"project": project_id})
        hidden = [f"tasks:{'data.' if c.get('parent') == 'data' else ''}{c['id']}"
                  for c in columns.json()["columns"]]  # fmt: skip
        hidden = [c for c in hidden if c != "tasks:predictions_model_versions"]
        return {"hiddenColumns": {"explore": hidden, "labeling": hidden}}

    def task(self, task_id: int) -> dict:
        """One task whole: data, annotations (every annotator's) and predictions."""
        return self.call(self._raw, "GET", f"api/tasks/{task_id}/").json()

    def task_predictions(self, task_id: int) -> list[dict]:
        """One task's predictions (id, model_version, score, result)."""
        return [p.dict() if hasattr(p, "dict") else dict(p)
                for p in self.call(self.sdk.predictions.list, task=task_id)]  # fmt: skip

    def import_tasks(
        self,
        project_id: int,
        tasks: list[dict],
        chunk_size: int = 500,
        on_chunk: Callable[[int], None] | None = None,
    ) -> list[int]:
        """Import tasks in chunks (each one server transaction); return the new task ids."""
        responses = self._in_chunks(self.sdk.projects.import_tasks, project_id, tasks,
                                    chunk_size, on_chunk, return_task_ids=True)  # fmt: skip
        return [i for resp in responses for i in resp.task_ids or []]

    def _in_chunks(self, fn: Callable, project_id: int, items: list[dict], chunk_size: int,
                   on_chunk: Callable[[int], None] | None, **kwargs) -> list:  # fmt: skip
        """Send `items` to a project's bulk endpoint `fn`, one request per chunk; the answers."""
        answers = []
        for i in range(0, len(items), chunk_size):
            chunk = items[i : i + chunk_size]
            answers.append(self.call(fn, id=project_id, request=chunk, **kwargs))
            if on_chunk:
                on_chunk(len(chunk))
        return answers

    def update_task_data(self, task_id: int, data: dict) -> None:
        """Replace a task's data (only safe while it has no annotations)."""
        self.call(self.sdk.tasks.update, id=str(task_id), data=data)

    def delete_task(self, task_id: int) -> None:
        """Delete one task."""
        self.call(self.sdk.tasks.delete, id=str(task_id))

    # ------------------------------------------------------------ predictions, annotations

    def add_prediction(self, task_id: int, pred: dict) -> int:
        """Attach a prediction (model_version, score, result) to a task."""
        return self.call(self.sdk.predictions.create, task=task_id, **pred).id

    def delete_prediction(self, prediction_id: int) -> None:
        """Delete one prediction."""
        self.call(self.sdk.predictions.delete, id=prediction_id)

    def import_predictions(
        self,
        project_id: int,
        preds: list[dict],
        chunk_size: int = 5000,
        on_chunk: Callable[[int], None] | None = None,
    ) -> int:
        """Attach predictions (each naming its `task`), one request per chunk; return how many."""
        responses = self._in_chunks(self.sdk.projects.import_predictions, project_id, preds,
                                    chunk_size, on_chunk)  # fmt: skip
        return sum(resp.created or 0 for resp in responses)

    def delete_model_version(self, project_id: int, model_version: str) -> None:
        """Delete every prediction of one model_version in a project, in one request.

        Label Studio also clears the project's own model_version when it names the deleted one
        (or an ML backend): see `project_model_version` to put it back.
        """
        self.call(self._raw, "DELETE", f"api/projects/{project_id}/model-versions/",
                  json={"model_version": model_version})  # fmt: skip

    def model_versions_newest_first(self, project_id: int) -> list[str]:
        """The model versions of the project's predictions, the one made last first: one
        aggregate on the server, however many tasks the project has."""
        answer = self.call(self._raw, "GET", f"api/projects/{project_id}/model-versions/",
                           params={"extended": "true"})  # fmt: skip
        return [v["model_version"] for v in answer.json()["static"] if v.get("model_version")]

    def project_model_version(self, project_id: int) -> str | None:
        """The model_version the project samples by (uncertainty) and shows predictions of."""
        return self.call(self.sdk.projects.get, id=project_id).model_version or None

    def set_project_model_version(self, project_id: int, model_version: str) -> None:
        """Set the project's model_version (it must have predictions or be an ML backend)."""
        self.call(self.sdk.projects.update, id=project_id, model_version=model_version)

    def _raw(self, method: str, path: str, **kwargs) -> httpx.Response:
        """An endpoint the SDK has no method for, with the SDK's auth; HTTP errors as ApiError."""
        resp = self.sdk._client_wrapper.httpx_client.request(path, method=method, **kwargs)
        if resp.status_code >= 400:
            raise ApiError(status_code=resp.status_code, headers=dict(resp.headers),
                           body=resp.text)  # fmt: skip
        return resp

    def create_annotation(
        self,
        task_id: int,
        result: list[dict],
        *,
        unique_id: str,
        ground_truth: bool = False,
        parent_prediction: int | None = None,
    ) -> int | None:
        """Create an annotation unless one with `unique_id` exists; return its id or None."""
        kwargs = dict(result=result, unique_id=unique_id, ground_truth=ground_truth,
                      was_cancelled=False)  # fmt: skip
        if parent_prediction is not None:
            kwargs["parent_prediction"] = parent_prediction
        try:
            return self.call(self.sdk.annotations.create, id=task_id, **kwargs).id
        except ApiError as exc:
            # Label Studio enforces unique ids: a 409 means this annotation is already loaded.
            if exc.status_code == 409:
                return None
            raise

    def update_annotation(self, annotation_id: int, result: list[dict]) -> None:
        """Replace an annotation's result (its author, ground-truth star and times are kept)."""
        self.call(self.sdk.annotations.update, id=annotation_id, result=result)

    def update_prediction(self, prediction_id: int, result: list[dict]) -> None:
        """Replace a prediction's result (its model_version and score are kept)."""
        self.call(self.sdk.predictions.update, id=prediction_id, result=result)

    def set_ground_truth(self, annotation_id: int, value: bool) -> None:
        """Mark or unmark an annotation as ground truth."""
        self.call(self.sdk.annotations.update, id=annotation_id, ground_truth=value)

    # ------------------------------------------------------------ export

    def export(self, project_id: int, poll: float = 0.5, timeout: float = 1800.0) -> bytes:
        """Full JSON export through the create -> poll -> download path (large projects too)."""
        sink = io.BytesIO()
        self.export_to(project_id, sink, poll, timeout)
        return sink.getvalue()

    def export_to(self, project_id: int, sink: BinaryIO, poll: float = 0.5,
                  timeout: float = 1800.0) -> None:  # fmt: skip
        """The full JSON export, written into the binary file `sink` chunk by chunk as it
        downloads, so a large project's export is never held whole."""
        exports = self.sdk.projects.exports
        # Full predictions, not only their ids: an annotation's parent tells a stand-in or a
        # reviewer's adjudication from an annotator's own work.
        # Without a job queue (Redis) Label Studio writes the snapshot inside this request:
        # 100,000 tasks took longer than the client's usual 120 s, so it gets the export's own.
        snap = self.call(exports.create, id=project_id, title="khabar export",
                         serialization_options={"predictions": {"only_id": False}},
                         request_options={"timeout_in_seconds": int(timeout)})  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            status = self.call(exports.get, id=project_id, export_pk=snap.id).status
            if status == "completed":
                break
            if status == "failed":
                raise LabelStudioError(
                    f"Label Studio export {snap.id} of project {project_id} failed"
                )
            if time.monotonic() > deadline:
                raise LabelStudioError(
                    f"Label Studio export {snap.id} not ready after {timeout:.0f}s"
                )
            time.sleep(poll)

        def download() -> None:
            sink.seek(0)  # a retried download starts the file again
            sink.truncate()
            for chunk in exports.download(id=project_id, export_pk=snap.id, export_type="JSON"):
                sink.write(chunk)

        self.call(download)
        self.call(exports.delete, id=project_id, export_pk=snap.id)


def model_versions(listed: str | None) -> list[str] | None:
    """The model versions in a task's data-manager column `predictions_model_versions`, sorted:
    "v1,v2" on SQLite, "v1, v2" on PostgreSQL (quotes stripped); None when the column was cut
    at DM_CHAR_LIMIT and so may not name them all."""
    if not listed:
        return []
    if len(listed) >= DM_CHAR_LIMIT:
        return None
    return sorted({v.strip() for v in listed.split(",") if v.strip()})


def _detail(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("detail") or body.get("validation_errors") or exc.body)[:300]


def _ml_fields(m) -> dict:
    """The fields of an ML backend registration khabar reads."""
    return {"id": m.id, "url": m.url, "title": m.title, "state": m.state,
            "description": m.description or "", "model_version": m.model_version,
            "error": m.error_message}  # fmt: skip
