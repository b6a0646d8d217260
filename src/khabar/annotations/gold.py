"""Gold annotations: the files, their validation (the export's checks plus the span rules of the
guidelines) and the counts appendix; re-anchoring onto re-cleaned text is in `reanchor`.

A gold file is Label Studio task + annotation JSON (what `khabar load-annotations` loads): `data`
is the task data of the cleaned article (its text, sentences and content hash), `annotations`
holds one ground-truth annotation. Because the file keeps the text it was made on, every span can
be found again by its content and context after ingest cleaning changes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from khabar.annotations.format import (
    Region,
    Relation,
    content_hash,
    parse_results,
    task_data,
    to_results,
)
from khabar.annotations.validate import Checks, validate_regions
from khabar.corpus.article import Article
from khabar.io import read_json, write_atomic
from khabar.schema import Schema

# Case markers and postpositions: outside every span (guidelines §1.1). Checked at both ends.
POSTPOSITIONS = frozenset("ने से के की को में का पर तक द्वारा लिए साथ बीच ओर".split())


# ---------------------------------------------------------------- gold items


def gold_item(article: Article, regions: list[Region], relations: list[Relation]) -> dict:
    """A gold file's content for one article: task data plus one ground-truth annotation."""
    result = to_results(sorted(regions, key=lambda r: (r.start, r.end, r.control)), relations)
    for item in result:
        if item.get("type") == "labels":
            item["origin"] = "manual"
            item.pop("score", None)
    return {"data": task_data(article), "annotations": [{"result": result, "ground_truth": True}]}


def item_regions(item: dict) -> tuple[list[Region], list[Relation]]:
    """Regions and relations of a gold item's first annotation, as written (not validated)."""
    spans, rels, _ = parse_results(item["annotations"][0]["result"])
    regions = []
    for s in spans:
        v = s["value"]
        label = (v.get("labels") or [""])[0]
        regions.append(
            Region(s["id"], v["start"], v["end"], label, s["from_name"], v.get("text", ""))
        )
    relations = [Relation(r["from_id"], r["to_id"], (r.get("labels") or [""])[0]) for r in rels]
    return regions, relations


def read_gold_files(gold_dir: Path) -> dict[Path, dict]:
    """The parsed content of each gold file, keyed by file (one article per file)."""
    return {p: read_json(p) for p in sorted(Path(gold_dir).glob("*.json"))}


def read_gold(gold_dir: Path) -> list[dict]:
    """Gold items from annotation/gold/*.json (Label Studio task + annotations JSON)."""
    items: list[dict] = []
    for payload in read_gold_files(gold_dir).values():
        items += payload if isinstance(payload, list) else [payload]
    return items


def write_gold(item: dict, path: Path) -> None:
    """Write a gold item as stable, diff-friendly JSON (one result item per line)."""
    data = json.dumps(item["data"], ensure_ascii=False, indent=1)
    rest = {k: v for k, v in item.items() if k not in ("data", "annotations")}
    anns = []
    for ann in item["annotations"]:
        head = {k: v for k, v in ann.items() if k != "result"}
        lines = ",\n".join("   " + json.dumps(r, ensure_ascii=False) for r in ann["result"])
        head_json = json.dumps(head, ensure_ascii=False)[1:-1]
        anns.append("  {" + head_json + (", " if head_json else "") + '"result": [\n'
                    + lines + "\n  ]}")  # fmt: skip
    extra = "".join(f',\n "{k}": {json.dumps(v, ensure_ascii=False)}' for k, v in rest.items())
    body = '{\n "data": ' + data + ',\n "annotations": [\n' + ",\n".join(anns) + "\n ]" + extra
    write_atomic(path, [body, "\n}\n"])


# ---------------------------------------------------------------- validation


