"""F12: inverted dropout, ``D = rand < keep_prob; A = A * D / keep_prob; dA = dA * D / keep_prob``.

The mask is drawn from the random source given; the reference draws the same numbers from a
second generator with the same seed (the notes' ``np.random.rand(n, m) < keep_prob``) and
writes the formulas out in numpy. In evaluation there is no mask and no scaling.

tests/test_mutation.py runs the ``check_F12_*`` functions against broken rules.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import assert_tier1, seeds
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

keep_probs = st.sampled_from([0.5, 0.8, 0.9, 1.0])
sizes = st.integers(min_value=1, max_value=5)


def check_F12_1(a: np.ndarray, keep_prob: float, seed: int) -> None:
    out = F.dropout(Tensor(a), keep_prob, training=True, seed=np.random.default_rng(seed))
    D = np.random.default_rng(seed).random(a.shape) < keep_prob  # D = rand(n, m) < keep_prob
    if keep_prob < 1.0:
        np.testing.assert_array_equal(out.data, a * D / keep_prob, err_msg="A * D / keep_prob")
    else:
        np.testing.assert_array_equal(out.data, a, err_msg="keep_prob = 1: A itself")
    evaluated = F.dropout(Tensor(a), keep_prob, training=False, seed=seed)
    np.testing.assert_array_equal(evaluated.data, a, err_msg="evaluation: no mask, no scale")


@numeric_settings(60)
@given(seed=seeds, n=sizes, m=sizes, keep_prob=keep_probs)
def test_F12_1_dropout_keeps_units_with_probability_keep_prob_and_scales(seed, n, m, keep_prob):
    check_F12_1(np.random.default_rng(seed).normal(size=(n, m)), keep_prob, seed)


def check_F12_2(a: np.ndarray, dA: np.ndarray, keep_prob: float, seed: int) -> None:
    A = Tensor(a, requires_grad=True, name="A1")
    out = F.dropout(A, keep_prob, training=True, seed=np.random.default_rng(seed))
    (out * dA).sum().backward()
    D = np.random.default_rng(seed).random(a.shape) < keep_prob
    expected = dA * D / keep_prob if keep_prob < 1.0 else dA  # dA = dA * D / keep_prob
    assert_tier1(A.grad, expected, "A.grad vs dA * D / keep_prob")
    np.testing.assert_array_equal(A.grad[~D], 0.0, err_msg="a dropped unit gets no gradient")


@numeric_settings(60)
@given(seed=seeds, n=sizes, m=sizes, keep_prob=keep_probs)
def test_F12_2_dropout_gradient_uses_the_same_mask_and_scale(seed, n, m, keep_prob):
    rng = np.random.default_rng(seed)
    check_F12_2(rng.normal(size=(n, m)), rng.normal(size=(n, m)), keep_prob, seed)


@numeric_settings(30)
@given(seed=seeds, n_h=sizes, m=sizes, keep_prob=st.sampled_from([0.5, 0.8]))
def test_F12_2_dropout_layer_in_a_network_matches_the_course_backprop(seed, n_h, m, keep_prob):
    """Layer 1 (tanh) → dropout → layer 2 (sigmoid) with the cross-entropy: the course's
    backward with ``dA1 = dA1 * D1 / keep_prob`` written out in numpy."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(2, m)), (rng.random((1, m)) < 0.5).astype(float)
    model = nn.Sequential(nn.Dense(2, n_h, "tanh", seed=1), nn.Dropout(keep_prob, seed=seed),
                          nn.Dense(n_h, 1, "sigmoid", seed=2))
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.7, size=p.shape)
    F.binary_cross_entropy(model(X), Y).backward()
    W1, b1, W2, b2 = (p.data.copy() for p in model.parameters())
    D1 = np.random.RandomState(seed).random_sample((n_h, m)) < keep_prob  # the layer's stream
    A1 = np.tanh(W1 @ X + b1)
    A1_drop = A1 * D1 / keep_prob
    A2 = 1.0 / (1.0 + np.exp(-(W2 @ A1_drop + b2)))
    dZ2 = (A2 - Y) / m
    dA1 = (W2.T @ dZ2) * D1 / keep_prob  # dA1 = dA1 * D1 / keep_prob
    dZ1 = dA1 * (1 - A1**2)
    grads = [p.grad for p in model.parameters()]
    assert_tier1(grads[2], dZ2 @ A1_drop.T, "dW2 = dZ2 A1ᵀ (A1 after dropout)")
    assert_tier1(grads[0], dZ1 @ X.T, "dW1 = dZ1 Xᵀ")
    assert_tier1(grads[1], dZ1.sum(axis=1, keepdims=True), "db1 = Σ dZ1")
