"""Run a trained model over whole articles: entities, event triggers and their arguments as exact
character spans and relations with scores, the event types of each sentence, and a task-level
uncertainty; as JSONL records and as Label Studio predictions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from khabar.annotations.format import Region, Relation, content_hash, prediction, region_id
from khabar.corpus.article import Article
from khabar.io import read_jsonl, write_jsonl
from khabar.model.infer.run import Run
from khabar.model.infer.strategies import (
    QUEUE_STRATEGY,
    prediction_score,
    record_scores,
    uncertainty,
)
from khabar.schema import ENTITY_CONTROL, TRIGGER_CONTROL
from khabar.spans import Span, Token, tokenize


def sentence_tokens(article: Article) -> list[list[Token]]:
    """Tokens of each sentence with offsets into the article (the dataset's tokenisation)."""
    spans = article.sentences or ([[0, len(article.text)]] if article.text.strip() else [])
    return [tokenize(article.text[s:e], offset=s) for s, e in spans]


def predict_articles(run: Run, articles: list[Article], batch_size: int = 32) -> list[dict]:
    """One record per article: entities and triggers (exact spans, label, score), arguments
    (trigger id, entity id, role, score), sentences with the event types of their triggers, and
    the uncertainty. Ids are the Label Studio region ids of the spans."""
    from khabar.model.net.decoding import extract

    labels = [run.ner.config.id2label[i] for i in range(run.ner.config.num_labels)]
    index = {t: i for i, t in enumerate(labels)}
    toks = [sentence_tokens(a) for a in articles]
    flat = [[t.text for t in sent] for sents in toks for sent in sents]
    found = iter(extract(run.ner, run.heads, run.ner_tokenizer, flat, run.max_length, batch_size,
                         precision=run.precision))  # fmt: skip
    records = []
    for art, sents in zip(articles, toks, strict=True):
        entities, triggers, arguments, sentences, confidences = [], [], [], [], []
        dists, paths = [], []  # the entity layer's, for the queue's other strategies
        for sent in sents:
            x = next(found)
            confidences.append(x.confidence)
            dists.append(x.entity_probs)
            paths.append([index[t] for t, _ in x.entity_tags])
            ents = [_span(art, sent, e, sc, ENTITY_CONTROL)
                    for e, sc in zip(x.entities, x.entity_scores, strict=True)]  # fmt: skip
            trigs = [_span(art, sent, t, sc, TRIGGER_CONTROL)
                     for t, sc in zip(x.triggers, x.trigger_scores, strict=True)]  # fmt: skip
            entities += ents
            triggers += trigs
            arguments += [
                {
                    "trigger_id": trigs[t]["id"],
                    "entity_id": ents[e]["id"],
                    "role": role,
                    "score": round(score, 4),
                }
                for t, e, role, score in x.arguments
            ]
            scores: dict[str, float] = {}
            for t in trigs:
                scores[t["label"]] = max(scores.get(t["label"], 0.0), t["score"])
            sentences.append({
                "start": sent[0].start if sent else 0, "end": sent[-1].end if sent else 0,
                "events": scores, "event_types": sorted(scores, key=run.heads.config
                                                        .event_labels.index),
            })  # fmt: skip
        records.append({
            "article_id": art.id, "origin": art.origin, "content_hash": content_hash(art.text),
            "model_version": run.name, "precision": run.precision, "device": run.placement.device,
            "uncertainty": round(uncertainty(confidences), 4),
            "scores": record_scores(dists, labels, paths),
            "entities": entities, "triggers": triggers, "arguments": arguments,
            "sentences": sentences,
        })  # fmt: skip
    return records


def _span(art: Article, sent: list[Token], span: Span, score: float, control: str) -> dict:
    """A predicted span of a sentence (word positions) as a record item with exact offsets."""
    start, end = sent[span.start].start, sent[span.end - 1].end
    return {"id": region_id(control, start, end), "start": start, "end": end,
            "label": span.label, "text": art.text[start:end], "score": round(score, 4)}  # fmt: skip


def write_records(records: Iterable[dict], path: Path) -> int:
    """Write records as JSONL (atomically); return how many."""
    return write_jsonl(path, records)


def read_records(path: Path) -> list[dict]:
    """Records written by `write_records`."""
    return read_jsonl(path)


def ls_prediction(record: dict, strategy: str = QUEUE_STRATEGY) -> dict:
    """The Label Studio prediction of a record: entity and trigger regions with scores and the
    argument relations between them (both ends are regions of this prediction); its score is
    what the queue sorts by (`strategies.prediction_score`: for the default, the confidence
    1 − uncertainty), so sorting by prediction score ascending puts the task to annotate
    first first."""
    regions = [
        Region(x["id"], x["start"], x["end"], x["label"], control, x["text"], x["score"])
        for control, key in ((ENTITY_CONTROL, "entities"), (TRIGGER_CONTROL, "triggers"))
        for x in record.get(key, [])
    ]  # fmt: skip
    relations = [Relation(a["trigger_id"], a["entity_id"], a["role"])
                 for a in record.get("arguments", [])]  # fmt: skip
    return prediction(regions, record["model_version"], relations) | {
        "score": prediction_score(record, strategy)
    }
