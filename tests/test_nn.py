"""nn: functional (activations, costs, penalty), init, Module, Dense, Sequential, deep_network.

References are written in plain numpy here; the gradient formulas of the course are held by
the formula suite (tests/test_formulas_*.py), so this file checks the layer API: shapes,
names, values, initial weights, errors, state dicts and saving.
"""

from __future__ import annotations

import math
import os
import tempfile

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu.nn.functional as F
from tinygrad_edu import BackwardError, DtypeError, ShapeError, Tensor, functions, nn, no_grad
from tinygrad_edu.errors import StateDictError

NUMERIC = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 5)
finite = st.floats(-50, 50, allow_nan=False, width=64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
}


# ---------------------------------------------------------------------------------------------
# functional: activations
# ---------------------------------------------------------------------------------------------


@given(z=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=finite),
       name=st.sampled_from(sorted(NUMPY_ACTIVATIONS)))
@NUMERIC
def test_activations_match_numpy_and_accept_arrays(z, name):
    expected = NUMPY_ACTIVATIONS[name](z)
    got = getattr(F, name)(z)  # a numpy array in, a Tensor out
    assert isinstance(got, Tensor)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-300)


def test_leaky_relu_slope_is_a_parameter_and_linear_is_the_identity():
    z = Tensor([[-2.0, 0.0, 3.0]], requires_grad=True)
    np.testing.assert_array_equal(F.leaky_relu(z, alpha=0.2).data, [[-0.4, 0.0, 3.0]])
    assert F.linear(z) is z


def test_get_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        F.get_activation("softplus")
    name, fn = F.get_activation(F.tanh)
    assert name == "tanh" and fn is F.tanh


# ---------------------------------------------------------------------------------------------
# functional: costs and the penalty
# ---------------------------------------------------------------------------------------------


@given(n_y=sizes, m=sizes, seed=seeds)
@NUMERIC
def test_binary_cross_entropy_is_the_course_cost(n_y, m, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.01, 0.99, (n_y, m))
    Y = (rng.uniform(size=(n_y, m)) < 0.5).astype(float)
    expected = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    J = F.binary_cross_entropy(Tensor(A, requires_grad=True), Y)
    assert math.isclose(J.item(), expected, rel_tol=1e-12)
    J_sum = F.binary_cross_entropy(Tensor(A), Y, reduction="sum")
    assert math.isclose(J_sum.item(), m * expected, rel_tol=1e-12)


