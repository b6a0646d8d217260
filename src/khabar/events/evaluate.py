"""Event tuples from predictions against gold: (type, participants, place, time) per article."""

from __future__ import annotations

from collections.abc import Iterable


def tuples(rows: Iterable[dict]) -> set[tuple]:
    """The distinct event tuples of mention rows, per article (canonical names, time value)."""
    return {
        (
            r["article_id"],
            r["event_type"],
            frozenset(r["participants"]),
            r["place"],
            r["time_value"],
        )
        for r in rows
    }


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "tp": tp,
        "predicted": n_pred,
        "gold": n_gold,
    }


def _relaxed_matches(pred: set[tuple], gold: set[tuple]) -> int:
    """One-to-one matches of the same article and type sharing a participant (or both with
    none): place and time may differ."""
    free, tp = set(gold), 0
    for p in sorted(pred, key=repr):
        hit = next(
            (g for g in sorted(free, key=repr) if g[:2] == p[:2] and (g[2] & p[2] or g[2] == p[2])),
            None,
        )
        if hit is not None:
            free.discard(hit)
            tp += 1
    return tp


def tuple_scores(
    pred_rows: list[dict], gold_rows: list[dict], articles: set[str] | None = None
) -> dict:
    """Strict (every slot equal) and relaxed (type and a shared participant) P/R/F1, over the
    given articles (all by default)."""
    keep = (lambda r: r["article_id"] in articles) if articles is not None else (lambda r: True)
    pred = tuples(r for r in pred_rows if keep(r))
    gold = tuples(r for r in gold_rows if keep(r))
    by_type = {}
    for t in sorted({g[1] for g in gold} | {p[1] for p in pred}):
        tp_, tg = {p for p in pred if p[1] == t}, {g for g in gold if g[1] == t}
        by_type[t] = _prf(len(tp_ & tg), len(tp_), len(tg))
    return {
        "strict": _prf(len(pred & gold), len(pred), len(gold)),
        "relaxed": _prf(_relaxed_matches(pred, gold), len(pred), len(gold)),
        "strict_by_type": by_type,
    }


def date_scores(dates: list[dict], truth: dict[tuple[str, int, str], str | None]) -> dict:
    """How many DATE spans resolve, and how many of those match a hand-checked value
    (`truth[(article_id, start, text)]`; None where no calendar value is right)."""
    key = lambda d: (d["article_id"], d["span_start"], d["text"])  # noqa: E731
    resolved = [d for d in dates if d["status"] == "resolved"]
    checked = [d for d in resolved if key(d) in truth]
    right = [d for d in checked if truth[key(d)] == d["value"]]
    wrong = [
        {
            "article_id": d["article_id"],
            "text": d["text"],
            "value": d["value"],
            "truth": truth[key(d)],
        }
        for d in checked
        if truth[key(d)] != d["value"]
    ]
    return {
        "spans": len(dates),
        "resolved": len(resolved),
        "checked": len(checked),
        "right": len(right),
        "wrong": wrong,
        "unresolved": [
            {"article_id": d["article_id"], "text": d["text"], "why": d["how"]}
            for d in dates
            if d["status"] != "resolved"
        ],
    }
