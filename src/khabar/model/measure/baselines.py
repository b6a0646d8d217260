"""Classical baselines trained on the same splits as the transformer: a CRF entity tagger
(sklearn-crfsuite; word, affix and context features) and a TF-IDF + logistic-regression
multi-label event classifier (scikit-learn) with a decision threshold tuned on validation."""

from __future__ import annotations

import pickle
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from khabar.annotations.rules import prelabel
from khabar.model.measure.evaluation import tune_threshold
from khabar.schema import Schema
from khabar.spans import Span, match_phrases, word_span


def _shape(word: str) -> str:
    """Coarse character classes: Devanagari letters 'd', Latin 'X'/'x', digits '0', other kept."""
    out = []
    for ch in word:
        if "\u0900" <= ch <= "\u097f":
            c = "d"
        elif ch.isdigit():
            c = "0"
        elif ch.isalpha():
            c = "X" if ch.isupper() else "x"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _word_features(word: str, prefix: str) -> dict:
    return {
        f"{prefix}w": word.lower(),
        f"{prefix}suf2": word[-2:],
        f"{prefix}suf3": word[-3:],
        f"{prefix}shape": _shape(word),
    }


def crf_features(tokens: Sequence[str]) -> list[dict]:
    """Features of each token: the word, affixes (Hindi inflects at the end, names have vowel-sign
    endings), shape, and the words around it (postpositions after a name are strong cues)."""
    feats = []
    for i, w in enumerate(tokens):
        f = {
            "bias": 1.0,
            "pre1": w[:1],
            "pre2": w[:2],
            "pre3": w[:3],
            "suf1": w[-1:],
            "len": min(len(w), 8),
            "digit": w.isdigit(),
            "title": w[:1].isupper(),
            "punct": all(unicodedata.category(c)[0] in "PS" for c in w),
            "handle": w[:1] in "@#",
        } | _word_features(w, "")
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < len(tokens):
                f |= _word_features(tokens[j], f"{off:+d}:")
            else:
                f[f"{off:+d}:pad"] = True
        feats.append(f)
    return feats


@dataclass
class CrfTagger:
    """CRF over BIO tags (L-BFGS with L1 + L2 regularisation)."""

    c1: float = 0.05
    c2: float = 0.05
    max_iterations: int = 200
    model: object = None

    def fit(self, tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> CrfTagger:
        """Train on tokenised sentences and their BIO tags."""
        import sklearn_crfsuite

        self.model = sklearn_crfsuite.CRF(
            algorithm="lbfgs", c1=self.c1, c2=self.c2, max_iterations=self.max_iterations,
            all_possible_transitions=True,
        )  # fmt: skip
        self.model.fit([crf_features(t) for t in tokens], [list(t) for t in tags])
        return self

    def predict(self, tokens: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO tags for each tokenised sentence."""
        return [list(t) for t in self.model.predict([crf_features(t) for t in tokens])]


@dataclass
class TfidfEvents:
    """One-vs-rest logistic regression on word and character n-gram TF-IDF of a sentence."""

    labels: list[str] = field(default_factory=list)
    threshold: float = 0.5
    vectorizer: object = None
    models: dict = field(default_factory=dict)

    def fit(self, texts: Sequence[str], events: Sequence[Sequence[str]],
            val_texts: Sequence[str] = (), val_events: Sequence[Sequence[str]] = ()):  # fmt: skip
        """Train; with validation data, pick the decision threshold that maximises micro-F1."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        self.vectorizer = FeatureUnion([
            ("words", TfidfVectorizer(token_pattern=r"[^\s।,.!?'\"‘’“”()]+", sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        ])  # fmt: skip
        x = self.vectorizer.fit_transform(list(texts))
        self.models = {}
        for label in self.labels:
            y = [label in ev for ev in events]
            if any(y) and not all(y):  # a type never (or always) seen cannot be learnt
                self.models[label] = LogisticRegression(max_iter=2000, class_weight="balanced").fit(
                    x, y
                )
        if val_texts:
            self.threshold = tune_threshold(self.proba(val_texts), val_events, self.labels)
        return self

    def proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Probability of each event type per text (0 for types the model never learnt)."""
        x = self.vectorizer.transform(list(texts))
        cols = {lab: m.predict_proba(x)[:, 1] for lab, m in self.models.items()}
        return [{lab: float(cols[lab][i]) if lab in cols else 0.0 for lab in self.labels}
                for i in range(x.shape[0])]  # fmt: skip

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """Event types above the threshold, per text."""
        return [[lab for lab in self.labels if p[lab] >= self.threshold] for p in self.proba(texts)]


def lexicon_triggers(text: str, offsets: Sequence[tuple[int, int]], schema: Schema) -> list[Span]:
    """Triggers of one sentence by the schema's trigger words, exactly as the rule pre-annotator
    finds them (whole tokens, longest match), in word positions."""
    out = []
    for r in prelabel(text, schema, {}):
        at = word_span([s for s, _ in offsets], [e for _, e in offsets], r.start, r.end)
        if r.is_trigger and at is not None:
            out.append(Span(at[0], at[1], r.label, r.text))
    return out


@dataclass
class TriggerLexicon:
    """Trigger words learnt from the training split: each word sequence annotated as a trigger,
    with the event type it had most often; matched whole-word, longest first."""

    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)

    def fit(self, words: Sequence[Sequence[str]],
            triggers: Sequence[Sequence[Span]]) -> TriggerLexicon:  # fmt: skip
        """Collect the training split's trigger phrases."""
        from collections import Counter

        seen: dict[tuple[str, ...], Counter] = {}
        for ws, trigs in zip(words, triggers, strict=True):
            for t in trigs:
                seen.setdefault(tuple(ws[t.start : t.end]), Counter())[t.label] += 1
        self.phrases = {p: c.most_common(1)[0][0] for p, c in seen.items()}
        return self

    def predict(self, words: Sequence[str]) -> list[Span]:
        """Triggers of one sentence, in word positions."""
        return match_phrases(words, self.phrases)


# The nearest-entity heuristic: which entity types each role takes (the rule; the schema
# allows more, e.g. an organisation as a place, which a heuristic cannot tell apart).
NEAREST_ROLES = {"participant": ("PER", "ORG"), "place": ("LOC",), "time": ("DATE",),
                 "topic": ("EVENT",)}  # fmt: skip


def nearest_arguments(triggers: Sequence[Span], entities: Sequence[Span],
                      roles: Sequence[str]) -> list[tuple[int, int, str]]:  # fmt: skip
    """For every trigger and role, the nearest entity of a type that role takes (in words,
    0 when they overlap; ties go to the earlier entity): (trigger index, entity index, role)."""
    out = []
    for ti, t in enumerate(triggers):
        for role in roles:
            fits = [
                (max(e.start - t.end + 1, t.start - e.end + 1, 0), e.start, ei)
                for ei, e in enumerate(entities)
                if e.label in NEAREST_ROLES.get(role, ())
            ]
            if fits:
                out.append((ti, min(fits)[2], role))
    return out


def save(model, path: Path) -> None:
    """Pickle a trained baseline (both are plain scikit-learn-style objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))


def load(path: Path):
    """Load a baseline saved by `save` (only load files you made: pickle runs code)."""
    return pickle.loads(Path(path).read_bytes())
