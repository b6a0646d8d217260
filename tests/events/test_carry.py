"""Dates carried between reports of the same event: an undated article takes the date another
report gives the event, never against its own date or a contradiction."""

from khabar.corpus.article import Article
from khabar.events.carry import carry_dates
from khabar.events.names import Aliases, Canonicaliser


def report(aid: str, text: str, spans: list[tuple[str, str]], events: list[tuple], **meta):
    """An article and its record: `spans` (label, text) found in the text in order; `events`
    (trigger label, trigger text, [(role, entity text), ...])."""
    art = Article(aid, f"{aid}.txt", text, [[0, len(text)]], **meta)
    ents, at = [], 0
    for n, (label, t) in enumerate(spans):
        start = text.index(t, at)
        ents.append({"id": f"{aid}e{n}", "start": start, "end": start + len(t), "label": label,
                     "text": t, "score": None})  # fmt: skip
        at = start + len(t)
    by_text = {e["text"]: e["id"] for e in ents}
    triggers, args = [], []
    for n, (label, t, roles) in enumerate(events):
        start = text.index(t)
        triggers.append({"id": f"{aid}t{n}", "start": start, "end": start + len(t),
                         "label": label, "text": t, "score": None})  # fmt: skip
        args += [{"trigger_id": f"{aid}t{n}", "entity_id": by_text[e], "role": role,
                  "score": None} for role, e in roles]  # fmt: skip
    return art, {"article_id": aid, "entities": ents, "triggers": triggers, "arguments": args}


MEET = ("MEET", "बातचीत", [("participant", "लावरोव"), ("participant", "जयशंकर"),
                           ("place", "नई दिल्ली")])  # fmt: skip
DATED = report(
    "dated",
    "लावरोव ने मंगलवार को नई दिल्ली में जयशंकर से बातचीत की।",
    [("PER", "लावरोव"), ("DATE", "मंगलवार"), ("LOC", "नई दिल्ली"), ("PER", "जयशंकर")],
    [(*MEET[:2], [*MEET[2], ("time", "मंगलवार")])],
    date="2021-04-07",
)
UNDATED = report(
    "undated",
    "लावरोव और जयशंकर ने नई दिल्ली में बातचीत की। लावरोव सोमवार की शाम पहुंचे थे।",
    [("PER", "लावरोव"), ("PER", "जयशंकर"), ("LOC", "नई दिल्ली"), ("DATE", "सोमवार की शाम")],
    [MEET, ("TRAVEL", "पहुंचे", [("participant", "लावरोव"), ("time", "सोमवार की शाम")])],
)


def _run(*reports):
    articles = {a.id: a for a, _ in reports}
    return carry_dates([r for _, r in reports], articles, Canonicaliser(Aliases()))


def test_an_undated_report_takes_the_date_of_the_event_another_report_dates():
    found, events = _run(DATED, UNDATED)
    anchor = found.anchors["undated"]
    assert anchor.day.isoformat() == "2021-04-06"  # the Tuesday of the dated report
    meet = next(e for e in events if e["event_type"] == "MEET")
    assert meet["articles"] == ["dated", "undated"]
    assert anchor.source.endswith(f"anchored_by: event {meet['event_id']}")
    (evening,) = [d for d in found.dates if d["article_id"] == "undated"]
    assert (evening["status"], evening["value"]) == ("resolved", "2021-04-05")  # the Monday
    assert evening["anchored_by"] == f"event {meet['event_id']}"
    assert found.anchors["dated"].source == "article date"  # its own date stays


def test_a_report_with_a_date_of_its_own_is_never_anchored_by_another():
    art, rec = UNDATED
    dated_too = (Article(art.id, art.origin, art.text, art.sentences, date="2021-04-20"), rec)
    found, _ = _run(DATED, dated_too)
    assert found.anchors["undated"].source == "article date"
    assert {d["anchored_by"] for d in found.dates} == {None}


def test_two_events_that_disagree_carry_nothing():
    moscow = report(
        "moscow",
        "लावरोव 10 मई 2021 को मास्को लौटे।",
        [("PER", "लावरोव"), ("DATE", "10 मई 2021"), ("LOC", "मास्को")],
        [
            (
                "TRAVEL",
                "लौटे",
                [("participant", "लावरोव"), ("place", "मास्को"), ("time", "10 मई 2021")],
            )
        ],  # fmt: skip
        date="2021-05-10",
    )
    both = report(
        "undated",
        "लावरोव और जयशंकर ने नई दिल्ली में बातचीत की। फिर लावरोव मास्को लौटे।",
        [("PER", "लावरोव"), ("PER", "जयशंकर"), ("LOC", "नई दिल्ली"), ("LOC", "मास्को")],
        [MEET, ("TRAVEL", "लौटे", [("participant", "लावरोव"), ("place", "मास्को")])],
    )
    found, _ = _run(DATED, moscow, both)
    assert found.anchors["undated"] is None  # 6 April or 10 May: no anchor
