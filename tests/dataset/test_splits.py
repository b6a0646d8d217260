"""Splits are by article and deterministic."""

from __future__ import annotations

import pytest

from khabar.dataset.splits import split_articles


def test_split_is_by_article_and_deterministic():
    ids = [f"a{i}" for i in range(5)]
    s1 = split_articles(ids, seed=1)
    assert s1 == split_articles(list(reversed(ids)), seed=1)
    assert [len(s1[k]) for k in ("train", "validation", "test")] == [3, 1, 1]
    assert sorted(sum(s1.values(), [])) == ids
    with pytest.raises(ValueError):
        split_articles(ids, (0.5, 0.5, 0.5))
