"""F9: optimization (seed 001's Zhihu answer, seed 004 "梯度下降法的缺点").

Both formulas are about algorithms, so the tests run them: gradient descent on the mean of
ten losses (F9.1), and batch / mini-batch / stochastic gradient descent on the two-layer
network (F9.2), with the engine's ``backward()`` giving every gradient.
"""

from __future__ import annotations

import math

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    NetCase,
    assert_tier1,
    assume_away_from_kinks,
    engine_network,
    example_counts,
    hidden_activations,
    make_case,
    nn_model_for,
    parameter_names,
    seeds,
    widths,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st
from test_formulas_F3_two_layer import course_backprop

from tinygrad_edu import Tensor, training

ZHIHU_CENTERS = [-2.0] + [1.0] * 9  # ℓ_1 = (x + 2)², ℓ_2 … ℓ_10 = (x - 1)²


def mean_of_squares(x: Tensor, centers: list) -> Tensor:
    """f(x) = 1/n Σ ℓ_i(x) with ℓ_i(x) = (x - c_i)², with Tensor ops."""
    return sum((x - c) ** 2 for c in centers) / len(centers)


def gradient_at(x0: float, centers: list) -> float:
    x = Tensor(x0, requires_grad=True, name="x")
    mean_of_squares(x, centers).backward()
    return float(x.grad)


def gradient_descent(x0: float, centers: list, eta: float, steps: int) -> list:
    """x_{t+1} = x_t - η ∇f(x_t), the gradient from backward(); returns x_0 … x_steps."""
    path = [x0]
    for _ in range(steps):
        path.append(path[-1] - eta * gradient_at(path[-1], centers))
    return path


@NETWORK_SETTINGS
@given(eta=st.floats(min_value=0.1, max_value=0.9), x0=st.floats(min_value=-5.0, max_value=5.0))
@example(eta=0.1, x0=0.0)
def test_F9_1_minimum_at_0_7_reached_from_0_against_the_first_loss(eta, x0):
    # f(x) = 1/10 [(x + 2)² + 9 (x - 1)²], f'(x) = 2x - 1.4: the minimum is at x = 0.7
    assert_tier1(gradient_at(x0, ZHIHU_CENTERS), 2 * x0 - 1.4, "f'(x) = 2x - 1.4")
    # at x_0 = 0, -∇ℓ_1 points to the negatives, -∇f to the positives (towards 0.7)
    assert gradient_at(0.0, ZHIHU_CENTERS[:1]) == 4.0
    assert -gradient_at(0.0, ZHIHU_CENTERS) > 0
    path = gradient_descent(0.0, ZHIHU_CENTERS, eta, steps=100)
    # x_{t+1} - 0.7 = (1 - 2η)(x_t - 0.7), so x_t = 0.7 - 0.7 (1 - 2η)^t from x_0 = 0
    closed_form = [0.7 - 0.7 * (1 - 2 * eta) ** t for t in range(101)]
    assert_tier1(np.array(path), np.array(closed_form), "the gradient-descent path")
    assert abs(path[-1] - 0.7) < 1e-8, f"gradient descent from 0 ended at {path[-1]}"
    assert all(x >= 0 for x in path), "descent on f never follows -∇ℓ_1 below 0"


@NETWORK_SETTINGS
@given(centers=st.lists(st.floats(min_value=-5.0, max_value=5.0), min_size=1, max_size=10))
def test_F9_1_the_mean_of_squared_losses_is_minimised_at_the_mean(centers):
    x_star = float(np.mean(centers))
    assert abs(gradient_at(x_star, centers)) < 1e-12
    path = gradient_descent(0.0, centers, eta=0.5, steps=1)  # η = 1/f'' jumps to the minimum
    assert abs(path[-1] - x_star) < 1e-12


# -- F9.2 ------------------------------------------------------------------------------------


# sizes, batch size k and learning rate α of the epoch properties
EPOCH_DRAWS = {
    "seed": seeds,
    "n0": widths,
    "n1": widths,
    "m": example_counts,
    "k": st.integers(min_value=1, max_value=8),
    "alpha": st.floats(min_value=0.01, max_value=1.0),
}


def epoch_of_minibatches(case: NetCase, order: np.ndarray, batch_size: int, alpha: float):
    """One pass over the mini-batches ``order[0:k], order[k:2k], ...`` of the examples, one
    gradient-descent step each, gradients from the engine. Returns (parameters, steps)."""
    W, b, steps = list(case.W), list(case.b), 0
    for start in range(0, case.m, batch_size):
        cols = order[start : start + batch_size]
        batch = NetCase(case.X[:, cols], case.Y[:, cols], W, b, case.hidden)
        t = engine_network(batch)
        W = [W[l] - alpha * t[f"W{l + 1}"].grad for l in range(2)]  # W := W - α dW
        b = [b[l] - alpha * t[f"b{l + 1}"].grad for l in range(2)]
        steps += 1
    return W, b, steps


