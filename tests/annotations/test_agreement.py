"""Agreement on a fixture of three annotators with known disagreements, against figures worked
out by hand below, through the `khabar agreement` command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from khabar.annotations.agreement import cohen_kappa, collect, krippendorff_alpha, token_codes
from khabar.cli import app
from tests.conftest import annotation

T1 = "मोदी ने मॉस्को में पुतिन से मुलाकात की।"
T2 = "भारत और रूस के बीच वार्ता हुई।"
ASHA, RAVI, MEENA = 1, 2, 3
MEMBERS = {"1": "asha@khabar.test", "2": "ravi@khabar.test", "3": "meena@khabar.test"}


def ent(text, word, label, rid, control="entity", nth=0):
    start = text.index(word)
    for _ in range(nth):
        start = text.index(word, start + 1)
    return {
        "id": rid,
        "from_name": control,
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]},
    }


def arg(a, b, role):
    return {"from_id": a, "to_id": b, "type": "relation", "direction": "right", "labels": [role]}


ann = annotation


def task(tid, text, annotations):
    data = {"text": text, "article_id": f"a{tid}", "sentences": json.dumps([[0, len(text)]])}
    return {"id": tid, "data": data, "annotations": annotations}


def fixture() -> list[dict]:
    """Task 1: asha and ravi agree on the spans; ravi leaves out the `place` argument; meena
    types मॉस्को as ORG, takes the postposition into पुतिन से, and calls मुलाकात TRAVEL.
    Task 2: only asha and ravi; ravi misses रूस and its argument."""
    a1 = [
        ent(T1, "मोदी", "PER", "m"),
        ent(T1, "मॉस्को", "LOC", "k"),
        ent(T1, "पुतिन", "PER", "p"),
        ent(T1, "मुलाकात", "MEET", "t", "trigger"),
        arg("t", "m", "participant"),
        arg("t", "p", "participant"),
        arg("t", "k", "place"),
    ]
    r1 = a1[:4] + a1[4:6]
    m1 = [
        ent(T1, "मोदी", "PER", "m"),
        ent(T1, "मॉस्को", "ORG", "k"),
        ent(T1, "पुतिन से", "PER", "p"),
        ent(T1, "मुलाकात", "TRAVEL", "t", "trigger"),
        arg("t", "m", "participant"),
    ]
    a2 = [
        ent(T2, "भारत", "LOC", "b"),
        ent(T2, "रूस", "LOC", "r"),
        ent(T2, "वार्ता", "MEET", "v", "trigger"),
        arg("v", "b", "participant"),
        arg("v", "r", "participant"),
    ]
    r2 = [a2[0], a2[2], a2[3]]
    return [
        task(1, T1, [ann(11, ASHA, a1), ann(12, RAVI, r1), ann(13, MEENA, m1)]),
        task(2, T2, [ann(21, ASHA, a2), ann(22, RAVI, r2)]),
    ]


# Worked by hand (pairs pooled: F1 = 2·P·R/(P+R), P = a's matched / a's, R = b's matched / b's).
# Entities, strict: asha–ravi 4 of 5 and 4 of 4 -> 8/9; asha–meena and ravi–meena 1 of 3 each
# way -> 1/3; all pairs 6/11 and 6/10 -> 12/21.
# Entities, overlap (same type, spans overlap): पुतिन ~ पुतिन से now match: x–meena 2/3;
# all pairs 8/11 and 8/10 -> 128/168.
# Triggers with type: asha–ravi 2/2 -> 1; x–meena MEET vs TRAVEL -> 0; all pairs 2/4 -> 1/2.
# Arguments: asha–ravi 3/5 and 3/3 -> 6/8; asha–meena 1/3, 1/1 -> 2/4; ravi–meena 1/2, 1/1 ->
# 2/3; all pairs 5/10 and 5/5 -> 10/15.
# Entity tokens (17 = 9 + 8 tokens, O elsewhere):
#   asha–ravi: agree on 16/17; asha PER 2, LOC 3, O 12; ravi PER 2, LOC 2, O 13:
#     pe = (4 + 6 + 156)/289 -> kappa = (272 - 166)/(289 - 166) = 106/123.
#   x–meena (task 1, 9 tokens): agree 7/9; PER 2·3 + O 6·5 = 36/81 -> kappa = 27/45 = 0.6.
#   alpha: 43 pairable values (27 + 16); disagreeing pairs LOC/ORG, O/PER, LOC/O count 6,
#     D_o = 6/43; marginals PER 7, LOC 5, ORG 1, O 30: D_e = (43² - 975)/(43·42) = 874/1806;
#     alpha = 1 - 6·42/874 = 622/874.
# Trigger tokens: asha–ravi kappa 1; x–meena po 8/9, pe 64/81 -> 8/17;
#   alpha: one MEET/MEET/TRAVEL unit, D_o = 2/43; MEET 4, TRAVEL 1, O 38:
#   D_e = (1849 - 1461)/1806 -> alpha = 1 - 2·42/388 = 304/388.
HAND = {
    "entity_strict": 12 / 21,
    "entity_overlap": 128 / 168,
    "trigger": 1 / 2,
    "argument": 10 / 15,
    "alpha_entity": 622 / 874,
    "alpha_trigger": 304 / 388,
    "mean_kappa_entity": (106 / 123 + 0.6 + 0.6) / 3,
    "mean_kappa_trigger": (1 + 16 / 17) / 3,
}
PAIRS = {
    ("asha@khabar.test", "ravi@khabar.test"): {
        "entity_strict": 8 / 9,
        "entity_overlap": 8 / 9,
        "trigger": 1.0,
        "argument": 6 / 8,
        "kappa_entity": 106 / 123,
        "kappa_trigger": 1.0,
        "tasks": 2,
        "tokens": 17,
    },
    ("asha@khabar.test", "meena@khabar.test"): {
        "entity_strict": 1 / 3,
        "entity_overlap": 2 / 3,
        "trigger": 0.0,
        "argument": 2 / 4,
        "kappa_entity": 0.6,
        "kappa_trigger": 8 / 17,
        "tasks": 1,
        "tokens": 9,
    },
    ("meena@khabar.test", "ravi@khabar.test"): {
        "entity_strict": 1 / 3,
        "entity_overlap": 2 / 3,
        "trigger": 0.0,
        "argument": 2 / 3,
        "kappa_entity": 0.6,
        "kappa_trigger": 8 / 17,
        "tasks": 1,
        "tokens": 9,
    },
}


def _run(tmp_path, export, members=MEMBERS, overlap=None):
    (tmp_path / "export.json").write_text(json.dumps(export, ensure_ascii=False), "utf-8")
    (tmp_path / "project.json").write_text(json.dumps({"members": members, "overlap": overlap}))
    res = CliRunner().invoke(app, ["agreement", "--export", str(tmp_path / "export.json"),
                                   "--project-info", str(tmp_path / "project.json"),
                                   "--out", str(tmp_path / "agreement")])  # fmt: skip
    assert res.exit_code == 0, res.output
    return json.loads((tmp_path / "agreement" / "agreement.json").read_text("utf-8")), res.output


def test_agreement_reproduces_hand_computed_figures(tmp_path):
    result, output = _run(tmp_path, fixture())
    for key, want in HAND.items():
        assert result["overall"][key] == pytest.approx(want, abs=1e-4), key
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    assert set(pairs) == set(PAIRS)
    for pair, want in PAIRS.items():
        for key, value in want.items():
            assert pairs[pair][key] == pytest.approx(value, abs=1e-4), (pair, key)
    per = result["per_label"]
    # PER: 2+1+1 matched of 6 and 6 -> 8/12; LOC: 2 of 5 and 2 of 2 -> 4/7; ORG only meena's.
    assert per["entity_strict"] == pytest.approx({"LOC": 4 / 7, "ORG": 0.0, "PER": 8 / 12},
                                                 abs=1e-4)  # fmt: skip
    # MEET: 2 of 4 (asha/ravi's side against meena has none) and 2 of 2 -> 2/3.
    assert per["trigger"] == pytest.approx({"MEET": 2 / 3, "TRAVEL": 0.0}, abs=1e-4)
    assert result["tasks_compared"] == 2 and result["annotations_compared"] == 5
    md = (tmp_path / "agreement" / "agreement.md").read_text("utf-8")
    assert "| Entity span F1 (strict) | 0.571 |" in md and "agreement.png" in md
    png = (tmp_path / "agreement" / "agreement.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "0.571" in output


def test_kappa_and_alpha_helpers_against_sklearn_and_known_values():
    from sklearn.metrics import cohen_kappa_score

    x = ["PER", "O", "LOC", "O", "PER", "O", "O", "O", "O"]
    y = ["PER", "O", "ORG", "O", "PER", "PER", "O", "O", "O"]
    assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))
    assert cohen_kappa(["O", "O"], ["O", "O"]) is None  # undefined, not a crash
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example: 0.743.
    rows = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]  # fmt: skip
    assert krippendorff_alpha(rows) == pytest.approx(0.743, abs=1e-3)
    assert token_codes(T1, [[0, len(T1)]], None, "entity") == [None] * 9


def test_bad_input_is_reported_never_dropped_silently(tmp_path, schema):
    export = fixture()
    # meena has left the organisation; her annotations still count, under her user id.
    members = {k: v for k, v in MEMBERS.items() if k != "3"}
    # ravi's task-2 annotation was made under an older config: LOC was called PLACE then.
    t2 = export[1]["annotations"][1]
    t2["result"][0]["value"]["labels"] = ["PLACE"]
    # asha's task-1 place argument points at a region she deleted.
    export[0]["annotations"][0]["result"] = [
        r for r in export[0]["annotations"][0]["result"] if r.get("id") != "k"
    ]
    # a third task with one annotation although the project asks for two.
    export.append(task(3, T2, [ann(31, ASHA, [ent(T2, "भारत", "LOC", "b")])]))
    result, output = _run(tmp_path, export, members, overlap=2)
    problems = "\n".join(result["problems"])
    assert "user-3 is no longer a member" in problems
    assert "unknown label 'PLACE'" in problems
    assert "relation end missing" in problems
    assert "task 3: labelled by 1 of the 2 annotators" in problems
    assert "user-3" in result["annotators"] and result["tasks_compared"] == 2
    # the renamed region and its dangling argument are out of ravi's task 2, and it shows:
    coded = collect(export, schema, {int(k): v for k, v in members.items()}).tasks[2]
    assert len(coded["ravi@khabar.test"].regions) == 1
    assert "no longer a member" in output
