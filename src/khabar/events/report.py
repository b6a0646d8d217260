"""The event table's outputs: Parquet and CSV tables, a timeline and a who-met-whom graph (PNG),
and one static HTML report that filters in the browser and links each event to its sentences."""

from __future__ import annotations

import html
import json
from collections import Counter
from itertools import combinations
from pathlib import Path

from khabar.io import write_if_changed, write_json
from khabar.plots import pyplot

# Event types whose participants meet: the edges of the who-met-whom graph.
MEETING_TYPES = ("MEET", "SUMMIT", "AGREEMENT")


def write_tables(mentions: list[dict], events: list[dict], dates: list[dict], out: Path) -> list:
    """events.parquet/.csv (one row per mention), merged.parquet/.csv, dates.csv."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("events", mentions), ("merged", events), ("dates", dates)):
        frame = pd.DataFrame(rows)
        if name != "dates":
            frame.to_parquet(out / f"{name}.parquet", index=False)
            written.append(out / f"{name}.parquet")
        flat = frame.map(lambda v: " | ".join(map(str, v)) if isinstance(v, list) else v)
        flat.to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    return written


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _label(e: dict, n: int = 3) -> str:
    names = ", ".join(e["participants"][:n]) + (" …" if len(e["participants"]) > n else "")
    return f"{e['event_type']}: {names or '–'}" + (f" @ {e['place']}" if e["place"] else "")


def timeline_png(events: list[dict], path: Path) -> Path:
    """Dated events on a time axis (one row each, bar = the interval), marker size = sources.
    Each row's label stands left of the axis as its tick label, so the dates get the plot's
    whole width and no label runs off the picture, however long."""
    from datetime import date, timedelta

    import matplotlib.dates as mdates

    plt = pyplot()
    dated = [e for e in events if e["time_start"]]
    labels = [f"{e['event_id']} {_label(e)} ({_n(len(e['sources']), 'source')})" for e in dated]
    longest = max((len(x) for x in labels), default=10)
    # About 0.075 inch per character at 8 pt, beside 7 inches of time axis.
    fig, ax = plt.subplots(figsize=(7 + 0.075 * longest, 1.4 + 0.32 * max(len(dated), 1)))
    types = sorted({e["event_type"] for e in dated})
    colours = {t: plt.get_cmap("tab10")(i % 10) for i, t in enumerate(types)}
    for y, e in enumerate(dated):
        a, b = date.fromisoformat(e["time_start"]), date.fromisoformat(e["time_end"])
        c = colours[e["event_type"]]
        ax.plot([a, b], [y, y], color=c, linewidth=4, solid_capstyle="round")
        ax.scatter([a], [y], s=30 + 40 * len(e["sources"]), color=c, zorder=3)
    ax.set_yticks(range(len(dated)), labels, fontsize=8)
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    if dated:
        first = min(date.fromisoformat(e["time_start"]) for e in dated)
        last = max(date.fromisoformat(e["time_end"]) for e in dated)
        pad = timedelta(days=max(1, (last - first).days // 20))
        ax.set_xlim(first - pad, last + pad)
        locator = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{len(dated)} dated events of {len(events)} (marker size: sources)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def meetings(events: list[dict]) -> Counter:
    """(a, b) -> how many meeting events both took part in."""
    pairs: Counter = Counter()
    for e in events:
        if e["event_type"] in MEETING_TYPES:
            for a, b in combinations(sorted(set(e["participants"])), 2):
                pairs[(a, b)] += 1
    return pairs


def graph_png(events: list[dict], path: Path) -> Path:
    """Who met whom: participants on a circle, an edge per pair that met (width = events)."""
    import math

    plt = pyplot()
    pairs = meetings(events)
    degree = Counter()
    for (a, b), n in pairs.items():
        degree[a] += n
        degree[b] += n
    names = [n for n, _ in degree.most_common()]
    pos = {
        n: (
            math.cos(2 * math.pi * i / max(len(names), 1)),
            math.sin(2 * math.pi * i / max(len(names), 1)),
        )
        for i, n in enumerate(names)
    }
    fig, ax = plt.subplots(figsize=(9, 9))
    for (a, b), n in pairs.items():
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ax.plot([x1, x2], [y1, y2], color="#457b9d", alpha=0.6, linewidth=1 + 1.5 * n, zorder=1)
    for n in names:
        x, y = pos[n]
        ax.scatter([x], [y], s=120 + 60 * degree[n], color="#f4a261", zorder=2)
        ax.annotate(
            n,
            (x, y),
            xytext=(6 * x, 6 * y),
            textcoords="offset points",
            fontsize=10,
            ha="left" if x >= 0 else "right",
            va="center",
        )
    ax.set_title(f"Who met whom ({', '.join(MEETING_TYPES)} events; edge width = events)")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ------------------------------------------------------------------ HTML

_STYLE = """
body{font-family:'Noto Sans Devanagari','Noto Sans',sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr.hidden{display:none}mark{background:#ffe08a}
#filter{font-size:16px;padding:4px;width:24em}.sent{margin:.4em 0}.src{color:#666}
img{max-width:100%;border:1px solid #eee}
"""
_SCRIPT = """
function applyFilter(){
  const q=document.getElementById('filter').value.toLowerCase();
  const t=document.getElementById('type').value;
  let shown=0;
  document.querySelectorAll('#events tbody tr').forEach(r=>{
    const ok=(!q||r.textContent.toLowerCase().includes(q))&&(!t||r.dataset.type===t);
    r.classList.toggle('hidden',!ok); shown+=ok;});
  document.getElementById('count').textContent=shown;
}
"""


def _sentence_id(r: dict) -> str:
    return f"s-{r['article_id']}-{r['sentence']}"


def _marked(r: dict) -> str:
    """The sentence with its trigger highlighted."""
    text = r["sentence_text"]
    i = text.find(r["trigger"])
    if i < 0:
        return html.escape(text)
    j = i + len(r["trigger"])
    return f"{html.escape(text[:i])}<mark>{html.escape(text[i:j])}</mark>{html.escape(text[j:])}"


def html_table(rows: list[list[str]], head: list[str]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def html_report(mentions: list[dict], events: list[dict], summary: dict, out: Path) -> Path:
    """report.html beside timeline.png and graph.png (which it shows)."""
    esc = html.escape
    by_event: dict[str, list[dict]] = {}
    for r in mentions:
        by_event.setdefault(r["event_id"], []).append(r)
    types = sorted({e["event_type"] for e in events})
    rows = []
    for e in events:
        per_source: dict[str, list[str]] = {}
        for r in by_event[e["event_id"]]:
            per_source.setdefault(r["source"], []).append(_sentence_id(r))
        links = "; ".join(
            esc(src) + " " + " ".join(f'<a href="#{sid}">{k}</a>' for k, sid in enumerate(sids, 1))
            for src, sids in per_source.items()
        )
        when = (
            e["time_start"]
            if e["time_start"] == e["time_end"]
            else (f"{e['time_start']} – {e['time_end']}" if e["time_start"] else "")
        )
        rows.append(
            (
                e["event_type"],
                f'<tr data-type="{esc(e["event_type"])}"><td>'
                f"{e['event_id']}</td><td>{esc(e['event_type'])}</td><td>"
                f"{esc(', '.join(e['participants']))}</td><td>{esc(e['place'] or '')}</td>"
                f"<td>{esc(when or '')}</td><td>{len(e['sources'])}: {links}</td></tr>",
            )
        )
    options = "".join(f'<option value="{esc(t)}">{esc(t)}</option>' for t in types)
    sentences: dict[str, list[dict]] = {}
    for r in sorted(mentions, key=lambda r: (r["article_id"], r["sentence"], r["trigger_start"])):
        sentences.setdefault(_sentence_id(r), []).append(r)
    sent_html = "".join(
        f'<div class="sent" id="{sid}"><span class="src">{esc(rs[0]["source"])} · '
        f"{esc(rs[0]['title'][:80])} · sentence {rs[0]['sentence']} · events "
        f"{', '.join(sorted({r['event_id'] for r in rs}))}</span><br>{_marked(rs[0])}</div>"
        for sid, rs in sentences.items()
    )
    stats = "".join(f"<li>{esc(k)}: {esc(str(v))}</li>" for k, v in summary["lines"].items())
    page = f"""<!doctype html><html lang="hi"><head><meta charset="utf-8">
<title>khabar events: {esc(summary["title"])}</title><style>{_STYLE}</style></head><body>
<h1>What the corpus says: {esc(summary["title"])}</h1><ul>{stats}</ul>
{summary.get("extra_html", "")}
<h2>Events</h2>
<p><input id="filter" placeholder="filter: a name, a place, a date …" oninput="applyFilter()">
<select id="type" onchange="applyFilter()"><option value="">all types</option>{options}</select>
<span id="count">{len(events)}</span> events shown</p>
<table id="events"><thead><tr><th>id</th><th>type</th><th>participants</th><th>place</th>
<th>time</th><th>sources (link to the sentence)</th></tr></thead>
<tbody>{"".join(r for _, r in rows)}</tbody></table>
<h2>Timeline</h2><img src="timeline.png" alt="timeline of dated events">
<h2>Who met whom</h2><img src="graph.png" alt="who met whom">
<h2>Sentences</h2>{sent_html}
<script>{_SCRIPT}</script></body></html>
"""
    path = out / "report.html"
    write_if_changed(path, page)
    return path


def write_summary(summary: dict, out: Path) -> Path:
    """summary.json: the figures the report shows."""
    write_json(out / "summary.json", json.loads(json.dumps(summary, default=str)))
    return out / "summary.json"
