"""``import trendcast`` is light: SciPy's statistics and optimizers and scikit-learn load on use.

The package exports its names lazily (a module ``__getattr__``): importing it
loads the exceptions only, and ``tc.TrendForecaster``, ``tc.models`` and the
other names import their modules when first used. Checked in a fresh
interpreter (``sys.modules``), not by timing.
"""

from __future__ import annotations

import subprocess
import sys
import types

import trendcast


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_import_trendcast_loads_no_scipy_statistics_optimizer_or_scikit_learn():
    heavy = ("scipy.stats", "scipy.optimize", "sklearn")
    code = f"import sys, trendcast; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    assert _run(code) == "[]"


def test_every_exported_name_resolves_to_what_its_module_defines():
    code = (
        "import importlib, trendcast as tc\n"
        "for name in tc.__all__:\n"
        "    value = getattr(tc, name)\n"
        "    assert value is not None, name\n"
        "    assert name in dir(tc), name\n"
        "from trendcast.forecaster import TrendForecaster\n"
        "assert tc.TrendForecaster is TrendForecaster\n"
        "assert tc.models is importlib.import_module('trendcast.models')\n"
        "print('ok')"
    )
    assert _run(code) == "ok"


def test_a_function_named_like_its_module_stays_the_function():
    # importing trendcast/report.py (as the CLI does) must not replace tc.report
    code = (
        "import trendcast.report, trendcast.hotspots, trendcast.nowcast, trendcast as tc\n"
        "print(all(callable(f) and not hasattr(f, '__path__') and f.__name__ == n\n"
        "          for f, n in ((tc.report, 'report'), (tc.hotspots, 'hotspots'),\n"
        "                       (tc.nowcast, 'nowcast'))))"
    )
    assert _run(code) == "True"


def test_star_import_and_unknown_names():
    namespace: dict[str, object] = {}
    exec("from trendcast import *", namespace)
    assert set(trendcast.__all__) <= set(namespace)
    assert isinstance(namespace["models"], types.ModuleType)
    try:
        trendcast.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("an unknown name must raise AttributeError")
