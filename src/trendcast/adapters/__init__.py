"""Adapters that put trendcast inside other forecasting frameworks (each an optional extra).

- ``trendcast.adapters.sktime``: ``TrendcastForecaster``, an sktime forecaster
  (``pip install "trendcast[sktime]"``).
"""
