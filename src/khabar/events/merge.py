"""Group event mentions that report the same real-world event, within and across articles.

A mention joins an event when it has the same type, shares a participant, does not contradict it
(another place, a time that cannot overlap, a person the other side lacks while it has people of
its own that the event lacks too) and something beyond the shared name ties them: overlapping
times, the same place, or the same article. A mention that gives no time joins another article's
dated event only when its article is dated within a month of it. Mentions are taken most precise
time first, so an event is founded by the mention that dates it best.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

# How far an article's date may lie from an event it reports without dating it.
NEAR = timedelta(days=31)


@dataclass
class Event:
    """One real-world event and the mentions that report it."""

    event_type: str
    rows: list[dict] = field(default_factory=list)
    participants: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)  # participants that are PER or ORG
    places: set[str] = field(default_factory=set)
    start: str | None = None
    end: str | None = None

    def accepts(self, row: dict) -> bool:
        """Whether `row` can be a report of this event."""
        if row["event_type"] != self.event_type or not set(row["participants"]) & self.participants:
            return False
        if row["place"] and self.places and row["place"] not in self.places:
            return False
        timed = row["time_status"] == "resolved" and self.start is not None
        if timed and not (row["time_start"] <= self.end and self.start <= row["time_end"]):
            return False
        mine = _people(row)
        if mine and self.people and not (mine <= self.people or self.people <= mine):
            return False
        same_article = any(r["article_id"] == row["article_id"] for r in self.rows)
        if not timed and not same_article and not self._near(row.get("anchor")):
            return False  # an undated mention joins another article's event only near its date
        return timed or bool(row["place"] and row["place"] in self.places) or same_article

    def _near(self, anchor: str | None) -> bool:
        """Whether an article dated `anchor` can report this event without saying when."""
        if not anchor or self.start is None:
            return True
        day = date.fromisoformat(anchor)
        start, end = date.fromisoformat(self.start), date.fromisoformat(self.end)
        return start - NEAR <= day <= end + NEAR

    def add(self, row: dict) -> None:
        """Take a mention in: its names, its place, and its time narrows the event's."""
        self.rows.append(row)
        self.participants |= set(row["participants"])
        self.people |= _people(row)
        if row["place"]:
            self.places.add(row["place"])
        if row["time_status"] == "resolved":
            if self.start is None:
                self.start, self.end = row["time_start"], row["time_end"]
            else:
                self.start, self.end = (
                    max(self.start, row["time_start"]),
                    min(self.end, row["time_end"]),
                )


def _people(row: dict) -> set[str]:
    """A mention's participants that are people or organisations (not countries)."""
    return set(row.get("participant_people") or [])


def _precision(row: dict) -> tuple:
    resolved = row["time_status"] == "resolved"
    width = (row["time_end"] > row["time_start"]) if resolved else True
    return (not resolved, width, row["time_end"] or "", row["article_id"], row["trigger_start"])


def merge_events(rows: list[dict]) -> list[dict]:
    """Event summaries (id, type, participants, place, time, sources, mentions); each row gets
    the `event_id` of its event."""
    events: list[Event] = []
    # Only events sharing a participant can take a mention: index them by (type, participant)
    # so a corpus of many thousand mentions is not compared pairwise.
    index: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in sorted(rows, key=_precision):
        keys = [(row["event_type"], p) for p in row["participants"]]
        candidates = sorted({i for k in keys for i in index[k]})
        home = next((i for i in candidates if events[i].accepts(row)), None)
        if home is None:
            home = len(events)
            events.append(Event(row["event_type"]))
        events[home].add(row)
        for k in keys:
            index[k].add(home)
    events.sort(key=lambda e: (e.start or "9999", e.event_type, sorted(e.participants)))
    out = []
    for n, e in enumerate(events, 1):
        eid = f"E{n:03d}"
        for r in e.rows:
            r["event_id"] = eid
        names = Counter(p for r in e.rows for p in r["participants"])
        places = Counter(r["place"] for r in e.rows if r["place"])
        times = sorted({r["time_value"] for r in e.rows if r["time_status"] == "resolved"})
        out.append(
            {
                "event_id": eid,
                "event_type": e.event_type,
                "participants": [p for p, _ in names.most_common()],
                "place": places.most_common(1)[0][0] if places else None,
                "time_start": e.start,
                "time_end": e.end,
                "time_values": times,
                "sources": sorted({r["source"] for r in e.rows}),
                "articles": sorted({r["article_id"] for r in e.rows}),
                "mentions": len(e.rows),
                "triggers": sorted({r["trigger"] for r in e.rows}),
            }
        )
    return out
