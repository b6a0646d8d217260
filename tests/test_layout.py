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
