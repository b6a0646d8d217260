"""Schema loading and everything generated from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from khabar.schema import SchemaError, instructions_html, label_config, load_schema

ROOT = Path(__file__).resolve().parents[1]


def test_schema_has_required_labels(schema):
    assert {"PER", "ORG", "LOC", "DATE", "EVENT"} <= set(schema.entity_names)
    assert {
        "MEET",
        "TRAVEL",
        "STATEMENT",
        "SUMMIT",
        "AGREEMENT",
        "INAUGURATION",
        "CONFLICT",
        "DEATH",
        "ELECTION",
    } <= set(schema.event_names)
    assert {"participant", "place", "time"} <= set(schema.role_names)
    assert all(e.examples for e in schema.events), "every event type has Hindi trigger examples"
    assert schema.bio_tags[0] == "O" and "B-PER" in schema.bio_tags and "I-EVENT" in schema.bio_tags


def test_label_config_lists_every_label(schema):
    root = ET.fromstring(label_config(schema))
    entity = root.find("./Labels[@name='entity']")
    trigger = root.find("./Labels[@name='trigger']")
    assert [x.get("value") for x in entity] == schema.entity_names
    assert [x.get("value") for x in trigger] == schema.event_names
    assert [x.get("value") for x in root.find("./Relations")] == schema.role_names
    assert root.find("./Text").get("value") == "$text"


def test_generated_files_are_current(schema):
    # annotation/label_config.xml is generated: editing it by hand would be lost.
    committed = (ROOT / "annotation" / "label_config.xml").read_text(encoding="utf-8")
    assert committed == label_config(schema)
    assert "MEET" in instructions_html(schema)


def test_role_constraints(schema):
    assert schema.role_allows("time", "DATE")
    assert not schema.role_allows("time", "PER")
    assert not schema.role_allows("no-such-role", "PER")


@pytest.mark.parametrize(
    "text,message",
    [
        ("entities: []\nevents: [{name: A}]\nroles: [{name: r}]", "no entities"),
        ("entities: [{name: A}, {name: A}]\nevents: [{name: B}]\nroles: [{name: r}]", "duplicate"),
        (
            "entities: [{name: A}]\nevents: [{name: A}]\nroles: [{name: r}]",
            "both as entity and event",
        ),
        (
            "entities: [{name: A}]\nevents: [{name: B}]\nroles: [{name: r, entity_types: [Z]}]",
            "unknown entity",
        ),
        ("entities: [\n", "not valid YAML"),
    ],
)
def test_bad_schema_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        load_schema(path)


def test_missing_schema(tmp_path):
    with pytest.raises(SchemaError, match="not found"):
        load_schema(tmp_path / "nope.yaml")
