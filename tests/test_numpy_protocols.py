"""numpy's functions on Tensors (tinygrad_edu/numpy_protocols.py).

For every numpy function that records the graph: its gradient against central differences
(tier 2 of tests/README.md, on domains where the derivative is of order 1 and away from kinks), and
its value *and* gradient against the Tensor method it dispatches to, bit for bit (the same op
runs, so the same numbers must come out). Then keywords, mixed arguments, ``out=``, the
functions refused without a rule, the constant and plain ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import away_from, check_gradients, normal, numeric_settings, seeds, uniform

import tinygrad_edu as tg
from tinygrad_edu import NoRuleError, Tensor, no_grad
from tinygrad_edu.numpy_protocols import (
    CONSTANT_FUNCTIONS,
    CONSTANT_UFUNCS,
    RECORDED_FUNCTIONS,
    RECORDED_UFUNCS,
)

sides = st.integers(min_value=1, max_value=4)


def _pos(rng, shape):
    return uniform(rng, shape, 0.2, 2.0)  # log, sqrt, divisors, power bases: a safe domain


def _distinct(rng, shape):
    """Values with no ties and no zeros (max/min/abs/maximum are kinked there)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 + 0.2 + rng.uniform(0, 0.05, n)).reshape(shape) * \
        np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _apart(rng, shape):
    """x and y at least 0.1 apart everywhere (maximum/minimum are kinked where x = y)."""
    x = normal(rng, shape)
    return [x, x + away_from(rng, shape)]


