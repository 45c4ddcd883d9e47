"""YAML loading that remembers line numbers, so findings can point into definition files.

Every YAML the tool reads (definitions, mapping files, Open SDG front matter) goes through here, which
refuses what would exhaust the machine before anything is built from it: files over MAX_BYTES, aliases
(`*name`: the "billion laughs" - a 510-byte mapping file once took 44 s and 2.3 GB) and nesting deeper
than MAX_DEPTH. None of the tool's own definitions uses an anchor; write the value out instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c2c_monitor.errors import Finding

if TYPE_CHECKING:
    import yaml

Lines = dict[tuple[str | int, ...], int]


@cache
def _pyyaml() -> tuple[Any, Any, frozenset[str], bool]:
    """PyYAML, its loader (the C one where present), and which first characters its resolver reads as
    something other than text (see `_from_events`), set up when the first YAML text is read.

    Imported here rather than with the module: a command whose definitions all come from the cache
    (store/catalog_cache: `c2c assess`) reads no YAML and need not pay the 20-25 ms of PyYAML's import.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    first = frozenset(k for k in loader.yaml_implicit_resolvers if k is not None)
    return yaml, loader, first, None in loader.yaml_implicit_resolvers


def loader_class() -> Any:
    """The loader every YAML text goes through (PyYAML's C loader where present), for readers outside this
    module (the onboarding benchmark prints which one ran)."""
    return _pyyaml()[1]


MAX_BYTES = 2 * 1024 * 1024  # the largest definition file is a few dozen kB
MAX_DEPTH = 64


