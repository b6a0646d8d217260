"""Out-of-fold judgements: every sentence seen by a model that never trained on its article,
through the cross-validation machinery (`crossval.cross_validate`'s `on_test`)."""

from __future__ import annotations

from collections.abc import Callable

from khabar.model.assess.crossval import cross_validate
from khabar.model.assess.scoring import SplitPredictions
from khabar.model.net.heads import pairs_of
from khabar.model.train.args import TrainArgs
from khabar.review.suspects import NONE, Judged, collapse
from khabar.schema import Schema


def judge_split(rows, preds: SplitPredictions, run) -> list[Judged]:
    """The judged sentences of one fold's test rows, from its model's predictions."""
    tags = [run.ner.config.id2label[i] for i in range(run.ner.config.num_labels)]
    cfg = run.heads.config
    g = preds.gold
    out = []
    for i, (row, x) in enumerate(zip(rows, preds.extracted, strict=True)):
        ent_p, ent_c = collapse(x.entity_probs, tags)
        trig_p, trig_c = collapse(x.trigger_probs, cfg.trigger_tags)
        roles = {(t, e): r for t, e, r in g.arguments[i]}
        n_ent = len(g.entities[i])
        out.append(Judged(
            row["id"], row["article_id"], row["task_id"], row["sentence_start"], row["text"],
            g.offsets[i],
            {"entity": g.entities[i], "trigger": g.triggers[i]},
            {"entity": x.entities, "trigger": x.triggers},
            {"entity": ent_p, "trigger": trig_p}, {"entity": ent_c, "trigger": trig_c},
            pairs_of(g.triggers[i], g.entities[i]),
            [roles.get((k // n_ent, k % n_ent), NONE) for k in range(len(g.triggers[i]) * n_ent)],
            x.gold_role_probs, list(cfg.role_labels), cfg.role_threshold,
        ))  # fmt: skip
    return out


def out_of_fold(dd, k: int, args: TrainArgs, schema: Schema,
                log: Callable[[str], None] = print) -> tuple[list[Judged], dict]:  # fmt: skip
    """(every sentence of `dd` judged out of fold, in corpus order; the cross-validation's
    figures, which come free with it)."""
    judged: list[Judged] = []
    result = cross_validate(dd, k, args, schema, curve=False, log=log,
                            on_test=lambda _i, rows, preds, run: judged.extend(
                                judge_split(rows, preds, run)))  # fmt: skip
    judged.sort(key=lambda j: j.row_id)
    return judged, result
