"""Saving and loading fitted forecasters: round trips, refusals, and nothing executed."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel
from trendcast.persistence import FORMAT_VERSION


class _Marker:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.path,))


def _payload(marker: Path) -> bytes:
    data = pickle.dumps(_Marker(marker))
    # sanity: really unpickling the payload would create the marker
    probe = marker.with_name("probe")
    pickle.loads(pickle.dumps(_Marker(probe)))
    assert probe.exists()
    probe.unlink()
    return data


def _resign(path: Path) -> None:
    """Recompute the manifest checksums, as an attacker who rewrites files would."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    (path / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    return tc.TrendForecaster(models=[tc.models.ETS(), tc.models.Theta()]).fit(
        make_panel(n_series=3, n=48)
    )


@pytest.fixture
def saved(fitted, tmp_path) -> Path:
    return fitted.save(tmp_path / "fc")


def test_layout_and_manifest(fitted, saved):
    files = sorted(p.relative_to(saved).as_posix() for p in saved.rglob("*") if p.is_file())
    assert files == [
        "arrays/float64.npy",
        "arrays/int64.npy",
        "categories.json",
        "forecaster.json",
        "manifest.json",
    ]
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION == 1
    assert manifest["trendcast_version"] == tc.__version__
    assert manifest["freq"] == "MS"
    assert manifest["columns"] == {"id": "unique_id", "time": "ds", "target": "y", "covariates": []}
    assert manifest["categories"] == ["s0", "s1", "s2"]
    assert manifest["fit_date"] == fitted.fitted_at_.isoformat()
    assert manifest["fit_date"].endswith("+00:00")
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((saved / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("name", ["fc.zip", "fc.tar", "fc"])
def test_round_trip_every_form_keeps_reports_and_state(fitted, tmp_path, name):
    loaded = tc.load(fitted.save(tmp_path / name))
    pd.testing.assert_frame_equal(loaded.predict(9), fitted.predict(9), rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(loaded.fit_report_, fitted.fit_report_)
    pd.testing.assert_frame_equal(loaded.selection_report_, fitted.selection_report_)
    assert repr(loaded) == repr(fitted)  # same parameters, model specs included
    assert (loaded.freq_, loaded.season_length_) == (fitted.freq_, fitted.season_length_)
    assert loaded.last_dates_ == fitted.last_dates_
    assert repr(loaded._plan_) == repr(fitted._plan_)


def test_format_argument_overrides_the_suffix(fitted, tmp_path):
    path = fitted.save(tmp_path / "model.bin", format="zip")
    assert zipfile.is_zipfile(path)
    pd.testing.assert_frame_equal(tc.load(path).predict(3), fitted.predict(3))


def test_categories_are_rebuilt_only_when_used(saved, fitted):
    loaded = tc.load(saved)
    assert "0 rebuilt" in repr(loaded.models_)
    one = tc.load(saved, categories=["s1"])
    out = one.predict(4)
    assert out["unique_id"].unique().tolist() == ["s1"]
    expected = fitted.predict(4)
    pd.testing.assert_frame_equal(
        out, expected[expected["unique_id"] == "s1"].reset_index(drop=True)
    )
    assert one.fit_report_["unique_id"].tolist() == ["s1"]
    with pytest.raises(tc.PersistenceError, match="no fitted model for categories \\['nope'\\]"):
        tc.load(saved, categories=["nope"])


def test_existing_path_needs_overwrite(fitted, saved):
    with pytest.raises(tc.PersistenceError, match="overwrite=True"):
        fitted.save(saved)
    fitted.save(saved, overwrite=True)
    tc.load(saved)


def test_refuses_to_overwrite_a_foreign_directory(fitted, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(tc.PersistenceError, match="does not hold a saved forecaster"):
        fitted.save(tmp_path / "notes", overwrite=True)
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"


def test_one_changed_byte_is_refused(saved):
    target = saved / "arrays" / "float64.npy"
    data = bytearray(target.read_bytes())
    data[-3] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(tc.PersistenceError, match="arrays/float64.npy does not match its SHA-256"):
        tc.load(saved)


def test_missing_and_extra_files_are_refused(saved, tmp_path):
    other = tmp_path / "copy"
    shutil.copytree(saved, other)
    (other / "extra.json").write_text("{}")
    with pytest.raises(tc.PersistenceError, match="not listed in the manifest: \\['extra.json'\\]"):
        tc.load(other)
    (saved / "categories.json").unlink()
    with pytest.raises(tc.PersistenceError, match="missing: \\['categories.json'\\]"):
        tc.load(saved)


@pytest.mark.parametrize("name", ["fc.zip", "fc.tar"])
def test_truncated_archive_is_refused(fitted, tmp_path, name):
    path = fitted.save(tmp_path / name)
    data = path.read_bytes()
    end = len(data.rstrip(b"\0"))  # a tar ends in zero padding that holds nothing
    for fraction in (0.05, 0.3, 0.5, 0.7, 0.95, 0.999):
        path.write_bytes(data[: int(end * fraction)])
        with pytest.raises(tc.PersistenceError, match=r"(truncated|missing|cut short|no manifest)"):
            tc.load(path)


def test_newer_format_version_says_upgrade(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest["trendcast_version"] = "9.0.0"
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        tc.PersistenceError,
        match=f"saved by trendcast 9.0.0 with format {FORMAT_VERSION + 1}; this trendcast "
        f".* reads up to format {FORMAT_VERSION}: upgrade trendcast",
    ):
        tc.load(saved)


def test_malformed_json_names_the_file(saved):
    (saved / "forecaster.json").write_text('{"params": ')
    _resign(saved)
    with pytest.raises(tc.PersistenceError, match="forecaster.json is not valid JSON"):
        tc.load(saved)


def test_unknown_model_type_is_refused_and_nothing_imported(saved):
    text = (saved / "categories.json").read_text()
    assert '"type":"trendcast.ETS"' in text or '"type":"trendcast.Theta"' in text
    text = text.replace('"type":"trendcast.ETS"', '"type":"os.system"').replace(
        '"type":"trendcast.Theta"', '"type":"os.system"'
    )
    (saved / "categories.json").write_text(text)
    _resign(saved)
    with pytest.raises(tc.PersistenceError, match="type 'os.system' is not on the allow-list"):
        tc.load(saved)


def test_pickle_smuggled_into_a_json_field_is_refused_and_not_run(saved, tmp_path):
    marker = tmp_path / "ran"
    state = json.loads((saved / "forecaster.json").read_text())
    state["params"]["fill"] = base64.b64encode(_payload(marker)).decode()
    (saved / "forecaster.json").write_text(json.dumps(state))
    _resign(saved)
    with pytest.raises(tc.PersistenceError, match="pickled object in a text field"):
        tc.load(saved)
    assert not marker.exists()


def test_pickle_tag_needs_allow_pickle_and_is_not_run(saved, tmp_path):
    marker = tmp_path / "ran"
    (saved / "pickled").mkdir()
    (saved / "pickled" / "0.joblib").write_bytes(_payload(marker))
    state = json.loads((saved / "forecaster.json").read_text())
    state["params"]["fallback_model"] = {"$pickle": "pickled/0.joblib"}
    (saved / "forecaster.json").write_text(json.dumps(state))
    _resign(saved)
    with pytest.raises(tc.PersistenceError, match=r"allow_pickle=True\) only if you trust"):
        tc.load(saved)
    assert not marker.exists()


def test_object_array_is_refused_and_not_run(saved, tmp_path):
    marker = tmp_path / "ran"
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Marker(marker)], dtype=object), allow_pickle=True)
    (saved / "arrays" / "float64.npy").write_bytes(buffer.getvalue())
    _resign(saved)
    with pytest.raises(tc.PersistenceError, match="arrays/float64.npy cannot be read without"):
        tc.load(saved)
    assert not marker.exists()


def test_archive_member_outside_the_archive_is_refused(saved, tmp_path):
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tf:
        for p in sorted(saved.rglob("*")):
            if p.is_file():
                tf.add(p, arcname=p.relative_to(saved).as_posix())
        tf.add(saved / "manifest.json", arcname="../escape.json")
    with pytest.raises(tc.PersistenceError, match="points outside the archive"):
        tc.load(path)
    assert not (tmp_path.parent / "escape.json").exists()


class _Homemade(tc.models.Naive):
    """A user's model: not on the allow-list."""

    family = "Homemade"


def test_model_without_safe_format_needs_allow_pickle(tmp_path):
    fc = tc.TrendForecaster(models=_Homemade()).fit(make_panel(n_series=2))
    with pytest.raises(tc.PersistenceError, match="allow_pickle=True"):
        fc.save(tmp_path / "a")
    path = fc.save(tmp_path / "a", allow_pickle=True)
    assert (path / "pickled").is_dir()
    with pytest.raises(tc.PersistenceError, match="stored with pickle"):
        tc.load(path)
    trusted = tc.load(path, allow_pickle=True)
    pd.testing.assert_frame_equal(trusted.predict(5), fc.predict(5))


def test_scikit_learn_estimator_goes_through_skops():
    from sklearn.linear_model import Ridge

    from trendcast.persistence import _Reader, _Writer

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    ridge = Ridge(alpha=0.3).fit(X, y)
    writer = _Writer(allow_pickle=False)
    node = writer.value({"estimator": ridge}, "test")
    files = writer.finish()
    (name,) = [n for n in files if n.startswith("estimators/")]
    assert name.endswith(".skops") and zipfile.is_zipfile(io.BytesIO(files[name]))
    again = _Reader(files, "test", allow_pickle=False).value(node, "test")["estimator"]
    np.testing.assert_array_equal(again.predict(X), ridge.predict(X))


def test_covariates_round_trip(tmp_path):
    from sklearn.base import clone

    df = make_panel(n_series=2, n=40)
    df["promo"] = (df["ds"].dt.month == 11).astype(float)
    fc = tc.TrendForecaster(models=clone(tc.models.Naive()), future_covariates=["promo"]).fit(df)
    loaded = tc.load(fc.save(tmp_path / "cov"))
    for key in fc._X:
        np.testing.assert_array_equal(loaded._X[key], fc._X[key])
    assert json.loads((tmp_path / "cov" / "manifest.json").read_text())["columns"][
        "covariates"
    ] == ["promo"]


def test_calendar_and_dated_models_round_trip(tmp_path):
    df = make_panel(n_series=2, n=36)
    calendar = tc.ShoppingCalendar(country=None, events=["singles_day", "black_friday"])
    fc = tc.TrendForecaster(
        models=tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 1, 0)), calendar=calendar
    ).fit(df)
    assert next(iter(fc.models_.values())).has_covariates_
    loaded = tc.load(fc.save(tmp_path / "cal"))
    assert isinstance(loaded.calendar, tc.ShoppingCalendar)
    assert loaded.calendar.get_params() == calendar.get_params()
    pd.testing.assert_frame_equal(loaded.predict(8), fc.predict(8), rtol=0, atol=1e-9)


