"""Build the exact folder the Hugging Face Hub receives for the dataset (parquet per split plus a
README.md card generated from the data) and upload that same folder.

Every number in the card is computed from the DatasetDict; what data cannot say (licence, name,
citation, annotators) comes from annotation/dataset_card.yaml, and an empty required value stops
the build.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml

from khabar.annotations.coding import review_state
from khabar.annotations.validate import ERROR, Problem
from khabar.corpus.article import Article
from khabar.dataset.splits import SPLITS
from khabar.io import read_json
from khabar.publish.hub import PublishError, build_folder_atomically, load_card_settings, upload

REQUIRED_METADATA = ("language", "license", "task_categories", "task_ids", "annotations_creators",
                     "language_creators", "size_categories", "configs", "pretty_name")  # fmt: skip
DATA_DIR = "data"


def check_publishable(dd, problems_file: Path | None) -> list[Problem]:
    """Refuse a dataset with an empty split or unresolved data errors among the export's
    problems; return the problems that only describe the state of the work (for the card)."""
    reasons = [f"split '{s}' is empty" for s in SPLITS if s not in dd or len(dd[s]) == 0]
    problems = read_problems(problems_file) if problems_file else []
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        kinds = Counter(p.reason for p in errors)
        reasons.append(f"{len(errors)} unresolved data errors in {problems_file} ("
                       + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")")  # fmt: skip
    if reasons:
        raise PublishError("not publishable: " + "; ".join(reasons))
    return [p for p in problems if p.severity != ERROR]


def read_problems(path: Path) -> list[Problem]:
    """The problems an export listed (problems.jsonl); none when the file is absent."""
    path = Path(path)
    if not path.is_file():
        return []
    return [Problem(**json.loads(line)) for line in path.read_text("utf-8").splitlines() if line]


def work_state_line(export: list[dict], state: list[Problem]) -> str:
    """What the card says of unfinished work: tasks not labelled yet, and other state notes."""
    unlabelled = {p.task_id for p in state if p.reason == "no annotations"}
    others = Counter(p.reason for p in state if p.reason != "no annotations")
    line = (f"- state of the work: {len(unlabelled)} of {len(export)} articles not labelled yet "
            "(not in the dataset)")  # fmt: skip
    if others:
        line += "; " + ", ".join(f"{k}: {v}" for k, v in sorted(others.items()))
    return line


def _names(ds, column: str) -> list[str]:
    """Label names of a span column (`entities`, `triggers`)."""
    return ds.features[column].feature["label"].names


def split_counts(dd) -> dict[str, dict]:
    """Per split: sentences, articles, tokens, arguments and mentions per entity/event label."""
    out = {}
    for name in SPLITS:
        ds = dd[name]
        ent_names, trig_names = _names(ds, "entities"), _names(ds, "triggers")
        ents = Counter(ent_names[e["label"]] for row in ds["entities"] for e in row)
        trigs = Counter(trig_names[t["label"]] for row in ds["triggers"] for t in row)
        out[name] = {
            "sentences": len(ds),
            "articles": len(set(ds["article_id"])),
            "tokens": sum(len(t) for t in ds["tokens"]),
            "arguments": sum(len(a) for a in ds["arguments"]),
            "entities": {n: ents.get(n, 0) for n in ent_names},
            "triggers": {n: trigs.get(n, 0) for n in trig_names},
        }
    return out


def examples(dd) -> dict[str, str]:
    """The first mention of every label in the data (train first), as its example."""
    found: dict[str, str] = {}
    for name in SPLITS:
        ds = dd[name]
        for column in ("entities", "triggers"):
            names = _names(ds, column)
            for row in ds[column]:
                for span in row:
                    found.setdefault(names[span["label"]], span["text"])
    return found


def size_category(n: int) -> str:
    """The Hub's size bucket for n rows."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M")):  # fmt: skip
        if n < limit:
            return label
    return "n>1M"


