"""Broadcasting (F7.1), reductions over every axis form, and the adjoint identities.

* Broadcasting: for shapes drawn by ``mutually_broadcastable_shapes`` each operand's grad
  has the operand's shape and equals the closed-form element-wise derivative summed over
  the axes numpy broadcast (the ``db = Σ dZ`` of the course). Tier 1: closed forms in numpy.
* Reductions: forward against numpy for axis None / int / negative int / tuple and keepdims.
* Linear ops: ``<L x, G> == <x, Lᵀ G>`` to rtol 1e-12, where ``Lᵀ G`` is what backward
  computes for the upstream gradient ``G`` (tier 3, no finite differences).
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import (
    axes_and_keepdims,
    broadcastable_pairs,
    inner,
    matmul_shapes,
    numeric_settings,
    seeds,
    shapes,
)

from tinygrad_edu import Tensor, concatenate, maximum, minimum, stack

# broadcastable_pairs may draw a column (n, 1) with a rank-1 (n,) operand: the course's
# rank-1 trap, which tinygrad_edu rightly warns about (test_formulas_F7_broadcasting.py); here the
# broadcast is meant and only the rules are tested
pytestmark = pytest.mark.filterwarnings("ignore::tinygrad_edu.advice.TinygradEduWarning")


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over leading axes and over axes where ``shape`` has a 1 (numpy only)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


# element-wise partial derivatives (∂z/∂x, ∂z/∂y) on broadcast values, in plain numpy
PARTIALS = {
    "add": (lambda x, y: x + y, lambda x, y: 1.0 + 0 * (x + y), lambda x, y: 1.0 + 0 * (x + y)),
    "sub": (lambda x, y: x - y, lambda x, y: 1.0 + 0 * (x + y), lambda x, y: -1.0 + 0 * (x + y)),
    "mul": (lambda x, y: x * y, lambda x, y: y + 0 * x, lambda x, y: x + 0 * y),
    "div": (lambda x, y: x / y, lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y**2),
    "pow": (lambda x, y: x**y, lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x)),
    "maximum": (maximum, lambda x, y: (x > y) + 0.0 * y, lambda x, y: (y > x) + 0.0 * x),
    "minimum": (minimum, lambda x, y: (x < y) + 0.0 * y, lambda x, y: (y < x) + 0.0 * x),
}


@numeric_settings(100)
@given(op=st.sampled_from(sorted(PARTIALS)), pair=broadcastable_pairs(max_dims=4), seed=seeds)
@example(op="add", pair=hnp.BroadcastableShapes(((3, 4), (3, 1)), (3, 4)), seed=0)  # Z = WX + b
@example(op="mul", pair=hnp.BroadcastableShapes(((), (2, 3)), (2, 3)), seed=1)  # 0-d operand
def test_broadcast_gradient_is_the_sum_over_broadcast_axes(op, pair, seed):
    rng = np.random.default_rng(seed)
    x_shape, y_shape = pair.input_shapes
    x = rng.uniform(0.5, 2.0, size=x_shape)  # positive: pow's ln x is defined
    y = rng.uniform(-2.0, 2.0, size=y_shape)
    f, dfdx, dfdy = PARTIALS[op]
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    out = f(tx, ty)
    assert out.shape == pair.result_shape
    G = rng.normal(size=pair.result_shape)
    out.backward(gradient=G)
    assert tx.grad.shape == x_shape and ty.grad.shape == y_shape
    xb, yb = np.broadcast_arrays(x, y)
    np.testing.assert_allclose(tx.grad, unbroadcast(G * dfdx(xb, yb), x_shape),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ty.grad, unbroadcast(G * dfdy(xb, yb), y_shape),
                               rtol=1e-9, atol=1e-12)


@numeric_settings(30)
@given(pair=broadcastable_pairs(), seed=seeds)
def test_numpy_scalars_and_arrays_on_either_side_broadcast_and_differentiate(pair, seed):
    rng = np.random.default_rng(seed)
    x_shape, c_shape = pair.input_shapes
    x, c = rng.normal(size=x_shape), rng.uniform(0.5, 2.0, size=c_shape)
    for f, d in [
        (lambda t: c * t, lambda: c + 0 * x), (lambda t: c + t, lambda: 1 + 0 * (c + x)),
        (lambda t: c - t, lambda: -1 + 0 * (c + x)), (lambda t: c / (t * t + 1),
                                                        lambda: -c * 2 * x / (x * x + 1) ** 2),
    ]:
        t = Tensor(x, requires_grad=True)
        out = f(t)
        assert isinstance(out, Tensor) and out.shape == pair.result_shape
        G = rng.normal(size=out.shape)
        out.backward(gradient=G)
        np.testing.assert_allclose(t.grad, unbroadcast(G * d(), x_shape), rtol=1e-9, atol=1e-12)


# -- reductions: forward against numpy ---------------------------------------------------------


@numeric_settings(100)
@given(data=st.data(), op=st.sampled_from(["sum", "mean", "max", "min"]))
def test_reductions_match_numpy_for_every_axis_and_keepdims(data, op):
    x = data.draw(hnp.arrays(np.float64, shapes(max_dims=4),
                             elements=st.floats(-100, 100, allow_subnormal=False)))
    axis, keepdims = data.draw(axes_and_keepdims(x.shape))
    got = getattr(Tensor(x), op)(axis=axis, keepdims=keepdims)
    expected = getattr(np, op)(x, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)


@numeric_settings(60)
@given(shape=shapes(max_dims=4), seed=seeds, data=st.data())
@example(shape=(4, 1), seed=0, data=None)  # m = 1 column
def test_sum_and_mean_gradients_are_the_broadcast_upstream(shape, seed, data):
    axis, keepdims = data.draw(axes_and_keepdims(shape)) if data else (1, True)
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    out = x.sum(axis=axis, keepdims=keepdims)
    G = rng.normal(size=out.shape)
    out.backward(gradient=G)
    kept = np.sum(np.ones(shape), axis=axis, keepdims=True).shape
    np.testing.assert_array_equal(x.grad, np.broadcast_to(G.reshape(kept), shape))
    x.zero_grad()
    out = x.mean(axis=axis, keepdims=keepdims)
    out.backward(gradient=G)
    n = x.size // max(int(np.prod(kept)), 1)
    np.testing.assert_allclose(x.grad, np.broadcast_to(G.reshape(kept), shape) / n, rtol=1e-15)


# -- adjoint identities of the linear ops -------------------------------------------------------


def assert_adjoint(L, x: np.ndarray, rng: np.random.Generator) -> None:
    """<L x, G> == <x, Lᵀ G> with Lᵀ G from backward(gradient=G)."""
    t = Tensor(x, requires_grad=True)
    y = L(t)
    G = rng.normal(size=y.shape)
    y.backward(gradient=G)
    assert t.grad.shape == x.shape
    left, right = inner(y.data, G), inner(x, t.grad)
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12 * (1 + abs(left)))


@numeric_settings(60)
@given(shape=shapes(min_dims=1, max_dims=4), seed=seeds, data=st.data())
def test_adjoint_identity_of_shape_ops(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    ndim = len(shape)
    perm = tuple(data.draw(st.permutations(range(ndim))))
    axis, keepdims = data.draw(axes_and_keepdims(shape))
    a1, a2 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    grown = (*lead, *[data.draw(st.sampled_from([n, 2 * n])) if n == 1 else n for n in shape])
    mask = data.draw(hnp.arrays(np.bool_, shape))
    rows = rng.integers(-shape[0], shape[0], size=5)  # repeated indices add up
    for L in [
        lambda t: t.transpose(perm), lambda t: t.T, lambda t: t.swapaxes(a1, a2),
        lambda t: t.reshape(-1), lambda t: t.reshape(*shape[::-1]),
        lambda t: t.broadcast_to(grown), lambda t: t.sum(axis=axis, keepdims=keepdims),
        lambda t: t.mean(axis=axis, keepdims=keepdims), lambda t: t[mask], lambda t: t[rows],
        lambda t: t[::-1], lambda t: t[..., :1], lambda t: 2.5 * t - t[::-1],
    ]:
        assert_adjoint(L, x, rng)


@numeric_settings(40)
@given(shape=shapes(min_dims=1, max_dims=3), seed=seeds, data=st.data())
def test_adjoint_identity_of_concatenate_and_stack(shape, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = np.zeros(shape)  # an input that needs no grad (zeros: L stays linear)
    assert_adjoint(lambda t: concatenate([t, Tensor(other), t], axis=axis), rng.normal(size=shape),
                   rng)
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert_adjoint(lambda t: stack([Tensor(other), t, t], axis=new_axis), rng.normal(size=shape),
                   rng)


@numeric_settings(60)
@given(pair=matmul_shapes.map(lambda s: s.input_shapes), seed=seeds)
@example(pair=((3,), (3,)), seed=0)
@example(pair=((2, 1, 2, 3), (4, 3, 1)), seed=1)
def test_adjoint_identity_of_matmul_in_each_argument(pair, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=pair[0]), rng.normal(size=pair[1])
    assert_adjoint(lambda t: t @ Tensor(b), a, rng)
    assert_adjoint(lambda t: Tensor(a) @ t, b, rng)
    assert_adjoint(lambda t: a @ t, b, rng)  # numpy array on the left
