"""The annotation schema: labels, event types and roles, and everything generated from them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import yaml

DEFAULT_SCHEMA = Path("annotation/schema.yaml")

# Names of the Label Studio controls; the export reads regions by these names.
ENTITY_CONTROL = "entity"
TRIGGER_CONTROL = "trigger"
TEXT_OBJECT = "text"


class SchemaError(ValueError):
    """The schema file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Label:
    """One entity type, event type or argument role."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()
    color: str | None = None
    hotkey: str | None = None
    ace: str | None = None
    entity_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    """Entity types, event types and argument roles, as read from schema.yaml."""

    entities: tuple[Label, ...]
    events: tuple[Label, ...]
    roles: tuple[Label, ...]
    name: str = "khabar"
    version: int = 1
    overlap: dict = field(default_factory=dict)

    @property
    def entity_names(self) -> list[str]:
        """Entity labels in schema order."""
        return [e.name for e in self.entities]

    @property
    def event_names(self) -> list[str]:
        """Event (trigger) types in schema order."""
        return [e.name for e in self.events]

    @property
    def role_names(self) -> list[str]:
        """Argument roles in schema order."""
        return [r.name for r in self.roles]

    @property
    def bio_tags(self) -> list[str]:
        """BIO tag inventory for ner_tags: O first, then B-/I- per entity type."""
        return bio_inventory(self.entity_names)

    @property
    def trigger_tags(self) -> list[str]:
        """BIO tag inventory of event triggers: O first, then B-/I- per event type."""
        return bio_inventory(self.event_names)

    def role_allows(self, role: str, entity_label: str) -> bool:
        """Whether `role` may link a trigger to an entity of type `entity_label`."""
        for r in self.roles:
            if r.name == role:
                return not r.entity_types or entity_label in r.entity_types
        return False


def bio_inventory(names: list[str]) -> list[str]:
    """O, then B-X and I-X for every name X."""
    return ["O"] + [f"{p}-{n}" for n in names for p in "BI"]


def _labels(raw: list | None, kind: str) -> tuple[Label, ...]:
    if not raw:
        raise SchemaError(f"schema has no {kind}")
    out = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("name"):
            raise SchemaError(f"every entry under {kind} needs a name: {item!r}")
        out.append(
            Label(
                name=str(item["name"]),
                description=str(item.get("description") or ""),
                examples=tuple(item.get("examples") or item.get("triggers") or ()),
                color=item.get("color"),
                hotkey=None if item.get("hotkey") is None else str(item["hotkey"]),
                ace=item.get("ace"),
                entity_types=tuple(item.get("entity_types") or ()),
            )
        )
    names = [label.name for label in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(f"duplicate {kind} names: {', '.join(dupes)}")
    return tuple(out)


def load_schema(path: Path | str = DEFAULT_SCHEMA) -> Schema:
    """Read and check annotation/schema.yaml."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"schema file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path} is not valid YAML: {exc}") from exc
    schema = Schema(
        entities=_labels(raw.get("entities"), "entities"),
        events=_labels(raw.get("events"), "events"),
        roles=_labels(raw.get("roles"), "roles"),
        name=str(raw.get("name") or "khabar"),
        version=int(raw.get("version") or 1),
        overlap=dict(raw.get("overlap") or {}),
    )
    clash = set(schema.entity_names) & set(schema.event_names)
    if clash:
        raise SchemaError(f"names used both as entity and event type: {', '.join(sorted(clash))}")
    for role in schema.roles:
        unknown = set(role.entity_types) - set(schema.entity_names)
        if unknown:
            raise SchemaError(f"role {role.name} names unknown entity types: {sorted(unknown)}")
    hotkeys = [x.hotkey for x in schema.entities + schema.events if x.hotkey]
    if len(hotkeys) != len(set(hotkeys)):
        raise SchemaError("two labels share a hotkey")
    return schema