# name -> (the numpy call, the Tensor call it dispatches to, inputs(rng, n, m))
CASES = {
    "dot": (lambda W, X: np.dot(W, X), lambda W, X: W @ X,
            lambda r, n, m: [normal(r, (n, 3)), normal(r, (3, m))]),
    "dot (vectors)": (lambda a, b: np.dot(a, b), lambda a, b: a @ b,
                      lambda r, n, m: [normal(r, (n,)), normal(r, (n,))]),
    "dot (scalar)": (lambda a, b: np.dot(a, b), lambda a, b: a * b,
                     lambda r, n, m: [normal(r, ()), normal(r, (n, m))]),
    "matmul": (lambda W, X: np.matmul(W, X), lambda W, X: W @ X,
               lambda r, n, m: [normal(r, (n, 2)), normal(r, (2, m))]),
    "sum": (lambda Z: np.sum(Z), lambda Z: Z.sum(), lambda r, n, m: [normal(r, (n, m))]),
    "sum axis=1 keepdims": (lambda Z: np.sum(Z, axis=1, keepdims=True),
                            lambda Z: Z.sum(axis=1, keepdims=True),
                            lambda r, n, m: [normal(r, (n, m))]),
    "mean axis=1": (lambda Z: np.mean(Z, axis=1), lambda Z: Z.mean(axis=1),
                    lambda r, n, m: [normal(r, (n, m))]),
    "mean axis=(0, 1) keepdims": (lambda Z: np.mean(Z, (0, 1), keepdims=True),
                                  lambda Z: Z.mean((0, 1), True),
                                  lambda r, n, m: [normal(r, (n, m))]),
    "max axis=0": (lambda Z: np.max(Z, axis=0), lambda Z: Z.max(axis=0),
                   lambda r, n, m: [_distinct(r, (n, m))]),
    "amax": (lambda Z: np.amax(Z), lambda Z: Z.max(), lambda r, n, m: [_distinct(r, (n, m))]),
    "min axis=1 keepdims": (lambda Z: np.min(Z, 1, keepdims=True), lambda Z: Z.min(1, True),
                            lambda r, n, m: [_distinct(r, (n, m))]),
    "amin": (lambda Z: np.amin(Z, axis=-1), lambda Z: Z.min(axis=-1),
             lambda r, n, m: [_distinct(r, (n, m))]),
    "var axis=1": (lambda Z: np.var(Z, axis=1), lambda Z: Z.var(axis=1),
                   lambda r, n, m: [normal(r, (n, m))]),
    "std": (lambda Z: np.std(Z), lambda Z: Z.var().sqrt(),  # spread values: σ >= 0.15
            lambda r, n, m: [_distinct(r, (n, m + 1))]),
    "exp": (np.exp, lambda Z: Z.exp(), lambda r, n, m: [normal(r, (n, m))]),
    "log": (np.log, lambda Z: Z.log(), lambda r, n, m: [_pos(r, (n, m))]),
    "tanh": (np.tanh, lambda Z: Z.tanh(), lambda r, n, m: [normal(r, (n, m))]),
    "sqrt": (np.sqrt, lambda Z: Z.sqrt(), lambda r, n, m: [_pos(r, (n, m))]),
    "abs": (np.abs, lambda Z: abs(Z), lambda r, n, m: [away_from(r, (n, m))]),
    "fabs": (np.fabs, lambda Z: Z.abs(), lambda r, n, m: [away_from(r, (n, m))]),
    "square": (np.square, lambda Z: Z**2, lambda r, n, m: [normal(r, (n, m))]),
    # |Z| >= 0.1: the central difference of Z³ is off by ε² per unit of upstream gradient,
    # small against 3Z² only away from 0
    "power (number exponent)": (lambda Z: np.power(Z, 3), lambda Z: Z**3,
                                lambda r, n, m: [away_from(r, (n, m))]),
    "power (tensor exponent)": (lambda B, P: np.power(B, P), lambda B, P: B**P,
                                lambda r, n, m: [_pos(r, (n, m)), uniform(r, (n, 1), -1.5, 1.5)]),
    "multiply": (np.multiply, lambda x, y: x * y,
                 lambda r, n, m: [normal(r, (n, m)), normal(r, (n, 1))]),
    "add": (np.add, lambda x, y: x + y, lambda r, n, m: [normal(r, (n, m)), normal(r, (1, m))]),
    "subtract": (np.subtract, lambda x, y: x - y,
                 lambda r, n, m: [normal(r, (n, m)), normal(r, (n, m))]),
    "divide": (np.divide, lambda x, y: x / y,
               lambda r, n, m: [normal(r, (n, m)), _pos(r, (n, m))]),
    "true_divide": (np.true_divide, lambda x, y: x / y,
                    lambda r, n, m: [normal(r, (n, m)), _pos(r, (1, m))]),
    "reciprocal": (np.reciprocal, lambda x: 1.0 / x, lambda r, n, m: [_pos(r, (n, m))]),
    "negative": (np.negative, lambda x: -x, lambda r, n, m: [normal(r, (n, m))]),
    "positive": (np.positive, lambda x: +x, lambda r, n, m: [normal(r, (n, m))]),
    "maximum(0, Z) (week 4's relu)": (lambda Z: np.maximum(0, Z), lambda Z: tg.maximum(0, Z),
                                      lambda r, n, m: [away_from(r, (n, m))]),
    "maximum": (np.maximum, lambda x, y: x.maximum(y), lambda r, n, m: _apart(r, (n, m))),
    "minimum": (np.minimum, lambda x, y: tg.minimum(x, y), lambda r, n, m: _apart(r, (n, m))),
    "squeeze": (np.squeeze, lambda Z: Z.squeeze(), lambda r, n, m: [normal(r, (n, 1, m))]),
    "squeeze axis=1": (lambda Z: np.squeeze(Z, axis=1), lambda Z: Z.squeeze(1),
                       lambda r, n, m: [normal(r, (1, 1, m))]),
    "reshape": (lambda Z: np.reshape(Z, (m_of(Z), -1)), lambda Z: Z.reshape(m_of(Z), -1),
                lambda r, n, m: [normal(r, (n, m))]),
    "ravel": (np.ravel, lambda Z: Z.flatten(), lambda r, n, m: [normal(r, (n, m))]),
    "transpose": (np.transpose, lambda Z: Z.T, lambda r, n, m: [normal(r, (n, m))]),
    "transpose axes": (lambda Z: np.transpose(Z, (1, 2, 0)), lambda Z: Z.transpose(1, 2, 0),
                       lambda r, n, m: [normal(r, (n, m, 2))]),
    "concatenate": (lambda A, B: np.concatenate([A, B], axis=1),
                    lambda A, B: tg.concatenate([A, B], axis=1),
                    lambda r, n, m: [normal(r, (n, m)), normal(r, (n, 2))]),
    "concatenate axis=None": (lambda A, B: np.concatenate((A, B), axis=None),
                              lambda A, B: tg.concatenate([A.flatten(), B.flatten()]),
                              lambda r, n, m: [normal(r, (n, m)), normal(r, (m,))]),
    "stack": (lambda A, B: np.stack([A, B], axis=-1), lambda A, B: tg.stack([A, B], axis=-1),
              lambda r, n, m: [normal(r, (n, m)), normal(r, (n, m))]),
    "where": (lambda A, B: np.where(MASK(A), A, B), lambda A, B: tg.where(MASK(A), A, B),
              lambda r, n, m: [normal(r, (n, m)), normal(r, (1, m))]),
    "clip": (lambda Z: np.clip(Z, -0.5, 0.5), lambda Z: Z.clip(-0.5, 0.5),
             lambda r, n, m: [away_from(r, (n, m), 0.5)]),
    "clip min=": (lambda Z: np.clip(Z, min=-0.5), lambda Z: Z.clip(-0.5, None),
                  lambda r, n, m: [away_from(r, (n, m), -0.5)]),
    "outer": (np.outer, lambda a, b: a.reshape(-1, 1) * b.reshape(1, -1),
              lambda r, n, m: [normal(r, (n,)), normal(r, (m,))]),
}


