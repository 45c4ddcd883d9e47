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


# IATI identifiers: the registration agency prefix and the organisation's number, e.g. `XM-DAC-5-7` or
# `DE-1-123456` (https://iatistandard.org/en/guidance/preparing-organisation/organisation-account/).
_IatiRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100,
                                            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*-[A-Za-z0-9._/-]+$")]
# IATI OrganisationType codes (10 government, 11 local government, 21-24 NGOs, 40 multilateral, 80 academic...).
_OrgType = Literal["10", "11", "15", "21", "22", "23", "24", "30", "40", "60", "70", "71", "72", "73", "80", "90"]


class IatiOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ref: _IatiRef | None = None
    name: _Text
    type: _OrgType
    # IATI OrganisationRole: 1 funding, 2 accountable, 3 extending, 4 implementing.
    role: Literal["1", "2", "3", "4"] = "1"


class IatiSettings(BaseModel):
    """`[iati]` in c2c.toml: who reports the partnerships as IATI activities (`c2c export iati`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    reporting_org: IatiOrganisation
    # Funders and other organisations besides the two cities (which are added as implementing local governments).
    participating_orgs: list[IatiOrganisation] = []
    # OECD DAC CRS purpose code; 43030 is "Urban development and management".
    sector: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")] = "43030"
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"


class Config(BaseModel):
    """The settings of one workspace (`c2c.toml`); defaults are those `c2c init` writes."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: _Text = "workspace"
    # Smallest stakeholder group shown on its own; strict: a bool or a float is not a size.
    min_group_size: Annotated[int, Field(ge=MIN_GROUP_SIZE, le=1000)] = MIN_GROUP_SIZE
    # Fewest ratings behind a published spread (minimum, maximum, interquartile range); only goes up too.
    min_spread_size: Annotated[int, Field(ge=MIN_SPREAD_SIZE, le=1000)] = MIN_SPREAD_SIZE
    language: Literal["en", "fr", "es", "pt"] = "en"
    # The language of a city's participants, by city id (`[city_languages]`, e.g. `praia = "pt"`): the
    # workshop kit and ratings sheet of a partnership are written in its partner city's language.
    city_languages: dict[str, Literal["en", "fr", "es", "pt"]] = {}
    licence: _Text = "CC-BY-4.0"
    # Title of the published site; None in workspaces made before the setting existed (publish then falls
    # back to "NAME: city-to-city partnerships").
    title: _Text | None = None
    iati: IatiSettings | None = None


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
        dotted = ".".join(str(part) for part in err["loc"])  # iati.reporting_org.ref, not just iati
        where = f"{path}" + (f" line {line}" if line else "") + (f", {dotted}" if key is not None else "")
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
