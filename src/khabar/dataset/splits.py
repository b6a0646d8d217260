"""Train/validation/test by whole article, deterministic from a seed."""

from __future__ import annotations

import random

SPLITS = ("train", "validation", "test")


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
