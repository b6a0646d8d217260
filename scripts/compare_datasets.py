"""Check that two khabar datasets are the same: features, every row of every split, the CoNLL
files beside them and how they were split. For changes that must not change the data (a refactor,
a dependency upgrade):

    .venv/bin/python scripts/compare_datasets.py OLD/datasets NEW/datasets

Each argument is a `datasets/` folder holding `dataset/` and `conll/`. Exit 0 when equal, 1 with
the first differences otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def compare(old: Path, new: Path) -> list[str]:
    """Differences between the datasets under two `datasets/` folders (empty when equal)."""
    from datasets import load_from_disk

    a, b = load_from_disk(str(old / "dataset")), load_from_disk(str(new / "dataset"))
    diffs = []
    if set(a) != set(b):
        return [f"splits differ: {sorted(a)} vs {sorted(b)}"]
    for split in a:
        if a[split].features != b[split].features:
            diffs.append(f"{split}: features differ")
        rows_a, rows_b = a[split].to_list(), b[split].to_list()
        if len(rows_a) != len(rows_b):
            diffs.append(f"{split}: {len(rows_a)} rows vs {len(rows_b)}")
        pairs = zip(rows_a, rows_b, strict=False)  # a length difference is reported above
        diffs += [f"{split}: row {ra['id']} differs" for ra, rb in pairs if ra != rb]
        print(f"{split}: {len(rows_a)} rows, {sum(len(r['tokens']) for r in rows_a)} tokens, "
              f"{sum(len(r['entities']) for r in rows_a)} entities, "
              f"{sum(len(r['triggers']) for r in rows_a)} triggers, "
              f"{sum(len(r['arguments']) for r in rows_a)} arguments")  # fmt: skip
    for f in sorted((old / "conll").glob("*.conll")):
        if f.read_bytes() != (new / "conll" / f.name).read_bytes():
            diffs.append(f"conll/{f.name} differs")
    build = "dataset/khabar_build.json"
    if json.loads((old / build).read_text()) != json.loads((new / build).read_text()):
        diffs.append(f"{build} differs")
    return diffs


def main() -> None:
    """Command line: two `datasets/` folders."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    diffs = compare(args.old, args.new)
    for d in diffs[:20]:
        print(f"DIFFERENT: {d}")
    print("datasets differ" if diffs else "datasets equal: features, rows, CoNLL, split")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
