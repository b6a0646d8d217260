"""Train/validation/test by whole article, stable as the corpus grows.

An article is assigned a split once, the first time it reaches a dataset, and keeps it: the
assignments live in a manifest (`annotation/splits.tsv`, one `article_id<TAB>split` line per
article, versioned with the gold). Shuffling the sorted ids with a seed, as khabar first did,
reassigns old articles whenever one is added (1 new article moved 6 of 10 test articles on 50),
so every dataset version leaked its predecessor's test set into training.

A new article goes to the split furthest below its target share (fractions × articles), so the
fractions stay within one article of the target at every size; several new articles are placed
in an order fixed by a hash of (seed, id), never by arrival.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from khabar.io import write_atomic

SPLITS = ("train", "validation", "test")
MANIFEST_HEADER = (
    "# khabar split manifest: article id <TAB> split, one line per article.\n"
    "# An article keeps the split it was given when it first reached the dataset; new articles\n"
    "# are appended by `khabar export`. Never move a line: test figures would stop being\n"
    "# comparable and test articles would leak into training.\n"
)


class ManifestError(ValueError):
    """A split manifest that cannot be read."""


def check_fractions(fractions: tuple[float, ...]) -> None:
    """Refuse fractions that are not three non-negative numbers summing to 1."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError("split fractions must be three non-negative numbers summing to 1")


def assign_splits(manifest: dict[str, str], article_ids: Iterable[str],
                  fractions=(0.6, 0.2, 0.2), seed: int = 13) -> dict[str, str]:  # fmt: skip
    """The manifest with every new article of `article_ids` added; existing lines never change."""
    check_fractions(fractions)
    out = dict(manifest)
    counts = {s: 0 for s in SPLITS}
    for split in out.values():
        counts[split] += 1
    new = sorted(set(article_ids) - set(out), key=lambda a: (_order(seed, a), a))
    for aid in new:
        out[aid] = _most_wanted(counts, fractions)
        counts[out[aid]] += 1
    return out


def _order(seed: int, article_id: str) -> str:
    return hashlib.sha256(f"{seed}:{article_id}".encode()).hexdigest()


def _most_wanted(counts: dict[str, int], fractions) -> str:
    n = sum(counts.values()) + 1
    # From three articles on, validation and test get one each before train gets more.
    if n >= 3:
        for s, f in zip(SPLITS[1:], fractions[1:], strict=True):
            if f > 0 and counts[s] == 0:
                return s
    # The largest shortfall; ties go to the earlier split (train, then validation, then test).
    shortfall = {s: f * n - counts[s] for s, f in zip(SPLITS, fractions, strict=True)}
    return max(SPLITS, key=lambda s: (shortfall[s], -SPLITS.index(s)))


def split_articles(article_ids: list[str], fractions=(0.6, 0.2, 0.2), seed: int = 13,
                   manifest: dict[str, str] | None = None) -> dict[str, list[str]]:  # fmt: skip
    """Assign whole articles to train/validation/test: the manifest's split where it has one,
    else as `assign_splits` places a new article."""
    return split_members(assign_splits(manifest or {}, article_ids, fractions, seed), article_ids)


def split_members(manifest: dict[str, str], article_ids: Iterable[str]) -> dict[str, list[str]]:
    """The articles of `article_ids` in each split of the manifest, sorted."""
    ids = set(article_ids)
    return {s: sorted(a for a, t in manifest.items() if t == s and a in ids) for s in SPLITS}


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's assignments ({} when the file does not exist yet)."""
    path = Path(path)
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or parts[1] not in SPLITS:
            raise ManifestError(f"{path}:{n}: expected 'article_id<TAB>{'|'.join(SPLITS)}', "
                                f"got {line!r}")  # fmt: skip
        if out.get(parts[0], parts[1]) != parts[1]:
            raise ManifestError(f"{path}:{n}: article {parts[0]} is listed in two splits")
        out[parts[0]] = parts[1]
    return out


def write_manifest(path: Path, manifest: dict[str, str]) -> None:
    """Write the manifest (sorted by split, then id, so a diff shows only added lines)."""
    lines = sorted(manifest.items(), key=lambda kv: (SPLITS.index(kv[1]), kv[0]))
    write_atomic(Path(path), [MANIFEST_HEADER, *(f"{a}\t{s}\n" for a, s in lines)])