def m_of(Z) -> int:
    return Z.shape[1]


def MASK(A) -> np.ndarray:
    """A constant condition for np.where, fixed by A's shape (not by its values, so central
    differences never move an element across it)."""
    return (np.arange(A.size).reshape(A.shape) % 3) != 1


@pytest.mark.parametrize("name", list(CASES))
@given(n=sides, m=sides, seed=seeds)
@numeric_settings(25)
def test_numpy_function_gradient_against_central_differences(name, n, m, seed):
    numpy_call, _, inputs = CASES[name]
    rng = np.random.default_rng(seed)
    check_gradients(numpy_call, inputs(rng, n, m), rng)


@pytest.mark.parametrize("name", list(CASES))
@given(n=sides, m=sides, seed=seeds)
@numeric_settings(10)
def test_numpy_function_is_the_tensor_method_bit_for_bit(name, n, m, seed):
    numpy_call, tensor_call, inputs = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = inputs(rng, n, m)
    results = []
    for call in (numpy_call, tensor_call):
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        out = call(*leaves)
        assert type(out) is Tensor and out.requires_grad, f"{name} lost the graph"
        upstream = np.random.default_rng(seed + 1).normal(size=out.shape)
        out.backward(gradient=upstream)
        results.append((out.data, out.op, [leaf.grad for leaf in leaves]))
    (value, op, grads), (value2, op2, grads2) = results
    assert op == op2, f"np.{name} ran {op}, the Tensor call {op2}"
    np.testing.assert_array_equal(value, value2)
    assert value.dtype == value2.dtype
    for g, g2 in zip(grads, grads2):
        np.testing.assert_array_equal(g, g2)


def test_every_recorded_numpy_function_has_a_case():
    names = {case.split(" ")[0] for case in CASES}
    recorded = {f.__name__ for f in RECORDED_UFUNCS} | {f.__name__ for f in RECORDED_FUNCTIONS}
    recorded = {"abs" if r == "absolute" else r for r in recorded}
    missing = recorded - names
    assert not missing, f"no gradient test for {sorted(missing)}"


# -- the issue's own lines ----------------------------------------------------------------------


def test_the_issue_examples_record_the_graph():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 5))
    W = Tensor(rng.normal(size=(4, 2)), requires_grad=True, name="W1")
    b = Tensor(np.zeros((4, 1)), requires_grad=True, name="b1")
    Z = np.dot(W, X) + b  # the course's own line
    assert type(Z) is Tensor and Z.op == "add"
    Z.tanh().sum().backward()
    np.testing.assert_allclose(W.grad, (1 - np.tanh(W.data @ X) ** 2) @ X.T, rtol=1e-12)
    assert np.sum(Z).op == "sum" and np.mean(Z, axis=1).shape == (4,)
    mask = Z.data > 0
    for out in (np.where(mask, Z, 0), np.clip(Z, 0, 1), np.concatenate([Z, Z]), np.square(Z)):
        assert type(out) is Tensor and out.requires_grad
    relu_by_where = np.where(Z > 0, Z, 0)  # a comparison Tensor as the condition
    np.testing.assert_array_equal(relu_by_where.data, np.maximum(Z.data, 0))
    W.zero_grad()
    b.zero_grad()  # (else the second backward through Z would warn: b.grad would add both)
    relu_by_where.sum().backward()
    np.testing.assert_array_equal(W.grad, (Z.data > 0) @ X.T)


