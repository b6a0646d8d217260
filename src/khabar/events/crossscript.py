"""One name in two scripts: Latin spellings, handles and Devanagari acronyms matched to the
Devanagari names of the same entity type.

- Devanagari is romanised with indic-transliteration (ITRANS; MIT-licensed and small, where
  aksharamukha's readable romanisation is AGPL and pulls lxml, fonttools and pykakasi), then
  read as Hindi is spoken: a word's final inherent "a" is dropped (पुतिन -> putin), anusvara
  is n (or m before p/b/m) and long vowels are short. Latin is folded the same way (ee -> i,
  w -> v, a final y -> i), so both sides meet in one rough phonetic spelling.
- Handles lose the @ and split at capitals (DrSJaishankar -> Dr S Jaishankar); a handle in one
  piece is compared with the names' spellings without spaces (narendramodi).
- An acronym spelled in Devanagari letter names (एससीओ = S-C-O) is matched to the ORG name the
  text defines it by ("शंघाई सहयोग संगठन (एससीओ)"), else, as a weaker hint, to an ORG name whose
  romanised initials spell it.

`Matcher` scores a spelling against the names of the other script (rapidfuzz's normalised Indel
similarity, 0-1); `names.Canonicaliser` merges above `AUTO` and suggests above `SUGGEST`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

# Set on the sample's gold names (`make bench-names`): the 8 Latin names and handles scored
# 0.92-1.0 against their Devanagari names, the best wrong candidate 0.63 (@narendramodi ~
# अरिंदम बागची).
AUTO = 0.85
SUGGEST = 0.7
DEFINED = 1.0  # an acronym the text defines right after the name
INITIALS = 0.75  # an acronym matching a name's initials, without a definition: a suggestion

_LATIN = re.compile(r"[A-Za-z]")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# English letter names as Hindi writes them (एस = S), longest first for a greedy parse.
LETTER_NAMES = {
    "डब्ल्यू": "W", "क्यू": "Q", "एक्स": "X", "वाई": "Y", "जेड": "Z", "एच": "H", "आई": "I",
    "बी": "B", "सी": "C", "डी": "D", "एफ": "F", "जी": "G", "जे": "J", "के": "K", "एल": "L",
    "एम": "M", "एन": "N", "पी": "P", "आर": "R", "एस": "S", "टी": "T", "यू": "U", "वी": "V",
    "ए": "A", "ई": "E", "ओ": "O",
}  # fmt: skip
_LETTERS = re.compile("|".join(sorted(LETTER_NAMES, key=len, reverse=True)))


def is_latin(text: str) -> bool:
    """Whether a spelling is written in Latin letters (a name or a handle), not Devanagari."""
    return bool(_LATIN.search(text)) and not _DEVANAGARI.search(text)


def acronym_letters(text: str) -> str | None:
    """The Latin letters a Devanagari acronym spells (एससीओ -> SCO; hyphens kept out), or
    None when the text is not made of letter names alone."""
    s = re.sub(r"[\s.\-]", "", text)
    if not s or not _DEVANAGARI.search(s):
        return None
    out, i = [], 0
    while i < len(s):
        m = _LETTERS.match(s, i)
        if not m:
            return None
        out.append(LETTER_NAMES[m.group(0)])
        i = m.end()
    return "".join(out) if len(out) >= 2 else None


# One akshara: a consonant cluster with its vowel sign (or virama), or an independent vowel;
# anusvara, chandrabindu and visarga ride along.
_AKSHARA = re.compile(
    r"(?P<c>[\u0915-\u0939\u0958-\u095F]\u093C?(?:\u094D[\u0915-\u0939\u0958-\u095F]\u093C?)*)"
    r"(?P<v>[\u093E-\u094C\u0962\u0963\u094D]?)[\u0901-\u0903]*"
    r"|[\u0904-\u0914][\u0901-\u0903]*|."
)
_VIRAMA = "\u094d"


def schwa_deleted(word: str) -> str:
    """A Devanagari word with the inherent vowels Hindi does not pronounce marked by a virama
    (Ohala's rule: the last one after a single consonant, and a -> ∅ / VC_CV from the left),
    so that transliteration reads पुतिन as putin and क्रेमलिन as kremlin."""
    units = [m for m in _AKSHARA.finditer(word)]
    # (has a consonant, a single consonant, the vowel is the inherent one)
    info = [(m.group("c") is not None, m.group("c") is not None and _VIRAMA not in m.group("c"),
             m.group("c") is not None and not m.group("v")) for m in units]  # fmt: skip
    drop = set()
    if len(units) > 1 and info[-1][1] and info[-1][2]:
        drop.add(len(units) - 1)
    i = 1
    while i < len(units) - 1:
        prev_vowel = i - 1 not in drop and (not info[i - 1][0] or units[i - 1].group("v") !=
                                            _VIRAMA)  # fmt: skip
        nxt = i + 1
        next_cv = info[nxt][1] and nxt not in drop and units[nxt].group("v") != _VIRAMA
        if info[i][1] and info[i][2] and prev_vowel and next_cv:
            drop.add(i)
            i += 2
        else:
            i += 1
    out = []
    for k, m in enumerate(units):
        text = m.group(0)
        if k in drop:  # the virama goes after the consonant, before any anusvara
            c = m.group("c")
            text = c + _VIRAMA + text[len(c) :]
        out.append(text)
    return "".join(out)


@lru_cache(maxsize=8192)
def romanise(word: str) -> str:
    """One Devanagari word in the rough phonetic Latin both scripts are compared in."""
    from indic_transliteration import sanscript

    s = sanscript.transliterate(schwa_deleted(word), sanscript.DEVANAGARI, sanscript.ITRANS)
    s = re.sub(r"M(?=[pbm])", "m", s).replace("M", "n").replace(".N", "n").replace(".n", "n")
    return fold(s)


_FOLDS = [("aa", "a"), ("ee", "i"), ("ii", "i"), ("oo", "u"), ("uu", "u"), ("w", "v"),
          ("ou", "au"), ("ph", "f"), ("sh", "s"), ("z", "j"), ("q", "k"), ("x", "ks"),
          ("c(?!h)", "k"), ("y\\b", "i"), ("ay(?![aeiou])", "ai"), ("[^a-z ]", "")]  # fmt: skip


def fold(text: str) -> str:
    """Latin folded as Hindi names are romanised: lower case, long vowels short."""
    s = text.lower()
    for a, b in _FOLDS:
        s = re.sub(a, b, s)
    return re.sub(r"\s+", " ", s).strip()


def phonetic(words: list[str]) -> str:
    """A name's words (already keyed: no honorifics or initials) in one script-free spelling."""
    return _phonetic(tuple(words))


@lru_cache(maxsize=65536)
def _phonetic(words: tuple[str, ...]) -> str:
    return " ".join(romanise(w) if _DEVANAGARI.search(w) else fold(w) for w in words)


def handle_words(handle: str) -> list[str]:
    """A handle split at its capitals: @DrSJaishankar -> Dr, S, Jaishankar."""
    s = handle.lstrip("@").replace("_", " ")
    return re.findall(r"[A-Z][a-z]+|[A-Z](?![a-z])|[a-z]+|\d+", s) or [s]


@dataclass
class Matcher:
    """The names of one type in one script, in their phonetic spelling, for many queries from
    the other script: each query is scored against all of them at once (rapidfuzz's cdist, in
    C), as the whole name, a lone word against a longer name's first or last word, and a handle
    without spaces."""

    canons: list[str] = field(default_factory=list)
    whole: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)

    def add(self, canon: str, words: list[str]) -> None:
        """One spelling (keyed words) of a canonical name."""
        p = phonetic(words)
        if p:
            self.canons.append(canon)
            self.whole.append(p)
            self.first.append(p.split()[0])
            self.last.append(p.split()[-1])

    def best(self, words: list[str], handle: bool = False) -> list[tuple[float, str]]:
        """(score, canonical name) of the two best names, best first, each name once."""
        from rapidfuzz.distance import Indel
        from rapidfuzz.process import cdist

        q = phonetic(words)
        if not q or not self.canons:
            return []
        sim = Indel.normalized_similarity
        scores = cdist([q], self.whole, scorer=sim)[0]
        if len(words) == 1:
            for part in (self.first, self.last):
                scores = np.maximum(scores, cdist([q], part, scorer=sim)[0])
        if handle:
            flat = [w.replace(" ", "") for w in self.whole]
            scores = np.maximum(scores, cdist([q.replace(" ", "")], flat, scorer=sim)[0])
        out: list[tuple[float, str]] = []
        for i in np.argsort(-scores, kind="stable"):
            if all(c != self.canons[i] for _, c in out):
                out.append((float(scores[i]), self.canons[i]))
                if len(out) == 2:
                    break
        return out


def defined_acronyms(texts, acronyms: set[str], names: set[str]) -> dict[str, str]:
    """Acronym -> the name the text defines it by, "<name> (<acronym>)" (शंघाई सहयोग संगठन
    (एससीओ)): one pass over the texts, looking behind each bracket for the longest known name."""
    found: dict[str, str] = {}
    longest = max(map(len, names), default=0)
    for text in texts:
        for m in re.finditer(r"\(([^()]{2,30})\)", text):
            acr = m.group(1).strip()
            if acr not in acronyms or acr in found:
                continue
            before = text[max(0, m.start() - longest - 2) : m.start()].rstrip()
            hit = [n for n in names if before.endswith(n) and n != acr]
            if hit:
                found[acr] = max(hit, key=len)
    return found


def is_acronym(text: str) -> bool:
    """Letter names (एससीओ) or Latin capitals (SCO, IRIGC-TEC)."""
    return bool(acronym_letters(text) or re.fullmatch(r"[A-Z][A-Z0-9\-]+", text))


def initials(words: list[str]) -> str:
    """The initials of a name's romanised words, upper case (hyphens split words)."""
    parts = [p for w in words for p in re.split(r"[-]", w) if p]
    return "".join(phonetic([p])[:1] for p in parts).upper()
