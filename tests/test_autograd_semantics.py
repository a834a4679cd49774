"""The engine's semantics: fan-out, accumulation, grad mode, detach, aliasing, depth, memory.

The rules tested here are the ones written in autograd.py's docstring (and the README):
every tensor that requires grad gets ``.grad``; ``.grad`` accumulates over ``backward()``
calls, including a second backward through the same graph (the graph is kept); a leaf's
grad is an array of its own; nothing mutates the caller's arrays.
"""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    check_gradients,
    numeric_settings,
    random_graph,
    seeds,
    shapes,
)

from tinygrad_edu import (
    Tensor,
    TinygradEduWarning,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
)
from tinygrad_edu.errors import BackwardError, DtypeError
from tinygrad_edu.functions import Function, binary_cross_entropy_with_logits


def _sum_keep(t):
    return t.sum(axis=1, keepdims=True)


# -- fan-out and diamonds ----------------------------------------------------------------------


@numeric_settings(30)
@given(shape=shapes(), seed=seeds)
def test_fan_out_adds_the_gradients_of_every_path(shape, seed):
    rng = np.random.default_rng(seed)
    x_values = rng.normal(size=shape)
    G = rng.normal(size=shape)
    for f, expected in [
        (lambda x: x * x, 2 * x_values * G),
        (lambda x: x + x, 2 * G),
        (lambda x: x - x, 0 * G),
        (lambda x: x * x * x, 3 * x_values**2 * G),
        # a diamond: y feeds both branches, x feeds y and the product
        (lambda x: (x * 3.0).tanh() * (x * 3.0) + x,
         G * (3 * np.tanh(3 * x_values) + 3 * x_values * 3 * (1 - np.tanh(3 * x_values) ** 2)
              + 1)),
    ]:
        x = Tensor(x_values, requires_grad=True)
        f(x).backward(gradient=G)
        np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-14)


@numeric_settings(40)
@given(seed=seeds, n=st.integers(1, 3), n_leaves=st.integers(1, 3), n_ops=st.integers(1, 12))
def test_random_dags_agree_with_central_differences(seed, n, n_leaves, n_ops):
    rng = np.random.default_rng(seed)
    leaves = [rng.normal(size=(n, n)) for _ in range(n_leaves)]
    check_gradients(lambda *ts: random_graph(ts, seed, n_ops, _sum_keep), leaves, rng)


# -- accumulation, second backward, zero_grad ----------------------------------------------------


@numeric_settings(25)
@given(shape=shapes(), seed=seeds)
def test_second_backward_through_the_same_graph_accumulates_twice_the_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    h = (x * 2.0).tanh()  # an intermediate: its grad accumulates too
    J = (h * h).sum()
    J.backward()
    once_x, once_h = x.grad.copy(), h.grad.copy()
    with pytest.warns(TinygradEduWarning, match="sum of both runs"):  # a cell run twice
        J.backward()
    np.testing.assert_allclose(x.grad, 2 * once_x, rtol=1e-15)
    np.testing.assert_allclose(h.grad, 2 * once_h, rtol=1e-15)
    # a new graph over the same leaf adds to it as well
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * once_x + 3.0, rtol=1e-15)
    x.zero_grad()
    assert x.grad is None
    J.backward()
    np.testing.assert_allclose(x.grad, once_x, rtol=1e-15)


def test_grad_function_does_not_touch_dot_grad_and_gives_zeros_for_unused_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([[5.0]], requires_grad=True)
    J = (x * x).sum()
    gx, gu = grad(J, [x, unused])
    np.testing.assert_array_equal(gx, [2.0, 4.0])
    np.testing.assert_array_equal(gu, [[0.0]])
    assert x.grad is None and unused.grad is None
    assert grad(J, x) is not grad(J, x)


# -- grad mode, detach, requires_grad_ ----------------------------------------------------------


def test_no_grad_as_context_records_nothing_and_restores_the_mode():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2.0).exp()
        with enable_grad():
            z = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.op is None
    assert z.requires_grad and z.op == "mul"
    with pytest.raises(BackwardError, match="no_grad"):
        y.sum().backward()
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()  # restored after an exception too


