"""The event heads: decoding, training items (bad input included), one encoder pass for all three
layers, windows, and saving beside the tagger."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from khabar.model.infer.run import tag_words
from khabar.model.net.decoding import decide_roles, extract, gate_triggers
from khabar.model.net.heads import NONE, distance_bucket, load_heads, pairs_of, save_heads
from khabar.model.net.losses import training_items
from khabar.spans import Span

SENT = "मॉस्को में जयशंकर ने लावरोव से मुलाकात की और कहा कि वार्ता सफल रही".split()


def test_trigger_threshold_biases_viterbi_but_keeps_multi_word_triggers_whole():
    from khabar.model.net.decoding import decode_spans

    tags = ["O", "B-MEET", "I-MEET"]
    # आदान - प्रदान: a sure first word, then two words only 0.4 likely to continue it.
    probs = np.array([[0.1, 0.9, 0.0], [0.6, 0.0, 0.4], [0.6, 0.0, 0.4], [0.8, 0.2, 0.0]])
    spans = lambda t: [(s.start, s.end) for s in decode_spans(gate_triggers(probs, t), tags)[1]]  # noqa: E731
    assert spans(0.5) == [(0, 1)]
    assert spans(0.35) == [(0, 3)]  # continued as one span, never a second trigger
    assert spans(0.15) == [(0, 3), (3, 4)]
    assert probs[0, 1] == 0.9  # the input is not changed


def test_lexicon_anchors_triggers_only_when_tuned_to_and_the_model_vetoes_or_retypes():
    from khabar.model.net.decoding import decode_triggers

    tags = ["O", "B-MEET", "I-MEET", "B-SUMMIT", "I-SUMMIT"]
    probs = np.array([
        [0.9, 0.1, 0.0, 0.0, 0.0],  # a lexicon MEET word the model doubts
        [0.2, 0.1, 0.0, 0.7, 0.0],  # a lexicon MEET word the model calls SUMMIT
        [0.99, 0.01, 0.0, 0.0, 0.0],  # a lexicon word the model is sure is no trigger
        [0.1, 0.9, 0.0, 0.0, 0.0],  # the model's own trigger, not in the lexicon
    ])  # fmt: skip
    lex = [Span(0, 1, "MEET"), Span(1, 2, "MEET"), Span(2, 3, "MEET")]
    got = lambda v: [(s.start, s.label) for s in decode_triggers(probs, tags, 0.5, lex, v)]  # noqa: E731
    assert got(None) == [(1, "SUMMIT"), (3, "MEET")]  # the lexicon only a feature
    assert got(0.95) == [(0, "MEET"), (1, "SUMMIT"), (3, "MEET")]
    assert got(1.0) == [(0, "MEET"), (1, "SUMMIT"), (2, "MEET"), (3, "MEET")]
    assert got(0.5) == [(1, "SUMMIT"), (3, "MEET")]
    # MEET too rare in training for the head: its lexicon words are MEET triggers, even the one
    # the model is sure is none and the one it calls SUMMIT; the model's own trigger stays.
    rare = [(s.start, s.label) for s in decode_triggers(probs, tags, 0.5, lex, None, {"MEET"})]
    assert rare == [(0, "MEET"), (1, "MEET"), (2, "MEET"), (3, "MEET")]
    # no SUMMIT word in the lexicon matches: nothing changes
    plain = decode_triggers(probs, tags, 0.5, lex, None)
    assert decode_triggers(probs, tags, 0.5, lex, None, {"SUMMIT"}) == plain


def test_the_lexicon_decides_only_types_too_rare_in_training():
    from khabar.model.net.heads import HeadsConfig

    cfg = HeadsConfig(8, ["O", "B-MEET", "I-MEET", "B-DEATH", "I-DEATH"], ["PER"],
                      ["MEET", "DEATH"], [NONE], {}, lexicon=[[["मौत"], "DEATH"]])  # fmt: skip
    assert cfg.lexicon_decides() == set()  # heads saved before counts were kept: no rule
    cfg.type_counts = {"MEET": 40, "DEATH": 1}
    assert cfg.lexicon_decides() == {"DEATH"}
    cfg.min_type_triggers = 1
    assert cfg.lexicon_decides() == set()
    cfg.type_counts = {"MEET": 40}
    assert cfg.lexicon_decides() == {"DEATH"}  # never seen at all
    cfg.lexicon = []  # no lexicon: nothing to decide with
    assert cfg.lexicon_decides() == set()


def test_roles_need_the_threshold_and_say_how_sure():
    roles = [NONE, "participant", "place"]
    probs = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]])
    assert decide_roles(probs, roles, 0.5) == [("participant", 0.7), (NONE, pytest.approx(0.7))]
    assert decide_roles(probs, roles, 0.25)[1] == ("participant", 0.3)


def test_distance_buckets_are_signed_and_bounded():
    assert distance_bucket(0) == distance_bucket(0)
    assert distance_bucket(3) != distance_bucket(-3)
    assert distance_bucket(1000) == distance_bucket(40)  # far is far
    assert {distance_bucket(d) for d in range(-100, 100)} <= set(range(13))


def test_training_items_skip_forbidden_roles_and_learn_no_triggers_on_ner_only_data(tiny_run):
    cfg = tiny_run.heads.config
    tok, label2id = tiny_run.ner_tokenizer, tiny_run.ner.config.label2id
    per, loc = Span(2, 3, "PER"), Span(0, 1, "LOC")
    meet, said = Span(6, 7, "MEET"), Span(9, 10, "STATEMENT")
    tags = ["B-LOC", "O", "B-PER"] + ["O"] * (len(SENT) - 3)
    # जयशंकर is a participant of two triggers; मॉस्को "time" is forbidden by the schema.
    args = [(0, 0, "participant"), (1, 0, "participant"), (0, 1, "time")]
    items = training_items(tok, [SENT, SENT, []], [tags, tags, []],
                           [([meet, said], [per, loc], args), None, ([], [], [])], label2id,
                           cfg, 64)  # fmt: skip
    assert len(items) == 2  # an empty sentence has no window and nothing to learn
    first, ner_only = items
    roles = dict(zip(first.pairs, (cfg.role_labels[r] for r in first.roles), strict=True))
    assert roles[(meet, per)] == roles[(said, per)] == "participant"
    assert (meet, loc) not in roles  # the forbidden gold relation is never trained on
    assert roles[(said, loc)] == NONE
    assert first.trigger_tags[6] == cfg.trigger_tags.index("B-MEET")
    assert set(ner_only.trigger_tags) == {-100} and not ner_only.pairs


def test_one_pass_gives_the_taggers_entities_and_scores_every_gold_pair(tiny_run):
    words = [SENT, ["नमस्ते"], []]
    ext = extract(
        tiny_run.ner,
        tiny_run.heads,
        tiny_run.ner_tokenizer,
        words,
        64,
        gold_pairs=[pairs_of([Span(6, 7, "MEET")], [Span(2, 3, "PER"), Span(0, 1, "LOC")]), [], []],
    )
    alone = tag_words(tiny_run.ner, tiny_run.ner_tokenizer, words, 64)
    for x, tags in zip(ext, alone, strict=True):  # the entity head is the tagger itself
        assert [t for t, _ in x.entity_tags] == [t for t, _ in tags]
        assert np.allclose([p for _, p in x.entity_tags], [p for _, p in tags], atol=1e-5)
    assert ext[0].gold_role_probs.shape == (2, len(tiny_run.heads.config.role_labels))
    assert np.allclose(ext[0].gold_role_probs.sum(1), 1)
    assert ext[2].entities == ext[2].triggers == ext[2].arguments == []
    for x in ext:
        for t, e, role, score in x.arguments:
            assert role != NONE and 0 < score <= 1
            assert t < len(x.triggers) and e < len(x.entities)


def test_long_sentence_pairs_across_window_borders_are_scored_once(tiny_run):
    words = SENT * 12  # ~170 words: many 24-sub-token windows
    trig, far = Span(6, 7, "MEET"), Span(len(words) - 12, len(words) - 11, "PER")
    (x,) = extract(tiny_run.ner, tiny_run.heads, tiny_run.ner_tokenizer, [words], 24,
                   gold_pairs=[[(trig, far)]])  # fmt: skip
    (whole,) = extract(tiny_run.ner, tiny_run.heads, tiny_run.ner_tokenizer, [words], 128,
                       gold_pairs=[[(trig, far)]])  # fmt: skip
    assert len(x.entity_tags) == len(words) and x.gold_role_probs.shape[0] == 1
    assert x.trigger_probs.shape[0] == len(words)
    assert not np.allclose(x.trigger_probs[:, 0], 1.0)  # every word was seen by some window
    assert whole.gold_role_probs.shape == x.gold_role_probs.shape


def test_heads_saved_beside_the_tagger_load_identically(tiny_run, tmp_path):
    save_heads(tiny_run.heads, tmp_path)
    again = load_heads(tmp_path)
    assert again.config == tiny_run.heads.config
    args = (tiny_run.ner, tiny_run.ner_tokenizer, [SENT], 64)
    a = extract(args[0], tiny_run.heads, *args[1:])[0]
    b = extract(args[0], again, *args[1:])[0]
    assert np.array_equal(a.trigger_probs, b.trigger_probs) and a.arguments == b.arguments


def test_a_run_without_event_heads_is_refused(tiny_run, tmp_path):
    import shutil

    from khabar.model.infer.run import RunError, load_run
    from khabar.model.net.heads import HEADS_FILE

    shutil.copytree(tiny_run.path, tmp_path / "old")
    (tmp_path / "old" / "ner" / HEADS_FILE).unlink()
    with pytest.raises(RunError, match="lacks the event heads.*retrain"):
        load_run(tmp_path / "old")
    assert dataclasses.is_dataclass(tiny_run.heads.config)
