"""`make all` in a fresh copy of the repository, as a user runs it, with a password and a token of
its own: the pipeline finishes, and neither secret appears in anything it printed or wrote (its
output, the server's log, every data, model and report file). Khabar's small self-built base and
one epoch keep it to a few minutes; the real base's figures are measured by `make all` itself."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, _free_port, make_env, toy_hiner

TEXT_SUFFIXES = {".json", ".jsonl", ".md", ".txt", ".log", ".html", ".yaml", ".xml", ".csv",
                 ".conll", ".tsv", ".stamp", ".pid"}  # fmt: skip


NEW_ARTICLE = """नई दिल्ली में विदेश मंत्री ने राजदूतों से मुलाकात की

नई दिल्ली: विदेश मंत्री एस जयशंकर ने मंगलवार को नई दिल्ली में कई देशों के राजदूतों से मुलाकात की।
बैठक में व्यापार और ऊर्जा सहयोग पर चर्चा हुई। मंत्रालय ने कहा कि बातचीत सकारात्मक रही।
"""


def _copy_of_the_repository(dest) -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, capture_output=True, check=True,
                           timeout=600).stdout  # fmt: skip
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")  # installed already; `-o` keeps make off it


def test_make_all_finishes_and_never_shows_a_secret(tmp_path, monkeypatch):
    repo = tmp_path / "khabar"
    _copy_of_the_repository(repo)
    assert not (repo / ".env").exists()  # git-ignored: a developer's settings stay behind
    password, token = f"pw-{secrets.token_hex(12)}", f"tok-{secrets.token_hex(16)}"
    # Credentials in the caller's shell never reach the run: `publish-dataset` below must not
    # even try an upload (make_env passes an allow-list of variables).
    monkeypatch.setenv("HF_TOKEN", f"hf_{secrets.token_hex(8)}")
    monkeypatch.setenv("HF_DATASET_REPO", "someone/khabar-test")
    # TRANSFER empty: the sample alone (the default transfer is tested on a toy corpus below).
    env = make_env(tmp_path, LABEL_STUDIO_PASSWORD=password, LABEL_STUDIO_USER_TOKEN=token,
                   LABEL_STUDIO_PORT=str(_free_port()), BASE_MODEL="scratch", TRANSFER="",
                   TRAIN_FLAGS="--epochs 1 --event-epochs 1 --max-length 128")  # fmt: skip
    assert "HF_TOKEN" not in env and "HF_DATASET_REPO" not in env
    make = ["make", "-o", ".venv/.khabar-installed"]
    try:
        done = subprocess.run([*make, "all"], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=1200)  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        # Each stage ran once (the export used to run twice), and `make all` said how long.
        stages = [ln.split("\t")[0] for ln in
                  (repo / ".khabar-stages.tsv").read_text().splitlines()]  # fmt: skip
        assert {"ingest", "export --no-build", "export --from-file", "train", "events"} <= set(
            stages)  # fmt: skip
        assert len(stages) == len(set(stages)), stages
        assert "Stages run (seconds):" in done.stdout
        # After a finished `make all`, `make -n all` previews no stage (a stamp newer than the
        # file it guards made it preview a whole rebuild that make then skipped).
        preview = subprocess.run([*make, "-n", "all"], cwd=repo, env=env, capture_output=True,
                                 text=True, timeout=300)  # fmt: skip
        assert preview.returncode == 0, preview.stderr[-3000:]
        assert "bin/khabar" not in preview.stdout, preview.stdout[-3000:]
        # A new article nobody has labelled yet: everything up to the export reruns, the dataset
        # keeps its rows and files, so nothing is trained again, and publishing is not blocked.
        (repo / "datasets" / "raw" / "900_new.txt").write_text(NEW_ARTICLE, "utf-8")
        dataset = repo / "datasets" / "dataset" / "dataset_dict.json"
        built = dataset.stat().st_mtime_ns
        again = subprocess.run([*make, "all", "publish-dataset"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=1200)  # fmt: skip
    finally:
        subprocess.run(
            ["make", "label-studio-stop"], cwd=repo, env=env, capture_output=True, timeout=600
        )
    said = done.stdout + done.stderr + again.stdout + again.stderr
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "khabar export" in again.stdout and "khabar train" not in again.stdout
    assert "dataset unchanged, not rewritten" in again.stdout
    assert "not uploaded: set HF_TOKEN and HF_DATASET_REPO" in again.stdout
    assert "uploaded to" not in said.replace("not uploaded", "")
    assert dataset.stat().st_mtime_ns == built
    card = next((repo / "datasets" / "hub").glob("*/README.md")).read_text("utf-8")
    assert "1 of 6 articles not labelled yet" in card
    assert "Done. Label Studio:" in said
    assert (repo / "models" / "default" / "report.md").is_file()
    assert (repo / "datasets" / "predictions" / "default.jsonl").is_file()
    assert (repo / "datasets" / "events" / "report.html").is_file()  # what the corpus says
    assert (repo / "datasets" / "events" / "gold" / "events.parquet").is_file()
    looked = 0
    for folder, _, names in os.walk(repo):  # never into the .venv link
        for path in (Path(folder) / n for n in names if Path(n).suffix in TEXT_SUFFIXES):
            text = path.read_text("utf-8", errors="replace")
            assert password not in text and token not in text, path
            looked += 1
    assert password not in said and token not in said
    assert looked > 30 and (repo / ".labelstudio" / "server.log").is_file()


def test_the_default_transfer_reads_a_corpus_under_transfer_data_and_can_be_left_out(tmp_path):
    """`make all`'s transfer stage as make runs it, on a toy HiNER under TRANSFER_DATA: the quick
    recipe's pool of models/default; TRANSFER= leaves it out, a named corpus is the full recipe
    with a run of its own. (The run from a pool: tests/model/train/test_transfer.py.)"""
    repo, data = tmp_path / "khabar", tmp_path / "data"
    _copy_of_the_repository(repo)
    toy_hiner(data)
    env = make_env(tmp_path, TRANSFER_DATA=str(data))
    make = ["make", "-o", ".venv/.khabar-installed", "-o", "models/base/e5-small/PROVENANCE.json"]
    pool = repo / "models" / "base" / "transfer-hiner-quick"
    done = subprocess.run([*make, f"{pool.relative_to(repo)}/PROVENANCE.json"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "--recipe quick" in done.stdout and "--or-project-only" in done.stdout
    prov = json.loads((pool / "PROVENANCE.json").read_text("utf-8"))
    assert prov["trained"] is False and not (pool / "model.safetensors").exists()
    (c,) = prov["corpora"]
    assert c["name"] == "hiner" and c["license"] == "cc-by-sa-4.0" and c["source"] == "local"
    assert c["sentences"]["held_out"] == 4 and c["sentences"]["pool"] == c["sentences"]["train"]
    assert c["read"][0]["from"] == str(data / "hiner" / "hiner-collapsed-part1.conll")

    def preview(*more: str) -> str:
        run = subprocess.run([*make, "-n", "train", *more], cwd=repo, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout

    default = preview()
    assert f"--out models/default --transfer {pool.relative_to(repo)}" in default
    assert "transfer-base" not in preview("TRANSFER=") and "--transfer" not in preview("TRANSFER=")
    named = preview("TRANSFER=hiner")
    assert "transfer-base hiner --recipe full --out models/base/transfer-hiner " in named
    assert "--or-project-only" not in named and "--out models/transfer-hiner" in named
