"""The Tensor class: the constructor's dtype rules, copies, reflected operators with numpy
on the left, comparisons, and the small conveniences (item, len, repr, __array__)."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds, shapes

from tinygrad_edu import Tensor
from tinygrad_edu.errors import DtypeError, ShapeError

# -- dtype rules of the constructor -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (3, np.float64),
        (2.5, np.float64),
        ([1, 2, 3], np.float64),  # Python numbers and lists: float64
        ([[1.0], [2.0]], np.float64),
        (np.array([1.0], dtype=np.float32), np.float32),  # numpy floats keep float32/float64
        (np.array([1.0], dtype=np.float16), np.float64),  # other floats become float64
        (np.array([1, 2], dtype=np.int64), np.int64),  # integer arrays keep their dtype
        (np.array([1, 2], dtype=np.int32), np.int32),
        (np.array([True, False]), np.bool_),
        (np.float32(1.5), np.float32),
        ([True, False], np.bool_),
    ],
)
def test_constructor_dtype_rules(data, dtype):
    assert Tensor(data).dtype == dtype


def test_constructor_with_an_explicit_dtype():
    assert Tensor([1, 2], dtype="float32").dtype == np.float32
    assert Tensor(np.ones(2), dtype=np.int64).dtype == np.int64
    assert Tensor(np.ones(2, dtype=np.float32), dtype="float64").dtype == np.float64
    with pytest.raises(DtypeError, match="complex"):
        Tensor([1.0], dtype="complex128")
    with pytest.raises(DtypeError, match="dtype"):
        Tensor(["a", "b"])


@given(x=hnp.arrays(hnp.floating_dtypes(sizes=(32, 64)), shapes()))
def test_constructor_copies_and_keeps_values(x):
    t = Tensor(x)
    np.testing.assert_array_equal(t.data, x)
    assert t.dtype == x.dtype and t.shape == x.shape
    assert not np.shares_memory(t.data, x)


def test_only_floating_tensors_may_require_grad():
    assert Tensor([1.0], dtype="float32", requires_grad=True).requires_grad
    for data in (np.array([1, 2]), np.array([True])):
        with pytest.raises(DtypeError, match="floating") as info:
            Tensor(data, requires_grad=True, name="counts")
        assert isinstance(info.value, TypeError)
        assert "counts" in str(info.value)


# -- reflected operators: numpy on the left gives Tensors ---------------------------------------


@numeric_settings(30)
@given(shape=shapes(min_dims=1, max_dims=2), seed=seeds)
def test_numpy_array_on_the_left_gives_a_tensor_with_gradients(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, size=shape)
    x_values = rng.uniform(0.5, 2.0, size=shape)
    cases = [
        (lambda x: a * x, lambda: a),
        (lambda x: a + x, lambda: np.ones(shape)),
        (lambda x: a - x, lambda: -np.ones(shape)),
        (lambda x: a / x, lambda: -a / x_values**2),
        (lambda x: a**x, lambda: a**x_values * np.log(a)),
        (lambda x: np.float64(2.0) * x, lambda: 2 * np.ones(shape)),
        (lambda x: 2**x, lambda: 2**x_values * np.log(2)),
        (lambda x: np.exp(x), lambda: np.exp(x_values)),
        (lambda x: np.log(x), lambda: 1 / x_values),
        (lambda x: np.sqrt(x), lambda: 0.5 / np.sqrt(x_values)),
        (lambda x: np.tanh(x), lambda: 1 - np.tanh(x_values) ** 2),
        (lambda x: np.maximum(a, x), lambda: (x_values > a) * 1.0),
        (lambda x: -x, lambda: -np.ones(shape)),
    ]
    for f, derivative in cases:
        x = Tensor(x_values, requires_grad=True)
        y = f(x)
        assert isinstance(y, Tensor) and y.requires_grad and y.shape == shape
        y.backward(gradient=np.ones(shape))
        np.testing.assert_allclose(x.grad, derivative(), rtol=1e-12)


def test_numpy_matrix_on_the_left_of_matmul():
    W = np.arange(6.0).reshape(2, 3)
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    Z = W @ x
    assert isinstance(Z, Tensor)
    Z.backward(gradient=np.ones((2, 4)))
    np.testing.assert_array_equal(x.grad, W.T @ np.ones((2, 4)))


def test_unsupported_numpy_functions_say_what_to_do():
    with pytest.raises(TypeError, match=r"np\.sin .*no derivative rule.*t\.numpy\(\)"):
        np.sin(Tensor([1.0], requires_grad=True))
    plain = np.sin(Tensor([1.0]))  # nothing requires grad: nothing to lose, numpy's result
    assert type(plain) is np.ndarray and plain[0] == np.sin(1.0)


def test_comparisons_give_bool_tensors_without_gradient():
    A = Tensor([[0.2, 0.7, 0.5]], requires_grad=True)
    predictions = A > 0.5
    assert predictions.dtype == np.bool_ and not predictions.requires_grad
    np.testing.assert_array_equal(predictions.data, [[False, True, False]])
    np.testing.assert_array_equal((A >= 0.5).data, [[False, True, True]])
    np.testing.assert_array_equal((A < Tensor([[0.5, 0.5, 0.5]])).data, [[True, False, False]])
    np.testing.assert_array_equal((A <= 0.5).data, [[True, False, True]])


# -- conveniences -------------------------------------------------------------------------------


@given(x=hnp.arrays(np.float64, shapes(), elements=st.floats(-1e6, 1e6)))
def test_item_len_iter_and_array_protocol(x):
    t = Tensor(x)
    if x.size == 1:
        assert t.item() == x.item() and float(t) == float(x.item())
    else:
        with pytest.raises(ShapeError, match=str(x.size)):
            t.item()
    if x.ndim:
        assert len(t) == x.shape[0]
        rows = list(t)
        assert len(rows) == x.shape[0] and all(isinstance(r, Tensor) for r in rows)
    else:
        with pytest.raises(TypeError):
            len(t)
    np.testing.assert_array_equal(np.asarray(t), x)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.numpy() is t.data


def test_repr_shows_name_shape_op_and_grad():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name="W1")
    text = repr(W)
    assert "W1" in text and "(2, 2)" in text and "requires_grad=True" in text
    Z = W @ Tensor(np.ones((2, 30)))
    assert "op=matmul" in repr(Z) and "mean=" in repr(Z)
    Z.sum().backward()
    assert "grad=" in repr(W) and "grad=None" not in repr(W)


def test_astype_makes_a_new_leaf():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x.astype("float32")
    assert y.dtype == np.float32 and y.is_leaf and not y.requires_grad and y.name == "x"


def test_op_and_is_leaf():
    x = Tensor([1.0], requires_grad=True)
    y = x.sigmoid()
    assert x.is_leaf and x.op is None
    assert not y.is_leaf and y.op == "sigmoid" and y._ctx.parents == (x,)
    z = x + x
    assert z._ctx.parents == (x, x)  # two edges for a + a
