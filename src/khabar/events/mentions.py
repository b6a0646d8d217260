"""Event mentions: one row per trigger, with its participants, place and time, read the same way
from a model's predictions, from a Label Studio export, or from the gold files."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from khabar.annotations.decision import decide
from khabar.annotations.format import Region, Relation
from khabar.annotations.gold import item_regions, read_gold
from khabar.annotations.validate import Checks
from khabar.corpus.article import Article
from khabar.events.dates import (
    Anchor,
    TimeValue,
    article_anchor,
    is_future,
    normalise,
    post_anchors,
)
from khabar.events.names import Canonicaliser
from khabar.io import iter_jsonl
from khabar.schema import Schema
from khabar.spans import sentence_of

PEOPLE = ("PER", "ORG")  # participants that are people or organisations, not countries

# ------------------------------------------------------------------ sources -> records
# A record is what `khabar predict` writes per article: entities, triggers (id, start, end,
# label, text, score) and arguments (trigger_id, entity_id, role, score). Gold is made to look
# the same, so everything below reads one shape.


def record(
    article_id: str, regions: Iterable[Region], relations: Iterable[Relation], version: str
) -> dict:
    """A prediction-shaped record from annotated regions and relations."""

    def span(r: Region) -> dict:
        return {
            "id": r.id,
            "start": r.start,
            "end": r.end,
            "label": r.label,
            "text": r.text,
            "score": r.score,
        }

    regions = sorted(regions, key=lambda r: (r.start, r.end))
    return {
        "article_id": article_id,
        "model_version": version,
        "entities": [span(r) for r in regions if not r.is_trigger],
        "triggers": [span(r) for r in regions if r.is_trigger],
        "arguments": [
            {"trigger_id": x.from_id, "entity_id": x.to_id, "role": x.role, "score": None}
            for x in relations
        ],
    }


def records_from_export(export: list[dict], schema: Schema) -> tuple[list[dict], Checks]:
    """What stands for each task of a Label Studio export (the same decision rules as the
    dataset build), as records; tasks nobody annotated are left out."""
    report, out = Checks(), []
    for task in export:
        decided = decide(task, schema, report)
        if decided:
            regions, relations, _, _ = decided
            aid = str((task.get("data") or {}).get("article_id") or f"task-{task.get('id')}")
            out.append(record(aid, regions, relations, "gold"))
    return out, report


def records_from_gold(gold_dir: Path) -> list[dict]:
    """The gold files (annotation/gold) as records."""
    return [
        record(item["data"]["article_id"], *item_regions(item), "gold")
        for item in read_gold(gold_dir)
    ]


def records_from_predictions(path: Path) -> list[dict]:
    """`khabar predict`'s output."""
    return list(iter_jsonl(path))


# ------------------------------------------------------------------ records -> mention rows


@dataclass
class Mentions:
    """Event mention rows, the DATE spans with their normalised values, and what was skipped."""

    events: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)
    anchors: dict[str, Anchor | None] = field(default_factory=dict)
    no_article: list[str] = field(default_factory=list)


def name_counts(records: Iterable[dict]) -> Counter:
    """(entity type, spelling) -> how often, over all records (what the canonicaliser fits)."""
    return Counter((e["label"], e["text"]) for r in records for e in r["entities"])


def outlet(article: Article) -> str:
    """Who reported the article: the outlet, else the agency, else its file."""
    agency = (article.dateline or {}).get("agency") or article.agency
    return article.source or agency or Path(article.origin).name


