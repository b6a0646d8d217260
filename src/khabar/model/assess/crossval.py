"""Cross-validation by article: K models, each tested on articles it never saw, every figure as
mean ± standard deviation over folds and a bootstrap 95 % interval over the pooled test sentences,
and a learning curve (F1 against the number of training articles) from the same folds.

A handful of articles cannot carry a fixed test split: one article more or less in test moves
every figure by points. Here each article is tested exactly once.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from khabar.model.assess.scoring import SplitPredictions, score_run
from khabar.model.measure.evaluation import bio_entities
from khabar.model.train.args import TrainArgs
from khabar.model.train.joint import gold_arguments
from khabar.model.train.training import train_run
from khabar.schema import Schema

CV_FILE = "cv.json"
CURVE_FILE = "learning_curve.png"


def article_folds(article_ids: list[str], k: int) -> list[list[str]]:
    """K folds of whole articles: sorted ids dealt round-robin (deterministic; sizes differ by at
    most one)."""
    ids = sorted(set(article_ids))
    if not 2 <= k <= len(ids):
        raise ValueError(f"{k} folds need between 2 and {len(ids)} (the number of articles)")
    return [ids[i::k] for i in range(k)]


def fold_splits(folds: list[list[str]], i: int) -> dict[str, list[str]]:
    """Fold i's articles: test = fold i, validation = the next fold (to pick the epoch and the
    thresholds), train = the rest."""
    k = len(folds)
    return {"train": [a for j, f in enumerate(folds) if j not in (i, (i + 1) % k) for a in f],
            "validation": folds[(i + 1) % k], "test": folds[i]}  # fmt: skip


# ------------------------------------------------------------------ figures

Pairs = list[tuple[set, set]]  # (gold, predicted) items of each sentence


def _sets(gold: list, pred: list, key: Callable) -> Pairs:
    return [({key(x) for x in g}, {key(x) for x in p}) for g, p in zip(gold, pred, strict=True)]


def _span(x) -> tuple:
    return x.start, x.end


def _typed(x) -> tuple:
    return x.start, x.end, x.label


def _arg_id(a) -> tuple:
    return a[0].start, a[0].end, a[1].start, a[1].end


def _arg_cls(a) -> tuple:
    return (*_arg_id(a), a[2])


# name -> (what the counts rest on, model's pairs, baseline's pairs, baseline's name)
FIGURES: dict[str, tuple[str, Callable, Callable, str]] = {
    "entities": ("mentions",
                 lambda p: _sets([bio_entities(t) for t in p.gold.tags],
                                 [bio_entities(t) for t in p.tags], _typed),
                 lambda p: _sets([bio_entities(t) for t in p.gold.tags],
                                 [bio_entities(t) for t in p.crf_tags], _typed), "CRF"),
    "trigger identification": ("triggers",
                               lambda p: _sets(p.gold.triggers, p.triggers, _span),
                               lambda p: _sets(p.gold.triggers, p.lexicon_triggers, _span),
                               "schema lexicon"),
    "trigger classification": ("triggers",
                               lambda p: _sets(p.gold.triggers, p.triggers, _typed),
                               lambda p: _sets(p.gold.triggers, p.lexicon_triggers, _typed),
                               "schema lexicon"),
    "trigger classification, training lexicon": (
        "triggers", lambda p: _sets(p.gold.triggers, p.triggers, _typed),
        lambda p: _sets(p.gold.triggers, p.train_lexicon_triggers, _typed), "training lexicon"),
    "argument identification, end to end": (
        "arguments", lambda p: _sets(gold_arguments(p.gold), p.arguments, _arg_id),
        lambda p: _sets(gold_arguments(p.gold), p.nearest_arguments, _arg_id), "nearest entity"),
    "argument classification, end to end": (
        "arguments", lambda p: _sets(gold_arguments(p.gold), p.arguments, _arg_cls),
        lambda p: _sets(gold_arguments(p.gold), p.nearest_arguments, _arg_cls), "nearest entity"),
    "argument identification, gold spans": (
        "arguments", lambda p: _sets(gold_arguments(p.gold), p.gold_span_arguments, _arg_id),
        lambda p: _sets(gold_arguments(p.gold), p.nearest_gold_arguments, _arg_id),
        "nearest entity"),
    "argument classification, gold spans": (
        "arguments", lambda p: _sets(gold_arguments(p.gold), p.gold_span_arguments, _arg_cls),
        lambda p: _sets(gold_arguments(p.gold), p.nearest_gold_arguments, _arg_cls),
        "nearest entity"),
    "event types per sentence": ("event labels",
                                 lambda p: _sets(p.gold.events, p.events, str),
                                 lambda p: _sets(p.gold.events, p.tfidf_events, str), "TF-IDF"),
}  # fmt: skip
CURVE_FIGURES = ("entities", "trigger classification", "argument classification, gold spans")


def _mentions_of(label: str, tag_lists) -> list:
    return [[e for e in bio_entities(t) if e.label == label] for t in tag_lists]


def entity_type_figures(types: list[str]) -> dict[str, tuple[str, Callable, Callable, str]]:
    """One entities row per type (`entities, PER` …): transfer from corpora with other guidelines
    can lift one type and sink another, which the micro figure hides."""
    return {f"entities, {t}": (
        "mentions",
        lambda p, t=t: _sets(_mentions_of(t, p.gold.tags), _mentions_of(t, p.tags), _typed),
        lambda p, t=t: _sets(_mentions_of(t, p.gold.tags), _mentions_of(t, p.crf_tags), _typed),
        "CRF") for t in types}  # fmt: skip


def figures(types: list[str]) -> dict[str, tuple[str, Callable, Callable, str]]:
    """Every figure of a cross-validation over entity `types`: FIGURES, then one per type."""
    return {**FIGURES, **entity_type_figures(types)}


def counts(pairs: Pairs) -> np.ndarray:
    """(correct, predicted, gold) per sentence, shape (sentences, 3)."""
    return np.array([(len(g & p), len(p), len(g)) for g, p in pairs], dtype=float).reshape(-1, 3)


def f1(c: np.ndarray) -> float:
    """Micro F1 of summed (correct, predicted, gold) counts."""
    cor, pred, gold = c.sum(0) if c.ndim == 2 else c
    return 2 * cor / (pred + gold) if pred + gold else 0.0


def bootstrap(c: np.ndarray, n: int = 1000, seed: int = 13) -> tuple[float, float]:
    """95 % percentile interval of micro F1 over sentences resampled with replacement."""
    if not len(c):
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    sums = c[rng.integers(0, len(c), (n, len(c)))].sum(1)  # (n, 3)
    den = sums[:, 1] + sums[:, 2]
    scores = np.where(den > 0, 2 * sums[:, 0] / np.maximum(den, 1), 0.0)
    lo, hi = np.percentile(scores, [2.5, 97.5])
    return float(lo), float(hi)


def summarise(per_fold: list[dict[str, dict[str, np.ndarray]]], types: list[str] = ()) -> dict:
    """Mean ± std over folds and the pooled bootstrap interval of every figure and system."""
    out = {}
    for name, (unit, *_rest, base_name) in figures(list(types)).items():
        row = {"unit": unit, "baseline_name": base_name}
        for system in ("model", "baseline"):
            folds = [f[name][system] for f in per_fold if name in f]
            if not folds:
                continue
            scores = [f1(c) for c in folds]
            pooled = np.concatenate(folds)
            row[system] = {"mean": float(np.mean(scores)), "std": float(np.std(scores)),
                           "folds": scores, "pooled": f1(pooled), "ci95": bootstrap(pooled),
                           "gold": int(pooled[:, 2].sum())}  # fmt: skip
        out[name] = row
    return out


def fold_counts(p: SplitPredictions, types: list[str] = ()) -> dict[str, dict[str, np.ndarray]]:
    """Per-sentence counts of every figure for the model and its baseline on one test split."""
    out = {}
    for name, (_, model, base, _) in figures(list(types)).items():
        try:
            out[name] = {"model": counts(model(p)), "baseline": counts(base(p))}
        except TypeError:  # a baseline this run lacks (None)
            continue
    return out


# ------------------------------------------------------------------ running


def _subset(all_rows, articles: list[str]):
    keep = set(articles)
    return all_rows.filter(lambda r: r["article_id"] in keep)


def _sizes(n_train: int, curve: bool) -> list[int]:
    """Training articles of a fold's models: 1 … n for the learning curve, else n."""
    return list(range(1, n_train + 1)) if curve else [n_train]


