"""Public NER corpora declared in `annotation/transfer.yaml`: where each one comes from (a local
copy, the Hub's parquet conversion, a file in a Hub repository), its tag map onto the schema's
types, and the part of it that is never trained on.

Reading is pure bookkeeping, no torch: `read_corpus` gives the mapped sentences of one corpus
with what was read (paths and sha256), what became O and what was repaired, and refuses, in one
line, a corpus it cannot reach or a held-out part without a mention of a type it is scored on.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from khabar.dataset.conll import map_tags, read_conll_raw
from khabar.io import file_sha256

TRANSFER_FILE = Path("annotation/transfer.yaml")
# Where local copies are looked for: the benchmarks every developer and CI run has beside the
# checkout. Never needed by `make all` or `make test`.
DEFAULT_DATA = Path("../shared/benchmarks")
SOURCES = ("auto", "local", "hub")
PARTS = ("train", "held_out")
Sentence = tuple[list[str], list[str]]  # words, BIO tags


class CorpusError(Exception):
    """A declared corpus that cannot be read or used, with what to set or fix (one line)."""


class CorpusUnreachable(CorpusError):
    """A declared corpus that no source answers for: no local copy, and the Hub unreachable."""


@dataclass
class CorpusSpec:
    """One entry of transfer.yaml."""

    name: str
    title: str
    license: str
    citation: str
    tag_map: dict[str, str]
    homepage: str = ""
    hub_id: str = ""
    license_note: str = ""
    tag_names: list[str] | None = None  # ids -> BIO tags where a source's ClassLabel is wrong
    hub: dict | None = None  # parquet conversion: id, revision, config, train, held_out
    hub_file: dict | None = None  # files in a Hub dataset repository: repo, train, held_out
    local: dict | None = None  # paths under the data folder: train, held_out

    @property
    def types(self) -> list[str]:
        """The schema's entity types this corpus is mapped onto (those it is scored on)."""
        return list(dict.fromkeys(self.tag_map.values()))


