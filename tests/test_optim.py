"""optim: SGD (F1.7), Momentum and Adam against plain-numpy references; in-place updates; errors."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor, nn, optim

NUMERIC = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
learning_rates = st.floats(1e-4, 2.0)


def _params_with_grads(shape, seed, count=2):
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=shape), requires_grad=True) for _ in range(count)]
    return params, rng


@given(shape=shapes, seed=seeds, lr=learning_rates)
@NUMERIC
def test_sgd_is_w_minus_alpha_dw_in_place(shape, seed, lr):
    """F1.7: w := w - α dw, on the parameter's own array (no new Tensor, no new array)."""
    params, rng = _params_with_grads(shape, seed)
    opt = optim.SGD(params, lr=lr)
    for _ in range(3):
        arrays = [p.data for p in params]
        expected = []
        for p in params:
            p.grad = rng.normal(size=shape)
            expected.append(p.data - lr * p.grad)
        opt.step()
        for p, array, want in zip(params, arrays, expected):
            assert p.data is array
            np.testing.assert_array_equal(p.data, want)


def test_step_skips_parameters_without_grad_and_zero_grad_clears():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    for opt in (optim.SGD([a, b], lr=0.5), optim.Momentum([a, b], lr=0.5),
                optim.Adam([a, b], lr=0.5)):
        a.grad, b.grad = np.array([1.0]), None
        before_b = b.data.copy()
        opt.step()
        np.testing.assert_array_equal(b.data, before_b)
        opt.zero_grad()
        assert a.grad is None and b.grad is None
    assert optim.Adam([a, b]).steps == [0, 0]


@given(shape=shapes, seed=seeds, lr=learning_rates, beta=st.floats(0.0, 0.99))
@NUMERIC
def test_momentum_is_the_course_exponential_average(shape, seed, lr, beta):
    """v := β v + (1 - β) dW; W := W - α v (v starts at 0)."""
    (p,), rng = _params_with_grads(shape, seed, count=1)
    W, v = p.data.copy(), np.zeros(shape)
    opt = optim.Momentum([p], lr=lr, beta=beta)
    for _ in range(4):
        g = rng.normal(size=shape)
        p.grad = g.copy()
        v = beta * v + (1 - beta) * g
        W = W - lr * v
        opt.step()
        np.testing.assert_allclose(p.data, W, rtol=1e-12, atol=1e-14)


def test_momentum_with_beta_zero_is_sgd():
    a, b = Tensor([[1.0, -2.0]], requires_grad=True), Tensor([[1.0, -2.0]], requires_grad=True)
    sgd, mom = optim.SGD([a], lr=0.3), optim.Momentum([b], lr=0.3, beta=0.0)
    for g in ([[0.5, 1.0]], [[-2.0, 0.25]]):
        a.grad, b.grad = np.array(g), np.array(g)
        sgd.step()
        mom.step()
    np.testing.assert_array_equal(a.data, b.data)


@given(shape=shapes, seed=seeds, lr=st.floats(1e-4, 0.1))
@NUMERIC
def test_adam_matches_the_bias_corrected_update(shape, seed, lr):
    (p,), rng = _params_with_grads(shape, seed, count=1)
    b1, b2, eps = 0.9, 0.999, 1e-8
    W, v, s = p.data.copy(), np.zeros(shape), np.zeros(shape)
    opt = optim.Adam([p], lr=lr)
    for t in range(1, 5):
        g = rng.normal(size=shape)
        p.grad = g.copy()
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        W = W - lr * (v / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        opt.step()
        np.testing.assert_allclose(p.data, W, rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_each_weight_by_about_lr():
    p = Tensor([[3.0, -3.0, 0.0]], requires_grad=True)
    p.grad = np.array([[100.0, -0.01, 5.0]])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [[2.99, -2.99, -0.01]], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.Momentum(ps, lr=0.1),
    lambda ps: optim.Adam(ps, lr=0.1),
])
def test_every_optimizer_minimises_a_quadratic(make):
    """J = ½‖W - T‖²: each optimizer brings W to T."""
    target = np.array([[1.0, -2.0], [0.5, 3.0]])
    W = Tensor(np.zeros((2, 2)), requires_grad=True)
    opt = make([W])
    for _ in range(500):
        D = W - target
        J = (D * D).sum() * 0.5
        opt.zero_grad()
        J.backward()
        opt.step()
    np.testing.assert_allclose(W.data, target, atol=1e-3)


def test_parameters_are_deduplicated_and_models_are_accepted_via_parameters():
    W = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([W, W], lr=1.0)
    W.grad = np.array([1.0])
    opt.step()
    assert W.data[0] == 0.0  # stepped once, not twice
    model = nn.deep_network([2, 3, 1], seed=0)
    assert len(optim.SGD(model.parameters(), lr=1.0).params) == 4
    assert len(optim.SGD(W, lr=1.0).params) == 1  # a lone tensor
    assert repr(opt) == "SGD(lr=1.0, 1 parameters)"


def test_errors_are_explained():
    W = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        optim.SGD(nn.deep_network([2, 1]), lr=0.1)  # iterating a Sequential gives layers
    with pytest.raises(ValueError, match="does not require grad"):
        optim.Adam([Tensor([1.0])])
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([W * 2.0], lr=0.1)
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive finite"):
            optim.SGD([W], lr=bad)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([W], lr=True)
    opt = optim.SGD([W], lr=0.1)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError):
        opt.lr = -0.05
    with pytest.raises(ValueError, match="beta must be in"):
        optim.Momentum([W], lr=0.1, beta=1.0)
    with pytest.raises(ValueError, match="beta2 must be in"):
        optim.Adam([W], beta2=-0.1)
    with pytest.raises(ValueError, match="eps"):
        optim.Adam([W], eps=0.0)
