"""Benchmark: what the corpus says without a person in the loop, on the sample's gold.

- Names: the gold's names placed from an empty alias file (the automatic part only), against
  the eleven merges across scripts and acronyms a person added to annotation/aliases.yaml by
  hand: how many come back, and every pair merged that the hand-reviewed file keeps apart
  (false merges). The suggestions left for a person are listed too.
- Dates: the gold's DATE spans resolved, and right against annotation/dates.tsv, before (no
  post anchors, no dates carried between reports) and after; every span resolved before whose
  value changed.
- Event tuples: the predictions against the gold, with the hand-reviewed alias file, with the
  automatic part only, and with the automatic part as it was before names crossed scripts.

Writes models/benchmarks/bench-names.json.

    python scripts/bench_names.py [--predictions datasets/predictions/default.jsonl]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchkit import provenance, write_result  # noqa: E402

from khabar.corpus.article import read_articles  # noqa: E402
from khabar.dataset.splits import read_manifest  # noqa: E402
from khabar.events import crossscript as xs  # noqa: E402
from khabar.events import mentions as mentions_module  # noqa: E402
from khabar.events.build import EventInputs, build, read_date_truth  # noqa: E402
from khabar.events.carry import carry_dates  # noqa: E402
from khabar.events.evaluate import date_scores  # noqa: E402
from khabar.events.mentions import (  # noqa: E402
    event_mentions,
    name_counts,
    records_from_gold,
    records_from_predictions,
)
from khabar.events.names import Aliases, Canonicaliser, read_aliases  # noqa: E402

# (type, spelling, canonical name): what a person added to annotation/aliases.yaml by hand.
HAND_ADDED = [
    ("PER", "Putin", "व्लादिमीर पुतिन"),
    ("PER", "S. Jaishankar", "एस जयशंकर"),
    ("PER", "Sergey Lavrov", "सर्गेई लावरोव"),
    ("PER", "Denis Manturov", "डेनिस मंटुरोव"),
    ("PER", "Droupadi Murmu", "द्रौपदी मुर्मु"),
    ("LOC", "Kremlin", "क्रेमलिन"),
    ("PER", "@DrSJaishankar", "एस जयशंकर"),
    ("PER", "@narendramodi", "नरेंद्र मोदी"),
    ("ORG", "एससीओ", "शंघाई सहयोग संगठन"),
    ("LOC", "इंडो-पैसिफिक क्षेत्र", "भारत-प्रशांत क्षेत्र"),
    ("LOC", "हिन्द प्रशांत क्षेत्र", "भारत-प्रशांत क्षेत्र"),
]
GOLD = ROOT / "annotation" / "gold"
HAND = ROOT / "annotation" / "aliases.yaml"


def names(gold: list[dict], texts: list[str]) -> dict:
    """The automatic part against the hand-reviewed file."""
    auto = Canonicaliser(Aliases())
    auto.fit(name_counts(gold), texts)
    hand = Canonicaliser(read_aliases(HAND))
    back = [h for h in HAND_ADDED if auto.canonical(h[0], h[1]) == auto.canonical(h[0], h[2])]
    false = []
    for label in ("PER", "ORG", "LOC"):
        seen = sorted({t for lab, t in name_counts(gold) if lab == label})
        for a, b in combinations(seen, 2):
            if auto.canonical(label, a) == auto.canonical(label, b) and hand.canonical(
                label, a
            ) != hand.canonical(label, b):
                false.append([label, a, b])
    return {
        "hand_added": len(HAND_ADDED),
        "back": len(back),
        "back_list": [list(h) for h in back],
        "missed": [list(h) for h in HAND_ADDED if h not in back],
        "false_merges": false,
        "suggestions": [[s.label, s.text, s.canon, s.score, s.why] for s in auto.suggestions],
    }


def dates(gold: list[dict], articles: dict, truth: dict) -> dict:
    """DATE spans before (no post anchors, nothing carried) and after."""
    canon = Canonicaliser(Aliases())
    posts = mentions_module.post_anchors
    mentions_module.post_anchors = lambda text: []  # the rules of before this issue
    try:
        before = event_mentions(gold, articles, canon).dates
    finally:
        mentions_module.post_anchors = posts
    after = carry_dates(gold, articles, canon)[0].dates
    key = lambda d: (d["article_id"], d["span_start"], d["text"])  # noqa: E731
    was = {key(d): d["value"] for d in before if d["status"] == "resolved"}
    changed = [[*k, v, d["value"]] for d in after if (k := key(d)) in was and
               (v := was[k]) != d["value"]]  # fmt: skip
    out = {}
    for name, found in (("before", before), ("after", after)):
        s = date_scores(found, truth)
        out[name] = {k: s[k] for k in ("spans", "resolved", "checked", "right")}
        out[name]["wrong"] = s["wrong"]
    out["changed"] = changed
    return out


def tuples(preds: list[dict], gold: list[dict], articles: dict, truth: dict) -> dict:
    """Event tuples of the predictions against the gold, per alias file."""
    test = {a for a, s in read_manifest(ROOT / "annotation" / "splits.tsv").items() if s == "test"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        hand = Path(tmp) / "hand.yaml"
        shutil.copy(HAND, hand)
        for name, path in (("hand-reviewed", hand), ("automatic", Path(tmp) / "auto.yaml"),
                           ("Devanagari only", Path(tmp) / "deva.yaml")):  # fmt: skip
            inp = EventInputs(preds, articles, path, name, gold=gold, held_out=test or None,
                              date_truth=truth)  # fmt: skip
            auto = xs.AUTO
            xs.AUTO = 2.0 if name == "Devanagari only" else auto  # no merge scores that high
            try:
                summary = build(inp, Path(tmp) / name)
            finally:
                xs.AUTO = auto
            out[name] = {scope: {kind: s[kind] for kind in ("strict", "relaxed")}
                         for scope, s in summary["tuples"].items()}  # fmt: skip
            out[name]["events"] = len(summary["events"])
    return out


def main() -> None:
    """Names, dates and tuples; print them and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--predictions", type=Path, default=ROOT / "datasets/predictions/default.jsonl")
    ap.add_argument("--corpus", type=Path, default=ROOT / "datasets/cleaned/articles.jsonl")
    ap.add_argument("--json", type=Path, help="also write the result here (docs/results/...)")
    a = ap.parse_args()
    said = provenance()  # what runs: the commit as it starts
    for need, make in ((a.corpus, "make data"), (a.predictions, "make predict")):
        if not need.is_file():
            sys.exit(f"bench-names needs {need}: run `{make}` first")
    articles = {x.id: x for x in read_articles(a.corpus)}
    gold = records_from_gold(GOLD)
    truth = read_date_truth(ROOT / "annotation" / "dates.tsv")
    result = said | {
        "predictions": str(a.predictions),
        "names": names(gold, [x.text for x in articles.values()]),
        "dates": dates(gold, articles, truth),
        "tuples": tuples(records_from_predictions(a.predictions), gold, articles, truth),
    }
    write_result(result, ROOT / "models" / "benchmarks" / "bench-names.json", a.json)
    n = result["names"]
    print(f"names: {n['back']} of {n['hand_added']} hand-added merges come back automatically; "
          f"{len(n['false_merges'])} false merges {n['false_merges']}")  # fmt: skip
    print(f"  missed: {n['missed']}")
    print(f"  suggestions: {n['suggestions']}")
    for when in ("before", "after"):
        d = result["dates"][when]
        print(f"dates {when}: {d['resolved']} of {d['spans']} resolved, {d['right']} of "
              f"{d['checked']} hand-checked ones right")  # fmt: skip
    print(f"  values changed: {result['dates']['changed']}")
    for name, scopes in result["tuples"].items():
        for scope in ("all", "held_out"):
            if scope in scopes:
                s, r = scopes[scope]["strict"], scopes[scope]["relaxed"]
                print(f"tuples, {name} aliases ({scope}): strict P/R/F1 {s['precision']:.3f}/"
                      f"{s['recall']:.3f}/{s['f1']:.3f}, relaxed {r['precision']:.3f}/"
                      f"{r['recall']:.3f}/{r['f1']:.3f}")  # fmt: skip
    print("-> models/benchmarks/bench-names.json")


if __name__ == "__main__":
    main()
