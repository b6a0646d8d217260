"""Benchmark: which article to annotate next, measured soundly and affordably (`make bench-al`).
An annotation simulation on HiNER part 1 (../shared/benchmarks; NER only).

- The pool: every training pseudo-article of HiNER part 1 (288 of 25 consecutive sentences);
  HiNER's gold stands in for the annotator. The score: entity micro-F1 (seqeval) on HiNER's
  held-out last 10 % (800 sentences), never used to choose anything.
- The learner (the fast one the grid can afford): the product's encoder (the default e5 base)
  computes every word's vector once (its first sub-token's last hidden state, as the joint
  model reads it); each round trains a softmax tagging head on the labelled words' vectors to
  convergence (full-batch L-BFGS, L2, so the same data give the same head whatever the seed),
  decoded as valid BIO (Viterbi). `scripts/bench_al.py` is the fine-tuning check.
- Cost: words annotated (entity mentions beside them). Rounds: a seed set of STEP articles
  drawn with the seed, then STEP articles a round chosen under the current head, up to
  --sentences sentences.
- Strategies (`khabar.model.infer.strategies`): random; least confidence (the queue's today);
  margin; total token entropy; MNLP (length-normalised, Shen et al. 2018); diversity
  (entropy-weighted k-means over the articles' mean word vectors).
- Seeds vary the draw (the seed set and random's order); the head, convex, has no seed to vary.
- The figure: the words a strategy needs to reach 95 % of the full-pool F1 (a head trained on
  all 288 articles), read off each seed's running-best curve (interpolated), and the saving
  against random's words with the same seed: mean ± std over seeds.

Writes models/benchmarks/bench-al.json and bench-al.png.

    python scripts/bench_al_grid.py [--seeds 1 2 3 4 5] [--sentences 2000]
        [--strategies random uncertainty margin entropy mnlp diversity]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import time
from pathlib import Path

import numpy as np
from benchkit import hiner_and_base, provenance
from tqdm import tqdm

from khabar.io import write_json
from khabar.model.infer.strategies import STRATEGIES, article_score, diverse_picks
from khabar.model.measure.evaluation import bio_entities, entity_scores
from khabar.model.net.inputs import encode
from khabar.spans import bio_decode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "models" / "benchmarks"
PER_ARTICLE = 25
STEP = 4  # articles: the seed set and each round (--step)
TARGET = 0.95  # of the full-pool F1


def word_vectors(base: Path, sentences: list[list[str]], cache: Path) -> list[np.ndarray]:
    """Each sentence's word vectors under the base encoder (cached beside the results)."""
    if cache.is_file():
        with np.load(cache) as z:
            flat, lengths = z["vectors"], z["lengths"]
        if len(lengths) == len(sentences):
            return np.split(flat, np.cumsum(lengths)[:-1])
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from khabar.model.net.heads import word_vectors as vectors_of

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=2).eval()
    out = []
    with torch.inference_mode():
        for lo in tqdm(range(0, len(sentences), 256), desc="word vectors", unit="chunk"):
            part = sentences[lo : lo + 256]
            out += [
                v.numpy()
                for v in vectors_of(
                    model, encode(tok, part, 128), [len(s) for s in part], tok.pad_token_id, 64
                )
            ]
    np.savez(cache, vectors=np.concatenate(out), lengths=np.array([len(v) for v in out]))
    return out


class Head:
    """A softmax tagging head on frozen word vectors, trained to convergence."""

    def __init__(self, x: np.ndarray, y: np.ndarray, n_tags: int, start: Head | None = None,
                 l2: float = 1e-4):  # fmt: skip
        import torch

        xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y).long()
        # From the previous round's head: the loss is convex, so the optimum is the same, and
        # L-BFGS gets there in a fraction of the steps.
        w0 = start.w.detach().clone() if start else torch.zeros(x.shape[1], n_tags)
        self.w = w0.requires_grad_(True)
        self.b = (start.b.detach().clone() if start else torch.zeros(n_tags)).requires_grad_(True)
        opt = torch.optim.LBFGS([self.w, self.b], max_iter=300, tolerance_grad=1e-6,
                                line_search_fn="strong_wolfe")  # fmt: skip

        def loss():
            opt.zero_grad()
            value = torch.nn.functional.cross_entropy(xt @ self.w + self.b, yt) + l2 * (
                self.w**2).sum()  # fmt: skip
            value.backward()
            return value

        opt.step(loss)

    def probs(self, x: np.ndarray) -> np.ndarray:
        """Tag probabilities of each row of `x`."""
        import torch

        with torch.no_grad():
            return torch.softmax(torch.from_numpy(x).float() @ self.w + self.b, -1).numpy()


