"""Dates carried between reports of the same event.

An article with no date of its own (no dateline, no article date, nothing its text pins down)
leaves its weekdays and "इस साल" unresolved. When one of its event mentions merges with an event
another article dates, that date becomes the undated article's anchor, marked `anchored_by: event
E…`; an article with a date of its own is never touched. Two such events that disagree (another
day) contradict each other and carry nothing. Resolution and merging are rerun with the new
anchors until no article gains one: each round anchors at least one more undated article or
stops, so the loop ends within as many rounds as there are undated articles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from khabar.corpus.article import Article
from khabar.events.dates import Anchor
from khabar.events.mentions import Mentions, event_mentions
from khabar.events.merge import merge_events
from khabar.events.names import Canonicaliser

# An event dated more loosely than this (a month, a year) is no day to anchor a report on.
MAX_SPAN = timedelta(days=7)


def carry_dates(
    records: Iterable[dict], articles: dict[str, Article], canon: Canonicaliser
) -> tuple[Mentions, list[dict]]:
    """Event mentions with dates carried to undated articles, and the merged events."""
    records = list(records)
    carried: dict[str, tuple[Anchor, tuple[str, int]]] = {}  # article -> anchor, dating row
    for _ in range(len(articles) + 1):
        found = event_mentions(records, articles, canon, {a: c[0] for a, c in carried.items()})
        events = merge_events(found.events)
        new = _carried(found, events)
        if not new:
            break
        carried |= new
    _mark(found, carried)
    return found, events


def _carried(found: Mentions, events: list[dict]) -> dict[str, tuple[Anchor, tuple[str, int]]]:
    """Undated article -> the anchor one dated event gives it (none where two disagree)."""
    undated = {a for a, anchor in found.anchors.items() if anchor is None}
    summary = {e["event_id"]: e for e in events}
    days: dict[str, dict[date, tuple[str, int]]] = defaultdict(dict)
    by_event = defaultdict(list)
    for r in found.events:
        by_event[r["event_id"]].append(r)
    for eid, rows in by_event.items():
        e = summary[eid]
        if not e["time_start"]:
            continue
        start, end = date.fromisoformat(e["time_start"]), date.fromisoformat(e["time_end"])
        dating = [r for r in rows if r["time_status"] == "resolved" and r["article_id"] not in
                  undated]  # fmt: skip
        if end - start > MAX_SPAN or not dating:
            continue
        for aid in {r["article_id"] for r in rows} & undated:
            days[aid].setdefault(end, (dating[0]["article_id"], dating[0]["trigger_start"]))
    return {
        aid: (Anchor(day, f"date of the event reported by {row[0]}"), row)
        for aid, found_days in days.items()
        if len(found_days) == 1
        for day, row in found_days.items()
    }


def _mark(found: Mentions, carried: dict) -> None:
    """Name the event each carried anchor came from (`anchored_by`), by its final id."""
    eid = {(r["article_id"], r["trigger_start"]): r["event_id"] for r in found.events}
    for r in (*found.events, *found.dates):
        r["anchored_by"] = None
    for aid, (anchor, row) in carried.items():
        label = f"event {eid.get(row, '?')}"
        found.anchors[aid] = replace(anchor, source=f"{anchor.source}; anchored_by: {label}")
        for r in found.events:
            if r["article_id"] == aid:
                r["anchored_by"] = label
        for d in found.dates:
            if d["article_id"] == aid:
                d["anchored_by"] = label
                d["how"] = d["how"].replace(anchor.source, found.anchors[aid].source)
