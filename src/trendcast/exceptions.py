"""The one exception and warning tree of trendcast.

Every error raised on purpose by trendcast derives from
[`TrendcastError`][trendcast.exceptions.TrendcastError], so
``except trendcast.TrendcastError`` catches them all.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "FallbackWarning",
    "MissingDependencyError",
    "ModelFitError",
    "NotFittedError",
    "ParameterError",
    "PersistenceError",
    "TrendcastError",
]


class TrendcastError(Exception):
    """Base class of every error trendcast raises on purpose."""


class DataValidationError(TrendcastError, ValueError):
    """Input data is malformed.

    The message names the file (if any), the column, up to five offending rows
    or categories, what was expected, what was found and how to fix it.
    """


class ParameterError(TrendcastError, ValueError, TypeError):
    """An argument has a value or a type that trendcast cannot use.

    The message names the parameter, the value given and what is accepted.
    It is also a ``ValueError`` and a ``TypeError`` (as scikit-learn's
    ``InvalidParameterError``), so code written against the built-in
    exceptions keeps working, while ``except trendcast.TrendcastError``
    catches it with every other deliberate error.
    """


class ModelFitError(TrendcastError, RuntimeError):
    """A model cannot be fitted to a series (too short, constant, non-finite...).

    The forecaster catches it, falls back along the declared chain and records
    the reason in ``fit_report_``.
    """


class NotFittedError(TrendcastError, AttributeError):
    """A method that needs a fitted object was called before ``fit``."""


class MissingDependencyError(TrendcastError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class PersistenceError(TrendcastError, ValueError):
    """A saved forecaster cannot be written or loaded safely.

    The message names the file and the reason: a checksum mismatch, a missing
    or extra file, a newer format version, a model type that is not on the
    allow-list, malformed JSON, a damaged archive, or pickled data without
    ``allow_pickle=True``.
    """


class DataWarning(UserWarning):
    """Input data was changed on the caller's request (for example gaps filled)."""


class FallbackWarning(UserWarning):
    """A category was forecast with a fallback model instead of the one asked for."""


class ConvergenceWarning(UserWarning):
    """An optimizer did not converge; the result may be less accurate."""
