"""Label Studio export -> validated sentence rows -> Hugging Face DatasetDict and CoNLL.

Pure functions over the export JSON: every region is checked against the task's text, the
schema and the sentence spans, and every problem is kept with task id and reason.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from khabar.lsformat import Region, Relation, parse_results, task_sentences
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL, Schema
from khabar.spans import Span, has_astral, sentence_of, spans_to_bio, tokenize, utf16_to_index

SPLITS = ("train", "validation", "test")


@dataclass
class Problem:
    """One thing wrong in the export, with where and why."""

    task_id: int | None
    reason: str
    detail: str = ""
    annotation_id: int | None = None


@dataclass
class BuildReport:
    """Counts and problems of one dataset build."""

    tasks: int = 0
    tasks_used: int = 0
    regions: int = 0
    regions_dropped: int = 0
    relations: int = 0
    relations_dropped: int = 0
    repaired_offsets: int = 0
    disagreements: int = 0
    decided_by: Counter = field(default_factory=Counter)
    decisions: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, task_id, reason, detail="", annotation_id=None) -> None:
        """Record a problem."""
        self.problems.append(Problem(task_id, reason, detail, annotation_id))

    def summary(self) -> str:
        """A few lines for the terminal."""
        by_reason = Counter(p.reason for p in self.problems)
        lines = [
            f"{self.tasks_used}/{self.tasks} tasks used; regions kept "
            f"{self.regions - self.regions_dropped}/{self.regions}; relations kept "
            f"{self.relations - self.relations_dropped}/{self.relations}; "
            f"{self.repaired_offsets} UTF-16 offsets repaired; {self.disagreements} tasks with "
            f"disagreeing annotations; decided by: {dict(self.decided_by) or 'nothing'}",
        ]
        if by_reason:
            lines.append("problems: " + ", ".join(f"{k} {v}" for k, v in sorted(by_reason.items())))
        return "\n".join(lines)


# ---------------------------------------------------------------- choosing an annotation


def _ordered(task: dict) -> list[dict]:
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    return sorted(live, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))


def decide(task: dict, schema: Schema, report: BuildReport, members: dict[int, str] | None = None,
           overlap: int | None = None):  # fmt: skip
    """What stands for a task: (regions, relations, source, rule), or None with no annotation.

    Rules, in order: a ground-truth annotation (a reviewer's verdict or loaded gold; the latest
    wins); several annotators who all agree ('unanimous'); several who disagree ('majority':
    what more than half chose, the rest reported); one annotator ('single'); else the latest
    annotation ('latest', e.g. a stand-in). Every annotation used is validated on its own.
    """
    from khabar.adjudication import majority, tally
    from khabar.agreement import by_annotator, code

    tid, ordered = task.get("id"), _ordered(task)
    if not ordered:
        return None
    gt = [a for a in ordered if a.get("ground_truth")]
    if gt:
        return (*validate_regions(task, gt[-1], schema, report), annotation_source(task, gt[-1]),
                "ground_truth")  # fmt: skip
    works, left, notes = by_annotator(task, members)
    for n in notes:
        report.add(tid, "several annotations by one annotator", n)
    for name in sorted(left):
        report.add(tid, "annotator no longer a member", f"{name}'s annotation is kept and counts")
    if overlap and 0 < len(works) < overlap:
        report.add(
            tid,
            "under-annotated",
            f"labelled by {len(works)} of the {overlap} annotators the overlap asks for",
        )
    if len(works) >= 2:
        coded = code(task, works, schema, report)
        t = tally(coded)
        if t.unanimous:
            first = coded[t.annotators[0]]
            return first.regions, first.relations, "annotators", "unanimous"
        regions, relations, dropped = majority(t)
        for d in dropped:
            report.add(tid, "dropped by majority vote", d)
        return regions, relations, "majority-vote", "majority"
    ann = list(works.values())[-1] if works else ordered[-1]
    return (*validate_regions(task, ann, schema, report), annotation_source(task, ann),
            "single" if works else "latest")  # fmt: skip


def annotation_source(task: dict, ann: dict) -> str:
    """Who made the annotation: a stand-in copied from a prediction, a reviewer working from the
    adjudication proposal, or a person."""
    from khabar.agreement import ADJUDICATION_VERSION, is_standin, parent_prediction

    parent = parent_prediction(task, ann).get("model_version", "")
    if is_standin(task, ann):
        return f"prediction-standin:{parent}"
    if parent == ADJUDICATION_VERSION:
        return "adjudicated"
    return "ground_truth" if ann.get("ground_truth") else "annotator"


def _span_key(result: list[dict]) -> set:
    spans, _, _ = parse_results(result)
    return {(s["value"].get("start"), s["value"].get("end"), tuple(s["value"].get("labels", [])))
            for s in spans}  # fmt: skip


# ---------------------------------------------------------------- validation


def validate_regions(task: dict, ann: dict, schema: Schema, report: BuildReport):
    """Check every region and relation of one annotation; return the ones that hold."""
    text = task["data"].get("text", "")
    sentences = task_sentences(task["data"])
    tid, aid = task.get("id"), ann.get("id")
    spans, rels, other = parse_results(ann.get("result") or [])
    for item in other:
        report.add(tid, "unsupported result type", str(item.get("type")), aid)
    allowed = {ENTITY_CONTROL: set(schema.entity_names), TRIGGER_CONTROL: set(schema.event_names)}
    regions: list[Region] = []
    for item in spans:
        report.regions += 1
        v = item["value"]
        labels = v.get("labels") or []
        start, end, want = v.get("start"), v.get("end"), v.get("text", "")
        control = item.get("from_name")
        where = f"{start}-{end} {labels} {want!r}"
        reason = None
        if control not in allowed:
            reason = f"unknown control {control!r}"
        elif len(labels) != 1:
            reason = "region needs exactly one label"
        elif labels[0] not in allowed[control]:
            reason = f"unknown label {labels[0]!r} for {control}"
        elif not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        ):
            reason = "offsets out of range"
        elif text[start:end] != want:
            # Offsets counted in UTF-16 code units (JavaScript's; older Label Studio editors,
            # other tools) run ahead after an emoji. 1.23 stores code points (browser test).
            s16, e16 = utf16_to_index(text, start), utf16_to_index(text, end)
            if has_astral(text) and text[s16:e16] == want:
                start, end = s16, e16
                report.repaired_offsets += 1
            else:
                reason = f"text mismatch: article has {text[start:end]!r}"
        if reason is None and sentence_of(sentences, start, end) is None:
            reason = "region crosses a sentence boundary"
        if reason:
            report.add(tid, reason.split(":")[0], where + ": " + reason, aid)
            report.regions_dropped += 1
            continue
        regions.append(
            Region(str(item.get("id")), start, end, labels[0], control, want, item.get("score"))
        )
    nested_ok = schema.overlap.get("nested_entities") != "error"
    regions = _check_overlaps(regions, tid, aid, report, nested_ok)
    relations = _check_relations(rels, regions, sentences, schema, tid, aid, report)
    return regions, relations


def _check_overlaps(regions: list[Region], tid, aid, report: BuildReport,
                    nested_ok: bool = True) -> list[Region]:  # fmt: skip
    kept: list[Region] = []
    for r in sorted(regions, key=lambda r: (r.start, -(r.end - r.start))):
        clash = None
        for k in kept:
            if k.control != r.control or not (r.start < k.end and k.start < r.end):
                continue
            nested = (k.start <= r.start and r.end <= k.end) or (
                r.start <= k.start and k.end <= r.end
            )
            if r.is_trigger:
                clash = f"trigger overlaps trigger {k.start}-{k.end}"
            elif (k.start, k.end) == (r.start, r.end):
                clash = f"duplicate entity span {k.label}/{r.label}"
            elif not nested:
                clash = f"entity crosses entity {k.start}-{k.end}"
            elif not nested_ok:
                clash = f"entity nested in entity {k.start}-{k.end} (the schema forbids nesting)"
            if clash:
                break
        if clash:
            report.add(tid, "overlap", f"{r.start}-{r.end} {r.label}: {clash}", aid)
            report.regions_dropped += 1
        else:
            kept.append(r)
    return kept


def _check_relations(rels, regions, sentences, schema, tid, aid, report) -> list[Relation]:
    by_id = {r.id: r for r in regions}
    out: list[Relation] = []
    for rel in rels:
        report.relations += 1
        a, b = by_id.get(rel.get("from_id")), by_id.get(rel.get("to_id"))
        labels = rel.get("labels") or []
        reason = None
        if a is None or b is None:
            reason = "relation end missing (region deleted or dropped)"
        else:
            if not a.is_trigger and b.is_trigger:
                a, b = b, a  # drawn from the entity to the trigger: same argument
            if not a.is_trigger or b.is_trigger:
                reason = "relation must link a trigger to an entity"
            elif len(labels) != 1:
                reason = "relation needs exactly one role"
            elif labels[0] not in schema.role_names:
                reason = f"unknown role {labels[0]!r}"
            elif not schema.role_allows(labels[0], b.label):
                reason = f"role {labels[0]} does not take a {b.label}"
            elif sentence_of(sentences, min(a.start, b.start), max(a.end, b.end)) is None:
                reason = "argument crosses sentences"
        if reason:
            report.add(
                tid,
                reason.split(" (")[0].split(" '")[0],
                f"{rel.get('from_id')}->{rel.get('to_id')} {labels}: {reason}",
                aid,
            )
            report.relations_dropped += 1
        else:
            out.append(Relation(a.id, b.id, labels[0]))
    return out


# ---------------------------------------------------------------- rows


def sentence_rows(task: dict, regions: list[Region], relations: list[Relation], schema: Schema,
                  source: str, report: BuildReport) -> list[dict]:  # fmt: skip
    """One dataset row per sentence; span offsets relative to the sentence text."""
    data = task["data"]
    text, aid = data["text"], data["article_id"]
    rows = []
    for i, (s, e) in enumerate(task_sentences(data)):
        sent = text[s:e]
        toks = tokenize(sent)
        ents = [r for r in regions if not r.is_trigger and s <= r.start and r.end <= e]
        trigs = [r for r in regions if r.is_trigger and s <= r.start and r.end <= e]
        tags, warnings = spans_to_bio(toks, [Span(r.start - s, r.end - s, r.label) for r in ents])
        for w in warnings:
            report.add(task.get("id"), "bio", f"sentence {i}: {w}")
        ids = {r.id for r in ents + trigs}
        args = [x for x in relations if x.from_id in ids and x.to_id in ids]
        rows.append({
            "id": f"{aid}-{i:03d}",
            "article_id": aid,
            "sentence_index": i,
            "text": sent,
            "sentence_start": s,
            "tokens": [t.text for t in toks],
            "token_starts": [t.start for t in toks],
            "token_ends": [t.end for t in toks],
            "ner_tags": tags,
            "entities": [_span_dict(r, s) for r in ents],
            "triggers": [_span_dict(r, s) for r in trigs],
            "event_types": sorted({r.label for r in trigs}, key=schema.event_names.index),
            "arguments": [{"trigger_id": x.from_id, "entity_id": x.to_id, "role": x.role}
                          for x in args],
            "annotation_source": source,
            "task_id": task.get("id") or -1,
        })  # fmt: skip
    return rows


def _span_dict(r: Region, base: int) -> dict:
    return {
        "id": r.id,
        "start": r.start - base,
        "end": r.end - base,
        "label": r.label,
        "text": r.text,
    }


def build_rows(
    export: list[dict],
    schema: Schema,
    members: dict[int, str] | None = None,
    overlap: int | None = None,
) -> tuple[dict[str, list[dict]], BuildReport]:
    """Validate an export and turn it into sentence rows grouped by article id (one decided
    version per task; see `decide`)."""
    report = BuildReport(tasks=len(export))
    by_article: dict[str, list[dict]] = {}
    for task in export:
        tid = task.get("id")
        data = task.get("data") or {}
        if not data.get("article_id") or "text" not in data:
            report.add(tid, "not a khabar task", "data lacks article_id or text")
            continue
        cancelled = [a for a in task.get("annotations") or [] if a.get("was_cancelled")]
        for a in cancelled:
            report.add(tid, "cancelled annotation", "skipped", a.get("id"))
        decided = decide(task, schema, report, members, overlap)
        if decided is None:
            report.add(tid, "no annotations", "task has no usable annotation; not in the dataset")
            continue
        regions, relations, source, rule = decided
        live = _ordered(task)
        if len({frozenset(_span_key(a.get("result") or [])) for a in live}) > 1:
            report.disagreements += 1
            report.add(tid, "disagreement", f"{len(live)} annotations differ; decided by {rule}")
        report.decided_by[rule] += 1
        report.decisions.append({"task_id": tid, "article_id": data["article_id"],
                                 "decided_by": rule, "source": source,
                                 "annotations": [a.get("id") for a in live]})  # fmt: skip
        rows = sentence_rows(task, regions, relations, schema, source, report)
        by_article[data["article_id"]] = [dict(r, decided_by=rule) for r in rows]
        report.tasks_used += 1
    return by_article, report


def split_articles(
    article_ids: list[str], fractions=(0.6, 0.2, 0.2), seed: int = 13
) -> dict[str, list[str]]:
    """Assign whole articles to train/validation/test, deterministically from `seed`.

    With three or more articles, validation and test get at least one each and train keeps
    the rest (5 articles with the default fractions: 3/1/1).
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError("split fractions must be three non-negative numbers summing to 1")
    ids = sorted(article_ids)
    random.Random(seed).shuffle(ids)
    n = len(ids)
    n_val = round(n * fractions[1])
    n_test = round(n * fractions[2])
    if n >= 3:
        n_val = max(n_val, 1 if fractions[1] > 0 else 0)
        n_test = max(n_test, 1 if fractions[2] > 0 else 0)
    n_train = max(n - n_val - n_test, 0)
    return {
        "train": ids[:n_train],
        "validation": ids[n_train : n_train + n_val],
        "test": ids[n_train + n_val :],
    }


