"""Imports only point down: no cycle, no package-root import, no private name across packages.

The layer order itself is import-linter's contract in pyproject.toml (``make
test`` runs ``lint-imports``); these checks cover what a layers contract does
not: a cycle inside one layer (also through imports inside functions, which
grimp sees), a module importing ``trendcast`` itself, and a private name
imported from another package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import trendcast

SRC = Path(trendcast.__file__).parent


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.find_modules_directly_imported_by(node)):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("trendcast")
    # the root package imports everything to export it; nothing may import it back
    graph.remove_module("trendcast")
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b"]]


def test_no_module_imports_the_package_root():
    offenders = []
    for name, path in _modules():
        if name == "trendcast":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "trendcast":
                offenders.append(f"{name}: from trendcast import ...")
            if isinstance(node, ast.Import) and any(a.name == "trendcast" for a in node.names):
                offenders.append(f"{name}: import trendcast")
    assert offenders == []


def test_no_private_name_is_imported_across_packages():
    offenders = []
    for name, path in _modules():
        own = name.split(".")[1] if "." in name else ""
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            if not node.module.startswith("trendcast."):
                continue
            source = node.module.split(".")[1]
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and source != own:
                    offenders.append(f"{name} imports {alias.name} from {node.module}")
    assert offenders == []


@pytest.mark.parametrize("heavy", ["statsmodels", "prophet", "matplotlib", "skops"])
def test_import_trendcast_loads_no_heavy_library(heavy):
    code = f"import sys, trendcast; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
