"""Repository layout rules that protect users from subtle breakage."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_datasets_is_the_hf_library():
    import datasets

    assert hasattr(datasets, "load_from_disk") and hasattr(datasets, "DatasetDict")
    assert "site-packages" in str(Path(datasets.__file__))
    assert not Path(datasets.__file__).is_relative_to(ROOT / "datasets")


def test_datasets_folder_holds_no_python():
    assert not list((ROOT / "datasets").rglob("*.py"))


def test_required_layout():
    for name in ("annotation", "datasets", "models", "scripts", "tests", "Makefile", "src/khabar"):
        assert (ROOT / name).exists(), name


def test_torch_is_pinned():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"torch==2.13.0"' in text


def test_the_lock_pins_every_dependency_at_the_version_installed():
    """requirements.lock (`make lock`, used by `make setup`) holds every package khabar needs,
    with its dev extras, at exactly the version these tests run with."""
    import re
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    )
    pins = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    todo, seen = [Requirement("khabar[dev]")], set()
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            continue  # an optional dependency of a dependency, not installed
        if name != "khabar":
            assert pins.get(name) == dist.version.split("+")[0], (name, dist.version)
        for spec in dist.requires or []:
            r = Requirement(spec)
            if not r.marker or any(r.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
                todo.append(r)
    assert {"torch", "transformers", "label-studio", "hypothesis"} <= seen