def features(schema: Schema):
    """Hugging Face Features of a khabar dataset, generated from the schema."""
    from datasets import ClassLabel, Features, Sequence, Value

    span = {"id": Value("string"), "start": Value("int32"), "end": Value("int32"),
            "text": Value("string")}  # fmt: skip
    return Features({
        "id": Value("string"),
        "article_id": Value("string"),
        "sentence_index": Value("int32"),
        "text": Value("string"),
        "sentence_start": Value("int32"),
        "tokens": Sequence(Value("string")),
        "token_starts": Sequence(Value("int32")),
        "token_ends": Sequence(Value("int32")),
        "ner_tags": Sequence(ClassLabel(names=schema.bio_tags)),
        "entities": [span | {"label": ClassLabel(names=schema.entity_names)}],
        "triggers": [span | {"label": ClassLabel(names=schema.event_names)}],
        "event_types": Sequence(ClassLabel(names=schema.event_names)),
        "arguments": [{"trigger_id": Value("string"), "entity_id": Value("string"),
                       "role": ClassLabel(names=schema.role_names)}],
        "annotation_source": Value("string"),
        "decided_by": Value("string"),
        "task_id": Value("int64"),
    })  # fmt: skip


def to_conll(rows: list[dict]) -> str:
    """CoNLL text: '# id = …' and '# text = …' comments, token<TAB>BIO, blank line between."""
    out = []
    for row in rows:
        out.append(f"# id = {row['id']}")
        out.append(f"# text = {row['text']}")
        out += [f"{t}\t{tag}" for t, tag in zip(row["tokens"], row["ner_tags"], strict=True)]
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def build_dataset(export: list[dict], schema: Schema, out_dir: Path, conll_dir: Path,
                  fractions=(0.6, 0.2, 0.2), seed: int = 13,
                  members: dict[int, str] | None = None, overlap: int | None = None):  # fmt: skip
    """Write the DatasetDict (save_to_disk) and CoNLL files; return (DatasetDict, report)."""
    from datasets import Dataset, DatasetDict
    from khabar.corpus import write_atomic

    by_article, report = build_rows(export, schema, members, overlap)
    splits = split_articles(list(by_article), fractions, seed)
    feats = features(schema)
    rows = {name: [r for a in ids for r in by_article[a]] for name, ids in splits.items()}
    # from_list cannot infer an empty table's columns; from_dict takes them from feats.
    dd = DatasetDict({
        name: Dataset.from_list(rs, features=feats) if rs
        else Dataset.from_dict({k: [] for k in feats}, features=feats)
        for name, rs in rows.items()
    })  # fmt: skip
    for name, split in dd.items():
        if not len(split):
            report.add(None, "empty split", f"{name} has no rows: {len(by_article)} articles "
                       "are too few for the split fractions")  # fmt: skip
    out_dir, conll_dir = Path(out_dir), Path(conll_dir)
    dd.save_to_disk(str(out_dir))
    for name, rs in rows.items():
        write_atomic(conll_dir / f"{name}.conll", [to_conll(rs)])
    write_atomic(out_dir / "khabar_build.json", [json.dumps({
        "splits": splits, "seed": seed, "fractions": list(fractions),
        "rows": {k: len(v) for k, v in dd.items()},
    }, ensure_ascii=False, indent=2)])  # fmt: skip
    return dd, report


