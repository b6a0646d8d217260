"""Which unlabelled articles to annotate next (active learning), the queue's least confidence
(`uncertainty`) among them. Each strategy scores an article from its sentences' word tag
distributions under the current model, higher first:

- `uncertainty`: the queue's least confidence, the mean over sentences of 1 − the least sure
  decoded tag's probability;
- `margin`: the mean over sentences of 1 − the smallest gap between a word's two likeliest tags
  (Scheffer et al. 2001);
- `entropy`: total token entropy, summed over the article's words (Settles & Craven 2008);
- `mnlp`: the decoded tags' mean negative log probability per sentence (length-normalised, so
  long sentences are not preferred for their length; Shen et al. 2018), mean over sentences;
- `diversity`: total entropy, but one article from each of k clusters of the articles' encoder
  states, weighted by that entropy (Zhdanov 2019, diverse mini-batch active learning);
- `random`: the order of a seeded draw.
"""

from __future__ import annotations

import numpy as np

from khabar.spans import bio_decode

STRATEGIES = ("uncertainty", "margin", "entropy", "mnlp", "diversity", "random")
# What a prediction record can rank the queue by (diversity needs the whole pool at once, random
# no model), and the default: least confidence. In the grid (make bench-al) margin alone saved
# words beyond the seeds' spread, and fine-tuning every round (make bench-al-finetune) did not
# confirm it (docs/benchmarks.md); so the default stays the one every record carries, over all
# three layers.
QUEUE_STRATEGIES = ("uncertainty", "margin", "entropy", "mnlp")
QUEUE_STRATEGY = "uncertainty"
Dists = list[list[list[float]]]  # per sentence, per word: the tag distribution


def uncertainty(confidences: list[float]) -> float:
    """Task-level uncertainty from each sentence's least sure decision (`Extracted.confidence`:
    the lowest of its words' entity-tag probabilities, its words' trigger-tag probabilities and
    its (trigger, entity) pairs' role-decision probabilities): the mean over sentences of 1 −
    that, so an article with several doubtful sentences, in any layer, sorts before one with a
    single doubtful word. 1 for an article without sentences: nothing was predicted, so its
    prediction score (1 − uncertainty) is 0, as for a task without text."""
    return sum(1 - c for c in confidences) / len(confidences) if confidences else 1.0


def article_score(dists: Dists, labels: list[str], strategy: str,
                  paths: list[list[int]] | None = None) -> float:  # fmt: skip
    """How much annotating an article should teach the model (higher first), from `dists`, its
    sentences' words' tag distributions (`paths`: their decoded tags, when known already);
    `diversity` ranks by `entropy` before clustering."""
    if strategy in ("uncertainty", "mnlp") and paths is None:
        paths = [bio_decode(row, labels) if len(row) else [] for row in dists]
    # One array per sentence, one numpy call per sentence (not per word): this runs for every
    # article `khabar predict` writes. The rows keep their dtype (the model's float32).
    rows = [np.asarray(row) for row in dists]
    if strategy in ("uncertainty", "mnlp"):
        chosen = [r[np.arange(len(r)), np.asarray(path, dtype=int)] if len(r) else r[:0]
                  for r, path in zip(rows, paths, strict=True)]  # fmt: skip
    if strategy == "uncertainty":  # the decoded tag's probability, as `khabar queue` has it
        return float(uncertainty([c.min() if c.size else 1.0 for c in chosen]))
    if strategy == "margin":
        gaps = [np.diff(np.sort(r, axis=1)[:, -2:], axis=1).min() if len(r) else 1.0
                for r in rows]  # fmt: skip
        return float(np.mean([1 - g for g in gaps])) if gaps else 1.0
    if strategy == "mnlp":
        per = [-np.log(np.maximum(c, 1e-12)).mean() for c in chosen if c.size]
        return float(np.mean(per)) if per else 0.0
    if strategy in ("entropy", "diversity"):
        words = [r for r in rows if len(r)]
        p = np.clip(np.concatenate(words), 1e-12, 1.0) if words else np.zeros(0)
        return float(-(p * np.log(p)).sum()) if p.size else 0.0
    raise ValueError(f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES[:-1])}")


def record_scores(dists: Dists, labels: list[str], paths: list[list[int]]) -> dict[str, float]:
    """What a prediction record keeps to rank the queue by a strategy other than least
    confidence (which reads every layer): each one's article score on the entity layer."""
    return {s: round(article_score(dists, labels, s, paths), 4)
            for s in QUEUE_STRATEGIES if s != "uncertainty"}  # fmt: skip


def prediction_score(record: dict, strategy: str = QUEUE_STRATEGY) -> float:
    """The score Label Studio sorts a task's prediction by (ascending: the task to annotate
    first has the lowest): 1 − uncertainty, or for another strategy 1 / (1 + its article
    score), which keeps that strategy's order."""
    if strategy == "uncertainty":  # the record's own field, over every layer
        return round(1 - record["uncertainty"], 4)
    if strategy not in QUEUE_STRATEGIES:
        raise ValueError(f"unknown queue strategy {strategy!r}: choose one of "
                         f"{', '.join(QUEUE_STRATEGIES)}")  # fmt: skip
    if strategy not in record.get("scores", {}):
        raise ValueError(f"the predictions of {record.get('model_version')} carry no "
                         f"{strategy} score (made before khabar kept one): run `make predict` "
                         "again")  # fmt: skip
    return round(1 / (1 + record["scores"][strategy]), 4)


def diverse_picks(order: list[int], vectors: np.ndarray, k: int, seed: int) -> list[int]:
    """k of the candidate articles `order` ranks (most informative first): the first of each of
    k clusters, k-means over `vectors` (row r: candidate r's unit-length mean encoder state, in
    candidate order, i.e. sorted(order)) weighted by rank, so scale-free; the most informative
    cluster's first."""
    from sklearn.cluster import KMeans

    candidates = sorted(order)
    rank = {i: len(order) - r for r, i in enumerate(order)}
    labels = KMeans(k, n_init=10, random_state=seed).fit(
        vectors, sample_weight=[rank[i] for i in candidates]).labels_  # fmt: skip
    cluster = dict(zip(candidates, labels, strict=True))
    picks, seen = [], set()
    for i in order:  # the most informative article of each cluster not yet drawn from
        if cluster[i] not in seen:
            seen.add(cluster[i])
            picks.append(i)
    return picks[:k]


def article_vectors(model, tokenizer, articles: list[list[list[str]]], max_length: int = 128,
                    batch_size: int = 64) -> np.ndarray:  # fmt: skip
    """Each article's mean encoder state over its sentences' sub-tokens, unit length (what
    `diverse_picks` clusters)."""
    import torch

    from khabar.model.net.inputs import encode, length_batches, pad

    sums = np.zeros((len(articles), model.config.hidden_size))
    rows = [k for k, sents in enumerate(articles) for _ in sents]  # sentence -> article
    words = [w for sents in articles for w in sents]
    model.eval()
    with torch.inference_mode():
        for batch in length_batches(encode(tokenizer, words, max_length), batch_size):
            ids, mask = pad(batch, tokenizer.pad_token_id)
            states = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
            means = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            for b, w in enumerate(batch):
                sums[rows[w.row]] += means[b].float().numpy()
    return sums / np.linalg.norm(sums, axis=1, keepdims=True)
