"""An MLflow flavor for trendcast: log, register and serve fitted forecasters.

The artifact is trendcast's own safe save format (one ``forecaster.zip``:
JSON and NumPy arrays, checksummed, loaded without running code; see the
persistence guide), never a pickle: the ``MLmodel`` file names this module as
the pyfunc loader, as MLflow's own Prophet flavor does, so nothing is
cloudpickled either. Needs ``pip install "trendcast[mlflow]"`` (mlflow-skinny).
Run and checked in ``docs/integrations.md``::

    import trendcast.mlflow as tcm
    info = tcm.log_model(fc, name="forecaster")
    tcm.load_model(info.model_uri).predict(3)
    mlflow.pyfunc.load_model(info.model_uri).predict({"h": 3, "ids": ["448"]})

The pyfunc's ``predict`` takes a dict (or a one-row DataFrame, as a serving
endpoint passes JSON) with ``h``, optional ``ids`` (a list of categories) and
``level`` (a list of percents), and returns the forecast frame.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from trendcast._version import __version__
from trendcast.exceptions import MissingDependencyError, ParameterError
from trendcast.forecaster import TrendForecaster, load

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "trendcast"
_DATA = "forecaster.zip"


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise MissingDependencyError(
            'the MLflow flavor needs mlflow: pip install "trendcast[mlflow]"'
        ) from exc
    return mlflow


def save_model(
    fc: TrendForecaster,
    path: str | os.PathLike[str],
    mlflow_model: Any = None,
    pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write ``fc`` as an MLflow model directory at ``path`` (what ``log_model`` logs).

    Parameters
    ----------
    fc : TrendForecaster
        A fitted forecaster.
    path : str or path-like
        A directory that does not exist yet.
    mlflow_model : mlflow.models.Model, optional
        The model description to add the flavor to (``log_model`` passes it).
    pip_requirements : list of str, optional
        Written to ``requirements.txt``; default ``["trendcast[mlflow]==<version>"]``.
    metadata : dict, optional
        Stored in the ``MLmodel`` file.

    Raises
    ------
    MissingDependencyError
        When mlflow is not installed.
    PersistenceError
        When ``fc`` cannot be saved safely, or ``path`` exists.
    """
    mlflow = _mlflow()
    from mlflow.models import Model
    from mlflow.pyfunc import add_to_model

    fc._fitted()
    out = Path(path)
    if out.exists():
        from trendcast.exceptions import PersistenceError

        raise PersistenceError(f"{out} already exists; MLflow model directories are not replaced")
    out.mkdir(parents=True)
    fc.save(out / _DATA)
    model = Model() if mlflow_model is None else mlflow_model
    if metadata is not None:
        model.metadata = metadata
    add_to_model(model, loader_module="trendcast.mlflow", data=_DATA)
    model.add_flavor(
        FLAVOR_NAME,
        trendcast_version=__version__,
        data=_DATA,
        format="trendcast safe save (zip of JSON and NumPy arrays, no pickle)",
    )
    model.save(str(out / "MLmodel"))
    requirements = pip_requirements or [f"trendcast[mlflow]=={__version__}"]
    (out / "requirements.txt").write_text("\n".join(requirements) + "\n")
    del mlflow


