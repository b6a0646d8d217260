"""`make all` in a fresh copy of the repository, as a user runs it, with a password and a token of
its own: the pipeline finishes, and neither secret appears in anything it printed or wrote (its
output, the server's log, every data, model and report file). Khabar's small self-built base and
one epoch keep it to a few minutes; the real base's figures are measured by `make all` itself."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, _free_port

TEXT_SUFFIXES = {".json", ".jsonl", ".md", ".txt", ".log", ".html", ".yaml", ".xml", ".csv",
                 ".conll", ".tsv", ".stamp", ".pid"}  # fmt: skip


NEW_ARTICLE = """नई दिल्ली में विदेश मंत्री ने राजदूतों से मुलाकात की

नई दिल्ली: विदेश मंत्री एस जयशंकर ने मंगलवार को नई दिल्ली में कई देशों के राजदूतों से मुलाकात की।
बैठक में व्यापार और ऊर्जा सहयोग पर चर्चा हुई। मंत्रालय ने कहा कि बातचीत सकारात्मक रही।
"""


def _copy_of_the_repository(dest) -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, capture_output=True, check=True).stdout  # fmt: skip
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")  # installed already; `-o` keeps make off it


def test_make_all_finishes_and_never_shows_a_secret(tmp_path):
    repo = tmp_path / "khabar"
    _copy_of_the_repository(repo)
    password, token = f"pw-{secrets.token_hex(12)}", f"tok-{secrets.token_hex(16)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO", "KHABAR"))}
    env.update(LABEL_STUDIO_PASSWORD=password, LABEL_STUDIO_USER_TOKEN=token,
               LABEL_STUDIO_PORT=str(_free_port()), BASE_MODEL="scratch",
               TRAIN_FLAGS="--epochs 1 --event-epochs 1 --max-length 128")  # fmt: skip
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
        # A new article nobody has labelled yet: everything up to the export reruns, the dataset
        # keeps its rows and files, so nothing is trained again, and publishing is not blocked.
        (repo / "datasets" / "raw" / "900_new.txt").write_text(NEW_ARTICLE, "utf-8")
        dataset = repo / "datasets" / "dataset" / "dataset_dict.json"
        built = dataset.stat().st_mtime_ns
        again = subprocess.run([*make, "all", "publish-dataset"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=1200)  # fmt: skip
    finally:
        subprocess.run(["make", "label-studio-stop"], cwd=repo, env=env, capture_output=True)
    said = done.stdout + done.stderr + again.stdout + again.stderr
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "khabar export" in again.stdout and "khabar train" not in again.stdout
    assert "dataset unchanged, not rewritten" in again.stdout
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
