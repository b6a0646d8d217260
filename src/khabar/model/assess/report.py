"""Write a scored run's report.md and confusion matrices (PNG) into its folder (the scores:
`scoring`)."""

from __future__ import annotations

from pathlib import Path

from khabar.io import write_atomic
from khabar.model.assess.scoring import SplitPredictions
from khabar.model.assess.tables import (
    describe_base,
    entity_table,
    event_table,
    extraction_table,
    lexicon_rule,
    md_table,
    num,
    per_label_table,
    semeval_table,
    transfer_lines,
)
from khabar.model.infer.run import Run
from khabar.model.measure.evaluation import bio_entities
from khabar.model.train.fitting import Split


def _marked(split: Split, i: int, start: int, end: int) -> str:
    """Sentence i with its words [start, end) marked ⟦…⟧: the original text where word offsets
    are known, else the words joined by spaces."""
    if split.offsets:
        text, offs = split.texts[i], split.offsets[i]
        s, e = offs[start][0], offs[end - 1][1]
        out = f"{text[:s]}⟦{text[s:e]}⟧{text[e:]}"
    else:
        w = list(split.words[i])
        w[start] = "⟦" + w[start]
        w[end - 1] += "⟧"  # after the line above: a one-word span gets both marks
        out = " ".join(w)
    return out.replace("|", "\\|")


def worst_errors(p: SplitPredictions, limit: int = 10) -> tuple[list[str], list[str]]:
    """False positives (most confident first) and false negatives (the model most sure of what it
    said instead first) of the transformer, each with its sentence."""
    fps, fns = [], []
    for i, (gold, pred) in enumerate(zip(p.gold.tags, p.tags, strict=True)):
        g, q = set(bio_entities(gold)), set(bio_entities(pred))
        probs = p.tag_probs[i]
        for e in q - g:
            conf = sum(probs[e.start : e.end]) / (e.end - e.start)
            said = {x.label for x in g if x.start < e.end and e.start < x.end} or {"O"}
            fps.append((conf, f"`{e.label}` ({conf:.2f}; gold {'/'.join(sorted(said))}) — "
                              f"{_marked(p.gold, i, e.start, e.end)}"))  # fmt: skip
        for e in g - q:
            conf = sum(probs[e.start : e.end]) / (e.end - e.start)
            said = "/".join(sorted({t[2:] if t != "O" else "O" for t in pred[e.start : e.end]}))
            if said == e.label:
                said += " with other boundaries"
            fns.append((conf, f"gold `{e.label}`, predicted {said} ({conf:.2f}) — "
                              f"{_marked(p.gold, i, e.start, e.end)}"))  # fmt: skip
    top = lambda xs: [s for _, s in sorted(xs, key=lambda x: -x[0])[:limit]]  # noqa: E731
    return top(fps), top(fns)


def write_report(run: Run, metrics: dict, preds: dict[str, SplitPredictions]) -> Path:
    """report.md with every table, the counts behind them, the worst errors and the PNGs."""
    info, out = run.info, []
    split = "test" if "test" in metrics["splits"] else next(iter(metrics["splits"]))
    m = metrics["splits"][split]
    out += [
        f"# Evaluation report — run `{run.name}`", "",
        f"- base model: {describe_base(info)}",
        f"- seed {info.get('seed')}, learning rate {info.get('learning_rate')}, "
        f"max length {info.get('max_length')} sub-tokens, event threshold {run.threshold:.2f} "
        "(tuned on validation)",
        f"- dataset: `{info.get('dataset')}`, sentences per split {info.get('sentences')}; extra "
        f"NER training sentences: {info.get('extra_train_sentences', 0)}",
        f"- **{split}** figures below rest on **{m['sentences']} sentences, {m['mentions']} gold "
        f"mentions and {m['event_labels']} gold event labels**; with so few, one mention moves "
        f"entity F1 by about {100 / max(m['mentions'], 1):.1f} points.", "",
        f"## Entities ({split}, strict: same boundaries and type; seqeval, conlleval-compatible)",
        "", entity_table(m), "", *transfer_lines(info),
        f"## Entities, boundary-tolerant ({split}, SemEval-2013 schemes)", "",
        semeval_table(m), "",
        "`exact`: same boundaries, any type; `partial`: overlap counts half; `type`: overlap with "
        "the same type.", "",
        f"## Events, ACE style ({split}; {m['triggers']} gold triggers, {m['arguments']} gold "
        "arguments)", "",
        extraction_table(m), "",
        "Identification: the span(s) match; classification: also the event type (triggers) or "
        "the role (arguments). End to end: the model's own triggers and entities; gold triggers + "
        "entities: the role classifier alone. Baseline: the schema's trigger words (the rule "
        "pre-annotator) and, for each trigger, the nearest PER/ORG as participant, LOC as place, "
        "DATE as time and EVENT as topic (end to end on the lexicon's triggers and the CRF's "
        f"entities). Thresholds (validation): trigger {info.get('trigger_threshold', 0.5):.2f}, "
        f"role {info.get('role_threshold', 0.5):.2f}. {lexicon_rule(info)}",
        "",
        *([f"The schema's trigger words were written from the seed articles; a lexicon of the "
           f"training split's trigger words only scores trigger classification F1 "
           f"{m['train_lexicon']['extraction']['end_to_end']['trigger_classification']['f1']:.3f}"
           f" here.", ""] if "train_lexicon" in m else []),
        f"### Trigger classification per event type ({split}, end to end)", "",
        per_label_table(m, "end_to_end", "trigger_classification", "per_type", "event type"), "",
        f"### Argument classification per role ({split}, gold triggers + entities)", "",
        per_label_table(m, "gold_spans", "argument_classification", "per_role", "role"), "",
        f"## Event types per sentence ({split}; macro over the types present)", "",
        "The transformer's types are those of its predicted triggers"
        + (f"; the separate sentence classifier scored micro-F1 "
           f"{m['sentence_classifier']['events']['micro']['f1']:.3f} here."
           if "sentence_classifier" in m else " (no separate sentence classifier in this run)."),
        "", event_table(m), "",
    ]  # fmt: skip
    for other, om in metrics["splits"].items():
        if other == split:
            continue
        out += [f"## {other.capitalize()} (used to pick the best epoch and the threshold)", "",
                f"{om['sentences']} sentences, {om['mentions']} mentions.", "",
                entity_table(om), "", extraction_table(om), "", event_table(om), ""]  # fmt: skip
    images = write_confusions(run, preds[split])
    out += ["## Confusion matrices", ""] + [f"![{p.stem}]({p.name})" for p in images] + [""]
    fps, fns = worst_errors(preds[split])
    out += [f"## Worst errors of the transformer ({split})", "",
            "### False positives (most confident first)", ""]  # fmt: skip
    out += [f"- {s}" for s in fps] or ["- none"]
    out += ["", "### False negatives (most confident in what it said instead first)", ""]
    out += [f"- {s}" for s in fns] or ["- none"]
    secs = info.get("seconds", {})
    out += ["", "## Training", "",
            md_table(["model", "seconds", "best epoch", "validation score"], [
                ["transformer: entities + triggers + arguments", f"{secs.get('ner', 0):.1f}",
                 str(info.get("ner_fit", {}).get("best_epoch", "")),
                 num(info.get("ner_fit", {}).get("best_val", 0))],
                *([["sentence event classifier", f"{secs.get('events', 0):.1f}",
                    str(info.get("events_fit", {}).get("best_epoch", "")),
                    num(info.get("events_fit", {}).get("best_val", 0))]]
                  if "events" in secs else []),
                ["CRF", f"{secs.get('crf', 0):.1f}", "", ""],
                ["TF-IDF + LR", f"{secs.get('tfidf', 0):.1f}", "", ""],
            ]), "",
            "Validation score of the transformer: the mean of entity F1, trigger classification "
            "F1 and argument classification F1 on gold spans, at thresholds tuned each epoch.",
            ""]  # fmt: skip
    path = run.path / "report.md"
    write_atomic(path, ["\n".join(out)])
    return path