class _Projection:
    """How long the rest of a cross-validation will take, from the models trained so far: time
    per training sentence, times the sentences still to train on."""

    def __init__(self, sentences: Counter, folds: list[list[str]], plan: list[tuple[int, int]]):
        self.work = {(i, n): sum(sentences[a] for a in fold_splits(folds, i)["train"][:n])
                     for i, n in plan}  # fmt: skip
        self.seconds, self.sentences, self.left = 0.0, 0, len(plan)

    def done(self, fold: int, n: int, seconds: float) -> str:
        """A log line's tail: models left and the projected time they take."""
        self.seconds += seconds
        self.sentences += self.work[(fold, n)]
        self.left -= 1
        rest = sum(self.work.values()) - self.sentences
        if not self.left:
            return f" ({self.seconds / 60:.1f} min for {len(self.work)} models)"
        per = self.seconds / max(self.sentences, 1)
        return (
            f" ({seconds:.0f} s; {self.left} of {len(self.work)} models left: about "
            f"{per * rest / 60:.0f} min more, {(self.seconds + per * rest) / 60:.0f} min "
            "in all)"
        )


# What a caller may keep of each fold's full model before it is deleted: (fold, its test rows,
# the predictions on them, the run). `khabar review-errors` keeps out-of-fold predictions this way.
OnTest = Callable[[int, object, SplitPredictions, object], None]


