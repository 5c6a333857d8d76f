"""Constants of ``models._shared`` written out instead of computed at import."""

from __future__ import annotations

from scipy.stats import norm

from trendcast.models._shared import REFERENCE_LEVEL, REFERENCE_Z


def test_reference_z_is_scipys_normal_quantile_bit_for_bit():
    assert REFERENCE_Z == float(norm.ppf(0.5 + REFERENCE_LEVEL / 200.0))
