"""F6: gradient checking (seed 004 "初步梯度检验方法") on the course's networks.

The central difference is written out here in plain numpy (its own numpy forward pass and
cost), and compared with ``backward()`` at tier 2 (rtol 1e-5, atol 1e-7) and with the
course's relative difference ``‖g - ĝ‖ / (‖g‖ + ‖ĝ‖) <= 1e-6``, each widened by the central
difference's own error estimate (``finite_differences``: where a gradient is small, the
difference's truncation error is a larger part of it); ``tinygrad_edu.gradcheck`` (ε = 1e-4)
must agree with both, and must *fail* when a derivative rule is wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
from finite_differences import assert_matches_central_differences
from finite_differences import central_differences as differences_and_errors
from formula_helpers import (
    TIER2,
    NetCase,
    assert_tier2,
    engine_network,
    make_case,
    network_case,
    network_property,
    numpy_forward,
    parameter_names,
)

import tinygrad_edu
from tinygrad_edu import GradcheckError, functions
from tinygrad_edu.functions import binary_cross_entropy

EPSILON = 1e-4  # the notes' EPSILON


def numpy_cost(case: NetCase) -> float:
    """J = -1/m Σ [Y log A + (1-Y) log(1-A)] of the numpy forward pass."""
    _, A = numpy_forward(case)
    Y, AL = case.Y, A[-1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / case.m)


def central_differences(case: NetCase, array: np.ndarray):
    """g_i ≈ (J(θ^(i+)) - J(θ^(i-))) / 2ε with θ^(i±) = θ ± ε e_i, for every element of
    ``array`` (one of the case's parameter arrays, nudged in place and restored); and a
    function giving each element's error estimate."""

    def J(i: tuple, h: float) -> float:
        original = array[i]
        array[i] = original + h
        try:
            return numpy_cost(case)
        finally:
            array[i] = original

    return differences_and_errors(J, array.shape, EPSILON)


TIER2_AND_COURSE = {"rtol": TIER2["rtol"], "atol": TIER2["atol"], "relative_tol": 1e-6}


def cost_of_parameters(case: NetCase):
    """``f(W1, b1, ..., WL, bL) -> J`` with raw Tensor ops, for ``tinygrad_edu.gradcheck``."""

    def f(*params):
        A = case.X
        for l in range(1, case.L + 1):
            A = case.activation(l).engine(params[2 * l - 2] @ A + params[2 * l - 1])
        return binary_cross_entropy(A, case.Y)

    return f


def parameter_arrays(case: NetCase) -> list:
    return [array for pair in zip(case.W, case.b) for array in pair]


def check_F6_1(case: NetCase) -> None:
    """The scalar θ = b[L][0, 0]: (J(θ + ε) - J(θ - ε)) / 2ε against ∂J/∂θ."""
    t = engine_network(case)
    b_last = case.b[-1]
    differences, error = central_differences(case, b_last)
    numeric = differences[0, 0]
    assert_matches_central_differences(
        [t[f"b{case.L}"].grad], [differences], [error], **TIER2_AND_COURSE,
        what="dJ/dθ vs (J(θ+ε) - J(θ-ε)) / 2ε",
    )
    theta = tinygrad_edu.Tensor(b_last, requires_grad=True, name=f"b{case.L}")

    def f(theta):
        others = [tinygrad_edu.Tensor(p) for p in parameter_arrays(case)]
        others[-1] = theta
        return cost_of_parameters(case)(*others)

    result = tinygrad_edu.gradcheck(f, [theta], eps=EPSILON)
    assert result, str(result)
    assert_tier2(result.inputs[0].numeric[0, 0], numeric, "gradcheck's numeric dJ/dθ vs ours")


def check_F6_2(case: NetCase) -> None:
    t = engine_network(case)
    analytic, numeric, errors = [], [], []
    for name, array in zip(parameter_names(case.L), parameter_arrays(case)):
        g_hat, error = central_differences(case, array)
        analytic.append(t[name].grad)
        numeric.append(g_hat)
        errors.append(error)
    # element by element, and ‖g - ĝ‖ / (‖g‖ + ‖ĝ‖) <= 1e-6 over the whole θ
    assert_matches_central_differences(analytic, numeric, errors, **TIER2_AND_COURSE,
                                       what="dW, db vs central differences")
    tensors = [
        tinygrad_edu.Tensor(p, requires_grad=True, name=n)
        for n, p in zip(parameter_names(case.L), parameter_arrays(case))
    ]
    result = tinygrad_edu.gradcheck(cost_of_parameters(case), tensors, eps=EPSILON)
    assert result, str(result)
    assert result.relative_difference <= 1e-6
    for report, ours in zip(result.inputs, numeric):
        assert_tier2(report.numeric, ours, f"gradcheck's numeric {report.name} vs ours")


# L = 2..3 layers; pinned: a 2-3-1 tanh network
gradcheck_property = network_property(
    {"seed": 4, "dims": [2, 3, 1], "m": 4, "labels": "random", "hidden": "tanh"}, max_layers=3
)


@gradcheck_property
def test_F6_1_central_difference_of_one_parameter(seed, dims, m, labels, hidden):
    check_F6_1(network_case(seed, dims, m, labels, hidden))


@gradcheck_property
def test_F6_2_every_component_agrees_with_central_differences(seed, dims, m, labels, hidden):
    check_F6_2(network_case(seed, dims, m, labels, hidden))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_F6_2_gradcheck_rejects_a_derivative_off_by_a_thousandth(seed, monkeypatch):
    case = make_case(seed, [3, 4, 1], 5, hidden="tanh")
    tensors = [tinygrad_edu.Tensor(p, requires_grad=True) for p in parameter_arrays(case)]
    assert tinygrad_edu.gradcheck(cost_of_parameters(case), tensors, eps=EPSILON)

    def tanh_backward_scaled(self, g, out, z):
        return (g * (1.0 - out * out) * 1.001,)  # a wrong rule: 1.001 (1 - a²)

    monkeypatch.setattr(functions.Tanh, "backward", tanh_backward_scaled)
    result = tinygrad_edu.gradcheck(cost_of_parameters(case), tensors, eps=EPSILON)
    assert not result, "gradcheck passed a derivative that is wrong by 0.1 %"
    with pytest.raises(GradcheckError):
        tinygrad_edu.gradcheck(cost_of_parameters(case), tensors, eps=EPSILON, raise_on_fail=True)
