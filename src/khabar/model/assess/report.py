"""Write a scored run's report.md and confusion matrices (PNG) into its folder (the scores:
`scoring`)."""

from __future__ import annotations

from pathlib import Path

from khabar.io import write_atomic
from khabar.model.assess.scoring import SplitPredictions
from khabar.model.infer.run import Run
from khabar.model.measure.evaluation import bio_entities
from khabar.model.train.fitting import Split


def _f(x: float) -> str:
    return f"{x:.3f}"


def _prf(row: dict | None) -> list[str]:
    return [_f(row["precision"]), _f(row["recall"]), _f(row["f1"])] if row else ["–"] * 3


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def entity_table(m: dict) -> str:
    """Strict per-type and micro P/R/F1: transformer beside the CRF."""
    tr = m["transformer"]["entities"]
    crf = m.get("crf", {}).get("entities")
    types = sorted(set(tr["per_type"]) | set(crf["per_type"] if crf else ()))
    rows = []
    for t in types:
        a, b = tr["per_type"].get(t), crf["per_type"].get(t) if crf else None
        support = (a or b)["support"]
        rows.append([t, str(support), *_prf(a), *_prf(b)])
    rows.append(["**micro**", str(tr["overall"]["support"]), *_prf(tr["overall"]),
                 *_prf(crf["overall"] if crf else None)])  # fmt: skip
    head = ["type", "gold", "transformer P", "R", "F1", "CRF P", "R", "F1"]
    return _table(head, rows)


def semeval_table(m: dict) -> str:
    """The four SemEval-2013 schemes for the transformer and the CRF."""
    rows = []
    for model in ("transformer", "crf"):
        if model not in m:
            continue
        for scheme, s in m[model]["entities"]["semeval"].items():
            counts = "/".join(str(s[k]) for k in ("COR", "INC", "PAR", "MIS", "SPU"))
            rows.append([model, scheme, *_prf(s), counts])
    return _table(["model", "scheme", "P", "R", "F1", "COR/INC/PAR/MIS/SPU"], rows)


def event_table(m: dict) -> str:
    """Per event type and micro/macro P/R/F1: transformer beside TF-IDF + LR."""
    tr = m["transformer"]["events"]
    tf = m.get("tfidf", {}).get("events")
    rows = []
    for t, a in tr["per_type"].items():
        b = tf["per_type"][t] if tf else None
        if a["support"] or a["predicted"] or (b and b["predicted"]):
            rows.append([t, str(a["support"]), *_prf(a), *_prf(b)])
    for avg in ("micro", "macro"):
        rows.append([f"**{avg}**", "", *_prf(tr[avg]), *_prf(tf[avg] if tf else None)])
    return _table(["event type", "gold", "transformer P", "R", "F1", "TF-IDF P", "R", "F1"], rows)


ACE_ROWS = (
    ("trigger identification", "end_to_end", "trigger_identification", "triggers"),
    ("trigger classification", "end_to_end", "trigger_classification", "triggers"),
    ("argument identification, end to end", "end_to_end", "argument_identification", "arguments"),
    ("argument classification, end to end", "end_to_end", "argument_classification", "arguments"),
    ("argument identification, gold triggers + entities", "gold_spans",
     "argument_identification", "arguments"),
    ("argument classification, gold triggers + entities", "gold_spans",
     "argument_classification", "arguments"),
)  # fmt: skip


def lexicon_rule(info: dict) -> str:
    """How the schema's trigger words took part in decoding (tuned on validation, and the types
    too rare in training for the head), from a run's info."""
    veto, rare = info.get("lexicon_veto"), info.get("lexicon_types") or []
    if veto is None:
        said = "The schema's trigger words are a feature of the trigger head"
        said += "." if rare else " only."
    else:
        said = (
            "The schema's trigger words anchor triggers: each match is a trigger unless the "
            f"model's P(O) over it exceeds {veto:.2f}, typed by the model where it calls it a "
            "trigger itself."
        )
    if rare:
        least = info.get("args", {}).get("min_type_triggers", 5)
        said += (f" Types with fewer than {least} training triggers ({', '.join(rare)}) are the "
                 "lexicon's: its words of those types are triggers of that type.")  # fmt: skip
    return said


def extraction_table(m: dict) -> str:
    """The four ACE scores (arguments twice: end to end and on gold spans), model beside the
    baselines (trigger lexicon; nearest compatible entity, end to end on the CRF's entities)."""
    tr, bl_ = m["transformer"]["extraction"], m["baseline"]["extraction"]
    rows = [[name, str(m[count]), *_prf(tr[where][key]), *_prf(bl_[where][key])]
            for name, where, key, count in ACE_ROWS]  # fmt: skip
    return _table(["score", "gold", "model P", "R", "F1", "baseline P", "R", "F1"], rows)