# ------------------------------------------------------------------ confusion matrices


def word_types(tags: list[list[str]]) -> list[str]:
    """Entity type of every word (B-/I- dropped), flattened: the unit of the NER confusion."""
    return [t[2:] if t != "O" else "O" for row in tags for t in row]


def write_confusions(run: Run, p: SplitPredictions) -> list[Path]:
    """confusion_entities.png (word-level types, transformer beside CRF) and
    confusion_events.png (one 2×2 matrix per event type and model)."""
    from khabar.plots import pyplot

    plt = pyplot()
    import numpy as np
    from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

    gold = word_types(p.gold.tags)
    types = sorted({t[2:] for t in run.info.get("ner_labels", []) if t != "O"}) + ["O"]
    models = [("transformer", p.tags)] + ([("CRF", p.crf_tags)] if p.crf_tags else [])
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.6), squeeze=False)
    for ax, (name, tags) in zip(axes[0], models, strict=True):
        cm = confusion_matrix(gold, word_types(tags), labels=types)
        ax.imshow(cm, cmap="Blues")
        ax.set(title=f"{name}: words by entity type", xlabel="predicted", ylabel="gold",
               xticks=range(len(types)), yticks=range(len(types)), xticklabels=types,
               yticklabels=types)  # fmt: skip
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center",
                    color="white" if v > cm.max() / 2 else "black", fontsize=8)  # fmt: skip
    fig.tight_layout()
    ent = run.path / "confusion_entities.png"
    fig.savefig(ent, dpi=110)
    plt.close(fig)

    # Types nobody mentions in this split would only add all-"no" panels.
    seen = {lab for rows in [p.gold.events, p.events, p.tfidf_events or []] for ev in rows
            for lab in ev}  # fmt: skip
    labels = [lab for lab in run.info.get("event_labels", []) if lab in seen] or ["(none)"]
    ev_models = [("transformer", p.events)] + (
        [("TF-IDF", p.tfidf_events)] if p.tfidf_events is not None else []
    )
    fig, axes = plt.subplots(len(ev_models), len(labels), squeeze=False,
                             figsize=(1.45 * len(labels), 1.9 * len(ev_models)))  # fmt: skip
    gold_m = [[lab in ev for lab in labels] for ev in p.gold.events]
    for r, (name, pred) in enumerate(ev_models):
        pred_m = [[lab in ev for lab in labels] for ev in pred]
        mats = multilabel_confusion_matrix(gold_m, pred_m) if gold_m else []
        for c, lab in enumerate(labels):
            ax = axes[r][c]
            mat = mats[c] if len(mats) else [[0, 0], [0, 0]]
            ax.imshow(mat, cmap="Oranges", vmin=0)
            for i in range(2):
                for j in range(2):
                    ax.text(j, i, str(mat[i][j]), ha="center", va="center", fontsize=7)
            ax.set_xticks([0, 1], ["no", "yes"], fontsize=6)
            ax.set_yticks([0, 1], ["no", "yes"], fontsize=6)
            ax.set_title(lab, fontsize=7)
            if c == 0:
                ax.set_ylabel(f"{name}\ngold", fontsize=7)
    fig.suptitle("event types per sentence (x: predicted)", fontsize=8)
    fig.tight_layout()
    ev = run.path / "confusion_events.png"
    fig.savefig(ev, dpi=110)
    plt.close(fig)
    return [ent, ev]
