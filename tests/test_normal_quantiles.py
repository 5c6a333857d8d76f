"""The normal quantiles of whole interval levels equal scipy.special.ndtri's to the bit.

``trendcast._normal`` keeps them as a table so that a forecast does not import
``scipy.special``; any other probability still goes to ``ndtri``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from trendcast._normal import level_z
from trendcast._normal import ndtri as lazy_ndtri


def test_every_whole_level_is_ndtris_number():
    for level in range(1, 100):
        assert level_z(level) == float(ndtri(0.5 + level / 200.0)), level
        assert level_z(float(level)) == level_z(level)
        assert level_z(np.int64(level)) == level_z(level)


def test_other_levels_and_probabilities_go_to_scipy():
    for level in (0.5, 12.5, 95.00000000000001, 99.9):
        assert level_z(level) == float(ndtri(0.5 + level / 200.0))
    p = np.array([0.01, 0.5, 0.975])
    np.testing.assert_array_equal(lazy_ndtri(p), ndtri(p))
