"""Every template reads only what its page model declares; public pages can carry nothing confidential.

Each template is parsed (jinja2 `Environment.parse`) and its AST walked with the page model's field types:
names resolve to the model's fields, `{% for %}` and `{% set %}` bind the element types, and attribute reads
(and `selectattr` / `map(attribute=...)` names) are checked against the pydantic model they land on. What
cannot be typed (a filter's result, a dict's value read as an attribute) is not checked, never guessed.
StrictUndefined catches the rest when a page is rendered; this catches it for branches the demo never takes.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2 import meta, nodes
from pydantic import BaseModel

from c2c_monitor.definitions.principles import Text
from c2c_monitor.publish import kit_pages, site_pages
from c2c_monitor.publish.kit import kit_environment
from c2c_monitor.render import pages
from c2c_monitor.render.html import environment
from c2c_monitor.render.pages import Page

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "c2c_monitor" / "templates", ROOT / "workshops" / "templates"]
# Names Jinja itself provides inside a template, besides the environment's globals.
JINJA_NAMES = {"loop", "self", "super", "caller", "varargs", "kwargs"}
# Filters whose result is the same kind of list as their input, and those that pick one element of it.
SAME_LIST = {"list", "unique", "sort", "reverse", "selectattr", "rejectattr", "batch"}
ONE_ITEM = {"first", "last", "random", "min", "max"}


def env() -> jinja2.Environment:
    return kit_environment()  # the package's templates and the kit's, with the same globals


def _optional_removed(t: Any) -> Any:
    if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union:
        rest = [a for a in typing.get_args(t) if a is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return t


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _element(t: Any, *, iterating: bool = False) -> Any:
    """What indexing a value of type t gives (list[X] -> X, dict[K, V] -> V); iterating a dict gives K."""
    t = _optional_removed(t)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[0] if iterating else args[1]
    return None


@dataclass
class Checker:
    """Walks one template with the page model's field types; collects what the model does not declare."""

    known: set[str]  # globals and Jinja's own names
    errors: list[str] = field(default_factory=list)
    read: set[tuple[type, str]] = field(default_factory=set)  # (model, field) pairs a template reads
    names: set[str] = field(default_factory=set)  # top-level names a template reads

    def attr(self, t: Any, name: str, where: str) -> Any:
        t = _optional_removed(t)
        if not _is_model(t):
            return None  # dicts (labels, symbol tables), strings and unknowns are not checked
        if name in t.model_fields:
            self.read.add((t, name))
            return t.model_fields[name].annotation
        if not hasattr(t, name):  # methods and properties (Text.get, SdgRef.label) are part of the type
            self.errors.append(f"{where}: {t.__name__} has no attribute {name!r}")
        return None

    def expr(self, node: nodes.Node, scope: dict[str, Any], where: str) -> Any:
        if isinstance(node, nodes.Name):
            self.names.add(node.name)
            if node.name in scope:
                return scope[node.name]
            if node.name not in self.known:
                self.errors.append(f"{where}: unknown name {node.name!r} (line {node.lineno})")
            return None
        if isinstance(node, nodes.Getattr):
            return self.attr(self.expr(node.node, scope, where), node.attr, f"{where} line {node.lineno}")
        if isinstance(node, nodes.Getitem):
            base = self.expr(node.node, scope, where)
            self.expr(node.arg, scope, where)
            return None if isinstance(node.arg, nodes.Slice) else _element(base)
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self.filter(node, self.expr(node.node, scope, where), scope, where)
        for child in node.iter_child_nodes():  # calls, tests, operators, literals: check what they read
            self.walk(child, scope, where)
        return None

    def filter(self, node: nodes.Filter, t: Any, scope: dict[str, Any], where: str) -> Any:
        for arg in [*node.args, *(kw.value for kw in node.kwargs)]:
            self.expr(arg, scope, where)
        item = _element(t)
        names = [kw.value.value for kw in node.kwargs if kw.key == "attribute" and isinstance(kw.value, nodes.Const)]
        if node.name in ("selectattr", "rejectattr") and node.args and isinstance(node.args[0], nodes.Const):
            names.append(node.args[0].value)
        picked = [self.attr(item, n, f"{where} line {node.lineno}") for n in names]
        if node.name in SAME_LIST:
            return t
        if node.name in ONE_ITEM:
            return item
        if node.name == "map" and picked:
            return list[picked[0]] if picked[0] is not None else None  # type: ignore[valid-type]
        return None

    def bind(self, target: nodes.Node, t: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = t
        else:  # a tuple target: its parts are not typed
            for name in target.find_all(nodes.Name):
                scope[name.name] = None

    def walk(self, node: nodes.Node, scope: dict[str, Any], where: str) -> None:
        if isinstance(node, nodes.Expr):
            self.expr(node, scope, where)
        elif isinstance(node, nodes.For):
            item = _element(self.expr(node.iter, scope, where), iterating=True)
            inner = dict(scope, loop=None)
            self.bind(node.target, item, inner)
            if node.test is not None:
                self.expr(node.test, inner, where)
            for child in node.body:
                self.walk(child, inner, where)
            for child in node.else_:
                self.walk(child, scope, where)
        elif isinstance(node, nodes.Assign):
            self.bind(node.target, self.expr(node.node, scope, where), scope)
        elif isinstance(node, (nodes.AssignBlock, nodes.Macro, nodes.CallBlock)):
            for name in node.find_all(nodes.Name):
                if name.ctx == "param" or name.ctx == "store":
                    scope[name.name] = None
            for child in node.iter_child_nodes():
                self.walk(child, scope, where)
        else:  # templates, blocks, ifs, outputs, includes: the same scope, in document order
            for child in node.iter_child_nodes():
                self.walk(child, scope, where)


def check_source(source: str, model: type[Page], name: str = "<string>") -> Checker:
    e = env()
    checker = Checker(known=set(e.globals) | JINJA_NAMES)
    scope = {f: info.annotation for f, info in model.model_fields.items()}
    checker.walk(e.parse(source), scope, name)
    return checker


def closure(name: str) -> list[str]:
    """A template and every template it includes or extends, recursively."""
    e, seen, todo = env(), [], [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        source = e.loader.get_source(e, current)[0]  # type: ignore[union-attr]
        todo.extend(n for n in meta.find_referenced_templates(e.parse(source)) if n is not None)
    return seen


def check_page(model: type[Page]) -> Checker:
    e = env()
    merged = Checker(known=set())
    for name in closure(model.template):
        c = check_source(e.loader.get_source(e, name)[0], model, name)  # type: ignore[union-attr]
        merged.errors += c.errors
        merged.read |= c.read
        merged.names |= c.names
    return merged


def page_models() -> list[type[Page]]:
    def below(cls: type[Page]) -> Iterator[type[Page]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    assert pages and site_pages and kit_pages  # imported so that every page model is defined
    return sorted({m for m in below(Page) if m.template}, key=lambda m: m.template)


SITE_PAGES = [m for m in page_models() if issubclass(m, site_pages.SitePage)]


@pytest.mark.parametrize("model", page_models(), ids=lambda m: m.__name__)
def test_template_reads_only_what_its_model_declares(model: type[Page]) -> None:
    assert check_page(model).errors == []


def test_every_template_belongs_to_a_page_model() -> None:
    covered = {n for m in page_models() for n in closure(m.template)}
    files = {p.relative_to(d).as_posix() for d in TEMPLATE_DIRS for p in d.rglob("*.j2")}
    assert files - covered == set()


@pytest.mark.parametrize(("model", "source", "expected"), [
    (site_pages.IndexPage, "{{ site.titel }}", "SiteInfo has no attribute 'titel'"),
    (site_pages.IndexPage, "{{ row | length }}", "unknown name 'row'"),
    (site_pages.PartnershipPage, "{% for p in sb.principles %}{{ p.scroe }}{% endfor %}",
     "Principle has no attribute 'scroe'"),
    # What the workspace's Scoreboard has and the public page must not print is a typo too.
    (site_pages.PartnershipPage, "{% for p in sb.principles %}{{ p.questions }}{% endfor %}",
     "Principle has no attribute 'questions'"),
    (site_pages.PartnershipPage, '{{ (sb.groups | selectattr("grup", "equalto", 1) | first).score }}',
     "Group has no attribute 'grup'"),
    (site_pages.PartnershipPage, '{% set cell = sb.groups | first %}{{ cell.n_people }}',
     "Group has no attribute 'n_people'"),
    (site_pages.PartnershipPage, '{{ sb.partnership.id }}', "Partnership has no attribute 'id'"),
    (pages.ComparePage, "{% if c.over_time %}{% set o = c.over_time %}{{ o.partnership }}{% endif %}",
     "OverTime has no attribute 'partnership'"),
    (kit_pages.HandoutPage, "{{ rules.principles.trend_treshold }}",
     "PrincipleRules has no attribute 'trend_treshold'"),
])
def test_checker_catches_a_template_typo(model: type[Page], source: str, expected: str) -> None:
    errors = check_source(source, model).errors
    assert len(errors) == 1 and expected in errors[0], errors


def test_locals_and_globals_are_not_reported() -> None:
    source = ('{% set n = rows | length %}{% for r in rows %}{{ loop.index }} {{ r.slug }} {{ n }}'
              '{{ LIGHT_SYMBOL["green"] }}{% endfor %}')
    assert check_source(source, site_pages.IndexPage).errors == []


def test_undefined_names_fail_at_render() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ nope }}").render()


def _reachable(t: Any, seen: set[type[BaseModel]]) -> None:
    t = _optional_removed(t)
    for arg in typing.get_args(t):
        _reachable(arg, seen)
    if _is_model(t) and t not in seen:
        seen.add(t)
        for info in t.model_fields.values():
            _reachable(info.annotation, seen)


def _public_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    for model in SITE_PAGES:
        _reachable(model, seen)
    return seen


def test_public_pages_cannot_carry_workspace_data() -> None:
    models = _public_models()
    # Only the public models, and the definitions' Text (a label in each language), reach a public page.
    foreign = {f"{m.__module__}.{m.__name__}" for m in models if m.__module__ != site_pages.__name__}
    assert foreign == {f"{Text.__module__}.Text"}
    confidential = {"questions", "median", "iqr", "low", "high", "agreed", "agreed_reason", "comment", "comments",
                    "participant", "participant_code", "participant_id", "rating", "ratings", "series"}
    found = {f"{m.__name__}.{f}" for m in models for f in m.model_fields if f in confidential}
    assert found == set()


def test_public_models_carry_only_what_the_site_prints() -> None:
    """A field no public template reads is dropped, so nothing rides along unseen into a public page."""
    checked = {model: check_page(model) for model in SITE_PAGES}
    read = {pair for c in checked.values() for pair in c.read}
    own = {m for m in _public_models() if m.__module__ == site_pages.__name__} - set(SITE_PAGES)
    nested = {f"{m.__name__}.{f}" for m in own for f in m.model_fields if (m, f) not in read}
    top = {f"{m.__name__}.{f}" for m, c in checked.items() for f in m.model_fields if f not in c.names}
    assert nested | top == set()


def test_public_scoreboard_drops_the_workspace_fields(demo_ws: Path) -> None:
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws) as ws:
        sb = build_scoreboard(ws, "bonn-cape-coast")
    assert any(p.questions for p in sb.principles)  # the workspace's scoreboard has the per-question detail
    public = site_pages.PublicScoreboard.of(sb).model_dump()
    assert public["principles"] and all("questions" not in p for p in public["principles"])
    assert all("series" not in r for r in public["indicators"]) and "id" not in public["partnership"]
