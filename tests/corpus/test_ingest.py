"""The ingest stage: bad files reported and the rest processed, duplicates skipped, stable ids."""

from __future__ import annotations

import json

from khabar.corpus.ingest import IngestResult, ingest, iter_ingest
from tests.conftest import ROOT


def test_bad_files_are_reported_and_others_processed(tmp_path, seed_articles):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "good.txt").write_text(
        "भारत और रूस के बीच वार्ता हुई। दोनों देश सहमत हुए।", encoding="utf-8"
    )
    (tmp_path / "mixed.jsonl").write_text(
        json.dumps(
            {"text": "मोदी ने कहा। अच्छा।", "title": "शीर्षक", "url": "https://x"}, ensure_ascii=False
        )
        + "\n{not json\n"
        + json.dumps({"title": "no text"})
        + "\n",
        encoding="utf-8",
    )
    result = ingest([tmp_path])
    assert len(result.articles) == 2
    joined = "\n".join(result.errors)
    assert "empty.txt: empty file" in joined
    assert "binary.txt: binary file" in joined
    assert "latin1.txt: not UTF-8" in joined
    assert "mixed.jsonl:2: invalid JSON" in joined and "mixed.jsonl:3: record has no" in joined
    jsonl_art = next(a for a in result.articles if a.origin.endswith("mixed.jsonl:1"))
    assert jsonl_art.title == "शीर्षक" and jsonl_art.url == "https://x"


def test_duplicate_articles_skipped(tmp_path):
    text = "भारत और रूस के बीच वार्ता हुई।"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    result = ingest([tmp_path])
    assert len(result.articles) == 1 and len(result.duplicates) == 1


def test_ids_are_stable_and_distinct(seed_articles):
    ids = [a.id for a in seed_articles]
    assert len(set(ids)) == 5 and all(len(i) == 16 for i in ids)
    again = ingest([a.origin for a in seed_articles])
    assert [a.id for a in again.articles] == ids


def test_ingest_streams_one_file_at_a_time(tmp_path):
    """iter_ingest yields the first article before it reads the next file, and counts as it goes."""
    seeds = sorted((ROOT / "datasets" / "raw").glob("*.txt"))[:3]
    result = IngestResult()
    stream = iter_ingest(seeds, result)
    first = next(stream)
    assert first.origin == str(seeds[0]) and result.n_articles == 1
    rest = list(stream)
    assert result.n_articles == 3 == 1 + len(rest)
    assert result.n_sentences == sum(len(a.sentences) for a in [first, *rest])
    assert result.summary().startswith(f"3 articles, {result.n_sentences} sentences")
