"""The docs' tables of measured figures, rendered from the JSON a benchmark wrote (one source per
figure): `make docs-tables` rewrites every table between its markers, `--check` fails where a
page's table differs from its JSON (a figure edited by hand, or a JSON updated without it).

In a page, a rendered table sits between two markers:

    <!-- table: results/bench-al.json -->
    | ... |
    <!-- /table -->

The path is relative to docs/; the file's name picks its renderer below (`../Makefile`: the
targets' `##` help, the Makefile's own documentation).

    python scripts/docs_tables.py [--docs docs] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKED = re.compile(r"(<!-- table: (?P<src>[^ ]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)

AL_NAMES = {"uncertainty": "least confidence (the queue's default)", "margin": "smallest margin",
            "entropy": "total token entropy", "mnlp": "MNLP (length-normalised)",
            "diversity": "entropy × diversity", "random": "random order"}  # fmt: skip


def _pm(mean: float | None, std: float | None, scale: float = 1.0, fmt: str = ",.0f") -> str:
    if mean is None:
        return "not reached"
    return f"{scale * mean:{fmt}} ± {scale * std:{fmt}}".replace("-", "−")


def bench_al(r: dict) -> str:
    """The words each strategy needs to reach 95 % of the full-pool F1 (make bench-al)."""
    rows = ["| strategy | words to 95 % of full-pool F1 | seeds reaching it | saving against "
            f"random (paired) | F1 at {r['max_sentences']:,} sentences | mentions / 100 words |",
            "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for s, x in r["summary"].items():
        saving = "0" if s == "random" else _pm(x["saving_mean"], x["saving_std"], 100) + " %"
        rows.append(f"| {AL_NAMES.get(s, s)} | {_pm(x['words_mean'], x['words_std'])} | "
                    f"{x['reached']} | {saving} | {x['final_f1']:.3f} | "
                    f"{x['mentions_per_100_words']:.1f} |")  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


EFFORT_NAMES = {"nothing": "nothing (annotate from scratch)",
                "rules": "rules with the shipped gazetteer",
                "rules-no-gazetteer": "rules without the gazetteer (dates, trigger words)",
                "sample-model": "sample-only model, out of fold",
                "default-model": "default model (transfer), out of fold"}  # fmt: skip


def bench_effort(r: dict) -> str:
    """The edits from each source's pre-annotations to the gold (make bench-effort)."""
    rows = ["| pre-annotations | edits | per article | per 100 words | regions added | deleted | "
            "relabelled | re-bounded | relations added | removed | relabelled |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, x in r["sources"].items():
        e = x["edits"]
        rows.append(f"| {EFFORT_NAMES.get(name, name)} | {x['total']:,} | {x['per_article']:.1f} | "
                    f"{x['per_100_words']:.1f} | {e['added']} | {e['deleted']} | "
                    f"{e['relabelled']} | {e['rebounded']} | {e['relation_added']} | "
                    f"{e['relation_removed']} | {e['relation_relabelled']} |")  # fmt: skip
    # Per article: the edits per 100 words of each source (the article's words beside them).
    articles = next(iter(r["sources"].values()))["articles"]
    rows += ["", "| edits per 100 words: article (words) | " + " | ".join(
        n.replace("-", " ") for n in r["sources"]) + " |",
        "| --- |" + " --- |" * len(r["sources"])]  # fmt: skip
    for a, x in articles.items():
        rows.append(
            f"| `{a}` ({x['words']:,}) | "
            + " | ".join(
                f"{src['articles'][a]['per_100_words']:.1f}" for src in r["sources"].values()
            )
            + " |"
        )
    return "\n".join(rows) + "\n" + said(r)


def bench_al_finetune(r: dict) -> str:
    """The fine-tuning check (make bench-al-finetune): per budget, each strategy's mean F1 and
    words, and each seed's lead over random; then the words to random's best F1."""
    names = [s for s in r["mean"] if s != "random"] + ["random"]
    rows = ["| annotated sentences | " + " | ".join(f"{AL_NAMES.get(s, s)}: F1 (words)"
                                                  for s in names) + " | lead over random, "
            "per seed |", "| --- |" + " --- |" * (len(names) + 1)]  # fmt: skip
    for k, (n, _) in enumerate(r["mean"]["random"]):
        cells = [f"{r['mean'][s][k][1]:.3f} ({r['mean_words'][s][k]:,.0f})" for s in names]
        leads = ", ".join(f"{lead[k]:+.3f}".replace("-", "−") for s in names[:-1]
                          for lead in r["reach"][s]["lead_per_seed"])  # fmt: skip
        rows.append(f"| {n:,.0f} | " + " | ".join(cells) + f" | {leads if k else '—'} |")
    reach = [f"{x['words']:,.0f} ({x['word_saving']:+.1%})".replace("-", "−")
             if x["words"] is not None else "not reached"
             for x in (r["reach"][s] for s in names)]  # fmt: skip
    rows.append(f"| words to random's best F1 ({r['random_final']['f1']:.3f}) and the saving | "
                + " | ".join(reach) + " | |")  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


def said(r: dict) -> str:
    """The line under a rendered table: the command that measured it, when, on what, at which
    commit (a result written down before the benches kept theirs says so, and where the docs
    first quoted it)."""
    commands = r["command"] if isinstance(r["command"], list) else [r["command"]]
    where = f"{r['cpu']}, {r['cpu_features']}, {r['cores']} cores"
    commit = f"commit {r['commit']}" if r.get("commit") else "commit not recorded"
    line = f"{'; '.join(f'`{c}`' for c in commands)} ({r['date']}; {where}; {commit})"
    if r.get("transcribed"):
        line += f". {r['transcribed']}; first quoted in {r['documented_in']}"
    return f"\n{line}.\n"


def table(r: dict) -> str:
    """A table written down as columns and rows (a result measured before its bench kept one)."""
    t = r["table"]
    rows = ["| " + " | ".join(t["columns"]) + " |", "|" + " --- |" * len(t["columns"])]
    rows += ["| " + " | ".join(row) + " |" for row in t["rows"]]
    return "\n".join(rows) + "\n" + said(r)


def _choice(x: dict) -> str:
    """What an `auto` side ran as, and why ("auto → bf16 (auto: avx512_bf16, ...)")."""
    return f" → {x['precision']} ({x['choice']})" if x["choice"] != "asked" else ""


def bench_predict(r: dict) -> str:
    """khabar's inference against transformers.pipeline on the same sentences (make
    bench-predict): sentences/s, the ratio to the pipeline at batch 1, peak memory."""
    n, sides = r["sentences"], r["sides"]
    pipe = sides["pipeline (batch 1)"]["seconds"]
    rows = [f"| {n:,} sentences, run `{r['run']}` | sentences/s | × pipeline (batch 1) | "
            "peak RSS |", "| --- | --- | --- | --- |"]  # fmt: skip
    for name, x in sides.items():
        rows.append(f"| {name}{_choice(x)} | {n / x['seconds']:.1f} | {pipe / x['seconds']:.2f} × "
                    f"| {x['peak_rss_mb'] / 1024:.2f} GB |")  # fmt: skip
    same = r["auto_same_as_fp32_sentences"]
    rows.append(f"\nauto's entity spans equal fp32's in {same:,} of {n:,} sentences "
                f"({100 * same / n:.1f} %). Targets: fp32 ≥ 3 × the pipeline; auto ≥ 5 × "
                "where the CPU has native bf16, with spans equal to fp32's in ≥ 99.5 % of "
                "sentences.")  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


def bench_precision(r: dict) -> str:
    """`khabar predict` on generated articles per encoder precision and distilled student (make
    bench-precision): the whole command's seconds, articles/s, each side's agreement with the
    reference on those articles and on the sample's own, and the tagger's entity F1 and
    sentences/s on HiNER's held-out part where they were measured."""
    ref = r.get("reference", "fp32")
    pct = lambda a: ", ".join(f"{100 * v:.2f} %" for v in a.values()) if a else "—"  # noqa: E731
    rows = [f"| {r['articles']:,} generated articles ({r['sentences']:,} sentences), run "
            f"`{r['run']}` | seconds | articles/s | × {ref} | agreement with {ref}: entities, "
            "triggers, arguments | the same on the sample's five articles | HiNER held-out "
            "entity F1 | HiNER sentences/s (× fp32) |", "|" + " --- |" * 8]  # fmt: skip
    for name, x in r["sides"].items():
        chosen = x["chosen"].split("encoder ", 1)[-1]  # "bf16 (auto: avx512_bf16, ...)"
        chosen = name if chosen.endswith("(asked)") else f"{name} → {chosen}"
        if x.get("run", r["run"]) != r["run"]:
            chosen += f", run `{x['run']}`"
        if x.get("build_seconds"):
            chosen += f" (built once in {x['build_seconds']:.0f} s, not counted)"
        f1, per_s = x.get("hiner_f1"), x.get("hiner_sentences_per_s")
        speed = "—" if per_s is None else f"{per_s:.1f}" + (
            f" ({x['sentences_speedup']:.2f} ×)" if "sentences_speedup" in x else "")  # fmt: skip
        rows.append(f"| {chosen} | {x['seconds']:.1f} | {x['articles_per_s']:.2f} | "
                    + (f"{x['speedup']:.2f} × | " if "speedup" in x else "1 | ")
                    + f"{pct(x.get('agreement'))} | {pct(x.get('sample_agreement'))}"
                    + (f" (test article: {pct(x['sample_test_agreement'])})"
                       if "sample_test_agreement" in x else "") + " | "
                    + f"{f'{f1:.4f}' if f1 is not None else '—'} | {speed} |")  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


def bench_backend(r: dict) -> str:
    """The ML backend's POST /predict latency per article and precision (make bench-backend)."""
    rows = [f"| article (run `{r['run']}`) | precision (chosen) | words | sentences | requests "
            "| p50 s | p95 s | words/s |", "|" + " --- |" * 8]  # fmt: skip
    for x in r["rows"]:
        rows.append(f"| {x['article']} | {x['precision']} | {x['words']:,} | {x['sentences']:,} | "
                    f"{x['requests']} | {x['p50_s']:.3f} | {x['p95_s']:.3f} | "
                    f"{x['words_per_s']:,} |")  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


def bench_names(r: dict) -> str:
    """Names and dates without a person (make bench-names): the event tuples of the predictions
    per alias file, then the merges and the DATE values as lines."""
    rows = ["| alias file | tuples: strict P / R / F1 | relaxed F1 | strict F1, held-out article "
            "| events |", "|" + " --- |" * 5]  # fmt: skip
    for name, x in r["tuples"].items():
        s, held = x["all"]["strict"], x.get("held_out", {}).get("strict")
        held_f1 = f"{held['f1']:.3f}" if held else "—"
        rows.append(f"| {name} | {s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f} | "
                    f"{x['all']['relaxed']['f1']:.3f} | {held_f1} | {x['events']:,} |")  # fmt: skip
    n, d = r["names"], r["dates"]
    missed = ", ".join(f"{a} → {c}" for _, a, c in n["missed"]) or "none"
    rows += ["", f"- Hand-made merges that come back from an empty alias file: **{n['back']} of "
             f"{n['hand_added']}**; false merges: **{len(n['false_merges'])}**; missed: {missed}.",
             f"- DATE spans resolved: {d['before']['resolved']} → {d['after']['resolved']} of "
             f"{d['after']['spans']}; right against `annotation/dates.tsv`: "
             f"{d['before']['right']} → **{d['after']['right']} of {d['after']['checked']}**; "
             f"values changed: {len(d['changed'])}."]  # fmt: skip
    return "\n".join(rows) + "\n" + said(r)


def cv(r: dict) -> str:
    """A cross-validation's figures (`khabar evaluate --folds`, make cv): its report's table and
    what the folds kept of the transfer base."""
    from khabar.model.assess.cv_report import cv_table, transfer_lines

    kept = f"\n{transfer_lines(r)}\n" if r.get("transfer") else ""
    return cv_table(r) + "\n" + kept + said(r)


TARGET = re.compile(r"^([a-z][a-z0-9-]*):[^=\n]*## (.*)$", re.M)


def make_targets(makefile: str) -> str:
    """Every target of the Makefile with a `##` help line, in the Makefile's order."""
    rows = ["| target | what it does |", "| --- | --- |"]
    for name, help_ in TARGET.findall(makefile):
        said = help_.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        rows.append(f"| `make {name}` | {said} |")
    return "\n".join(rows) + "\n"


RENDERERS: dict[str, Callable[[dict], str]] = {
    "bench-al": bench_al,
    "bench-effort": bench_effort,
    "bench-al-finetune": bench_al_finetune,
    "bench-predict": bench_predict,
    "bench-precision": bench_precision,
    "bench-backend": bench_backend,
    "bench-names": bench_names,
    "cv": cv,
}
TEXT_RENDERERS: dict[str, Callable[[str], str]] = {"Makefile": make_targets}


def renderer(stem: str) -> Callable[[dict], str]:
    """The renderer of a result file: its bench's name, or that name and a qualifier (one run
    of the bench among several: `bench-predict-avx512-bf16.json`)."""
    for name in sorted(RENDERERS, key=len, reverse=True):
        if stem == name or stem.startswith(name + "-"):
            return RENDERERS[name]
    raise SystemExit(f"no renderer for results/{stem}.json (scripts/docs_tables.py RENDERERS)")


def render(page: str, docs: Path) -> str:
    """`page` with every marked table rendered from its source."""

    def one(m: re.Match) -> str:
        src = docs / m["src"]
        text = src.read_text(encoding="utf-8")
        if src.name in TEXT_RENDERERS:
            body = TEXT_RENDERERS[src.name](text)
        else:
            data = json.loads(text)
            body = (table if "table" in data else renderer(src.stem))(data)
        return m.group(1) + body + m.group(4)

    return MARKED.sub(one, page)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    ap.add_argument("--check", action="store_true", help="fail where a table differs")
    a = ap.parse_args()
    stale = []
    for page in sorted(a.docs.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        new = render(text, a.docs)
        if new != text:
            stale.append(page)
            if not a.check:
                page.write_text(new, encoding="utf-8")
    n = sum(len(MARKED.findall(p.read_text(encoding="utf-8"))) for p in a.docs.glob("*.md"))
    if a.check and stale:
        sys.exit(f"{', '.join(p.name for p in stale)}: a table differs from its JSON; "
                 "run `make docs-tables` (never edit a rendered table by hand)")  # fmt: skip
    print(f"{n} rendered tables, {len(stale)} {'stale' if a.check else 'rewritten'}")


if __name__ == "__main__":
    main()
