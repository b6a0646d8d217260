"""The markdown of report.md: scores as tables, the base and transfer a run started from, and
the lexicon rule's line."""

from __future__ import annotations


def num(x: float) -> str:
    return f"{x:.3f}"


def _prf(row: dict | None) -> list[str]:
    return [num(row["precision"]), num(row["recall"]), num(row["f1"])] if row else ["–"] * 3


def md_table(header: list[str], rows: list[list[str]]) -> str:
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
    return md_table(head, rows)


def semeval_table(m: dict) -> str:
    """The four SemEval-2013 schemes for the transformer and the CRF."""
    rows = []
    for model in ("transformer", "crf"):
        if model not in m:
            continue
        for scheme, s in m[model]["entities"]["semeval"].items():
            counts = "/".join(str(s[k]) for k in ("COR", "INC", "PAR", "MIS", "SPU"))
            rows.append([model, scheme, *_prf(s), counts])
    return md_table(["model", "scheme", "P", "R", "F1", "COR/INC/PAR/MIS/SPU"], rows)


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
    return md_table(["event type", "gold", "transformer P", "R", "F1", "TF-IDF P", "R", "F1"], rows)


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
    return md_table(["score", "gold", "model P", "R", "F1", "baseline P", "R", "F1"], rows)


def per_label_table(m: dict, where: str, key: str, sub: str, what: str) -> str:
    """Per event type (or role) P/R/F1 of one ACE score, model beside baseline."""
    tr = m["transformer"]["extraction"][where][key][sub]
    bl_ = m["baseline"]["extraction"][where][key][sub]
    rows = [[lab, str((tr.get(lab) or bl_[lab])["support"]), *_prf(tr.get(lab)),
             *_prf(bl_.get(lab))] for lab in sorted(set(tr) | set(bl_))]  # fmt: skip
    return md_table([what, "gold", "model P", "R", "F1", "baseline P", "R", "F1"], rows)


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
                     f"{h['sentences']} / {h['mentions']}", "–" if had is None else num(had),
                     num(h["f1"]), "–" if had is None else f"{h['f1'] - had:+.3f}",
                     num(tune.get("f1", 0))])  # fmt: skip
    return md_table(["corpus", "licence", "held-out sentences / mentions", "base", "this run",
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