def _refuse_expansion(root: yaml.Node, where: str) -> None:
    """Refuse aliases and deep nesting, iteratively (a deep file must not overflow the stack here either).

    The composer resolves an alias to the very node its anchor names, so a node met twice is an alias;
    stopping there keeps this walk linear in the size of the file, however many times aliases nest.
    """
    yaml = _pyyaml()[0]
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise YamlSyntaxError(Finding("yaml-alias", where, "YAML aliases (*name) are not accepted: write the "
                                          "value out", node.start_mark.line + 1))
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlSyntaxError(Finding("yaml-too-deep", where, f"nested more than {MAX_DEPTH} levels deep",
                                          node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            stack += [(n, depth + 1) for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(n, depth + 1) for n in node.value]


_STR = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """A document the event build (`_from_events`) leaves to `parse_yaml` and PyYAML's constructor."""


def parse_yaml(text: str, where: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text (named `where` in findings) with the limits above; returns the data and its root node."""
    if len(text) > MAX_BYTES:
        raise YamlSyntaxError(Finding("too-large", where, f"a YAML text of {len(text):,} characters is over the "
                                      f"{MAX_BYTES:,} limit"))
    yaml, make_loader, _, _ = _pyyaml()
    loader = make_loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_expansion(node, where)
        # (Called after `_refuse_expansion`: no alias, shallow. Plain documents never get here on the
        # hot paths: `parse_yaml_data` and `load_yaml` build them from the parser's events.)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlSyntaxError(Finding("yaml-syntax", where, f"not valid YAML: {problem}", line)) from None
    finally:
        loader.dispose()
    return data, node


# Scalars that the loader's resolver may read as something other than text start with one of these (PyYAML
# registers its implicit resolvers by first character); the others are text without asking it (`_pyyaml`).
# Scalar types built here; any other (merge keys, `=`, PyYAML's reserved `!`/`&`/`*` resolver) goes to
# `parse_yaml`, as does every explicit tag, alias, nesting past MAX_DEPTH and anything PyYAML refuses.
_SIMPLE = frozenset({"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                     "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"})
_NO_KEY = object()


def _from_events(loader: Any, lines: Lines | None = None) -> Any:
    """The document's data built from the parser's events, without composing nodes: most of parsing time in
    a folder of Open SDG metadata was PyYAML building (and our code walking) a node per scalar. Raises
    _NotPlain for anything outside plain maps, lists and scalars without tags, anchors, aliases or deep nesting.

    `lines`, if given, is filled as `_walk` fills it from the nodes: each value's path (keys as written) to
    the line it starts on."""
    yaml, _, resolved_first, wildcard = _pyyaml()
    get = loader.get_event
    if not isinstance(get(), yaml.StreamStartEvent):
        raise _NotPlain
    ev = get()
    if isinstance(ev, yaml.StreamEndEvent):
        return None
    if not isinstance(ev, yaml.DocumentStartEvent):
        raise _NotPlain
    scalar, map_start, seq_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    # [container, key waiting for its value (mappings), the container's path, the key as written], innermost last
    stack: list[list[Any]] = []
    obj: Any
    path: tuple[str | int, ...] = ()
    while True:
        ev = get()
        kind = type(ev)
        if kind in ends:
            stack.pop()
            if not stack:
                break
            continue
        top = stack[-1] if stack else None
        if lines is not None and (top is None or top[0].__class__ is list or top[1] is not _NO_KEY):
            # (A key's own line is not kept: `_walk` overwrites it with its value's.)
            path = () if top is None else top[2] + ((len(top[0]),) if top[0].__class__ is list else (top[3],))
            lines[path] = ev.start_mark.line + 1
        if kind is scalar:
            if ev.tag is not None or ev.anchor is not None or len(stack) >= MAX_DEPTH:
                raise _NotPlain  # (an anchor: the composer refuses one named twice)
            obj = ev.value
            if ev.implicit[0] and (wildcard or obj[:1] in resolved_first):
                tag = loader.resolve(yaml.ScalarNode, obj, ev.implicit)
                if tag != _STR:
                    if tag not in _SIMPLE:
                        raise _NotPlain
                    obj = loader.construct_object(yaml.ScalarNode(tag, obj, ev.start_mark, ev.end_mark, ev.style))
            if top is None:
                root = obj
                break
        elif (kind is map_start or kind is seq_start) and ev.tag is None and ev.anchor is None \
                and len(stack) < MAX_DEPTH:
            obj = {} if kind is map_start else []
            if top is None:
                root = obj
                stack.append([obj, _NO_KEY, path, None])
                continue
        else:
            raise _NotPlain  # (an alias, a tag, an anchor, too deep)
        if top[0].__class__ is list:
            top[0].append(obj)
        elif top[1] is _NO_KEY:
            if kind is not scalar:
                raise _NotPlain  # (a collection as a key)
            top[1] = obj
            top[3] = str(ev.value)
        else:
            top[0][top[1]] = obj
            top[1] = _NO_KEY
        if kind is not scalar:
            stack.append([obj, _NO_KEY, path, None])
    if not isinstance(get(), yaml.DocumentEndEvent) or not isinstance(get(), yaml.StreamEndEvent):
        raise _NotPlain  # (a second document: `parse_yaml` words it)
    return root


def parse_yaml_data(text: str, where: str) -> Any:
    """`parse_yaml(text, where)[0]`, built from the parser's events where the document is plain data (the common
    case: metadata front matter); anything else, and every error, takes `parse_yaml`, which words it."""
    if len(text) <= MAX_BYTES:
        yaml, make_loader, _, _ = _pyyaml()
        loader = make_loader(text)
        try:
            return _from_events(loader)
        except (_NotPlain, yaml.YAMLError, TypeError):  # (TypeError: an unhashable key; parse_yaml words it)
            pass
        finally:
            loader.dispose()
    return parse_yaml(text, where)[0]


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: Lines) -> None:
    yaml = _pyyaml()[0]
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
    size = path.stat().st_size
    if size > MAX_BYTES:  # refused before it is read into memory
        raise YamlSyntaxError(Finding("too-large", str(path), f"a YAML file of {size:,} bytes is over the "
                                      f"{MAX_BYTES:,}-byte limit"))
    text = path.read_text(encoding="utf-8")
    lines: Lines = {}
    yaml, make_loader, _, _ = _pyyaml()
    loader = make_loader(text)
    try:
        return _from_events(loader, lines), lines  # (the plain case, without composing nodes)
    except (_NotPlain, yaml.YAMLError, TypeError):
        lines = {}
    finally:
        loader.dispose()
    data, node = parse_yaml(text, str(path))
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
