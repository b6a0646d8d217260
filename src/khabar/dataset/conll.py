"""CoNLL files: written beside the dataset (token<TAB>BIO), and read from published corpora
(HiNER, IL-NER) with their entity types mapped onto the schema's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def to_conll(rows: list[dict]) -> str:
    """CoNLL text: '# id = …' and '# text = …' comments, token<TAB>BIO, blank line between."""
    out = []
    for row in rows:
        out.append(f"# id = {row['id']}")
        out.append(f"# text = {row['text']}")
        out += [f"{t}\t{tag}" for t, tag in zip(row["tokens"], row["ner_tags"], strict=True)]
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def parse_tag_map(spec: str) -> dict[str, str]:
    """'PERSON=PER,LOCATION=LOC' -> {'PERSON': 'PER', 'LOCATION': 'LOC'} (types, not BIO tags)."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        src, sep, dst = part.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ValueError(f"tag map entries look like SOURCE=TARGET, not {part!r}")
        out[src.strip()] = dst.strip()
    return out


def read_conll(path: Path, tag_map: dict[str, str], entity_names: list[str]):
    """Sentences of a CoNLL file (token first column, BIO tag last; blank line between sentences,
    '#' comments skipped) as (tokens, tags) with entity types renamed by `tag_map`.

    Types the map does not name and the schema does not know become O and are counted in the
    returned Counter, so a foreign inventory (IL-NER's NETI, NEN …) is reduced, never guessed;
    malformed lines are counted there too.
    """
    unknown = [t for t in tag_map.values() if t not in entity_names]
    if unknown:
        raise ValueError(f"tag map targets {unknown} are not entity types of the schema")
    sentences: list[tuple[list[str], list[str]]] = []
    dropped: Counter = Counter()
    words: list[str] = []
    tags: list[str] = []
    # split("\n"), not splitlines(): a token may hold U+2028 or U+0085, which splitlines breaks on.
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        cols = line.rstrip("\r").split("\t") if "\t" in line else line.split()
        cols = [c for c in cols if c.strip()]
        if not cols or line.startswith("#"):
            if words and not cols:
                sentences.append((words, tags))
                words, tags = [], []
            continue
        if len(cols) < 2:  # published corpora hold a few (an empty token); counted, not fatal
            dropped["<line without token and tag>"] += 1
            continue
        prefix, _, typ = cols[-1].partition("-")
        typ = tag_map.get(typ, typ)
        if prefix in ("B", "I") and typ in entity_names:
            tags.append(f"{prefix}-{typ}")
        else:
            if cols[-1] != "O":
                dropped[cols[-1]] += 1
            tags.append("O")
        words.append(cols[0])
    if words:
        sentences.append((words, tags))
    return sentences, dropped
