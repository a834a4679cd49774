"""F1: logistic regression (seed 000 §2-7, seed 001 §1-2), with raw Tensor ops.

``Z = wᵀX + b`` with ``w (n_x, 1)`` and a scalar ``b`` (the notes: ``b ∈ R``, broadcast over
the m columns), ``A = σ(Z)``, ``J = binary_cross_entropy(A, Y)``. References are plain numpy.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    assert_tier1,
    example_counts,
    label_kinds,
    labels_for,
    pinned_edge_cases,
    seeds,
    widths,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Tensor, nn, no_grad, optim
from tinygrad_edu.functions import binary_cross_entropy


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # σ(z) = 1 / (1 + e^-z)


def logistic_data(seed: int, n_x: int, m: int, labels: str):
    """X (n_x, m) uniform in [-2, 2], Y (1, m), w (n_x, 1) normal / √n_x, b a number."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(n_x, m))
    w = rng.standard_normal((n_x, 1)) / np.sqrt(n_x)
    b = float(rng.normal())
    return X, labels_for(rng, (1, m), labels), w, b


def logistic_engine(X, Y, w, b, cost: str = "cross_entropy") -> dict:
    """``Z = wᵀX + b, A = σ(Z)`` and the cost; runs backward; returns the named tensors."""
    t = {"w": Tensor(w, requires_grad=True, name="w"), "b": Tensor(b, requires_grad=True, name="b")}
    t["Z"] = t["w"].T @ Tensor(X, name="X") + t["b"]
    t["A"] = t["Z"].sigmoid()
    if cost == "cross_entropy":
        t["J"] = binary_cross_entropy(t["A"], Y)
    else:  # squared error ½(ŷ - y)², averaged over the m examples
        t["J"] = (0.5 * (t["A"] - Y) ** 2).mean()
    t["J"].backward()
    return t


def logistic_property(test):
    test = pinned_edge_cases(seed=1, n_x=3, m=6, labels="random")(test)
    test = given(seed=seeds, n_x=widths, m=example_counts, labels=label_kinds)(test)
    return NETWORK_SETTINGS(test)


# -- F1.1 ------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(seed=seeds, rows=widths, m=example_counts, labels=label_kinds)
def test_F1_1_sigmoid_and_cross_entropy_loss_values(seed, rows, m, labels):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-12.0, 12.0, size=(rows, m))
    assert_tier1(Tensor(z).sigmoid().data, 1.0 / (1.0 + np.exp(-z)), "σ(z) = 1/(1+e^-z)")
    y = labels_for(rng, (rows, m), labels)
    a = rng.uniform(0.01, 0.99, size=(rows, m))
    per_example = -(y * np.log(a) + (1 - y) * np.log(1 - a))  # L(a, y)
    total = binary_cross_entropy(Tensor(a), y, reduction="sum")
    assert_tier1(total.data, per_example.sum(), "Σ L(a, y) on probabilities")
    z_moderate = z / 3.0  # the sigmoid path computes the loss from z: same L(σ(z), y)
    s = sigmoid(z_moderate)
    on_logits = binary_cross_entropy(Tensor(z_moderate).sigmoid(), y, reduction="sum")
    assert_tier1(on_logits.data, np.sum(-(y * np.log(s) + (1 - y) * np.log(1 - s))), "L(σ(z), y)")


# -- F1.2, F1.3: one example ---------------------------------------------------------------


@NETWORK_SETTINGS
@given(seed=seeds, y=st.sampled_from([0.0, 1.0]))
def test_F1_2_single_example_dz_is_a_minus_y(seed, y):
    z = np.random.default_rng(seed).uniform(-6.0, 6.0, size=(1, 1))
    Z = Tensor(z, requires_grad=True, name="z")
    A = Z.sigmoid()
    binary_cross_entropy(A, [[y]]).backward()
    a = sigmoid(z)
    assert_tier1(A.grad, -y / a + (1 - y) / (1 - a), "dL/da = -y/a + (1-y)/(1-a)")
    assert_tier1(Z.grad, A.grad * a * (1 - a), "dz = dL/da * da/dz with da/dz = a(1-a)")
    assert_tier1(Z.grad, a - y, "dz = a - y")


@NETWORK_SETTINGS
@given(seed=seeds, n_x=widths, y=st.sampled_from([0.0, 1.0]))
def test_F1_3_single_example_dw_is_x_dz_and_db_is_dz(seed, n_x, y):
    X, _, w, b = logistic_data(seed, n_x, 1, "random")
    t = logistic_engine(X, [[y]], w, b)
    dz = sigmoid(w.T @ X + b) - y  # dz = a - y
    assert_tier1(t["w"].grad, X * dz, "dw_j = x_j dz")
    assert_tier1(t["b"].grad, dz.reshape(()), "db = dz")


# -- F1.4, F1.5: m examples ------------------------------------------------------------------