def load_declared(path: Path = TRANSFER_FILE, entity_names: list[str] | None = None,
                  ) -> dict[str, CorpusSpec]:  # fmt: skip
    """The corpora of transfer.yaml, checked: every entry names a licence, a tag map onto the
    schema's types and at least one source with a train part."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path} not found: it declares the public corpora transfer reads")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    out = {}
    for name, entry in (raw.get("corpora") or {}).items():
        where = f"{path}: corpus {name!r}"
        if not isinstance(entry, dict):
            raise CorpusError(f"{where} is not a mapping")
        missing = [k for k in ("title", "license", "citation", "tag_map") if not entry.get(k)]
        if missing:
            raise CorpusError(f"{where} lacks {', '.join(missing)}")
        sources = {k: entry.get(k) for k in ("hub", "hub_file", "local")}
        if not any(sources.values()):
            raise CorpusError(f"{where} names no source (hub, hub_file or local)")
        for kind, src in sources.items():
            if src is not None and not (isinstance(src, dict) and src.get("train")):
                raise CorpusError(f"{where}: {kind} needs a train part")
        tag_map = {str(k): str(v) for k, v in entry["tag_map"].items()}
        if entity_names is not None:
            unknown = sorted(set(tag_map.values()) - set(entity_names))
            if unknown:
                raise CorpusError(f"{where} maps onto {unknown}, not entity types of the schema")
        known = {f.name for f in CorpusSpec.__dataclass_fields__.values()}  # type: ignore[attr-defined]
        extra = sorted(set(entry) - known)
        if extra:
            raise CorpusError(f"{where} has unknown keys {extra}")
        out[name] = CorpusSpec(**dict(entry, name=name, tag_map=tag_map))
    return out


def select(declared: dict[str, CorpusSpec], names: list[str]) -> list[CorpusSpec]:
    """The named corpora, in the order given; an unknown name is one clear error."""
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise CorpusError(f"unknown transfer corpus {', '.join(unknown)}; transfer.yaml declares "
                          f"{', '.join(declared) or 'none'}")  # fmt: skip
    if not names:
        raise CorpusError(f"name at least one corpus ({', '.join(declared)})")
    return [declared[n] for n in dict.fromkeys(names)]


# ------------------------------------------------------------------ reading


@dataclass
class Corpus:
    """What was read of one declared corpus: mapped sentences of its train and held-out parts."""

    spec: CorpusSpec
    source: str  # local | hub | hub_file
    read: list[dict]  # per part: {part, from, sha256, sentences}
    train: list[Sentence]
    held_out: list[Sentence]
    held_out_from: str  # its own dev part, or how it was carved from the train part
    dropped: Counter = field(default_factory=Counter)  # tags mapped to O, malformed lines
    repaired: int = 0  # I-X tags after O or another type, read as B-X


def _rows_sha256(rows: list[tuple[list[str], list[str]]]) -> str:
    """sha256 of rows read through `datasets` (tokens and tags as read, one JSON line each):
    what was read, whatever cache layout the library keeps it in."""
    h = hashlib.sha256()
    for words, tags in rows:
        h.update((json.dumps([words, tags], ensure_ascii=False) + "\n").encode())
    return h.hexdigest()


def _carve(spec: str) -> tuple[str, float] | None:
    """'last 10%' -> ('last', 0.1), 'shuffle 10%' -> ('shuffle', 0.1); None: a split or file."""
    m = re.fullmatch(r"\s*(last|shuffle)\s+(\d+(?:\.\d+)?)\s*%\s*", str(spec))
    return (m.group(1), float(m.group(2)) / 100) if m else None


def _dataset_rows(ds, spec: CorpusSpec) -> list[tuple[list[str], list[str]]]:
    """(tokens, tag strings) of a `datasets` split: tag ids named by the ClassLabel, or by
    `tag_names` where the yaml overrides it."""
    cols = ds.column_names
    tok_col = next((c for c in ("tokens", "words") if c in cols), None)
    tag_col = next((c for c in ("ner_tags", "tags", "ner") if c in cols), None)
    if tok_col is None or tag_col is None:
        raise CorpusError(f"corpus {spec.name!r}: expected token and tag columns (tokens, "
                          f"ner_tags), found {cols}")  # fmt: skip
    feature = getattr(ds.features[tag_col], "feature", None)
    names = spec.tag_names or getattr(feature, "names", None)
    rows = []
    for r in ds:
        tags = r[tag_col]
        if tags and not isinstance(tags[0], str):
            if names is None:
                raise CorpusError(f"corpus {spec.name!r}: its tags are ids without names; give "
                                  "tag_names in transfer.yaml")  # fmt: skip
            tags = [names[t] for t in tags]
        rows.append((list(r[tok_col]), list(tags)))
    return rows


def _read_file(path: Path, spec: CorpusSpec) -> tuple[list, Counter]:
    """Raw rows of a local file or folder: CoNLL text, a parquet file, or a save_to_disk folder."""
    if path.is_dir():
        from datasets import load_from_disk

        ds = load_from_disk(str(path))
        if hasattr(ds, "keys"):  # a DatasetDict: its train split
            ds = ds["train"] if "train" in ds else ds[next(iter(ds))]
        return _dataset_rows(ds, spec), Counter()
    if path.suffix == ".parquet":
        from datasets import load_dataset

        ds = load_dataset("parquet", data_files=str(path), split="train")
        return _dataset_rows(ds, spec), Counter()
    return read_conll_raw(path)


def _named(source: dict | None) -> dict[str, str]:
    """What a source names to read, per part: a file, a split (a carved part names none)."""
    source = source or {}
    return {p: str(source[p]) for p in PARTS if source.get(p) and _carve(source[p]) is None}


def _unreachable(spec: CorpusSpec, data: Path, why: str, source: str) -> CorpusUnreachable:
    hint = []
    if spec.local and source != "hub":
        hint.append(f"put {', '.join(_named(spec.local).values())} under TRANSFER_DATA "
                    f"(now {data})")  # fmt: skip
    if (spec.hub or spec.hub_file) and source != "local":
        hint.append(("or " if hint else "") + "run where the Hugging Face Hub is reachable")
    elif spec.hub or spec.hub_file:
        hint.append(("or " if hint else "") + "read it from the Hub (TRANSFER_SOURCE=auto)")
    return CorpusUnreachable(f"transfer corpus {spec.name!r} cannot be read: {why}; "
                             f"{' '.join(hint)}")  # fmt: skip


def _local_paths(spec: CorpusSpec, data: Path) -> dict[str, Path] | None:
    """The local copy's files, when every one it names exists."""
    if not spec.local:
        return None
    paths = {p: data / f for p, f in _named(spec.local).items()}
    return paths if all(p.exists() for p in paths.values()) else None


def _quiet_hub() -> None:
    """The Hub client logs every retry of an unreachable host; the caller reports it once."""
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()