def event_mentions(
    records: Iterable[dict],
    articles: dict[str, Article],
    canon: Canonicaliser,
    anchors: dict[str, Anchor] | None = None,
) -> Mentions:
    """One row per trigger (and one per DATE span) of records whose article is in the corpus;
    `anchors`: dates carried from other reports to articles that have none of their own."""
    out, anchors = Mentions(), anchors or {}
    for rec in records:
        art = articles.get(rec["article_id"])
        if art is None:
            out.no_article.append(rec["article_id"])
            continue
        dates = [e["text"] for e in rec["entities"] if e["label"] == "DATE"]
        anchor = out.anchors[art.id] = anchors.get(art.id) or article_anchor(art, dates)
        local = post_anchors(art.text)
        times = {
            e["id"]: _time(e, art, _local(local, e) or anchor)
            for e in rec["entities"]
            if e["label"] == "DATE"
        }
        out.dates += [
            {
                "article_id": art.id,
                "span_start": e["start"],
                "span_end": e["end"],
                **times[e["id"]].to_dict(),
            }
            for e in rec["entities"]
            if e["id"] in times
        ]
        out.events += [
            {**row, "anchor": anchor.day.isoformat() if anchor else None}
            for row in _rows(rec, art, canon, times)
        ]
    return out


def _local(local: list[tuple[int, int, Anchor]], entity: dict) -> Anchor | None:
    """The anchor of the quoted post a span lies in, if any."""
    return next((a for s, e, a in local if s <= entity["start"] and entity["end"] <= e), None)


def _time(entity: dict, art: Article, anchor: Anchor | None) -> TimeValue:
    """Normalise a DATE span, reading the tense of its own clause: from the span to the next
    'कि', semicolon or sentence end (in 'X ने शुक्रवार को घोषणा की और कहा कि … करेंगे' the
    future belongs to what was announced, not to Friday)."""
    i = sentence_of(art.sentences, entity["start"], entity["end"])
    end = art.sentences[i][1] if i is not None else entity["end"]
    clause = re.split(r"\sकि\s|;|।", art.text[entity["start"] : end], maxsplit=1)[0]
    return normalise(entity["text"], anchor, future=is_future(clause))


def _rows(rec: dict, art: Article, canon: Canonicaliser, times: dict[str, TimeValue]) -> list:
    entities = {e["id"]: e for e in rec["entities"]}
    rows = []
    for t in rec["triggers"]:
        args = [
            a for a in rec["arguments"] if a["trigger_id"] == t["id"] and a["entity_id"] in entities
        ]
        by_role: dict[str, list[dict]] = {}
        for a in sorted(args, key=lambda a: entities[a["entity_id"]]["start"]):
            by_role.setdefault(a["role"], []).append(entities[a["entity_id"]])

        parts: dict[str, str] = {}  # canonical participant -> its entity type
        for e in by_role.get("participant", []):
            parts.setdefault(canon.canonical(e["label"], e["text"]), e["label"])
        time = next((times[e["id"]] for e in by_role.get("time", []) if e["id"] in times), None)
        i = sentence_of(art.sentences, t["start"], t["end"])
        scores = [a["score"] for a in args if a.get("score") is not None]
        rows.append(
            {
                "article_id": art.id,
                "source": outlet(art),
                "title": art.title or "",
                "event_type": t["label"],
                "trigger": t["text"],
                "trigger_start": t["start"],
                "trigger_end": t["end"],
                "sentence": i if i is not None else -1,
                "sentence_text": art.text[slice(*art.sentences[i])] if i is not None else "",
                "participants": list(parts),
                "participant_people": [n for n, label in parts.items() if label in PEOPLE],
                "place": (_names(canon, by_role, "place") or [None])[0],
                "topic": (_names(canon, by_role, "topic") or [None])[0],
                "time_text": time.text if time else None,
                "time_value": time.value if time else None,
                "time_start": time.start if time else None,
                "time_end": time.end if time else None,
                "time_status": time.status if time else None,
                "trigger_score": t.get("score"),
                "argument_score": round(sum(scores) / len(scores), 4) if scores else None,
                "model_version": rec.get("model_version"),
            }
        )
    return rows


def _names(canon: Canonicaliser, by_role: dict[str, list[dict]], role: str) -> list[str]:
    """The canonical names filling one role, in text order, each once."""
    return list(
        dict.fromkeys(canon.canonical(e["label"], e["text"]) for e in by_role.get(role, []))
    )
