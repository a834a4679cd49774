"""The gradient checker must be able to fail: planted wrong derivatives are caught and
located; float32 is refused; ``raise_on_fail`` raises. It also passes on correct rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds, shapes

import tinygrad_edu.functions as F
from tinygrad_edu import (
    DtypeError,
    GradcheckError,
    GradcheckResult,
    Tensor,
    gradcheck,
    relative_difference,
)


def two_layer_cost(W1, b1, W2):
    X = Tensor(np.linspace(-1, 1, 12).reshape(3, 4), name="X")
    A1 = (W1 @ X + b1).tanh()
    J = F.binary_cross_entropy((W2 @ A1).sigmoid(), np.array([[0.0, 1.0, 1.0, 0.0]]))
    # an L2 penalty: mul and sum are in the graph too. The output sigmoid's own rule does not
    # run (fused with the cost: dZ = A - Y), so a sigmoid of b1 puts that rule in the graph.
    return J + 0.1 * (W1 * W1).sum() + b1.sigmoid().sum()


def parameters(seed):
    rng = np.random.default_rng(seed)
    return [
        Tensor(rng.normal(size=(2, 3)) / np.sqrt(3), requires_grad=True, name="W1"),
        Tensor(rng.normal(size=(2, 1)), requires_grad=True, name="b1"),
        Tensor(rng.normal(size=(1, 2)), requires_grad=True, name="W2"),
    ]


@numeric_settings(25)
@given(seed=seeds)
def test_gradcheck_passes_on_the_engines_rules_and_restores_the_inputs(seed):
    params = parameters(seed)
    before = [p.data.copy() for p in params]
    result = gradcheck(two_layer_cost, params)
    assert isinstance(result, GradcheckResult) and result and result.passed
    assert result.relative_difference <= 1e-6
    assert [r.name for r in result.inputs] == ["W1", "b1", "W2"]
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)  # nudged in place, restored bit for bit
        assert p.grad is None  # gradcheck uses grad(), not .grad


@numeric_settings(25)
@given(shape=shapes(min_dims=1), seed=seeds)
def test_gradcheck_of_a_non_scalar_output_covers_every_output(shape, seed):
    x = Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)
    assert gradcheck(lambda t: (t * t).sigmoid(), x)


@pytest.mark.parametrize("op", ["Tanh", "Sigmoid", "MatMul", "Add", "Mul", "Sum",
                                "BinaryCrossEntropy"])
def test_a_derivative_scaled_by_1_001_is_caught(monkeypatch, op):
    cls = getattr(F, op)
    rule = cls.backward

    def scaled(d):
        if type(d) is F.Shortcut:  # the fused cross-entropy: dA and dZ = (A - Y) / m
            return F.Shortcut(d.grad * 1.001, tuple(x * 1.001 for x in d.onward))
        return None if d is None else d * 1.001

    def wrong(self, g, out, *inputs):
        return tuple(scaled(d) for d in rule(self, g, out, *inputs))

    monkeypatch.setattr(cls, "backward", wrong)
    result = gradcheck(two_layer_cost, parameters(0))
    assert not result
    assert result.relative_difference > 1e-4
    assert "FAILED" in str(result)


def test_a_transposed_matmul_gradient_is_caught(monkeypatch):
    rule = F.MatMul.backward

    def transposed(self, g, out, a, b):
        ga, gb = rule(self, g, out, a, b)
        return ga.T, gb  # square inputs: the shape fits, the values do not

    monkeypatch.setattr(F.MatMul, "backward", transposed)
    rng = np.random.default_rng(1)
    W = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="W")
    A = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="A_prev")
    result = gradcheck(lambda w, a: (w @ a).tanh(), [W, A])
    assert not result
    by_name = {r.name: r for r in result.inputs}
    assert by_name["W"].relative_difference > 1e-3
    assert by_name["A_prev"].relative_difference < 1e-8  # its rule is untouched
    assert result.worst.name == "W"


def test_the_result_names_the_input_and_element_of_a_single_wrong_entry(monkeypatch):
    rule = F.Mul.backward

    def one_wrong_entry(self, g, out, x, y):
        gx, gy = rule(self, g, out, x, y)
        gy = gy.copy()
        gy[1, 2] += 1e-3  # dW wrong at one element
        return gx, gy

    monkeypatch.setattr(F.Mul, "backward", one_wrong_entry)
    rng = np.random.default_rng(2)
    X = Tensor(rng.normal(size=(2, 4)), requires_grad=True, name="X")
    W = Tensor(rng.normal(size=(2, 4)), requires_grad=True, name="W")
    result = gradcheck(lambda x, w: (x * w).sum(), [X, W])
    assert not result
    assert result.worst.name == "W" and result.worst.worst_index == (1, 2)
    assert result.worst.worst_error == pytest.approx(1e-3, rel=1e-4)
    assert "W (2, 4)" in str(result) and "(1, 2)" in str(result)
    with pytest.raises(GradcheckError, match=r"W \(2, 4\)"):
        gradcheck(lambda x, w: (x * w).sum(), [X, W], raise_on_fail=True)


def test_gradcheck_refuses_float32_and_inputs_without_grad():
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True, name="x32")
    with pytest.raises(DtypeError, match="float64") as info:
        gradcheck(lambda t: t.sum(), x32)
    assert "x32" in str(info.value)
    with pytest.raises(DtypeError, match="requires_grad"):
        gradcheck(lambda t: t.sum(), Tensor(np.ones(3)))


def test_raise_on_fail_is_silent_when_the_check_passes():
    result = gradcheck(two_layer_cost, parameters(3), raise_on_fail=True)
    assert result.passed


# values below ~1e-150 are left out: their squares underflow inside np.linalg.norm
@given(x=st.lists(st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100),
                  min_size=1, max_size=6))
def test_relative_difference_is_the_course_metric(x):
    a = np.array(x)
    assert relative_difference(a, a) == 0.0
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    if np.linalg.norm(a) > 0:
        assert relative_difference(a, -a) == pytest.approx(1.0)
        assert relative_difference(a, np.zeros_like(a)) == pytest.approx(1.0)
    assert relative_difference(np.array([3.0]), np.array([1.0])) == pytest.approx(0.5)


@pytest.mark.parametrize(("a", "y"), [(0.23703976, 0.23354574), (0.63796513, 0.63779575)])
def test_a_small_gradient_passes_within_the_central_differences_own_error(a, y, monkeypatch):
    """A ≈ Y: dJ/dA = (A - Y) / (A(1 - A)) is about 2e-2 or 7e-4, and the central difference
    errs by about 1e-8 (ε² J'''/6): more than the fixed 1e-6 of the gradient. gradcheck
    allows for that error, says so, and still rejects a rule off by a thousandth."""
    A = Tensor([a], requires_grad=True, name="A")
    Y = np.array([y])
    result = gradcheck(lambda t: F.binary_cross_entropy(t, Y), A)
    assert result and result.relative_difference > 1e-6  # passed only within the error
    assert result.difference_error is not None and result.difference_error < 1e-6
    assert "central difference's own error" in str(result)
    rule = F.BinaryCrossEntropy.backward

    def off_by_a_thousandth(self, g, out, A, Y):
        dA, dY = rule(self, g, out, A, Y)
        return dA * 1.001, dY

    monkeypatch.setattr(F.BinaryCrossEntropy, "backward", off_by_a_thousandth)
    assert not gradcheck(lambda t: F.binary_cross_entropy(t, Y), A)
