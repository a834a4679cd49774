"""F7: vectorization and broadcasting (seed 001 §5-6, seed 004 "矢量化编程").

Broadcasting and sums are exact linear maps, so F7.1 and F7.2's sums are held to
``rtol=1e-12``; the calories quotient rule and the vectorized network are tier 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from formula_helpers import (
    NETWORK_SETTINGS,
    OP_SETTINGS,
    NetCase,
    assert_exact_identity,
    assert_tier1,
    assume_away_from_kinks,
    engine_network,
    example_counts,
    hidden_activations,
    label_kinds,
    make_case,
    parameter_names,
    pinned_edge_cases,
    seeds,
    widths,
)
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu import ShapeError, Tensor, TinygradEduWarning, nn

# These properties draw every pair numpy can broadcast, (n,) against (n, 1) included: the
# course's rank-1 trap, whose warning (tested in test_formulas_F7_broadcasting) is not the
# point here, so it is let through instead of failing the run.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*is a rank-1 array:tinygrad_edu.advice.TinygradEduWarning"
)

# -- F7.1 --------------------------------------------------------------------------------------

RULES = {  # the notes' three rules: (shape of the left operand, shape of the right one)
    "(m, n) + (1, n)": lambda m, n: ((m, n), (1, n)),
    "(m, n) + (m, 1)": lambda m, n: ((m, n), (m, 1)),
    "(m, 1) + (1, n)": lambda m, n: ((m, 1), (1, n)),
}


def summed_to(G: np.ndarray, shape: tuple) -> np.ndarray:
    """Plain numpy: sum G over the axes broadcasting added or stretched to reach ``shape``."""
    while G.ndim > len(shape):
        G = G.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and G.shape[axis] != 1:
            G = G.sum(axis=axis, keepdims=True)
    return G


def check_broadcast_add(x: np.ndarray, y: np.ndarray, G: np.ndarray) -> None:
    X, Y = Tensor(x, requires_grad=True, name="x"), Tensor(y, requires_grad=True, name="y")
    S = X + Y
    assert S.shape == np.broadcast_shapes(x.shape, y.shape)
    np.testing.assert_array_equal(S.data, x + y)
    S.backward(G)
    assert_exact_identity(X.grad, summed_to(G, x.shape), "x.grad = G summed to x's shape")
    assert_exact_identity(Y.grad, summed_to(G, y.shape), "y.grad = G summed to y's shape")


@OP_SETTINGS
@given(rule=st.sampled_from(list(RULES)), m=widths, n=widths, seed=seeds)
def test_F7_1_the_three_broadcasting_rules_and_their_gradients(rule, m, n, seed):
    x_shape, y_shape = RULES[rule](m, n)
    rng = np.random.default_rng(seed)
    x, y, G = rng.normal(size=x_shape), rng.normal(size=y_shape), rng.normal(size=(m, n))
    check_broadcast_add(x, y, G)
    if rule == "(m, n) + (m, 1)":  # the bias column: db = np.sum(dZ, axis=1, keepdims=True)
        b = Tensor(y, requires_grad=True, name="b")
        (Tensor(x) + b).backward(G)
        assert_exact_identity(b.grad, np.sum(G, axis=1, keepdims=True), "db = Σ dZ over m")


@OP_SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4), seed=seeds)
def test_F7_1_any_broadcast_sends_back_the_sum_in_the_operands_shape(shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.normal(size=s) for s in shapes.input_shapes)
    check_broadcast_add(x, y, rng.normal(size=shapes.result_shape))


# -- F7.2 --------------------------------------------------------------------------------------

CALORIES = np.array(
    [[56.0, 0.0, 4.4, 68.0], [1.2, 104.0, 52.0, 8.0], [1.8, 135.0, 99.0, 0.9]]
)  # carbs, proteins, fats (rows) in 100 g of apples, beef, eggs, potatoes (columns)


def check_percentages(A: np.ndarray, G: np.ndarray) -> None:
    """``cal = A.sum(axis=0); percentage = 100 * A / cal.reshape(1, n)`` and its gradient."""
    A_t = Tensor(A, requires_grad=True, name="A")
    cal = A_t.sum(axis=0)
    percentage = 100 * A_t / cal.reshape(1, A.shape[1])
    c = A.sum(axis=0)
    assert_tier1(percentage.data, 100 * A / c.reshape(1, -1), "percentage = 100 A / cal")
    assert_tier1(percentage.data.sum(axis=0), np.full(A.shape[1], 100.0), "columns sum to 100")
    percentage.backward(G)
    # p_ij = 100 a_ij / c_j with c_j = Σ_i a_ij, so
    # ∂(Σ G p)/∂a_kj = 100 G_kj / c_j - Σ_i 100 G_ij a_ij / c_j²
    expected = 100 * G / c - np.sum(100 * G * A, axis=0, keepdims=True) / c**2
    assert_tier1(A_t.grad, expected, "quotient rule through the broadcast division")


def test_F7_2_the_calories_example():
    A_t = Tensor(CALORIES)
    cal = A_t.sum(axis=0)
    np.testing.assert_allclose(cal.data, [59.0, 239.0, 155.4, 76.9], rtol=1e-12)
    percentage = 100 * A_t / cal.reshape(1, 4)
    np.testing.assert_allclose(percentage.data[:, 0], [94.91525424, 2.03389831, 3.05084746])
    check_percentages(CALORIES, np.random.default_rng(0).normal(size=(3, 4)))
    check_percentages(CALORIES, np.ones((3, 4)))  # Σ percentage is constant: gradient 0


@OP_SETTINGS
@given(rows=widths, cols=widths, seed=seeds)
@example(rows=3, cols=4, seed=0)
def test_F7_2_percentages_of_column_sums_for_any_table(rows, cols, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.1, 100.0, size=(rows, cols))  # positive, like calories
    check_percentages(A, rng.normal(size=(rows, cols)))


# -- F7.3 --------------------------------------------------------------------------------------


@NETWORK_SETTINGS
@given(
    seed=seeds,
    n0=widths,
    n1=widths,
    m=example_counts,
    labels=label_kinds,
    hidden=hidden_activations,
)
@pinned_edge_cases(seed=5, n0=2, n1=3, m=4, labels="random", hidden="tanh")
def test_F7_3_vectorized_forward_and_gradient_equal_the_loop(seed, n0, n1, m, labels, hidden):
    case = make_case(seed, [n0, n1, 1], m, labels, hidden=hidden)
    assume_away_from_kinks(case)
    batch = engine_network(case)
    loop = []
    for i in range(m):  # for i = 1 to m: z2 = W1 x(:, i) + b1; ... (seed 004)
        single = NetCase(case.X[:, [i]], case.Y[:, [i]], case.W, case.b, hidden=hidden)
        loop.append(engine_network(single))
    for name in ("Z1", "A1", "Z2", "A2"):
        columns = np.hstack([one[name].data for one in loop])
        assert_tier1(batch[name].data, columns, f"vectorized {name} vs the loop over examples")
    assert_tier1(batch["J"].data, np.mean([one["J"].data for one in loop]), "J = mean of L(i)")
    for name in parameter_names(2):
        mean_grad = np.mean([one[name].grad for one in loop], axis=0)
        assert_tier1(batch[name].grad, mean_grad, f"vectorized d{name} vs the loop's mean")


# -- F7.4 --------------------------------------------------------------------------------------


@OP_SETTINGS
@given(n=st.integers(min_value=2, max_value=6), seed=seeds)
@example(n=5, seed=0)
def test_F7_4_rank_1_arrays_behave_like_numpy_and_reshape_fixes_them(n, seed):
    values = np.random.default_rng(seed).standard_normal(n)  # np.random.randn(5): shape (5,)
    a = Tensor(values, requires_grad=True, name="a")
    assert a.shape == (n,), "a rank-1 array stays rank 1: (n,), neither a row nor a column"
    assert a.T.shape == (n,), "transposing a rank-1 array does nothing"
    inner = a @ a.T  # not an outer product: a number
    assert inner.shape == ()
    inner.backward()
    assert a.grad.shape == (n,)
    assert_tier1(a.grad, 2 * values, "d(a·a)/da = 2a, in a's own shape (n,)")
    column = Tensor(values.reshape(n, 1), requires_grad=True, name="a")  # the notes: (5, 1)
    assert column.shape == (n, 1)
    outer = column @ column.T
    assert outer.shape == (n, n), "(n, 1) @ (1, n) is the outer product"
    # the trap: (n,) + (n, 1) broadcasts to (n, n); gradients still come back in each shape
    with pytest.warns(TinygradEduWarning, match=rf"rank-1 .*\.reshape\({n}, 1\)"):
        trap = a + column  # tinygrad_edu warns, naming both shapes and the fix
    assert trap.shape == (n, n)
    reshaped = a.reshape(n, 1)  # a = a.reshape((5, 1)); assert a.shape == (5, 1)
    assert reshaped.shape == (n, 1)
    a.zero_grad()
    reshaped.backward(np.ones((n, 1)))
    assert a.grad.shape == (n,)


def test_F7_4_matmul_with_a_rank_1_vector_in_the_wrong_place_names_the_shapes():
    W = Tensor(np.ones((4, 3)), name="W1")
    with pytest.raises(ShapeError, match=r"W1 \(4, 3\)"):
        W @ Tensor(np.ones(5), name="x")


@OP_SETTINGS
@given(n=st.integers(min_value=1, max_value=6), n_out=widths, seed=seeds)
@example(n=5, n_out=3, seed=0)
def test_F7_4_the_dense_layer_refuses_rank_1_input_with_the_notes_advice(n, n_out, seed):
    x = np.random.default_rng(seed).standard_normal(n)  # (n,): a rank-1 array
    layer = nn.Dense(n, n_out, activation="tanh", layer=1)
    with pytest.raises(ShapeError, match=r"rank-1") as error:
        layer(x)
    assert f"({n},)" in str(error.value) and "(n, 1)" in str(error.value)
    assert layer(x.reshape(n, 1)).shape == (n_out, 1)  # the fix: one example as a column