def test_no_grad_as_decorator():
    @no_grad()
    def predict(w, x):
        assert not is_grad_enabled()
        return (w * x).sigmoid()

    w = Tensor([0.5], requires_grad=True)
    out = predict(w, Tensor([2.0]))
    assert not out.requires_grad and out._ctx is None
    assert is_grad_enabled()
    out2 = predict(w, Tensor([2.0]))  # a decorator that can be called again
    np.testing.assert_array_equal(out.data, out2.data)


def test_detach_shares_values_but_cuts_the_gradient():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad is None
    assert np.shares_memory(d.data, x.data)
    (d * x).sum().backward()  # d is a constant: dJ/dx = d
    np.testing.assert_array_equal(x.grad, x.data)
    assert d.grad is None


def test_requires_grad_switches_tracking_on_leaves_only():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2.0
    assert y.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad and not (x * 2.0).requires_grad
    with pytest.raises(BackwardError, match="detach"):
        y.requires_grad_(False)
    with pytest.raises(DtypeError, match="int64"):
        Tensor(np.array([1, 2])).requires_grad_()
    with pytest.raises(DtypeError, match="floating"):
        Tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(DtypeError):
        Tensor(np.array([True]), requires_grad=True)


# -- no mutation, no aliasing -------------------------------------------------------------------


@numeric_settings(25)
@given(seed=seeds, n=st.integers(1, 4), m=st.integers(1, 5))
def test_training_never_mutates_the_callers_arrays(seed, n, m):
    rng = np.random.default_rng(seed)
    W_values, X_values = rng.normal(size=(1, n)), rng.normal(size=(n, m))
    Y_values = (rng.random(size=(1, m)) > 0.5).astype(float)
    G_values = rng.normal(size=(1, n))
    originals = [a.copy() for a in (W_values, X_values, Y_values, G_values)]
    W = Tensor(W_values, requires_grad=True, name="W")
    X, Y = Tensor(X_values), Tensor(Y_values)
    for _ in range(3):  # a few steps of gradient descent, updating in place
        J = binary_cross_entropy_with_logits(W @ X, Y)
        W.zero_grad()
        J.backward()
        W.data -= 0.5 * W.grad
        W.grad *= 0.0  # a learner (or an optimizer) may write into a leaf's grad
    V = Tensor(W_values.copy(), requires_grad=True)
    (V * 2.0).backward(gradient=G_values)
    V.grad += 1.0
    V.backward(gradient=G_values)  # a root leaf: its grad must not be the caller's array
    V.grad *= 7.0
    for before, after in zip(originals, (W_values, X_values, Y_values, G_values)):
        np.testing.assert_array_equal(before, after)


def test_tensor_from_an_array_is_a_copy():
    values = np.array([1.0, 2.0])
    t = Tensor(values, requires_grad=True)
    values[0] = 100.0
    assert t.data[0] == 1.0
    t.data[1] = -5.0
    assert values[1] == 2.0
    u = Tensor(t)
    u.data[0] = 9.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize(
    "make",
    [
        lambda x, y: x + y,
        lambda x, y: x - y,
        lambda x, y: x.reshape(-1).reshape(2, 3) + y.T.T,
        lambda x, y: x.broadcast_to((2, 2, 3)).sum(axis=0) + y[...],
        lambda x, y: x + y + x * y * 0.0,
    ],
)
def test_leaf_grads_are_arrays_of_their_own(make):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    G = np.arange(6.0).reshape(2, 3)
    make(x, y).backward(gradient=G)
    assert x.grad is not y.grad
    assert not np.shares_memory(x.grad, y.grad)
    assert not np.shares_memory(x.grad, G) and not np.shares_memory(y.grad, G)
    y_before = y.grad.copy()
    x.grad += 100.0  # writing one leaf's grad leaves the other alone
    np.testing.assert_array_equal(y.grad, y_before)
    np.testing.assert_array_equal(G, np.arange(6.0).reshape(2, 3))


# -- linearity ----------------------------------------------------------------------------------


