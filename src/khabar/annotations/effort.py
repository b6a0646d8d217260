"""What an annotator does to turn pre-annotations into the gold: the edits, counted.

Pure functions over one text's regions and relations (any coordinates: characters or words, as
long as both sides use the same). Regions are matched within a layer (entities, triggers: two
controls in Label Studio), in this order, each region used once:

1. same bounds and label: kept, no edit;
2. same bounds, another label: **relabelled**;
3. overlapping bounds (the largest overlap first): **re-bounded**, and relabelled too when the
   label differs (two edits: the annotator drags the edges and picks the label);
4. a gold region left over: **added**; a predicted one left over: **deleted**.

Relations are compared through that matching: a predicted relation whose two ends were kept,
relabelled or re-bounded becomes a relation between their gold regions. Then a gold relation
with no such predicted one between the same ends is **added**, a predicted one with no gold
between its ends is **removed**, and one between the right ends with another role is
**relabelled**. A predicted relation whose end was deleted costs nothing: Label Studio deletes
it with its region.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from khabar.spans import Span

REGION_EDITS = ("added", "deleted", "relabelled", "rebounded")
RELATION_EDITS = ("relation_added", "relation_removed", "relation_relabelled")
EDITS = REGION_EDITS + RELATION_EDITS

Relation = tuple[Span, Span, str]  # (from region, to region, role)


def match_regions(pred: Sequence[Span], gold: Sequence[Span]) -> tuple[dict[int, int], Counter]:
    """Predicted region index -> gold region index for every predicted region an annotator
    keeps or corrects, and the region edits of one layer."""
    edits: Counter = Counter({k: 0 for k in REGION_EDITS})
    at: dict[int, int] = {}
    free = set(range(len(gold)))

    def take(p: int, g: int) -> None:
        at[p] = g
        free.discard(g)

    for same_label in (True, False):  # exact matches first, then relabels of the same bounds
        for p, s in enumerate(pred):
            if p in at:
                continue
            g = next((g for g in sorted(free) if (gold[g].start, gold[g].end) == (s.start, s.end)
                      and (gold[g].label == s.label) == same_label), None)  # fmt: skip
            if g is not None:
                take(p, g)
                edits["relabelled"] += not same_label
    overlaps = sorted(((min(s.end, gold[g].end) - max(s.start, gold[g].start), p, g)
                       for p, s in enumerate(pred) if p not in at for g in free
                       if s.start < gold[g].end and gold[g].start < s.end),
                      key=lambda x: (-x[0], x[1], x[2]))  # fmt: skip
    for _, p, g in overlaps:
        if p not in at and g in free:
            take(p, g)
            edits["rebounded"] += 1
            edits["relabelled"] += pred[p].label != gold[g].label
    edits["added"] += len(free)
    edits["deleted"] += len(pred) - len(at)
    return at, edits


def relation_edits(pred: Sequence[tuple], gold: Sequence[tuple], moved: dict) -> Counter:
    """The relation edits of (from, to, role) triples, given where each kept predicted region
    went (`moved`: predicted region -> its gold region)."""
    edits: Counter = Counter({k: 0 for k in RELATION_EDITS})
    want = Counter((a, b, r) for a, b, r in gold)
    have = Counter((moved[a], moved[b], r) for a, b, r in pred if a in moved and b in moved)
    extra, missing = have - want, want - have
    ends = Counter((a, b) for a, b, _ in missing.elements())
    for a, b, _ in extra.elements():
        if ends[(a, b)] > 0:  # the right pair with another role: one edit of its label
            ends[(a, b)] -= 1
            edits["relation_relabelled"] += 1
        else:
            edits["relation_removed"] += 1
    edits["relation_added"] += sum(ends.values())
    return edits


def edits_of(pred: dict[str, Sequence[Span]], gold: dict[str, Sequence[Span]],
             pred_relations: Sequence[Relation] = (),
             gold_relations: Sequence[Relation] = ()) -> Counter:  # fmt: skip
    """Every edit from one text's pre-annotations to its gold; regions by layer name (the
    same names on both sides), relations between those regions."""
    total: Counter = Counter({k: 0 for k in EDITS})
    moved: dict[tuple, tuple] = {}  # (layer, predicted region) -> (layer, gold region)
    for layer in sorted(set(pred) | set(gold)):
        p, g = list(pred.get(layer, ())), list(gold.get(layer, ()))
        at, edits = match_regions(p, g)
        total.update(edits)
        moved.update({(layer, p[i]): (layer, g[j]) for i, j in at.items()})
    where = {s: layer for layer in pred for s in pred[layer]}
    home = {s: layer for layer in gold for s in gold[layer]}
    pr = [((where.get(a), a), (where.get(b), b), r) for a, b, r in pred_relations]
    gr = [((home.get(a), a), (home.get(b), b), r) for a, b, r in gold_relations]
    total.update(relation_edits(pr, gr, moved))
    return total