def log_model(
    fc: TrendForecaster,
    name: str = "forecaster",
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Log ``fc`` to the active MLflow run (one is started if none is) as a trendcast model.

    Parameters
    ----------
    fc : TrendForecaster
        A fitted forecaster.
    name : str
        The model's name in the run.
    registered_model_name : str, optional
        Also register it in the model registry under this name.
    **kwargs
        Passed to ``mlflow.models.Model.log`` (``metadata``, ``tags``,
        ``params``...).

    Returns
    -------
    mlflow.models.model.ModelInfo
        Its ``model_uri`` loads it back with ``load_model`` or
        ``mlflow.pyfunc.load_model``.

    Raises
    ------
    MissingDependencyError
        When mlflow is not installed.
    """
    _mlflow()
    from mlflow.models import Model

    return Model.log(
        artifact_path=None,
        name=name,
        flavor=sys.modules[__name__],
        registered_model_name=registered_model_name,
        fc=fc,
        **kwargs,
    )


def load_model(model_uri: str, dst_path: str | None = None) -> TrendForecaster:
    """Load a forecaster logged with ``log_model`` (or saved with ``save_model``).

    Parameters
    ----------
    model_uri : str
        ``runs:/<run_id>/<name>``, ``models:/<name>/<version>``, a
        ``ModelInfo.model_uri`` or a local directory.
    dst_path : str, optional
        Where to download the artifacts; default a temporary directory.

    Returns
    -------
    TrendForecaster
        Read from the safe format, checked (manifest, SHA-256), no code run.

    Raises
    ------
    MissingDependencyError
        When mlflow is not installed.
    PersistenceError
        When the artifact is damaged or not a trendcast model.
    """
    _mlflow()
    from mlflow.artifacts import download_artifacts
    from mlflow.models import Model

    local = Path(download_artifacts(artifact_uri=model_uri, dst_path=dst_path))
    flavors = Model.load(str(local / "MLmodel")).flavors
    if FLAVOR_NAME not in flavors:
        from trendcast.exceptions import PersistenceError

        raise PersistenceError(
            f"{model_uri} is not a trendcast model (its flavors: {sorted(flavors)})"
        )
    return load(local / flavors[FLAVOR_NAME].get("data", _DATA))


def _load_pyfunc(data_path: str) -> _Pyfunc:
    """MLflow's pyfunc loader: ``data_path`` is the saved ``forecaster.zip``."""
    return _Pyfunc(load(data_path))


class _Pyfunc:
    """The pyfunc face of a forecaster: ``predict({"h": 3, "ids": [...], "level": [80]})``."""

    def __init__(self, fc: TrendForecaster) -> None:
        self.fc = fc

    def get_raw_model(self) -> TrendForecaster:
        """The forecaster itself."""
        return self.fc

    def predict(self, model_input: Any, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The forecast frame for ``{"h": ..., "ids": [...], "level": [...]}``.

        A one-row DataFrame with those columns (how a serving endpoint passes
        JSON) is read the same way; ``params`` may carry them too.
        """
        request = _request(model_input, params)
        if "h" not in request:
            raise ParameterError(
                f"the MLflow input has no 'h' (got keys {sorted(request)}); pass "
                "{'h': 3, 'ids': ['448']}"
            )
        kwargs: dict[str, Any] = {"h": int(request["h"])}
        if request.get("ids") is not None:
            kwargs["ids"] = list(request["ids"])
        if request.get("level") is not None:
            kwargs["level"] = [int(x) for x in request["level"]]
        return self.fc.predict(**kwargs)


def _request(model_input: Any, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The request as a dict, from a dict, a one-row DataFrame or ``params``."""
    request: dict[str, Any]
    if isinstance(model_input, pd.DataFrame):
        if len(model_input) != 1:
            raise ParameterError(
                f"the MLflow input frame has {len(model_input)} rows; pass one request "
                "{'h': 3, 'ids': [...]} per call"
            )
        request = {str(k): v for k, v in model_input.iloc[0].to_dict().items()}
    elif isinstance(model_input, Mapping):
        request = dict(model_input)
    elif model_input is None:
        request = {}
    else:
        raise ParameterError(
            f"the MLflow input is a {type(model_input).__name__}; pass a dict "
            "{'h': 3, 'ids': ['448'], 'level': [80, 95]}"
        )
    request.update(dict(params or {}))
    for key in ("ids", "level"):
        value = request.get(key)
        if value is not None and not isinstance(value, list | tuple):
            request[key] = (
                list(value)
                if hasattr(value, "__iter__") and not isinstance(value, str)
                else [value]
            )
    return request
