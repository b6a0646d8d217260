"""The rule + gazetteer pre-annotator: whole tokens, dates, triggers, task shape, model version."""

from __future__ import annotations

from khabar.studio.prelabel import build_task, load_gazetteer, model_version, prelabel

GAZ = {
    "LOC": ["रूस", "भारत", "मॉस्को"],
    "PER": ["सर्गेई लावरोव", "लावरोव"],
    "EVENT": ["एससीओ शिखर सम्मेलन"],
}


def regions(text, schema):
    return [(r.text, r.label, r.control) for r in prelabel(text, schema, GAZ)]


def test_whole_tokens_only(schema):
    got = regions("रूसी विदेश मंत्री सर्गेई लावरोव रूस पहुंचे", schema)
    assert ("रूस", "LOC", "entity") in got
    assert not any(t == "रूस" and i == 0 for i, (t, _, _) in enumerate(got[:1]))
    assert ("सर्गेई लावरोव", "PER", "entity") in got
    assert ("लावरोव", "PER", "entity") not in got  # longest match wins
    assert ("पहुंचे", "TRAVEL", "trigger") in got


def test_dates(schema):
    got = regions("सोमवार, 17-18 नवंबर को और दिसंबर 2023 में तथा 2024-25 में", schema)
    dates = [t for t, label, _ in got if label == "DATE"]
    assert dates == ["सोमवार", "17-18 नवंबर", "दिसंबर 2023", "2024-25"]
    # every weekday name the event timeline reads, synonyms too (one list, corpus.metadata)
    got = regions("वीरवार को और इतवार को", schema)
    assert [t for t, label, _ in got if label == "DATE"] == ["वीरवार", "इतवार"]


def test_trigger_inside_named_event(schema):
    got = regions("वह एससीओ शिखर सम्मेलन में गए", schema)
    assert ("एससीओ शिखर सम्मेलन", "EVENT", "entity") in got
    assert ("शिखर सम्मेलन", "SUMMIT", "trigger") in got


def test_offsets_exact_and_task_shape(schema, seed_articles):
    gaz = load_gazetteer()
    for art in seed_articles:
        task = build_task(art, schema, gaz)
        pred = task["predictions"][0]
        assert pred["model_version"] == model_version(schema, gaz)
        assert 0 < pred["score"] <= 1
        for item in pred["result"]:
            v = item["value"]
            assert art.text[v["start"] : v["end"]] == v["text"]
        assert task["data"]["article_id"] == art.id


def test_model_version_tracks_gazetteer(schema):
    assert model_version(schema, GAZ) != model_version(schema, {**GAZ, "ORG": ["ब्रिक्स"]})
