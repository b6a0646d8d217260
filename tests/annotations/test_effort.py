"""The edits from pre-annotations to gold, on hand-made regions."""

from khabar.annotations.effort import edits_of, match_regions
from khabar.spans import Span


def edits(pred, gold, pr=(), gr=()):
    """The non-zero edits, as a plain dict."""
    return {k: v for k, v in edits_of(pred, gold, pr, gr).items() if v}


def test_equal_annotations_need_no_edit():
    per, loc = Span(0, 2, "PER"), Span(5, 6, "LOC")
    assert edits({"entity": [per, loc]}, {"entity": [loc, per]}) == {}


def test_each_kind_of_region_edit_is_counted_once():
    gold = [Span(0, 2, "PER"), Span(4, 5, "LOC"), Span(8, 10, "ORG"), Span(12, 13, "DATE")]
    pred = [
        Span(0, 2, "PER"),  # kept
        Span(4, 5, "ORG"),  # relabelled
        Span(8, 9, "ORG"),  # re-bounded
        Span(15, 16, "PER"),  # deleted; the DATE is added
    ]
    assert edits({"entity": pred}, {"entity": gold}) == {
        "relabelled": 1, "rebounded": 1, "deleted": 1, "added": 1}  # fmt: skip


def test_wrong_bounds_and_label_cost_two_edits():
    assert edits({"entity": [Span(0, 1, "LOC")]}, {"entity": [Span(0, 3, "ORG")]}) == {
        "rebounded": 1, "relabelled": 1}  # fmt: skip


def test_the_largest_overlap_is_matched_first():
    at, e = match_regions([Span(0, 4, "PER")], [Span(0, 1, "PER"), Span(1, 4, "PER")])
    assert at == {0: 1} and e["added"] == 1 and e["rebounded"] == 1


def test_layers_are_matched_apart():
    # A trigger over an entity's words is not that entity, whatever its bounds.
    assert edits({"trigger": [Span(0, 1, "Meeting")]}, {"entity": [Span(0, 1, "PER")]}) == {
        "deleted": 1, "added": 1}  # fmt: skip


def test_relations_follow_their_regions():
    meet, per, loc = Span(3, 4, "Meeting"), Span(0, 2, "PER"), Span(5, 6, "LOC")
    gold = {"trigger": [meet], "entity": [per, loc]}
    short = Span(0, 1, "PER")  # re-bounded: its relation still counts as the gold one
    pred = {"trigger": [meet], "entity": [short, loc]}
    gr = [(meet, per, "participant"), (meet, loc, "place")]
    assert edits(pred, gold, [(meet, short, "participant")], gr) == {
        "rebounded": 1, "relation_added": 1}  # fmt: skip
    assert edits(pred, gold, [(meet, short, "place"), (meet, loc, "place")], gr) == {
        "rebounded": 1, "relation_relabelled": 1}  # fmt: skip
    assert edits(gold, gold, gr + [(meet, loc, "time")], gr) == {"relation_removed": 1}


def test_a_relation_of_a_deleted_region_goes_with_it():
    meet, org = Span(3, 4, "Meeting"), Span(8, 9, "ORG")
    pred = {"trigger": [meet], "entity": [org]}
    assert edits(pred, {"trigger": [meet]}, [(meet, org, "participant")]) == {"deleted": 1}
