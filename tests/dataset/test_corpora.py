"""Declared public corpora (annotation/transfer.yaml): the shipped entries, local CoNLL, parquet
and save_to_disk copies, the Hub's parquet-conversion layout read offline, held-out parts, and
one-line refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from khabar.dataset.corpora import (
    CorpusError,
    CorpusSpec,
    carve,
    load_declared,
    mentions,
    read_corpus,
    repair_bio,
    require_mentions,
    sample,
)

ROOT = Path(__file__).resolve().parents[2]
HINER_TAGS = ["O", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION", "B-ORGANIZATION",
              "I-ORGANIZATION"]  # fmt: skip
SENTENCES = [
    (["नरेंद्र", "मोदी", "दिल्ली", "पहुंचे", "।"], ["B-PERSON", "I-PERSON", "B-LOCATION", "O", "O"]),
    (["संयुक्त", "राष्ट्र", "ने", "कहा"], ["B-ORGANIZATION", "I-ORGANIZATION", "O", "O"]),
    (["लावरोव", "मॉस्को", "में", "थे"], ["B-PERSON", "B-LOCATION", "O", "O"]),
    (["सेना", "ने", "2003", "में", "कहा"], ["I-ORGANIZATION", "O", "B-NETI", "O", "O"]),
]


def spec(**kw) -> CorpusSpec:
    base = {"name": "toy", "title": "Toy NER", "license": "cc-by-4.0", "citation": "Toy 2026",
            "tag_map": {"PERSON": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG"}}  # fmt: skip
    return CorpusSpec(**{**base, **kw})


def write_conll(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("".join(f"{w}\t{t}\n" for w, t in zip(*r, strict=True)) + "\n"
                            for r in rows), encoding="utf-8")  # fmt: skip
    return path


def test_shipped_entries_declare_sources_licences_and_maps(schema):
    declared = load_declared(ROOT / "annotation" / "transfer.yaml", schema.entity_names)
    assert {"hiner", "ilner", "naamapadam", "wikiann"} <= set(declared)
    for s in declared.values():
        assert s.license and s.citation and s.hub_id and (s.hub or s.hub_file)
        assert set(s.types) <= {"PER", "LOC", "ORG"}
    assert declared["hiner"].hub["revision"] == "refs/convert/parquet"
    assert declared["hiner"].local["held_out"] == "last 10%"
    assert declared["ilner"].tag_map == {"NEP": "PER", "NEL": "LOC", "NEO": "ORG"}
    # the card and the loading script disagree: the stricter one is carried, and it is said
    assert declared["naamapadam"].license == "cc-by-nc-4.0"
    assert "cc0-1.0" in declared["naamapadam"].license_note


def test_a_declaration_mistake_is_one_line(tmp_path, schema):
    f = tmp_path / "t.yaml"
    f.write_text("corpora:\n  x: {title: X, license: mit, citation: c, tag_map: {A: HUMAN},\n"
                 "      local: {train: x.conll}}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(CorpusError, match="maps onto \\['HUMAN'\\]"):
        load_declared(f, schema.entity_names)
    f.write_text("corpora:\n  x: {title: X, license: mit, tag_map: {A: PER}}\n", "utf-8")
    with pytest.raises(CorpusError, match="lacks citation"):
        load_declared(f, schema.entity_names)


def test_local_conll_is_mapped_repaired_and_carved(tmp_path):
    write_conll(tmp_path / "toy" / "train.conll", SENTENCES * 5)
    c = read_corpus(spec(local={"train": "toy/train.conll", "held_out": "last 10%"}),
                    data=tmp_path)  # fmt: skip
    assert c.source == "local" and len(c.train) == 18 and len(c.held_out) == 2
    assert [w for w, _ in c.held_out] == [SENTENCES[2][0], SENTENCES[3][0]]  # the last two
    assert c.train[0] == (SENTENCES[0][0], ["B-PER", "I-PER", "B-LOC", "O", "O"])
    # an I- after O starts an entity; IL-NER-like NETI is not mapped: O, and counted
    assert c.train[3][1] == ["B-ORG", "O", "O", "O", "O"] and c.repaired == 5
    assert c.dropped == {"B-NETI": 5}
    assert c.read[0]["sha256"] and c.read[0]["sentences"] == 20
    assert "the last 10%" in c.held_out_from


def test_a_held_out_part_without_a_type_is_refused(tmp_path):
    # the last 10 % of this file has no PER: an F1 over it would be 0 at every epoch
    rows = SENTENCES[:3] * 6 + [SENTENCES[1]] * 2
    write_conll(tmp_path / "t.conll", rows)
    with pytest.raises(CorpusError, match="no mention of PER.*shuffle"):
        read_corpus(spec(local={"train": "t.conll", "held_out": "last 10%"}), data=tmp_path)
    c = read_corpus(spec(local={"train": "t.conll", "held_out": "shuffle 30%"}), data=tmp_path)
    assert mentions(c.held_out)["PER"] and len(c.held_out) == 6


def test_tag_names_that_cannot_be_right_are_refused(tmp_path):
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    names = ["B-LOCATION", "O", "B-PERSON"]  # a wrong reading: O is not the most frequent tag
    feats = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(
        names=names))})  # fmt: skip
    Dataset.from_dict({"tokens": [["राम", "आए", "कल"]], "ner_tags": [[2, 0, 0]]},
                      features=feats).to_parquet(str(tmp_path / "t.parquet"))  # fmt: skip
    with pytest.raises(CorpusError, match="most frequent tag is 'B-LOCATION'"):
        read_corpus(spec(local={"train": "t.parquet", "held_out": "last 50%"}), data=tmp_path)


def _hub_layout(root: Path, config: str) -> None:
    """A folder laid out like the Hub's parquet conversion: <config>/<split>/0000.parquet, tag
    names in the ClassLabel the parquet metadata carries."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    feats = Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                      "ner_tags": Sequence(ClassLabel(names=HINER_TAGS))})  # fmt: skip
    for split, rows in (("train", SENTENCES[:3] * 3), ("validation", SENTENCES[:3])):
        (root / config / split).mkdir(parents=True)
        ds = Dataset.from_dict({"id": [str(i) for i in range(len(rows))],
                                "tokens": [w for w, _ in rows],
                                "ner_tags": [[HINER_TAGS.index(t) for t in tags]
                                             for _, tags in rows]}, features=feats)  # fmt: skip
        ds.to_parquet(str(root / config / split / "0000.parquet"))


