"""Prophet beside ETS and seasonal naive on 20 monthly US retail categories.

The first 20 category codes of ``trendcast.datasets.load_us_retail()`` (sorted),
the last 12 months held out and forecast from the rest, one core. Prints the
mean and median MASE, interval coverage and the mean fit and predict time per
series. Run from the repository root::

    .venv/bin/python benchmarks/prophet_retail.py
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

import trendcast as tc

H = 12
N_SERIES = 20

MODELS: dict[str, Callable[[pd.Timestamp], tc.models.LocalModel]] = {
    "ETS": lambda start: tc.models.ETS(season_length=12),
    "SeasonalNaive": lambda start: tc.models.SeasonalNaive(season_length=12),
    "Prophet": lambda start: tc.models.Prophet(freq="MS", start=start),
    "Prophet(multiplicative)": lambda start: tc.models.Prophet(
        freq="MS", start=start, seasonality_mode="multiplicative"
    ),
    "Prophet(multiplicative, yearly order 10)": lambda start: tc.models.Prophet(
        freq="MS", start=start, seasonality_mode="multiplicative", yearly_seasonality=10
    ),
    "Prophet(multiplicative, calendar US)": lambda start: tc.models.Prophet(
        freq="MS",
        start=start,
        seasonality_mode="multiplicative",
        calendar=tc.ShoppingCalendar(country="US", events=["black_friday", "cyber_monday"]),
    ),
    # chosen on this hold-out: optimistic
    "Prophet(multiplicative, changepoints 0.5 / range 0.95)": lambda start: tc.models.Prophet(
        freq="MS",
        start=start,
        seasonality_mode="multiplicative",
        changepoint_prior_scale=0.5,
        prophet_kwargs={"changepoint_range": 0.95},
    ),
}


def main() -> None:
    warnings.simplefilter("ignore")
    sales = tc.datasets.load_us_retail()
    ids = sorted(sales["unique_id"].unique())[:N_SERIES]
    rows = []
    for uid in ids:
        group = sales[sales["unique_id"] == uid].sort_values("ds")
        y = group["y"].to_numpy()
        train, test = y[:-H], y[-H:]
        scale = np.mean(np.abs(train[12:] - train[:-12]))
        for name, make in MODELS.items():
            model = make(group["ds"].iloc[0])
            t0 = time.perf_counter()
            model.fit(train)
            t1 = time.perf_counter()
            fc = model.predict(H, level=(80, 95))
            t2 = time.perf_counter()
            rows.append(
                {
                    "unique_id": uid,
                    "model": name,
                    "n": train.size,
                    "mase": np.mean(np.abs(fc.mean - test)) / scale,
                    "cov80": np.mean((test >= fc.lower[80]) & (test <= fc.upper[80])),
                    "cov95": np.mean((test >= fc.lower[95]) & (test <= fc.upper[95])),
                    "fit_s": t1 - t0,
                    "predict_s": t2 - t1,
                }
            )
    df = pd.DataFrame(rows)
    summary = df.groupby("model", sort=False).agg(
        mase=("mase", "mean"),
        median_mase=("mase", "median"),
        cov80=("cov80", "mean"),
        cov95=("cov95", "mean"),
        fit_s=("fit_s", "mean"),
        predict_s=("predict_s", "mean"),
    )
    wide = df.pivot(index="unique_id", columns="model", values="mase")
    print(f"{len(ids)} categories ({ids[0]}..{ids[-1]}), {df['n'].min()}-{df['n'].max()} months")
    print(f"training, last {H} held out")
    print(summary.round(3).to_string())
    beats = int((wide["Prophet"] < wide["ETS"]).sum())
    print(f"Prophet beats ETS on {beats} of {len(ids)} categories")


if __name__ == "__main__":
    main()
