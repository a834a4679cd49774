"""Softmax, dropout and batch norm beyond their formulas (F11-F13 are in test_formulas_*):
labels refused when the cost cannot mean them, the train/eval modes of fit, predict and
accuracy, buffers in state dicts and files, second derivatives, explain and viz."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds

from tinygrad_edu import (
    DataError,
    DtypeError,
    ModeError,
    ShapeError,
    StateDictError,
    Tensor,
    explain,
    grad,
    gradcheck,
    nn,
    optim,
    training,
    viz,
)
from tinygrad_edu.nn import functional as F


def one_hot_columns(rng, C, m):
    return F.one_hot(rng.integers(0, C, size=m), C)


# -- labels ------------------------------------------------------------------------------------


def test_one_hot_and_predictions_are_inverse():
    labels = np.array([[2, 0, 1, 2]])
    Y = F.one_hot(labels, 3)
    assert Y.shape == (3, 4) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(F.predictions(Y), labels)
    np.testing.assert_array_equal(F.one_hot([1, 0], 2), [[0, 1], [1, 0]])


@pytest.mark.parametrize(("labels", "C", "error"), [
    ([0, 3], 3, DataError),  # not a class index
    ([0.5, 1], 3, DataError),  # not a whole number
    ([-1, 0], 3, DataError),
    (np.zeros((2, 2)), 3, ShapeError),  # already (C, m)
    ([0, 1], 0, ValueError),
])
def test_one_hot_refuses_what_is_not_a_class_index(labels, C, error):
    with pytest.raises(error):
        F.one_hot(labels, C)


@pytest.mark.parametrize("cost", [F.categorical_cross_entropy,
                                  F.categorical_cross_entropy_with_logits])
def test_the_categorical_costs_refuse_labels_they_cannot_mean(cost):
    Z = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    A = F.softmax(Z) if cost is F.categorical_cross_entropy else Z
    with pytest.raises(ShapeError, match=r"one_hot\(labels, 3\)"):
        cost(A, np.array([[0, 1, 2, 1]]))  # class indices, not one-hot
    with pytest.raises(ShapeError, match=r"\(3, 4\)"):
        cost(A, np.eye(4))  # C mismatch
    with pytest.raises(DataError, match="one-hot"):
        cost(A, np.full((3, 4), 1 / 3))  # soft labels: dZ = (A - Y)/m needs one 1 per column
    with pytest.raises(DataError, match="column 1 with 2 ones"):
        cost(A, np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1.0]]))
    with pytest.raises(ShapeError, match="reshape"):
        cost(Tensor(np.ones(3), requires_grad=True), np.eye(3)[:, 0])  # rank-1
    assert Z.grad is None


def test_fused_cross_entropy_adds_the_softmax_rule_for_other_uses_of_A():
    rng = np.random.default_rng(1)
    z, y, w = rng.normal(size=(3, 5)), one_hot_columns(rng, 3, 5), rng.normal(size=(3, 5))
    Z = Tensor(z, requires_grad=True)
    A = F.softmax(Z)
    (F.categorical_cross_entropy(A, y) + (A * w).sum()).backward()
    a = A.data
    expected = (a - y) / 5 + a * (w - (w * a).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(Z.grad, expected, rtol=1e-12, atol=1e-15)


@numeric_settings(25)
@given(seed=seeds, C=st.integers(2, 4), m=st.integers(1, 4))
def test_softmax_cross_entropy_second_derivative(seed, C, m):
    """The Hessian-vector product of J(Z) from grad(create_graph=True) equals the
    directional difference of the gradient (the rules run on Tensors)."""
    rng = np.random.default_rng(seed)
    z, y, v = rng.normal(size=(C, m)), one_hot_columns(rng, C, m), rng.normal(size=(C, m))
    Z = Tensor(z, requires_grad=True)
    dZ = grad(F.categorical_cross_entropy(F.softmax(Z), y), Z, create_graph=True)
    hv = grad((dZ * v).sum(), Z)

    def gradient(values):
        T = Tensor(values, requires_grad=True)
        return grad(F.categorical_cross_entropy(F.softmax(T), y), T)

    numeric = (gradient(z + 1e-5 * v) - gradient(z - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-8)


@numeric_settings(25)
@given(seed=seeds, n=st.integers(1, 3), m=st.integers(2, 5))
def test_batch_norm_second_derivative(seed, n, m):
    rng = np.random.default_rng(seed)
    z, w, v = rng.normal(size=(n, m)), rng.normal(size=(n, m)), rng.normal(size=(n, m))
    gamma, beta = rng.uniform(0.5, 2.0, size=(n, 1)), rng.normal(size=(n, 1))

    def cost(T):
        return (F.batch_norm(T, gamma, beta).tanh() * w).sum()

    Z = Tensor(z, requires_grad=True)
    hv = grad((grad(cost(Z), Z, create_graph=True) * v).sum(), Z)

    def gradient(values):
        T = Tensor(values, requires_grad=True)
        return grad(cost(T), T)

    numeric = (gradient(z + 1e-5 * v) - gradient(z - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(hv, numeric, rtol=1e-4, atol=1e-6)


def test_dropout_second_derivative_uses_the_same_mask():
    A = Tensor(np.random.default_rng(2).normal(size=(3, 4)), requires_grad=True)
    out = F.dropout(A, 0.5, seed=np.random.default_rng(3))
    dA = grad((out * out).sum(), A, create_graph=True)  # 2 A D² / keep_prob²
    hv = grad(dA.sum(), A)
    D = np.random.default_rng(3).random((3, 4)) < 0.5
    np.testing.assert_allclose(hv, 2 * D / 0.25, rtol=1e-12)


# -- modes -------------------------------------------------------------------------------------


def small_model(seed=0, keep_prob=0.5):
    return nn.Sequential(nn.Dense(2, 6, "tanh", seed=seed, batch_norm=True),
                         nn.Dropout(keep_prob, seed=seed),
                         nn.Dense(6, 3, "softmax", seed=seed + 1))


def test_train_and_eval_set_every_layer():
    model = small_model()
    assert model.training and all(layer.training for layer in model)
    assert model.eval() is model
    assert not model.training and not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)
    with pytest.raises(TypeError):
        model.train("no")


def test_dropout_only_in_training_and_a_new_mask_each_call():
    X = np.ones((2, 8))
    layer = nn.Dropout(0.5, seed=4)
    first, second = layer(Tensor(X)).data, layer(Tensor(X)).data
    assert set(np.unique(first)) <= {0.0, 2.0} and not np.array_equal(first, second)
    layer.eval()
    T = Tensor(X)
    assert layer(T) is T


def test_fit_trains_in_training_mode_and_predict_evaluates_in_eval_mode():
    rng = np.random.default_rng(5)
    X, labels = rng.normal(size=(2, 30)), rng.integers(0, 3, size=(1, 30))
    model = small_model()
    seen = []
    training.fit(model, X, F.one_hot(labels, 3), loss="categorical_cross_entropy", lr=0.1,
                 iterations=3, print_every=0,
                 callback=lambda i, cost, m: seen.append(m.training and m[1].training))
    assert seen == [True] * 3 and model.training  # the mode it had before
    model.eval()
    before = model[0].running_mean.data.copy()
    training.fit(model, X, F.one_hot(labels, 3), loss="categorical_cross_entropy", lr=0.1,
                 iterations=1, print_every=0)
    assert not model.training  # put back: eval
    assert not np.array_equal(model[0].running_mean.data, before)  # it trained in train mode
    model.train()
    first, second = training.predict(model, X), training.predict(model, X)
    np.testing.assert_array_equal(first, second)  # no dropout, running averages
    assert first.shape == (1, 30) and set(np.unique(first)) <= {0, 1, 2}
    assert model.training  # put back: train
    with pytest.raises(ShapeError):  # a failed predict puts the mode back too
        training.predict(model, X.T)
    assert model.training and all(layer.training for layer in model)


def test_accuracy_for_many_classes_takes_one_hot_or_indices_and_binary_stays():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2, 20))
    model = nn.Sequential(nn.Dense(2, 3, "softmax", seed=1))
    labels = training.predict(model, X)
    assert training.accuracy(model, X, labels) == 100.0
    assert training.accuracy(model, X, F.one_hot(labels, 3)) == 100.0
    assert training.accuracy(model, X, (labels + 1) % 3) == 0.0
    with pytest.raises(ShapeError):
        training.accuracy(model, X, labels[:, :5])
    binary = nn.Sequential(nn.Dense(2, 1, "sigmoid", seed=1))
    assert set(np.unique(training.predict(binary, X))) <= {0, 1}
    assert training.predict(binary, X).shape == (1, 20)


def test_fit_refuses_labels_that_are_not_one_hot_and_changes_nothing():
    model = small_model()
    state = model.state_dict()
    with pytest.raises(DataError, match="one_hot"):
        training.fit(model, np.ones((2, 4)), np.array([[0, 1, 2, 1]]),
                     loss="categorical_cross_entropy", iterations=2, print_every=0)
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in state.items())
    assert model.training


def test_gradcheck_refuses_dropout_in_training_and_passes_in_eval():
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(2, 5)), one_hot_columns(rng, 3, 5)
    model = small_model()
    W1 = model[0].W

    def cost(*parameters):
        return F.categorical_cross_entropy(model(X), Y)

    with pytest.raises(ModeError, match=r"model\.eval\(\)"):
        gradcheck(cost, [W1])
    model.eval()
    assert gradcheck(cost, [W1, model[0].gamma, model[2].W])


# -- batch norm layers, buffers ----------------------------------------------------------------


def test_dense_with_batch_norm_has_no_bias_and_buffers_are_not_parameters():
    model = small_model()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["W1", "gamma1", "beta1", "W2", "b2"]
    assert [name for name, _ in model.named_buffers()] == ["running_mean1", "running_var1"]
    assert list(model.state_dict()) == [*names, "running_mean1", "running_var1"]
    assert [w.name for w in model.weights()] == ["W1", "W2"]
    assert model[0].b is None
    X = np.random.default_rng(8).normal(size=(2, 7))
    A = model(X)
    assert {"Z1", "Z_tilde1", "A1", "A_drop1", "A2"} <= {t.name for t in _graph(A)}


def _graph(t):
    from tinygrad_edu.autograd import topological_order
    return topological_order(t, False)


def test_batch_norm_module_in_sequential_takes_the_dense_index():
    model = nn.Sequential(nn.Dense(2, 4, seed=1), nn.BatchNorm(4), nn.Dense(4, 1, "sigmoid"))
    assert [n for n, _ in model.named_parameters()] == ["W1", "b1", "gamma1", "beta1", "W2",
                                                       "b2"]
    assert model(np.ones((2, 3))).shape == (1, 3)


def test_running_averages_are_saved_and_loaded(tmp_path):
    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(2, 40)), one_hot_columns(rng, 3, 40)
    model = small_model()
    training.fit(model, X, Y, loss="categorical_cross_entropy", lr=0.1, iterations=5,
                 print_every=0, batch_size=10, seed=0)
    path = model.save(tmp_path / "model")
    other = small_model(seed=3)
    other.load(path)
    np.testing.assert_array_equal(other[0].running_var.data, model[0].running_var.data)
    np.testing.assert_array_equal(training.predict(other, X), training.predict(model, X))
    state = model.state_dict()
    del state["running_mean1"]
    before = other.state_dict()
    with pytest.raises(StateDictError, match="running_mean1"):
        other.load_state_dict(state)
    assert all(np.array_equal(v, other.state_dict()[k]) for k, v in before.items())


def test_optimizers_do_not_see_the_running_averages():
    model = small_model()
    params = {id(p) for p in model.parameters()}
    assert id(model[0].running_mean) not in params and id(model[0].running_var) not in params
    optim.SGD(model.parameters(), lr=0.1)


def test_batch_norm_refuses_one_example_in_training_but_not_in_eval():
    layer = nn.BatchNorm(3)
    with pytest.raises(ShapeError, match="at least 2"):
        layer(Tensor(np.ones((3, 1))))
    layer.eval()
    assert layer(Tensor(np.ones((3, 1)))).shape == (3, 1)
    with pytest.raises(ShapeError, match=r"\(n, 1\)"):
        F.batch_norm(np.ones((3, 4)), np.ones((4, 1)), np.zeros((3, 1)))


# -- what the ops keep: their settings as attributes, the forward's values in ctx.saved --------


def test_dropout_lists_keep_prob_as_its_setting_and_saves_the_mask_its_rule_uses():
    A = Tensor(np.random.default_rng(14).normal(size=(3, 5)), requires_grad=True, name="A1")
    G = np.random.default_rng(15).normal(size=(3, 5))  # an upstream gradient dA_out
    out = F.dropout(A, 0.6, seed=np.random.default_rng(16))
    out.name = "A_drop1"
    ctx = out._ctx
    assert ctx.attributes() == {"keep_prob": 0.6}  # no mask, no generator
    assert not hasattr(ctx, "mask")
    D = np.random.default_rng(16).random((3, 5)) < 0.6  # the mask the forward drew
    assert ctx.saved.dtype == np.bool_
    np.testing.assert_array_equal(ctx.saved, D)
    np.testing.assert_array_equal(out.data, A.data * D / 0.6)
    other = ~D  # the rule reads ctx.saved: another mask there, another gradient
    ctx.saved = other
    J = (out * Tensor(G)).sum()
    J.backward()
    np.testing.assert_array_equal(A.grad, G * other / 0.6)  # dA = dA_out * D / keep_prob
    e = explain(J)
    assert "dA1 = dA_drop1 * D1 / keep_prob" in str(e)
    np.testing.assert_array_equal(e["dA1"].evaluate(), G * other / 0.6)  # D1 is ctx.saved


def test_batch_norm_lists_eps_as_its_setting_and_saves_the_statistics_its_rule_uses():
    rng = np.random.default_rng(17)
    Z = Tensor(rng.normal(size=(3, 6)), requires_grad=True, name="Z1")
    gamma = Tensor(rng.normal(size=(3, 1)), requires_grad=True, name="gamma1")
    beta = Tensor(rng.normal(size=(3, 1)), requires_grad=True, name="beta1")
    G = rng.normal(size=(3, 6))  # an upstream gradient dZ̃
    out = F.batch_norm(Z, gamma, beta, eps=1e-3)
    out.name = "Z_tilde1"
    ctx = out._ctx
    assert ctx.attributes() == {"eps": 1e-3}
    assert not hasattr(ctx, "z_norm") and not hasattr(ctx, "std")
    z_norm, std = ctx.saved
    assert ctx.saved.z_norm is z_norm and ctx.saved.std is std  # a named tuple
    mu, var = Z.data.mean(axis=1, keepdims=True), Z.data.var(axis=1, keepdims=True)
    np.testing.assert_allclose(std, np.sqrt(var + 1e-3), rtol=1e-14)  # √(σ² + ε) (n, 1)
    np.testing.assert_allclose(z_norm, (Z.data - mu) / np.sqrt(var + 1e-3), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_array_equal(out.data, gamma.data * z_norm + beta.data)  # the forward's
    z2, std2 = rng.normal(size=(3, 6)), rng.uniform(0.5, 2.0, size=(3, 1))
    ctx.saved = type(ctx.saved)(z2, std2)  # the rule reads ctx.saved: other statistics there
    J = (out * Tensor(G)).sum()
    J.backward()
    m = 6
    dbeta = G.sum(axis=1, keepdims=True)  # dβ = Σ dZ̃
    dgamma = (G * z2).sum(axis=1, keepdims=True)  # dγ = Σ dZ̃ Z_norm
    dZ = gamma.data / (m * std2) * (m * G - dbeta - z2 * dgamma)
    np.testing.assert_allclose(beta.grad, dbeta, rtol=1e-13)
    np.testing.assert_allclose(gamma.grad, dgamma, rtol=1e-13)
    np.testing.assert_allclose(Z.grad, dZ, rtol=1e-12, atol=1e-14)
    e = explain(J)
    assert "dgamma1 = np.sum(dZ_tilde1 * Z_norm1, axis=1, keepdims=True)" in str(e)
    assert "dZ1 = gamma1 / (m * √(σ1² + ε)) * (m * dZ_tilde1 - " in str(e)
    for name, value in (("dgamma1", dgamma), ("dZ1", dZ)):  # Z_norm1, √(σ1² + ε): ctx.saved
        np.testing.assert_allclose(e[name].evaluate(), value, rtol=1e-12, atol=1e-14)


# -- explain and viz ---------------------------------------------------------------------------


def test_explain_prints_the_course_forms_and_they_evaluate_to_the_grads():
    rng = np.random.default_rng(10)
    X, Y = rng.normal(size=(2, 6)), one_hot_columns(rng, 3, 6)
    model = small_model()
    J = F.categorical_cross_entropy(model(X), Y)
    J.backward()
    lines = explain(J)
    text = str(lines)
    assert "dZ2 = (A2 - Y) / m" in text
    assert "dA1 = dA_drop1 * D1 / keep_prob" in text
    assert "dgamma1 = np.sum(dZ_tilde1 * Z_norm1, axis=1, keepdims=True)" in text
    assert "dbeta1 = np.sum(dZ_tilde1, axis=1, keepdims=True)" in text
    assert ("dZ1 = gamma1 / (m * √(σ1² + ε)) * (m * dZ_tilde1 - np.sum(dZ_tilde1, axis=1, "
            "keepdims=True) - Z_norm1 * np.sum(dZ_tilde1 * Z_norm1, axis=1, keepdims=True))"
            ) in text
    for eq in lines:
        np.testing.assert_allclose(eq.evaluate(), eq.target.grad, rtol=1e-12, atol=1e-15,
                                   err_msg=eq.text)


def test_viz_draws_the_new_ops_with_their_symbols():
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(2, 6)), one_hot_columns(rng, 3, 6)
    model = small_model()
    dot = viz.to_dot(F.categorical_cross_entropy(model(X), Y), equations=True)
    for label in ("softmax", "categorical cross-entropy", "dropout (keep_prob=0.5)",
                  "batch norm", "(A2 - Y) / m"):
        assert label in dot, label
    assert "reduction" not in dot and "eps=" not in dot


def test_a_buffer_stays_registered_when_reassigned():
    layer = nn.BatchNorm(2)
    layer.running_mean = Tensor(np.full((2, 1), 3.0), name="running_mean")
    np.testing.assert_array_equal(layer.state_dict()["running_mean"], [[3.0], [3.0]])
    with pytest.raises(TypeError, match="buffer"):
        layer.running_var = np.ones((2, 1))


def test_blobs_and_rings_keep_their_class_index_without_parity():
    from tinygrad_edu import data

    _, labels = data.blobs(n_samples=40, centers=4, seed=0, parity=False)
    assert sorted(np.unique(labels)) == [0, 1, 2, 3] and labels.shape == (1, 40)
    _, parity = data.blobs(n_samples=40, centers=4, seed=0)
    np.testing.assert_array_equal(parity, labels % 2)
    _, rings = data.gaussian_quantiles(n_samples=30, n_classes=3, seed=0, parity=False)
    assert np.bincount(rings.ravel().astype(int)).tolist() == [10, 10, 10]


def test_explain_writes_the_logits_form_out():
    rng = np.random.default_rng(12)
    Z = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="Z2")
    J = F.categorical_cross_entropy_with_logits(Z, one_hot_columns(rng, 3, 4))
    J.backward()
    (line,) = explain(J)
    assert line.text == "dZ2 = (np.exp(Z2) / np.sum(np.exp(Z2), axis=0, keepdims=True) - Y) / m"
    np.testing.assert_allclose(line.evaluate(), Z.grad, rtol=1e-12, atol=1e-16)


def test_a_fit_refused_at_its_first_step_leaves_the_running_averages_alone():
    model = small_model()
    state = model.state_dict()

    def strict_loss(A, Y):  # a callable loss: fit cannot check the labels before the forward
        return F.categorical_cross_entropy(A, Y)

    with pytest.raises(DataError, match="one-hot"):
        training.fit(model, np.random.default_rng(13).normal(size=(2, 6)), np.ones((3, 6)),
                     loss=strict_loss, iterations=2, print_every=0)
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in state.items())


def test_text_labels_are_refused_in_the_categorical_costs_own_name():
    A = F.softmax(Tensor(np.zeros((2, 3)), requires_grad=True))
    for cost in (F.categorical_cross_entropy, F.categorical_cross_entropy_with_logits):
        with pytest.raises(DtypeError, match=rf"^{cost.__name__}: the labels Y"):
            cost(A, [["a", "b", "c"], ["d", "e", "f"]])
