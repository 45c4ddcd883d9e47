"""The City Partnerships process as data: its eight steps (seed 000) and UN-Habitat's eight partner types
(seed 003), each name in the product's four languages.

Kept with the definitions because the command line offers them as choices, the store validates against
them and every renderer names them; the YAML files in `partnership_process/` are the single source.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from c2c_monitor.definitions.catalog import _pydantic_findings
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml
from c2c_monitor.errors import DefinitionError, Finding

LANGUAGES = ("en", "fr", "es", "pt")
M = TypeVar("M", bound=BaseModel)
N_STEPS = 8


class Names(BaseModel):
    """A name in every product language: all four are required, so no screen falls back silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    es: str = Field(min_length=1)
    pt: str = Field(min_length=1)

    def get(self, lang: str = "en") -> str:
        return str(getattr(self, lang, None) or self.en)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    step: int = Field(ge=1, le=N_STEPS)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    phase: int = Field(ge=1, le=2)
    name: Names


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    steps: list[Step]

    @model_validator(mode="after")
    def _one_to_eight(self) -> Steps:
        if [s.step for s in self.steps] != list(range(1, N_STEPS + 1)):
            raise ValueError(f"steps must be numbered 1 to {N_STEPS}, in order")
        if len({s.id for s in self.steps}) != len(self.steps):
            raise ValueError("step ids must be unique")
        return self

    def find(self, text: str) -> Step | None:
        """A step by its number ("7") or its id ("funding_finance"), else None."""
        t = text.strip().lower()
        return next((s for s in self.steps if t in (str(s.step), s.id)), None)

    def number(self, step: int) -> Step:
        return self.steps[step - 1]


class PartnerType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name: Names
    hints: list[str] = []


class PartnerTypes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    types: list[PartnerType] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PartnerTypes:
        if len({t.id for t in self.types}) != len(self.types):
            raise ValueError("partner type ids must be unique")
        return self

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.types]

    def get(self, type_id: str) -> PartnerType | None:
        return next((t for t in self.types if t.id == type_id), None)

    def suggest(self, group: str) -> str | None:
        """The type whose hints best match a free-text group name, or None.

        The longest total of matched hints wins, so "local government" beats "government" alone.
        """
        words = group.lower().replace("_", " ").replace("-", " ")
        padded = f" {words} "
        best, best_n = None, 0
        for t in self.types:
            n = sum(len(h) for h in t.hints if f" {h}" in padded)
            if n > best_n:
                best, best_n = t.id, n
        return best


def _load(path: Path, model: type[M]) -> M:
    try:
        data, lines = load_yaml(path)
    except YamlSyntaxError as exc:
        raise DefinitionError([exc.finding]) from None
    except FileNotFoundError:
        raise DefinitionError([Finding("missing-file", str(path), "definition file not found")]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_pydantic_findings(exc, path, lines)) from None


@cache
def load_steps(folder: Path | None = None) -> Steps:
    return _load((folder or definitions_dir("partnership_process")) / "stages.yaml", Steps)


@cache
def load_partner_types(folder: Path | None = None) -> PartnerTypes:
    return _load((folder or definitions_dir("partnership_process")) / "partner_types.yaml", PartnerTypes)
