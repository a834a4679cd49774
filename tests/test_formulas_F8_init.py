"""F8: initialization and symmetry (seed 001 §9, seed 002 "随机初始化", seed 003, seed 004).

F8.2-F8.4 are about what gradient descent does, so the tests run it: with raw Tensor ops
(``engine_network``) and with the nn API (``nn.Dense(..., init="zeros")``, ``optim.SGD``,
``training.fit``). "Equal" rows are compared at tier 1, not bit for bit: BLAS may round
two identical rows of a product differently.

A note on F8.2: equal rows of ``W1`` keep the hidden units identical only if they also
leave identically, i.e. the entries of ``b1`` are equal and the columns of ``W2`` are equal
(the notes' case: all weights the same, or all zero). With equal rows of W1 but different
outgoing weights, ``dZ1 = W2ᵀ dZ2 * g'(Z1)`` differs from row to row and so do the rows of
``dW1``; ``test_F8_2_equal_rows_of_W1_alone_are_not_enough`` shows it.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    NetCase,
    assert_tier1,
    engine_network,
    example_counts,
    label_kinds,
    labels_for,
    seeds,
    widths,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tinygrad_edu import nn, optim, training
from tinygrad_edu.functions import binary_cross_entropy

# -- F8.1 ------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(n_in=widths, n_out=widths, seed=st.integers(0, 2**32 - 1))
@example(n_in=2, n_out=4, seed=2)
def test_F8_1_course_init_is_randn_times_0_01_and_zero_biases(n_in, n_out, seed):
    layer = nn.Dense(n_in, n_out, activation="tanh", seed=seed)
    np.random.seed(seed)  # the notebook: np.random.seed(s); W = np.random.randn(n, n_prev) * 0.01
    expected = np.random.randn(n_out, n_in) * 0.01
    np.testing.assert_array_equal(layer.W.data, expected)
    np.testing.assert_array_equal(layer.b.data, np.zeros((n_out, 1)))  # b = np.zeros((n, 1))
    assert layer.W.name == "W" and layer.W.requires_grad and layer.b.requires_grad


@NETWORK_SETTINGS
@given(dims=st.lists(widths, min_size=2, max_size=5), seed=st.integers(0, 2**32 - 1))
def test_F8_1_deep_network_draws_W1_W2_in_order_from_one_stream(dims, seed):
    model = nn.deep_network(dims, hidden="relu", output="sigmoid", seed=seed)
    np.random.seed(seed)
    for l, (name, W) in enumerate(
        [(n, p) for n, p in model.named_parameters() if n.split(".")[-1].startswith("W")], 1
    ):
        expected = np.random.randn(dims[l], dims[l - 1]) * 0.01
        np.testing.assert_array_equal(W.data, expected, err_msg=name)
        assert W.name == f"W{l}"
    for layer in model:
        np.testing.assert_array_equal(layer.b.data, np.zeros((layer.n_out, 1)))


def test_F8_1_course_init_has_standard_deviation_0_01():
    W = nn.Dense(300, 300, seed=0).W.data
    assert abs(W.std() - 0.01) < 0.0005 and abs(W.mean()) < 0.0005


# -- F8.2 ------------------------------------------------------------------------------------


def assert_rows_equal(M: np.ndarray, what: str) -> None:
    assert_tier1(M, np.broadcast_to(M[:1], M.shape), f"every row of {what} equals the first")


def symmetric_case(seed: int, n0: int, n1: int, m: int, labels: str, hidden: str, zero: bool):
    """W1 with equal rows (all 0 if ``zero``), b1 with equal entries, W2 with equal columns."""
    rng = np.random.default_rng(seed)
    row = np.zeros((1, n0)) if zero else rng.standard_normal((1, n0)) / np.sqrt(n0)
    W1 = np.repeat(row, n1, axis=0)
    b1 = np.full((n1, 1), 0.0 if zero else rng.normal())
    W2 = np.full((1, n1), 0.0 if zero else rng.normal())
    X = rng.uniform(-2.0, 2.0, size=(n0, m))
    return NetCase(X, labels_for(rng, (1, m), labels), [W1, W2], [b1, np.zeros((1, 1))], hidden)


def descend(case: NetCase, alpha: float, steps: int, each_step=None) -> NetCase:
    """``steps`` of batch gradient descent with the engine's gradients (W := W - α dW)."""
    for _ in range(steps):
        t = engine_network(case)
        if each_step is not None:
            each_step(t)
        case = NetCase(
            case.X,
            case.Y,
            [W - alpha * t[f"W{l}"].grad for l, W in enumerate(case.W, 1)],
            [b - alpha * t[f"b{l}"].grad for l, b in enumerate(case.b, 1)],
            case.hidden,
        )
    return case


