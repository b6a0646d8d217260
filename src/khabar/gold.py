"""Gold annotations: locate spans, validate them, re-anchor them onto re-cleaned text, count them.

A gold file is Label Studio task + annotation JSON (what `khabar load-annotations` loads): `data`
is the task data of the cleaned article (its text, sentences and content hash), `annotations`
holds one ground-truth annotation. Because the file keeps the text it was made on, every span can
be found again by its content and context after ingest cleaning changes.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from khabar.corpus import Article, write_atomic
from khabar.dataset import BuildReport, validate_regions
from khabar.lsformat import (
    Region,
    Relation,
    content_hash,
    parse_results,
    region_id,
    task_data,
    to_results,
)
from khabar.schema import Schema
from khabar.spans import tokenize

# Case markers and postpositions: outside every span (guidelines §1.1). Checked at both ends.
POSTPOSITIONS = frozenset("ने से के की को में का पर तक द्वारा लिए साथ बीच ओर".split())
# A span may begin with these non-letters: handles and hashtags carry them in their name.
NAME_SIGILS = "@#"
CONTEXT = 40  # characters of context each side used to re-anchor a span
# A place is trusted only when this many characters of context around it still match: a word
# that merely occurs elsewhere (a name repeated in another sentence) must not attract the span.
MIN_CONTEXT = 8


# ---------------------------------------------------------------- locating spans by string


def _is_boundary(text: str, i: int) -> bool:
    """Whether offset i does not cut a word (letters, vowel signs, digits) in two."""
    if i <= 0 or i >= len(text):
        return True

    def wordish(ch: str) -> bool:
        return unicodedata.category(ch)[0] in "LMN" or ch in "\u200c\u200d"

    return not (wordish(text[i - 1]) and wordish(text[i]))


def occurrences(text: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Start offsets of `needle` in text[lo:hi] that begin and end on word boundaries."""
    hi = len(text) if hi is None else hi
    out, i = [], text.find(needle, lo, hi)
    while needle and i != -1:
        if _is_boundary(text, i) and _is_boundary(text, i + len(needle)):
            out.append(i)
        i = text.find(needle, i + 1, hi)
    return out


def locate(text: str, needle: str, lo: int = 0, hi: int | None = None, occurrence: int = 1):
    """(start, end) of the n-th whole-word occurrence of `needle` in text[lo:hi], or None."""
    found = occurrences(text, needle, lo, hi)
    if not 1 <= occurrence <= len(found):
        return None
    return found[occurrence - 1], found[occurrence - 1] + len(needle)


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
    return {
        p: json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(gold_dir).glob("*.json"))
    }


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


def span_rule_problems(text: str, r: Region, starts: set[int], ends: set[int]) -> list[str]:
    """Span rules a program can check: no edge space, punctuation or postposition; whole tokens
    (`starts`, `ends`: the token offsets of `text`)."""
    span = text[r.start : r.end]
    where = f"{r.start}-{r.end} {r.label} {span!r}"
    out = []
    if span != span.strip():
        out.append(f"{where}: starts or ends with a space")
    else:
        first, last = span[0], span[-1]
        if unicodedata.category(first)[0] in "PS" and not (first in NAME_SIGILS and len(span) > 1):
            out.append(f"{where}: starts with punctuation {first!r}")
        if unicodedata.category(last)[0] in "PS":
            out.append(f"{where}: ends with punctuation {last!r}")
        words = span.split()
        if words[0] in POSTPOSITIONS or words[-1] in POSTPOSITIONS:
            out.append(f"{where}: starts or ends with a postposition")
    if r.start not in starts or r.end not in ends:
        out.append(f"{where}: does not start and end on token boundaries")
    return out


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
    report = BuildReport()
    task = {"id": None, "data": data}
    regions, relations = validate_regions(task, anns[0], schema, report)
    check.problems += [p.detail for p in report.problems]
    if report.repaired_offsets:
        check.problems.append(f"{report.repaired_offsets} regions use UTF-16 offsets")
    ids = [r.id for r in regions]
    if len(ids) != len(set(ids)):
        check.problems.append("region ids are not unique")
    tokens = tokenize(text)
    starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
    for r in regions:
        check.problems += span_rule_problems(text, r, starts, ends)
    check.regions, check.relations = regions, relations
    return check


# ---------------------------------------------------------------- re-anchoring


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _place(old: str, new: str, start: int, end: int) -> tuple[int | None, str]:
    """New start of old[start:end] in `new`: the whole-word occurrence whose context fits best."""
    needle = old[start:end]
    cands = occurrences(new, needle)
    if not cands:
        return None, "text not found"
    left, right = old[max(0, start - CONTEXT) : start], old[end : end + CONTEXT]
    old_occ = occurrences(old, needle)
    # Tie-breaker: with as many occurrences as before, the n-th stays the n-th.
    rank = old_occ.index(start) if start in old_occ and len(cands) == len(old_occ) else -1

    def fit(n: int, c: int) -> tuple[int, int]:
        ctx = _common_suffix(left, new[max(0, c - CONTEXT) : c]) + _common_prefix(
            right, new[c + len(needle) : c + len(needle) + CONTEXT]
        )
        return ctx, int(n == rank)

    scored = sorted(((fit(n, c), c) for n, c in enumerate(cands)), reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None, f"ambiguous: {len(cands)} equally good places"
    if scored[0][0][0] < min(MIN_CONTEXT, len(left) + len(right)):
        return None, "its context changed (the text around it is gone)"
    return scored[0][1], ""


def reanchor(item: dict, article: Article) -> tuple[dict, list[dict]]:
    """Move a gold item's spans onto the article's current cleaned text.

    Spans are found by content and context, never by old offsets. Returns the new item and the
    spans and relations that could not be placed (also kept in the item under
    `reanchor_unplaced`, so nothing is lost and the validator refuses the file until they are
    fixed by hand).
    """
    old = item["data"]["text"]
    regions, relations = item_regions(item)
    moved: dict[str, Region] = {}
    taken: set[tuple[int, int, str]] = set()
    unplaced: list[dict] = []
    for r in regions:
        start, why = _place(old, article.text, r.start, r.end)
        if start is None or (start, start + r.end - r.start, r.control) in taken:
            why = why or "another span already sits there"
            unplaced.append({"reason": why, "item": f"{r.label} {r.text!r} at {r.start}-{r.end}"})
            continue
        end = start + r.end - r.start
        taken.add((start, end, r.control))
        moved[r.id] = Region(region_id(r.control, start, end), start, end, r.label, r.control,
                             article.text[start:end])  # fmt: skip
    rels = []
    for rel in relations:
        a, b = moved.get(rel.from_id), moved.get(rel.to_id)
        if a is None or b is None:
            unplaced.append({"reason": "relation end not placed",
                             "item": f"{rel.role} {rel.from_id}->{rel.to_id}"})  # fmt: skip
        else:
            rels.append(Relation(a.id, b.id, rel.role))
    new = gold_item(article, list(moved.values()), rels)
    if unplaced:
        new["reanchor_unplaced"] = (item.get("reanchor_unplaced") or []) + unplaced
    return new, unplaced


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
