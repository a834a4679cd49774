"""Sigmoid followed by binary cross-entropy: the gradient of the logits is exactly (A − Y)/m.

``J = binary_cross_entropy(sigmoid(Z), Y)`` is the course's output layer (F1.4, F3.2). Its
gradient must not depend on A(1 − A), which rounds to 0 once σ(Z) rounds to 0 or 1
(|Z| ≳ 37, and it is already far off from |Z| ≈ 28 on): the engine gives Z the fused
``dZ = (A − Y)/m`` — the same bits as ``binary_cross_entropy_with_logits`` — while ``A.grad``
still holds the course's ``dA = −(Y/A − (1 − Y)/(1 − A))/m`` (F4.2, with A(1 − A) floored at
1e-12 in its denominator). Checked: every Z (saturated or not), fan-out of A, accumulation,
``grad``, second order, anomaly mode, nn layers, explain. tests/test_mutation.py runs
``check_dZ_is_A_minus_Y_over_m`` against broken rules (the old unfused rule, a wrong sign).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds

from tinygrad_edu import Tensor, TinygradEduWarning, detect_anomaly, grad, nn
from tinygrad_edu.explain import explain
from tinygrad_edu.nn import functional as F

DENOMINATOR_FLOOR = 1e-12  # the floor of A(1 − A) in the rule of dA (PyTorch's)


def sigmoid_reference(z: np.ndarray) -> np.ndarray:
    """σ(z) in plain numpy, written independently of the engine (no overflow for |z| ≤ 800)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def saturated_logits(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Logits with 30 ≤ |Z| ≤ 800 and random signs: σ(Z) is within 1e-13 of 0 or 1, or equal."""
    return rng.uniform(30.0, 800.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def labels(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return (rng.random(shape) < 0.5).astype(np.float64)


def check_dZ_is_A_minus_Y_over_m(z: np.ndarray, y: np.ndarray, reduction: str = "mean") -> None:
    """Z.grad after J = binary_cross_entropy(sigmoid(Z), Y) is (σ(Z) − Y)/m: bit for bit what
    the cost on the logits gives, and within one rounding of an independent reference."""
    Z = Tensor(z, requires_grad=True, name="Z")
    A = F.sigmoid(Z)
    F.binary_cross_entropy(A, y, reduction).backward()
    Z_logits = Tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(Z_logits, y, reduction).backward()
    np.testing.assert_array_equal(Z.grad, Z_logits.grad, err_msg="Z.grad vs the logits' rule")
    m = z.shape[-1] if reduction == "mean" else 1
    expected = (sigmoid_reference(z) - y) / m
    np.testing.assert_allclose(Z.grad, expected, rtol=1e-12, atol=4.5e-16 / m,
                               err_msg="Z.grad vs (σ(Z) − Y)/m")


def course_dA(a: np.ndarray, y: np.ndarray, m: int) -> np.ndarray:
    """F4.2 with the engine's floor: −(Y/A − (1−Y)/(1−A))/m = (A − Y)/max(A(1 − A), 1e-12)/m."""
    return (a - y) / np.maximum(a * (1.0 - a), DENOMINATOR_FLOOR) / m


# ---------------------------------------------------------------------------------------------
# Z.grad is (A − Y)/m for every Z; A.grad is the course's dA
# ---------------------------------------------------------------------------------------------


@numeric_settings(60)
@given(seed=seeds, n_y=st.integers(1, 3), m=st.integers(1, 6),
       reduction=st.sampled_from(["mean", "sum"]))
def test_saturated_logits_get_dZ_equal_to_A_minus_Y_over_m(seed, n_y, m, reduction):
    rng = np.random.default_rng(seed)
    z = saturated_logits(rng, (n_y, m))
    check_dZ_is_A_minus_Y_over_m(z, labels(rng, (n_y, m)), reduction)


@numeric_settings(60)
@given(seed=seeds, n_y=st.integers(1, 3), m=st.integers(1, 6),
       scale=st.sampled_from([0.1, 3.0, 20.0, 40.0, 300.0]))
def test_dZ_is_A_minus_Y_over_m_at_any_scale_of_the_logits(seed, n_y, m, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, scale, size=(n_y, m))
    check_dZ_is_A_minus_Y_over_m(z, labels(rng, (n_y, m)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_boundary_cases_of_the_issue(dtype):
    """Z = ±27.6 (where A(1 − A) meets the floor), ±30, ±37 (σ rounds to 1), ±40, ±800;
    labels right and wrong: a confidently wrong unit gets the full ±1/m."""
    z = np.array([[27.6, -27.6, 30.0, -30.0, 37.0, -37.0, 40.0, -40.0, 800.0, -800.0]])
    z = np.concatenate([z, z]).astype(dtype)
    y = np.array([[1.0, 0.0] * 5, [0.0, 1.0] * 5], dtype=dtype)  # row 0 right, row 1 wrong
    Z = Tensor(z, requires_grad=True)
    F.binary_cross_entropy(Z.sigmoid(), y).backward()
    m = z.shape[-1]
    expected = ((sigmoid_reference(z.astype(np.float64)) - y) / m).astype(dtype)
    np.testing.assert_allclose(Z.grad, expected, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=np.finfo(dtype).eps / m)
    assert Z.grad.dtype == dtype
    assert np.all(np.abs(Z.grad[1]) >= (1.0 - 1e-6) / m)  # wrong with certainty: |dZ| ≈ 1/m


def test_sigmoid_exactly_0_and_1_wrong_with_certainty_gives_the_full_gradient():
    Z = Tensor([[-1000.0, 1000.0]], requires_grad=True)  # σ gives exactly 0 and 1
    A = Z.sigmoid()
    J = F.binary_cross_entropy(A, np.array([[1.0, 0.0]]))
    assert J.item() == 1000.0  # log(1 + e^1000) per example, from the logits
    J.backward()
    assert Z.grad.tolist() == [[-0.5, 0.5]]  # (A - Y) / m; the damped rule gave [[0, 0]]
    assert A.grad.tolist() == [[-0.5e12, 0.5e12]]  # dA with A(1 - A) floored at 1e-12


@numeric_settings(60)
@given(seed=seeds, n_y=st.integers(1, 3), m=st.integers(1, 6),
       scale=st.sampled_from([0.5, 3.0, 20.0, 300.0]), soft=st.booleans())
def test_the_cost_after_a_sigmoid_is_the_cross_entropy_of_the_logits(seed, n_y, m, scale, soft):
    """J = 1/m Σ [log(1 + e^-Z) + (1 - Y) Z] equals the course's formula where its logs are
    finite, and the logits form log(1 + e^Z) - Y Z everywhere (to one rounding of Z)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, scale, size=(n_y, m))
    y = rng.uniform(size=(n_y, m)) if soft else labels(rng, (n_y, m))
    J = F.binary_cross_entropy(Tensor(z, requires_grad=True).sigmoid(), y).item()
    logits = np.sum(np.logaddexp(0.0, z) - y * z) / m
    assert abs(J - logits) <= 1e-14 * abs(logits) + 2.3e-16 * np.sum(np.abs(z)) / m
    if scale <= 3.0:
        a = sigmoid_reference(z)
        course = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / m
        assert J == pytest.approx(course, rel=1e-12)


@numeric_settings(40)
@given(seed=seeds, m=st.integers(1, 6), saturated=st.booleans())
def test_A_grad_still_holds_the_course_dA(seed, m, saturated):
    """F4.2 on A: the rule of dA is unchanged (its floor keeps it finite at A = 0 or 1)."""
    rng = np.random.default_rng(seed)
    z = saturated_logits(rng, (1, m)) if saturated else rng.normal(0.0, 2.0, size=(1, m))
    y = labels(rng, (1, m))
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    F.binary_cross_entropy(A, y).backward()
    np.testing.assert_allclose(A.grad, course_dA(A.data, y, m), rtol=1e-15, atol=0)
    if not saturated:  # the course's form, where it is defined
        expected = -(y / A.data - (1 - y) / (1 - A.data)) / m
        np.testing.assert_allclose(A.grad, expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# fan-out, accumulation, grad(), second order, anomaly mode
# ---------------------------------------------------------------------------------------------


@numeric_settings(40)
@given(seed=seeds, m=st.integers(1, 6), saturated=st.booleans())
def test_A_used_by_the_cost_and_by_another_op_gets_the_sum_of_both(seed, m, saturated):
    """J = BCE(A, Y) + Σ c·A: A.grad = dA + c and Z.grad = (A − Y)/m + c·A(1 − A)."""
    rng = np.random.default_rng(seed)
    z = saturated_logits(rng, (2, m)) if saturated else rng.normal(0.0, 2.0, size=(2, m))
    y, c = labels(rng, (2, m)), rng.normal(size=(2, m))
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    J = F.binary_cross_entropy(A, y) + (A * c).sum()
    J.backward()
    a = A.data
    np.testing.assert_allclose(A.grad, course_dA(a, y, m) + c, rtol=1e-12)
    np.testing.assert_allclose(Z.grad, (a - y) / m + c * (a * (1.0 - a)), rtol=1e-12,
                               atol=1e-17)
    # the other use first, the cost second: the same sums
    Z2 = Tensor(z, requires_grad=True)
    A2 = Z2.sigmoid()
    ((A2 * c).sum() + F.binary_cross_entropy(A2, y)).backward()
    np.testing.assert_allclose(Z2.grad, Z.grad, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(A2.grad, A.grad, rtol=1e-15)


def test_two_costs_on_the_same_sigmoid_add_up():
    rng = np.random.default_rng(3)
    z = saturated_logits(rng, (1, 5))
    y1, y2 = labels(rng, (1, 5)), labels(rng, (1, 5))
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    (F.binary_cross_entropy(A, y1) + F.binary_cross_entropy(A, y2, reduction="sum")).backward()
    a = sigmoid_reference(z)
    np.testing.assert_allclose(Z.grad, (a - y1) / 5 + (a - y2), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(A.grad, course_dA(A.data, y1, 5) + course_dA(A.data, y2, 1))


def saturated_cost(seed, shape):
    """Z (saturated logits), A = σ(Z), the labels y and J = binary_cross_entropy(A, y)."""
    rng = np.random.default_rng(seed)
    z, y = saturated_logits(rng, shape), labels(rng, shape)
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    return Z, A, y, F.binary_cross_entropy(A, y)


def test_a_second_backward_accumulates_on_the_logits_and_on_A():
    Z, A, y, J = saturated_cost(4, (1, 4))
    J.backward()
    first_Z, first_A = Z.grad.copy(), A.grad.copy()
    with pytest.warns(TinygradEduWarning, match="sum of both runs"):
        J.backward()
    np.testing.assert_array_equal(Z.grad, 2 * first_Z)
    np.testing.assert_array_equal(A.grad, 2 * first_A)
    np.testing.assert_array_equal(first_Z, (A.data - y) / 4)
    Z.zero_grad()
    J.backward()
    np.testing.assert_array_equal(Z.grad, first_Z)


def test_an_upstream_gradient_other_than_one_scales_both():
    rng = np.random.default_rng(5)
    z, y = saturated_logits(rng, (2, 3)), labels(rng, (2, 3))
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    (F.binary_cross_entropy(A, y) * 2.5).backward()
    np.testing.assert_allclose(Z.grad, 2.5 * (A.data - y) / 3, rtol=1e-15)
    np.testing.assert_allclose(A.grad, 2.5 * course_dA(A.data, y, 3), rtol=1e-15)


def test_grad_returns_both_without_touching_dot_grad():
    Z, A, y, J = saturated_cost(6, (1, 6))
    dA, dZ = grad(J, [A, Z])
    assert Z.grad is None and A.grad is None
    np.testing.assert_array_equal(dZ, (A.data - y) / 6)
    np.testing.assert_allclose(dA, course_dA(A.data, y, 6), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(grad(J, Z), dZ)  # asked alone: the same


@numeric_settings(30)
@given(seed=seeds, m=st.integers(1, 5), saturated=st.booleans())
def test_second_order_the_logits_gradient_differentiates_to_A_one_minus_A_over_m(seed, m,
                                                                                  saturated):
    """d/dZ [(σ(Z) − Y)/m] = σ(Z)(1 − σ(Z))/m (diagonal): the fused rule is written in dual ops."""
    rng = np.random.default_rng(seed)
    z = saturated_logits(rng, (1, m)) if saturated else rng.normal(0.0, 2.0, size=(1, m))
    y, v = labels(rng, (1, m)), rng.normal(size=(1, m))
    Z = Tensor(z, requires_grad=True)
    dZ = grad(F.binary_cross_entropy(Z.sigmoid(), y), Z, create_graph=True)
    assert isinstance(dZ, Tensor) and dZ.requires_grad
    np.testing.assert_array_equal(dZ.data, grad(F.binary_cross_entropy(Z.sigmoid(), y), Z))
    hv = grad((dZ * Tensor(v)).sum(), Z)
    e = np.exp(-np.abs(z))
    expected = v * e / (1.0 + e) ** 2 / m  # σ'(z) = σ(z)(1 − σ(z)), exact for any z
    # the engine's rule is A(1 − A) on the rounded A: where σ(z) is within 1e-13 of 1, 1 − A
    # carries A's rounding (one ulp of 1, 1.1e-16) as an absolute error: allow four of them
    rounding_of_A = 4 * np.finfo(np.float64).eps * np.abs(v) / m
    assert np.all(np.abs(hv - expected) <= 1e-12 * np.abs(expected) + rounding_of_A), (
        hv, expected)


def test_second_order_through_A_of_the_probability_rule():
    """d/dA of dA = (A − Y)/(A(1 − A))/m is (Y/A² + (1−Y)/(1−A)²)/m (F4.2 differentiated)."""
    rng = np.random.default_rng(7)
    z, y = rng.normal(0.0, 1.0, size=(1, 4)), labels(rng, (1, 4))
    Z = Tensor(z, requires_grad=True)
    A = Z.sigmoid()
    dA = grad(F.binary_cross_entropy(A, y), A, create_graph=True)
    h = grad(dA.sum(), A)
    a = A.data
    np.testing.assert_allclose(h, (y / a**2 + (1 - y) / (1 - a) ** 2) / 4, rtol=1e-10)


def test_anomaly_mode_is_quiet_at_saturation():
    rng = np.random.default_rng(8)
    z, y = saturated_logits(rng, (1, 6)), labels(rng, (1, 6))
    with detect_anomaly():
        Z = Tensor(z, requires_grad=True)
        F.binary_cross_entropy(Z.sigmoid(), y).backward()
    np.testing.assert_array_equal(Z.grad, (sigmoid_reference(z) - y) / 6)


# ---------------------------------------------------------------------------------------------
# nn layers and explain
# ---------------------------------------------------------------------------------------------


def test_a_saturated_dense_sigmoid_layer_gets_the_full_gradient():
    """A confidently wrong output unit of a Dense layer (Z2 = ±50) still learns: dZ2 = ±1/m."""
    model = nn.Sequential(nn.Dense(2, 3, "tanh", seed=1), nn.Dense(3, 1, "sigmoid", seed=2))
    last = model[-1]
    last.W.data[...] = 50.0 / 3.0  # Z2 = 50 · mean(tanh(...)) > 40 for every example
    last.b.data[...] = 0.0
    X = np.ones((2, 4))
    Y = np.array([[0.0, 0.0, 1.0, 1.0]])
    A2 = model(Tensor(X))
    J = F.binary_cross_entropy(A2, Y)
    J.backward()
    Z2 = A2._ctx.parents[0]
    a = A2.data
    np.testing.assert_array_equal(Z2.grad, (a - Y) / 4)
    assert np.all(np.abs(last.b.grad) > 0)  # db2 = Σ dZ2 is not damped to 0


def test_explain_shows_the_fused_rule_and_its_equations_are_the_grads():
    rng = np.random.default_rng(9)
    X = Tensor(rng.normal(size=(2, 5)), name="X")
    Y = Tensor(labels(rng, (1, 5)), name="Y")
    W = Tensor(rng.normal(size=(1, 2)) * 40.0, requires_grad=True, name="W")
    Z = W @ X
    Z.name = "Z"
    A = Z.sigmoid()
    A.name = "A"
    J = F.binary_cross_entropy(A, Y)
    J.backward()
    e = explain(J)
    assert e["dZ"].text == "dZ = (A - Y) / m"
    assert e["dA"].text.startswith("dA = (A - Y) / (A * (1 - A)) / m¹")
    values = e.evaluate()
    for eq in e:
        np.testing.assert_array_equal(values[eq], eq.target.grad, err_msg=eq.text)


def test_explain_of_A_used_twice_adds_the_sigmoid_rule_for_the_other_use():
    rng = np.random.default_rng(10)
    Z = Tensor(saturated_logits(rng, (1, 4)), requires_grad=True, name="Z")
    A = Z.sigmoid()
    A.name = "A"
    c = Tensor(rng.normal(size=(1, 4)), name="c")
    J = F.binary_cross_entropy(A, labels(rng, (1, 4))) + (A * c).sum()
    J.backward()
    e = explain(J)
    assert len(e["dZ"].parts) == 2
    values = e.evaluate()
    for eq in e:
        np.testing.assert_allclose(values[eq], eq.target.grad, rtol=1e-15, atol=1e-300,
                                   err_msg=eq.text)
