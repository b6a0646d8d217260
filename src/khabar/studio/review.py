"""The review of suspect annotations in Label Studio: one `khabar-review` prediction per task
with suspects (built by `review.proposal`), and a saved tab that lists those tasks."""

from __future__ import annotations

from khabar.studio.client import Client
from khabar.studio.sync import PredictionReport, replace_predictions

REVIEW_VIEW = "khabar: suspected errors"


def push_review(
    client: Client,
    project_id: int,
    preds: dict[str, dict],
    version: str,
    sentences: dict[str, list[tuple[int, str]]],
) -> tuple[PredictionReport, int]:
    """Replace every earlier review (a rerun leaves none on a task without suspects now) by
    `preds` (article_id -> prediction of `version`), on the tasks whose text still holds the
    reviewed `sentences` ((start, text) per article; others are reported stale), and save the
    tab that lists them; (report, the tab's id)."""
    kept = client.project_model_version(project_id)
    client.delete_model_version(project_id, version)
    if kept and client.project_model_version(project_id) != kept:
        client.set_project_model_version(project_id, kept)
    hashes = {}
    for t in client.iter_task_summaries(project_id):
        aid, text = t["data"].get("article_id"), t["data"].get("text", "")
        if aid in preds and all(text[a : a + len(s)] == s for a, s in sentences.get(aid, [])):
            hashes[aid] = t["data"].get("content_hash")
    report = replace_predictions(client, project_id, preds, hashes)
    only_reviewed = {"filter": "filter:tasks:predictions_model_versions", "operator": "contains",
                     "type": "List", "value": [version]}  # fmt: skip
    filters = {"conjunction": "and", "items": [only_reviewed]}
    view = client.ensure_view(project_id, REVIEW_VIEW, {"filters": filters})
    return report, view
