"""`parse_yaml_data` and `load_yaml` build plain maps, lists and scalars from the parser's events without nodes
(PyYAML's node tree and generic constructor were most of an Open SDG metadata folder's parse time), and
`parse_yaml` composes nodes for everything else: the data must be PyYAML's own `safe_load`, the lines those of
the nodes, the refusals unchanged."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.yamlload import YamlSyntaxError, _walk, load_yaml, parse_yaml, parse_yaml_data
from tests.test_map_suggest import REAL

_SCALARS = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
            | st.text(max_size=20) | st.dates() | st.sampled_from(["yes", "No", "~", "0x1F", "1e3", "2021-04-27",
                                                                     "12:30", ".inf", "-", "'quoted'"]))
PARSERS: dict[str, Callable[[str, str], Any]] = {"nodes": lambda t, w: parse_yaml(t, w)[0],
                                                "events": parse_yaml_data}
parsers = pytest.mark.parametrize("parse", list(PARSERS.values()), ids=list(PARSERS))

_DATA = st.recursive(_SCALARS, lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=8) | st.integers(0, 9), kids, max_size=4), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(_DATA, st.sampled_from([False, True]))
def test_the_same_data_as_pyyaml(data: object, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert parse_yaml(text, "x")[0] == yaml.safe_load(text) == parse_yaml_data(text, "x")


# Pieces of YAML that reach every branch of the event build and of its fallback: anchors and aliases, tags,
# merge keys, flow and block collections, quoting, several documents, broken syntax.
_PIECES = st.sampled_from(["a", "b: ", "- ", "  ", "\n", ": ", "&x ", "*x", "!!str ", "!!set ", "<<: ", "[", "]",
                           "{", "}", ", ", "'q'", '"d"', "---\n", "...\n", "yes", "~", ".nan", "0x1F", "2021-04-27",
                           "12:30", "? ", "# c", "=", "é", "1.5", "!x "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_events_and_nodes_agree_on_any_text(text: str) -> None:
    """The event build gives the node build's data, or the same refusal (it hands anything unusual to it)."""
    def outcome(parse: Callable[[str, str], Any]) -> tuple[str, str]:
        try:
            return "data", repr(parse(text, "x"))  # (repr: NaN equals itself there)
        except YamlSyntaxError as exc:
            return "refused", str(exc.finding)
    assert outcome(parse_yaml_data) == outcome(PARSERS["nodes"])


@parsers
@pytest.mark.parametrize("text", [
    "indicator_name: >-\n    folded\n    text\ngraph_target_lines:\n    - value: 14.0\ndate: 2021-04-27\nn: 0o17\n",
    "base: {a: 1}\nmerged:\n  <<: {a: 2, b: 3}\n  c: 4\n",  # merge key: PyYAML's constructor builds it
    "s: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\nbin: !!binary aGVsbG8=\nstr: !!str 12\n",
    "? [complex, key]\n: value\n",  # a sequence as key: refused by PyYAML, by both
    "", "just a scalar", "- 1\n- [2, 3]\n",
    "a: &y 1\nb: &y 2\n", "&x b: &x ",  # an anchor named twice: refused by the composer, so by both
    "a: &y 1\nb: 2\n",  # an anchor without an alias: data
])
def test_the_same_data_or_the_same_refusal_on_hand_written_documents(text: str, parse: Callable[[str, str], Any]
                                                                    ) -> None:
    try:
        want = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(YamlSyntaxError):
            parse(text, "x")
        return
    assert parse(text, "x") == want


@parsers
@pytest.mark.parametrize(("text", "code", "line"), [("a: &x [1, 2]\nb: *x\n", "yaml-alias", 1),
                                                    ("a: " + "[" * 80 + "]" * 80 + "\n", "yaml-too-deep", 1),
                                                    ("a: [unclosed\n", "yaml-syntax", 2),
                                                    ("a: !python/object:os.system x\n", "yaml-syntax", 1)])
def test_the_same_refusals(text: str, code: str, line: int, parse: Callable[[str, str], Any]) -> None:
    with pytest.raises(YamlSyntaxError) as got:
        parse(text, "f.yml")
    assert (got.value.finding.code, got.value.finding.file, got.value.finding.row) == (code, "f.yml", line)


def test_every_front_matter_of_the_real_platforms_reads_the_same() -> None:
    texts = []
    for p in sorted(REAL.glob("*/meta/*")):
        t = p.read_text(encoding="utf-8-sig")
        texts.append(t[3:t.find("\n---", 3)] if p.suffix == ".md" else t)
    assert len(texts) > 280  # Barcelona's 280 and the others'
    for t in texts:
        assert parse_yaml(t, "x")[0] == yaml.safe_load(t) == parse_yaml_data(t, "x")
    assert isinstance(parse_yaml("d: 2021-04-27\n", "x")[0]["d"], dt.date)
    assert isinstance(parse_yaml_data("d: 2021-04-27\n", "x")["d"], dt.date)


def _by_nodes(text: str) -> tuple[str, object]:
    """What load_yaml gave before it read events: the composed nodes, walked for each value's line."""
    try:
        data, node = parse_yaml(text, "f.yml")
    except YamlSyntaxError as exc:
        return "refused", (exc.finding.code, exc.finding.row, exc.finding.message)
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return "data", (repr(data), lines)


def _by_load_yaml(text: str) -> tuple[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.yml"
        path.write_text(text, encoding="utf-8")
        try:
            data, lines = load_yaml(path)
        except YamlSyntaxError as exc:
            return "refused", (exc.finding.code, exc.finding.row, exc.finding.message.replace(str(path), "f.yml"))
    return "data", (repr(data), lines)


@settings(max_examples=200, deadline=None)
@given(_DATA, st.sampled_from([False, True, None]))
def test_load_yaml_keeps_every_line_as_the_nodes_did(data: object, flow: bool | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert _by_load_yaml(text) == _by_nodes(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_load_yaml_agrees_with_the_nodes_on_any_text(text: str) -> None:
    assert _by_load_yaml(text) == _by_nodes(text)


def test_load_yaml_lines_of_the_shipped_mappings_and_definitions() -> None:
    paths = sorted(definitions_dir("examples").glob("*.yaml")) + sorted(definitions_dir("indicators").rglob("*.yaml"))
    assert len(paths) > 2
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert _by_load_yaml(text) == _by_nodes(text), path
