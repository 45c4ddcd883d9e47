"""`c2c.toml`, the workspace's settings, validated: a wrong type, a value out of range or an unknown key is
refused with the file and line, never read loosely (`min_group_size = true` once counted as 1 and published
one-person groups; a misspelt key was ignored without a word).

Privacy thresholds may only be raised from their defaults: a workspace can be stricter than the tool,
never laxer. pydantic is imported here only, when a workspace is opened.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from c2c_monitor.errors import WorkspaceError

MIN_GROUP_SIZE = 3  # the default, and the floor: fewer people in a shown group would identify them
MIN_SPREAD_SIZE = 5  # the same for minimum, maximum and interquartile range (score/disclosure.py)
MAX_CONFIG_BYTES = 64 * 1024
# Printable text on one line: names and licences end up in page titles, file names and open data.
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255,
                                         pattern=r"^[^\x00-\x1f\x7f]+$")]


class Config(BaseModel):
    """The settings of one workspace (`c2c.toml`); defaults are those `c2c init` writes."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: _Text = "workspace"
    # Smallest stakeholder group shown on its own; strict: a bool or a float is not a size.
    min_group_size: Annotated[int, Field(ge=MIN_GROUP_SIZE, le=1000)] = MIN_GROUP_SIZE
    # Fewest ratings behind a published spread (minimum, maximum, interquartile range); only goes up too.
    min_spread_size: Annotated[int, Field(ge=MIN_SPREAD_SIZE, le=1000)] = MIN_SPREAD_SIZE
    language: Literal["en", "fr", "es"] = "en"
    licence: _Text = "CC-BY-4.0"
    # Title of the published site; None in workspaces made before the setting existed (publish then falls
    # back to "NAME: city-to-city partnerships").
    title: _Text | None = None


def _line_of(text: str, key: object) -> int | None:
    """The line of a top-level `key = ...` or `[key]` (tomllib keeps no positions)."""
    if not isinstance(key, str):
        return None
    pattern = re.compile(rf"^\s*(?:\[\s*)?(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=\].]")
    for i, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return i
    return None


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown setting (known: {', '.join(Config.model_fields)})"
    if err["type"] == "greater_than_equal" and err["loc"][:1] == ("min_group_size",):
        return f"must be at least {MIN_GROUP_SIZE}: a privacy threshold may be raised, never lowered"
    if err["type"] == "greater_than_equal" and err["loc"][:1] == ("min_spread_size",):
        return f"must be at least {MIN_SPREAD_SIZE}: a privacy threshold may be raised, never lowered"
    return str(err["msg"])


def parse_config(text: str, path: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = err["loc"][0] if err["loc"] else None
        line = _line_of(text, key)
        where = f"{path}" + (f" line {line}" if line else "") + (f", {key}" if key is not None else "")
        shown = err.get("input")
        value = f" (value {shown!r})" if key is not None and not isinstance(shown, dict) else ""
        raise WorkspaceError(f"{where}: {_message(err)}{value}") from None


def read_config(root: Path, name: str) -> Config:
    path = root / name
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise WorkspaceError(f"{path}: over {MAX_CONFIG_BYTES:,} bytes; not a c2c.toml")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except UnicodeDecodeError as exc:
        raise WorkspaceError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_config(text, path)
