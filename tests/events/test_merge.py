"""Event mentions merged across outlets, and event tuples scored against gold."""

from khabar.events.evaluate import tuple_scores
from khabar.events.merge import merge_events


def row(
    article,
    source,
    etype="MEET",
    people=("एस जयशंकर", "सर्गेई लावरोव"),
    place="मॉस्को",
    time=None,
    anchor="2025-11-18",
    start=0,
):
    start_, end_ = (time.split("/") + [time])[:2] if time else (None, None)
    return {
        "article_id": article,
        "source": source,
        "event_type": etype,
        "trigger": "मुलाकात",
        "trigger_start": start,
        "participants": list(people),
        "participant_people": list(people),
        "place": place,
        "time_value": time,
        "time_start": start_,
        "time_end": end_,
        "time_status": "resolved" if time else None,
        "anchor": anchor,
    }


def test_one_meeting_reported_by_two_outlets_is_one_event():
    rows = [
        row("a", "India TV", time="2025-11-17"),
        row("b", "IANS", time="2025-11-17"),
        row("b", "IANS", people=("एस जयशंकर",), place=None, start=50),  # same article, undated
        row("c", "ETV", time="2024-07-03", place="अस्ताना"),
    ]
    events = merge_events(rows)
    assert len(events) == 2
    moscow = next(e for e in events if e["place"] == "मॉस्को")
    assert moscow["sources"] == ["IANS", "India TV"] and moscow["mentions"] == 3
    assert moscow["time_start"] == moscow["time_end"] == "2025-11-17"
    assert {r["event_id"] for r in rows} == {e["event_id"] for e in events}


def test_mentions_that_contradict_stay_apart():
    rows = [
        row("a", "X", time="2025-11-17"),
        row("b", "Y", time="2025-11-18"),  # another day
        row("c", "Z", time="2025-11-17", place="अस्ताना"),  # another place
        row("d", "W", etype="TRAVEL", time="2025-11-17"),  # another type
        row("e", "V", people=("एस जयशंकर", "व्लादिमीर पुतिन"), time="2025-11-17"),  # others
        row("f", "U", anchor="2025-08-22"),
    ]  # undated, from an article three months off
    assert len(merge_events(rows)) == 6


def test_an_undated_mention_joins_a_nearby_dated_event():
    rows = [row("a", "X", time="2025-11-17"), row("f", "U", anchor="2025-11-20")]
    assert len(merge_events(rows)) == 1


def test_tuple_scores_strict_and_relaxed():
    gold = [row("a", "X", time="2025-11-17"), row("a", "X", etype="TRAVEL", people=("एस जयशंकर",))]
    pred = [
        row("a", "X", time="2025-11-17"),
        row("a", "X", etype="TRAVEL", people=("एस जयशंकर",), place="रूस"),  # place wrong
        row("a", "X", etype="STATEMENT"),
    ]
    s = tuple_scores(pred, gold)
    assert (s["strict"]["tp"], s["strict"]["predicted"], s["strict"]["gold"]) == (1, 3, 2)
    assert s["relaxed"]["tp"] == 2 and s["relaxed"]["recall"] == 1.0
    assert tuple_scores(pred, gold, articles={"zzz"})["strict"]["gold"] == 0