@NETWORK_SETTINGS
@given(
    seed=seeds,
    n0=widths,
    n1=st.integers(min_value=2, max_value=5),
    m=example_counts,
    labels=label_kinds,
    hidden=st.sampled_from(["tanh", "sigmoid"]),
    zero=st.booleans(),
    steps=st.integers(min_value=1, max_value=15),
)
@example(seed=0, n0=2, n1=4, m=1, labels="ones", hidden="sigmoid", zero=True, steps=5)
@example(seed=0, n0=2, n1=4, m=5, labels="zeros", hidden="tanh", zero=False, steps=5)
def test_F8_2_identical_hidden_units_stay_identical_under_gradient_descent(
    seed, n0, n1, m, labels, hidden, zero, steps
):
    case = symmetric_case(seed, n0, n1, m, labels, hidden, zero)

    def rows_of_dW1_are_equal(t):
        assert_rows_equal(t["W1"].grad, "dW1")
        assert_rows_equal(t["A1"].data, "A1")

    final = descend(case, alpha=0.5, steps=steps, each_step=rows_of_dW1_are_equal)
    assert_rows_equal(final.W[0], f"W1 after {steps} steps")
    assert_rows_equal(final.b[0], f"b1 after {steps} steps")


@NETWORK_SETTINGS
@given(seed=seeds, n0=widths, n1=st.integers(2, 5), m=example_counts, labels=label_kinds)
def test_F8_2_equal_rows_of_W1_alone_are_not_enough(seed, n0, n1, m, labels):
    case = symmetric_case(seed, n0, n1, m, labels, "tanh", zero=False)
    rng = np.random.default_rng(seed + 1)
    case.W[1] = rng.standard_normal((1, n1))  # different outgoing weights
    assume(np.ptp(case.W[1]) > 0.1)
    t = engine_network(case)
    dZ2 = t["A2"].data - case.Y
    assume(np.max(np.abs(dZ2 @ case.X.T)) > 1e-3)  # some gradient reaches W1
    dW1 = t["W1"].grad
    assert not np.allclose(dW1, dW1[:1]), "rows of dW1 differ when the units' W2 differ"


@NETWORK_SETTINGS
@given(
    n0=widths,
    n1=st.integers(2, 5),
    steps=st.integers(1, 10),
    seed=seeds,
    hidden=st.sampled_from(["tanh", "sigmoid"]),
)
def test_F8_2_zero_init_layers_stay_symmetric_when_trained_with_fit(n0, n1, steps, seed, hidden):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(-2, 2, size=(n0, 6)), labels_for(rng, (1, 6), "random")
    model = nn.Sequential(
        nn.Dense(n0, n1, activation=hidden, init="zeros"),
        nn.Dense(n1, 1, activation="sigmoid", init="zeros"),
    )
    training.fit(model, X, Y, lr=0.5, iterations=steps, print_every=0)
    assert_rows_equal(model[0].W.data, "W1")
    assert_rows_equal(model[0].b.data, "b1")
    assert_rows_equal(model[1].W.data.T, "W2ᵀ")


