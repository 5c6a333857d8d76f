"""The HTTP service: forecasts, supply gaps and flags for other tools (``trendcast serve``).

FastAPI and uvicorn, the optional extra ``trendcast[service]``. A *source*
answers the questions and the app puts them on HTTP:

* ``sources``: where the forecasters come from. ``ModelSource`` serves a saved
  forecaster directory (or archive), reloaded when a new save replaces it;
  ``StoreSource`` serves the nightly job's latest finished run from its store.
  Both hand out a ``Snapshot``: one run's forecasters, loaded once and lazily per
  category, with its forecasts cached, swapped whole when a new run lands.
* ``schemas``: the pydantic models of every request and response.
* ``app``: ``create_app(source)``, the routes, the limits, the bearer token and
  the mapping of trendcast's errors to 4xx answers.
* ``command``: the ``trendcast serve`` command (imports FastAPI only when run).

Importing this package imports neither FastAPI nor uvicorn: ``trendcast.cli``
mounts the command from it. See ``docs/service.md``.
"""

from __future__ import annotations

__all__: list[str] = []
