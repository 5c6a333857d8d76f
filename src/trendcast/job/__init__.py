"""The nightly job: ``trendcast.toml`` -> fit or update -> forecast -> gaps -> the store.

Modules: ``config`` (the pydantic config), ``sources`` (files and SQL
queries), ``chunks`` (fit, update and checkpoint in fixed chunks), ``analysis``
(gaps, sectors, hotspots, emerging), ``accuracy`` (earlier forecasts scored,
drift), ``run`` (one night), ``show`` and ``export`` (reading the store),
``init`` (the starter config) and ``cli`` (the commands, mounted on
``trendcast``). See ``docs/nightly.md``.
"""
