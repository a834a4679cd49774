"""F4: the L-layer network of seed 001 ("Deep neural network"), with raw Tensor ops.

``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``, ``A[0] = X``, ``A[L] = ŷ = σ(Z[L])``,
mean cross-entropy. Depth, widths, m and the hidden activation are drawn. The course's
``dA``/``dZ`` are ∂(mJ)/∂·, so they are compared with ``m * .grad``.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NetCase,
    assert_tier1,
    engine_network,
    network_case,
    network_property,
    nn_model_for,
    numpy_forward,
)

from tinygrad_edu.nn import functional as F


def course_backprop(case: NetCase) -> dict:
    """The backward block of seed 001, layer by layer, in plain numpy."""
    Z, A = numpy_forward(case)
    Y, m, L = case.Y, case.m, case.L
    d = {f"dA{L}": -(Y / A[L] - (1 - Y) / (1 - A[L]))}  # F4.2  dA[L]
    for l in range(L, 0, -1):
        dZ = d[f"dZ{l}"] = d[f"dA{l}"] * case.activation(l).g_prime(Z[l], A[l])  # F4.3
        d[f"dW{l}"] = 1 / m * dZ @ A[l - 1].T  # F4.4  dW[l] = 1/m dZ[l] A[l-1]ᵀ
        d[f"db{l}"] = 1 / m * np.sum(dZ, axis=1, keepdims=True)  # db[l] = 1/m Σ dZ[l]
        d[f"dA{l - 1}"] = case.W[l - 1].T @ dZ  # F4.5  dA[l-1] = W[l]ᵀ dZ[l]
    return d


def check_F4_1(case: NetCase) -> None:
    t = engine_network(case)
    Z, A = numpy_forward(case)
    for l in range(1, case.L + 1):
        assert_tier1(t[f"Z{l}"].data, Z[l], f"Z{l} = W{l} A{l - 1} + b{l}")
        assert_tier1(t[f"A{l}"].data, A[l], f"A{l} = g{l}(Z{l})")


def check_F4_2(case: NetCase) -> None:
    t, L = engine_network(case), case.L
    expected = course_backprop(case)[f"dA{L}"]
    assert_tier1(case.m * t[f"A{L}"].grad, expected, f"m * A{L}.grad vs -(Y/A - (1-Y)/(1-A))")


def check_F4_3(case: NetCase) -> None:
    t, d = engine_network(case), course_backprop(case)
    for l in range(1, case.L + 1):
        assert_tier1(case.m * t[f"Z{l}"].grad, d[f"dZ{l}"], f"m * Z{l}.grad vs dA{l} * g'(Z{l})")


def check_F4_4(case: NetCase) -> None:
    t, d = engine_network(case), course_backprop(case)
    for l in range(1, case.L + 1):
        assert_tier1(t[f"W{l}"].grad, d[f"dW{l}"], f"W{l}.grad vs 1/m dZ{l} A{l - 1}ᵀ")
        assert_tier1(t[f"b{l}"].grad, d[f"db{l}"], f"b{l}.grad vs 1/m np.sum(dZ{l}, axis=1)")


def check_F4_5(case: NetCase) -> None:
    t, d = engine_network(case, x_requires_grad=True), course_backprop(case)
    t["A0"] = t["X"]
    for l in range(1, case.L + 1):
        got = case.m * t[f"A{l - 1}"].grad
        assert_tier1(got, d[f"dA{l - 1}"], f"m * A{l - 1}.grad vs W{l}ᵀ dZ{l}")


def check_F4_6(case: NetCase) -> None:
    t, m = engine_network(case, x_requires_grad=True), case.m
    dims = [case.X.shape[0]] + [W.shape[0] for W in case.W]
    for l in range(1, case.L + 1):
        n, n_prev = dims[l], dims[l - 1]
        assert t[f"W{l}"].grad.shape == (n, n_prev), f"dW{l} must be (n[l], n[l-1])"
        assert t[f"b{l}"].grad.shape == (n, 1), f"db{l} must be (n[l], 1)"
        assert t[f"Z{l}"].grad.shape == (n, m), f"dZ{l} must be (n[l], m)"
        assert t[f"A{l}"].grad.shape == (n, m), f"dA{l} must be (n[l], m)"
    assert t["X"].grad.shape == (dims[0], m)


# L = 2..5 layers; pinned: a 3-4-3-1 ReLU network
deep_property = network_property(
    {"seed": 2, "dims": [3, 4, 3, 1], "m": 5, "labels": "random", "hidden": "relu"}, max_layers=5
)


@deep_property
def test_F4_1_forward_Z_is_W_A_prev_plus_b(seed, dims, m, labels, hidden):
    check_F4_1(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_2_dA_L_of_the_cross_entropy(seed, dims, m, labels, hidden):
    check_F4_2(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_3_dZ_is_dA_times_g_prime(seed, dims, m, labels, hidden):
    check_F4_3(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_4_dW_and_db_of_every_layer(seed, dims, m, labels, hidden):
    check_F4_4(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_5_dA_prev_is_WT_dZ(seed, dims, m, labels, hidden):
    check_F4_5(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_6_gradient_shapes_for_any_m(seed, dims, m, labels, hidden):
    check_F4_6(network_case(seed, dims, m, labels, hidden))


@deep_property
def test_F4_4_nn_deep_network_gradients_are_the_course_formulas(seed, dims, m, labels, hidden):
    case = network_case(seed, dims, m, labels, hidden)
    model = nn_model_for(case)
    A_L = model(case.X)
    _, A = numpy_forward(case)
    assert_tier1(A_L.data, A[case.L], "deep_network output vs A[L] (F4.1)")
    assert A_L.name == f"A{case.L}"
    F.binary_cross_entropy(A_L, case.Y).backward()
    d = course_backprop(case)
    for name, p in model.named_parameters():  # W1, b1, ..., WL, bL
        assert_tier1(p.grad, d[f"d{name}"], f"nn {name}.grad vs the course's d{name}")