# -- F8.3 ------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(seed=seeds, n0=widths, n1=st.integers(2, 5), m=example_counts, labels=label_kinds)
@example(seed=0, n0=2, n1=2, m=1, labels="ones")  # seed 001's example: 2 units, one example
def test_F8_3_all_zero_weights_first_layer_does_not_move(seed, n0, n1, m, labels):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(-2, 2, size=(n0, m)), labels_for(rng, (1, m), labels)
    assume(abs(Y.mean() - 0.5) > 1e-9)  # else Σ(A2 - Y) = 0 and dW2 = 0 too
    model = nn.Sequential(
        nn.Dense(n0, n1, activation="sigmoid", init="zeros"),
        nn.Dense(n1, 1, activation="sigmoid", init="zeros"),
    )
    J = binary_cross_entropy(model(X), Y)
    J.backward()
    W1, b1, W2, b2 = model[0].W, model[0].b, model[1].W, model[1].b
    np.testing.assert_array_equal(W1.grad, np.zeros((n1, n0)))  # dW1 = 0
    np.testing.assert_array_equal(b1.grad, np.zeros((n1, 1)))  # db1 = 0
    # A1 = σ(0) = 1/2 everywhere, dZ2 = A2 - Y = 1/2 - Y: dW2 = 1/m dZ2 A1ᵀ, all entries equal
    expected_dW2 = np.full((1, n1), np.mean(0.5 - Y) * 0.5)
    assert_tier1(W2.grad, expected_dW2, "dW2 = 1/m dZ2 A1ᵀ with A1 = 1/2")
    assert np.all(W2.grad != 0)
    optim.SGD(model.parameters(), lr=1.0).step()
    np.testing.assert_array_equal(W1.data, np.zeros((n1, n0)))  # the first layer never moved
    np.testing.assert_array_equal(b1.data, np.zeros((n1, 1)))
    assert np.all(W2.data != 0) and b2.data.item() != 0


@NETWORK_SETTINGS
@given(seed=seeds, n0=widths, n1=st.integers(2, 5), m=example_counts, labels=label_kinds)
def test_F8_3_with_tanh_hidden_units_even_dW2_is_zero(seed, n0, n1, m, labels):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(-2, 2, size=(n0, m)), labels_for(rng, (1, m), labels)
    zeros = [np.zeros((n1, n0)), np.zeros((1, n1))], [np.zeros((n1, 1)), np.zeros((1, 1))]
    case = NetCase(X, Y, *zeros, hidden="tanh")
    t = engine_network(case)
    for name in ("W1", "b1", "W2"):  # tanh(0) = 0: A1 = 0, so no gradient reaches W1, b1, W2
        np.testing.assert_array_equal(t[name].grad, np.zeros_like(t[name].data), err_msg=name)


# -- F8.4 ------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n0=widths,
    n1=st.integers(2, 5),
    m=example_counts,
    labels=label_kinds,
    hidden=st.sampled_from(["tanh", "sigmoid", "leaky_relu"]),
)
def test_F8_4_random_W_and_zero_b_make_the_hidden_units_differ(seed, n0, n1, m, labels, hidden):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 2.0, size=(n0, m)) * rng.choice([-1.0, 1.0], size=(n0, m))
    Y = labels_for(rng, (1, m), labels)
    model = nn.deep_network([n0, n1, 1], hidden=hidden, output="sigmoid", seed=seed)
    np.testing.assert_array_equal(model[0].b.data, np.zeros((n1, 1)))
    A2 = model(X)
    binary_cross_entropy(A2, Y).backward()
    Z1, dW1 = model[0].W.data @ X, model[0].W.grad  # Z1 = W1 X + 0
    for i in range(n1):
        for j in range(i):
            assert not np.array_equal(Z1[i], Z1[j]), f"hidden units {i + 1} and {j + 1} coincide"
            assert not np.array_equal(dW1[i], dW1[j]), f"rows {i + 1}, {j + 1} of dW1 coincide"
