"""The shape of the code: one folder per stage, data flowing one way, no import circle.

Walks every module's imports with `ast` (lazy imports inside functions included: they run too) and fails
on a cycle between modules or on an import from a later stage into an earlier one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "c2c_monitor"
# The stages in the order data flows; a stage may import itself and the ones before it, never one after.
STAGES = ["definitions", "store", "ingest", "engine", "score", "workshop", "render", "publish", "cli"]
# Importable from everywhere: the package's version and the small named exceptions.
SHARED = {"c2c_monitor", "c2c_monitor.errors"}


def _module_name(path: Path, pkg: Path = PKG) -> str:
    parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, pkg: Path = PKG) -> set[str]:
    """The c2c_monitor modules a file imports, resolved to module names (`from pkg import mod` counts mod)."""
    name = _module_name(path, pkg)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = {_module_name(p, pkg) for p in pkg.rglob("*.py")}
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("c2c_monitor")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("c2c_monitor"):
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            out |= subs or {target}
    return out


def _graph(pkg: Path = PKG) -> dict[str, set[str]]:
    return {_module_name(p, pkg): _imports(p, pkg) for p in pkg.rglob("*.py")}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_the_top_of_the_package_holds_only_init_and_errors() -> None:
    assert sorted(p.name for p in PKG.glob("*.py")) == ["__init__.py", "errors.py"]
    assert {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(STAGES)


def _backwards(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for mod, targets in graph.items():
        here = _stage(mod)
        if here is None:
            assert mod in SHARED, f"{mod} is outside every stage"
            continue
        for t in targets:
            there = _stage(t)
            if there is not None and STAGES.index(there) > STAGES.index(here):
                wrong.append(f"{mod} -> {t}")
    return sorted(wrong)


def test_no_stage_imports_a_later_one() -> None:
    wrong = _backwards(_graph())
    assert not wrong, "imports against the flow: " + ", ".join(wrong)


def test_no_import_circle() -> None:
    graph = _graph()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if seen.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for start in sorted(graph):
        if start not in seen:
            visit(start, [start])


def test_the_checker_sees_backwards_imports_in_every_spelling(tmp_path: Path) -> None:
    # A relative import, `from pkg import module` and a lazy import inside a function must all be seen,
    # or the test above proves nothing.
    pkg = tmp_path / "c2c_monitor"
    for mod in ["__init__", "errors", "store/__init__", "render/__init__", "render/html", "cli/__init__",
                "cli/context"]:
        (pkg / f"{mod}.py").parent.mkdir(parents=True, exist_ok=True)
        (pkg / f"{mod}.py").write_text("")
    (pkg / "store" / "reads.py").write_text(
        "from ..render import html\n\ndef f():\n    from c2c_monitor.cli.context import x\n")
    assert _imports(pkg / "store" / "reads.py", pkg) == {"c2c_monitor.render.html", "c2c_monitor.cli.context"}
    assert _backwards(_graph(pkg)) == ["c2c_monitor.store.reads -> c2c_monitor.cli.context",
                                       "c2c_monitor.store.reads -> c2c_monitor.render.html"]


def test_every_stage_says_what_it_owns_and_may_import() -> None:
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((PKG / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"{stage}/__init__.py has no docstring"
        assert 3 <= len(doc.strip().splitlines()) <= 8, f"{stage}: say in 3-6 lines what it owns and may import"
        assert "import" in doc, f"{stage}: the docstring says what the stage may import"
