"""CRF tagger and TF-IDF event classifier on a small Devanagari fixture."""

from __future__ import annotations

from khabar.model.baselines import CrfTagger, TfidfEvents, crf_features, load, save
from khabar.model.evaluation import tune_threshold
from khabar.spans import tokenize

TRAIN = [
    (
        "जयशंकर ने मॉस्को में लावरोव से मुलाकात की।",
        ["B-PER", "O", "B-LOC", "O", "B-PER", "O", "O", "O", "O"],
        ["MEET"],
    ),
    ("पुतिन सोमवार को भारत पहुंचे।", ["B-PER", "B-DATE", "O", "B-LOC", "O", "O"], ["TRAVEL"]),
    ("मोदी ने दिल्ली में कहा।", ["B-PER", "O", "B-LOC", "O", "O", "O"], ["STATEMENT"]),
    ("लावरोव ने मॉस्को में कहा।", ["B-PER", "O", "B-LOC", "O", "O", "O"], ["STATEMENT"]),
    ("मोदी ने पुतिन से मुलाकात की।", ["B-PER", "O", "B-PER", "O", "O", "O", "O"], ["MEET"]),
    ("जयशंकर मंगलवार को रूस पहुंचे।", ["B-PER", "B-DATE", "O", "B-LOC", "O", "O"], ["TRAVEL"]),
]


def toks(text):
    return [t.text for t in tokenize(text)]


def test_fixture_tags_line_up():
    assert all(len(toks(t)) == len(tags) for t, tags, _ in TRAIN)


def test_crf_features_see_context_and_affixes():
    f = crf_features(toks("मोदी ने कहा।"))
    assert f[0]["w"] == "मोदी" and f[0]["+1:w"] == "ने" and f[0]["-1:pad"]
    assert f[0]["suf2"] == "दी" and f[0]["shape"] == "d"


def test_crf_learns_the_fixture(tmp_path):
    crf = CrfTagger().fit([toks(t) for t, _, _ in TRAIN], [tags for _, tags, _ in TRAIN])
    pred = crf.predict([toks(t) for t, _, _ in TRAIN])
    assert pred == [tags for _, tags, _ in TRAIN]
    # an unseen sentence with a known pattern: name before ने, place before में
    new = crf.predict([toks("पुतिन ने दिल्ली में कहा।")])[0]
    assert new[:3] == ["B-PER", "O", "B-LOC"]
    save(crf, tmp_path / "crf.pkl")
    assert load(tmp_path / "crf.pkl").predict([toks(TRAIN[0][0])])[0] == TRAIN[0][1]


def test_tfidf_events_and_unlearnable_types():
    labels = ["MEET", "TRAVEL", "STATEMENT", "DEATH"]
    texts, events = [t for t, _, _ in TRAIN], [e for _, _, e in TRAIN]
    clf = TfidfEvents(labels=labels).fit(texts, events, texts, events)
    assert clf.predict(texts) == events
    assert set(clf.models) == {"MEET", "TRAVEL", "STATEMENT"}  # DEATH has no example
    assert clf.proba(["किसी की मौत हुई।"])[0]["DEATH"] == 0.0


def test_tune_threshold_picks_the_separating_value():
    probs = [{"MEET": 0.9}, {"MEET": 0.3}, {"MEET": 0.2}]
    gold = [["MEET"], ["MEET"], []]
    # 0.25 and 0.3 both keep 0.3 in and 0.2 out (F1 = 1); the tie goes to the one nearer 0.5
    assert tune_threshold(probs, gold, ["MEET"]) == 0.3
