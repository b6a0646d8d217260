"""`khabar events` end to end on the sample: tables and plots (everywhere), and the HTML report in
Chromium (where a browser is installed; CI requires one)."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from khabar.corpus.article import write_articles
from tests.conftest import ARTIFACTS, ROOT, run_khabar


@pytest.fixture(scope="module")
def events_out(tmp_path_factory, seed_articles) -> tuple[Path, str, Path]:
    """`khabar events` run once on the sample: (its output folder, its log, its alias file)."""
    tmp_path = tmp_path_factory.mktemp("events")
    corpus = tmp_path / "articles.jsonl"
    write_articles(seed_articles, corpus)
    aliases = tmp_path / "aliases.yaml"
    shutil.copy(ROOT / "annotation" / "aliases.yaml", aliases)
    out = tmp_path / "events"
    # The gold stands in for predictions here: the same code reads both (records of one shape).
    log = run_khabar(
        "events",
        "--gold",
        ROOT / "annotation" / "gold",
        "--against",
        ROOT / "annotation" / "gold",
        "--corpus",
        corpus,
        "--aliases",
        aliases,
        "--out",
        out,
        "--gold-out",
        out / "gold",
        env=dict(os.environ),
    )
    return out, log, aliases


def test_events_from_gold_and_predictions(events_out):
    """Tables, the merged events and the plots: no browser needed (CI's browser test reads the
    same report below)."""
    out, log, aliases = events_out
    assert "tuples vs gold (all): strict P/R/F1 1.000/1.000/1.000" in log  # gold against itself
    assert "DATE spans resolved: 29 of 37; 29 of 29 hand-checked ones right" in log
    assert aliases.read_text(encoding="utf-8") == (ROOT / "annotation" / "aliases.yaml").read_text(
        encoding="utf-8"
    ), "the committed alias file already holds every gold spelling"

    mentions = pd.read_parquet(out / "events.parquet")
    merged = pd.read_csv(out / "merged.csv")
    assert len(mentions) == 190  # one row per gold trigger
    assert {"event_type", "participants", "place", "time_value", "source", "sentence_text"} <= set(
        mentions.columns
    )
    # The Moscow meeting of 17 November 2025, reported by India TV and IANS, is one event.
    moscow = merged[
        (merged.event_type == "MEET")
        & (merged.time_start == "2025-11-17")
        & merged.participants.str.contains("सर्गेई लावरोव")
    ]
    assert len(moscow) == 1 and moscow.iloc[0].sources.split(" | ") == ["India TV Hindi", "आईएएनएस"]
    assert (out / "timeline.png").stat().st_size > 10_000 and (out / "graph.png").is_file()
    assert (out / "gold" / "report.html").is_file()


def test_the_events_report_in_the_browser(events_out, browser):
    out, _, _ = events_out
    merged = pd.read_csv(out / "merged.csv")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((out / "report.html").as_uri())
    total = int(page.inner_text("#count"))
    assert total == len(merged)
    page.fill("#filter", "लावरोव")
    shown = int(page.inner_text("#count"))
    assert 0 < shown < total
    assert page.locator("#events tbody tr:not(.hidden)").count() == shown
    page.select_option("#type", "MEET")
    assert all(
        r == "MEET"
        for r in page.locator("#events tbody tr:not(.hidden) td:nth-child(2)").all_inner_texts()
    )
    # Each event links to its sentences: following one lands on the sentence with its trigger.
    link = page.locator("#events tbody tr:not(.hidden) a").first
    target = link.get_attribute("href")
    link.click()
    assert page.evaluate("location.hash") == target
    assert page.locator(f"{target} mark").count() == 1
    assert page.evaluate("document.images[0].naturalWidth") > 0  # the timeline loaded
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto((out / "report.html").as_uri())
    page.fill("#filter", "लावरोव")
    page.screenshot(path=str(ARTIFACTS / "events-report.png"), full_page=True)
    assert (ARTIFACTS / "events-report.png").stat().st_size > 50_000
    page.close()
