"""The active-learning strategies score articles from their words' tag distributions."""

from __future__ import annotations

import numpy as np
import pytest

from khabar.model.infer.strategies import article_score, diverse_picks

LABELS = ["O", "B-PER", "I-PER"]
SURE = [0.98, 0.01, 0.01]
DOUBT = [0.50, 0.45, 0.05]
SPLIT = [0.34, 0.33, 0.33]


@pytest.mark.parametrize("strategy", ["uncertainty", "margin", "entropy", "mnlp"])
def test_a_doubtful_word_ranks_an_article_first(strategy):
    sure = [[SURE, SURE]]
    doubtful = [[SURE, DOUBT]]
    assert article_score(doubtful, LABELS, strategy) > article_score(sure, LABELS, strategy)


def test_least_confidence_is_the_queues_mean_over_sentences():
    # sentence 1: least sure decoded tag 0.50; sentence 2: 0.98 -> mean of 1 - p
    got = article_score([[SURE, DOUBT], [SURE]], LABELS, "uncertainty")
    assert got == pytest.approx(((1 - 0.50) + (1 - 0.98)) / 2)


def test_margin_reads_the_gap_between_the_two_likeliest_tags():
    # DOUBT's top two are 0.05 apart, SPLIT's 0.01: SPLIT is the closer call
    assert article_score([[SPLIT]], LABELS, "margin") > article_score([[DOUBT]], LABELS, "margin")
    assert article_score([[DOUBT]], LABELS, "margin") == pytest.approx(1 - 0.05)


def test_total_entropy_grows_with_length_least_confidence_does_not():
    short, long = [[DOUBT]], [[DOUBT] * 4]
    assert article_score(long, LABELS, "entropy") == pytest.approx(
        4 * article_score(short, LABELS, "entropy"))  # fmt: skip
    assert article_score(long, LABELS, "uncertainty") == article_score(short, LABELS, "uncertainty")


def test_mnlp_is_normalised_by_length():
    # one doubtful word in a sentence of 4 weighs a quarter of one in a sentence of 1
    one = article_score([[DOUBT]], LABELS, "mnlp")
    assert one == pytest.approx(-np.log(0.50))
    four = article_score([[DOUBT, SURE, SURE, SURE]], LABELS, "mnlp")
    assert four == pytest.approx((-np.log(0.50) - 3 * np.log(0.98)) / 4)
    assert article_score([[DOUBT] * 4], LABELS, "mnlp") == pytest.approx(one)


def test_an_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown strategy 'bald'"):
        article_score([[SURE]], LABELS, "bald")


def test_diverse_picks_take_one_article_from_each_cluster():
    # candidates 0-3 lie near (1, 0), 4-5 near (0, 1); the three most informative are all in
    # the first region, so ranking alone would spend a round of 2 there
    vectors = np.array([[1, 0.01], [1, 0.02], [1, 0.0], [1, 0.03], [0.01, 1], [0.02, 1]])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    order = [2, 0, 1, 5, 3, 4]
    assert diverse_picks(order, vectors, k=2, seed=13) == [2, 5]


def test_a_records_prediction_score_keeps_its_strategys_order():
    from khabar.model.infer.strategies import prediction_score

    a = {"model_version": "r", "uncertainty": 0.2, "scores": {"margin": 0.9, "mnlp": 0.1}}
    b = {"model_version": "r", "uncertainty": 0.6, "scores": {"margin": 0.3, "mnlp": 2.0}}
    # Label Studio serves the lowest score first
    assert prediction_score(b) < prediction_score(a)  # least confidence: b is the less sure
    assert prediction_score(a, "margin") < prediction_score(b, "margin")
    assert prediction_score(b, "mnlp") < prediction_score(a, "mnlp")
    with pytest.raises(ValueError, match="carry no entropy score"):
        prediction_score(a, "entropy")
    with pytest.raises(ValueError, match="unknown queue strategy 'random'"):
        prediction_score(a, "random")