@numeric_settings(30)
@given(shape=shapes(), seed=seeds, alpha=st.floats(-3, 3), beta=st.floats(-3, 3))
def test_gradient_is_linear_in_the_cost(shape, seed, alpha, beta):
    """∇(αf + βg) = α∇f + β∇g."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=shape)

    def f(x):
        return (x.tanh() * x).sum()

    def g(x):
        return (x.sigmoid() * 3.0 + x * x).mean()

    grads = []
    for cost in (f, g, lambda x: alpha * f(x) + beta * g(x)):
        x = Tensor(values, requires_grad=True)
        cost(x).backward()
        grads.append(x.grad)
    np.testing.assert_allclose(grads[2], alpha * grads[0] + beta * grads[1],
                               rtol=1e-12, atol=1e-13)


# -- depth and memory ---------------------------------------------------------------------------


def test_a_chain_of_100_000_ops_runs_backward_without_recursion():
    limit = sys.getrecursionlimit()
    x = Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
        y = y + 0.0
    y.backward(gradient=np.array([2.0]))
    assert limit == sys.getrecursionlimit()
    np.testing.assert_array_equal(x.grad, [2.0])
    del y  # freeing a deep chain must not overflow the C stack either


def test_the_graph_is_freed_when_the_cost_is_dropped_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        W = Tensor(np.ones((2, 3)), requires_grad=True, name="W")
        X = Tensor(np.ones((3, 4)))
        Z = W @ X
        A = Z.tanh()
        J = (A * A).mean()
        J.backward()
        refs = [weakref.ref(t) for t in (Z, A, J)]
        del Z, A, J
        assert all(r() is None for r in refs), "a reference cycle keeps the graph alive"
        assert W.grad is not None
        # graphs made inside grad(create_graph=True) are freed as well
        g = grad((W * W).sum(), W, create_graph=True)
        ref = weakref.ref(g)
        del g
        assert ref() is None
    finally:
        gc.enable()



def test_grad_frees_each_intermediate_gradient_once_its_rule_has_run():
    """``grad(J, W)`` answers for W only: dJ/dZ of an intermediate is dropped after Z's rule
    has used it (a deep network's ``grad()`` holds about one layer's gradients, not all of
    them, as ``backward()`` must for ``.grad``). Here the rule of the op nearer the input
    looks whether the gradient the later op's rule received is still alive."""
    seen = []

    class Probe(Function):
        name = "probe"
        forward = staticmethod(lambda x: x * 1.0)

        def backward(self, dy, y, x):
            seen.append([r() is None for r in refs])  # earlier gradients freed already?
            refs.append(weakref.ref(dy))
            return (dy * 1.0,)

    refs = []
    x = Tensor(np.ones((3, 3)), requires_grad=True)
    J = (Probe.apply(Probe.apply(Probe.apply(x) * 2.0) * 2.0) * 2.0).sum()
    assert np.array_equal(grad(J, x), np.full((3, 3), 8.0))
    assert seen == [[], [True], [True, True]]
    assert x.grad is None
    seen.clear(), refs.clear()
    J.backward()  # .grad keeps them all: each gradient is alive until the end
    assert seen == [[], [False], [False, False]]


# -- dtypes -------------------------------------------------------------------------------------


def test_float32_stays_float32_in_values_and_gradients():
    W = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    X = Tensor(np.full((3, 4), 0.5, dtype=np.float32))
    Z = W @ X * 0.5 + 1.0
    A = (1.0 - Z / 2.0).sigmoid() ** 2
    Y = np.ones((2, 4), dtype=np.float32)  # labels of the same dtype (numpy would promote)
    J = binary_cross_entropy_with_logits(Z - A.exp().tanh().relu(), Y) + A.mean()
    for t in (Z, A, J):
        assert t.dtype == np.float32, t
    J.backward()
    assert W.grad.dtype == np.float32
    assert Z.grad.dtype == np.float32


def test_grad_gives_the_dtype_backward_stores():
    """A float32 weight with float64 data: ``grad()`` answers in float32, as ``.grad`` holds."""
    from tinygrad_edu import grad

    W = Tensor(np.full((1, 2), 0.5, dtype=np.float32), requires_grad=True)
    X = Tensor(np.ones((2, 3)))
    J = (W @ X).sigmoid().mean()
    dW = grad(J, W)
    J.backward()
    assert dW.dtype == W.grad.dtype == np.float32
    assert np.array_equal(dW, W.grad)
