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
    sentences, dropped = read_conll_raw(path)
    return [(words, map_tags(tags, tag_map, entity_names, dropped))
            for words, tags in sentences], dropped  # fmt: skip


def map_tags(tags: list[str], tag_map: dict[str, str], keep: list[str], dropped: Counter,
             strict: bool = False) -> list[str]:  # fmt: skip
    """BIO tags with their types renamed by `tag_map`; a tag whose (renamed) type is not in `keep`
    becomes O and is counted in `dropped`. `strict`: only the types `tag_map` names are kept (a
    declared corpus whose own type happens to share a schema name is not taken on trust)."""
    out = []
    for tag in tags:
        prefix, _, typ = tag.partition("-")
        if prefix in ("B", "I") and (typ in tag_map or not strict):
            typ = tag_map.get(typ, typ)
            if typ in keep:
                out.append(f"{prefix}-{typ}")
                continue
        if tag != "O":
            dropped[tag] += 1
        out.append("O")
    return out


def read_conll_raw(path: Path) -> tuple[list[tuple[list[str], list[str]]], Counter]:
    """(tokens, tags as written) per sentence of a CoNLL file, and its lines without a token and
    a tag, counted (published corpora hold a few: an empty token); nothing is dropped silently."""
    sentences: list[tuple[list[str], list[str]]] = []
    malformed: Counter = Counter()
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
        if len(cols) < 2:
            malformed["<line without token and tag>"] += 1
            continue
        words.append(cols[0])
        tags.append(cols[-1])
    if words:
        sentences.append((words, tags))
    return sentences, malformed
