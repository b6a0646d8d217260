"""Benchmark: the fine-tuning check of `make bench-al` (`make bench-al-finetune`). An annotation
simulation on HiNER part 1 (../shared/benchmarks; NER only) that fine-tunes e5 every round, as the
product does, where bench-al's grid trains a fast head on frozen word vectors.

- The pool: the first POOL pseudo-articles of 25 consecutive training sentences (all 288 by
  `make bench-al-finetune`; HiNER's gold stands in for the annotator). The score: entity
  micro-F1 (seqeval) on HiNER's held-out last 10 % (800 sentences), never used to pick anything.
- Each run starts from 4 articles drawn with its seed (the same 4, and so the same first model,
  for every strategy), then rounds of articles chosen under the current model: +4 a round for
  ROUNDS rounds, or (--budgets) up to each budget's sentences in one round each (batch-mode:
  the make target's 400, 800 and 1,200). Strategies: `khabar.model.infer.strategies`
  (uncertainty, margin, entropy, mnlp, diversity) and random.
- Each round retrains the tagger from the default base (e5-small, `tagger.train_ner`, the
  transfer recipe, EPOCHS epochs but at least MIN_STEPS steps, the last epoch kept: nothing is
  held out to pick by).
- Reported per strategy (mean over seeds): F1 against annotated sentences (and the words they
  hold), as PNG and JSON; the mean F1 over the rounds after the first (area under the learning
  curve); and the sentences it needs to reach random's best F1, on each mean curve's running
  best (interpolated), against the sentences random needed: the saving.

Writes models/benchmarks/bench-al-finetune.json and bench-al-finetune.png.

    python scripts/bench_al.py [--seeds 1 2 3] [--rounds 5 | --budgets 400 800 1200]
        [--pool 48] [--epochs 1] [--min-steps 160] [--strategies margin random]
        [--summarise] [--add]

The JSON is rewritten after every seed, so a run cut short keeps the seeds it finished. `--add`
runs more strategies into the existing JSON (same seeds and settings; round 0 is retrained, the
same model by the same seed).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from benchkit import hiner_and_base, provenance  # noqa: E402

from khabar.io import read_json, write_json  # noqa: E402
from khabar.model.infer.strategies import (  # noqa: E402
    STRATEGIES,
    article_score,
    article_vectors,
    diverse_picks,
)

PER_ARTICLE = 25
STEP = 4  # articles: the seed set and each round


def articles_of(sentences: list, n: int) -> list[list]:
    """The first n pseudo-articles of PER_ARTICLE consecutive sentences."""
    return [sentences[i : i + PER_ARTICLE] for i in range(0, n * PER_ARTICLE, PER_ARTICLE)]


def train(sentences: list, tags: list[str], base: str, a: argparse.Namespace):
    """The tagger on these (words, tags) sentences: (model, tokenizer)."""
    from khabar.model.train.fitting import Split
    from khabar.model.train.tagger import train_ner
    from khabar.model.train.transfer_base import TransferArgs

    split = Split([w for w, _ in sentences], [t for _, t in sentences],
                  [[] for _ in sentences], [" ".join(w) for w, _ in sentences])  # fmt: skip
    # Few sentences need more passes: at least MIN_STEPS optimizer steps a round.
    recipe = TransferArgs(seed=a.model_seed)
    epochs = max(a.epochs, math.ceil(a.min_steps * recipe.batch_size / len(sentences)))
    args = replace(recipe, epochs=epochs).train_args(base)
    model, tok, _ = train_ner(base, split, None, tags, args.learning_rate, args, freeze=True)
    return model, tok


def f1_on(model, tok, held: list) -> float:
    """Entity micro-F1 on the held-out sentences."""
    from khabar.model.infer.run import tag_words
    from khabar.model.measure.evaluation import entity_scores

    pred = tag_words(model, tok, [w for w, _ in held], 128, 64, precision=PRECISION)
    return entity_scores([t for _, t in held], [[t for t, _ in r] for r in pred])["overall"]["f1"]


def ranked(model, tok, pool: list[list], left: list[int], strategy: str) -> list[int]:
    """The unlabelled articles, the most informative by `strategy` first (ties: pool order)."""
    from khabar.model.infer.run import word_dists

    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    words = [w for i in left for w, _ in pool[i]]
    dists = iter(word_dists(model, tok, words, 128, 64, precision=PRECISION))
    score = {i: article_score([next(dists) for _ in pool[i]], labels, strategy) for i in left}
    return sorted(left, key=lambda i: -score[i])


def diverse(model, tok, pool: list[list], left: list[int], k: int, seed: int) -> list[int]:
    """k articles: the highest total entropy in each of k entropy-weighted k-means clusters
    of the unlabelled articles, the most uncertain cluster's first."""
    order = ranked(model, tok, pool, left, "entropy")
    vectors = article_vectors(model, tok, [[w for w, _ in pool[i]] for i in left])
    return diverse_picks(order, vectors, k, seed)