def test_mixed_arguments_in_any_position():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))
    T = Tensor(rng.normal(size=(3, 3)), requires_grad=True)
    outs = [
        np.dot(A, T), np.dot(T, A), np.multiply(A, T), np.add(1.0, T), np.subtract(T, 2),
        np.divide(A, T * T + 1.0), np.power(2.0, T), np.maximum(A, T), np.minimum(T, 0.0),
        np.where(A > 0, 0.0, T), np.where(A > 0, T, A), np.concatenate([A, T]),
        np.stack([T, A, T]), np.outer(A[0], T[0]), A @ T, A * T, A - T, A / (T * T + 1),
    ]
    for out in outs:
        assert type(out) is Tensor and out.requires_grad
        out.sum().backward()
    assert T.grad is not None


def test_keywords_as_numpy_takes_them():
    Z = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert np.sum(Z, axis=(0, 2)).shape == (3,)
    assert np.sum(Z, axis=-1, keepdims=True).shape == (2, 3, 1)
    assert np.mean(Z, 1, keepdims=True).shape == (2, 1, 4)
    assert np.max(Z, axis=0, keepdims=False).shape == (3, 4)
    assert np.reshape(Z, shape=(6, 4)).shape == (6, 4)
    assert np.squeeze(np.sum(Z, keepdims=True)).shape == ()
    assert np.transpose(Z, axes=(2, 0, 1)).shape == (4, 2, 3)
    assert np.clip(Z, a_min=1.0, a_max=5.0).op == "clip"
    assert np.sum(Z, where=True).op == "sum"  # numpy's defaults are accepted
    assert np.exp(Z, dtype=None, where=True, casting="same_kind").op == "exp"


@pytest.mark.parametrize("call", [
    lambda Z: np.exp(Z, out=np.empty((2, 2))),
    lambda Z: np.multiply(Z, 2.0, out=np.empty((2, 2))),
    lambda Z: np.sum(Z, out=np.empty(())),
    lambda Z: np.mean(Z, axis=0, out=np.empty(2)),
    lambda Z: np.dot(Z, Z, out=np.empty((2, 2))),
    lambda Z: np.concatenate([Z, Z], out=np.empty((4, 2))),
    lambda Z: np.clip(Z, 0, 1, out=np.empty((2, 2))),
])
def test_out_is_refused_clearly(call):
    Z = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(NoRuleError, match=r"out= is not supported.*new Tensor.*Assign"):
        call(Z)


@pytest.mark.parametrize(("call", "words"), [
    (lambda Z: np.sum(Z, dtype=np.float32), "dtype="),
    (lambda Z: np.sum(Z, initial=1.0), "initial="),
    (lambda Z: np.mean(Z, where=np.ones((2, 2), bool) & False), "where="),
    (lambda Z: np.exp(Z, dtype=np.float32), "dtype"),
    (lambda Z: np.dot(np.ones((2, 2, 2)), Z), "np.matmul"),
    (lambda Z: np.reshape(Z, (4,), order="F"), "order="),
])
def test_options_without_a_rule_are_refused(call, words):
    Z = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(NoRuleError, match=words):
        call(Z)


def test_where_refuses_a_condition_that_requires_grad():
    Z = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(NoRuleError, match="condition"):
        np.where(Z, Z, 0.0)
    np.testing.assert_array_equal(np.where(Tensor([[1.0, 0.0]]))[1], [0])


# -- no rule: refused when the graph would be lost, numpy's result otherwise -------------------

