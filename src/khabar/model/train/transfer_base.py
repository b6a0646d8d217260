"""Build a transfer base: fine-tune the default base as an entity tagger on declared public
corpora (`annotation/transfer.yaml`, read by `dataset.corpora`) into the folder `model.transfer`
describes. Each corpus is capped (`--max-sentences`), gives a tuning part (a seeded draw of its
training sentences) to pick the epoch on, and is measured on its held-out part.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khabar.dataset.corpora import Corpus, Sentence, carve, mentions, require_mentions, sample
from khabar.io import read_json, write_json, write_jsonl
from khabar.model.net.device import cpu_bf16_flags, cpu_model
from khabar.model.train.args import TrainArgs
from khabar.model.train.fitting import Split
from khabar.model.train.tagger import train_ner
from khabar.model.train.transfer import DATA_DIR, KIND, PROVENANCE, score_tagger
from khabar.schema import bio_inventory


@dataclass
class TransferArgs:
    """How a transfer base is trained (recorded in PROVENANCE.json)."""

    max_sentences: int = field(default=20000, metadata={
        "help": "Training sentences per corpus at most (a seeded draw): a million machine-"
                "projected sentences must not drown a small hand-annotated corpus."})  # fmt: skip
    epochs: int = field(default=5, metadata={
        "help": "Passes over the training sentences; the epoch with the best tuning F1 "
                "(mean over corpora) is kept (HiNER still rose at epoch 3 of 3). 0: no training "
                "here, the folder only keeps the corpora's parts and a run mixes its pool into "
                "its own epochs (the quick recipe)."})  # fmt: skip
    learning_rate: float = field(default=1e-4, metadata={"help": "Peak encoder learning rate."})
    head_lr_factor: float = field(default=10.0, metadata={
        "help": "The new classifier's learning rate as a multiple of the encoder's."})  # fmt: skip
    batch_size: int = field(default=16, metadata={"help": "Sentences per step."})
    max_length: int = field(default=128, metadata={
        "help": "Sub-tokens per input; longer sentences become overlapping windows."})  # fmt: skip
    tune_fraction: float = field(default=0.1, metadata={
        "help": "Share of each corpus' training sentences held out, by a seeded draw, to pick "
                "the epoch (and, later, how a run keeps what transfer taught)."})  # fmt: skip
    tune_max: int = field(default=1000, metadata={"help": "Tuning sentences per corpus at most."})
    rehearsal_pool: int = field(default=2000, metadata={
        "help": "Training sentences per corpus kept in the folder, for rehearsal during "
                "`khabar train --transfer`."})  # fmt: skip
    seed: int = field(default=13, metadata={"help": "Seed of the draws, initialisation, order."})

    def train_args(self, base: str = "", **changes) -> TrainArgs:
        """The tagger's training arguments for this recipe (`changes`: other TrainArgs fields)."""
        recipe = {"base_model": base, "epochs": self.epochs, "learning_rate": self.learning_rate,
                  "batch_size": self.batch_size, "head_lr_factor": self.head_lr_factor,
                  "max_length": self.max_length, "seed": self.seed}  # fmt: skip
        return TrainArgs(**(recipe | changes))


# The recipes (docs/training.md, "Learning from public corpora"): `full` trains a base for the
# best model; `quick`, the default of `make all`, trains nothing here and keeps a pool of
# sentences that the run mixes into its own epochs (`TrainArgs.rehearsal`).
QUICK_POOL = 8000
RECIPES = {"full": {}, "quick": {"epochs": 0, "max_sentences": QUICK_POOL,
                                 "rehearsal_pool": QUICK_POOL}}  # fmt: skip


def recipe_args(recipe: str = "full", **changes) -> TransferArgs:
    """A recipe's arguments, with `changes` (None: the recipe's own) on top."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, not {recipe!r}")
    given = {k: v for k, v in changes.items() if v is not None}
    return TransferArgs(**(RECIPES[recipe] | given))


def folder_name(names: list[str], cap: int | None = None, recipe: str = "full") -> str:
    """transfer-<names>[-max<N>][-<recipe>]: the corpus names sorted, so the order given does
    not matter, the per-corpus cap when one was asked for, and the recipe unless `full`."""
    return ("transfer-" + "-".join(sorted(dict.fromkeys(names))) + (f"-max{cap}" if cap else "")
            + ("" if recipe == "full" else f"-{recipe}"))  # fmt: skip


def type_order(types: set[str], entity_names: list[str]) -> list[str]:
    """Entity types in the schema's order."""
    return [t for t in entity_names if t in types]


@dataclass
class Parts:
    """One corpus split for training a base: fit, tune (epoch picking), held-out (reporting)."""

    corpus: Corpus
    fit: list[Sentence]
    tune: list[Sentence]
    available: int  # training sentences before the cap

    @property
    def name(self) -> str:
        """The corpus' name in transfer.yaml."""
        return self.corpus.spec.name


