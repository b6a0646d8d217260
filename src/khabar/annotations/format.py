"""The Label Studio task and result format: khabar's regions and relations <-> task and result
JSON. Pure conversions; every stage that reads or writes annotations goes through them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from khabar.corpus.article import Article
from khabar.corpus.sentences import text_sentences
from khabar.schema import TEXT_OBJECT, TRIGGER_CONTROL

# Task data: what `khabar reanchor` could not place on the new text (JSON list), kept for a person.
UNPLACED_FIELD = "reanchor_unplaced"


@dataclass(frozen=True)
class Region:
    """A labelled span of the article text: an entity (control 'entity') or a trigger."""

    id: str
    start: int
    end: int
    label: str
    control: str
    text: str
    score: float | None = None

    @property
    def is_trigger(self) -> bool:
        """Whether this region is an event trigger (else an entity)."""
        return self.control == TRIGGER_CONTROL


@dataclass(frozen=True)
class Relation:
    """An argument link from a trigger region to an entity region with a role."""

    from_id: str
    to_id: str
    role: str


def content_hash(text: str) -> str:
    """Short hash of the cleaned text a task carries: offsets are only valid against it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def task_data(article: Article) -> dict:
    """The `data` of the Label Studio task for one article (text, sentences, metadata)."""
    return {
        TEXT_OBJECT: article.text,
        "article_id": article.id,
        "content_hash": content_hash(article.text),
        "title": article.title or "",
        "date": article.date or "",
        "source": article.source or "",
        "agency": article.agency or "",
        "url": article.url or "",
        "origin": article.origin,
        # JSON-encoded so Label Studio's data manager shows one column, not a nested table.
        "sentences": json.dumps(article.sentences),
    }


def task_sentences(data: dict) -> list[list[int]]:
    """Sentence spans from a task's data (as written by `task_data`)."""
    raw = data.get("sentences") or "[]"
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def task_article(task: dict) -> Article:
    """The article a Label Studio task carries, from its own data: the text, and the sentences
    cleaning found when the task came from the corpus, else sentences split here (a task
    imported by hand with a text only). The id is the article's, else the task's."""
    data = task.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError(f"task {task.get('id')} has data that is not an object")
    text = data.get(TEXT_OBJECT)
    if not isinstance(text, str):
        raise ValueError(f"task {task.get('id')} has no '{TEXT_OBJECT}' in its data")
    try:
        sentences = [[int(s), int(e)] for s, e in task_sentences(data)]
    except (ValueError, TypeError):  # not khabar's sentences: split the text like the corpus
        sentences = []
    if not sentences or any(not (0 <= s < e <= len(text)) for s, e in sentences):
        sentences = text_sentences(text)
    aid = str(data.get("article_id") or f"task-{task.get('id')}")
    return Article(id=aid, origin=str(data.get("origin") or f"label-studio/task/{task.get('id')}"),
                   text=text, sentences=sentences, title=data.get("title") or None,
                   date=data.get("date") or None, source=data.get("source") or None)  # fmt: skip


def region_result(region: Region) -> dict:
    """One Label Studio result item for a span region."""
    item = {
        "id": region.id,
        "from_name": region.control,
        "to_name": TEXT_OBJECT,
        "type": "labels",
        "origin": "prediction",
        "value": {
            "start": region.start,
            "end": region.end,
            "text": region.text,
            "labels": [region.label],
        },
    }
    if region.score is not None:
        item["score"] = round(region.score, 4)
    return item


def relation_result(rel: Relation) -> dict:
    """One Label Studio relation result item (trigger -> entity, role as its label)."""
    return {
        "from_id": rel.from_id,
        "to_id": rel.to_id,
        "type": "relation",
        "direction": "right",
        "labels": [rel.role],
    }


def to_results(regions: list[Region], relations: list[Relation] = ()) -> list[dict]:
    """Label Studio `result` list for regions and relations."""
    return [region_result(r) for r in regions] + [relation_result(r) for r in relations]


def prediction(regions: list[Region], model_version: str, relations=()) -> dict:
    """A Label Studio prediction; its score is the mean region score (1.0 when empty)."""
    scores = [r.score for r in regions if r.score is not None]
    return {
        "model_version": model_version,
        "score": round(sum(scores) / len(scores), 4) if scores else 1.0,
        "result": to_results(regions, list(relations)),
    }


def region_id(control: str, start: int, end: int) -> str:
    """Deterministic region id, so re-running the same tagger yields identical results."""
    return f"{control[0]}{start}_{end}"


def parse_results(result: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Split a Label Studio result list into (span items, relation items, other items)."""
    spans, relations, other = [], [], []
    for item in result or []:
        if item.get("type") == "relation":
            relations.append(item)
        elif item.get("type") == "labels" and "value" in item:
            spans.append(item)
        else:
            other.append(item)
    return spans, relations, other
