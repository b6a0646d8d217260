"""Benchmark: what pre-annotation saves an annotator (`make bench-effort`).

For every article of the sample (datasets/dataset, all splits pooled), the edits an annotator
makes in Label Studio to turn its pre-annotations into the gold (`khabar.annotations.effort`:
regions added, deleted, relabelled, re-bounded; relations added, removed, relabelled), per
article and per 100 words, for each source of pre-annotations:

- `nothing`: an empty task, annotated from scratch (every gold region and relation added);
- `rules`: the rule pre-annotator `khabar tasks` sends (dates, the gazetteer's names, the
  schema's trigger words; no relations). The shipped gazetteer was written from these very
  articles, so this figure flatters the rules on new news;
- `rules, no gazetteer`: dates and trigger words only, what the rules give an unseen article
  whose names are not listed;
- `sample-only model`: e5 fine-tuned on the sample alone, out of fold (--folds models by
  article: each article is pre-annotated by a model that never saw it);
- `default model`: the default recipe (the transfer base from public corpora, --transfer, then
  the sample), out of fold in the same folds.

Writes models/benchmarks/bench-effort.json (and --json, for the docs' table).

    python scripts/bench_effort.py [--dataset datasets/dataset] [--folds 5]
        [--transfer models/base/transfer-hiner-quick] [--sources nothing rules ...]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from benchkit import provenance

from khabar.annotations.effort import EDITS, edits_of
from khabar.annotations.rules import prelabel
from khabar.io import write_json
from khabar.schema import load_schema
from khabar.spans import Span, word_span

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("nothing", "rules", "rules-no-gazetteer", "sample-model", "default-model")


def bare(s: Span) -> Span:
    """A region as bounds and label only (text and id differ between producers)."""
    return Span(s.start, s.end, s.label)


def gold_of(split, i: int) -> tuple[dict, list]:
    """Sentence i's gold regions by layer and its relations."""
    ents, trigs = [bare(e) for e in split.entities[i]], [bare(t) for t in split.triggers[i]]
    return ({"entity": ents, "trigger": trigs},
            [(trigs[t], ents[e], role) for t, e, role in split.arguments[i]])  # fmt: skip


def rule_regions(text: str, offsets, schema, gazetteer) -> dict[str, list[Span]]:
    """The rule pre-annotator's regions on one sentence, in word positions."""
    out: dict[str, list[Span]] = {"entity": [], "trigger": []}
    for r in prelabel(text, schema, gazetteer):
        at = word_span([s for s, _ in offsets], [e for _, e in offsets], r.start, r.end)
        if at is not None:
            out["trigger" if r.is_trigger else "entity"].append(Span(at[0], at[1], r.label))
    return out


class Tally:
    """Edits and sizes per article, for one source."""

    def __init__(self) -> None:
        self.edits: dict[str, Counter] = defaultdict(Counter)
        self.words: Counter = Counter()
        self.gold: Counter = Counter()

    def add(self, article: str, words: int, gold: tuple[dict, list], pred: dict,
            relations: list) -> None:  # fmt: skip
        """One sentence's edits from `pred` (regions by layer, relations) to its gold."""
        regions, gold_relations = gold
        self.edits[article].update(edits_of(pred, regions, relations, gold_relations))
        self.words[article] += words
        self.gold[article] += sum(map(len, regions.values())) + len(gold_relations)

    def result(self) -> dict:
        """Per article and over the sample: each edit, the total, and per 100 words."""
        per = {}
        for a in sorted(self.words):
            e = {k: self.edits[a][k] for k in EDITS}
            per[a] = {"words": self.words[a], "gold_items": self.gold[a], "edits": e,
                      "total": sum(e.values()),
                      "per_100_words": round(100 * sum(e.values()) / self.words[a], 2)}  # fmt: skip
        total = {k: sum(p["edits"][k] for p in per.values()) for k in EDITS}
        words = sum(self.words.values())
        return {"articles": per, "edits": total, "total": sum(total.values()), "words": words,
                "gold_items": sum(self.gold.values()),
                "per_article": round(sum(total.values()) / max(len(per), 1), 1),
                "per_100_words": round(100 * sum(total.values()) / max(words, 1), 2)}  # fmt: skip