def cross_validate(dd, k: int, args: TrainArgs, schema: Schema, curve: bool = True,
                   log: Callable[[str], None] = print,
                   on_test: OnTest | None = None) -> dict:  # fmt: skip
    """Train and test K models on article folds of `dd` (all its splits pooled); with `curve`,
    also train each fold on its first 1 … n−1 training articles for the learning curve; each
    fold's full model hands its test predictions to `on_test`."""
    from datasets import DatasetDict, concatenate_datasets, disable_progress_bars

    disable_progress_bars()  # a bar per fold filter is noise between the training bars
    all_rows = concatenate_datasets([dd[s] for s in dd if len(dd[s])])
    types = all_rows.features["entities"].feature["label"].names
    folds = article_folds(list(all_rows["article_id"]), k)
    plan = [(i, n) for i in range(k) for n in _sizes(len(fold_splits(folds, i)["train"]), curve)]
    eta = _Projection(Counter(all_rows["article_id"]), folds, plan)
    per_fold, curve_points, runs = [], [], []
    for i in range(k):
        parts = fold_splits(folds, i)
        for n in _sizes(len(parts["train"]), curve):
            split = dict(parts, train=parts["train"][:n])
            fold_dd = DatasetDict({s: _subset(all_rows, ids) for s, ids in split.items()})
            started = time.perf_counter()
            tmp = Path(tempfile.mkdtemp(prefix=f"khabar-cv{i}-"))
            try:  # a fold's model is only scored: not kept (465 MB each on the e5 base)
                run = train_run(fold_dd, tmp / f"fold{i}", replace(args), "cv", schema)
                metrics, preds = score_run(run, fold_dd, schema)
                if on_test is not None and n == len(parts["train"]):
                    on_test(i, fold_dd["test"], preds["test"], run)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            c = fold_counts(preds["test"], types)
            curve_points.append({"fold": i, "train_articles": n,
                                 **{f: f1(c[f]["model"]) for f in CURVE_FIGURES},
                                 **{f"{f} (baseline)": f1(c[f]["baseline"])
                                    for f in CURVE_FIGURES}})  # fmt: skip
            if n == len(parts["train"]):
                per_fold.append(c)
                runs.append({"fold": i, **split, "seconds": time.perf_counter() - started,
                             "best_epoch": run.info["ner_fit"]["best_epoch"],
                             # what the epoch was picked by: compare settings on this, not test
                             "validation_scores": run.info["ner_fit"].get("best_val_detail"),
                             "thresholds": [run.info["trigger_threshold"],
                                            run.info["role_threshold"]],
                             "lexicon_veto": run.info.get("lexicon_veto"),
                             "lexicon_types": run.info.get("lexicon_types", []),
                             "transfer_held_out": {
                                 k: v["f1"] for k, v in
                                 run.info.get("transfer", {}).get("held_out", {}).items()},
                             "test_sentences": metrics["splits"]["test"]["sentences"]})  # fmt: skip
            log(f"fold {i + 1}/{k}, {n} training articles: " + ", ".join(
                f"{f} {curve_points[-1][f]:.3f}" for f in CURVE_FIGURES) +
                eta.done(i, n, time.perf_counter() - started))  # fmt: skip
    return {"folds": k, "articles": sum(map(len, folds)), "runs": runs,
            "transfer": args.transfer or None,
            "figures": summarise(per_fold, types), "curve": curve_points}  # fmt: skip


# ------------------------------------------------------------------ report
