"""The decision rules: ground truth, unanimous, majority, single, latest; what a majority drops."""

from __future__ import annotations

from khabar.dataset.rows import build_rows
from tests.conftest import TEXT, annotation, rel, span, task


def _by(user, aid, result, **kw):
    return annotation(aid, user, result, **kw)


def test_decision_rules_ground_truth_unanimous_majority_single(schema):
    modi, mos = TEXT.index("मोदी"), TEXT.index("मॉस्को")
    per, loc = span("m", modi, modi + 4, "PER"), span("l", mos, mos + 6, "LOC")
    t = task(1, [])
    t["annotations"] = [_by(1, 1, [per, loc]), _by(2, 2, [per]), _by(3, 3, [per, loc])]
    rows, report = build_rows([t], schema, members={1: "asha", 2: "ravi", 3: "meena"})
    assert report.decided_by == {"majority": 1}
    assert [p.reason for p in report.problems] == ["disagreement"]
    _, gone = build_rows([t], schema, members={1: "asha", 2: "ravi"})  # meena left the team
    assert (gone.problems[0].reason, gone.problems[0].detail) == (
        "annotator no longer a member",
        "user-3's annotation is kept and counts",
    )
    assert gone.decided_by == {"majority": 1}
    assert [e["label"] for e in rows["a1"][0]["entities"]] == ["PER", "LOC"]  # 3 and 2 of 3
    assert rows["a1"][0]["decided_by"] == "majority"
    t["annotations"][1] = _by(2, 2, [span("x", modi, modi + 4, "PER")])  # ravi drops LOC...
    t["annotations"].append(_by(2, 4, [per, loc]))  # ...then agrees: his latest counts
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"unanimous": 1}
    assert [p.reason for p in report.problems].count("several annotations by one annotator") == 1
    t["annotations"].append(_by(1, 5, [loc], ground_truth=True))  # a reviewer's verdict wins
    cancelled = _by(9, 6, [per], ground_truth=True, was_cancelled=True)
    t["annotations"].append(cancelled)
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"ground_truth": 1}
    assert [e["label"] for e in rows["a1"][0]["entities"]] == ["LOC"]
    t["annotations"] = [_by(1, 1, [per])]
    _, report = build_rows([t], schema, overlap=2)  # one annotator where two were asked for
    assert report.decided_by == {"single": 1}
    assert [p.reason for p in report.problems] == ["under-annotated"]
    assert report.decisions == [
        {
            "task_id": 1,
            "article_id": "a1",
            "decided_by": "single",
            "source": "annotator",
            "annotations": [1],
        }
    ]


def test_majority_reports_what_it_drops(schema):
    modi, meet = TEXT.index("मोदी"), TEXT.index("मुलाकात")
    per, trig = span("m", modi, modi + 4, "PER"), span("t", meet, meet + 7, "MEET", "trigger")
    t = task(1, [])
    t["annotations"] = [_by(1, 1, [per, trig, rel("t", "m", "participant")]), _by(2, 2, [per])]
    rows, report = build_rows([t], schema)
    assert report.decided_by == {"majority": 1}
    row = rows["a1"][0]
    assert [e["label"] for e in row["entities"]] == ["PER"] and not row["triggers"]
    dropped = [p.detail for p in report.problems if p.reason == "dropped by majority vote"]
    assert len(dropped) == 2 and "MEET" in dropped[0] and "1/2" in dropped[0]
    assert "argument participant" in dropped[1]
