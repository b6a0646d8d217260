"""Corpus prediction engines: the local one and Ray Data write the same records."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise

from khabar.corpus.article import write_articles
from khabar.model.infer.engine import chunk_spans, chunked, read_span
from khabar.model.infer.prediction import read_records
from tests.conftest import ROOT, run_khabar, skip_unless_optional


def test_chunks_keep_order_and_the_short_tail():
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 3)) == []


def test_chunk_spans_cover_the_corpus_in_chunks_that_read_back_as_its_articles(
    seed_articles, tmp_path
):
    corpus = tmp_path / "articles.jsonl"
    write_articles(seed_articles, corpus)
    with corpus.open("a", encoding="utf-8") as fh:
        fh.write("\n\n")  # blank lines at the end are no article
    spans = list(chunk_spans(corpus, 2))
    assert [end - start > 0 for start, end in spans] == [True] * 3
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in pairwise(spans))
    chunks = [read_span(corpus, start, end) for start, end in spans]
    assert [[a.id for a in c] for c in chunks] == [
        [a.id for a in part] for part in chunked(seed_articles, 2)
    ]


def test_the_ray_engine_writes_exactly_what_the_local_engine_writes(
    tiny_run, seed_articles, tmp_path
):
    try:
        import ray  # noqa: F401
    except ImportError:
        skip_unless_optional("Ray is an optional extra: pip install 'khabar[ray]'")
    corpus = tmp_path / "articles.jsonl"
    write_articles(seed_articles, corpus)
    outs = {}
    for engine in ("local", "ray"):
        outs[engine] = tmp_path / f"{engine}.jsonl"
        # Chunks of 2 articles: three Ray batches that must come back in corpus order.
        out = run_khabar("predict", "--run", tiny_run.path, "--articles", corpus, "--out",
                         outs[engine], "--engine", engine, "--chunk", 2,
                         env=dict(os.environ))  # fmt: skip
        assert f"5 articles, {sum(len(a.sentences) for a in seed_articles)} sentences" in out
    assert outs["ray"].read_bytes() == outs["local"].read_bytes()
    records = read_records(outs["ray"])
    assert [r["article_id"] for r in records] == [a.id for a in seed_articles]
    assert sum(len(r["entities"]) for r in records) > 0  # the tiny run does tag something


def test_an_unknown_engine_or_a_missing_run_is_one_clear_line(tiny_run, tmp_path):
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text("", encoding="utf-8")
    for args, message in (
        (
            ["--run", tiny_run.path, "--engine", "spark"],
            "unknown engine 'spark': choose one of local, ray",
        ),
        (
            ["--run", tmp_path / "nothing"],
            "run.json not found: train the run first (`make train RUN=nothing`)",
        ),
    ):
        done = subprocess.run([sys.executable, "-m", "khabar.cli", "predict", "--articles",
                               str(corpus), "--out", str(tmp_path / "p.jsonl"), *map(str, args)],
                              capture_output=True, text=True, cwd=ROOT, timeout=600)  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "p.jsonl").exists()
