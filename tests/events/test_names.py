"""Canonical entities: spelling variants merged, the alias file respected on later runs."""

from collections import Counter

import pytest

from khabar.events.names import Canonicaliser, key, read_aliases, write_aliases


def test_key_drops_honorifics_initials_dots_and_case_markers():
    assert key("डॉ. एस. जयशंकर") == key("एस जयशंकर") == key("जयशंकर") == "जयशंकर"
    assert key("मॉस्को") == key("मास्को")  # ॉ read as ा
    assert key("सर्गेई लॉवरोव") == key("सर्गेई लावरोव")
    assert key("भारत-") == key("भारत")
    assert key("रूस के") == key("रूस")  # a case marker left on the span


def _fitted(tmp_path, names: dict[tuple[str, str], int]) -> Canonicaliser:
    from khabar.events.names import Aliases

    c = Canonicaliser(
        read_aliases(tmp_path / "aliases.yaml")
        if (tmp_path / "aliases.yaml").exists()
        else Aliases()
    )
    c.fit(Counter(names))
    return c


SAMPLE = {
    ("PER", "जयशंकर"): 22,
    ("PER", "एस जयशंकर"): 13,
    ("PER", "डॉ. एस. जयशंकर"): 1,
    ("PER", "सर्गेई लावरोव"): 17,
    ("PER", "लावरोव"): 7,
    ("PER", "सर्गेई"): 1,
    ("LOC", "मॉस्को"): 10,
    ("LOC", "मास्को"): 5,
    ("LOC", "भारत"): 26,
    ("LOC", "भारत-प्रशांत क्षेत्र"): 1,
    ("LOC", "कजाखिस्तान"): 3,
    ("LOC", "कजाकिस्तान"): 1,
    ("PER", "Putin"): 1,
    ("PER", "व्लादिमीर पुतिन"): 8,
    ("PER", "पुतिन"): 11,
    ("DATE", "सोमवार"): 3,
}


def test_variants_merge_to_one_canonical_name(tmp_path):
    c = _fitted(tmp_path, SAMPLE)
    assert {c.canonical("PER", t) for t in ("जयशंकर", "डॉ. एस. जयशंकर")} == {"एस जयशंकर"}
    assert {c.canonical("PER", t) for t in ("लावरोव", "सर्गेई")} == {"सर्गेई लावरोव"}
    assert c.canonical("LOC", "मास्को") == "मॉस्को"  # the more frequent spelling leads
    assert c.canonical("LOC", "कजाकिस्तान") == "कजाखिस्तान"  # one letter apart
    # A country is not a lone name inside a longer place name, and scripts are not crossed.
    assert c.canonical("LOC", "भारत") == "भारत"
    assert c.canonical("PER", "Putin") == "Putin"
    assert c.canonical("DATE", "सोमवार") == "सोमवार"  # dates are never merged


def test_the_alias_file_is_respected_and_grown(tmp_path):
    path = tmp_path / "aliases.yaml"
    c = _fitted(tmp_path, SAMPLE)
    assert write_aliases(c.aliases, path)
    assert not write_aliases(c.aliases, path)  # nothing new: the file is left alone
    # A reviewer merges across scripts and undoes a merge (सर्गेई gets an entry of its own).
    text = path.read_text(encoding="utf-8")
    text = text.replace("  Putin: []\n", "").replace("  - सर्गेई\n", "")
    text = text.replace("  व्लादिमीर पुतिन:\n", "  व्लादिमीर पुतिन:\n  - Putin\n")
    path.write_text(text + "  सर्गेई: []\n", encoding="utf-8")
    again = _fitted(tmp_path, {**SAMPLE, ("PER", "सर्गेई लॉवरोव"): 1})
    assert again.canonical("PER", "Putin") == "व्लादिमीर पुतिन"
    assert again.canonical("PER", "सर्गेई") == "सर्गेई"
    assert again.added == [("PER", "सर्गेई लावरोव", "सर्गेई लॉवरोव")]  # only what is new
    write_aliases(again.aliases, path)
    assert read_aliases(path).lookup("PER", "Putin") == "व्लादिमीर पुतिन"
    assert "later runs keep every spelling" in path.read_text(encoding="utf-8").lower()


def test_a_broken_alias_file_is_one_clear_error(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("PER:\n  एस जयशंकर: [जयशंकर\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        read_aliases(path)
