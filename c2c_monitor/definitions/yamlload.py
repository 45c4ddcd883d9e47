"""YAML loading that remembers line numbers, so findings can point into definition files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from c2c_monitor.errors import Finding

Lines = dict[tuple[str | int, ...], int]


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: Lines) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _walk(child, path + (i,), lines)


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """Parse one YAML file, keeping the line of every key; syntax errors become findings."""
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(
            Finding("yaml-syntax", str(path), f"not valid YAML: {problem}", line)
        ) from None
    finally:
        loader.dispose()
    lines: Lines = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


class YamlSyntaxError(ValueError):
    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def line_of(lines: Lines, loc: tuple[str | int, ...]) -> int | None:
    """Line of the deepest known prefix of a pydantic error location."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
