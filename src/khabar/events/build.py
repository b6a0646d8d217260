"""records -> canonical names -> event mentions -> merged events -> tables, plots and report."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from khabar.corpus.article import Article
from khabar.events.carry import carry_dates
from khabar.events.evaluate import date_scores, tuple_scores
from khabar.events.mentions import Mentions, name_counts
from khabar.events.names import Canonicaliser, read_aliases, write_aliases
from khabar.events.report import (
    graph_png,
    html_report,
    meetings,
    timeline_png,
    write_summary,
    write_tables,
)
from khabar.events.report import html_table as table


@dataclass
class EventInputs:
    """What one `khabar events` run reads."""

    records: list[dict]  # the mentions' source: predictions or gold, as records
    articles: dict[str, Article]
    aliases: Path  # the reviewable alias file; new spellings are added to it
    title: str  # what the report calls the source ("predictions of run default", "gold")
    gold: list[dict] | None = None  # gold records to score the tuples against
    held_out: set[str] | None = None  # articles no model saw in training (scored apart)
    date_truth: dict[tuple[str, int, str], str | None] = field(default_factory=dict)


def read_date_truth(path: Path) -> dict[tuple[str, int, str], str | None]:
    """Hand-checked DATE values, keyed (article_id, start, text); None: no calendar value."""
    truth: dict[tuple[str, int, str], str | None] = {}
    if not Path(path).is_file():
        return truth
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            aid, start, text, value = line.split("\t")[:4]
            truth[(aid, int(start), text)] = None if value.strip() == "-" else value.strip()
    return truth


def build(inp: EventInputs, out: Path, gold_out: Path | None = None) -> dict:
    """Write every output into `out` (and the gold's own into `gold_out`); return the summary
    (also in summary.json). Names are merged over both, so both tables use the same ones."""
    canon = Canonicaliser(read_aliases(inp.aliases))
    canon.fit(name_counts(inp.records + (inp.gold or [])), (a.text for a in inp.articles.values()))
    aliases_changed = write_aliases(canon.aliases, inp.aliases, canon.suggestions)
    found = carry_dates(inp.records, inp.articles, canon)
    if inp.gold is None:
        return _write(inp.records, found, inp, canon, aliases_changed, inp.title, out)
    gold = carry_dates(inp.gold, inp.articles, canon)
    tuples = {"all": tuple_scores(found[0].events, gold[0].events)}
    if inp.held_out:
        tuples["held_out"] = tuple_scores(found[0].events, gold[0].events, inp.held_out)
    summary = _write(inp.records, found, inp, canon, aliases_changed, inp.title, out, tuples)
    if gold_out is not None:
        _write(inp.gold, gold, inp, canon, False, "gold annotations", gold_out)
    return summary


def _write(
    records: list[dict],
    merged: tuple[Mentions, list[dict]],
    inp: EventInputs,
    canon: Canonicaliser,
    aliases_changed: bool,
    title: str,
    out: Path,
    tuples: dict | None = None,
) -> dict:
    found, events = merged
    summary = _summary(records, found, inp, canon, events, aliases_changed, title)
    if tuples:
        summary["tuples"] = tuples
    summary["extra_html"] = _extra_html(summary)
    write_tables(found.events, events, found.dates, out)
    timeline_png(events, out / "timeline.png")
    graph_png(events, out / "graph.png")
    html_report(found.events, events, summary, out)
    write_summary(summary, out)
    return summary


def _summary(
    records: list[dict],
    found: Mentions,
    inp: EventInputs,
    canon: Canonicaliser,
    events: list[dict],
    aliases_changed: bool,
    title: str,
) -> dict:
    used = {(e["label"], e["text"]) for r in records for e in r["entities"]}
    entities = {}
    for label, canons in canon.aliases.entries.items():
        for c, spellings in canons.items():
            seen = sorted({c, *spellings} & {t for lab, t in used if lab == label})
            if seen:
                entities.setdefault(label, {})[c] = seen
    dates = date_scores(found.dates, inp.date_truth)
    return {
        "title": title,
        "lines": {
            "articles": len({r["article_id"] for r in found.events}),
            "event mentions": len(found.events),
            "events after merging": len(events),
            "events reported by two or more sources": sum(len(e["sources"]) > 1 for e in events),
            "DATE spans resolved": f"{dates['resolved']} of {dates['spans']}"
            + (
                f"; {dates['right']} of {dates['checked']} hand-checked ones right"
                if dates["checked"]
                else ""
            ),
            "anchors": "; ".join(
                f"{aid}: {a.day} ({a.source})" if a else f"{aid}: none"
                for aid, a in found.anchors.items()
            ),
            "alias file": f"{inp.aliases} ({'updated' if aliases_changed else 'unchanged'})",
        },
        "dates": dates,
        "events": events,
        "entities": entities,
        "meetings": [{"a": a, "b": b, "events": n} for (a, b), n in meetings(events).items()],
        "no_article": found.no_article,
    }


def _extra_html(summary: dict) -> str:
    esc = html.escape
    parts = []
    if "tuples" in summary:
        rows = []
        for scope, s in summary["tuples"].items():
            for kind in ("strict", "relaxed"):
                m = s[kind]
                rows.append(
                    [
                        scope,
                        kind,
                        f"{m['precision']:.3f}",
                        f"{m['recall']:.3f}",
                        f"{m['f1']:.3f}",
                        f"{m['tp']} / {m['predicted']} / {m['gold']}",
                    ]
                )
        parts.append(
            "<h2>Event tuples against gold</h2><p>(type, participants, place, time) per "
            "article; relaxed: same type and a shared participant.</p>"
            + table(rows, ["articles", "match", "P", "R", "F1", "tp / pred / gold"])
        )
    ents = [
        [esc(label), esc(c), esc(", ".join(v))]
        for label, cs in summary["entities"].items()
        for c, v in cs.items()
        if len(v) > 1
    ]
    parts.append("<h2>Merged names</h2>" + table(ents, ["type", "canonical", "spellings seen"]))
    return "\n".join(parts)
