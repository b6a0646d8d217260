"""One canonical entity for the many spellings of a person, place or organisation.

Two spellings are merged when they reduce to the same key (honorifics, initials, dots, case-marker
remnants and nukta dropped; ॉ read as ा, ँ as ं), when one is a single name that is the first or
last name of exactly one longer name of a person (जयशंकर -> एस जयशंकर), or when their keys
differ by one letter and are long enough for that to be a spelling slip (कजाखिस्तान / कजाकिस्तान).
Across scripts (`crossscript`): a Latin name or handle that sounds like a Devanagari name of the
same type (Putin -> पुतिन, @narendramodi -> नरेंद्र मोदी), or an acronym the text defines
(एससीओ -> शंघाई सहयोग संगठन), is merged when its score reaches `crossscript.AUTO`; a weaker
match is written into the file as a commented suggestion that a person accepts by uncommenting.

The merge is written to a reviewable alias file (annotation/aliases.yaml): per entity type, each
canonical name with its spellings. A person corrects it by moving a spelling to another entry or
to an entry of its own, or by adding one (across scripts: Putin under व्लादिमीर पुतिन). Later runs
keep every spelling the file lists where the file puts it, and only add spellings they have not
seen.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from khabar.events import crossscript as xs
from khabar.io import write_if_changed

HONORIFICS = frozenset(
    "डॉ डॉक्टर श्री श्रीमती सुश्री श्रीमान प्रो प्रोफेसर जनाब मि Dr Mr Mrs Ms Shri".split()
)
# Trailing postpositions left on a span by a careless annotator or tagger (guidelines §1.1).
CASE_MARKERS = frozenset("ने से के की को में का पर तक".split())
MERGEABLE = ("PER", "ORG", "LOC")
ALIAS_HEADER = """\
# Canonical entities and the spellings merged into them, per entity type. Written by
# `khabar events`; review it: move a spelling to another entry (or give it an entry of its own)
# to undo a wrong merge, or add a spelling to merge what khabar missed (other scripts, acronyms).
# Later runs keep every spelling where this file puts it and add only spellings they have not seen
# (rewriting the file, so comments other than this header are not kept). Lines "# - spelling"
# are khabar's suggestions (other scripts, acronyms): uncomment one to accept the merge.
"""


@lru_cache(maxsize=65536)
def key(name: str) -> str:
    """The spelling-independent key of a name."""
    s = unicodedata.normalize("NFC", name).replace("\u093c", "")  # nukta
    s = s.replace("ॉ", "ा").replace("ँ", "ं").replace("ऑ", "आ").lstrip("@")
    words = [w for w in re.split(r"[\s.\-]+", s) if w]
    words = [w for w in words if w not in HONORIFICS and w.rstrip(".") not in HONORIFICS]
    while len(words) > 1 and words[-1] in CASE_MARKERS:
        words.pop()
    # Initials: a lone letter (एस, S) before the name, with or without its dot.
    while len(words) > 1 and (len(words[0]) <= 2 or re.fullmatch(r"[A-Z]", words[0])):
        words.pop(0)
    return " ".join(words).lower()


def _rank(text: str, count: int) -> tuple:
    """Which spelling comes first: more of a name, then the fuller form without honorifics
    (एस जयशंकर before डॉ. एस. जयशंकर and जयशंकर), then the more frequent, then without dots."""
    words = [w for w in text.split() if w.rstrip(".") not in HONORIFICS]
    return (-len(key(text).split()), xs.is_latin(text) or text.startswith("@"), -len(words),
            -count, "." in text, text)  # fmt: skip


@dataclass
class Aliases:
    """Canonical names and their spellings, per entity type."""

    entries: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # type -> canon -> [..]
    # (type, spelling) -> canonical name: every mention is looked up, so not by a scan of the
    # file. A spelling listed under a name wins over an entry of its own (an accepted suggestion
    # leaves both); otherwise the first entry wins, as in the file's order; `add` keeps it.
    _where: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for listed in (True, False):
            for label, canons in self.entries.items():
                for canon, spellings in canons.items():
                    for text in spellings if listed else (canon,):
                        self._where.setdefault((label, text), canon)
        for label, canons in self.entries.items():  # an own entry now listed elsewhere goes
            for canon in [c for c, s in canons.items() if not s and self._where[(label, c)] != c]:
                del canons[canon]

    def lookup(self, label: str, text: str) -> str | None:
        """The canonical name the file gives this spelling, if it lists it."""
        return self._where.get((label, text))

    def add(self, label: str, canon: str, text: str) -> None:
        """Record a spelling under a canonical name."""
        spellings = self.entries.setdefault(label, {}).setdefault(canon, [])
        if text != canon and text not in spellings:
            spellings.append(text)
        for t in (canon, text):
            self._where.setdefault((label, t), canon)


def read_aliases(path: Path) -> Aliases:
    """The alias file, or an empty one when it does not exist yet."""
    if not Path(path).is_file():
        return Aliases()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ValueError(f"{path} is not valid YAML{where}: fix it or delete it") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected entity types at the top level")
    return Aliases(
        {
            str(label): {str(c): [str(s) for s in (v or [])] for c, v in (canons or {}).items()}
            for label, canons in raw.items()
        }
    )


def write_aliases(aliases: Aliases, path: Path, suggestions: list[Suggestion] = ()) -> bool:
    """Write the alias file, sorted, each suggestion a commented spelling under its name (a
    rerun that adds nothing leaves it as it is)."""
    hints: dict[tuple[str, str], list[Suggestion]] = {}
    for sg in suggestions:
        hints.setdefault((sg.label, sg.canon), []).append(sg)
    lines = [ALIAS_HEADER.rstrip("\n")]
    for label in sorted(aliases.entries):
        lines.append(f"{label}:")
        for c in sorted(aliases.entries[label]):
            spellings, mine = sorted(aliases.entries[label][c]), hints.get((label, c), [])
            # An entry with suggestions and no spellings is left empty (null, read as none), so
            # an uncommented "- spelling" under it is valid YAML.
            body = {c: spellings} if spellings or not mine else {c: None}
            entry = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)
            lines += ["  " + x for x in entry.rstrip("\n").replace(": null", ":").splitlines()]
            for sg in sorted(mine, key=lambda x: (-x.score, x.text)):
                item = yaml.safe_dump([sg.text], allow_unicode=True, width=100).strip()
                lines.append(f"  # {item}  # suggested: {sg.why} ({sg.score:.2f})")
    return write_if_changed(Path(path), "\n".join(lines) + "\n")


@dataclass(frozen=True)
class Suggestion:
    """A merge khabar proposes but does not make: `text` may be a spelling of `canon`."""

    label: str
    canon: str
    text: str
    score: float
    why: str


@dataclass
class KeyIndex:
    """The keys of a type's spellings, each looked up without a scan of every name: equal keys,
    lone first or last names, and keys one letter apart (rapidfuzz, all at once)."""

    order: dict[str, int] = field(default_factory=dict)  # canonical name -> place in the file
    by_key: dict[str, set[str]] = field(default_factory=dict)
    by_part: dict[str, set[str]] = field(default_factory=dict)  # first/last word of longer keys
    long_keys: list[str] = field(default_factory=list)  # keys of 5 letters or more, and
    long_canons: list[str] = field(default_factory=list)  # their canonical names

    def add(self, canon: str, k: str) -> None:
        """One key of a canonical name's spellings."""
        self.order.setdefault(canon, len(self.order))
        if canon in self.by_key.setdefault(k, set()):
            return
        self.by_key[k].add(canon)
        if " " in k:
            for part in {k.split()[0], k.split()[-1]}:
                self.by_part.setdefault(part, set()).add(canon)
        if len(k) >= 5:
            self.long_keys.append(k)
            self.long_canons.append(canon)

    def same(self, k: str) -> str | None:
        """The first canonical name (in the file's order) with a spelling of this key."""
        return min(self.by_key.get(k, ()), key=self.order.__getitem__, default=None)

    def near(self, k: str) -> set[str]:
        """The canonical names with a key at most one letter from `k` (both 5 letters or more)."""
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import cdist

        if not self.long_keys:
            return set()
        dist = cdist([k], self.long_keys, scorer=Levenshtein.distance, score_cutoff=1)[0]
        return {self.long_canons[i] for i in (dist <= 1).nonzero()[0]}


