"""Splits are by article, stable as the corpus grows, and close to the target fractions."""

from __future__ import annotations

import hashlib

import pytest

from khabar.dataset.splits import (
    SPLITS,
    ManifestError,
    assign_splits,
    read_manifest,
    split_articles,
    write_manifest,
)
from tests.conftest import ROOT


def ids(n: int, start: int = 0) -> list[str]:
    """Hash-like article ids, as ingest makes them."""
    return [hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(start, start + n)]


def test_split_is_by_article_and_does_not_depend_on_input_order():
    arts = ids(5)
    s1 = split_articles(arts, seed=1)
    assert s1 == split_articles(list(reversed(arts)), seed=1)
    assert [len(s1[k]) for k in SPLITS] == [3, 1, 1]
    assert sorted(sum(s1.values(), [])) == sorted(arts)
    with pytest.raises(ValueError):
        split_articles(arts, (0.5, 0.5, 0.5))


def test_adding_articles_never_moves_one_that_has_a_split():
    manifest: dict[str, str] = {}
    corpus: list[str] = []
    # The corpus grows a few articles at a time (one, then batches), as a newsroom's does.
    for size in (1, 5, 6, 10, 11, 50, 51, 120):
        corpus += ids(size - len(corpus), len(corpus))
        before = dict(manifest)
        manifest = assign_splits(manifest, corpus)
        assert {a: manifest[a] for a in before} == before
        assert set(manifest) == set(corpus)
    # The old rule (shuffle the sorted ids with a seed) moved 6 of 10 test articles here.
    assert manifest == assign_splits(manifest, corpus)


@pytest.mark.parametrize("n", [5, 50, 5000])
def test_fractions_stay_within_one_article_of_the_target(n):
    fractions = (0.6, 0.2, 0.2)
    # Built one article at a time, the worst case for a greedy rule.
    manifest: dict[str, str] = {}
    for aid in ids(n):
        manifest = assign_splits(manifest, [aid], fractions)
    counts = {s: sum(1 for t in manifest.values() if t == s) for s in SPLITS}
    for s, f in zip(SPLITS, fractions, strict=True):
        assert abs(counts[s] - f * n) <= 1, (n, counts)
    # In one batch the same bound holds.
    batch = split_articles(ids(n), fractions)
    assert all(abs(len(batch[s]) - f * n) <= 1 for s, f in zip(SPLITS, fractions, strict=True))


def test_three_articles_give_validation_and_test_one_each():
    assert [len(v) for v in split_articles(ids(3)).values()] == [1, 1, 1]


def test_manifest_round_trips_and_refuses_what_it_cannot_read(tmp_path):
    path = tmp_path / "splits.tsv"
    assert read_manifest(path) == {}
    m = assign_splits({}, ids(7))
    write_manifest(path, m)
    assert read_manifest(path) == m
    assert path.read_text(encoding="utf-8").startswith("#")
    path.write_text("a1\ttrain\na1\ttest\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="two splits"):
        read_manifest(path)
    path.write_text("a1 train\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=":1:"):
        read_manifest(path)


def test_the_sample_manifest_is_the_split_the_readme_figures_use():
    m = read_manifest(ROOT / "annotation" / "splits.tsv")
    assert sorted(m.values()) == ["test", "train", "train", "train", "validation"]


def test_a_dataset_rebuilt_with_more_articles_keeps_every_old_article_in_its_split(
    tmp_path, schema
):
    from khabar.annotations.gold import read_gold
    from khabar.dataset.build import build_dataset

    gold = [dict(item, id=i + 1) for i, item in enumerate(read_gold(ROOT / "annotation" / "gold"))]
    _, first = build_dataset(gold[:3], schema, tmp_path / "d1", tmp_path / "c1")
    _, second = build_dataset(gold, schema, tmp_path / "d2", tmp_path / "c2",
                              manifest=first.manifest)  # fmt: skip
    assert len(first.manifest) == 3 and len(second.manifest) == 5
    assert {a: second.manifest[a] for a in first.manifest} == first.manifest