# Seconds to wait for the Hub's first answer before calling it unreachable: its client retries
# for about 30 s, and `make all` must find out in a few whether to learn from a corpus.
HUB_PROBE_TIMEOUT = 3.0


def hub_answers(timeout: float = HUB_PROBE_TIMEOUT) -> bool:
    """Whether the Hub's endpoint (HF_ENDPOINT; through any proxy the environment names) answers
    at all within `timeout`; with HF_HUB_OFFLINE set, True: the Hub's cache is read instead."""
    # urllib, not an HTTP library of khabar's: Label Studio's client is the one that owns those
    # (.importlinter); it reads the same proxy variables as the Hub's client.
    import urllib.error
    import urllib.request

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return True
    try:
        urllib.request.urlopen(urllib.request.Request(constants.ENDPOINT, method="HEAD"),
                               timeout=timeout).close()  # fmt: skip
    except urllib.error.HTTPError:
        return True  # it answered, if only to refuse
    except (OSError, ValueError):  # URLError, a timeout, a refused connection, a bad endpoint
        return False
    return True


def _read_parts(spec: CorpusSpec, source: str, data: Path, cache_dir: str | None):
    """(source used, per part: raw rows, malformed Counter, where from, sha256)."""
    local = _local_paths(spec, data)
    if source == "local" or (source == "auto" and local):
        if local is None:
            missing = [str(data / f) for f in _named(spec.local).values()]
            raise _unreachable(spec, data, f"{', '.join(missing)} not found" if missing
                               else "no local copy", source)  # fmt: skip
        parts = {}
        for part, path in local.items():
            rows, bad = _read_file(path, spec)
            parts[part] = (rows, bad, str(path), file_sha256(path) if path.is_file() else
                           _rows_sha256(rows))  # fmt: skip
        return "local", parts, spec.local
    if not (spec.hub or spec.hub_file):
        raise _unreachable(spec, data, "no local copy and no Hub source declared", source)
    mirrored = bool(spec.hub) and Path(str(spec.hub["id"])).is_dir()  # a local mirror's layout
    if not mirrored and not hub_answers():
        from huggingface_hub import constants

        raise _unreachable(spec, data, f"{constants.ENDPOINT} did not answer", source)
    _quiet_hub()
    try:
        if spec.hub:
            return "hub", _read_hub(spec, cache_dir), spec.hub
        return "hub_file", _read_hub_files(spec, cache_dir), spec.hub_file
    except CorpusError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:  # ConnectionError, HfHubHTTPError, …
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise _unreachable(spec, data, f"the Hub said: {first[:200]}", source) from exc


def _read_hub(spec: CorpusSpec, cache_dir: str | None) -> dict:
    """Parts from a parquet conversion: `load_dataset(id, revision=…, data_dir=config)`, the
    layout the Hub gives every converted dataset (`<config>/<split>/*.parquet`)."""
    from datasets import disable_progress_bars, load_dataset

    disable_progress_bars()
    hub = spec.hub or {}
    parts = {}
    for part, split in _named(hub).items():
        ds = load_dataset(str(hub["id"]), revision=hub.get("revision"), data_dir=hub.get("config"),
                          split=split, cache_dir=cache_dir)  # fmt: skip
        rows = _dataset_rows(ds, spec)
        rev, config = hub.get("revision") or "main", hub.get("config") or ""
        where = f"hf://datasets/{hub['id']}@{rev}/{config}/{split}"
        parts[part] = (rows, Counter(), where, _rows_sha256(rows))
    return parts


def _read_hub_files(spec: CorpusSpec, cache_dir: str | None) -> dict:
    """Parts that are files in a Hub dataset repository, downloaded (or found in the Hub cache)
    and read like local files."""
    from huggingface_hub import hf_hub_download

    src = spec.hub_file or {}
    parts = {}
    for part, name in _named(src).items():
        path = Path(hf_hub_download(str(src["repo"]), name, repo_type="dataset",
                                    revision=src.get("revision"), cache_dir=cache_dir))  # fmt: skip
        rows, bad = _read_file(path, spec)
        parts[part] = (rows, bad, f"hf://datasets/{src['repo']}/{name}", file_sha256(path))
    return parts


def repair_bio(tags: list[str]) -> tuple[list[str], int]:
    """Tags as valid BIO: an I-X that follows O or another type starts an entity (B-X), as
    seqeval reads it; returns the tags and how many were repaired."""
    out, fixed, prev = [], 0, "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t, fixed = "B-" + t[2:], fixed + 1
        out.append(t)
        prev = t
    return out, fixed