def _matchable(text: str) -> bool:
    """A name another script's spelling may be matched to (not a handle, not an acronym)."""
    return not text.startswith("@") and not xs.is_acronym(text)


@dataclass
class Canonicaliser:
    """Maps (entity type, spelling) to a canonical name, respecting and growing an alias file."""

    aliases: Aliases
    added: list[tuple[str, str, str]] = field(default_factory=list)  # (type, canon, spelling) new
    suggestions: list[Suggestion] = field(default_factory=list)  # merges left to a person
    # type -> the keys of every spelling, kept in step with `fit`: recomputed for every new
    # spelling, they took 7 of the 12 s of fitting 2,000 new names; scanned for every new
    # spelling, 20 of 21 s of fitting 5,000.
    _keys: dict[str, KeyIndex] = field(default_factory=dict, init=False, repr=False)
    _defined: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    # (type, Latin?) -> the spellings in that script a name in the other may match (no handles,
    # no acronyms), kept in step with `fit` like `_keys`.
    _script: dict[tuple[str, bool], xs.Matcher] = field(
        default_factory=dict, init=False, repr=False
    )

    def fit(self, mentions: Counter, texts: Iterable[str] = ()) -> None:
        """Place every spelling of `mentions` ((type, text) -> count) not yet in the alias file;
        `texts` (the articles') are searched for acronyms defined in brackets."""
        acronyms = {t for lab, t in mentions if xs.is_acronym(t)}
        if acronyms:
            self._defined = xs.defined_acronyms(texts, acronyms, {t for _, t in mentions})
        for label in sorted({lab for lab, _ in mentions}):
            if label not in MERGEABLE:
                continue
            texts_ = Counter({t: n for (lab, t), n in mentions.items() if lab == label})
            new = [t for t in texts_ if self.aliases.lookup(label, t) is None]
            # Longer names first, so a lone surname finds the full name it belongs to; the first
            # spelling of a name becomes its canonical one (Devanagari before Latin).
            for text in sorted(new, key=lambda t: _rank(t, texts_[t])):
                canon = self._match(label, text)
                if canon is None:
                    canon, score, _ = self._across(label, text)
                    canon = canon if score >= xs.AUTO else None
                canon = canon or text
                self.aliases.add(label, canon, text)
                self.added.append((label, canon, text))
                self._index(label).add(canon, key(canon))
                self._index(label).add(canon, key(text))
                if _matchable(text):
                    self._targets(label, xs.is_latin(text)).add(canon, key(text).split())
        self.suggestions = self._suggest()

    def _targets(self, label: str, latin: bool) -> xs.Matcher:
        """A type's names in one script that a name in the other may match."""
        if (label, latin) not in self._script:
            m = self._script[(label, latin)] = xs.Matcher()
            for c, spellings in self.aliases.entries.get(label, {}).items():
                for x in (c, *spellings):
                    if _matchable(x) and xs.is_latin(x) == latin:
                        m.add(c, key(x).split())
        return self._script[(label, latin)]

    def _suggest(self) -> list[Suggestion]:
        """A merge for every name standing alone whose best match in the other script (or the
        name its acronym stands for) scores between `SUGGEST` and where a new spelling merges."""
        out = []
        for label in MERGEABLE:
            for c, spellings in self.aliases.entries.get(label, {}).items():
                if spellings:
                    continue
                target, score, why = self._across(label, c)
                foreign = xs.is_latin(c) or xs.is_acronym(c)
                if not foreign and target and not self.aliases.entries[label][target]:
                    continue  # two names alone: the Latin one is suggested under the other
                if target and score >= xs.SUGGEST:
                    out.append(Suggestion(label, target, c, round(score, 2), why))
        return out

    def _across(self, label: str, text: str) -> tuple[str | None, float, str]:
        """The canonical name `text` most likely stands for in the other script, its score, and
        why; (None, 0, "") when nothing comes close or two names tie."""
        if xs.is_acronym(text):
            defined = self._defined.get(text)
            if defined and self.aliases.lookup(label, defined):
                return (
                    self.aliases.lookup(label, defined),
                    xs.DEFINED,
                    "the text puts it in brackets after this name",
                )
            letters = xs.acronym_letters(text) or text.replace("-", "")
            hits = [c for c, spellings in self.aliases.entries.get(label, {}).items()
                    if c != text and any(len(key(x).split()) > 1 and
                                         xs.initials(key(x).split()) == letters
                                         for x in (c, *spellings))]  # fmt: skip
            if len(hits) == 1:
                return hits[0], xs.INITIALS, f"the initials of «{hits[0]}»"
            return None, 0.0, ""
        latin = xs.is_latin(text)
        handle = text.startswith("@")
        words = key(" ".join(xs.handle_words(text))).split() if handle else key(text).split()
        scored = self._targets(label, not latin).best(words, handle)
        if not scored or (len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.02):
            return None, 0.0, ""
        score, c = scored[0]
        return c, score, f"sounds like «{c}»"

    def _index(self, label: str) -> KeyIndex:
        """A type's canonical names by the keys of their spellings, in the file's order."""
        if label not in self._keys:
            index = self._keys[label] = KeyIndex()
            for c, spellings in self.aliases.entries.get(label, {}).items():
                for x in (c, *spellings):
                    index.add(c, key(x))
        return self._keys[label]

    def _match(self, label: str, text: str) -> str | None:
        k = key(text)
        index = self._index(label)
        if same := index.same(k):
            return same
        if label == "PER" and " " not in k:  # a lone name: first or last name of one person
            part = index.by_part.get(k, set())
            if len(part) == 1:
                return next(iter(part))
        if len(k) >= 5:
            near = index.near(k)
            if len(near) == 1:
                return near.pop()
        return None

    def canonical(self, label: str, text: str) -> str:
        """The canonical name of a spelling (types that are never merged keep their text)."""
        return self.aliases.lookup(label, text) or text
