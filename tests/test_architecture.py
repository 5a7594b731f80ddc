"""The layering rules, read from the source: who may import whom, no import cycles, and
no shipped module too long to read.

Every ``import`` counts wherever it stands: inside functions (a late import is still a
dependency) and under ``if TYPE_CHECKING:`` (a type-only import still ties two modules
together: to read one you read the other, and an upward one hides a circle). An edge goes to the
module named (``from pkg import mod`` to ``pkg.mod`` when that is a module), not to the
packages above it.

What is known to break a rule today is listed in ``KNOWN_*`` below ("phase B" of issue
#15); a new violation fails, and so does a listed one that has been fixed (so the lists
only shrink).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parent.parent
#: The shipped packages.
PACKAGES: Final = ("engine", "gui", "sandbox", "contacts_migration", "sampledata")
MAX_LINES: Final = 500

#: package → top-level names it must not import.
FORBIDDEN: Final[dict[str, frozenset[str]]] = {
    "engine": frozenset(
        {"gui", "contacts_migration", "sandbox", "sampledata", "PySide6", "qasync"}
    ),
    "gui": frozenset({"contacts_migration"}),
    "sampledata": frozenset({"gui", "contacts_migration", "sandbox"}),
}

#: What the engine's top level holds: the front door (``__init__``, ``api``), the one
#: error tree, the words every front end shares, and one folder per job. A new module
#: goes into the folder whose job it does (or a new folder whose name says its job).
ENGINE_TOP_LEVEL: Final = frozenset(
    {
        "__init__.py",
        "api.py",
        "errors.py",
        "texts.py",
        "contract",
        "diagnostics",
        "local",
        "online",
        "practice",
        "sources",
        "status",
        "sync",
    }
)
#: Packages that drive the engine only through its public surface (``engine/__init__.py``).
FRONT_ENDS: Final = ("gui", "contacts_migration")

# Phase B: owned by the engineers reworking these files; remove each entry when fixed.
KNOWN_CYCLES: Final[frozenset[frozenset[str]]] = frozenset()
KNOWN_FORBIDDEN: Final[frozenset[tuple[str, str]]] = frozenset()
KNOWN_LONG: Final[frozenset[str]] = frozenset({})


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def shipped_files() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under ``node``, those under ``if TYPE_CHECKING:`` included: a
    type-only import still ties the two modules together (to read, to change, for mypy)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _import_nodes(child)


def imports_of(path: Path, modules: frozenset[str]) -> list[Import]:
    """The imports in one file, resolved to module names (relative ones too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(name, alias.name, node.lineno) for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.append(Import(name, candidate if candidate in modules else base, node.lineno))
    return found


@cache
def import_graph() -> tuple[frozenset[str], list[Import]]:
    files = shipped_files()
    modules = frozenset(module_name(path) for path in files)
    return modules, [each for path in files for each in imports_of(path, modules)]


def cycles(modules: frozenset[str], edges: list[Import]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for edge in edges:
        if edge.imported in modules and edge.imported != edge.importer:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


# --- the checker checks itself ----------------------------------------------------------


def test_cycle_finder_finds_a_cycle_and_only_that() -> None:
    modules = frozenset({"a", "b", "c", "d"})
    edges = [Import("a", "b", 1), Import("b", "c", 1), Import("c", "a", 1), Import("c", "d", 1)]
    assert cycles(modules, edges) == [frozenset({"a", "b", "c"})]
    assert cycles(modules, edges[:2]) == []


def test_imports_inside_functions_and_type_checking_ones_count() -> None:
    text = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import gui.app\nelse:\n    import json\n"
        "def late() -> None:\n    from engine import paths\n"
    )
    names = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in _import_nodes(ast.parse(text))
    ]
    assert names == ["typing", "gui.app", "json", "engine"]
    # init-db imports its loaders inside a function (pyodbc stays unloaded for SQLite).
    _, edges = import_graph()
    pairs = {(edge.importer, edge.imported) for edge in edges}
    assert ("sampledata.database_init", "sampledata.loaders") in pairs


# --- the rules --------------------------------------------------------------------------


def test_no_import_cycles_beyond_the_known_ones() -> None:
    modules, edges = import_graph()
    found = set(cycles(modules, edges))
    new = sorted(sorted(cycle) for cycle in found - KNOWN_CYCLES)
    assert not new, f"import cycles: {new}"
    fixed = sorted(sorted(cycle) for cycle in KNOWN_CYCLES - found)
    assert not fixed, f"no longer cycles, remove from KNOWN_CYCLES: {fixed}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str) -> None:
    _, edges = import_graph()
    forbidden = FORBIDDEN[package]
    violations = {
        (edge.importer, edge.imported)
        for edge in edges
        if edge.importer.split(".")[0] == package and edge.imported.split(".")[0] in forbidden
    }
    known = {pair for pair in KNOWN_FORBIDDEN if pair[0].split(".")[0] == package}
    assert not sorted(violations - known), f"{package} imports {sorted(violations - known)}"
    assert not sorted(known - violations), f"fixed, remove: {sorted(known - violations)}"


@pytest.mark.parametrize("package", FRONT_ENDS)
def test_front_ends_use_only_the_engines_public_surface(package: str) -> None:
    """``from engine import X``, never ``engine.<module>``: what a front end may use is
    what ``engine/__init__.py`` exports (imports inside functions count too)."""
    _, edges = import_graph()
    reaching_in = sorted(
        f"{edge.importer}:{edge.line} imports {edge.imported}"
        for edge in edges
        if edge.importer.split(".")[0] == package
        and edge.imported.split(".")[0] == "engine"
        and edge.imported != "engine"
    )
    assert not reaching_in, f"use `from engine import ...` instead: {reaching_in}"


def test_no_shipped_module_is_over_the_line_limit() -> None:
    lengths = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in shipped_files()
    }
    long = {name for name, lines in lengths.items() if lines > MAX_LINES}
    new = sorted(f"{name} ({lengths[name]} lines)" for name in long - KNOWN_LONG)
    assert not new, f"over {MAX_LINES} lines: {new}"
    assert not sorted(KNOWN_LONG - long), f"fixed, remove: {sorted(KNOWN_LONG - long)}"


def test_the_engine_top_level_holds_only_its_chosen_parts() -> None:
    found = {
        path.name
        for path in (ROOT / "engine").iterdir()
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").is_file())
    }
    assert found == ENGINE_TOP_LEVEL, (
        f"new at the top: {sorted(found - ENGINE_TOP_LEVEL)}; "
        f"gone: {sorted(ENGINE_TOP_LEVEL - found)} (put modules in the folder for their job)"
    )


def test_engine_subpackages_re_export_nothing() -> None:
    """Importing ``engine.sources`` must not load its modules (light imports, no cycles)."""
    exporting = sorted(
        init.relative_to(ROOT).as_posix()
        for init in (ROOT / "engine").rglob("__init__.py")
        if init.parent != ROOT / "engine"
        and any(_import_nodes(ast.parse(init.read_text(encoding="utf-8"))))
    )
    assert exporting == []