def by_sentence(dd):
    """(article id, split as lists, sentence index) for every sentence of the sample."""
    from khabar.model.train.fitting import split_lists

    for name in dd:
        if not len(dd[name]):
            continue
        split = split_lists(dd[name])
        for i, article in enumerate(dd[name]["article_id"]):
            yield article, split, i


def regions_tally(dd, regions: Callable[[str, list], dict]) -> Tally:
    """The edits from pre-annotations with regions only (no relations): `regions` of each
    sentence's text and word offsets."""
    t = Tally()
    for article, split, i in by_sentence(dd):
        pred = regions(split.texts[i], split.offsets[i])
        t.add(article, len(split.words[i]), gold_of(split, i), pred, [])
    return t


def model_tally(dd, folds: int, args, schema) -> tuple[Tally, dict]:
    """A recipe's edits out of fold: each fold's model pre-annotates the articles it never saw,
    entities, triggers and arguments end to end (what `khabar push-predictions` sends)."""
    from khabar.model.assess.crossval import cross_validate

    t = Tally()

    def on_test(_fold, rows, preds, _run) -> None:
        g = preds.gold
        for i, article in enumerate(rows["article_id"]):
            x = preds.extracted[i]
            pred = {"entity": [bare(e) for e in x.entities],
                    "trigger": [bare(s) for s in preds.triggers[i]]}  # fmt: skip
            relations = [(bare(a), bare(b), role) for a, b, role in preds.arguments[i]]
            t.add(article, len(g.words[i]), gold_of(g, i), pred, relations)

    result = cross_validate(dd, folds, args, schema, curve=False, on_test=on_test)
    return t, {"runs": result["runs"], "figures": result["figures"]}


def table(result: dict) -> str:
    """The sources side by side, for the terminal."""
    short = [k.replace("relation_", "rel. ").replace("relabelled", "relab.") for k in EDITS]
    rows = [f"{'source':<20} {'edits':>6} {'/article':>9} {'/100 words':>10}  "
            + " ".join(f"{k:>11}" for k in short)]  # fmt: skip
    for name, r in result["sources"].items():
        rows.append(f"{name:<20} {r['total']:>6} {r['per_article']:>9} {r['per_100_words']:>10}  "
                    + " ".join(f"{r['edits'][k]:>11}" for k in EDITS))  # fmt: skip
    return "\n".join(rows)


def main() -> None:
    """Count the edits for each source; write the JSON and print the table."""
    from khabar.model.train.args import TrainArgs
    from khabar.studio.prelabel import load_gazetteer

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "dataset")
    ap.add_argument("--folds", type=int, default=5, help="article folds of the out-of-fold models")
    ap.add_argument("--gazetteer", type=Path, default=ROOT / "annotation" / "gazetteer.yaml")
    ap.add_argument("--transfer", default="", help="the default recipe's transfer base (empty: "
                    "the sample-only recipe, as make all has it offline)")  # fmt: skip
    ap.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-effort.json"
    )
    ap.add_argument("--json", type=Path, help="also write the result here (docs/results/...)")
    a = ap.parse_args()
    from datasets import load_from_disk

    dd, schema = load_from_disk(str(a.dataset)), load_schema(ROOT / "annotation" / "schema.yaml")
    args = TrainArgs()  # cross-validation scores each fold beside its baselines too
    result = provenance() | {
        "dataset": os.path.relpath(a.dataset, ROOT), "folds": a.folds, "transfer": a.transfer,
        "sources": {}, "models": {}, "seconds": {}}  # fmt: skip
    for source in a.sources:
        t0 = time.perf_counter()
        if source == "nothing":  # an empty task: every gold item added
            tally = regions_tally(dd, lambda _text, _offsets: {})
        elif source.startswith("rules"):
            gaz = {} if source.endswith("no-gazetteer") else load_gazetteer(a.gazetteer)
            tally = regions_tally(dd, partial(rule_regions, schema=schema, gazetteer=gaz))
        else:
            recipe = replace(args, transfer=a.transfer if source == "default-model" else "")
            tally, result["models"][source] = model_tally(dd, a.folds, recipe, schema)
        result["sources"][source] = tally.result()
        result["seconds"][source] = round(time.perf_counter() - t0)
        for path in filter(None, (a.out, a.json)):
            write_json(path, result, indent=1)
        print(table(result), flush=True)


if __name__ == "__main__":
    main()
