"""Short labels of model names, for tables, plots and reports a person reads.

A fitted model's ``name`` is its full specification, e.g.
``MedianCombination(ETS(A,Ad,N),ARIMA(1,1,0)(0,1,1)[12],Theta,DynamicTheta,CES(simple),PooledRegression)``
(120 characters for the default of ``"auto"``). [`model_label`][trendcast.models.labels.model_label]
keeps what a reader needs to tell models apart: the combination's method and
its members' families, ``median(ETS,ARIMA,Theta,DOTM,CES,Pooled)``.
"""

from __future__ import annotations

__all__ = ["model_label"]

#: shorter family names in labels
_SHORT = {
    "DynamicTheta": "DOTM",
    "PooledRegression": "Pooled",
    "RegressionModel": "Regression",
    "IntermittentDemand": "Intermittent",
    "SeasonalNaive": "SNaive",
}

#: names up to this long are kept whole (an ETS form, an ARIMA order)
_KEEP = 24


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside any brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _family(name: str) -> str:
    head = name.split("(", 1)[0].split("+", 1)[0].strip()
    return _SHORT.get(head, head)


def model_label(name: str) -> str:
    """A short label of a model name: combinations by method and member families.

    Parameters
    ----------
    name : str
        A model's ``name`` (the ``model`` column of a forecast, ``model_used``
        of ``fit_report_``).

    Returns
    -------
    str
        ``median(ETS,ARIMA,...)`` or ``mean(...)`` for a combination, the
        name itself when it is short (``ETS(A,Ad,N)``), else its family
        (``ARIMA``); search inputs are kept as ``+search``.

    Examples
    --------
    >>> from trendcast.models import model_label
    >>> model_label("MedianCombination(ETS(A,Ad,N),ARIMA(1,1,0)(0,1,1)[12],Theta,"
    ...             "DynamicTheta,CES(simple),PooledRegression)")
    'median(ETS,ARIMA,Theta,DOTM,CES,Pooled)'
    >>> model_label("IntermittentDemand(SBA)")
    'Intermittent(SBA)'
    """
    text = str(name).strip()
    search = ""
    if text.endswith("]") and "+[" in text:
        text, search = text.rsplit("+[", 1)[0], "+search"
    for prefix, method in (("MedianCombination(", "median"), ("Combination(", "mean")):
        if text.startswith(prefix) and text.endswith(")"):
            members = _split_top(text[len(prefix) : -1])
            return f"{method}({','.join(_family(m) for m in members)}){search}"
    head = text.split("(", 1)[0]
    if head in _SHORT:
        text = _SHORT[head] + text[len(head) :]
    if len(text) > _KEEP:
        text = _family(text)
    return text + search