def test_the_hub_path_reads_a_parquet_conversion_offline(tmp_path):
    mirror = tmp_path / "cfilt" / "HiNER-collapsed"
    _hub_layout(mirror, "HiNER-Collapsed")
    s = spec(hub={"id": str(mirror), "revision": "refs/convert/parquet",
                  "config": "HiNER-Collapsed", "train": "train", "held_out": "validation"},
             local={"train": "not-here.conll"})  # fmt: skip
    # auto: no local copy, so the Hub path; the same code reads the Hub or this folder
    c = read_corpus(s, "auto", data=tmp_path, cache_dir=str(tmp_path / "cache"))
    assert c.source == "hub" and len(c.train) == 9 and len(c.held_out) == 3
    assert c.held_out_from == "its own held-out part"
    assert c.train[0][1] == ["B-PER", "I-PER", "B-LOC", "O", "O"]
    assert c.read[0]["from"].startswith("hf://datasets/") and len(c.read[0]["sha256"]) == 64
    with pytest.raises(CorpusError, match="not-here.conll not found"):
        read_corpus(s, "local", data=tmp_path)


def test_a_save_to_disk_folder_is_a_local_copy(tmp_path):
    from datasets import Dataset

    Dataset.from_dict({"tokens": [w for w, _ in SENTENCES[:3] * 4],
                       "ner_tags": [t for _, t in SENTENCES[:3] * 4]}).save_to_disk(
        str(tmp_path / "disk"))  # fmt: skip
    c = read_corpus(spec(local={"train": "disk", "held_out": "shuffle 25%"}), data=tmp_path)
    assert len(c.train) == 9 and len(c.held_out) == 3 and c.source == "local"


