"""F3: the two-layer network of seed 001 ("Summary of gradient descent") and seed 002.

Forward ``Z1 = W1 X + b1, A1 = g1(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2)``, cost the mean
cross-entropy, built with raw Tensor ops. The course writes ``dZ2 = A2 - Y`` as ∂(mJ)/∂Z2:
the engine's ``Z2.grad`` is ∂J/∂Z2, so the tests compare ``m * Z2.grad`` with ``A2 - Y``.

Each ``check_F3_*`` takes a ``NetCase`` and raises AssertionError when the engine disagrees
with the formula; test_mutation.py calls the same functions under deliberately wrong rules.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    NetCase,
    assert_tier1,
    assume_away_from_kinks,
    engine_network,
    example_counts,
    hidden_activations,
    label_kinds,
    labels_for,
    make_case,
    numpy_forward,
    parameter_names,
    pinned_edge_cases,
    seeds,
    widths,
)
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Tensor
from tinygrad_edu.functions import binary_cross_entropy_with_logits


def course_backprop(case: NetCase) -> dict:
    """The six equations of seed 001 / seed 002 in plain numpy (dZ as ∂(mJ)/∂Z)."""
    Z, A = numpy_forward(case)
    X, Y, m = case.X, case.Y, case.m
    W1, W2 = case.W
    g1_prime = case.activation(1).g_prime
    dZ2 = A[2] - Y  # F3.2  dZ2 = A2 - Y
    dW2 = 1 / m * dZ2 @ A[1].T  # F3.3  dW2 = 1/m dZ2 A1ᵀ
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)  #       db2 = 1/m Σ dZ2
    dZ1 = (W2.T @ dZ2) * g1_prime(Z[1], A[1])  # F3.4  dZ1 = W2ᵀ dZ2 * g1'(Z1)
    dW1 = 1 / m * dZ1 @ X.T  # F3.5  dW1 = 1/m dZ1 Xᵀ
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)  #       db1 = 1/m Σ dZ1
    dX = 1 / m * W1.T @ dZ1  # F3.7  ∂J/∂X = W1ᵀ dZ1 / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1, "dW1": dW1, "db1": db1, "dX": dX}


# -- the checks (shared with test_mutation.py) ------------------------------------------------


def check_F3_1_shapes(case: NetCase) -> None:
    t = engine_network(case)
    n0, m = case.X.shape
    n1, n2 = case.W[0].shape[0], case.W[1].shape[0]
    expected = {"W1": (n1, n0), "b1": (n1, 1), "W2": (n2, n1), "b2": (n2, 1)}
    for name, shape in expected.items():
        assert t[name].shape == shape, f"{name} has shape {t[name].shape}, expected {shape}"
        assert t[name].grad.shape == shape, f"d{name} has shape {t[name].grad.shape}, not {shape}"
    for name, shape in {"Z1": (n1, m), "A1": (n1, m), "Z2": (n2, m), "A2": (n2, m)}.items():
        assert t[name].grad.shape == shape, f"d{name} has shape {t[name].grad.shape}, not {shape}"


def check_F3_2(case: NetCase) -> None:
    t = engine_network(case)
    assert_tier1(case.m * t["Z2"].grad, course_backprop(case)["dZ2"], "m * Z2.grad vs A2 - Y")


def check_F3_3(case: NetCase) -> None:
    t, ref = engine_network(case), course_backprop(case)
    assert_tier1(t["W2"].grad, ref["dW2"], "W2.grad vs 1/m dZ2 A1ᵀ")
    assert_tier1(t["b2"].grad, ref["db2"], "b2.grad vs 1/m np.sum(dZ2, axis=1, keepdims=True)")


def check_F3_4(case: NetCase) -> None:
    t = engine_network(case)
    expected = course_backprop(case)["dZ1"]
    assert_tier1(case.m * t["Z1"].grad, expected, "m * Z1.grad vs W2ᵀ dZ2 * g1'(Z1)")


def check_F3_5(case: NetCase) -> None:
    t, ref = engine_network(case), course_backprop(case)
    assert_tier1(t["W1"].grad, ref["dW1"], "W1.grad vs 1/m dZ1 Xᵀ")
    assert_tier1(t["b1"].grad, ref["db1"], "b1.grad vs 1/m np.sum(dZ1, axis=1, keepdims=True)")


def check_F3_6(case: NetCase) -> None:
    mean = engine_network(case, reduction="mean")
    total = engine_network(case, reduction="sum")
    ref = course_backprop(case)
    for name in parameter_names(2):
        assert_tier1(total[name].grad, case.m * mean[name].grad, f"summed-cost d{name} vs m x mean")
        # and against the formula without the 1/m (seed 002's dW2 = dZ2 A1ᵀ, ...)
        assert_tier1(total[name].grad, case.m * ref[f"d{name}"], f"summed-cost d{name}")


def check_F3_7(case: NetCase) -> None:
    t = engine_network(case, x_requires_grad=True)
    assert_tier1(t["X"].grad, course_backprop(case)["dX"], "X.grad vs 1/m W1ᵀ dZ1")


# -- the properties ----------------------------------------------------------------------------


def two_layer_property(test):
    """Draw n0, n1, n2, m, labels, the hidden activation and a seed; pin m = 1, Y = 0, Y = 1."""
    test = pinned_edge_cases(seed=0, n0=2, n1=4, n2=1, m=5, labels="random", hidden="tanh")(test)
    test = given(
        seed=seeds,
        n0=widths,
        n1=widths,
        n2=st.integers(min_value=1, max_value=3),
        m=example_counts,
        labels=label_kinds,
        hidden=hidden_activations,
    )(test)
    return NETWORK_SETTINGS(test)


def two_layer_case(seed, n0, n1, n2, m, labels, hidden) -> NetCase:
    case = make_case(seed, [n0, n1, n2], m, labels, hidden=hidden)
    assume_away_from_kinks(case)
    return case


@two_layer_property
def test_F3_1_every_gradient_has_its_parameters_shape(seed, n0, n1, n2, m, labels, hidden):
    check_F3_1_shapes(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_2_output_delta_is_A_minus_Y(seed, n0, n1, n2, m, labels, hidden):
    check_F3_2(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_3_dW2_and_db2(seed, n0, n1, n2, m, labels, hidden):
    check_F3_3(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_4_hidden_delta_is_W2T_dZ2_times_g1_prime(seed, n0, n1, n2, m, labels, hidden):
    check_F3_4(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_5_dW1_and_db1(seed, n0, n1, n2, m, labels, hidden):
    check_F3_5(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_6_summed_cost_gives_m_times_the_mean_cost_gradient(seed, n0, n1, n2, m, labels, hidden):
    check_F3_6(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@two_layer_property
def test_F3_7_backprop_reaches_the_input_X(seed, n0, n1, n2, m, labels, hidden):
    check_F3_7(two_layer_case(seed, n0, n1, n2, m, labels, hidden))


@NETWORK_SETTINGS
@given(seed=seeds, n2=st.integers(1, 3), m=example_counts, labels=label_kinds)
@pinned_edge_cases(seed=0, n2=1, m=4, labels="random")
def test_F3_2_on_logits_dZ2_is_A2_minus_Y_even_when_saturated(seed, n2, m, labels):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-700.0, 700.0, size=(n2, m))  # σ(z) rounds to 0 or 1 beyond |z| ≈ 37
    Y = labels_for(rng, (n2, m), labels)
    Z2 = Tensor(z, requires_grad=True, name="Z2")
    binary_cross_entropy_with_logits(Z2, Y).backward()
    A2 = 1.0 / (1.0 + np.exp(-z))
    assert_tier1(m * Z2.grad, A2 - Y, "m * Z2.grad vs A2 - Y (cost on the logits)")