def prepare(corpus: Corpus, args: TransferArgs) -> Parts:
    """Cap the training part, then draw the tuning part from it; both checked for mentions of
    every type the corpus is scored on."""
    train = sample(corpus.train, args.max_sentences, args.seed)
    fit, tune = carve(train, args.tune_fraction, True, args.seed, args.tune_max)
    require_mentions(tune, corpus.spec.types, f"corpus {corpus.spec.name!r}: its tuning part")
    return Parts(corpus, fit, tune, len(corpus.train))


def fingerprint(corpora: list[Corpus], args: TransferArgs, base: str) -> str:
    """What a base's weights depend on: the sha256 of every part read, how each corpus is mapped
    and held out, the arguments and the base it starts from; not where the files lay, nor a
    corpus' title, licence or citation (those are refreshed without retraining). Equal
    fingerprints: nothing to retrain."""
    blob = json.dumps([[[(r["part"], r["sha256"]) for r in c.read], c.source, c.held_out_from,
                        c.spec.tag_map, c.spec.tag_names] for c in corpora] + [asdict(args), base],
                      sort_keys=True, ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(blob.encode()).hexdigest()


def declared_entry(c: Corpus) -> dict:
    """The corpus' transfer.yaml entry as PROVENANCE.json records it."""
    return {k: v for k, v in asdict(c.spec).items() if v not in (None, "", [])}


METADATA = ("title", "license", "license_note", "citation", "homepage", "hub_id")


def up_to_date(out: Path, corpora: list[Corpus], args: TransferArgs, base: str) -> bool:
    """Whether `out` holds a base trained on exactly these sources and settings. When it does,
    the corpora's descriptions (licence, citation …) in PROVENANCE.json are brought up to date
    with transfer.yaml."""
    path = Path(out) / PROVENANCE
    if not path.is_file():
        return False
    try:
        prov = read_json(path)
    except (OSError, ValueError):
        return False
    if prov.get("fingerprint") != fingerprint(corpora, args, base):
        return False
    if prov.get("trained", True) and not (Path(out) / "config.json").is_file():
        return False  # a tagger's folder without its weights
    fresh = {c.spec.name: c for c in corpora}
    changed = False
    for entry in prov["corpora"]:
        c = fresh[entry["name"]]
        for key in METADATA:
            if entry.get(key) != getattr(c.spec, key):
                entry[key], changed = getattr(c.spec, key), True
        if entry.get("declared") != declared_entry(c):
            entry["declared"], changed = declared_entry(c), True
    if changed:
        write_json(path, prov, indent=2)
    return True


def peak_rss_mb() -> int:
    """This process's peak resident memory in MB: the kernel's VmHWM of its image, since
    ru_maxrss carries a forking parent's size into an exec'd child; ru_maxrss off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def busy_cpu_seconds() -> float | None:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat), None off
    Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds this process (and its waited-for children) has used."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_name() -> str:
    """The CPU's model name and its native bf16 flags (training speed differs by both)."""
    name = cpu_model()
    native = cpu_bf16_flags()
    return f"{name} ({', '.join(native) or 'no native bf16'})" if name or native else ""


class BesideWork:
    """How much other work shared the machine while a block ran: the machine's busy CPU time
    minus this process's own, per second of wall time (0: it ran alone; a 2-core machine running
    a second training beside it shows about 1). Training times are only comparable alone."""

    def __enter__(self) -> BesideWork:
        self.start = (time.perf_counter(), busy_cpu_seconds(), own_cpu_seconds())
        return self

    def __exit__(self, *exc) -> None:
        wall0, busy0, own0 = self.start
        busy1 = busy_cpu_seconds()
        self.wall = time.perf_counter() - wall0
        if busy0 is None or busy1 is None:
            self.cores = None
        else:
            other = (busy1 - busy0) - (own_cpu_seconds() - own0)
            self.cores = round(max(0.0, other) / max(self.wall, 1e-9), 2)

    def record(self) -> dict:
        """What PROVENANCE.json says of it."""
        return {
            "other_work_cores": self.cores,
            "cpu": cpu_name(),
            "cpu_count": os.cpu_count(),
            "other_work_beside": None if self.cores is None else self.cores >= 0.25,
        }


def train_base(corpora: list[Corpus], out: Path, entity_names: list[str], base: str,
               args: TransferArgs, log=print) -> dict:  # fmt: skip
    """Fine-tune `base` as an entity tagger on the corpora into `out` (with `args.epochs` 0,
    only the corpora's parts: a run mixes them in); returns PROVENANCE."""
    from khabar.model.base.e5 import read_provenance

    out = Path(out)
    parts = [prepare(c, args) for c in corpora]
    types = type_order({t for c in corpora for t in c.spec.types}, entity_names)
    tags = bio_inventory(types)
    for p in parts:
        log(f"{p.name}: {len(p.fit)} training, {len(p.tune)} tuning, {len(p.corpus.held_out)} "
            f"held-out sentences ({p.corpus.held_out_from}; from {p.corpus.source})")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    training: dict = {"args": asdict(args)}
    held: dict = {p.name: None for p in parts}
    if args.epochs > 0:
        training, held = _fit_tagger(parts, tags, base, args, out)
    pooled: dict[str, int] = {}
    for p in parts:
        pool = sample(p.fit, args.rehearsal_pool, args.seed)
        pooled[p.name] = len(pool)
        for part, rows in (("held_out", p.corpus.held_out), ("tune", p.tune), ("rehearsal", pool)):
            write_jsonl(out / DATA_DIR / f"{p.name}.{part}.jsonl",
                        ({"words": w, "tags": t} for w, t in rows))  # fmt: skip
    prov = {
        "kind": KIND, "trained": args.epochs > 0,
        "base": (read_provenance(base) or {}).get("base", base) if base else "",
        "base_model": base, "base_provenance": read_provenance(base) if base else None,
        "labels": tags, "types": types,
        "corpora": [_corpus_entry(p, held[p.name], pooled[p.name]) for p in parts],
        "training": training, "fingerprint": fingerprint(corpora, args, base),
    }  # fmt: skip
    write_json(out / PROVENANCE, prov, indent=2)
    return prov


def _fit_tagger(parts: list[Parts], tags: list[str], base: str, args: TransferArgs,
                out: Path) -> tuple[dict, dict]:  # fmt: skip
    """Train the tagger on every corpus' fit part, save it into `out`; (its training record,
    held-out scores per corpus)."""
    fit = Split([w for p in parts for w, _ in p.fit], [t for p in parts for _, t in p.fit], [], [])
    tuned: list[dict] = []

    def score(model, tok) -> float:  # mean over corpora: a small one counts as much as a big one
        tuned.append({p.name: score_tagger(model, tok, p.tune, p.corpus.spec.types,
                                           args.max_length)["f1"] for p in parts})  # fmt: skip
        return sum(tuned[-1].values()) / len(parts)

    with BesideWork() as beside:
        model, tok, fitlog = train_ner(base, fit, None, tags, args.learning_rate,
                                       args.train_args(base), freeze=True, score=score)  # fmt: skip
    for h, t in zip(fitlog["history"], tuned, strict=True):
        h["tune"] = t
    held = {p.name: score_tagger(model, tok, p.corpus.held_out, p.corpus.spec.types,
                                 args.max_length) for p in parts}  # fmt: skip
    model.save_pretrained(out)
    tok.save_pretrained(out)
    training = {"args": asdict(args), "seconds": round(beside.wall, 1),
                "peak_rss_mb": peak_rss_mb(), **beside.record(),
                "best_epoch": fitlog["best_epoch"], "history": fitlog["history"],
                "frozen_word_embeddings": True}  # fmt: skip
    return training, held


def _corpus_entry(p: Parts, held: dict | None, pool: int) -> dict:
    c = p.corpus
    return {
        "name": p.name, "title": c.spec.title, "license": c.spec.license,
        "license_note": c.spec.license_note, "citation": c.spec.citation,
        "homepage": c.spec.homepage, "hub_id": c.spec.hub_id, "source": c.source,
        "read": c.read, "tag_map": c.spec.tag_map, "types": c.spec.types,
        "tags_mapped_to_o": dict(c.dropped.most_common()), "bio_repaired": c.repaired,
        "sentences": {"available": p.available, "train": len(p.fit), "tune": len(p.tune),
                      "held_out": len(c.held_out),
                      "pool": pool},
        "held_out_from": c.held_out_from, "mentions_train": dict(mentions(p.fit)),
        "held_out_f1": held, "declared": declared_entry(c),
    }  # fmt: skip


def mark_unavailable(out: Path, names: list[str], args: TransferArgs, why: str) -> bool:
    """Write a folder that says the corpora could not be read (a run from it trains on the
    project's data alone and says so); left as it is when it says so already for the same
    corpora and settings, so an unreachable Hub retrains nothing. Returns whether it wrote."""
    path = Path(out) / PROVENANCE
    key = hashlib.sha256(json.dumps([sorted(names), asdict(args)], sort_keys=True).encode())
    if path.is_file():
        try:
            prov = read_json(path)
        except (OSError, ValueError):
            prov = {}
        if prov.get("unavailable") and prov.get("fingerprint") == key.hexdigest():
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"kind": KIND, "unavailable": why, "names": sorted(names),
                      "fingerprint": key.hexdigest()}, indent=2)  # fmt: skip
    return True
