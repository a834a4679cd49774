"""F11: softmax and the categorical cross-entropy (the output layer for C classes).

``A = softmax(Z)`` over the class axis 0 of ``Z (C, m)``; ``J = -1/m Σ Y log A`` for one-hot
``Y (C, m)``; after a softmax the engine fuses the two so that ``Z.grad`` is exactly
``(A − Y)/m`` (the two-class case is F1.4). The references are written in plain numpy here:
``np.exp(z) / np.exp(z).sum(axis=0)`` (with the max subtracted only where the values would
overflow), the Jacobian ``diag(a) − a aᵀ`` of each column, and ``(a − y)/m``.

tests/test_mutation.py runs the ``check_F11_*`` functions against broken rules.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import assert_tier1, assert_tier2, seeds
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import numeric_settings

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

classes = st.integers(min_value=2, max_value=5)
examples_m = st.integers(min_value=1, max_value=6)


def numpy_softmax(z: np.ndarray) -> np.ndarray:
    """Each column's e^z / Σ e^z, written out (a shift by the column max keeps exp finite)."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def random_one_hot(rng: np.random.Generator, C: int, m: int) -> np.ndarray:
    y = np.zeros((C, m))
    y[rng.integers(0, C, size=m), np.arange(m)] = 1.0
    return y


# ---------------------------------------------------------------------------------------------
# F11.1  A = softmax(Z): A_k = e^{Z_k} / Σ_j e^{Z_j}, stable
# ---------------------------------------------------------------------------------------------


def check_F11_1(z: np.ndarray) -> None:
    A = F.softmax(Tensor(z))
    expected = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)  # A_k = e^{Z_k} / Σ_j e^{Z_j}
    assert_tier1(A.data, expected, "softmax(Z) vs e^Z / Σ e^Z")
    np.testing.assert_allclose(A.data.sum(axis=0), 1.0, rtol=1e-14, err_msg="Σ_k A_k = 1")
    shifted = F.softmax(Tensor(z + 1000.0))  # e^1000 overflows: only the stable form survives
    assert np.all(np.isfinite(shifted.data))
    assert_tier1(shifted.data, expected, "softmax(Z + 1000) = softmax(Z)")


@numeric_settings(60)
@given(seed=seeds, C=classes, m=examples_m)
@example(seed=0, C=2, m=1)
def test_F11_1_softmax_is_e_to_the_Z_over_its_column_sum_and_stable(seed, C, m):
    check_F11_1(np.random.default_rng(seed).normal(0.0, 3.0, size=(C, m)))


# ---------------------------------------------------------------------------------------------
# F11.2  the softmax's own rule: dZ = A * (dA - Σ_k dA_k A_k)
# ---------------------------------------------------------------------------------------------


def check_F11_2(z: np.ndarray, dA: np.ndarray) -> None:
    Z = Tensor(z, requires_grad=True, name="Z")
    A = F.softmax(Z)
    (A * dA).sum().backward()  # a cost whose dJ/dA is dA
    a = numpy_softmax(z)
    expected = np.empty_like(z)
    for i in range(z.shape[1]):  # column by column: dZ = (diag(a) - a aᵀ) dA
        jacobian = np.diag(a[:, i]) - np.outer(a[:, i], a[:, i])
        expected[:, i] = jacobian @ dA[:, i]
    assert_tier1(Z.grad, expected, "Z.grad vs (diag(A) - A Aᵀ) dA")
    assert_tier1(Z.grad, a * (dA - (dA * a).sum(axis=0, keepdims=True)),
                 "Z.grad vs A * (dA - Σ_k dA_k A_k)")


def check_F11_2_numerically(z: np.ndarray, dA: np.ndarray) -> None:
    Z = Tensor(z, requires_grad=True)
    (F.softmax(Z) * dA).sum().backward()
    eps, numeric = 1e-4, np.zeros_like(z)
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = ((numpy_softmax(plus) - numpy_softmax(minus)) * dA).sum() / (2 * eps)
    assert_tier2(Z.grad, numeric, "Z.grad vs central differences")


