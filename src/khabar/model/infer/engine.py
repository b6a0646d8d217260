"""Run a trained model over a whole cleaned corpus, streamed: in this process (`local`) or on Ray
Data (`ray`: a local Ray instance, or a cluster by address).

Both engines feed the same chunks of articles, in file order, to `predict_articles`, so their
records are the same; only where the forward passes run differs. Memory holds one chunk per
worker (plus Ray's object store), never the corpus.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from khabar.corpus.article import Article, iter_articles, require_corpus
from khabar.model.infer.prediction import predict_articles
from khabar.model.infer.run import check_run, load_run
from khabar.model.net.device import check_placement, device_field, precision_field

ENGINES = ("local", "ray")
# Articles per `predict_articles` call: batches are length-sorted across a chunk (less padding),
# the progress bar moves once per chunk, and Ray ships one chunk per actor call.
CHUNK = 64

T = TypeVar("T")


@dataclass
class EngineArgs:
    """Where corpus prediction runs (`khabar predict --engine ...`)."""

    engine: str = field(default="local", metadata={"help": "local (this process) or ray."})
    address: str | None = field(
        default=None,
        metadata={
            "help": "Ray cluster to join (e.g. auto or ray://head:10001); "
            "default: start a local Ray instance."
        },  # fmt: skip
    )
    workers: int | None = field(
        default=None,
        metadata={
            "help": "Ray actors, each loading the model once [default: one per CPU of "
            "the Ray cluster / --cpus-per-worker]."
        },  # fmt: skip
    )
    cpus_per_worker: float = field(
        default=1.0, metadata={"help": "CPUs Ray reserves for each actor (its torch threads)."}
    )
    batch_size: int = field(default=32, metadata={"help": "Model inputs per forward pass."})
    chunk: int = field(default=CHUNK, metadata={"help": "Articles per prediction call."})
    device: str = device_field()
    precision: str = precision_field()
    # Where the device and precision chosen are said (local engine); no option, hence no help.
    log: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        check_placement(self.device, self.precision)  # a typo fails now, not after loading the run
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter)."""
    part: list[T] = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def chunk_spans(path: Path, size: int) -> Iterator[tuple[int, int]]:
    """Byte ranges of a corpus JSONL holding `size` articles each, in file order (the last may
    hold fewer): what a Ray actor reads, so no process ever holds the whole file."""
    start = pos = count = 0
    with Path(path).open("rb") as fh:
        for line in fh:
            pos += len(line)
            if line.strip():
                count += 1
                if count == size:
                    yield start, pos
                    start, count = pos, 0
    if count:
        yield start, pos


def read_span(path: Path, start: int, end: int) -> list[Article]:
    """The articles between two byte offsets of a corpus JSONL (a span of `chunk_spans`)."""
    with Path(path).open("rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    # Split on newlines only, as the local engine's file iteration does: str.splitlines would
    # also split on U+2028 and friends, which JSON written with ensure_ascii=False keeps as is.
    return [Article.from_dict(json.loads(line)) for line in data.split(b"\n") if line.strip()]


def count_articles(path: Path) -> int:
    """Non-blank lines of a corpus JSONL (for the progress bar), without parsing them."""
    with Path(path).open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def predict_corpus(run_dir: Path, articles: Path, args: EngineArgs) -> Iterator[list[dict]]:
    """Prediction records of every article of `articles`, in file order, one list per chunk."""
    check_run(run_dir)
    require_corpus(articles)
    if args.engine == "ray":
        return _predict_ray(Path(run_dir), Path(articles), args)
    return _predict_local(Path(run_dir), Path(articles), args)


def _predict_local(run_dir: Path, articles: Path, args: EngineArgs) -> Iterator[list[dict]]:
    run = load_run(run_dir, baselines=False, device=args.device, precision=args.precision)
    if args.log:
        args.log(f"run {run.name}: {run.placement.summary()}")
    for part in chunked(iter_articles(articles), args.chunk):
        yield predict_articles(run, part, args.batch_size)


class RayPredictor:
    """A Ray Data actor: loads the run once, then predicts the corpus a byte span at a time."""

    def __init__(self, run_dir: str, articles: str, batch_size: int, device: str | None = None,
                 precision: str | None = None) -> None:  # fmt: skip
        self.run = load_run(Path(run_dir), baselines=False, device=device, precision=precision)
        self.articles = Path(articles)
        self.batch_size = batch_size

    def __call__(self, batch: dict) -> dict:
        """Spans of the corpus file in (start, end), one JSON record per article out."""
        import numpy as np

        records = []
        for start, end in zip(batch["start"], batch["end"], strict=True):
            arts = read_span(self.articles, int(start), int(end))
            records += predict_articles(self.run, arts, self.batch_size)
        return {"record": np.array([json.dumps(r, ensure_ascii=False) for r in records])}


def _predict_ray(run_dir: Path, articles: Path, args: EngineArgs) -> Iterator[list[dict]]:
    try:
        import ray
    except ImportError:
        raise RuntimeError(
            "the ray engine needs Ray: pip install 'khabar[ray]' (or use --engine local)"
        ) from None
    started = not ray.is_initialized()
    if started:
        # Local instance by default; a cluster when an address is given. Workers inherit this
        # process' environment, so they import the same khabar.
        ray.init(address=args.address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True)  # fmt: skip
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # records in corpus order, like local
        ctx.enable_progress_bars = False  # khabar draws its own bar
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # ...and says what it did
        workers = args.workers or max(
            1, int(ray.cluster_resources().get("CPU", 1) // args.cpus_per_worker)
        )
        # Not ray.data.read_text: it reads a file whole in one task (its bytes, their decoded
        # text and the lines, all at once), so its memory grows with the corpus. The driver
        # only finds where each chunk starts, and each actor reads its chunk from the file.
        # On a multi-node cluster the path must name shared storage.
        spans = [{"start": s, "end": e} for s, e in chunk_spans(articles, args.chunk)]
        ds = ray.data.from_items(spans).map_batches(
            RayPredictor,
            batch_size=1,
            concurrency=workers,
            num_cpus=args.cpus_per_worker,
            fn_constructor_kwargs={
                "run_dir": str(run_dir.resolve()),
                "articles": str(articles.resolve()),
                "batch_size": args.batch_size,
                "device": args.device,
                "precision": args.precision,
            },  # fmt: skip
        )
        for batch in ds.iter_batches(batch_size=args.chunk, batch_format="numpy"):
            yield [json.loads(r) for r in batch["record"]]
    finally:
        if started:
            ray.shutdown()
