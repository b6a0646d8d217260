"""Build the Hub folder of a trained run (the entity tagger with its event heads at the root, the
optional sentence classifier in events/, run.json and a model card carrying the report's figures)
and upload that same folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from khabar.io import read_json
from khabar.model.assess.tables import (
    describe_base,
    entity_table,
    event_table,
    extraction_table,
    lexicon_rule,
    transfer_lines,
)
from khabar.model.infer.run import EVENTS_DIR, NER_DIR, RUN_FILE, check_model_dir
from khabar.model.net.heads import HEADS_CONFIG, HEADS_FILE
from khabar.publish.hub import PublishError, build_folder_atomically, load_card_settings, upload


def _eval_results(metrics: dict, run: str, dataset_id: str) -> list:
    """model-index entries from metrics.json: test-split figures, as report.md shows them."""
    from huggingface_hub import EvalResult

    split = "test" if "test" in metrics["splits"] else next(iter(metrics["splits"]))
    m = metrics["splits"][split]["transformer"]
    out = []
    for task_type, task_name, scores, what, prefix in (
        ("token-classification", "Named entity recognition", m["entities"]["overall"],
         "strict entity-level micro", ""),
        ("token-classification", "Event trigger classification",
         m["extraction"]["end_to_end"]["trigger_classification"], "ACE trigger classification",
         "trigger_"),
        ("token-classification", "Event argument classification",
         m["extraction"]["end_to_end"]["argument_classification"],
         "ACE argument classification, end to end", "argument_"),
        ("text-classification", "Event types per sentence", m["events"]["micro"], "micro", ""),
    ):  # fmt: skip
        for key in ("precision", "recall", "f1"):
            out.append(EvalResult(
                task_type=task_type, task_name=task_name, dataset_type=dataset_id,
                dataset_name=dataset_id, dataset_split=split, metric_type=prefix + key,
                metric_value=round(scores[key], 3), metric_name=f"{what} {key}",
            ))  # fmt: skip
    return out


def model_card(run_dir: Path, settings: dict, dataset_id: str, repo: str = "<user>/<model>"):
    """The model card of a run: model-index and tables from metrics.json, the same figures and
    tables as the run's report.md."""
    from huggingface_hub import ModelCard, ModelCardData

    run_dir = Path(run_dir)
    info = read_json(run_dir / "run.json")
    metrics = read_json(run_dir / "metrics.json")
    split = "test" if "test" in metrics["splits"] else next(iter(metrics["splits"]))
    m = metrics["splits"][split]
    base = info.get("base_model", "")
    hub_base = base if not info.get("self_built_base") and not Path(base).exists() else None
    if info.get("base_provenance"):  # converted offline from a copy of a Hub model
        hub_base = info["base_provenance"]["base"]
    transfer = info.get("transfer") or {}
    sources = [c for c in transfer.get("corpora", []) if c.get("hub_id")]
    data = ModelCardData(
        language=["hi"], license=settings["license"], license_name=settings.get("license_name"),
        library_name="transformers", pipeline_tag="token-classification",
        tags=["hindi", "news", "ner", "event-detection", "khabar"],
        datasets=[dataset_id, *(c["hub_id"] for c in sources)],
        base_model=hub_base, model_name=run_dir.name,
        eval_results=_eval_results(metrics, run_dir.name, dataset_id),
    )  # fmt: skip
    classifier = bool(info["args"].get("sentence_classifier"))
    body = [
        f"# {run_dir.name}: Hindi news entities and events", "",
        "One encoder, three layers, trained together with the khabar toolkit on "
        f"[{dataset_id}](https://huggingface.co/datasets/{dataset_id}): entity tagging "
        f"({', '.join(sorted({t[2:] for t in info['ner_labels'] if t != 'O'}))}), event trigger "
        f"tagging ({', '.join(info['event_labels'])}) and argument roles "
        f"({', '.join(info.get('role_labels', []))}) between a trigger and an entity.", "",
        "The folder is an ordinary token-classification model (the entity layer) plus the "
        "**documented head file** `event_heads.safetensors` with `event_heads.json` (labels, "
        "sizes, thresholds): a trigger tagger over each word's vector (its first sub-token's "
        "last hidden state) joined with the schema lexicon's tag for the word, and a role "
        "classifier over [trigger; entity; trigger × entity; entity type; event type; distance] "
        "where a span is the mean of its words' vectors.", "",
        "```python",
        "from transformers import AutoModelForTokenClassification, AutoTokenizer",
        f'ner = AutoModelForTokenClassification.from_pretrained("{repo}")  # entities',
        "# triggers and arguments: `pip install khabar`, then",
        "from huggingface_hub import snapshot_download",
        "from khabar.model.net.decoding import extract",
        "from khabar.model.net.heads import load_heads",
        f'folder = snapshot_download("{repo}")',
        "heads = load_heads(folder)",
        "found = extract(ner, heads, AutoTokenizer.from_pretrained(folder), [words])",
        "```", "",
        "Words are labelled by their first sub-token and decoded as valid BIO (Viterbi: I-X only "
        "after B-X or I-X). A word is part of a trigger when its trigger probability (1 − P(O)) "
        f"is at least {info.get('trigger_threshold', 0.5):.2f}, and a pair is an argument when "
        f"its best role's probability is at least {info.get('role_threshold', 0.5):.2f} (both "
        f"tuned on validation). {lexicon_rule(info)} Roles the schema "
        "forbids for an entity type are never chosen. A "
        "sentence's event types are its triggers' types"
        + ("; the separate sentence classifier is in `events/`." if classifier else "."), "",
        "## Training", "",
        f"- base model: {describe_base(info)}",
        f"- data: {info['sentences']} sentences per split; extra NER sentences "
        f"{info.get('extra_train_sentences', 0)}",
        f"- seed {info['seed']}, learning rate {info['learning_rate']}, epochs "
        f"{info['args']['epochs']} (best {info['ner_fit']['best_epoch']}), loss weights: "
        f"entities 1, triggers {info['args'].get('trigger_weight', 1)}, roles "
        f"{info['args'].get('role_weight', 1)}; max length {info['max_length']} sub-tokens", "",
        f"## Evaluation ({split} split: {m['sentences']} sentences, {m['mentions']} mentions, "
        f"{m['event_labels']} event labels)", "",
        "Entities, strict (same boundaries and type), beside the CRF baseline:", "",
        entity_table(m), "",
        f"Events, ACE style ({m.get('triggers', 0)} triggers, {m.get('arguments', 0)} "
        "arguments), beside the schema's trigger words and the nearest-compatible-entity "
        "heuristic:", "",
        extraction_table(m), "",
        "Event types per sentence, beside the TF-IDF + logistic-regression baseline:", "",
        event_table(m), "",
        *transfer_lines(info),
        "## Intended use and limitations", "",
        "Pre-annotating Hindi news for human annotators and research on Hindi entity and event "
        "detection. Trained on a small corpus about Indian foreign policy: expect much lower "
        "scores on other topics, and check every prediction before using it.", "",
        "## Licence", "", f"`{settings['license']}`: {settings.get('license_note', '').strip()}",
        "", *licence_notices(transfer.get("corpora", [])),
    ]  # fmt: skip
    header = yaml.safe_dump(data.to_dict(), allow_unicode=True, sort_keys=False)
    return ModelCard(f"---\n{header}---\n\n" + "\n".join(body))


