"""The central difference's error estimate (``finite_differences``) is honest and small.

It must bound the true error of ``D(ε)`` (where the derivative is known exactly), be small
enough that a wrong derivative rule still fails, and be needed: at A ≈ Y the course's fixed
relative tolerance rejects a correct cross-entropy gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import assert_matches_central_differences, central_differences
from hypothesis import given
from strategies import ATOL, EPS, RELATIVE_TOL, RTOL, numeric_settings, relative_difference, seeds


def cross_entropy(a: float, y: float) -> float:
    return float(-(y * np.log(a) + (1 - y) * np.log(1 - a)))


def exact_derivative(a: float, y: float) -> float:
    return (a - y) / (a * (1 - a))  # dL/da = -y/a + (1-y)/(1-a)


def difference_of_cross_entropy(a: float, y: float):
    return central_differences(lambda i, h: cross_entropy(a + h, y), (), EPS)


@numeric_settings(100)
@given(seed=seeds)
def test_the_error_estimate_bounds_the_true_error_and_stays_small(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 0.8)
    y = a + rng.uniform(-1e-2, 1e-2) if rng.random() < 0.5 else rng.uniform(0, 1)
    D, error = difference_of_cross_entropy(a, y)
    E = error()
    true_error = abs(D - exact_derivative(a, y))
    assert true_error <= E
    # and not loose: about 3 times the truncation error ε² J'''/6 (J''' = 2(1-y)/(1-a)³ -
    # 2y/a³, at most 250 here), plus the rounding term (about 1e-10 for J of order 1)
    assert E <= 4 * true_error + 1e-9 and E < 2e-6


@pytest.mark.parametrize(("a", "y"), [(0.23703976, 0.23354574), (0.63796513, 0.63779575)])
def test_a_small_correct_gradient_passes_and_a_wrong_one_still_fails(a, y):
    D, error = difference_of_cross_entropy(a, y)
    right = np.array(exact_derivative(a, y))
    # the fixed tolerance alone rejects the exact derivative: the difference's own error
    assert relative_difference(right, D) > RELATIVE_TOL
    tolerances = {"rtol": RTOL, "atol": ATOL, "relative_tol": RELATIVE_TOL}
    assert_matches_central_differences([right], [D], [error], **tolerances)
    for wrong in (right * 1.001, right * 0.999, -right):  # a rule off by a thousandth, a sign
        with pytest.raises(AssertionError, match="beyond the difference's own error"):
            assert_matches_central_differences([wrong], [D], [error], **tolerances)
