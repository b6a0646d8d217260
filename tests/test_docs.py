"""The documentation site builds in mkdocs' strict mode (every page in the nav, every link to a
page or heading resolves), and the README stays a newcomer's page."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_the_docs_build_strict_and_their_links_resolve(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                           str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")}
    assert {"annotating", "training", "events", "publishing", "operating", "benchmarks",
            "architecture"} <= pages  # fmt: skip
    for page in pages:
        built = tmp_path / "site" / ("index.html" if page == "index" else f"{page}/index.html")
        assert built.is_file(), page
    assert (tmp_path / "site" / "img" / "timeline.png").is_file()


def test_a_broken_link_fails_the_build(tmp_path):
    """The check above can fail: strict mode refuses a link to a page that does not exist."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\nSee [the missing page](missing.md).\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nstrict: true\n")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode != 0 and "missing.md" in done.stdout + done.stderr


def test_the_readme_is_a_newcomers_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "make all" in readme and "make test" in readme
    for page in ("annotating", "training", "events", "publishing", "operating", "benchmarks",
                 "architecture"):  # fmt: skip
        assert f"docs/{page}.md" in readme


def test_the_docs_tables_are_rendered_from_their_json(tmp_path):
    """Every table of measured figures is what its JSON renders to, and a figure changed by hand
    in the JSON (or in the page) is caught."""
    import json
    import shutil

    script = [sys.executable, str(ROOT / "scripts" / "docs_tables.py")]
    done = subprocess.run([*script, "--check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 stale" in done.stdout and not done.stdout.startswith("0 rendered")

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")  # architecture.md's targets
    result = docs / "results" / "bench-al.json"
    r = json.loads(result.read_text(encoding="utf-8"))
    r["summary"]["margin"]["words_mean"] += 1000  # a figure changed in the JSON alone
    result.write_text(json.dumps(r), encoding="utf-8")
    done = subprocess.run([*script, "--docs", str(docs), "--check"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "benchmarks.md: a table differs" in done.stderr
    subprocess.run([*script, "--docs", str(docs)], check=True, capture_output=True, timeout=120)
    assert "12,359 ± 1,023" in (docs / "benchmarks.md").read_text(encoding="utf-8")

    # A new documented make target is missing from the architecture page until it is rendered.
    with (tmp_path / "Makefile").open("a", encoding="utf-8") as fh:
        fh.write("\nshiny: ## A new target\n\t@true\n")
    done = subprocess.run([*script, "--docs", str(docs), "--check"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "architecture.md: a table differs" in done.stderr


def test_each_role_page_starts_with_what_to_run():
    for page in ("annotating", "training", "events", "publishing", "operating"):
        head = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8").splitlines()[:25]
        fence = head.index("```bash") if "```bash" in head else None
        assert fence is not None and head[fence + 1].startswith("make "), page
    annotating = (ROOT / "docs" / "annotating.md").read_text(encoding="utf-8")[:1500]
    assert "http://127.0.0.1:8080" in annotating and "admin@khabar.local" in annotating


def test_every_committed_result_says_where_it_comes_from():
    """Each result the docs render names its command, date, CPU (with the features that change
    its speed), cores and commit; one written down from an older page says so and where."""
    import json

    results = sorted((ROOT / "docs" / "results").glob("*.json"))
    assert results
    for path in results:
        r = json.loads(path.read_text(encoding="utf-8"))
        missing = {"command", "date", "cpu", "cpu_features", "cores", "commit"} - r.keys()
        assert not missing, f"{path.name} lacks {sorted(missing)}"
        assert r["commit"] or r.get("transcribed") and r.get("documented_in"), path.name