def read_corpus(spec: CorpusSpec, source: str = "auto", data: Path | None = None,
                cache_dir: str | None = None, seed: int = 13) -> Corpus:  # fmt: skip
    """One declared corpus, read and mapped onto the schema's types, with its held-out part:
    its own dev split or file, else carved from the train part as declared (`last 10%`: file
    order; `shuffle 10%`: a seeded draw). Refuses (CorpusError, one line) a corpus it cannot
    reach, tag names that cannot be right (the most frequent tag is not O) and a held-out part
    without a mention of every type the corpus is scored on."""
    if source not in SOURCES:
        raise CorpusError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    data = Path(data if data is not None else os.environ.get("TRANSFER_DATA") or DEFAULT_DATA)
    used, parts, declared = _read_parts(spec, source, data, cache_dir)
    dropped: Counter = Counter()
    repaired = 0
    mapped: dict[str, list[Sentence]] = {}
    read = []
    for part, (rows, bad, where, sha) in parts.items():
        _check_names(spec, rows)
        dropped.update(bad)
        out = []
        for words, tags in rows:
            tags, fixed = repair_bio(map_tags(tags, spec.tag_map, spec.types, dropped, True))
            repaired += fixed
            out.append((words, tags))
        mapped[part] = [s for s in out if s[0]]
        read.append({"part": part, "from": where, "sha256": sha, "sentences": len(mapped[part])})
    train = mapped["train"]
    held_spec = declared.get("held_out")
    if "held_out" in mapped:
        held, held_from = mapped["held_out"], "its own held-out part"
    else:
        how = _carve(held_spec) if held_spec else ("last", 0.1)
        if how is None:
            raise CorpusError(f"corpus {spec.name!r}: held_out {held_spec!r} was not read")
        train, held = carve(train, how[1], how[0] == "shuffle", seed)
        held_from = f"{'a seeded draw of' if how[0] == 'shuffle' else 'the last'} " \
                    f"{how[1]:.0%} of the train part"  # fmt: skip
    require_mentions(held, spec.types, f"corpus {spec.name!r}: its held-out part")
    return Corpus(spec, used, read, train, held, held_from, dropped, repaired)


def _check_names(spec: CorpusSpec, rows: list) -> None:
    counts = Counter(t for _, tags in rows for t in tags)
    if counts and counts.most_common(1)[0][0] != "O":
        top = counts.most_common(1)[0][0]
        raise CorpusError(f"corpus {spec.name!r}: its most frequent tag is {top!r}, not 'O': the "
                          "tag names are wrong; set tag_names in transfer.yaml")  # fmt: skip


def carve(sentences: list[Sentence], fraction: float, shuffle: bool, seed: int = 13,
          cap: int | None = None) -> tuple[list[Sentence], list[Sentence]]:  # fmt: skip
    """(rest, part): `fraction` of the sentences (at most `cap`), the last ones in file order or a
    seeded draw; the rest keeps file order."""
    n = len(sentences)
    k = min(max(1, round(n * fraction)) if n > 1 else 0, cap or n)
    idx = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(idx)
        take = set(idx[:k])
    else:
        take = set(idx[n - k :])
    return ([s for i, s in enumerate(sentences) if i not in take],
            [s for i, s in enumerate(sentences) if i in take])  # fmt: skip


def sample(sentences: list[Sentence], n: int, seed: int = 13) -> list[Sentence]:
    """At most n sentences, a seeded draw kept in file order (all of them when there are fewer)."""
    if n <= 0 or len(sentences) <= n:
        return list(sentences)
    keep = set(random.Random(seed).sample(range(len(sentences)), n))
    return [s for i, s in enumerate(sentences) if i in keep]


def mentions(sentences: list[Sentence]) -> Counter:
    """Entity mentions per type (B- tags)."""
    return Counter(t[2:] for _, tags in sentences for t in tags if t.startswith("B-"))


def require_mentions(sentences: list[Sentence], types: list[str], what: str) -> None:
    """Refuse a part that cannot score every type: an F1 over no mention of a type is 0 at every
    epoch, and an epoch picked on it is picked on nothing."""
    have = mentions(sentences)
    lacking = [t for t in types if not have[t]]
    if lacking:
        raise CorpusError(f"{what} ({len(sentences)} sentences) has no mention of "
                          f"{', '.join(lacking)}: it cannot score them; draw it by shuffle "
                          "(held_out: shuffle 10%) or give a dev part that has them")  # fmt: skip