def _label_tag(label: Label, default_color: str) -> str:
    attrs = f"value={quoteattr(label.name)} background={quoteattr(label.color or default_color)}"
    if label.hotkey:
        attrs += f" hotkey={quoteattr(label.hotkey)}"
    if label.description:
        attrs += f" hint={quoteattr(label.description)}"
    return f"    <Label {attrs}/>"


def label_config(schema: Schema) -> str:
    """Label Studio labeling config: entity and trigger span labels plus argument relations.

    `granularity="word"`: the editor widens a selection to whole words, which holds for
    Devanagari (a browser test drags जयशं|कर and क|्षेत्रीय and gets जयशंकर and क्षेत्रीय), so a
    mouse slip cannot cut a word between a consonant and its vowel sign."""
    entity_tags = "\n".join(_label_tag(e, "#adb5bd") for e in schema.entities)
    trigger_tags = "\n".join(_label_tag(e, "#ff6b6b") for e in schema.events)
    relation_tags = "\n".join(f"    <Relation value={quoteattr(r.name)}/>" for r in schema.roles)
    return f"""<View>
  <!-- Generated by `khabar schema` from annotation/schema.yaml: edit that file, not this one. -->
  <Header value="$title"/>
  <Header value="Entities" size="6"/>
  <Labels name="{ENTITY_CONTROL}" toName="{TEXT_OBJECT}" showInline="true">
{entity_tags}
  </Labels>
  <Header value="Event triggers (relation: trigger → entity = argument)" size="6"/>
  <Labels name="{TRIGGER_CONTROL}" toName="{TEXT_OBJECT}" showInline="true">
{trigger_tags}
  </Labels>
  <Relations>
{relation_tags}
  </Relations>
  <Text name="{TEXT_OBJECT}" value="$text" granularity="word"/>
</View>
"""


def instructions_html(schema: Schema) -> str:
    """Annotator instructions shown in Label Studio, generated from the schema."""
    esc = html.escape

    def rows(labels: tuple[Label, ...], extra) -> str:
        return "".join(
            f"<tr><td><b>{esc(x.name)}</b></td><td>{esc(x.hotkey or '')}</td>"
            f"<td>{esc(x.description)}</td><td>{esc(extra(x))}</td></tr>"
            for x in labels
        )

    return (
        f"<h2>{esc(schema.name)} — annotation instructions</h2>"
        "<p>Label every entity mention and every event trigger in the article. Pre-annotations "
        "come from a rule and gazetteer tagger or a model: <b>check every one</b>, fix or delete "
        "it. Full rules: <code>annotation/guidelines.md</code>.</p>"
        "<ul><li>Spans: select the words, then press the label's hotkey. Keep case markers and "
        "postpositions (ने, से, के, की, को, में) and titles outside the span.</li>"
        "<li>Arguments: select a trigger region, press <code>Alt+R</code> (or the relation "
        "button), click the entity, then choose the role on the relation.</li></ul>"
        "<h3>Entities</h3><table><tr><th>label</th><th>key</th><th>meaning</th>"
        f"<th>examples</th></tr>{rows(schema.entities, lambda x: ', '.join(x.examples))}</table>"
        "<h3>Event triggers</h3><table><tr><th>type</th><th>key</th><th>meaning</th>"
        f"<th>trigger words</th></tr>{rows(schema.events, lambda x: ', '.join(x.examples))}"
        "</table><h3>Argument roles</h3><table><tr><th>role</th><th></th><th>meaning</th>"
        f"<th>entity types</th></tr>{rows(schema.roles, lambda x: ', '.join(x.entity_types))}"
        "</table>"
    )


def write_generated(schema: Schema, out_dir: Path | str) -> list[Path]:
    """Write the Label Studio config and instructions next to the schema; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path = out_dir / "label_config.xml"
    instr_path = out_dir / "instructions.html"
    config_path.write_text(label_config(schema), encoding="utf-8")
    instr_path.write_text(instructions_html(schema) + "\n", encoding="utf-8")
    return [config_path, instr_path]