def card_metadata(dd, settings: dict) -> dict:
    """The card's YAML header (validates with huggingface_hub.DatasetCardData)."""
    total = sum(len(dd[s]) for s in SPLITS)
    meta = {
        "language": ["hi"],
        "license": settings["license"],
        "pretty_name": settings["pretty_name"],
        "annotations_creators": ["expert-generated"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "size_categories": [size_category(total)],
        "source_datasets": ["original"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition", "multi-label-classification"],
        "tags": ["hindi", "news", "event-extraction", "label-studio"],
        "configs": [{"config_name": "default", "data_files": [
            {"split": s, "path": f"{DATA_DIR}/{s}-*.parquet"} for s in SPLITS]}],
        "dataset_info": {
            "features": dd["train"].info._to_yaml_dict()["features"],
            "splits": [{"name": s, "num_bytes": dd[s].data.nbytes, "num_examples": len(dd[s])}
                       for s in SPLITS],
        },
    }  # fmt: skip
    if settings["license"] == "other":
        meta["license_name"] = settings["license_name"]
    return meta


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def count_annotators(export: list[dict]) -> int:
    """Distinct people whose (not cancelled) annotations the export holds."""
    return len({a.get("completed_by") for t in export for a in t.get("annotations") or []
                if not a.get("was_cancelled") and a.get("completed_by") is not None})  # fmt: skip


def agreement_line(result: dict | None) -> str:
    """The card's agreement line, from `khabar agreement`'s agreement.json (None: not run)."""
    if not result:
        return "- agreement between annotators: not measured (`make agreement` measures it)"
    if not result.get("pairs"):
        return ("- agreement between annotators: not measurable yet, no task was labelled by two "
                "annotators")  # fmt: skip
    o = result["overall"]

    def f(k: str) -> str:
        return "–" if o.get(k) is None else f"{o[k]:.3f}"

    return (f"- agreement between annotators ({result['tasks_compared']} tasks labelled by two or "
            f"more of {len(result['annotators'])} annotators, all pairs pooled): entity span F1 "
            f"{f('entity_strict')} strict, {f('entity_overlap')} overlap; trigger F1 with event "
            f"type {f('trigger')}; argument-link F1 {f('argument')}; on tokens, Cohen's kappa "
            f"{f('mean_kappa_entity')} (mean of pairs) and Krippendorff's alpha "
            f"{f('alpha_entity')} for entities, {f('mean_kappa_trigger')} and "
            f"{f('alpha_trigger')} for triggers")  # fmt: skip


def review_line(review: dict | None, export: list[dict]) -> str:
    """How many suspect annotations `khabar review-errors` found, and how many of the tasks it
    marked in Label Studio were reviewed since (from the export)."""
    if not review:
        return ("- suspected annotation errors: not searched (`make review-errors` ranks them "
                "with out-of-fold models and cleanlab)")  # fmt: skip
    marked, reviewed = review_state(export)
    return (f"- suspected annotation errors: {review['suspects']} found by `khabar review-errors` "
            f"(each sentence judged by a model that never trained on its article; cleanlab's "
            f"label quality and span rules) in {review['sentences']} sentences; {marked} tasks "
            f"marked for review in Label Studio, {reviewed} of them reviewed since")  # fmt: skip


def decided_line(dd) -> str:
    """How each task's one version was decided (the `decided_by` column), counted by article."""
    rules = Counter()
    for s in SPLITS:
        if "decided_by" in dd[s].column_names:
            rules.update(dict(zip(dd[s]["article_id"], dd[s]["decided_by"], strict=True)).values())
    if not rules:
        return ""
    return ("- one version per article, decided by (articles): "
            + ", ".join(f"{k} {v}" for k, v in sorted(rules.items()))
            + " — a reviewer's ground truth first, else all annotators agreeing, else a majority "
              "vote, else the one annotation")  # fmt: skip


def card_body(dd, settings: dict, articles: list[Article], build: dict, annotators: int,
              agreement: dict | None = None, work_state: str = "") -> str:  # fmt: skip
    """The card's Markdown: summary, sources, structure, splits, counts, annotation, uses."""
    counts = split_counts(dd)
    ex = examples(dd)
    used = {a for s in SPLITS for a in dd[s]["article_id"]}
    arts = [a for a in articles if a.id in used]
    outlets = sorted({a.source or a.agency for a in arts if a.source or a.agency})
    dates = sorted(a.date for a in arts if a.date)
    total = {k: sum(c[k] for c in counts.values()) for k in ("sentences", "articles", "tokens")}
    ent_names = list(counts["train"]["entities"])
    trig_names = list(counts["train"]["triggers"])

    def label_rows(kind: str, names: list[str]) -> list[list]:
        return [[f"`{n}`", ex.get(n, "–"), *(counts[s][kind][n] for s in SPLITS),
                 sum(counts[s][kind][n] for s in SPLITS)] for n in names]  # fmt: skip

    head = ["label", "example", *SPLITS, "total"]
    parts = [
        f"# {settings['pretty_name']}", "",
        "## Summary", "",
        f"Hindi news sentences with named entities ({', '.join(ent_names)}), event triggers typed "
        f"by {len(trig_names)} event types, and argument links from each trigger to the entities "
        f"that fill its roles. {total['sentences']} sentences ({total['tokens']} tokens) from "
        f"{total['articles']} articles, labelled by hand in Label Studio with the khabar toolkit.",
        "",
        "## Sources", "",
        f"- outlets and agencies: {', '.join(outlets) or 'not recorded'}",
        f"- article dates: {dates[0]} to {dates[-1]}" if dates else "- article dates: not recorded",
        f"- {len(arts)} articles; text cleaned (Unicode NFC, boilerplate and repeated paragraphs "
        "removed) and split into sentences; nothing else changed.", "",
        "## Structure", "",
        "One row per sentence. `tokens` are Hindi-aware tokens with offsets into `text`; "
        "`ner_tags` are BIO tags over the entity types; `entities` and `triggers` are spans "
        "`{id, start, end, text, label}` with character offsets into `text`; `event_types` is the "
        "set of event types whose triggers occur in the sentence; `arguments` link a trigger id to "
        "an entity id with a role; `annotation_source` says whose annotation the row comes from.",
        "",
        "### Entity types", "", _table(head, label_rows("entities", ent_names)), "",
        "### Event types (triggers)", "", _table(head, label_rows("triggers", trig_names)), "",
        "## Splits", "",
        "Split by article, never inside one, so no article's sentences are in two splits. An "
        "article gets its split once, when it first reaches the dataset, and keeps it in every "
        "later version (the manifest `annotation/splits.tsv` of the khabar repository lists "
        "them): a new article goes to the split furthest below its target fraction "
        f"({build.get('fractions')}), so test articles never leak into a later version's "
        "training data and versions' test figures stay comparable.", "",
        _table(["split", "articles", "sentences", "tokens", "argument links"],
               [[s, counts[s]["articles"], counts[s]["sentences"], counts[s]["tokens"],
                 counts[s]["arguments"]] for s in SPLITS]), "",
        "## Annotation process", "",
        "- tool: Label Studio (community edition), spans and relations in the browser, "
        "pre-annotated by rules and a gazetteer that annotators corrected",
        "- guidelines: `annotation/guidelines.md` of the khabar repository (span rules, a "
        "definition per label, argument rules, decision log)",
        f"- annotators: {annotators} (distinct accounts in the Label Studio export). "
        f"{settings.get('annotator_note', '')}".rstrip(),
        agreement_line(agreement), *filter(None, [decided_line(dd), work_state]), "",
        "## Intended uses", "",
        "Training and evaluating Hindi named-entity recognition and event detection on news; "
        "studying annotation of events and their arguments in Hindi.", "",
        "## Out-of-scope uses", "",
        "Republishing the news text; profiling the people named; drawing conclusions about events "
        "from the labels (they describe what the text says, not what happened).", "",
        "## Bias and limitations", "",
        f"A small corpus ({total['articles']} articles) on Indian foreign policy, mostly "
        "India–Russia relations, from a few outlets and dates: entity and event distributions are "
        "far from general Hindi news, and scores on it have wide error bars.", "",
        "## Personal information", "",
        "The text names public figures (ministers, heads of state, officials) in their public "
        "roles, as published by the outlets. No private individuals were sought out.", "",
        "## Licence", "", f"`{settings['license']}`"
        + (f" ({settings['license_name']})" if settings.get("license_name") else "") + ": "
        + settings.get("license_note", "").strip(), "",
        "## Citation", "", "```bibtex", settings.get("citation", "").strip(), "```", "",
    ]  # fmt: skip
    return "\n".join(parts)


def check_metadata(meta: dict) -> None:
    """Refuse a card header that lacks what the Hub lists a dataset by (REQUIRED_METADATA)."""
    missing = [k for k in REQUIRED_METADATA if not meta.get(k)]
    if missing:
        raise PublishError(f"card metadata lacks {', '.join(missing)}")


def dataset_card(dd, settings: dict, articles: list[Article], build: dict, annotators: int,
                 agreement: dict | None = None, work_state: str = ""):  # fmt: skip
    """The card as huggingface_hub.DatasetCard, its metadata checked."""
    from huggingface_hub import DatasetCard, DatasetCardData

    meta = card_metadata(dd, settings)
    check_metadata(meta)
    data = DatasetCardData(**meta)  # raises on malformed metadata
    header = yaml.safe_dump(data.to_dict(), allow_unicode=True, sort_keys=False)
    return DatasetCard(
        f"---\n{header}---\n\n"
        + card_body(dd, settings, articles, build, annotators, agreement, work_state)
    )


def build_folder(dd, card, out_dir: Path) -> Path:
    """Write the repository folder: data/<split>-00000-of-00001.parquet and README.md."""

    def fill(tmp: Path) -> None:
        (tmp / DATA_DIR).mkdir(parents=True)
        for s in SPLITS:
            dd[s].to_parquet(str(tmp / DATA_DIR / f"{s}-00000-of-00001.parquet"))
        card.save(str(tmp / "README.md"))

    return build_folder_atomically(out_dir, fill)


def read_build_info(dataset_dir: Path) -> dict:
    """khabar_build.json of an exported dataset (split fractions and seed)."""
    path = Path(dataset_dir) / "khabar_build.json"
    return read_json(path) if path.is_file() else {}


def publish_dataset(dataset_dir: Path, articles: list[Article], export_file: Path,
                    settings_file: Path, hub_root: Path, repo_id: str = "", token: str = "",
                    private: bool = True, agreement_file: Path | None = None,
                    review_file: Path | None = None) -> tuple[Path, str | None]:  # fmt: skip
    """Build datasets/hub/<repo_name>/ and, with a repo id and a token, upload that folder.

    Returns (folder, url or None when nothing was uploaded).
    """
    from datasets import load_from_disk

    if not (Path(dataset_dir) / "dataset_dict.json").is_file():
        raise PublishError(f"{dataset_dir} is not a khabar dataset: run `make all` first")
    try:
        dd = load_from_disk(str(dataset_dir))
    except IndexError as exc:  # datasets cannot reload a split saved with no rows
        raise PublishError(f"{dataset_dir} cannot be read; is a split empty? ({exc})") from exc
    state = check_publishable(dd, Path(export_file).parent / "problems.jsonl")
    settings = load_card_settings(settings_file)
    export = read_json(export_file) if Path(export_file).is_file() else []
    agreement = (read_json(agreement_file)
                 if agreement_file and Path(agreement_file).is_file() else None)  # fmt: skip
    review = read_json(review_file) if review_file and Path(review_file).is_file() else None
    lines = [work_state_line(export, state), review_line(review, export)]
    card = dataset_card(dd, settings, articles, read_build_info(dataset_dir),
                        count_annotators(export), agreement,
                        "\n".join(filter(None, lines)))  # fmt: skip
    folder = build_folder(dd, card, Path(hub_root) / settings["repo_name"])
    if not (repo_id and token):
        return folder, None
    return folder, upload(folder, repo_id, token, private)