def test_calibrated_forecaster_round_trips_its_calibration(tmp_path):
    panel = make_panel(n_series=12, n=60, seed=3)
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(panel)
    assert fc._calibration_.pools  # calibrated from the pooled backtest errors
    before = fc.predict(6, level=(50, 80, 95))
    fc.save(tmp_path / "cal")
    loaded = tc.load(tmp_path / "cal")
    after = loaded.predict(6, level=(50, 80, 95))
    cols = ["mean", "lo-50", "hi-50", "lo-80", "hi-80", "lo-95", "hi-95"]
    np.testing.assert_allclose(after[cols].to_numpy(), before[cols].to_numpy(), rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(loaded.calibration_report_, fc.calibration_report_)


def test_theta_saved_before_it_used_the_recent_seasons_loads_as_it_was(tmp_path, monkeypatch):
    # A file written before Theta was fitted on the last eight seasons has no n_fit:
    # its line was fitted on the whole history, and it must forecast as it did then.
    from trendcast.models import theta as theta_module

    t = np.arange(240)
    y = 200 + 0.5 * t + 30 * np.sin(2 * np.pi * t / 12)
    y += np.random.default_rng(4).normal(0, 2, 240)
    df = pd.DataFrame(
        {"unique_id": "x", "ds": pd.date_range("2000-01-01", periods=240, freq="MS"), "y": y}
    )
    monkeypatch.setattr(theta_module, "_RECENT_SEASONS", 1000)  # the old behaviour
    old = tc.TrendForecaster(models=tc.models.Theta(), n_jobs=1).fit(df)
    expected = old.predict(12)
    saved = old.save(tmp_path / "old")
    text = (saved / "categories.json").read_text()
    assert '"n_fit":240' in text
    (saved / "categories.json").write_text(text.replace(',"n_fit":240', ""))
    _resign(saved)
    monkeypatch.setattr(theta_module, "_RECENT_SEASONS", 8)  # today's code reads it
    pd.testing.assert_frame_equal(tc.load(saved).predict(12), expected)
    # a fit of today is on its last 96 months and says so
    new = tc.TrendForecaster(models=tc.models.Theta(), n_jobs=1).fit(df)
    assert '"n_fit":96' in (new.save(tmp_path / "new") / "categories.json").read_text()
    assert not np.allclose(new.predict(12)["mean"], expected["mean"])
