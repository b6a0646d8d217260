"""Pure conversions between character spans, tokens and BIO tags, with exact offsets.

All offsets are Python string indices (Unicode code points) into NFC text. JavaScript tools count
in UTF-16 code units instead (older Label Studio editors did; 1.23 stores code points), which
differ after any character outside the Basic Multilingual Plane (emoji): `utf16_to_index`
converts such offsets back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

# Order matters: the first alternative that matches at a position wins.
_TOKEN_RE = regex.compile(
    r"""
      https?://\S+[\w/]                       # URLs (trailing punctuation stays outside)
    | pic\.twitter\.com/\w+
    | [@\#][\p{L}\p{M}\p{N}_]+                # handles and hashtags
    | (?>\p{N}+(?:[.,]\p{N}+)*)(?![\p{L}\p{M}])  # numbers; '-' and ':' split (17-18, 7:43)
    | [\p{L}\p{M}\p{N}_\u200c\u200d]+         # words: letters with their vowel signs and viramas
    | (?!\s)\X                                # else one grapheme (danda, quote, emoji); never a
                                              # space with a stray vowel sign after it (hypothesis)
    """,
    regex.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """A token with its [start, end) character offsets in the text it came from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    """A labelled character span [start, end) of a text."""

    start: int
    end: int
    label: str
    text: str = ""
    id: str = ""


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split Hindi news text into tokens that keep exact character offsets.

    Danda and punctuation are their own tokens and hyphenated compounds split (भारत-रूस → भारत, -,
    रूस) so each part can carry its own span. `offset` is added to every offset.
    """
    return [
        Token(m.group(), m.start() + offset, m.end() + offset)
        for m in _TOKEN_RE.finditer(text)
        if not m.group().isspace()
    ]


def spans_to_bio(tokens: Sequence[Token], spans: Iterable[Span]) -> tuple[list[str], list[str]]:
    """Tag tokens with BIO labels from spans; return (tags, warnings).

    A token belongs to a span when it overlaps it. Spans are applied longest first so an entity
    nested inside another keeps the outer one's tags; a span that crosses one already tagged is
    skipped with a warning, and so is a span covering no token.
    """
    tags = ["O"] * len(tokens)
    warnings: list[str] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        idx = [i for i, t in enumerate(tokens) if t.start < span.end and t.end > span.start]
        if not idx:
            warnings.append(f"span {span.start}-{span.end} {span.label} covers no token")
            continue
        if any(tags[i] != "O" for i in idx):
            inside_one = all(tags[i] != "O" for i in idx)
            if not inside_one:
                warnings.append(
                    f"span {span.start}-{span.end} {span.label} crosses another entity; "
                    "left out of ner_tags"
                )
            continue
        first, last = tokens[idx[0]], tokens[idx[-1]]
        if first.start != span.start or last.end != span.end:
            warnings.append(
                f"span {span.start}-{span.end} {span.label} does not start and end on token "
                f"boundaries; tagged on tokens {first.start}-{last.end}"
            )
        for n, i in enumerate(idx):
            tags[i] = ("B-" if n == 0 else "I-") + span.label
    return tags, warnings


def bio_to_spans(tokens: Sequence[Token], tags: Sequence[str], text: str = "", base: int = 0):
    """Turn BIO tags back into character spans (an I- after O or another type starts a span).

    `text` (with `base`, the offset of text[0] in the tokens' coordinates) fills Span.text.
    """
    spans: list[Span] = []
    start = end = None
    label = None
    for tok, tag in zip(tokens, tags, strict=True):
        prefix, _, typ = tag.partition("-")
        continues = prefix == "I" and typ == label and start is not None
        if start is not None and not continues:
            spans.append(Span(start, end, label, text[start - base : end - base] if text else ""))
            start = label = None
        if prefix in ("B", "I") and not continues:
            start, label = tok.start, typ
        if prefix in ("B", "I"):
            end = tok.end
    if start is not None:
        spans.append(Span(start, end, label, text[start - base : end - base] if text else ""))
    return spans


def word_span(
    starts: Sequence[int], ends: Sequence[int], start: int, end: int
) -> tuple[int, int] | None:
    """The words [i, j) a character span [start, end) covers (any overlap), given each word's
    start and end offsets; None when it covers none."""
    idx = [i for i, (s, e) in enumerate(zip(starts, ends, strict=True)) if s < end and e > start]
    return (idx[0], idx[-1] + 1) if idx else None


def tags_of(spans: Iterable[Span], n: int) -> list[str]:
    """BIO tags of `n` words from non-overlapping spans in word positions."""
    tags = ["O"] * n
    for s in spans:
        for i in range(s.start, s.end):
            tags[i] = ("B-" if i == s.start else "I-") + s.label
    return tags


def match_phrases(words: Sequence[str], phrases: dict[tuple[str, ...], str]) -> list[Span]:
    """Labelled spans (word positions) where a phrase (a tuple of words) occurs in `words`:
    whole words only, longest phrase first, never overlapping one already found."""
    at: dict[str, list[int]] = {}  # where each word occurs: a phrase is tried only there
    for i, w in enumerate(words):
        at.setdefault(w, []).append(i)
    out, taken = [], set()
    for p in sorted((p for p in phrases if p and p[0] in at), key=lambda x: (-len(x), x)):
        for i in at[p[0]]:
            span = set(range(i, i + len(p)))
            if tuple(words[i : i + len(p)]) == p and not taken & span:
                taken |= span
                out.append(Span(i, i + len(p), phrases[p], " ".join(p)))
    return sorted(out, key=lambda s: s.start)


def bio_allowed(prev: str, tag: str) -> bool:
    """Whether `tag` may follow `prev` in BIO: I-X only continues B-X or I-X."""
    return not tag.startswith("I-") or prev[2:] == tag[2:] and prev != "O"


@functools.lru_cache(maxsize=64)
def _bio_transitions(labels: tuple[str, ...]):
    """Viterbi's start scores and [previous, next] transition scores of a label inventory:
    0 where BIO allows the step, -inf where not (built once per inventory, not per sentence)."""
    import numpy as np

    allowed = np.array([[bio_allowed(p, t) for t in labels] for p in labels])
    start = np.array([0.0 if bio_allowed("O", t) else -np.inf for t in labels])
    return start, np.where(allowed, 0.0, -np.inf)


def bio_decode(probs: Sequence[Sequence[float]], labels: Sequence[str]) -> list[int]:
    """The most probable label sequence (label indices) that is valid BIO, from each word's
    probability over `labels`: Viterbi over log-probabilities, so a tagger's stray I-X after O,
    or I-X after B-Y, becomes the best valid reading instead of a broken span."""
    import numpy as np

    if not len(probs):
        return []
    log = np.log(np.maximum(np.asarray(probs, dtype=np.float64), 1e-12))
    start, trans = _bio_transitions(tuple(labels))
    best, back = start + log[0], []
    for row in log[1:]:
        scores = best[:, None] + trans
        back.append(scores.argmax(0))
        best = scores.max(0) + row
    path = [int(best.argmax())]
    for prev in reversed(back):
        path.append(int(prev[path[-1]]))
    return path[::-1]


def utf16_to_index(text: str, utf16_offset: int) -> int:
    """Convert a UTF-16 code-unit offset (JavaScript's) into a Python string index."""
    units = 0
    for i, ch in enumerate(text):
        if units >= utf16_offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def has_astral(text: str) -> bool:
    """Whether any character lies outside the Basic Multilingual Plane (JS counts it twice)."""
    return any(ord(ch) > 0xFFFF for ch in text)


def sentence_of(sentences: Sequence[Sequence[int]], start: int, end: int) -> int | None:
    """Index of the sentence [s, e) containing [start, end), or None if it spans several."""
    for i, (s, e) in enumerate(sentences):
        if s <= start and end <= e:
            return i
    return None


def word_windows(
    lengths: Sequence[int], budget: int, overlap: int
) -> list[tuple[int, int, int, int]]:
    """Cut a word sequence into windows of at most `budget` sub-tokens that overlap by about
    `overlap` sub-tokens, so nothing is truncated; return (start, end, own_start, own_end) per
    window in word indices.

    `lengths` is each word's sub-token count. Each word is owned by exactly one window, the one
    where it sits furthest from an edge (overlaps split at their middle), so a prediction for it is
    taken once, with context on both sides. A single word longer than `budget` gets a window of its
    own (its first sub-token, the one that carries its label, always fits).
    """
    n = len(lengths)
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n or not spans:
        end, used = start, 0
        while end < n and (end == start or used + lengths[end] <= budget):
            used += lengths[end]
            end += 1
        spans.append((start, end))
        if end >= n:
            break
        nxt, back = end, 0
        while nxt - 1 > start and back + lengths[nxt - 1] <= overlap:
            nxt -= 1
            back += lengths[nxt]
        start = nxt
    out = []
    for k, (s, e) in enumerate(spans):
        own_s = 0 if k == 0 else (s + spans[k - 1][1]) // 2
        own_e = n if k == len(spans) - 1 else (spans[k + 1][0] + e) // 2
        out.append((s, e, own_s, own_e))
    return out
