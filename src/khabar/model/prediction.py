"""Run a trained model over whole articles: exact character spans with scores, event type
probabilities per sentence, and a task-level uncertainty; as JSONL records and as Label Studio
predictions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from khabar.annotations.format import Region, content_hash, prediction, region_id
from khabar.corpus.article import Article
from khabar.io import read_jsonl, write_jsonl
from khabar.model.run import Run, event_probs, tag_words
from khabar.schema import ENTITY_CONTROL
from khabar.spans import Token, bio_to_spans, tokenize


def sentence_tokens(article: Article) -> list[list[Token]]:
    """Tokens of each sentence with offsets into the article (the dataset's tokenisation)."""
    spans = article.sentences or ([[0, len(article.text)]] if article.text.strip() else [])
    return [tokenize(article.text[s:e], offset=s) for s, e in spans]


def uncertainty(word_probs: list[list[float]]) -> float:
    """Task-level uncertainty: the mean over sentences of 1 − the least confident word's
    probability, so an article with several doubtful sentences sorts before one with a single
    doubtful word. 0 for an article without words."""
    per_sentence = [1 - min(p) for p in word_probs if p]
    return sum(per_sentence) / len(per_sentence) if per_sentence else 0.0


def predict_articles(run: Run, articles: list[Article], batch_size: int = 32) -> list[dict]:
    """One record per article: entities (exact spans, label, mean word probability), sentences
    with event probabilities and predicted types, and the uncertainty."""
    toks = [sentence_tokens(a) for a in articles]
    flat = [[t.text for t in sent] for sents in toks for sent in sents]
    tagged = iter(tag_words(run.ner, run.ner_tokenizer, flat, run.max_length, batch_size))
    events = iter(event_probs(run.events, run.events_tokenizer, flat, run.max_length, batch_size))
    records = []
    for art, sents in zip(articles, toks, strict=True):
        entities, sentences, probs = [], [], []
        for sent in sents:
            tags_probs = next(tagged)
            tags = [t for t, _ in tags_probs]
            word_p = [p for _, p in tags_probs]
            probs.append(word_p)
            positions = bio_to_spans([Token("", i, i + 1) for i in range(len(sent))], tags)
            for e in positions:
                start, end = sent[e.start].start, sent[e.end - 1].end
                score = sum(word_p[e.start : e.end]) / (e.end - e.start)
                entities.append({"start": start, "end": end, "label": e.label,
                                 "text": art.text[start:end],
                                 "score": round(score, 4)})  # fmt: skip
            ev = next(events)
            sentences.append({
                "start": sent[0].start if sent else 0, "end": sent[-1].end if sent else 0,
                "events": {k: round(v, 4) for k, v in ev.items()},
                "event_types": [k for k, v in ev.items() if v >= run.threshold],
            })  # fmt: skip
        records.append({
            "article_id": art.id, "origin": art.origin, "content_hash": content_hash(art.text),
            "model_version": run.name, "uncertainty": round(uncertainty(probs), 4),
            "entities": entities, "sentences": sentences,
        })  # fmt: skip
    return records


def write_records(records: Iterable[dict], path: Path) -> int:
    """Write records as JSONL (atomically); return how many."""
    return write_jsonl(path, records)


def read_records(path: Path) -> list[dict]:
    """Records written by `write_records`."""
    return read_jsonl(path)


def ls_prediction(record: dict) -> dict:
    """The Label Studio prediction of a record: entity regions with scores; its score is the
    confidence 1 − uncertainty, so sorting by prediction score ascending puts the least confident
    task first."""
    regions = [
        Region(region_id(ENTITY_CONTROL, e["start"], e["end"]), e["start"], e["end"], e["label"],
               ENTITY_CONTROL, e["text"], e["score"])
        for e in record["entities"]
    ]  # fmt: skip
    return prediction(regions, record["model_version"]) | {
        "score": round(1 - record["uncertainty"], 4)
    }
