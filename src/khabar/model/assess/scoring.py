"""Score a run and its baselines on the dataset splits (the predictions of every model, their
metrics, metrics.json): what selection, cross-validation, the review and the reports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from khabar.io import write_json
from khabar.model.infer.run import METRICS_FILE, Run, check_labels, event_probs
from khabar.model.measure import baselines as bl
from khabar.model.measure.evaluation import (
    Arg,
    ace_scores,
    bio_entities,
    entity_scores,
    event_scores,
)
from khabar.model.net.decoding import roles_on
from khabar.model.train.fitting import Split, label_names, split_lists
from khabar.model.train.joint import gold_arguments, resolve
from khabar.schema import Schema, load_schema
from khabar.spans import Span

SPLITS = ("validation", "test")


@dataclass
class SplitPredictions:
    """Gold and every model's predictions for one split (spans in word positions)."""

    gold: Split
    tags: list[list[str]]
    tag_probs: list[list[float]]
    events: list[list[str]]  # what the report shows: the types of the predicted triggers
    crf_tags: list[list[str]] | None
    tfidf_events: list[list[str]] | None
    triggers: list[list[Span]] = field(default_factory=list)
    arguments: list[list[Arg]] = field(default_factory=list)  # end to end
    gold_span_arguments: list[list[Arg]] = field(default_factory=list)  # on gold spans
    lexicon_triggers: list[list[Span]] = field(default_factory=list)
    nearest_arguments: list[list[Arg]] = field(default_factory=list)  # lexicon × CRF entities
    nearest_gold_arguments: list[list[Arg]] = field(default_factory=list)
    classifier_events: list[list[str]] | None = None  # the separate sentence classifier's
    train_lexicon_triggers: list[list[Span]] | None = None  # words of the training split
    extracted: list = field(default_factory=list)  # the joint model's `Extracted`, per sentence


def predict_split(run: Run, split: Split, schema: Schema) -> SplitPredictions:
    """Run the joint model (one encoder pass per sentence), the sentence classifier if the run
    has one, and the baselines over one split."""
    from khabar.model.net.decoding import extract
    from khabar.model.net.heads import pairs_of

    gold_pairs = [pairs_of(t, e) for t, e in zip(split.triggers, split.entities, strict=True)]
    ext = extract(run.ner, run.heads, run.ner_tokenizer, split.words, run.max_length, 32,
                  gold_pairs, precision=run.precision)  # fmt: skip
    cfg = run.heads.config
    on_gold = [roles_on(pairs, x.gold_role_probs, cfg.role_labels, cfg.role_threshold)
               for x, pairs in zip(ext, gold_pairs, strict=True)]  # fmt: skip
    crf = run.crf.predict(split.words) if run.crf else None
    lex = [bl.lexicon_triggers(t, o, schema) for t, o in zip(split.texts, split.offsets,
                                                               strict=True)]  # fmt: skip
    crf_ents = [bio_entities(t) for t in crf] if crf else split.entities
    roles = cfg.role_labels[1:]
    near = lambda trigs, ents: resolve(  # noqa: E731
        [bl.nearest_arguments(t, e, roles) for t, e in zip(trigs, ents, strict=True)], trigs, ents
    )
    classifier = None
    if run.events is not None:
        probs = event_probs(run.events, run.events_tokenizer, split.words, run.max_length)
        classifier = [[lab for lab, p in row.items() if p >= run.threshold] for row in probs]
    return SplitPredictions(
        split,
        [[t for t, _ in x.entity_tags] for x in ext],
        [[p for _, p in x.entity_tags] for x in ext],
        [sorted({t.label for t in x.triggers}, key=cfg.event_labels.index) for x in ext],
        crf,
        run.tfidf.predict(split.texts) if run.tfidf else None,
        [x.triggers for x in ext],
        [[(x.triggers[t], x.entities[e], r) for t, e, r, _ in x.arguments] for x in ext],
        on_gold, lex, near(lex, crf_ents), near(split.triggers, split.entities), classifier,
        [run.lexicon.predict(w) for w in split.words] if run.lexicon else None,
        ext,
    )  # fmt: skip


def split_metrics(p: SplitPredictions, event_labels: list[str]) -> dict:
    """Scores of every model on one split, with the counts they rest on."""
    g = p.gold
    gold_args = gold_arguments(g)
    out = {
        "sentences": len(g.words),
        "event_labels": sum(len(e) for e in g.events),
        "triggers": sum(len(t) for t in g.triggers),
        "arguments": sum(len(a) for a in gold_args),
        "transformer": {
            "entities": entity_scores(g.tags, p.tags),
            "events": event_scores(g.events, p.events, event_labels),
            "extraction": {"end_to_end": ace_scores(g.triggers, p.triggers, gold_args,
                                                    p.arguments),
                           "gold_spans": ace_scores(g.triggers, g.triggers, gold_args,
                                                    p.gold_span_arguments)},
        },
        "baseline": {"extraction": {
            "end_to_end": ace_scores(g.triggers, p.lexicon_triggers, gold_args,
                                     p.nearest_arguments),
            "gold_spans": ace_scores(g.triggers, g.triggers, gold_args,
                                     p.nearest_gold_arguments)}},
    }  # fmt: skip
    out["mentions"] = out["transformer"]["entities"]["overall"]["support"]  # gold, counted once
    if p.crf_tags is not None:
        out["crf"] = {"entities": entity_scores(g.tags, p.crf_tags)}
    if p.tfidf_events is not None:
        out["tfidf"] = {"events": event_scores(g.events, p.tfidf_events, event_labels)}
    if p.train_lexicon_triggers is not None:
        out["train_lexicon"] = {"extraction": {"end_to_end": ace_scores(
            g.triggers, p.train_lexicon_triggers, gold_args, [[]] * len(g.triggers))}}  # fmt: skip
    if p.classifier_events is not None:
        out["sentence_classifier"] = {"events": event_scores(g.events, p.classifier_events,
                                                             event_labels)}  # fmt: skip
    return out


def score_run(
    run: Run, dd, schema: Schema | None = None, splits: tuple[str, ...] = SPLITS
) -> tuple[dict, dict[str, SplitPredictions]]:
    """(metrics of each of `splits` present, predictions per split); refuses a dataset whose
    labels differ from the run's."""
    tag_names, event_names = label_names(dd["train"])
    check_labels(run, tag_names, event_names)
    schema = schema or load_schema()
    preds = {s: predict_split(run, split_lists(dd[s]), schema) for s in splits
             if s in dd and len(dd[s])}  # fmt: skip
    metrics = {
        "run": run.name,
        "base_model": run.info.get("base_model"),
        "event_threshold": run.threshold,
        "trigger_threshold": run.heads.config.trigger_threshold,
        "role_threshold": run.heads.config.role_threshold,
        "splits": {s: split_metrics(p, event_names) for s, p in preds.items()},
    }
    return metrics, preds


def write_metrics(run: Run, metrics: dict) -> Path:
    """metrics.json of the run."""
    path = run.path / METRICS_FILE
    write_json(path, metrics)
    return path