def train_head(vecs: list[np.ndarray], tags: list[list[str]], labels: list[str],
               start: Head | None = None) -> Head:  # fmt: skip
    ids = {t: i for i, t in enumerate(labels)}
    return Head(np.concatenate(vecs), np.array([ids[t] for s in tags for t in s]), len(labels),
                start)  # fmt: skip


def sentence_probs(head: Head, vecs: list[np.ndarray]) -> list[np.ndarray]:
    lengths = [len(v) for v in vecs]
    return np.split(head.probs(np.concatenate(vecs)), np.cumsum(lengths)[:-1])


def f1_of(head: Head, vecs: list[np.ndarray], gold: list[list[str]], labels: list[str]) -> float:
    pred = [[labels[j] for j in bio_decode(p, labels)] for p in sentence_probs(head, vecs)]
    return entity_scores(gold, pred)["overall"]["f1"]


def simulate(strategy: str, seed: int, arts: list[list[int]], vecs, tags, held, labels,
             max_sentences: int, art_vecs: np.ndarray) -> list[dict]:  # fmt: skip
    """One annotation run: F1 and cost after every round."""
    rng = random.Random(seed)
    labelled = rng.sample(range(len(arts)), STEP)  # the same seed set for every strategy
    curve, head = [], None
    while True:
        rows = [k for a in labelled for k in arts[a]]
        head = train_head([vecs[k] for k in rows], [tags[k] for k in rows], labels, head)
        curve.append({"articles": len(labelled), "sentences": len(rows),
                      "words": sum(len(tags[k]) for k in rows),
                      "mentions": sum(len(bio_entities(tags[k])) for k in rows),
                      "f1": f1_of(head, held[0], held[1], labels)})  # fmt: skip
        left = [a for a in range(len(arts)) if a not in set(labelled)]
        if len(rows) >= max_sentences or len(left) < STEP:
            return curve
        labelled += choose(strategy, head, left, arts, vecs, labels, rng, seed, art_vecs)


def choose(strategy: str, head: Head, left: list[int], arts, vecs, labels, rng, seed: int,
           art_vecs: np.ndarray) -> list[int]:  # fmt: skip
    if strategy == "random":
        return rng.sample(left, STEP)
    probs = sentence_probs(head, [vecs[k] for a in left for k in arts[a]])
    it = iter(probs)
    score = {a: article_score([next(it) for _ in arts[a]], labels, strategy) for a in left}
    order = sorted(left, key=lambda a: -score[a])
    if strategy == "diversity":
        return diverse_picks(order, art_vecs[left], STEP, seed)
    return order[:STEP]


_DATA: dict = {}  # the pool, set once before the workers fork


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # two runs at once beat two threads for one on 2 cores


def _simulate(task: tuple[str, int]) -> list[dict]:
    s, seed = task
    d = _DATA
    return simulate(s, seed, d["arts"], d["vecs"], d["tags"], d["held"], d["labels"],
                    d["max_sentences"], d["art_vecs"])  # fmt: skip


def words_to_reach(curve: list[dict], target: float) -> float | None:
    """Words at which the running-best F1 first reaches `target` (linear between rounds)."""
    best, prev = -1.0, None
    for p in curve:
        f = max(best, p["f1"])
        if f >= target:
            if prev is None or best < 0:
                return float(p["words"])
            w0, f0 = prev
            return w0 + (target - f0) / (f - f0) * (p["words"] - w0)
        best, prev = f, (p["words"], f)
    return None


def summarise(result: dict) -> None:
    """Per strategy: words to reach the target per seed, mean ± std, and the paired saving."""
    target = result["target_f1"]
    rand = [words_to_reach(c, target) for c in result["runs"]["random"]]
    result["summary"] = {}
    for s, runs in result["runs"].items():
        words = [words_to_reach(c, target) for c in runs]
        reached = [w for w in words if w is not None]
        saving = [1 - w / r for w, r in zip(words, rand, strict=False) if w and r]
        result["summary"][s] = {
            "words_per_seed": words,
            "words_mean": float(np.mean(reached)) if reached else None,
            "words_std": float(np.std(reached)) if reached else None,
            "reached": f"{len(reached)}/{len(words)}",
            "saving_mean": float(np.mean(saving)) if saving else None,
            "saving_std": float(np.std(saving)) if saving else None,
            "final_f1": float(np.mean([c[-1]["f1"] for c in runs])),
            "mentions_per_100_words": float(
                np.mean([100 * c[-1]["mentions"] / c[-1]["words"] for c in runs])
            ),  # fmt: skip
        }