REFUSED = {
    "sin": lambda t: np.sin(t), "cos": lambda t: np.cos(t), "log1p": lambda t: np.log1p(t),
    "expm1": lambda t: np.expm1(t), "prod": lambda t: np.prod(t),
    "cumsum": lambda t: np.cumsum(t), "linalg.norm": lambda t: np.linalg.norm(t),
    "tensordot": lambda t: np.tensordot(t, t), "vstack": lambda t: np.vstack([t, t]),
    "expand_dims": lambda t: np.expand_dims(t, 0), "einsum": lambda t: np.einsum("ij->i", t),
    "add.reduce": lambda t: np.add.reduce(t), "multiply.outer": lambda t: np.multiply.outer(t, t),
    "floor_divide": lambda t: np.ones((2, 2)) // t, "sort": lambda t: np.sort(t),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_numpy_function_without_a_rule_is_refused_on_a_tensor_that_requires_grad(name):
    call = REFUSED[name]
    values = np.array([[0.5, 1.5], [2.0, 0.25]])
    W = Tensor(values, requires_grad=True, name="W1")
    with pytest.raises(NoRuleError) as raised:
        call(W)
    message = str(raised.value)
    short = name.split(".")[-1] if name != "linalg.norm" else "norm"
    assert f"np.{short}" in message or f"np.{name}" in message, message
    assert "W1 (2, 2)" in message and "requires grad" in message and "t.numpy()" in message
    assert isinstance(raised.value, TypeError)
    # no input requires grad, or no graph is recorded: numpy's plain result, as documented
    expected = call(values)
    for plain in (call(Tensor(values)), _in_no_grad(call, W)):
        assert type(plain) is not Tensor
        np.testing.assert_array_equal(plain, expected)


def _in_no_grad(call, t):
    with no_grad():
        return call(t)


def test_refusals_name_the_op_to_use_where_there_is_one():
    Z = Tensor([[0.5]], requires_grad=True)
    with pytest.raises(NoRuleError, match=r"np\.log\(1 \+ x\)"):
        np.log1p(Z)
    with pytest.raises(NoRuleError, match=r"np\.concatenate\(\.\.\., axis=0\)"):
        np.vstack([Z, Z])


# -- constants and plain answers ----------------------------------------------------------------


def test_constant_functions_give_tensors_that_do_not_require_grad():
    Z = Tensor(np.array([[-1.5, 0.0, 2.25], [3.0, -0.5, np.nan]]), requires_grad=True)
    for out, expected in [
        (np.greater(Z, 0), Z.data > 0), (np.equal(Z, 0.0), Z.data == 0), (np.isnan(Z), [
            [False] * 3, [False, False, True]]), (np.sign(Z), np.sign(Z.data)),
        (np.round(Z), np.round(Z.data)), (np.floor(Z), np.floor(Z.data)),
        (np.argmax(np.nan_to_num(Z.data) * Tensor(1.0), axis=0), [1, 0, 0]),
        (np.logical_not(Z > 0), ~(Z.data > 0)), (~(Z > 0), ~(Z.data > 0)),
    ]:
        assert type(out) is Tensor and not out.requires_grad and out.is_leaf
        np.testing.assert_array_equal(out.data, expected)
    assert np.shape(Z) == (2, 3) and np.ndim(Z) == 2 and np.size(Z) == 6
    assert np.allclose(Tensor([1.0]), 1.0)


def test_the_dispatch_tables_do_not_overlap():
    assert not set(RECORDED_UFUNCS) & CONSTANT_UFUNCS
    assert not set(RECORDED_FUNCTIONS) & CONSTANT_FUNCTIONS


# -- np.where's rule against its closed form (also the check of tests/test_mutation.py) --------


def check_where(C: np.ndarray, x: np.ndarray, y: np.ndarray, upstream: np.ndarray) -> None:
    """dx = da where C (summed over broadcast axes), dy = da where not C."""
    X, Y = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    np.where(C, X, Y).backward(gradient=upstream)
    C_full = np.broadcast_to(C, upstream.shape)
    dx = np.where(C_full, upstream, 0.0).sum(axis=tuple(i for i, n in enumerate(x.shape)
                                                        if n == 1 and upstream.shape[i] != 1),
                                             keepdims=True).reshape(x.shape)
    dy = np.where(C_full, 0.0, upstream).sum(axis=tuple(i for i, n in enumerate(y.shape)
                                                        if n == 1 and upstream.shape[i] != 1),
                                             keepdims=True).reshape(y.shape)
    np.testing.assert_allclose(X.grad, dx, rtol=1e-12, atol=0)
    np.testing.assert_allclose(Y.grad, dy, rtol=1e-12, atol=0)


@given(n=sides, m=sides, seed=seeds)
@numeric_settings(25)
def test_where_gradient_is_the_upstream_gradient_masked(n, m, seed):
    rng = np.random.default_rng(seed)
    C = rng.random((n, m)) < 0.5
    check_where(C, rng.normal(size=(n, m)), rng.normal(size=(n, 1)), rng.normal(size=(n, m)))
