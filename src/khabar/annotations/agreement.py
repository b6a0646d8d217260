"""Agreement between annotators on a Label Studio export: span F1, kappa and alpha.

Pure functions. Each annotator's annotation of a task is validated as the dataset build does
(so a renamed label or a dangling relation is reported, not counted), then every pair of
annotators is compared on the tasks both labelled:

- entity span F1, strict (same offsets and type) and overlap (same type, spans overlap);
- trigger F1 (same offsets and event type); argument-link F1 (same trigger span, entity span
  and role);
- Cohen's kappa per pair and Krippendorff's alpha over all annotators, on a token-level nominal
  coding: each token gets the type of the entity (or trigger) covering it, or O.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from khabar.annotations.coding import Coded, by_annotator, code
from khabar.annotations.format import task_sentences
from khabar.annotations.validate import Checks
from khabar.io import write_atomic, write_json
from khabar.schema import Schema
from khabar.spans import tokenize

LAYERS = ("entity_strict", "entity_overlap", "trigger", "argument")
CODINGS = ("entity", "trigger")


@dataclass
class Collected:
    """Annotators' annotations per task, with the task texts and everything reported."""

    tasks: dict[int, dict[str, Coded]] = field(default_factory=dict)
    texts: dict[int, tuple[str, list[list[int]]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def collect(export: list[dict], schema: Schema, members: dict[int, str] | None = None,
            overlap: int | None = None) -> Collected:  # fmt: skip
    """Validated annotator annotations per task; everything odd goes to `problems`."""
    out = Collected()
    gone: set[str] = set()
    for task in export:
        tid, data = task.get("id"), task.get("data") or {}
        if "text" not in data:
            out.problems.append(f"task {tid}: not a khabar task (no text)")
            continue
        latest, left, notes = by_annotator(task, members)
        out.problems += [
            f"{n} is no longer a member of the organisation: their annotations are "
            "kept and compared under that name"
            for n in sorted(left - gone)
        ]
        gone |= left
        out.problems += notes
        report = Checks()
        coded = code(task, latest, schema, report)
        out.problems += [f"task {tid}: annotation {p.annotation_id}: {p.detail}"
                         for p in report.problems]  # fmt: skip
        if overlap and 0 < len(coded) < overlap:
            out.problems.append(
                f"task {tid}: labelled by {len(coded)} of the {overlap} annotators the overlap "
                f"asks for ({', '.join(sorted(coded)) or 'nobody'})"
            )
        if coded:
            out.tasks[tid] = coded
            out.texts[tid] = (data["text"], task_sentences(data))
    return out


# ---------------------------------------------------------------- items and matching


def items(c: Coded, layer: str) -> list[tuple]:
    """Comparable items of one annotation: (start, end, label) or, for arguments,
    (trigger start, trigger end, entity start, entity end, role)."""
    if layer in ("entity_strict", "entity_overlap"):
        return [(r.start, r.end, r.label) for r in c.regions if not r.is_trigger]
    if layer == "trigger":
        return [(r.start, r.end, r.label) for r in c.regions if r.is_trigger]
    by_id = {r.id: r for r in c.regions}
    return [(by_id[x.from_id].start, by_id[x.from_id].end, by_id[x.to_id].start,
             by_id[x.to_id].end, x.role) for x in c.relations]  # fmt: skip


def _matched(mine: list[tuple], theirs: list[tuple], overlap: bool) -> int:
    if not overlap:
        return len(set(mine) & set(theirs))
    return sum(any(s < e2 and s2 < e and lab == lab2 for s2, e2, lab2 in theirs)
               for s, e, lab in mine)  # fmt: skip


@dataclass
class Match:
    """Counts behind a pairwise F1: a's items matched in b, a's items, b's matched in a, b's."""

    ma: int = 0
    na: int = 0
    mb: int = 0
    nb: int = 0

    def __iadd__(self, o: Match) -> Match:
        self.ma, self.na, self.mb, self.nb = (self.ma + o.ma, self.na + o.na, self.mb + o.mb,
                                              self.nb + o.nb)  # fmt: skip
        return self

    @property
    def f1(self) -> float | None:
        """Harmonic mean of a's precision and recall against b; None when both are empty."""
        if self.na + self.nb == 0:
            return None
        p = self.ma / self.na if self.na else 0.0
        r = self.mb / self.nb if self.nb else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def match(a: list[tuple], b: list[tuple], layer: str) -> Match:
    """Counts of one comparison; overlap matching only for `entity_overlap`."""
    ov = layer == "entity_overlap"
    return Match(_matched(a, b, ov), len(a), _matched(b, a, ov), len(b))


def _label(item: tuple) -> str:
    return item[-1]


# ---------------------------------------------------------------- token coding


def token_codes(text: str, sentences: list[list[int]], c: Coded | None, layer: str) -> list:
    """One code per token of the task: the covering entity (or trigger) type, else 'O'.

    With no annotation (c is None) every code is None: a missing value for alpha.
    """
    spans = [] if c is None else [
        r for r in c.regions if r.is_trigger == (layer == "trigger")
    ]  # fmt: skip
    codes = []
    for s, e in sentences or [[0, len(text)]]:
        for tok in tokenize(text[s:e], s):
            if c is None:
                codes.append(None)
                continue
            hit = [r.label for r in spans if r.start < tok.end and tok.start < r.end]
            codes.append(hit[0] if hit else "O")
    return codes


def cohen_kappa(x: list[str], y: list[str]) -> float | None:
    """Cohen's kappa of two codings of the same units; None when it is undefined."""
    n = len(x)
    if n == 0:
        return None
    po = sum(a == b for a, b in zip(x, y, strict=True)) / n
    cx, cy = Counter(x), Counter(y)
    pe = sum(cx[k] * cy[k] for k in cx) / (n * n)
    return None if pe == 1 else (po - pe) / (1 - pe)


def krippendorff_alpha(rows: list[list]) -> float | None:
    """Krippendorff's alpha (nominal) of annotators × units, None for a missing value."""
    import krippendorff
    import numpy as np

    values = sorted({v for r in rows for v in r if v is not None})
    paired = (
        sum(sum(v is not None for v in col) >= 2 for col in zip(*rows, strict=True)) if rows else 0
    )
    if len(values) < 2 or paired == 0:
        return None
    index = {v: i for i, v in enumerate(values)}
    data = np.array([[np.nan if v is None else index[v] for v in r] for r in rows], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                    value_domain=list(range(len(values)))))  # fmt: skip


# ---------------------------------------------------------------- the whole comparison


def agreement(col: Collected) -> dict:
    """Pairwise and overall figures (per layer and per label), ready for JSON."""
    names = sorted({n for coded in col.tasks.values() for n in coded})
    shared = {tid: coded for tid, coded in col.tasks.items() if len(coded) >= 2}
    # Each annotator's token codes of each task, once (pairs and alpha read them).
    codes = {layer: {t: {n: token_codes(*col.texts[t], c, layer) for n, c in coded.items()}
                     for t, coded in shared.items()} for layer in CODINGS}  # fmt: skip
    pairs, overall = [], {layer: Match() for layer in LAYERS}
    per_label: dict[str, dict[str, Match]] = {layer: {} for layer in LAYERS}
    for a, b in combinations(names, 2):
        tids = [t for t, coded in shared.items() if a in coded and b in coded]
        if not tids:
            continue
        row = {"a": a, "b": b, "tasks": len(tids)}
        for layer in LAYERS:
            m = Match()
            for t in tids:
                ia, ib = items(shared[t][a], layer), items(shared[t][b], layer)
                m += match(ia, ib, layer)
                for lab in {_label(i) for i in ia + ib}:
                    sub = match([i for i in ia if _label(i) == lab],
                                [i for i in ib if _label(i) == lab], layer)  # fmt: skip
                    per_label[layer].setdefault(lab, Match())
                    per_label[layer][lab] += sub
            overall[layer] += m
            row[layer] = _rounded(m.f1)
        for layer in CODINGS:
            x = [c for t in tids for c in codes[layer][t][a]]
            y = [c for t in tids for c in codes[layer][t][b]]
            row[f"kappa_{layer}"] = _rounded(cohen_kappa(x, y))
            row["tokens"] = len(x)
        pairs.append(row)
    result = {
        "annotators": names,
        "tasks_annotated": len(col.tasks),
        "tasks_compared": len(shared),
        "annotations_compared": sum(len(c) for c in shared.values()),
        "pairs": pairs,
        "overall": {layer: _rounded(m.f1) for layer, m in overall.items()},
        "per_label": {
            layer: {lab: _rounded(m.f1) for lab, m in sorted(d.items())}
            for layer, d in per_label.items()
        },  # fmt: skip
        "problems": list(col.problems),
    }
    for layer in CODINGS:
        rows = [[] for _ in names]
        for t, by_name in codes[layer].items():
            for i, n in enumerate(names):  # an annotator without this task: missing values
                rows[i] += by_name[n] if n in by_name else token_codes(*col.texts[t], None, layer)
        result["overall"][f"alpha_{layer}"] = _rounded(krippendorff_alpha(rows))
        kappas = [p[f"kappa_{layer}"] for p in pairs if p[f"kappa_{layer}"] is not None]
        result["overall"][f"mean_kappa_{layer}"] = _rounded(sum(kappas) / len(kappas)
                                                            if kappas else None)  # fmt: skip
    return result


def _rounded(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


# ---------------------------------------------------------------- report

LAYER_NAMES = {
    "entity_strict": "Entity span F1 (strict)",
    "entity_overlap": "Entity span F1 (overlap)",
    "trigger": "Trigger F1 (with event type)",
    "argument": "Argument-link F1",
    "kappa_entity": "Cohen's kappa, entity tokens",
    "kappa_trigger": "Cohen's kappa, trigger tokens",
}


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown(result: dict, png_name: str | None = None) -> str:
    """The agreement report as Markdown."""
    o = result["overall"]
    out = [
        "# Agreement between annotators",
        "",
        f"{result['tasks_compared']} tasks labelled by two or more annotators "
        f"({result['annotations_compared']} annotations; {result['tasks_annotated']} tasks "
        f"with any annotator's annotation). Annotators: {', '.join(result['annotators']) or '–'}.",
        "",
    ]
    if not result["pairs"]:
        out += ["No two annotators labelled the same task, so there is nothing to compare yet: "
                "push with `--overlap 2` or more.", ""]  # fmt: skip
    out += ["## Overall (all pairs pooled)", "", "| measure | value |", "| --- | --- |"]
    out += [f"| {LAYER_NAMES[k]} | {_f(o[k])} |" for k in LAYERS]
    for layer in CODINGS:
        out.append(f"| Cohen's kappa, {layer} tokens (mean of pairs) | "
                   f"{_f(o[f'mean_kappa_{layer}'])} |")  # fmt: skip
        out.append(f"| Krippendorff's alpha, {layer} tokens (nominal) | "
                   f"{_f(o[f'alpha_{layer}'])} |")  # fmt: skip
    out += ["", "## Per label (all pairs pooled)", ""]
    for layer in LAYERS:
        labels = result["per_label"][layer]
        if labels:
            out.append(f"- {LAYER_NAMES[layer]}: "
                       + ", ".join(f"{k} {_f(v)}" for k, v in labels.items()))  # fmt: skip
    if result["pairs"]:
        keys = [*LAYERS, "kappa_entity", "kappa_trigger"]
        out += ["", "## Pairs", "", "| a | b | tasks | tokens | "
                + " | ".join(LAYER_NAMES[k] for k in keys) + " |",
                "|" + " --- |" * (4 + len(keys))]  # fmt: skip
        out += [
            f"| {p['a']} | {p['b']} | {p['tasks']} | {p['tokens']} | "
            + " | ".join(_f(p[k]) for k in keys)
            + " |"
            for p in result["pairs"]
        ]
    if png_name:
        out += ["", f"![agreement heatmap]({png_name})"]
    out += ["", "## Reported", ""]
    out += [f"- {p}" for p in result["problems"]] or ["- nothing"]
    return "\n".join(out) + "\n"


def heatmap(result: dict, path: Path) -> Path:
    """Annotator × annotator heatmaps of entity strict F1 and entity-token kappa (PNG)."""
    from khabar.plots import pyplot

    plt = pyplot()
    import numpy as np

    names = result["annotators"]
    n = max(len(names), 1)
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.6 * n, 1.5 + 1.2 * n))
    panels = {"entity_strict": "entity span F1 (strict)",
              "kappa_entity": "Cohen's kappa (entity tokens)"}  # fmt: skip
    for ax, (key, title) in zip(axes, panels.items(), strict=True):
        grid = np.full((n, n), np.nan)
        for i in range(len(names)):
            grid[i, i] = 1.0
        for p in result["pairs"]:
            i, j = names.index(p["a"]), names.index(p["b"])
            grid[i, j] = grid[j, i] = np.nan if p[key] is None else p[key]
        im = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, "–" if np.isnan(v) else f"{v:.2f}", ha="center", va="center",
                    color="white" if not np.isnan(v) and v < 0.6 else "black")  # fmt: skip
        ax.set_title(title)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(result: dict, out_dir: Path) -> list[Path]:
    """agreement.json, agreement.md and agreement.png in `out_dir`."""
    out_dir = Path(out_dir)
    png = heatmap(result, out_dir / "agreement.png")
    md = out_dir / "agreement.md"
    write_atomic(md, [markdown(result, png.name)])
    js = out_dir / "agreement.json"
    write_json(js, result)
    return [md, png, js]