# What each licence of a transfer corpus asks of a model trained on it (SPDX-style ids, lower case).
NOTICES = {
    "cc-by-sa-4.0": "ShareAlike: this model is trained on {title}, licensed CC-BY-SA-4.0; "
                    "where the model is an adaptation of that data, it is shared under the same "
                    "licence, with this attribution",
    "cc-by-4.0": "Attribution: this model is trained on {title}, licensed CC-BY-4.0",
    "cc-by-nc-4.0": "NonCommercial: this model is trained on {title}, whose licence is given as "
                    "CC-BY-NC-4.0; it may not be used commercially",
    "cc0-1.0": "{title} is dedicated to the public domain (CC0-1.0)",
}  # fmt: skip


def licence_notices(corpora: list[dict]) -> list[str]:
    """The licence section's lines for the transfer corpora a model was trained on: each one's
    licence, what it asks of the model, and what is unsure about it."""
    if not corpora:
        return []
    out = ["### Licences of the public corpora it learnt from", ""]
    for c in corpora:
        lic = (c.get("license") or "unknown").lower()
        said = NOTICES.get(lic, "{title}: licence " + lic + "; check its terms before "
                           "redistributing this model").format(title=c["title"])  # fmt: skip
        note = f" (note: {c['license_note']})" if c.get("license_note") else ""
        out.append(f"- **{c['title']}** (`{lic}`): {said}{note}. {c.get('citation', '')}")
    return [*out, ""]


def publish_model(run_dir: Path, settings_file: Path, dataset_id: str, repo_id: str = "",
                  token: str = "", private: bool = True) -> tuple[Path, str | None]:  # fmt: skip
    """Build models/<run>/hub/ (the tagger and its event heads at the root, the sentence
    classifier in events/ if the run has one, run.json, README.md) and, with a repo id and a
    token, upload that folder."""
    run_dir = Path(run_dir)
    for f in (RUN_FILE, "metrics.json"):
        if not (run_dir / f).is_file():
            raise PublishError(f"{run_dir / f} not found: train and evaluate the run first")
    info = read_json(run_dir / RUN_FILE)
    subs = [NER_DIR] + ([EVENTS_DIR] if info["args"].get("sentence_classifier") else [])
    for sub in subs:
        check_model_dir(run_dir / sub)
    for f in (HEADS_FILE, HEADS_CONFIG):
        if not (run_dir / NER_DIR / f).is_file():
            raise PublishError(f"{run_dir / NER_DIR / f} not found: retrain the run")
    settings = load_card_settings(settings_file)
    card = model_card(run_dir, settings, dataset_id or settings["repo_name"],
                      repo_id or "<user>/<model>")  # fmt: skip

    def fill(tmp: Path) -> None:
        shutil.copytree(run_dir / NER_DIR, tmp)  # with event_heads.*
        if EVENTS_DIR in subs:
            shutil.copytree(run_dir / EVENTS_DIR, tmp / EVENTS_DIR)
        shutil.copy(run_dir / RUN_FILE, tmp / RUN_FILE)
        card.save(str(tmp / "README.md"))

    out = build_folder_atomically(run_dir / "hub", fill)
    if not (repo_id and token):
        return out, None
    return out, upload(out, repo_id, token, private, repo_type="model")