def plot(result: dict, path: Path) -> None:
    """Mean F1 against words annotated, per strategy, with the target line."""
    from khabar.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s, runs in result["runs"].items():
        n = min(len(c) for c in runs)
        w = np.mean([[p["words"] for p in c[:n]] for c in runs], axis=0)
        f = np.mean([[p["f1"] for p in c[:n]] for c in runs], axis=0)
        ax.plot(w, f, marker=".", label=s, linestyle="--" if s == "random" else "-")
    ax.axhline(result["target_f1"], color="grey", linewidth=0.8)
    ax.text(ax.get_xlim()[0], result["target_f1"], " 95 % of the full pool", va="bottom",
            fontsize=8, color="grey")  # fmt: skip
    ax.set_xlabel("words annotated")
    ax.set_ylabel("entity F1, HiNER held-out")
    ax.set_title(f"Active learning, mean of {len(result['seeds'])} seeds (fast learner)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    global STEP  # --step sets it for the whole run
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--sentences", type=int, default=2000, help="annotation budget")
    ap.add_argument("--step", type=int, default=STEP, help="articles: the seed set, each round")
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    ap.add_argument("--workers", type=int, default=2, help="runs at once (one thread each)")
    a = ap.parse_args()
    STEP = a.step
    if "random" not in a.strategies:
        ap.error("--strategies needs random: the savings are measured against it")

    corpus, base = hiner_and_base("bench-al")
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    n = len(corpus.train) // PER_ARTICLE * PER_ARTICLE
    pool_words = [w for w, _ in corpus.train[:n]]
    tags = [t for _, t in corpus.train[:n]]
    vecs = word_vectors(base, pool_words + [w for w, _ in corpus.held_out],
                        OUT / "bench-al-vectors.npz")  # fmt: skip
    vecs, held_vecs = vecs[:n], vecs[n:]
    held = (held_vecs, [t for _, t in corpus.held_out])
    labels = ["O"] + sorted({t for s in tags for t in s} - {"O"})
    arts = [list(range(i, i + PER_ARTICLE)) for i in range(0, n, PER_ARTICLE)]
    art_vecs = np.stack([np.concatenate([vecs[k] for k in a]).mean(0) for a in arts])
    art_vecs /= np.linalg.norm(art_vecs, axis=1, keepdims=True)
    full = f1_of(train_head(vecs, tags, labels), *held, labels)
    encoded = time.perf_counter() - t0
    result = provenance() | {
              "pool_articles": len(arts),
              "per_article": PER_ARTICLE, "step": STEP, "max_sentences": a.sentences,
              "held_out": len(corpus.held_out), "base": str(base), "learner": "softmax head "
              "on frozen e5 word vectors, L-BFGS to convergence, L2 1e-4",
              "full_pool_f1": full, "target_f1": TARGET * full, "seeds": a.seeds,
              "runs": {s: [] for s in a.strategies}}  # fmt: skip
    print(f"full pool ({n} sentences): F1 {full:.3f}; target {TARGET * full:.3f}", flush=True)
    _DATA.update(
        arts=arts,
        vecs=vecs,
        tags=tags,
        held=held,
        labels=labels,
        max_sentences=a.sentences,
        art_vecs=art_vecs,
    )  # read by the forked workers
    tasks = [(s, seed) for seed in a.seeds for s in a.strategies]
    with mp.get_context("fork").Pool(a.workers, initializer=_one_thread) as pool:
        for (s, seed), curve in zip(tasks, pool.imap(_simulate, tasks), strict=True):
            result["runs"][s].append(curve)
            print(f"seed {seed} {s}: F1 {curve[-1]['f1']:.3f} at {curve[-1]['words']} words "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    summarise(result)
    result["seconds"] = {"vectors_and_full_pool": round(encoded),
                         "total": round(time.perf_counter() - t0)}  # fmt: skip
    write_json(OUT / "bench-al.json", result, indent=1)
    plot(result, OUT / "bench-al.png")
    for s, row in result["summary"].items():
        sm, sd = row["saving_mean"], row["saving_std"]
        sav = "" if sm is None else f", saving {100 * sm:.0f} ± {100 * sd:.0f} %"
        words = "never" if row["words_mean"] is None else \
            f"{row['words_mean']:.0f} ± {row['words_std']:.0f} words"  # fmt: skip
        print(f"{s}: {words} ({row['reached']} seeds){sav}; final F1 {row['final_f1']:.3f}")
    print("-> models/benchmarks/bench-al.json, bench-al.png")


if __name__ == "__main__":
    main()
