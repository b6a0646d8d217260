"""Rule + gazetteer pre-annotator: dates, known names and trigger words as predictions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from khabar.annotations.format import prediction, task_data
from khabar.annotations.rules import DATE_RE, prelabel
from khabar.corpus.article import Article
from khabar.schema import Schema

__all__ = ["DATE_RE", "build_task", "load_gazetteer", "model_version", "prelabel"]

DEFAULT_GAZETTEER = Path("annotation/gazetteer.yaml")


def load_gazetteer(path: Path | str = DEFAULT_GAZETTEER) -> dict[str, list[str]]:
    """Read annotation/gazetteer.yaml: entity label -> names."""
    path = Path(path)
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(n) for n in (v or [])] for k, v in raw.items()}


# Prefix of every rule model_version; `khabar queue` ranks by the rules until a model exists.
RULES_PREFIX = "rules-"


def model_version(schema: Schema, gazetteer: dict[str, list[str]]) -> str:
    """'rules-<hash>': changes whenever the trigger words or the gazetteer change."""
    blob = repr((sorted(gazetteer.items()), [(e.name, e.examples) for e in schema.events]))
    return RULES_PREFIX + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]


def build_task(article: Article, schema: Schema, gazetteer: dict[str, list[str]]) -> dict:
    """A Label Studio task for an article, with the rule pre-annotations as a prediction."""

    regions = prelabel(article.text, schema, gazetteer)
    return {
        "data": task_data(article),
        "predictions": [prediction(regions, model_version(schema, gazetteer))],
    }
