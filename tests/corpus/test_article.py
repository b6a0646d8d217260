"""The cleaned corpus file: articles round-trip through JSONL."""

from __future__ import annotations

from khabar.corpus.article import read_articles, write_articles


def test_articles_round_trip_through_jsonl(tmp_path, seed_articles):
    out = tmp_path / "a.jsonl"
    write_articles(seed_articles, out)
    assert read_articles(out) == seed_articles
