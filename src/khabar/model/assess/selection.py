"""Which of two runs should serve: both scored on the same validation split, one number each.

The backend retrains from Label Studio and must decide, without a person, whether the new run
replaces the one annotators get pre-annotations from. Comparing the figures each run recorded
when it was trained would compare different validation sets (new articles join as the corpus
grows), so both runs are scored here on the candidate's dataset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from khabar.model.assess.scoring import score_run
from khabar.model.infer.run import Run, RunError
from khabar.schema import Schema

# The three layers a pre-annotation carries; the score is the mean of their F1.
LAYERS = (
    ("entities", ("transformer", "entities", "overall", "f1")),
    ("trigger classification",
     ("transformer", "extraction", "end_to_end", "trigger_classification", "f1")),
    ("argument classification",
     ("transformer", "extraction", "end_to_end", "argument_classification", "f1")),
)  # fmt: skip


def layer_scores(metrics: dict) -> dict[str, float]:
    """F1 of each pre-annotation layer from one split's metrics (`split_metrics`)."""
    out = {}
    for name, path in LAYERS:
        node = metrics
        for key in path:
            node = node[key]
        out[name] = float(node)
    return out


def validation_score(metrics: dict) -> float:
    """Mean F1 of entities, trigger classification and argument classification (end to end)."""
    scores = layer_scores(metrics)
    return sum(scores.values()) / len(scores)


def validation_metrics(run: Run, dd, schema: Schema | None = None) -> dict:
    """The run's metrics on the dataset's validation split; refuses data of other labels."""
    return score_run(run, dd, schema, splits=("validation",))[0]["splits"]["validation"]


@dataclass
class Decision:
    """Whether the candidate run replaces the serving one, and the one sentence saying why."""

    switch: bool
    reason: str
    candidate: str
    serving: str
    candidate_score: float | None = None
    serving_score: float | None = None
    sentences: int = 0

    def to_dict(self) -> dict:
        """JSON-ready form (the backend's status and job record)."""
        return asdict(self)


def decide(candidate: Run, serving: Run, dd, schema: Schema | None = None) -> Decision:
    """Switch when the candidate's validation score is strictly higher than the serving run's on
    the same validation split; a tie keeps the serving run (no churn for annotators). A serving
    run that cannot label this data (the schema's labels changed) is replaced."""
    rows = len(dd["validation"]) if "validation" in dd else 0
    name = dict(candidate=candidate.name, serving=serving.name, sentences=rows)
    if not rows:
        return Decision(False, "the dataset has no validation rows to compare the runs on; "
                        f"keeping {serving.name}", **name)  # fmt: skip
    new = validation_score(validation_metrics(candidate, dd, schema))
    try:
        old = validation_score(validation_metrics(serving, dd, schema))
    except RunError as exc:  # labels differ: the serving run predates a schema change
        return Decision(True, f"{serving.name} cannot label this data ({exc}); switching to "
                        f"{candidate.name} (validation score {new:.3f})", candidate_score=new,
                        **name)  # fmt: skip
    scores = dict(candidate_score=new, serving_score=old)
    what = f"validation score {new:.3f} against {old:.3f} on {rows} sentences"
    if new > old:
        return Decision(True, f"{candidate.name} beats {serving.name}: {what}", **scores, **name)
    return Decision(False, f"{candidate.name} does not beat {serving.name} ({what}); keeping "
                    f"{serving.name}", **scores, **name)  # fmt: skip
