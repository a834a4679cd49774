"""F2: the activations of seed 001 / 002 / 003 and their derivatives.

For each activation the engine's value and the gradient ``backward(G)`` sends to ``Z``
(``dZ = G * g'(Z)``) are compared with the course's formula in plain numpy. Smooth
activations use seeded values (tier 1); ReLU and leaky ReLU are exact, so raw hypothesis
arrays (zeros and ties included) are welcome there, and the value at ``z = 0`` is pinned.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    OP_SETTINGS,
    assert_tier1,
    depths,
    example_counts,
    seeds,
    widths,
)
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu import Tensor

shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)


def activation_and_grad(method: str, z: np.ndarray, G: np.ndarray, *args) -> tuple:
    """``A = Z.method(*args)``, ``A.backward(G)``: returns (A values, Z.grad)."""
    Z = Tensor(z, requires_grad=True, name="Z")
    A = getattr(Z, method)(*args)
    A.backward(G)
    return A.data, Z.grad


def seeded(seed: int, shape: tuple, bound: float) -> tuple:
    """z uniform in [-bound, bound] and an upstream gradient G, both of ``shape``."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-bound, bound, size=shape), rng.standard_normal(shape)


@OP_SETTINGS
@given(seed=seeds, shape=shapes)
def test_F2_1_sigmoid_derivative_is_a_times_1_minus_a(seed, shape):
    z, G = seeded(seed, shape, 30.0)
    a, dz = activation_and_grad("sigmoid", z, G)
    expected = 1.0 / (1.0 + np.exp(-z))  # a = 1/(1+e^-z)
    assert_tier1(a, expected, "sigmoid value")
    assert_tier1(dz, G * expected * (1 - expected), "dz = G * a(1-a)")
    assert np.all((a > 0) & (a < 1)), "sigmoid range is (0, 1)"


@OP_SETTINGS
@given(z=hnp.arrays(np.float64, shapes, elements=st.floats(-30.0, 30.0)))
@example(z=np.zeros((2, 3)))
def test_F2_1_sigmoid_range_on_raw_values(z):
    a = Tensor(z).sigmoid().data
    assert np.all((a > 0) & (a < 1)), "sigmoid range is (0, 1)"
    assert np.all(a[z == 0] == 0.5)


@OP_SETTINGS
@given(seed=seeds, shape=shapes)
def test_F2_2_tanh_derivative_is_1_minus_a_squared(seed, shape):
    z, G = seeded(seed, shape, 15.0)
    a, dz = activation_and_grad("tanh", z, G)
    expected = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))  # (e^z - e^-z)/(e^z + e^-z)
    assert_tier1(a, expected, "tanh value")
    assert_tier1(dz, G * (1 - expected**2), "dz = G * (1 - a²)")
    assert np.all((a > -1) & (a < 1)), "tanh range is (-1, 1)"


@OP_SETTINGS
@given(seed=seeds, shape=shapes)
def test_F2_3_tanh_is_a_shifted_rescaled_sigmoid(seed, shape):
    z, G = seeded(seed, shape, 8.0)
    a, dz = activation_and_grad("tanh", z, G)
    Z = Tensor(z, requires_grad=True, name="Z")
    shifted = 2 * (2 * Z).sigmoid() - 1  # tanh(z) = 2σ(2z) - 1
    shifted.backward(G)
    assert_tier1(a, shifted.data, "tanh(z) vs 2σ(2z) - 1")
    s = 1.0 / (1.0 + np.exp(-2 * z))
    assert_tier1(dz, G * 4 * s * (1 - s), "d tanh/dz = d(2σ(2z) - 1)/dz = 4σ(2z)(1-σ(2z))")
    assert_tier1(Z.grad, dz, "autodiff through 2σ(2z) - 1 vs through tanh")


@OP_SETTINGS
@given(z=hnp.arrays(np.float64, shapes, elements=st.floats(-100.0, 100.0)), seed=seeds)
@example(z=np.array([[-1.5, 0.0, 2.0]]), seed=0)
@example(z=np.zeros((3, 2)), seed=0)
def test_F2_4_relu_derivative_is_0_or_1_and_0_at_the_kink(z, seed):
    check_F2_4(z, np.random.default_rng(seed).standard_normal(z.shape))


def check_F2_4(z: np.ndarray, G: np.ndarray) -> None:
    a, dz = activation_and_grad("relu", z, G)
    np.testing.assert_array_equal(a, np.maximum(0.0, z))  # a = max(0, z)
    # a' = 1 for z > 0, 0 for z < 0, and the library's choice relu'(0) = 0
    np.testing.assert_array_equal(dz, np.where(z > 0, G, 0.0))
    assert np.all(dz[z == 0] == 0), "relu'(0) = 0 (documented choice)"


@OP_SETTINGS
@given(
    z=hnp.arrays(np.float64, shapes, elements=st.floats(-100.0, 100.0)),
    alpha=st.one_of(st.just(0.01), st.floats(min_value=0.001, max_value=0.5)),
    seed=seeds,
)
@example(z=np.array([[-3.0, 0.0, 4.0]]), alpha=0.01, seed=0)
def test_F2_5_leaky_relu_slope_is_a_parameter(z, alpha, seed):
    G = np.random.default_rng(seed).standard_normal(z.shape)
    a, dz = activation_and_grad("leaky_relu", z, G, alpha)
    np.testing.assert_array_equal(a, np.maximum(alpha * z, z))  # a = max(αz, z)
    # a' = α for z < 0, 1 for z > 0; the library's choice at z = 0 is α
    np.testing.assert_array_equal(dz, np.where(z > 0, G, alpha * G))
    default_a, default_dz = activation_and_grad("leaky_relu", z, G)  # the course's 0.01
    np.testing.assert_array_equal(default_a, np.maximum(0.01 * z, z))
    np.testing.assert_array_equal(default_dz, np.where(z > 0, G, 0.01 * G))


@NETWORK_SETTINGS
@given(seed=seeds, L=depths, n=st.lists(widths, min_size=5, max_size=5), m=example_counts)
def test_F2_6_linear_activations_make_the_network_one_affine_map(seed, L, n, m):
    rng = np.random.default_rng(seed)
    dims = n[: L + 1]
    X = rng.uniform(-2.0, 2.0, size=(dims[0], m))
    Ws = [rng.standard_normal((dims[l], dims[l - 1])) for l in range(1, L + 1)]
    bs = [rng.standard_normal((dims[l], 1)) for l in range(1, L + 1)]
    X_t = Tensor(X, requires_grad=True, name="X")
    A = X_t
    for W, b in zip(Ws, bs):
        A = Tensor(W) @ A + Tensor(b)  # identity activation: A[l] = Z[l]
    # collapse into one affine map: W = W[L]...W[1], b = W[L]...W[2] b[1] + ... + b[L]
    W_total, b_total = np.eye(dims[0]), np.zeros((dims[0], 1))
    for W, b in zip(Ws, bs):
        W_total, b_total = W @ W_total, W @ b_total + b
    assert_tier1(A.data, W_total @ X + b_total, f"{L}-layer linear net vs one affine map Wx + b")
    G = rng.standard_normal(A.shape)
    A.backward(G)
    assert_tier1(X_t.grad, W_total.T @ G, "the input gradient of a linear net is Wᵀ G")