@numeric_settings(60)
@given(seed=seeds, C=classes, m=examples_m)
@example(seed=1, C=2, m=1)
def test_F11_2_softmax_rule_is_A_times_dA_minus_its_weighted_sum(seed, C, m):
    rng = np.random.default_rng(seed)
    z, dA = rng.normal(0.0, 2.0, size=(C, m)), rng.normal(size=(C, m))
    check_F11_2(z, dA)
    check_F11_2_numerically(z, dA)


# ---------------------------------------------------------------------------------------------
# F11.3  J = -1/m Σ Y log A, fused after the softmax: dZ = (A - Y) / m
# ---------------------------------------------------------------------------------------------


def check_F11_3(z: np.ndarray, y: np.ndarray, reduction: str = "mean") -> None:
    m = z.shape[1] if reduction == "mean" else 1
    Z = Tensor(z, requires_grad=True, name="Z")
    A = F.softmax(Z)
    J = F.categorical_cross_entropy(A, y, reduction)
    J.backward()
    Z_logits = Tensor(z, requires_grad=True)
    J_logits = F.categorical_cross_entropy_with_logits(Z_logits, y, reduction)
    J_logits.backward()
    np.testing.assert_array_equal(Z.grad, Z_logits.grad, err_msg="fused vs the logits' rule")
    a = numpy_softmax(z)
    assert_tier1(Z.grad, (a - y) / m, "Z.grad vs (A - Y) / m")
    log_a = z - z.max(axis=0) - np.log(np.exp(z - z.max(axis=0)).sum(axis=0))
    expected_J = -(y * log_a).sum() / m  # J = -1/m Σ_i Σ_k Y_ki log A_ki
    np.testing.assert_allclose(J.item(), expected_J, rtol=1e-12, atol=1e-12, err_msg="J")
    np.testing.assert_allclose(J_logits.item(), expected_J, rtol=1e-12, atol=1e-12)
    safe_a = np.maximum(a, 1e-12)
    assert_tier1(A.grad, -(y / safe_a) / m, "A.grad vs dA = -Y / A / m")


@numeric_settings(60)
@given(seed=seeds, C=classes, m=examples_m, scale=st.sampled_from([0.1, 3.0, 40.0, 800.0]),
       reduction=st.sampled_from(["mean", "sum"]))
@example(seed=2, C=2, m=1, scale=800.0, reduction="mean")
def test_F11_3_fused_softmax_cross_entropy_gives_dZ_equal_to_A_minus_Y_over_m(
        seed, C, m, scale, reduction):
    rng = np.random.default_rng(seed)
    check_F11_3(rng.normal(0.0, scale, size=(C, m)), random_one_hot(rng, C, m), reduction)


def check_F11_3_network(seed: int, n_x: int, n_h: int, C: int, m: int) -> None:
    """A 2-layer net with a softmax output: dZ2 = (A2 - Y)/m, dW2 = dZ2 A1ᵀ, db2 = Σ dZ2."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n_x, m)), random_one_hot(rng, C, m)
    model = nn.Sequential(nn.Dense(n_x, n_h, "tanh", seed=seed % 1000),
                          nn.Dense(n_h, C, "softmax", seed=seed % 1000 + 1))
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.5, size=p.shape)
    A2 = model(X)
    F.categorical_cross_entropy(A2, Y).backward()
    W1, b1, W2, b2 = (p.data for p in model.parameters())
    A1 = np.tanh(W1 @ X + b1)
    a2 = numpy_softmax(W2 @ A1 + b2)
    dZ2 = (a2 - Y) / m  # dZ2 = (A2 - Y) / m
    dZ1 = (W2.T @ dZ2) * (1 - A1**2)
    grads = [p.grad for p in model.parameters()]
    assert_tier1(grads[2], dZ2 @ A1.T, "dW2 = dZ2 A1ᵀ")
    assert_tier1(grads[3], dZ2.sum(axis=1, keepdims=True), "db2 = Σ dZ2")
    assert_tier1(grads[0], dZ1 @ X.T, "dW1 = dZ1 Xᵀ")
    assert_tier1(grads[1], dZ1.sum(axis=1, keepdims=True), "db1 = Σ dZ1")


@numeric_settings(40)
@given(seed=seeds, n_x=st.integers(1, 4), n_h=st.integers(1, 5), C=classes, m=examples_m)
def test_F11_3_softmax_output_layer_of_a_network(seed, n_x, n_h, C, m):
    check_F11_3_network(seed, n_x, n_h, C, m)
