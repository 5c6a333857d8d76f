"""Without sktime, the adapter names the extra to install (issue 25)."""

from __future__ import annotations

import importlib
import sys

import pytest

import trendcast as tc


def test_adapter_without_sktime_names_the_extra(monkeypatch):
    for name in ("sktime", "sktime.forecasting", "sktime.forecasting.base"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "trendcast.adapters.sktime", raising=False)
    module = importlib.import_module("trendcast.adapters.sktime")  # importable for docs
    with pytest.raises(tc.MissingDependencyError, match=r'pip install "trendcast\[sktime\]"'):
        module.TrendcastForecaster()
    monkeypatch.delitem(sys.modules, "trendcast.adapters.sktime", raising=False)
