"""Writing a cross-validation: cv.json, report.md's table with the transfer lines, and the
learning curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from khabar.io import write_atomic, write_json
from khabar.model.assess.crossval import CURVE_FIGURES, CURVE_FILE, CV_FILE


def _pm(x: dict | None) -> str:
    if not x:
        return "–"
    return f"{x['mean']:.3f} ± {x['std']:.3f} [{x['ci95'][0]:.2f}, {x['ci95'][1]:.2f}]"


def cv_table(result: dict) -> str:
    """One row per figure: what it rests on, the model and its baseline."""
    lines = ["| figure | gold | model | baseline | which baseline |", "|---|---|---|---|---|"]
    for name, row in result["figures"].items():
        gold = row.get("model", row.get("baseline", {})).get("gold", 0)
        lines.append(f"| {name} | {gold} {row['unit']} | {_pm(row.get('model'))} | "
                     f"{_pm(row.get('baseline'))} | {row['baseline_name']} |")  # fmt: skip
    return "\n".join(lines)


def plot_curve(points: list[dict], path: Path) -> Path:
    """F1 of each layer against the number of training articles (mean over folds, each fold a
    faint dot), model solid and baseline dashed."""
    from khabar.plots import pyplot

    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    sizes = sorted({p["train_articles"] for p in points})
    for fig_name, colour in zip(CURVE_FIGURES, ("#457b9d", "#e76f51", "#2a9d8f"), strict=True):
        for suffix, style in (("", "-"), (" (baseline)", "--")):
            key = fig_name + suffix
            means = [np.mean([p[key] for p in points if p["train_articles"] == n]) for n in sizes]
            ax.plot(sizes, means, style, color=colour, marker="o",
                    label=key.replace("gold spans", "gold spans"))  # fmt: skip
            ax.scatter([p["train_articles"] for p in points], [p[key] for p in points],
                       color=colour, alpha=0.2, s=12)  # fmt: skip
    ax.set(xlabel="training articles", ylabel="F1 on the held-out article(s)", ylim=(0, 1),
           xticks=sizes, title="Learning curve (mean over folds; dashed: baseline)")  # fmt: skip
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def transfer_lines(result: dict) -> str:
    """What the folds kept of the transfer base: held-out F1 per corpus, mean ± std over folds."""
    names = sorted({n for r in result["runs"] for n in r.get("transfer_held_out", {})})
    said = []
    for n in names:
        got = [r["transfer_held_out"][n] for r in result["runs"] if n in r["transfer_held_out"]]
        said.append(f"{n} {np.mean(got):.3f} ± {np.std(got):.3f}")
    return (
        f"Every fold starts from the transfer base `{result['transfer']}`; F1 of the folds' "
        f"taggers on each corpus' held-out part (its own types only): {'; '.join(said)}."
    )


def write_cv(result: dict, out: Path) -> Path:
    """cv.json, learning_curve.png and report.md into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / CV_FILE, result, indent=2)
    lines = [
        f"# Cross-validation by article ({result['folds']} folds, {result['articles']} articles)",
        "", "Every figure: micro-F1 mean ± standard deviation over folds, and in brackets a "
        "bootstrap 95 % interval over the pooled test sentences (1,000 resamples). Each fold "
        "tests one group of articles, picks its epoch and thresholds on the next group and "
        "trains on the rest; `gold` counts the items the pooled figure rests on.", "",
        cv_table(result), "",
        "Baselines: CRF for entities; the schema's trigger words (the rule pre-annotator, "
        "written from the seed articles, so it has seen every test article) and a lexicon of "
        "the training folds' trigger words; the nearest compatible entity for arguments; TF-IDF "
        "+ logistic regression for sentence event types.", "",
    ]  # fmt: skip
    if result.get("transfer"):
        lines += [transfer_lines(result), ""]
    if result["curve"] and len({p["train_articles"] for p in result["curve"]}) > 1:
        plot_curve(result["curve"], out / CURVE_FILE)
        lines += ["## Learning curve", "", f"![learning curve]({CURVE_FILE})", ""]
    lines += ["## Folds", "", "Picked on validation: the epoch, the trigger and role thresholds, "
              "and whether the schema's trigger words anchor triggers (the veto; – : they are "
              "only a feature). Lexicon's types: those too rare in the fold's training articles "
              "for the head, whose trigger words are triggers whatever the head says.", "",
              "| fold | train articles | validation | test | best epoch | thresholds | veto | "
              "lexicon's types | seconds |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r['fold']} | {len(r['train'])} | {', '.join(r['validation'])} | "
              f"{', '.join(r['test'])} | {r['best_epoch']} | "
              f"{' / '.join(f'{t:.2f}' for t in r['thresholds'])} | "
              f"{'–' if r.get('lexicon_veto') is None else r['lexicon_veto']} | "
              f"{', '.join(r.get('lexicon_types') or []) or '–'} | "
              f"{r['seconds']:.0f} |" for r in result["runs"]]  # fmt: skip
    path = out / "report.md"
    write_atomic(path, ["\n".join(lines) + "\n"])
    return path