def test_an_unreachable_corpus_is_one_line_with_what_to_set(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(
        "corpora:\n  far:\n    title: Far\n    license: cc-by-4.0\n    citation: c\n"
        "    tag_map: {PER: PER}\n    hub: {id: nobody/no-such-corpus, train: train}\n"
        "    local: {train: far/train.conll}\n", encoding="utf-8")  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path),
           "HF_HOME": str(tmp_path / "hf"), "TRANSFER_DATA": str(tmp_path)}  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", "transfer-base", "far",
                           "--corpora-file", str(f), "--dry-run"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)  # fmt: skip
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "'far' cannot be read" in err and "TRANSFER_DATA" in err and "Hub is reachable" in err
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", "transfer-base", "hiner", "nope"],
                          capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 1 and "unknown transfer corpus nope" in proc.stderr


def test_draws_are_seeded_and_keep_file_order():
    rows = [([str(i)], ["O"]) for i in range(100)]
    rest, part = carve(rows, 0.1, True, seed=3)
    assert len(part) == 10 and len(rest) == 90 and part == sorted(part, key=lambda r: int(r[0][0]))
    assert carve(rows, 0.1, True, seed=3) == (rest, part) and carve(rows, 0.1, True, 4) != (
        rest, part)  # fmt: skip
    assert carve(rows, 0.5, True, cap=7)[1].__len__() == 7
    assert sample(rows, 5, 1) == sample(rows, 5, 1) and len(sample(rows, 500)) == 100
    assert repair_bio(["I-PER", "I-PER", "O", "I-LOC", "B-ORG", "I-LOC"]) == (
        ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-LOC"], 3)  # fmt: skip
    with pytest.raises(CorpusError, match="no mention of ORG"):
        require_mentions([(["राम"], ["B-PER"])], ["PER", "ORG"], "a part")


def test_a_silent_hub_is_found_out_at_once_and_the_default_goes_on_without_it(tmp_path):
    """`make all`'s default transfer: no local copy and a Hub that does not answer (a closed
    port here) is one line, the Hub client's retries never run, and with --or-project-only
    the folder records it and the command succeeds; without it, the command fails."""
    from tests.conftest import _free_port

    f = tmp_path / "t.yaml"
    f.write_text(
        "corpora:\n  far:\n    title: Far\n    license: cc-by-4.0\n    citation: c\n"
        "    tag_map: {PER: PER}\n    hub: {id: nobody/no-such-corpus, train: train}\n"
        "    local: {train: far/train.conll}\n", encoding="utf-8")  # fmt: skip
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
        "TRANSFER_DATA": str(tmp_path),
        "HF_ENDPOINT": f"http://127.0.0.1:{_free_port()}",
    }
    cmd = [sys.executable, "-m", "khabar.cli", "transfer-base", "far", "--corpora-file", str(f),
           "--recipe", "quick", "--out", str(tmp_path / "pool")]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 1 and "did not answer" in proc.stderr
    assert not (tmp_path / "pool").exists()
    proc = subprocess.run([*cmd, "--or-project-only"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    said = proc.stderr.strip().splitlines()
    assert len(said) == 1 and "127.0.0.1" in said[0] and "did not answer" in said[0]
    assert "project's data alone" in said[0] and "TRANSFER_DATA" in said[0]
    prov = json.loads((tmp_path / "pool" / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["unavailable"] == said[0].removeprefix("khabar: ").split(" (until then")[0]