def per_label_table(m: dict, where: str, key: str, sub: str, what: str) -> str:
    """Per event type (or role) P/R/F1 of one ACE score, model beside baseline."""
    tr = m["transformer"]["extraction"][where][key][sub]
    bl_ = m["baseline"]["extraction"][where][key][sub]
    rows = [[lab, str((tr.get(lab) or bl_[lab])["support"]), *_prf(tr.get(lab)),
             *_prf(bl_.get(lab))] for lab in sorted(set(tr) | set(bl_))]  # fmt: skip
    return _table([what, "gold", "model P", "R", "F1", "baseline P", "R", "F1"], rows)


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


def describe_base(info: dict) -> str:
    """One line naming a run's base model and, for a converted one, where its weights came from."""
    base, prov = info.get("base_model"), info.get("base_provenance")
    if info.get("transfer"):
        t = info["transfer"]
        names = ", ".join(c["name"] for c in t["corpora"])
        if not t.get("trained", True):  # the quick recipe: the corpora mixed into the run
            plain = describe_base({**info, "transfer": None})
            return f"{plain}, with {t['rehearsal']} sentences of public corpora ({names}) per epoch"
        under = describe_base({**info, "transfer": None, "base_model": t.get("from")})
        return f"`{base}`, an entity tagger fine-tuned on public corpora ({names}) from {under}"
    if prov:
        fid, lic = prov.get("fidelity", {}), prov.get("licences", {})
        said = (f"; token ids identical to the reference engine on {fid['token_ids_identical']}/"
                f"{fid['sentences']} sentences, embedding cosine ≥ {fid['cosine_min']:.4f}"
                if "cosine_min" in fid else "")  # fmt: skip
        return (
            f"`{base}`: {prov['base']} ({lic.get(prov['base'], '?')}), converted by khabar "
            f"from the 4-bit copy in the {prov['package']} {prov['package_version']} package "
            f"({lic.get(prov['package'], '?')}; sha256 {prov['source_sha256'][:12]}…){said}"
        )
    if info.get("self_built_base"):
        return (
            f"`{base}` (built by khabar: a WordPiece tokenizer trained on the training text "
            "and a small BERT with random initial weights)"
        )
    return f"`{base}`"


def transfer_table(t: dict) -> str:
    """What a run kept of its transfer base: F1 on each corpus' held-out part (its own types
    only; never trained on) beside the base's, and on its tuning part."""
    rows = []
    by_name = {c["name"]: c for c in t["corpora"]}
    for name, h in t["held_out"].items():
        c, tune = by_name.get(name, {}), t.get("tune", {}).get(name, {})
        had = h["base_f1"]  # None: a quick recipe's pool, no tagger trained before the run
        rows.append([f"{c.get('title', name)} (`{name}`)", c.get("license", "?"),
                     f"{h['sentences']} / {h['mentions']}", "–" if had is None else _f(had),
                     _f(h["f1"]), "–" if had is None else f"{h['f1'] - had:+.3f}",
                     _f(tune.get("f1", 0))])  # fmt: skip
    return _table(["corpus", "licence", "held-out sentences / mentions", "base", "this run",
                   "change", "tuning part"], rows)  # fmt: skip


def transfer_lines(info: dict) -> list[str]:
    """The report's and the model card's section on a transfer base (none without one)."""
    t = info.get("transfer")
    if not t:
        return []
    carried = ", ".join(t.get("carried_tags", [])) or "none"
    if t.get("trained", True):
        how = (f"The encoder and the entity classifier rows of the tags both share ({carried}) "
               f"come from the transfer base `{t['base']}`, an entity tagger trained on public "
               "Hindi NER corpora; the other tags start new. Each epoch also rehearsed "
               f"{t.get('rehearsal', 0)} of its training sentences")  # fmt: skip
    else:
        kept = ", ".join(f"{c['name']} {c['sentences']['pool']:,}" for c in t["corpora"]
                         if c.get("sentences"))  # fmt: skip
        how = (
            f"Each epoch mixed {t.get('rehearsal', 0)} sentences of public Hindi NER corpora "
            f"into the project's own, a new seeded draw each time from the pool kept in "
            f"`{t['base']}` ({kept} sentences; the quick recipe, no tagger trained first)"
        )
    return [
        "## Transfer from public corpora", "",
        how + " (entity loss; their O may be any type the corpus does not annotate). F1 below "
        "is strict micro-F1 on each corpus' own types, on its held-out part, which this run "
        "never trained on:", "",
        transfer_table(t), "",
        "Sources: " + "; ".join(source_line(c) for c in t["corpora"]) + ".", "",
    ]  # fmt: skip


def source_line(c: dict) -> str:
    """A transfer corpus with its licence (and what is unsure about it) and its citation."""
    note = f"; {c['license_note']}" if c.get("license_note") else ""
    return f"{c['title']} ({c['license']}{note}), {c['citation']}"


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
            _table(["model", "seconds", "best epoch", "validation score"], [
                ["transformer: entities + triggers + arguments", f"{secs.get('ner', 0):.1f}",
                 str(info.get("ner_fit", {}).get("best_epoch", "")),
                 _f(info.get("ner_fit", {}).get("best_val", 0))],
                *([["sentence event classifier", f"{secs.get('events', 0):.1f}",
                    str(info.get("events_fit", {}).get("best_epoch", "")),
                    _f(info.get("events_fit", {}).get("best_val", 0))]]
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