@logistic_property
def test_F1_4_vectorized_dZ_dw_db(seed, n_x, m, labels):
    X, Y, w, b = logistic_data(seed, n_x, m, labels)
    t = logistic_engine(X, Y, w, b)
    dZ = sigmoid(w.T @ X + b) - Y  # dZ = A - Y   (1, m)
    assert t["Z"].shape == (1, m)
    assert_tier1(m * t["Z"].grad, dZ, "m * Z.grad vs A - Y")
    assert_tier1(t["w"].grad, 1 / m * X @ dZ.T, "dw = 1/m X dZᵀ")
    assert_tier1(t["b"].grad, np.array(1 / m * np.sum(dZ)), "db = 1/m np.sum(dZ)")


@logistic_property
def test_F1_5_cost_and_gradient_are_means_over_the_examples(seed, n_x, m, labels):
    X, Y, w, b = logistic_data(seed, n_x, m, labels)
    batch = logistic_engine(X, Y, w, b)
    A = sigmoid(w.T @ X + b)
    J = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    assert_tier1(batch["J"].data, np.array(J), "J(w, b) = -1/m Σ [y log ŷ + (1-y) log(1-ŷ)]")
    singles = [logistic_engine(X[:, [i]], Y[:, [i]], w, b) for i in range(m)]
    assert_tier1(batch["J"].data, np.mean([s["J"].data for s in singles]), "J = mean of L(i)")
    per_example_dw = [s["w"].grad for s in singles]
    assert_tier1(batch["w"].grad, np.mean(per_example_dw, axis=0), "dw = mean of dw(i)")
    # the loop of seed 001: dw += x(i) dz(i) for i = 1..m, then dw /= m
    dw = np.zeros_like(w)
    for i in range(m):
        dw += X[:, [i]] * (A[0, i] - Y[0, i])
    assert_tier1(batch["w"].grad, dw / m, "dw from the for-loop over the examples")


# -- F1.6 ------------------------------------------------------------------------------------


@logistic_property
def test_F1_6_squared_error_gradient_carries_the_extra_sigmoid_slope(seed, n_x, m, labels):
    X, Y, w, b = logistic_data(seed, n_x, m, labels)
    squared = logistic_engine(X, Y, w, b, cost="squared_error")
    cross = logistic_engine(X, Y, w, b)
    A = sigmoid(w.T @ X + b)
    assert_tier1(squared["w"].grad, 1 / m * X @ ((A - Y) * A * (1 - A)).T, "dw = (ŷ-y) ŷ(1-ŷ) xᵀ")
    assert_tier1(cross["w"].grad, 1 / m * X @ (A - Y).T, "cross-entropy dw = (ŷ-y) xᵀ")
    # per example the squared-error dz is the cross-entropy dz times ŷ(1-ŷ) <= 1/4: when the
    # error |ŷ - y| is large the squared error learns at least four times more slowly
    dz_squared, dz_cross = m * squared["Z"].grad, m * cross["Z"].grad
    assert_tier1(dz_squared, dz_cross * A * (1 - A), "dz(squared) = dz(cross-entropy) ŷ(1-ŷ)")
    assert np.all(np.abs(dz_squared) <= np.abs(dz_cross) / 4 + 1e-15)


# -- F1.7 ------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(
    seed=seeds,
    n_x=widths,
    m=example_counts,
    alpha=st.floats(min_value=0.01, max_value=2.0),
    steps=st.integers(min_value=1, max_value=10),
)
def test_F1_7_gradient_descent_update(seed, n_x, m, alpha, steps):
    X, Y, w0, b0 = logistic_data(seed, n_x, m, "random")
    w = Tensor(w0, requires_grad=True, name="w")
    b = Tensor(b0, requires_grad=True, name="b")
    w_ref, b_ref = w0.copy(), b0
    for _ in range(steps):
        w.zero_grad()
        b.zero_grad()
        binary_cross_entropy((w.T @ X + b).sigmoid(), Y).backward()
        with no_grad():
            w.data = w.data - alpha * w.grad  # w := w - α dw
            b.data = b.data - alpha * b.grad  # b := b - α db
        dZ = sigmoid(w_ref.T @ X + b_ref) - Y
        w_ref = w_ref - alpha * (1 / m * X @ dZ.T)
        b_ref = b_ref - alpha * (1 / m * np.sum(dZ))
    assume(np.all(np.abs(w_ref.T @ X + b_ref) < 30))  # stay away from saturation
    assert_tier1(w.data, w_ref, f"w after {steps} steps of w := w - α dw")
    assert_tier1(b.data, np.array(b_ref), f"b after {steps} steps of b := b - α db")


@logistic_property
def test_F1_7_sgd_step_of_a_dense_sigmoid_unit(seed, n_x, m, labels):
    X, Y, w, b = logistic_data(seed, n_x, m, labels)
    unit = nn.Dense(n_x, 1, activation="sigmoid", layer=1)  # W1 = wᵀ (1, n_x), b1 (1, 1)
    unit.load_state_dict({"W1": w.T, "b1": np.array([[b]])})
    alpha = 0.7
    sgd = optim.SGD(unit.parameters(), lr=alpha)
    sgd.zero_grad()
    binary_cross_entropy(unit(X), Y).backward()
    sgd.step()
    dZ = sigmoid(w.T @ X + b) - Y
    assert_tier1(unit.W.data, (w - alpha * (1 / m * X @ dZ.T)).T, "w := w - α dw")
    assert_tier1(unit.b.data, np.array([[b - alpha * np.mean(dZ)]]), "b := b - α db")
