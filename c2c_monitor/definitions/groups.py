"""The stakeholder groups' names in the product's languages (workshops/stakeholder_groups.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import RootModel, ValidationError

from c2c_monitor.definitions.catalog import _pydantic_findings
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.definitions.text import Text
from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml
from c2c_monitor.errors import DefinitionError, Finding

FILE = "stakeholder_groups.yaml"


class _Groups(RootModel[dict[str, Text]]):
    pass


@cache
def group_names(folder: Path | None = None) -> dict[str, Text]:
    """Each group code -> its name; every code of STAKEHOLDER_GROUPS, and only those, must be named."""
    path = (folder or definitions_dir("workshops")) / FILE
    try:
        data, lines = load_yaml(path)
        groups = _Groups.model_validate(data).root
    except YamlSyntaxError as exc:
        raise DefinitionError([exc.finding]) from None
    except ValidationError as exc:
        raise DefinitionError(_pydantic_findings(exc, path, lines)) from None
    if list(groups) != list(STAKEHOLDER_GROUPS):
        raise DefinitionError([Finding("stakeholder-groups", str(path),
                                       f"expected the groups {', '.join(STAKEHOLDER_GROUPS)} in that order")])
    return groups
