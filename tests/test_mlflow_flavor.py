"""The MLflow flavor (issue 25): log, register, load and serve through pyfunc, against a local
file-store tracking URI; the artifact is trendcast's safe format, with no pickle anywhere."""

from __future__ import annotations

import sys
import zipfile

import pandas as pd
import pytest

import trendcast as tc

mlflow = pytest.importorskip("mlflow", reason="mlflow-skinny is in the dev and mlflow extras")
import trendcast.mlflow as tcm  # noqa: E402


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A file-store tracking URI in tmp_path (MLflow 3 keeps it behind an opt-in)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield tmp_path
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def fc():
    sales = tc.datasets.load_us_retail(categories=["441", "448"])
    return tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)


def test_log_and_load_round_trip_predicts_the_same(tracking, fc):
    with mlflow.start_run():
        info = tcm.log_model(fc, name="forecaster")
    again = tcm.load_model(info.model_uri)
    assert isinstance(again, tc.TrendForecaster)
    pd.testing.assert_frame_equal(again.predict(3), fc.predict(3))
    files = [p for p in tracking.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"MLmodel", "forecaster.zip"} <= names
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".joblib", ".cloudpickle")]
    archive = next(p for p in files if p.name == "forecaster.zip")
    assert "manifest.json" in zipfile.ZipFile(archive).namelist()
    mlmodel = next(p for p in files if p.name == "MLmodel").read_text()
    assert "loader_module: trendcast.mlflow" in mlmodel and "trendcast:" in mlmodel


def test_pyfunc_predict_takes_h_and_ids(tracking, fc):
    with mlflow.start_run():
        info = tcm.log_model(fc, name="forecaster")
    model = mlflow.pyfunc.load_model(info.model_uri)
    got = model.predict({"h": 2, "ids": ["448"]})
    pd.testing.assert_frame_equal(got, fc.predict(2, ids=["448"]))
    one_row = model.predict(pd.DataFrame([{"h": 2, "ids": ["448"], "level": [80]}]))
    pd.testing.assert_frame_equal(one_row, fc.predict(2, ids=["448"], level=[80]))
    assert isinstance(model.get_raw_model(), tc.TrendForecaster)
    with pytest.raises(tc.ParameterError, match="no 'h'"):
        model.predict({"ids": ["448"]})


def test_registered_model_loads_by_name(tracking, fc):
    with mlflow.start_run():
        tcm.log_model(fc, name="forecaster", registered_model_name="retail")
    again = tcm.load_model("models:/retail/1")
    pd.testing.assert_frame_equal(again.predict(1), fc.predict(1))


def test_a_model_of_another_flavor_is_refused(tracking, tmp_path):
    from mlflow.models import Model

    path = tmp_path / "other"
    path.mkdir()
    model = Model()
    model.add_flavor("sklearn", pickled_model="model.pkl")
    model.save(str(path / "MLmodel"))
    with pytest.raises(tc.PersistenceError, match="not a trendcast model"):
        tcm.load_model(str(path))


def test_without_mlflow_the_error_names_the_extra(fc, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(tc.MissingDependencyError, match=r"trendcast\[mlflow\]"):
        tcm.save_model(fc, tmp_path / "m")
