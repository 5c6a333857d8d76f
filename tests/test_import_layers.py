"""Imports point down: the models never import the engine built on them.

The engine (backtest, forecaster, persistence, report, cli...) imports the
models; a model that imported the engine back would make a cycle, and a change
to the engine could break a model. Checked on the source, because importing
``trendcast.models`` runs the package root, which imports everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[1] / "src" / "trendcast" / "models"

#: what a model may import from trendcast outside ``trendcast.models``
#: (``_params``: the estimator protocol; ``_normal``: normal quantiles; both import
#: nothing from trendcast, the bottom layer of pyproject's import-linter contract)
ALLOWED_BELOW = {
    "trendcast.exceptions",
    "trendcast._frequency",
    "trendcast.calendar",
    "trendcast._params",
    "trendcast._normal",
}


def _trendcast_imports(path: Path) -> set[str]:
    """The trendcast modules that ``path`` imports from (``from trendcast.x import y``: x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "trendcast")
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            if node.module and node.module.split(".")[0] == "trendcast":
                found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.py")), ids=lambda p: p.name)
def test_models_import_nothing_from_the_engine(path):
    outside = {
        name
        for name in _trendcast_imports(path)
        if name != "trendcast.models" and not name.startswith("trendcast.models.")
    }
    assert outside <= ALLOWED_BELOW, f"{path.name} imports {sorted(outside - ALLOWED_BELOW)}"


def test_the_shared_module_imports_only_exceptions():
    assert _trendcast_imports(MODELS / "_shared.py") == {"trendcast.exceptions"}
