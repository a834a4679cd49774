"""Reaching a model's intermediates by name (``J.find``), names given to numpy inputs and
labels, and the clear errors for inputs numpy would turn into a bare traceback or a nan."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu import (
    BackwardError,
    NameLookupError,
    ShapeError,
    Tensor,
    data,
    explain,
    nn,
    optim,
)


@pytest.fixture()
def flower_cost():
    X, Y = data.load_planar_dataset()
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh", seed=1),
                          nn.Dense(4, 1, activation="sigmoid", seed=2))
    J = F.binary_cross_entropy(model(X), Y)
    return J, X, Y


def test_find_returns_the_named_intermediates_of_a_model(flower_cost):
    J, X, Y = flower_cost
    J.backward()
    Z2, A2, A1 = J.find("Z2"), J.find("A2"), J.find("A1")
    assert Z2.shape == A2.shape == (1, 400) and A1.shape == (4, 400)
    m = X.shape[1]
    np.testing.assert_allclose(m * Z2.grad, A2.data - Y, rtol=1e-9, atol=1e-12)  # dZ2 = A2 - Y
    assert J.find("W1").requires_grad and J.find("W1").is_leaf
    assert J.find("X").data is not None and not J.find("X").requires_grad


def test_find_names_what_is_there_when_the_name_is_missing_or_shared(flower_cost):
    J, _, _ = flower_cost
    with pytest.raises(NameLookupError, match=r"'Z3'.*its named tensors are: ") as caught:
        J.find("Z3")
    listed = str(caught.value).split("are: ")[1].split(", ")
    assert sorted(listed) == sorted(["W1", "X", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "Y"])
    assert isinstance(caught.value, KeyError) and not str(caught.value).startswith("'")
    x = Tensor([1.0], requires_grad=True, name="x")
    twice = (x * 2.0).tanh()
    twice.name = "h"
    again = twice * 3.0
    again.name = "h"
    with pytest.raises(NameLookupError, match="2 tensors"):
        (again + twice).find("h")


def test_numpy_inputs_and_labels_are_named_X_and_Y_in_explain(flower_cost):
    J, _, _ = flower_cost
    text = str(explain(J))
    assert "dZ2 = (A2 - Y) / m" in text and "dW1 = dZ1 @ Xᵀ" in text
    assert "where T" not in text  # no anonymous constants
    mse = F.mse_loss(Tensor(np.ones((1, 3)), requires_grad=True), np.zeros((1, 3)))
    assert mse.find("Y").shape == (1, 3)


def test_label_shape_errors_name_labels_and_predictions():
    A = Tensor(np.full((1, 4), 0.5), requires_grad=True, name="A2")
    with pytest.raises(ShapeError, match=r"predictions are A2 \(1, 4\) and the labels Y \(4,\)"):
        F.binary_cross_entropy(A, np.zeros(4))


def test_mean_max_min_of_nothing_are_refused_sum_of_nothing_is_zero():
    empty = Tensor(np.zeros((3, 0)), name="X")
    for op in ("mean", "max", "min"):
        with pytest.raises(ShapeError, match=f"{op} of X .*no elements"):
            getattr(empty, op)(axis=1)
    np.testing.assert_array_equal(empty.sum(axis=1).data, np.zeros(3))
    assert empty.mean(axis=0).shape == (0,)  # m = 0 columns of 3 numbers: nothing to average


def test_reducing_a_non_empty_axis_of_an_empty_tensor_works_like_numpy_and_differentiates():
    """Only an empty *reduced* axis is undefined: mean/max/min over the 3 rows of (3, 0) give
    0 results, as numpy does, and backward gives an empty gradient (was a ZeroDivisionError in
    mean's rule and a ShapeError for max/min)."""
    for op in ("mean", "max", "min", "sum"):
        X = Tensor(np.zeros((3, 0)), requires_grad=True, name="X")
        out = getattr(X, op)(axis=0)
        assert out.shape == getattr(np, op)(X.data, axis=0).shape == (0,)
        out.sum().backward()
        assert X.grad.shape == (3, 0)
    with pytest.raises(ShapeError, match=r"max of X \(3, 0\) over axis 1: there are no elements"):
        Tensor(np.zeros((3, 0)), name="X").max(axis=1)


def test_ragged_lists_and_nan_upstream_gradients_get_clear_errors():
    with pytest.raises(ShapeError, match="not rectangular"):
        Tensor([[1.0, 2.0], [3.0]])
    y = Tensor(np.ones(2), requires_grad=True) * 2.0
    with pytest.raises(BackwardError, match="nan or inf"):
        y.backward(np.array([np.nan, 1.0]))


def test_requires_grad_off_on_a_computed_tensor_is_a_backward_error():
    y = Tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(BackwardError, match="detach"):
        y.requires_grad_(False)
    assert issubclass(tinygrad_edu.StateDictError, KeyError)


def test_a_float32_model_fed_float64_data_keeps_float32_gradients():
    """.grad has its tensor's dtype: numpy promotes float32 W @ float64 X to float64, the
    gradient reaching W is cast back (as PyTorch does), so SGD keeps W float32."""
    X, Y = data.load_planar_dataset()
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh", dtype=np.float32, seed=0),
                          nn.Dense(4, 1, activation="sigmoid", dtype=np.float32, seed=1))
    J = F.binary_cross_entropy(model(X), Y)
    assert J.dtype == np.float64  # the forward pass follows numpy's promotion
    J.backward()
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float32, name
    with pytest.warns(tinygrad_edu.TinygradEduWarning, match="sum of both runs"):
        J.backward()  # accumulation keeps it too
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    W1 = J.find("W1")
    optim.SGD(model.parameters(), lr=0.1).step()
    assert W1.data.dtype == np.float32