@given(n_y=sizes, m=sizes, seed=seeds)
@NUMERIC
def test_bce_with_logits_equals_bce_of_sigmoid(n_y, m, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(0, 3, (n_y, m))
    Y = (rng.uniform(size=(n_y, m)) < 0.5).astype(float)
    A = _sigmoid(Z)
    expected = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    assert math.isclose(F.binary_cross_entropy_with_logits(Z, Y).item(), expected, rel_tol=1e-10)


def test_bce_at_saturation_uses_the_logits_or_the_minus_100_floor():
    Y = np.array([[1.0, 0.0]])
    Z = Tensor([[-1000.0, 1000.0]], requires_grad=True)  # sigmoid gives exactly 0 and 1
    J = F.binary_cross_entropy(F.sigmoid(Z), Y)
    assert J.item() == pytest.approx(1000.0)  # exact: log(1 + e^1000) per example, mean 1000
    J.backward()
    assert np.all(np.isfinite(Z.grad))
    # plain probabilities: each log is floored at -100 (PyTorch's BCELoss rule)
    A = Tensor([[0.0, 1.0]], requires_grad=True)
    J = F.binary_cross_entropy(A, Y)
    assert J.item() == pytest.approx(100.0)
    J.backward()
    assert np.all(np.isfinite(A.grad))


@given(n_y=sizes, m=sizes, seed=seeds)
@NUMERIC
def test_mse_loss_is_half_squared_norm_per_example_averaged_over_columns(n_y, m, seed):
    """F5.1: J = 1/m Σ_i ½‖h(x⁽ⁱ⁾) - y⁽ⁱ⁾‖², gradient (H - Y)/m."""
    rng = np.random.default_rng(seed)
    H, Y = rng.normal(size=(n_y, m)), rng.normal(size=(n_y, m))
    per_example = [0.5 * np.linalg.norm(H[:, i] - Y[:, i]) ** 2 for i in range(m)]
    H_t = Tensor(H, requires_grad=True)
    J = F.mse_loss(H_t, Y)
    assert math.isclose(J.item(), sum(per_example) / m, rel_tol=1e-12)
    J.backward()
    np.testing.assert_allclose(H_t.grad, (H - Y) / m, rtol=1e-12, atol=1e-15)
    assert math.isclose(F.mse_loss(H, Y, reduction="sum").item(), sum(per_example), rel_tol=1e-12)


def test_mse_loss_refuses_mismatched_shapes_and_bad_reduction():
    with pytest.raises(ShapeError, match=r"\(1, 3\).*\(3, 1\)"):
        F.mse_loss(np.zeros((1, 3)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(np.zeros((1, 3)), np.zeros((1, 3)), reduction="avg")


# λ is 0 or a normal float: a subnormal λ·W loses the last digits to gradual underflow, which
# is floating point, not the rule under test.
@given(seed=seeds, lam=st.just(0.0) | st.floats(1e-100, 10.0))
@NUMERIC
def test_l2_penalty_covers_weights_only_and_its_gradient_is_lambda_W(seed, lam):
    """F5.1 / F5.5: λ/2 Σ W² over the weights; ∂/∂W = λ W; biases are not decayed."""
    model = nn.deep_network([3, 4, 2], seed=seed, init="he")
    for p in model.parameters():
        p.data[...] = np.random.default_rng(seed).normal(size=p.shape)
    P = F.l2_penalty(model, lam)
    W1, b1, W2, b2 = model.parameters()
    expected = lam / 2 * (np.sum(W1.data**2) + np.sum(W2.data**2))
    assert math.isclose(P.item(), expected, rel_tol=1e-12, abs_tol=1e-300)
    P.backward()
    np.testing.assert_allclose(W1.grad, lam * W1.data, rtol=1e-12)
    np.testing.assert_allclose(W2.grad, lam * W2.data, rtol=1e-12)
    assert b1.grad is None and b2.grad is None
    # a plain list of tensors works too
    assert F.l2_penalty([W1, W2], lam).item() == P.item()


def test_l2_penalty_needs_weights():
    with pytest.raises(ValueError, match="no weights"):
        F.l2_penalty([], 0.1)


def test_mse_loss_is_one_op_whose_targets_are_constants_named_Y():
    """One rule, dH = (H - Y) / m (F5.2): Y gets no gradient, as the cross-entropy's labels."""
    H = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="A2")
    J = F.mse_loss(H, np.ones((2, 3)))
    assert type(J._ctx) is functions.MeanSquaredError
    assert J._ctx.parents[0] is H and J._ctx.parents[1].name == "Y"
    assert (J._ctx.m, J._ctx.reduction) == (3, "mean")
    with pytest.raises(BackwardError, match=r"mse_loss: the targets Y .* must not require grad"):
        F.mse_loss(H, Tensor(np.ones((2, 3)), requires_grad=True, name="Y"))
    with no_grad():
        assert F.mse_loss(H, np.ones((2, 3)))._ctx is None
    assert not F.mse_loss(H.data, np.ones((2, 3))).requires_grad  # numpy H: a constant


def test_l2_penalty_is_one_op_over_the_weights_in_order():
    model = nn.deep_network([3, 4, 2, 1], seed=0)
    P = F.l2_penalty(model, 0.25)
    assert type(P._ctx) is functions.L2Penalty and P._ctx.lam == 0.25
    assert list(P._ctx.parents) == model.weights()
    W1, W2, _ = model.weights()
    mixed = F.l2_penalty((w for w in [W1, W2.data]), 0.5)  # any iterable; an array is constant
    mixed.backward()
    np.testing.assert_array_equal(W1.grad, 0.5 * W1.data)
    assert mixed.item() == pytest.approx(0.25 * (np.sum(W1.data**2) + np.sum(W2.data**2)))
    assert not F.l2_penalty([W1.data], 0.5).requires_grad


# ---------------------------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------------------------


def test_course_init_reproduces_the_notebooks_initialize_parameters():
    """Seed 002: np.random.seed(2); W1 = randn(4, 2) * 0.01; b1 = 0; W2 = randn(1, 4) * 0.01."""
    np.random.seed(2)
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh"), nn.Dense(4, 1, activation="sigmoid"))
    np.random.seed(2)
    W1 = np.random.randn(4, 2) * 0.01
    W2 = np.random.randn(1, 4) * 0.01
    state = model.state_dict()
    assert list(state) == ["W1", "b1", "W2", "b2"]
    np.testing.assert_array_equal(state["W1"], W1)
    np.testing.assert_array_equal(state["W2"], W2)
    np.testing.assert_array_equal(state["b1"], np.zeros((4, 1)))
    np.testing.assert_array_equal(state["b2"], np.zeros((1, 1)))
    # the numbers the course's initialize_parameters_test_case prints
    np.testing.assert_allclose(state["W1"][0], [-0.00416758, -0.00056267], atol=1e-8)
    np.testing.assert_allclose(
        state["W2"], [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]], atol=1e-8
    )


@pytest.mark.parametrize("name", ["course", "xavier", "he"])
def test_seed_kinds_give_the_documented_streams(name):
    fn = nn.init.INITS[name]
    np.random.seed(7)
    from_global = fn(3, 5)
    np.testing.assert_array_equal(fn(3, 5, 7), from_global)  # int = RandomState(int)
    np.testing.assert_array_equal(fn(3, 5, np.random.RandomState(7)), from_global)
    expected = np.random.default_rng(7).standard_normal((3, 5))
    scale = from_global / np.random.RandomState(7).standard_normal((3, 5))
    np.testing.assert_allclose(fn(3, 5, np.random.default_rng(7)), expected * scale[0, 0])


@pytest.mark.parametrize(
    ("name", "std"), [("course", 0.01), ("xavier", math.sqrt(1 / 400)), ("he", math.sqrt(2 / 400))]
)
def test_init_scales(name, std):
    W = nn.init.INITS[name](300, 400, 0)
    assert W.shape == (300, 400) and W.dtype == np.float64
    assert abs(W.std() / std - 1) < 0.02  # 120 000 draws: the relative error is about 0.2 %
    assert abs(W.mean()) < 0.01 * std * 10


def test_zeros_init_and_errors():
    np.testing.assert_array_equal(nn.init.zeros(2, 3), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="seed must be"):
        nn.init.course(2, 3, rng="two")
    with pytest.raises(ValueError, match="n_in must be a positive int"):
        nn.init.xavier(2, 0)
    with pytest.raises(ValueError, match="n_out must be a positive int"):
        nn.init.course(True, 3)


# ---------------------------------------------------------------------------------------------
# Dense
# ---------------------------------------------------------------------------------------------


@given(n_in=sizes, n_out=sizes, m=sizes, seed=seeds,
       activation=st.sampled_from(sorted(NUMPY_ACTIVATIONS)))
@NUMERIC
def test_dense_computes_Z_equals_W_A_plus_b_then_g(n_in, n_out, m, seed, activation):
    """F4.1: Z = W A_prev + b, A = g(Z); shapes W (n_out, n_in), b (n_out, 1), A (n_out, m)."""
    rng = np.random.default_rng(seed)
    layer = nn.Dense(n_in, n_out, activation=activation, init="xavier", seed=rng)
    layer.b.data[...] = rng.normal(size=(n_out, 1))
    X = rng.normal(size=(n_in, m))
    A = layer(X)
    assert layer.W.shape == (n_out, n_in) and layer.b.shape == (n_out, 1)
    assert layer.W.requires_grad and layer.b.requires_grad
    expected = NUMPY_ACTIVATIONS[activation](layer.W.data @ X + layer.b.data)
    np.testing.assert_allclose(A.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer(Tensor(X)).data, A.data, rtol=0, atol=0)


def test_dense_names_in_the_course_notation():
    layer = nn.Dense(2, 3, activation="relu", seed=0)
    assert (layer.W.name, layer.b.name) == ("W", "b")
    A = layer(np.ones((2, 5)))
    assert A.name == "A" and A._ctx.parents[0].name == "Z"
    layer = nn.Dense(2, 3, activation="tanh", seed=0, layer=2)
    A = layer(np.ones((2, 5)))
    assert (layer.W.name, layer.b.name, A.name, A._ctx.parents[0].name) == ("W2", "b2", "A2", "Z2")
    linear = nn.Dense(2, 1, layer=3, seed=0)
    assert linear(np.ones((2, 4))).name == "Z3"  # identity: A3 is Z3 itself


def test_dense_two_layer_gradients_are_the_course_formulas():
    """One fixed check of the wiring (the formula suite draws the shapes): F3.2-F3.5."""
    X, Y = np.random.default_rng(0).normal(size=(2, 7)), np.array([[0, 1, 1, 0, 1, 0, 1.0]])
    model = nn.Sequential(nn.Dense(2, 4, "tanh", init="xavier", seed=1),
                          nn.Dense(4, 1, "sigmoid", init="xavier", seed=2))
    F.binary_cross_entropy(model(X), Y).backward()
    W1, b1, W2, b2 = (p.data for p in model.parameters())
    A1 = np.tanh(W1 @ X + b1)
    A2 = _sigmoid(W2 @ A1 + b2)
    dZ2 = A2 - Y
    dZ1 = W2.T @ dZ2 * (1 - A1**2)
    m = X.shape[1]
    grads = [p.grad for p in model.parameters()]
    for got, want in zip(grads, [dZ1 @ X.T / m, dZ1.sum(1, keepdims=True) / m,
                                 dZ2 @ A1.T / m, dZ2.sum(1, keepdims=True) / m]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_dense_accepts_int_inputs_and_float32_layers():
    layer = nn.Dense(2, 1, activation="sigmoid", seed=0)
    out = layer(np.array([[0, 1], [1, 0]]))
    assert out.dtype == np.float64 and out.shape == (1, 2)
    small = nn.Dense(2, 3, seed=0, dtype=np.float32)
    assert small.W.dtype == np.float32 and small(np.ones((2, 4), np.float32)).dtype == np.float32


def test_dense_refuses_rank_1_and_transposed_inputs_with_the_notes_advice():
    layer = nn.Dense(3, 2, layer=1, seed=0)
    with pytest.raises(ShapeError, match=r"rank-1.*\(3, m\).*\(n, 1\).*\(1, n\)"):
        layer(np.ones(3))
    with pytest.raises(ShapeError, match=r"\(400, 3\).*\(3, m\).*X\.T.*\(3, 400\)"):
        layer(np.ones((400, 3)))
    with pytest.raises(ShapeError, match=r"\(5, 4\).*\(3, m\)"):
        layer(np.ones((5, 4)))
    with pytest.raises(ShapeError, match="Dense layer 1"):
        layer(np.ones((1, 2, 3)))


def test_dense_custom_activation_and_init_and_their_errors():
    layer = nn.Dense(2, 3, activation=lambda z: z * 2.0, init=lambda o, i, rng: np.ones((o, i)))
    np.testing.assert_array_equal(layer(np.ones((2, 1))).data, np.full((3, 1), 4.0))
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(3, 2\)"):
        nn.Dense(2, 3, init=lambda o, i, rng: np.ones((i, o)))
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        nn.Dense(2, 3, init="glorot")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Dense(2, 3, activation="swish")
    with pytest.raises(ValueError, match="layer must be a positive int"):
        nn.Dense(2, 3, layer=0)


def test_dense_leaky_relu_alpha_and_repr():
    layer = nn.Dense(1, 1, activation="leaky_relu", alpha=0.3, init=lambda o, i, r: np.ones((o, i)))
    np.testing.assert_allclose(layer(np.array([[-1.0]])).data, [[-0.3]])
    assert repr(layer) == "Dense(1 -> 1, leaky_relu)  W (1, 1), b (1, 1)"


# ---------------------------------------------------------------------------------------------
# Sequential and deep_network
# ---------------------------------------------------------------------------------------------


def test_sequential_numbers_layers_and_behaves_like_a_list():
    first, second = nn.Dense(2, 4, "tanh", seed=0), nn.Dense(4, 1, "sigmoid", seed=1)
    model = nn.Sequential(first, second)
    assert len(model) == 2 and model[0] is first and model[-1] is second
    assert list(model) == [first, second]
    assert [n for n, _ in model.named_parameters()] == ["W1", "b1", "W2", "b2"]
    assert model.num_parameters() == 17
    assert isinstance(model[1:], nn.Sequential) and model[1:][0] is second
    text = repr(model)
    assert "Dense(2 -> 4, tanh)  W1 (4, 2), b1 (4, 1)" in text
    assert "Dense(4 -> 1, sigmoid)  W2 (1, 4), b2 (1, 1)" in text
    assert text.endswith("17 parameters")
    X = np.random.default_rng(0).normal(size=(2, 3))
    np.testing.assert_array_equal(model(X).data, second(first(X)).data)
    out = model(X)
    assert out.name == "A2"


def test_sequential_keeps_explicit_indices_and_refuses_non_modules():
    model = nn.Sequential([nn.Dense(2, 2, layer=5, seed=0), nn.Dense(2, 1, seed=0)])
    assert [n for n, _ in model.named_parameters()] == ["W5", "b5", "W2", "b2"]
    with pytest.raises(TypeError, match="item 1 is a function"):
        nn.Sequential(nn.Dense(2, 2), F.relu)


@given(dims=st.lists(sizes, min_size=2, max_size=5), seed=st.integers(0, 1000))
@settings(max_examples=25, deadline=None)
def test_deep_network_is_the_course_L_layer_model(dims, seed):
    model = nn.deep_network(dims, seed=seed)
    L = len(dims) - 1
    assert len(model) == L
    rng = np.random.RandomState(seed)  # initialize_parameters_deep: one stream, W1, W2, ...
    for l, layer in enumerate(model, start=1):
        assert layer.activation == ("relu" if l < L else "sigmoid")
        assert layer.W.name == f"W{l}" and layer.b.name == f"b{l}"
        np.testing.assert_array_equal(layer.W.data, rng.randn(dims[l], dims[l - 1]) * 0.01)
        np.testing.assert_array_equal(layer.b.data, np.zeros((dims[l], 1)))
    assert model(np.ones((dims[0], 3))).shape == (dims[-1], 3)


def test_deep_network_seed_3_matches_the_notebook_and_checks_dims():
    model = nn.deep_network([5, 4, 3], seed=3)
    np.testing.assert_allclose(
        model[0].W.data[0], [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
        atol=1e-8,
    )
    for bad in ([5], [5, 0, 1], [2, 2.5, 1], [2, True]):
        with pytest.raises(ValueError, match="layer_dims"):
            nn.deep_network(bad)


# ---------------------------------------------------------------------------------------------
# Module: parameters, state dicts, save / load
# ---------------------------------------------------------------------------------------------


class TwoBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Dense(2, 3, seed=0)
        self.right = nn.Dense(2, 3, seed=1)

    def forward(self, X):
        return self.left(X) + self.right(X)


def test_named_parameters_fall_back_to_paths_when_course_names_repeat():
    model = TwoBranches()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["left.W", "left.b", "right.W", "right.b"]  # W, b, W, b would clash
    assert list(model.state_dict()) == names
    assert {id(w) for w in model.weights()} == {id(model.left.W), id(model.right.W)}
    model(np.ones((2, 1))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_a_tensor_used_twice_is_one_parameter():
    layer = nn.Dense(2, 2, seed=0)
    model = nn.Sequential(layer, layer)
    assert [n for n, _ in model.named_parameters()] == ["W1", "b1"]
    assert model.num_parameters() == 6


def test_module_misuse_is_explained():
    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.Dense(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Forgot()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_state_dict_is_a_copy_and_load_state_dict_checks_keys_and_shapes():
    model = nn.deep_network([2, 3, 1], seed=0)
    state = model.state_dict()
    state["W1"][...] = 5.0
    assert not np.any(model[0].W.data == 5.0)
    before = model.state_dict()
    with pytest.raises(KeyError, match=r"missing \['b2'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "b2"})
    with pytest.raises(KeyError, match=r"unexpected \['W3'\]"):
        model.load_state_dict({**state, "W3": np.zeros(1)})
    with pytest.raises(ShapeError, match=r"W2 has shape \(1, 3\).*\(3, 1\)"):
        model.load_state_dict({**state, "W2": np.zeros((3, 1))})
    for name, value in model.state_dict().items():  # nothing changed by the failed loads
        np.testing.assert_array_equal(value, before[name])
    W1 = model[0].W
    model.load_state_dict(state)
    assert model[0].W is W1 and np.all(W1.data == 5.0)  # in place: optimizers keep working


@given(dims=st.lists(sizes, min_size=2, max_size=4), seed=seeds)
@settings(max_examples=15, deadline=None)
def test_save_then_load_is_bit_for_bit(dims, seed):
    rng = np.random.default_rng(seed)
    model = nn.deep_network(dims, hidden="tanh", seed=rng)
    for p in model.parameters():
        p.data[...] = rng.normal(size=p.shape) * 10.0 ** rng.integers(-300, 300, size=p.shape)
    other = nn.deep_network(dims, hidden="tanh", seed=rng)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model")  # numpy adds .npz
        model.save(path)
        assert other.load(path) is other
        other.load(path + ".npz")
    for (name, a), (name_b, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert name == name_b and a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()  # bit for bit, signs of zero and all
    X = rng.normal(size=(dims[0], 3))
    with no_grad():
        assert model(X).data.tobytes() == other(X).data.tobytes()


# ---------------------------------------------------------------------------------------------
# bad input a learner gives: named in the course's notation, never a bare numpy error
# ---------------------------------------------------------------------------------------------


def _input_of(A):
    """The leaf a Dense layer multiplied by W: A = g(W @ X + b) -> X."""
    Z = A._ctx.parents[0] if A._ctx.name != "add" else A
    return Z._ctx.parents[0]._ctx.parents[1]


def test_a_numpy_input_is_named_x_or_a_prev_like_the_notes():
    model = nn.deep_network([2, 3, 1], hidden="tanh", seed=0)
    X = np.ones((2, 5))
    assert _input_of(model[0](X)).name == "X"
    assert _input_of(model[1](np.ones((3, 5)))).name == "A1"  # layer 2 gets A[1]
    with pytest.raises(ShapeError, match=r"Dense layer 1 got X \(5,\), a rank-1 array"):
        model(np.ones(5))
    mine = Tensor(np.ones((2, 5)))  # a user's own Tensor is not renamed
    model(mine)
    assert mine.name is None


def test_dense_refuses_input_that_is_not_real_numbers(recwarn):
    layer = nn.Dense(2, 1, seed=0, layer=1)
    with pytest.raises(DtypeError, match=r"Dense layer 1 got input of dtype <U1"):
        layer(np.array([["a"], ["b"]]))
    with pytest.raises(DtypeError, match=r"complex128"):
        layer(np.array([[1j], [2.0]]))
    with pytest.raises(DtypeError, match=r"object"):
        layer([[1.0], [None]])
    with pytest.raises(ShapeError, match=r"rows have different lengths"):
        layer([[1.0, 2.0], [3.0]])
    assert not [w for w in recwarn if "Complex" in type(w.message).__name__]
    assert layer([[1], [2]]).dtype == np.float64  # ints and bools are numbers


def test_load_state_dict_refuses_values_the_model_cannot_hold_and_changes_nothing():
    model = nn.deep_network([2, 3, 1], seed=0)
    before = model.state_dict()
    state = model.state_dict()
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([1, 2])
    with pytest.raises(DtypeError, match="W1 holds complex128"):
        model.load_state_dict({**state, "W1": state["W1"] + 1j})
    with pytest.raises(DtypeError, match="W1 holds <U"):
        model.load_state_dict({**state, "W1": np.full((3, 2), "a")})
    with pytest.raises(ValueError, match=r"b2 \(1, 1\) holds 1 nan/inf.*diverged"):
        model.load_state_dict({**state, "W1": state["W1"] * 2, "b2": np.full((1, 1), np.nan)})
    with pytest.raises(StateDictError) as raised:
        model.load_state_dict({**state, "W3": np.zeros(1)})
    assert isinstance(raised.value, KeyError)
    assert str(raised.value).startswith("load_state_dict into Sequential: unexpected ['W3']")
    for name, value in model.state_dict().items():
        assert value.tobytes() == before[name].tobytes()


def test_float64_values_load_into_a_float32_model_only_without_rounding():
    model32 = nn.Sequential(nn.Dense(2, 3, seed=0, dtype=np.float32))
    exact = {k: v.astype(np.float64) for k, v in model32.state_dict().items()}
    model32.load_state_dict(exact)  # float32 values written as float64: nothing lost
    rounded = {k: v + 1e-12 for k, v in exact.items()}
    with pytest.raises(DtypeError, match="would round"):
        model32.load_state_dict(rounded)
    model64 = nn.Sequential(nn.Dense(2, 3, seed=0))
    model64.load_state_dict(model32.state_dict())  # float32 into float64 is exact
    assert model64[0].W.dtype == np.float64


def test_save_returns_the_path_and_an_interrupted_save_keeps_the_earlier_file(
        tmp_path, monkeypatch):
    model = nn.deep_network([2, 3, 1], seed=0)
    assert model.save(tmp_path / "model") == tmp_path / "model.npz"
    good = (tmp_path / "model.npz").read_bytes()
    trained = nn.deep_network([2, 3, 1], seed=1)

    def crash(file, **arrays):
        file.write(b"PK half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        trained.save(tmp_path / "model.npz")
    monkeypatch.undo()
    assert (tmp_path / "model.npz").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no temporary left
    with pytest.raises(FileNotFoundError, match=r"folder .*missing.* does not exist"):
        model.save(tmp_path / "missing" / "model.npz")


def test_save_gives_the_file_the_permissions_np_savez_would(tmp_path):
    """The atomic save writes a temporary file first; it must not keep mkstemp's private
    0600 mode (a model saved on a shared course machine could not be read by the others)."""
    np.savez(tmp_path / "plain.npz", W=np.zeros(2))
    saved = nn.deep_network([2, 3, 1], seed=0).save(tmp_path / "model.npz")
    assert os.stat(saved).st_mode & 0o777 == os.stat(tmp_path / "plain.npz").st_mode & 0o777


def test_load_says_which_files_it_cannot_read(tmp_path):
    model = nn.deep_network([2, 3, 1], seed=0)
    with pytest.raises(FileNotFoundError, match=r"no file .*nope"):
        model.load(tmp_path / "nope")
    (tmp_path / "notes.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"not a file written by Module\.save"):
        model.load(tmp_path / "notes.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"not a file written by Module\.save"):
        model.load(tmp_path / "one.npy")


def test_sequential_needs_a_layer_and_seeds_are_in_numpys_range():
    with pytest.raises(ValueError, match="at least one layer"):
        nn.Sequential()
    with pytest.raises(ValueError, match=r"0 to 2\*\*32 - 1.*-1"):
        nn.Dense(2, 3, seed=-1)
    with pytest.raises(ValueError, match=r"0 to 2\*\*32 - 1"):
        nn.init.course(2, 3, 2**32)