def parse_tag_map(spec: str) -> dict[str, str]:
    """'PERSON=PER,LOCATION=LOC' -> {'PERSON': 'PER', 'LOCATION': 'LOC'} (types, not BIO tags)."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        src, sep, dst = part.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ValueError(f"tag map entries look like SOURCE=TARGET, not {part!r}")
        out[src.strip()] = dst.strip()
    return out


def read_conll(path: Path, tag_map: dict[str, str], entity_names: list[str]):
    """Sentences of a CoNLL file (token first column, BIO tag last; blank line between sentences,
    '#' comments skipped) as (tokens, tags) with entity types renamed by `tag_map`.

    Types the map does not name and the schema does not know become O and are counted in the
    returned Counter, so a foreign inventory (IL-NER's NETI, NEN …) is reduced, never guessed;
    malformed lines are counted there too.
    """
    unknown = [t for t in tag_map.values() if t not in entity_names]
    if unknown:
        raise ValueError(f"tag map targets {unknown} are not entity types of the schema")
    sentences: list[tuple[list[str], list[str]]] = []
    dropped: Counter = Counter()
    words: list[str] = []
    tags: list[str] = []
    # split("\n"), not splitlines(): a token may hold U+2028 or U+0085, which splitlines breaks on.
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        cols = line.rstrip("\r").split("\t") if "\t" in line else line.split()
        cols = [c for c in cols if c.strip()]
        if not cols or line.startswith("#"):
            if words and not cols:
                sentences.append((words, tags))
                words, tags = [], []
            continue
        if len(cols) < 2:  # published corpora hold a few (an empty token); counted, not fatal
            dropped["<line without token and tag>"] += 1
            continue
        prefix, _, typ = cols[-1].partition("-")
        typ = tag_map.get(typ, typ)
        if prefix in ("B", "I") and typ in entity_names:
            tags.append(f"{prefix}-{typ}")
        else:
            if cols[-1] != "O":
                dropped[cols[-1]] += 1
            tags.append("O")
        words.append(cols[0])
    if words:
        sentences.append((words, tags))
    return sentences, dropped
