"""Scores of a tagger and an event classifier against gold: pure functions over labels and spans.

Entities: strict entity-level P/R/F1 per type (seqeval, conlleval-compatible) and the four
SemEval-2013 task 9.1 schemes, which also credit boundary-tolerant matches. Events: per type and
micro/macro P/R/F1 of the multi-label event types of each sentence (scikit-learn).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from khabar.spans import Span, Token, bio_to_spans

SCHEMES = ("strict", "exact", "partial", "type")

# An argument of one sentence: (trigger span, entity span, role), spans in token positions.
Arg = tuple[Span, Span, str]

# An entity of one sentence: [start, end) in token positions, with its type.
Ent = Span


def bio_entities(tags: Sequence[str]) -> list[Ent]:
    """Entities of a BIO tag sequence in token positions, conlleval-style (an I- after O or
    another type opens one): `bio_to_spans` over tokens that are their own positions."""
    return bio_to_spans([Token("", i, i + 1) for i in range(len(tags))], tags)


def _prf(correct: float, predicted: int, gold: int) -> dict:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": gold, "predicted": predicted}


def semeval_counts(gold: Sequence[Ent], pred: Sequence[Ent]) -> dict[str, Counter]:
    """COR/INC/PAR/MIS/SPU of one sentence under each SemEval-2013 scheme.

    A prediction is compared with the first gold entity it overlaps: same boundaries and type →
    correct everywhere; same boundaries, other type → correct for exact/partial; overlap only →
    partial for 'partial', correct for 'type' when the type agrees. Unmatched gold is missing,
    unmatched predictions are spurious.
    """
    counts = {s: Counter() for s in SCHEMES}
    matched: set[Ent] = set()

    def add(**by_scheme):
        for scheme, outcome in by_scheme.items():
            counts[scheme][outcome] += 1

    for p in pred:
        if p in gold:
            matched.add(p)
            add(strict="COR", exact="COR", partial="COR", type="COR")
            continue
        hit = next((g for g in gold if p.start < g.end and g.start < p.end), None)
        if hit is None:
            add(strict="SPU", exact="SPU", partial="SPU", type="SPU")
            continue
        matched.add(hit)
        same_type = "COR" if hit.label == p.label else "INC"
        if (hit.start, hit.end) == (p.start, p.end):
            add(strict="INC", exact="COR", partial="COR", type=same_type)
        else:
            add(strict="INC", exact="INC", partial="PAR", type=same_type)
    for g in gold:
        if g not in matched:
            add(strict="MIS", exact="MIS", partial="MIS", type="MIS")
    return counts


def semeval_scores(gold: Sequence[Sequence[Ent]], pred: Sequence[Sequence[Ent]]) -> dict:
    """P/R/F1 per SemEval-2013 scheme over a corpus of sentences (partial match counts half)."""
    total = {s: Counter() for s in SCHEMES}
    for g, p in zip(gold, pred, strict=True):
        for scheme, c in semeval_counts(g, p).items():
            total[scheme].update(c)
    out = {}
    for scheme, c in total.items():
        possible = c["COR"] + c["INC"] + c["PAR"] + c["MIS"]
        actual = c["COR"] + c["INC"] + c["PAR"] + c["SPU"]
        credit = c["COR"] + (0.5 * c["PAR"] if scheme in ("partial", "type") else 0)
        outcomes = {k: c[k] for k in ("COR", "INC", "PAR", "MIS", "SPU")}
        out[scheme] = _prf(credit, actual, possible) | outcomes
    return out


def entity_scores(gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> dict:
    """Strict entity P/R/F1 per type and micro overall (seqeval), plus the SemEval schemes."""
    from seqeval.metrics import classification_report

    report = classification_report(
        [list(t) for t in gold_tags], [list(t) for t in pred_tags], output_dict=True,
        zero_division=0,
    )  # fmt: skip
    gold_ents = [bio_entities(t) for t in gold_tags]
    pred_ents = [bio_entities(t) for t in pred_tags]
    per_type = {}
    for label, row in report.items():
        if label.endswith(" avg"):
            continue
        n_pred = sum(e.label == label for ents in pred_ents for e in ents)
        per_type[label] = {"precision": row["precision"], "recall": row["recall"],
                           "f1": row["f1-score"], "support": int(row["support"]),
                           "predicted": n_pred}  # fmt: skip
    n_gold = sum(len(e) for e in gold_ents)
    n_pred = sum(len(e) for e in pred_ents)
    n_cor = sum(len(set(g) & set(p)) for g, p in zip(gold_ents, pred_ents, strict=True))
    return {
        "overall": _prf(n_cor, n_pred, n_gold),
        "per_type": per_type,
        "semeval": semeval_scores(gold_ents, pred_ents),
        "sentences": len(gold_tags),
    }


def event_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                 labels: Sequence[str]) -> dict:  # fmt: skip
    """Per-type and micro/macro P/R/F1 of multi-label event types (one label set per sentence)."""
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer(classes=list(labels))
    y_true, y_pred = mlb.fit_transform(gold), mlb.transform(pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    out = {
        "per_type": {
            lab: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
                "predicted": int(y_pred[:, i].sum()),
            }  # fmt: skip
            for i, lab in enumerate(labels)
        },
        "sentences": len(gold),
    }
    # Macro averages over the types that occur (in gold or prediction): a type absent from the
    # evaluation data says nothing about the model and must not drag the average to zero.
    present = [i for i in range(len(labels)) if y_true[:, i].any() or y_pred[:, i].any()]
    for avg in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=present, average=avg, zero_division=0
        )
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    return out


def tune_threshold(probs: Sequence[dict[str, float]], gold: Sequence[Sequence[str]],
                   labels: Sequence[str]) -> float:  # fmt: skip
    """Decision threshold (one for all event types) with the best micro-F1 on validation data.

    Ties go to the threshold nearest 0.5, so a flat validation set keeps the neutral default.
    """
    best, best_key = 0.5, None
    for t in [x / 20 for x in range(1, 20)]:
        pred = [[lab for lab in labels if p.get(lab, 0.0) >= t] for p in probs]
        f1 = event_scores(gold, pred, labels)["micro"]["f1"]
        key = (round(f1, 9), -abs(t - 0.5))
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


def _per_label(gold: list[tuple], pred: list[tuple], label_of) -> dict:
    """P/R/F1 per label of gold and predicted tuples (each a tuple whose label `label_of` reads)."""
    labels = sorted({label_of(x) for x in gold} | {label_of(x) for x in pred})
    out = {}
    for lab in labels:
        g = {x for x in gold if label_of(x) == lab}
        p = {x for x in pred if label_of(x) == lab}
        out[lab] = _prf(len(g & p), len(p), len(g))
    return out


def ace_scores(
    gold_triggers: Sequence[Sequence[Span]],
    pred_triggers: Sequence[Sequence[Span]],
    gold_args: Sequence[Sequence[Arg]],
    pred_args: Sequence[Sequence[Arg]],
) -> dict:
    """The four ACE event scores over sentences (spans in token positions): trigger
    identification (span) and classification (span + type); argument identification (trigger
    span + entity span) and classification (+ role); micro P/R/F1, per type and per role."""
    tid, tcl, aid, acl = ([], []), ([], []), ([], []), ([], [])
    for i, (gt, pt, ga, pa) in enumerate(zip(gold_triggers, pred_triggers, gold_args, pred_args,
                                             strict=True)):  # fmt: skip
        for side, trigs, args in ((0, gt, ga), (1, pt, pa)):
            tid[side].extend({(i, t.start, t.end) for t in trigs})
            tcl[side].extend({(i, t.start, t.end, t.label) for t in trigs})
            aid[side].extend({(i, t.start, t.end, e.start, e.end) for t, e, _ in args})
            acl[side].extend({(i, t.start, t.end, e.start, e.end, r) for t, e, r in args})

    def micro(pair) -> dict:
        g, p = set(pair[0]), set(pair[1])
        return _prf(len(g & p), len(p), len(g))

    return {
        "trigger_identification": micro(tid),
        "trigger_classification": micro(tcl) | {
            "per_type": _per_label(tcl[0], tcl[1], lambda x: x[3])},
        "argument_identification": micro(aid),
        "argument_classification": micro(acl) | {
            "per_role": _per_label(acl[0], acl[1], lambda x: x[5])},
        "sentences": len(gold_triggers),
    }  # fmt: skip