def span_rule_problems(text: str, r: Region) -> list[str]:
    """The gold's span rule beyond the export's edge checks: no postposition at an edge."""
    words = text[r.start : r.end].split()
    if words and (words[0] in POSTPOSITIONS or words[-1] in POSTPOSITIONS):
        return [f"{r.start}-{r.end} {r.label} {text[r.start : r.end]!r}: starts or ends with a "
                "postposition"]  # fmt: skip
    return []


@dataclass
class GoldCheck:
    """What the validator found in one gold item."""

    article_id: str
    regions: list[Region] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def validate_item(item: dict, schema: Schema, article: Article | None = None) -> GoldCheck:
    """Check one gold item against the schema, its own text and (if given) the cleaned article.

    The export's checks (labels, exact offsets, sentences, overlaps and the schema's nesting
    policy, relation roles) run first;
    the gold adds the span rules and refuses anything the export would have dropped or repaired.
    """
    data = item.get("data") or {}
    check = GoldCheck(data.get("article_id", "?"))
    text = data.get("text", "")
    if data.get("content_hash") != content_hash(text):
        check.problems.append("content_hash does not match the text in the file")
    if article is not None and content_hash(article.text) != data.get("content_hash"):
        check.problems.append(
            "made on another version of the cleaned text: run `khabar reanchor-gold`"
        )
    for u in item.get("reanchor_unplaced") or []:
        check.problems.append(f"not re-anchored: {u.get('reason')}: {u.get('item')}")
    anns = item.get("annotations") or []
    if len(anns) != 1:
        check.problems.append(f"expected one annotation, found {len(anns)}")
        return check
    report = Checks()
    task = {"id": None, "data": data}
    regions, relations = validate_regions(task, anns[0], schema, report)
    check.problems += [p.detail for p in report.problems]
    if report.repaired_offsets:
        check.problems.append(f"{report.repaired_offsets} regions use UTF-16 offsets")
    ids = [r.id for r in regions]
    if len(ids) != len(set(ids)):
        check.problems.append("region ids are not unique")
    for r in regions:
        check.problems += span_rule_problems(text, r)
    check.regions, check.relations = regions, relations
    return check


# ---------------------------------------------------------------- counts


def count_table(items: list[dict], schema: Schema) -> str:
    """Markdown table of gold counts: one row per label, one column per article, and totals."""
    items = sorted(items, key=lambda i: i["data"].get("origin", ""))
    names = [Path(i["data"].get("origin", "")).stem or i["data"]["article_id"] for i in items]
    short = [n.split("_")[0] for n in names]
    names = short if len(set(short)) == len(short) else names
    counts = []
    for item in items:
        regions, relations = item_regions(item)
        c = Counter(r.label for r in regions)
        c["arguments"] = len(relations)
        counts.append(c)
    kinds = ([("entity", n) for n in schema.entity_names]
             + [("trigger", n) for n in schema.event_names] + [("link", "arguments")])  # fmt: skip
    lines = [
        "| kind | label | " + " | ".join(names) + " | total |",
        "|---|---|" + "---:|" * (len(names) + 1),
    ]
    for kind, label in kinds:
        row = [c[label] for c in counts]
        lines.append(f"| {kind} | {label} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    for kind, labels in (("entities", schema.entity_names), ("triggers", schema.event_names)):
        row = [sum(c[k] for k in labels) for c in counts]
        lines.append(f"| **all {kind}** | | " + " | ".join(f"**{x}**" for x in row)
                     + f" | **{sum(row)}** |")  # fmt: skip
    return "\n".join(lines)


COUNTS_START, COUNTS_END = "<!-- gold-counts:start -->", "<!-- gold-counts:end -->"


def replace_counts(document: str, table: str) -> str:
    """The guidelines text with the generated counts table between its markers."""
    head, sep, rest = document.partition(COUNTS_START)
    _, sep2, tail = rest.partition(COUNTS_END)
    if not sep or not sep2:
        raise ValueError(f"markers {COUNTS_START} … {COUNTS_END} not found")
    return f"{head}{COUNTS_START}\n{table}\n{COUNTS_END}{tail}"