def course_step(case: NetCase, alpha: float) -> tuple:
    """One batch gradient-descent step with the course's formulas (numpy)."""
    d = course_backprop(case)
    W = [case.W[0] - alpha * d["dW1"], case.W[1] - alpha * d["dW2"]]
    b = [case.b[0] - alpha * d["db1"], case.b[1] - alpha * d["db2"]]
    return W, b


@NETWORK_SETTINGS
@given(
    seed=seeds,
    n0=widths,
    n1=widths,
    m=example_counts,
    k=st.integers(min_value=1, max_value=8),
    hidden=hidden_activations,
)
@example(seed=6, n0=2, n1=3, m=8, k=3, hidden="tanh")
def test_F9_2_minibatch_gradient_is_the_mean_of_per_example_gradients(seed, n0, n1, m, k, hidden):
    case = make_case(seed, [n0, n1, 1], m, hidden=hidden)
    assume_away_from_kinks(case)
    rng = np.random.default_rng(seed)
    cols = rng.permutation(m)[: min(k, m)]
    batch = engine_network(NetCase(case.X[:, cols], case.Y[:, cols], case.W, case.b, hidden))
    singles = [
        engine_network(NetCase(case.X[:, [i]], case.Y[:, [i]], case.W, case.b, hidden))
        for i in cols
    ]
    for name in parameter_names(2):
        mean = np.mean([one[name].grad for one in singles], axis=0)
        assert_tier1(batch[name].grad, mean, f"mini-batch d{name} vs mean of per-example")


@NETWORK_SETTINGS
@given(**EPOCH_DRAWS)
@example(seed=7, n0=2, n1=4, m=6, k=6, alpha=1.2)
@example(seed=7, n0=2, n1=4, m=6, k=1, alpha=0.5)
def test_F9_2_batch_minibatch_and_stochastic_epochs(seed, n0, n1, m, k, alpha):
    case = make_case(seed, [n0, n1, 1], m, hidden="tanh")
    order = np.random.default_rng(seed).permutation(m)
    W, b, steps = epoch_of_minibatches(case, order, k, alpha)
    assert steps == math.ceil(m / k), "one step per mini-batch"
    # the same epoch with the course's formulas, batch by batch
    W_ref, b_ref = list(case.W), list(case.b)
    for start in range(0, m, k):
        cols = order[start : start + k]
        W_ref, b_ref = course_step(NetCase(case.X[:, cols], case.Y[:, cols], W_ref, b_ref), alpha)
    for l in range(2):
        assume(np.all(np.isfinite(W_ref[l])))
        assert_tier1(W[l], W_ref[l], f"W{l + 1} after an epoch of mini-batches of size {k}")
        assert_tier1(b[l], b_ref[l], f"b{l + 1} after an epoch of mini-batches of size {k}")
    if k >= m:  # one pass over all mini-batches of size m is one batch step
        W_batch, b_batch = course_step(case, alpha)
        for l in range(2):
            assert_tier1(W[l], W_batch[l], f"W{l + 1}: a size-m epoch is one batch step")
            assert_tier1(b[l], b_batch[l], f"b{l + 1}: a size-m epoch is one batch step")


@NETWORK_SETTINGS
@given(**EPOCH_DRAWS)
@example(seed=8, n0=2, n1=4, m=6, k=6, alpha=1.2)
def test_F9_2_fit_with_minibatches_is_the_course_epoch(seed, n0, n1, m, k, alpha):
    case = make_case(seed, [n0, n1, 1], m, hidden="tanh")
    model = nn_model_for(case)
    training.fit(model, case.X, case.Y, lr=alpha, iterations=1, batch_size=k, print_every=0,
                 seed=seed)
    # fit shuffles the columns with data.minibatches: RandomState(seed).permutation(m)
    order = np.random.RandomState(seed).permutation(m) if k < m else np.arange(m)
    W_ref, b_ref = list(case.W), list(case.b)
    for start in range(0, m, k):
        cols = order[start : start + k]
        W_ref, b_ref = course_step(NetCase(case.X[:, cols], case.Y[:, cols], W_ref, b_ref), alpha)
    for l, layer in enumerate(model):
        assert_tier1(layer.W.data, W_ref[l], f"W{l + 1} after one fit iteration, batches of {k}")
        assert_tier1(layer.b.data, b_ref[l], f"b{l + 1} after one fit iteration, batches of {k}")