def choose(model, tok, pool: list[list], left: list[int], strategy: str, k: int,
           rng: random.Random, seed: int) -> list[int]:  # fmt: skip
    """The next k articles to annotate under `strategy`."""
    if strategy == "random":
        return rng.sample(left, k)
    if strategy == "diversity":
        return diverse(model, tok, pool, left, k, seed)
    return ranked(model, tok, pool, left, strategy)[:k]


def round_sizes(a: argparse.Namespace) -> list[int]:
    """Articles each round adds: STEP a round, or (--budgets) up to each budget's sentences."""
    if not a.budgets:
        return [STEP] * a.rounds
    totals = [STEP] + [b // PER_ARTICLE for b in a.budgets]
    return [n - m for m, n in zip(totals, totals[1:], strict=False)]


def simulate(seed: int, pool: list[list], held: list, tags: list[str], base: str,
             a: argparse.Namespace) -> dict[str, list[dict]]:  # fmt: skip
    """One seed's annotation runs, one per strategy: F1 after each round against the sentences
    annotated so far. Round 0 (the seed's articles) is trained once and shared."""
    first = random.Random(seed).sample(range(len(pool)), STEP)
    model0 = None
    runs = {}
    for strategy in a.strategies:
        rng = random.Random(seed)
        rng.sample(range(len(pool)), STEP)  # the same draw as `first`: random's stream goes on
        labelled, curve, sizes = list(first), [], round_sizes(a)
        for r in range(len(sizes) + 1):
            t0 = time.perf_counter()
            sents = [s for i in labelled for s in pool[i]]
            if r == 0 and model0 is not None:
                (model, tok), f1 = model0
            else:
                model, tok = train(sents, tags, base, a)
                set_precision(model)
                f1 = f1_on(model, tok, held)
                if r == 0:
                    model0 = (model, tok), f1
            curve.append({"round": r, "articles": len(labelled), "sentences": len(sents),
                          "words": sum(len(w) for w, _ in sents), "chosen": list(labelled),
                          "f1": f1})  # fmt: skip
            left = [i for i in range(len(pool)) if i not in labelled]
            if r < len(sizes):
                labelled += choose(model, tok, pool, left, strategy, sizes[r], rng, seed)
            print(f"{strategy} seed {seed} round {r}: {len(sents)} sentences, F1 {f1:.3f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
        runs[strategy] = curve
    return runs


def first_reaching(curve: list[tuple[float, float]], target: float) -> float | None:
    """Where an (x, F1) curve (x: sentences or words) first reaches `target`, interpolated."""
    for (n0, f0), (n1, f1) in zip(curve, curve[1:], strict=False):
        if f0 >= target:
            return n0
        if f1 >= target:
            return n0 + (n1 - n0) * (target - f0) / (f1 - f0)
    return curve[-1][0] if curve and curve[-1][1] >= target else None


def mean_curve(runs: list[list[dict]]) -> list[tuple[float, float]]:
    """(sentences, mean F1) per round over runs (rounds hold the same article counts)."""
    return [(float(np.mean([r[k]["sentences"] for r in runs])),
             float(np.mean([r[k]["f1"] for r in runs]))) for k in range(len(runs[0]))]  # fmt: skip


def plot(result: dict, path: Path) -> None:
    """F1 against annotated words, each strategy's mean solid, each seed faint."""
    from khabar.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    colours = {"uncertainty": "#e76f51", "margin": "#2a9d8f", "entropy": "#8e44ad",
               "diversity": "#e9c46a", "mnlp": "#f4a261", "random": "#457b9d"}  # fmt: skip
    for name in result["runs"]:
        colour = colours[name]
        for run in result["runs"][name]:
            ax.plot([p["words"] for p in run], [p["f1"] for p in run], color=colour,
                    alpha=0.25, lw=1)  # fmt: skip
        ys = [f for _, f in result["mean"][name]]
        ax.plot(result["mean_words"][name], ys, color=colour, marker="o",
                label=f"{name} (mean of {len(result['seeds'])})")  # fmt: skip
    ax.set(xlabel="annotated words (what an annotator spends)",
           ylabel="entity F1 on HiNER held-out (800 sentences)",
           title="Choosing what to annotate next (HiNER part 1)")  # fmt: skip
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PRECISION = ""  # the encoder's at inference: `auto`'s choice, made once on the first model


def set_precision(model) -> None:
    """Choose the inference precision once, as `khabar predict` would (`auto`)."""
    global PRECISION
    if not PRECISION:
        from khabar.model.net.device import choose_precision

        PRECISION = choose_precision("auto", model.base_model, "cpu").precision


def main() -> None:
    """Simulate every strategy for every seed; write the curves, the plot and the saving."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--budgets",
        type=int,
        nargs="*",
        default=[],
        help="annotated sentences after each round (replaces --rounds): e.g. 400 800 1200",
    )
    ap.add_argument("--pool", type=int, default=48, help="candidate articles")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument(
        "--min-steps",
        type=int,
        default=160,
        help="optimizer steps a round, at least (80 left every round under-trained)",
    )
    ap.add_argument("--model-seed", type=int, default=13)
    ap.add_argument(
        "--strategies", nargs="+", default=["uncertainty", "entropy", "random"], choices=STRATEGIES
    )
    ap.add_argument(
        "--summarise",
        action="store_true",
        help="only recompute the summary and plot of the JSON a run wrote",
    )
    ap.add_argument(
        "--add",
        action="store_true",
        help="run --strategies into the JSON a run wrote, for its seeds and settings",
    )
    a = ap.parse_args()
    out = ROOT / "models" / "benchmarks"
    if a.summarise:
        result = read_json(out / "bench-al-finetune.json")
        summarise(result, result["seconds"])
        write_json(out / "bench-al-finetune.json", result, indent=1)
        plot(result, out / "bench-al-finetune.png")
        report(result)
        return
    old = read_json(out / "bench-al-finetune.json") if a.add else None
    if old is not None:  # the settings and seeds the curves beside these were run with
        a.pool, a.rounds, a.epochs, a.min_steps = (old["pool_articles"], old["rounds"],
                                                   old["epochs"], old["min_steps"])  # fmt: skip
        a.budgets = old.get("budgets", [])
        a.seeds, a.strategies = old["seeds"], [s for s in a.strategies if s not in old["runs"]]
    elif "random" not in a.strategies:
        ap.error("--strategies needs random: the savings are measured against it")
    from khabar.schema import load_schema

    corpus, base = hiner_and_base("bench-al-finetune")
    tags = load_schema().bio_tags
    pool = articles_of(corpus.train, a.pool)
    result = provenance() | {
              "pool_articles": a.pool, "per_article": PER_ARTICLE, "step": STEP,
              "rounds": len(round_sizes(a)), "budgets": a.budgets, "epochs": a.epochs,
              "min_steps": a.min_steps, "model_seed": a.model_seed,
              "seeds": [], "base": str(base), "held_out": len(corpus.held_out),
              "runs": {s: [] for s in a.strategies}}  # fmt: skip
    if old is not None:
        result = old | {"seeds": [], "runs": old["runs"] | {s: [] for s in a.strategies}}
    t0 = time.perf_counter()
    for seed in a.seeds:
        for strategy, curve in simulate(seed, pool, corpus.held_out, tags, str(base), a).items():
            result["runs"][strategy].append(curve)
        result["seeds"].append(seed)
        summarise(result, time.perf_counter() - t0 + (old or {}).get("seconds", 0))
        write_json(out / "bench-al-finetune.json", result, indent=1)
        plot(result, out / "bench-al-finetune.png")
    report(result)


def report(result: dict) -> None:
    """The curves and savings, for the terminal."""
    for s, curve in result["mean"].items():
        print(
            f"{s}: " + ", ".join(f"{n:.0f}: {f:.3f}" for n, f in curve) + f"; {result['reach'][s]}"
        )
    final = result["random_final"]
    print(f"random's best F1 {final['f1']:.3f} (at {final['sentences']:.0f} sentences) "
          "-> models/benchmarks/bench-al-finetune.json, bench-al-finetune.png")  # fmt: skip


def summarise(result: dict, seconds: float) -> None:
    """Mean curves; per strategy the mean F1 over the rounds after the first (the area under
    the learning curve, the usual active-learning summary) and the F1 at the last round; and
    the sentences each needs to reach random's best F1, on the running best of each mean curve
    (the best model so far: one noisy round neither gives nor takes the target), and the saving
    against the sentences random itself needed."""
    n_seeds = len(result["seeds"])  # under --add, the seeds every strategy has run so far
    result["mean"] = {s: mean_curve(r[:n_seeds]) for s, r in result["runs"].items()}
    result["mean_words"] = {s: [float(np.mean([run[k]["words"] for run in r[:n_seeds]]))
                                for k in range(len(r[0]))]
                            for s, r in result["runs"].items()}  # fmt: skip
    best = {s: [(n, max(f for _, f in c[: k + 1])) for k, (n, _) in enumerate(c)]
            for s, c in result["mean"].items()}  # fmt: skip
    target = best["random"][-1][1]
    needs = first_reaching(best["random"], target)  # where random itself first got there
    result["random_final"] = {"sentences": needs, "f1": target}
    # The same read off in words annotated (what an annotator spends), on each mean curve's
    # words per round.
    in_words = {s: [(w, f) for w, (_, f) in zip(result["mean_words"][s], best[s], strict=True)]
                for s in best}  # fmt: skip
    needs_words = first_reaching(in_words["random"], target)
    result["reach"] = {}
    for s, curve in result["mean"].items():
        n, w = first_reaching(best[s], target), first_reaching(in_words[s], target)
        result["reach"][s] = {"sentences": n,
                              "saving": None if n is None else round(1 - n / needs, 3),
                              "words": w,
                              "word_saving": None if w is None else round(1 - w / needs_words, 3),
                              "area": round(float(np.mean([f for _, f in curve[1:]])), 4),
                              "final": round(curve[-1][1], 4),
                              # per seed, per round: this strategy's F1 less random's
                              "lead_per_seed": [[round(p["f1"] - q["f1"], 4)
                                                 for p, q in zip(mine, theirs, strict=True)]
                                                for mine, theirs in zip(result["runs"][s][:n_seeds],
                                                                        result["runs"]["random"],
                                                                        strict=False)]}  # fmt: skip
    result["seconds"] = round(seconds)
    result["precision"] = PRECISION or result.get("precision", "")


if __name__ == "__main__":
    main()
