"""The engine behind ``TrendForecaster``: private, one module a responsibility.

``TrendForecaster`` (``trendcast.forecaster``) orchestrates a call; the work is
done here, in layers that import only downward:

- ``spec``: the per-call settings (columns, frequency, season length,
  covariates and their lags, calendar), resolved and checked once into an
  immutable ``Spec``;
- ``inputs``: checks of the frames a call receives against the spec, and the
  split of a long frame into per-category arrays;
- ``plan``: what to fit per category (candidates, fallbacks, backtest, the
  search candidates) and the training of shared pools;
- ``fitting``: per-series selection, fitting, fallback, forecasting, updating
  and sampling (functions of arrays only, run in worker processes);
- ``calibrate``: conformal calibration pooled across categories;
- ``reports``: the fit, selection and search reports and fallback warnings;
- ``frames``: the output frames of predict, cross-validation and sample paths;
- ``parallel``: the parallel map every per-category step goes through;
- ``state``: ``ForecasterState``, everything a fitted forecaster holds, which
  persistence saves and loads and the nightly job checkpoints.
"""
