"""Settings of the argument dataclasses: a default stated once, in its field, with its help, and
the environment variable that may override it (read by the field and by the command line alike)."""

from __future__ import annotations

import os
from dataclasses import MISSING, Field, field
from typing import Any


def env_default(var: str, default: str) -> str:
    """$`var` when it is set, else `default`: what a setting is when nobody passes it."""
    return os.environ.get(var, default)


def env_field(var: str, default: str, help: str) -> Any:
    """A str field defaulting to `default`, or to $`var` when it is set (the CLI reads it too)."""
    return field(default_factory=lambda: env_default(var, default),
                 metadata={"help": help, "envvar": var, "default": default})  # fmt: skip


def field_default(f: Field) -> Any:
    """A field's stated default, the environment aside (a list factory: a new empty list)."""
    if "default" in f.metadata:
        return f.metadata["default"]
    if f.default is not MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]
