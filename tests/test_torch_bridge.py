"""The PyTorch bridge: ``model.to_torch()`` computes what the model computes (values and the
gradients of a cost, float64, to 1e-12) with the batch axis moved from columns to rows, and
``nn.Sequential.from_torch`` reads it back bit for bit. Runs where torch is importable (it is
the optional oracle); the core never imports torch."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="the PyTorch bridge needs torch (pip install torch)")

from tinygrad_edu import Tensor, nn  # noqa: E402
from tinygrad_edu.errors import ArgumentError, ArgumentTypeError  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu"]
BRIDGE = settings(max_examples=40, deadline=None)


@st.composite
def models(draw, dtype=np.float64):
    """A random Sequential: depth 1-4, widths 1-5, any activation per layer, any leaky slope,
    a seed for the weights (scaled so the activations are not saturated)."""
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in itertools.pairwise(widths):
        activation = draw(st.sampled_from(ACTIVATIONS))
        alpha = draw(st.floats(0.0, 0.5))
        layer = nn.Dense(n_in, n_out, activation=activation, alpha=alpha, dtype=dtype,
                         init=lambda o, i, _: rng.normal(size=(o, i)) / np.sqrt(i))
        layer.b.data[...] = rng.normal(size=(n_out, 1)) * 0.5
        layers.append(layer)
    m = draw(st.integers(1, 6))
    X = rng.normal(size=(widths[0], m)).astype(dtype)
    G = rng.normal(size=(widths[-1], m)).astype(dtype)  # J = Σ G * A: every output counts
    return nn.Sequential(*layers), X, G


def _ours(model, X, G):
    model.zero_grad()
    A = model(X)
    (A * G).sum().backward()
    return A.data, [(p.grad, p) for p in model.parameters()]


def _theirs(torch_model, X, G):
    A_T = torch_model(torch.from_numpy(X.T.copy()))  # examples are rows in torch
    (A_T * torch.from_numpy(G.T.copy())).sum().backward()
    linears = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    grads = []
    for linear in linears:
        grads.append(linear.weight.grad.numpy())  # dW = weight.grad
        grads.append(linear.bias.grad.numpy().reshape(-1, 1))  # db = bias.grad[:, None]
    return A_T.detach().numpy().T, grads


@given(case=models())
@BRIDGE
def test_to_torch_computes_the_same_outputs_and_gradients_in_float64(case):
    model, X, G = case
    torch_model = model.to_torch()
    assert isinstance(torch_model, torch.nn.Sequential)
    A, ours = _ours(model, X, G)
    A_torch, theirs = _theirs(torch_model, X, G)
    # the same float64 arithmetic up to summation order in the matrix products
    np.testing.assert_allclose(A_torch, A, rtol=1e-12, atol=1e-12)
    assert len(ours) == len(theirs)
    for (g, p), g_torch in zip(ours, theirs):
        np.testing.assert_allclose(g_torch, g, rtol=1e-12, atol=1e-12, err_msg=p.name)


@given(case=models())
@BRIDGE
def test_to_torch_then_from_torch_gives_back_identical_arrays(case):
    model, X, _ = case
    back = nn.Sequential.from_torch(model.to_torch())
    assert [layer.activation for layer in back] == [layer.activation for layer in model]
    for ours, theirs in zip(model, back):
        if ours.activation == "leaky_relu":
            assert theirs.alpha == ours.alpha
    for (name, a), (name_b, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert name == name_b and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(back(X).data, model(X).data)


@given(case=models(dtype=np.float32))
@BRIDGE
def test_float32_models_stay_float32_both_ways(case):
    model, X, G = case
    torch_model = model.to_torch()
    assert all(p.dtype == torch.float32 for p in torch_model.parameters())
    A, ours = _ours(model, X, G)
    A_torch, theirs = _theirs(torch_model, X, G)
    # float32: the two libraries round their sums differently, so compare to float32's
    # precision (a few ulps, amplified by at most four layers), not bit for bit
    np.testing.assert_allclose(A_torch, A, rtol=1e-4, atol=1e-5)
    for (g, _), g_torch in zip(ours, theirs):
        np.testing.assert_allclose(g_torch, g, rtol=1e-4, atol=1e-4)
    back = nn.Sequential.from_torch(torch_model)
    for a, b in zip(model.state_dict().values(), back.state_dict().values()):
        assert b.dtype == np.float32 and a.tobytes() == b.tobytes()


def test_the_course_network_and_its_cost_in_torch():
    """The flower network's cross-entropy is torch's BCELoss on the transposed batch, and the
    weight is Linear.weight itself."""
    from tinygrad_edu import data

    X, Y = data.load_planar_dataset()
    model = nn.deep_network([2, 4, 1], hidden="tanh", seed=2)
    torch_model = model.to_torch()
    np.testing.assert_array_equal(torch_model[0].weight.detach().numpy(), model[0].W.data)
    J = F.binary_cross_entropy(model(X), Y)
    J.backward()
    J_torch = torch.nn.BCELoss()(torch_model(torch.from_numpy(X.T.copy())),
                                 torch.from_numpy(Y.T.copy()))
    J_torch.backward()
    assert abs(J_torch.item() - J.item()) < 1e-12
    np.testing.assert_allclose(torch_model[0].weight.grad.numpy(), model[0].W.grad,
                               rtol=1e-10, atol=1e-15)


def test_a_single_dense_layer_and_nested_torch_sequentials():
    layer = nn.Dense(3, 2, activation="relu", seed=0)
    torch_model = layer.to_torch()
    assert [type(m).__name__ for m in torch_model] == ["Linear", "ReLU"]
    nested = torch.nn.Sequential(torch_model, torch.nn.Sequential(
        torch.nn.Linear(2, 1, dtype=torch.float64), torch.nn.Identity()))
    back = nn.Sequential.from_torch(nested)
    assert [(d.n_in, d.n_out, d.activation) for d in back] == [(3, 2, "relu"), (2, 1, "linear")]
    assert [p.name for p in back.parameters()] == ["W1", "b1", "W2", "b2"]
    lone = nn.Sequential.from_torch(torch.nn.Linear(4, 3))  # torch's default float32
    assert lone[0].W.dtype == np.float32 and lone[0].activation == "linear"


def test_what_the_bridge_cannot_carry_is_refused_with_its_name():
    with pytest.raises(ArgumentError, match=r"module 2 \(Softmax\(dim=1\)\) is an activation "
                                            r"that does not follow a Linear"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                                     torch.nn.Softmax(dim=1)))
    with pytest.raises(ArgumentError, match=r"normalises over dim=0.*the classes, dim=1"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3),
                                                     torch.nn.Softmax(dim=0)))
    with pytest.raises(ArgumentError, match=r"module 1 \(Softplus.*has no tinygrad_edu "
                                            r"equivalent.*reads Linear"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3),
                                                     torch.nn.Softplus()))
    with pytest.raises(ArgumentError, match=r"module 0 \(Tanh\(\)\) is an activation that "
                                            r"does not follow a Linear"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(2, 3)))
    with pytest.raises(ArgumentError, match=r"module 2 \(ReLU\(\)\) is an activation"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                                     torch.nn.ReLU()))
    with pytest.raises(ArgumentError, match=r"has no bias; a Dense layer always learns b"):
        nn.Sequential.from_torch(torch.nn.Linear(2, 3, bias=False))
    with pytest.raises(ArgumentError, match=r"Conv1d"):
        nn.Sequential.from_torch(torch.nn.Conv1d(1, 1, 3))
    with pytest.raises(ArgumentTypeError, match=r"expected a torch\.nn\.Module"):
        nn.Sequential.from_torch(nn.Dense(2, 1))
    custom = nn.Dense(2, 1, activation=lambda z: z * 2.0)
    with pytest.raises(ArgumentError, match=r"custom activation '<lambda>'"):
        custom.to_torch()

    class Twice(nn.Module):
        def forward(self, X):
            return X * 2.0

    with pytest.raises(ArgumentError, match=r"no PyTorch equivalent is declared for Twice"):
        nn.Sequential(nn.Dense(2, 2), Twice()).to_torch()


def test_library_activation_functions_passed_as_callables_convert():
    layers = [nn.Dense(2, 2, activation=F.tanh), nn.Dense(2, 2, activation=F.leaky_relu)]
    torch_model = nn.Sequential(*layers).to_torch()
    assert [type(m).__name__ for m in torch_model] == ["Linear", "Tanh", "Linear", "LeakyReLU"]
    assert torch_model[3].negative_slope == 0.01  # F.leaky_relu's own default slope


def test_the_core_never_imports_torch():
    code = ("import sys, tinygrad_edu, tinygrad_edu.nn, tinygrad_edu.optim, "
            "tinygrad_edu.training; from tinygrad_edu import nn; nn.deep_network([2, 1]); "
            "print('torch' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "False"


def test_values_are_copied_not_shared():
    model = nn.Dense(2, 2, seed=0)
    torch_model = model.to_torch()
    with torch.no_grad():
        torch_model[0].weight.add_(1.0)
    assert not np.array_equal(torch_model[0].weight.detach().numpy(), model.W.data)
    back = nn.Sequential.from_torch(torch_model)
    back[0].W.data += 1.0
    assert not np.array_equal(torch_model[0].weight.detach().numpy(), back[0].W.data)
    assert isinstance(back[0].W, Tensor)


# -- batch norm and dropout --------------------------------------------------------------------


@st.composite
def normed_models(draw, dropout=False, dtype=np.float64):
    """A random Sequential with batch norm: depth 1-4, widths 1-5; each Dense layer plain,
    ``batch_norm=True`` or followed by a ``BatchNorm`` (at least one of the two somewhere),
    optionally followed by a ``Dropout``; random γ, β, momentum and ε; batches of m >= 2."""
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    kinds = draw(st.lists(st.sampled_from(["plain", "batch_norm", "then_norm"]),
                          min_size=len(widths) - 1, max_size=len(widths) - 1))
    if "plain" in kinds and set(kinds) == {"plain"}:
        kinds[draw(st.integers(0, len(kinds) - 1))] = draw(st.sampled_from(["batch_norm",
                                                                            "then_norm"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layers = []
    for (n_in, n_out), kind in zip(itertools.pairwise(widths), kinds):
        activation = draw(st.sampled_from(ACTIVATIONS))
        momentum = draw(st.sampled_from([0.1, 0.3, 0.9]))
        eps = draw(st.sampled_from([1e-5, 1e-3]))
        layer = nn.Dense(n_in, n_out, activation=activation, dtype=dtype,
                         batch_norm=kind == "batch_norm", momentum=momentum, eps=eps,
                         init=lambda o, i, _: rng.normal(size=(o, i)) / np.sqrt(i))
        layers.append(layer)
        if kind == "plain":
            layer.b.data[...] = rng.normal(size=(n_out, 1)) * 0.5
        else:
            norm = layer if kind == "batch_norm" else nn.BatchNorm(n_out, momentum, eps,
                                                                  dtype=dtype)
            norm.gamma.data[...] = 1.0 + 0.5 * rng.normal(size=(n_out, 1))
            norm.beta.data[...] = 0.5 * rng.normal(size=(n_out, 1))
            if kind == "then_norm":
                layer.b.data[...] = rng.normal(size=(n_out, 1)) * 0.5
                layers.append(norm)
        if dropout and draw(st.booleans()):
            layers.append(nn.Dropout(keep_prob=draw(st.floats(0.05, 1.0)), seed=seed))
    m = draw(st.integers(2, 6))
    X = rng.normal(size=(widths[0], m)).astype(dtype)
    G = rng.normal(size=(widths[-1], m)).astype(dtype)  # J = Σ G * A: every output counts
    batches = [rng.normal(size=(widths[0], draw(st.integers(2, 6)))).astype(dtype)
               for _ in range(draw(st.integers(1, 3)))]  # training passes before eval
    return nn.Sequential(*layers), X, G, batches


def _all_grads(model, torch_model, X, G):
    """Our (A, grads) and torch's, the parameters matched in order (W, b, γ, β per layer are
    weight, bias, weight, bias of Linear and BatchNorm1d, (n,) vectors for (n, 1) columns),
    and the size of the terms the gradients are sums of (see ``_assert_agree``)."""
    model.zero_grad()
    A, scale = Tensor(X), 1.0
    layer_inputs_outputs = []
    for layer in model:  # layer by layer, to read each output's .grad after backward
        A_next = layer(A)
        layer_inputs_outputs.append((A, A_next))
        A = A_next
    (A * G).sum().backward()
    for A_in, A_out in layer_inputs_outputs:  # dW = Σ dZ A_prev, db = Σ dZ over the examples
        if A_out.grad is not None:
            scale = max(scale, float(np.abs(A_out.grad).sum(axis=1).max())
                        * max(1.0, float(np.abs(A_in.data).max())))
    A_T = torch_model(torch.from_numpy(X.T.copy()))  # examples are rows in torch
    (A_T * torch.from_numpy(G.T.copy())).sum().backward()
    ours, theirs = model.parameters(), list(torch_model.parameters())
    assert len(ours) == len(theirs)
    grads = [(p.name, p.grad, t.grad.numpy().reshape(p.shape)) for p, t in zip(ours, theirs)]
    return A.data, A_T.detach().numpy().T, grads, scale


def _running_averages(torch_model):
    return [b.numpy().reshape(-1, 1) for name, b in torch_model.named_buffers()
            if name.endswith(("running_mean", "running_var"))]


def _assert_agree(model, torch_model, X, G):
    A, A_torch, grads, scale = _all_grads(model, torch_model, X, G)
    # the same float64 arithmetic up to summation order (matrix products, the batch's sums)
    np.testing.assert_allclose(A_torch, A, rtol=1e-12, atol=1e-12)
    # A gradient is a sum over the examples (db = Σ dZ, dW = dZ A_prev.T); before a batch
    # norm that sum is 0 in exact arithmetic (the mean is subtracted) and what is computed
    # is the rounding of terms of size |dZ|, which 1/√(σ² + ε) makes large when a unit
    # barely varies over the batch. So the absolute tolerance is 1e-13 of those terms' size
    # (~1000 roundings; at least 1e-12), not of the (vanishing) sum. Measured over 400 drawn
    # models: the largest difference is under 1e-14 of that size (and ~1e-12 absolute).
    for name, g, g_torch in grads:
        np.testing.assert_allclose(g_torch, g, rtol=1e-12, atol=max(1e-12, 1e-13 * scale),
                                   err_msg=name)
    ours = [b.data for _, b in model.named_buffers()]
    theirs = _running_averages(torch_model)  # updated by the forward passes just made
    assert len(ours) == len(theirs)
    for name, a, a_torch in zip(dict(model.named_buffers()), ours, theirs):
        np.testing.assert_allclose(a_torch, a, rtol=1e-12, atol=1e-12, err_msg=name)


@given(case=normed_models())
@BRIDGE
def test_batch_norm_in_training_mode_uses_the_batch_statistics_as_torch_does(case):
    model, X, G, _ = case
    torch_model = model.to_torch()
    assert torch_model.training and all(m.training for m in torch_model)
    kinds = [type(m).__name__ for m in torch_model]
    assert "BatchNorm1d" in kinds
    _assert_agree(model, torch_model, X, G)  # outputs, gradients, the running averages


@given(case=normed_models(dropout=True))
@BRIDGE
def test_eval_mode_uses_the_running_averages_as_torch_does(case):
    model, X, G, batches = case
    model.train()
    torch_trained = model.to_torch()
    training = [m for m in model if not isinstance(m, nn.Dropout)]
    no_dropout = nn.Sequential(*training)  # the same layers: dropout masks differ by design
    torch_no_dropout = torch.nn.Sequential(*[m for m in torch_trained
                                             if not isinstance(m, torch.nn.Dropout)])
    before = [a.copy() for a in no_dropout.state_dict().values()]
    with torch.no_grad():
        for batch in batches:  # a few training passes in both: the running averages move
            no_dropout(batch)
            torch_no_dropout(torch.from_numpy(batch.T.copy()))
    after = list(no_dropout.state_dict().values())
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    # both update with momentum and the unbiased batch variance m/(m-1) σ²
    for (name, a), a_torch in zip(model.named_buffers(), _running_averages(torch_trained)):
        np.testing.assert_allclose(a_torch, a.data, rtol=1e-12, atol=1e-12, err_msg=name)

    model.eval()
    torch_model = model.to_torch()  # converted in eval mode: the buffers copied as they are
    assert not torch_model.training and not any(m.training for m in torch_model)
    for (name, a), a_torch in zip(model.named_buffers(), _running_averages(torch_model)):
        assert a.data.tobytes() == a_torch.tobytes(), name
    _assert_agree(model, torch_model, X, G)  # eval: dropout off, the running averages used
    torch_trained.eval()  # the model trained in torch evaluates the same too
    A_torch = torch_trained(torch.from_numpy(X.T.copy())).detach().numpy().T
    np.testing.assert_allclose(A_torch, model(X).data, rtol=1e-12, atol=1e-12)


@given(case=normed_models(dropout=True), dtype=st.sampled_from([np.float64, np.float32]),
       training=st.booleans())
@BRIDGE
def test_round_trip_with_batch_norm_and_dropout_gives_back_identical_arrays(case, dtype,
                                                                           training):
    model, X, _, batches = case
    if dtype == np.float32:
        model.load_state_dict({k: v.astype(np.float32) for k, v in model.state_dict().items()})
    for batch in batches:
        model(batch)  # running averages that are not the initial ones
    model.train(training)
    back = nn.Sequential.from_torch(model.to_torch())
    assert [type(m) for m in back] == [type(m) for m in model]
    for ours, theirs in zip(model, back):
        assert theirs.training is training
        if isinstance(ours, nn.Dropout):
            assert theirs.keep_prob == ours.keep_prob  # the same float, not 1 - (1 - k)
        if isinstance(ours, nn.BatchNorm) or getattr(ours, "batch_norm", False):
            assert (theirs.momentum, theirs.eps) == (ours.momentum, ours.eps)
        if isinstance(ours, nn.Dense):
            assert (theirs.batch_norm, theirs.activation) == (ours.batch_norm, ours.activation)
    assert back.training is training
    state, state_back = model.state_dict(), back.state_dict()
    assert list(state) == list(state_back)  # parameters and buffers, the same names
    for name in state:
        a, b = state[name], state_back[name]
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
    model.eval()
    back.eval()
    np.testing.assert_array_equal(back(X).data, model(X).data)


def test_dropout_is_torch_dropout_with_p_one_minus_keep_prob():
    layer = nn.Dropout(keep_prob=0.8, seed=0)
    (dropout,) = layer.to_torch()
    assert isinstance(dropout, torch.nn.Dropout) and dropout.p == pytest.approx(0.2)
    # keep_prob below 0.5: 1 - (1 - k) rounds, the remembered keep_prob comes back exactly
    k = 0.1
    assert 1.0 - (1.0 - k) != k
    assert nn.Sequential.from_torch(nn.Dropout(k).to_torch())[0].keep_prob == k
    # a torch Dropout (or one whose p was changed since) is read as keep_prob = 1 - p
    assert nn.Sequential.from_torch(torch.nn.Dropout(p=0.25))[0].keep_prob == 0.75
    dropout.p = 0.5
    assert nn.Sequential.from_torch(dropout)[0].keep_prob == 0.5
    assert nn.Sequential.from_torch(torch.nn.Dropout(p=0.0))[0].keep_prob == 1.0
    with pytest.raises(ArgumentError, match=r"drops every unit \(p = 1\)"):
        nn.Sequential.from_torch(torch.nn.Dropout(p=1.0))


def test_dropout_in_training_mode_masks_and_scales_alike():
    """Not the same random numbers, but the same kind of output: each unit 0 or A/keep_prob
    in both, about keep_prob of them kept."""
    keep_prob = 0.7
    X = np.random.default_rng(0).uniform(1.0, 2.0, size=(50, 400))
    ours = nn.Dropout(keep_prob, seed=1)(X).data
    torch.manual_seed(1)
    theirs = nn.Dropout(keep_prob).to_torch()(torch.from_numpy(X.T.copy())).numpy().T
    for out in (ours, theirs):
        kept = out != 0
        np.testing.assert_allclose(out[kept], X[kept] / keep_prob, rtol=1e-15)
        assert abs(kept.mean() - keep_prob) < 0.01  # 20000 draws: 5 standard deviations
    assert not np.array_equal(ours != 0, theirs != 0)  # different masks, as documented


def test_batch_norm_layers_map_to_batch_norm_1d():
    dense = nn.Dense(3, 2, activation="tanh", batch_norm=True, momentum=0.3, eps=1e-3, seed=0)
    dense.gamma.data[...] = [[2.0], [3.0]]
    dense.running_var.data[...] = [[4.0], [5.0]]
    linear, norm, tanh = dense.to_torch()
    assert linear.bias is None and isinstance(tanh, torch.nn.Tanh)
    assert (norm.num_features, norm.momentum, norm.eps) == (2, 0.3, 1e-3)
    assert norm.weight.detach().numpy().tolist() == [2.0, 3.0]  # weight = gamma[:, 0]
    assert norm.running_var.numpy().tolist() == [4.0, 5.0]
    lone = nn.Sequential.from_torch(torch.nn.BatchNorm1d(4, dtype=torch.float64))
    assert isinstance(lone[0], nn.BatchNorm) and lone[0].gamma.shape == (4, 1)
    # a Linear with a bias before BatchNorm1d: Dense, then BatchNorm (named after layer 1)
    back = nn.Sequential.from_torch(torch.nn.Sequential(
        torch.nn.Linear(3, 2, dtype=torch.float64), torch.nn.BatchNorm1d(2, dtype=torch.float64),
        torch.nn.Linear(2, 1, bias=False, dtype=torch.float64),
        torch.nn.BatchNorm1d(1, dtype=torch.float64), torch.nn.Sigmoid()))
    assert [type(m).__name__ for m in back] == ["Dense", "BatchNorm", "Dense"]
    assert (back[0].batch_norm, back[2].batch_norm, back[2].activation) == (False, True,
                                                                           "sigmoid")
    assert list(back.state_dict()) == ["W1", "b1", "gamma1", "beta1", "W2", "gamma2", "beta2",
                                       "running_mean1", "running_var1", "running_mean2",
                                       "running_var2"]


def test_batch_norm_the_bridge_cannot_carry_is_refused_with_its_name():
    f64 = {"dtype": torch.float64}
    cases = [
        (torch.nn.BatchNorm1d(2, affine=False), r"BatchNorm1d\(2.*affine=False.*does not "
                                                r"learn both a weight and a bias"),
        (torch.nn.BatchNorm1d(2, track_running_stats=False), r"keeps no running averages"),
        (torch.nn.BatchNorm1d(2, momentum=None), r"momentum=None, a cumulative average"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3, **f64), torch.nn.BatchNorm1d(3, **f64),
                             torch.nn.ReLU()),
         r"module 2 \(ReLU\(\)\) is an activation after a BatchNorm1d.*bias=False"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False), torch.nn.BatchNorm1d(4)),
         r"module 1 .* normalises 4 features, but the Linear before it gives 3"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm2d(3)),
         r"module 1 \(BatchNorm2d.*has no tinygrad_edu equivalent.*BatchNorm1d, Dropout"),
        (torch.nn.AlphaDropout(0.2), r"AlphaDropout.*has no tinygrad_edu equivalent"),
    ]
    for module, message in cases:
        with pytest.raises(ArgumentError, match=message):
            nn.Sequential.from_torch(module)
    with pytest.raises(ArgumentError, match=r"module 0 .*has no bias.*unless a BatchNorm1d"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False),
                                                     torch.nn.ReLU()))


def test_a_softmax_classifier_crosses_with_its_outputs_and_gradients():
    """Dense(..., "softmax") is Linear + Softmax(dim=1): our classes are the rows of A (C, m),
    torch's the columns of A.T (m, C); the categorical cross-entropy and its gradients agree."""
    rng = np.random.default_rng(11)
    model = nn.Sequential(nn.Dense(2, 5, activation="tanh", seed=1),
                          nn.Dense(5, 3, activation="softmax", seed=2))
    X = rng.normal(size=(2, 7))
    Y = np.eye(3)[:, rng.integers(0, 3, size=7)]
    J = nn.functional.categorical_cross_entropy(model(X), Y)
    J.backward()
    ours = model.to_torch()
    assert isinstance(ours[-1], torch.nn.Softmax) and ours[-1].dim == 1
    A_t = ours(torch.tensor(X.T))
    np.testing.assert_allclose(A_t.detach().numpy().T, model(X).data, rtol=1e-12, atol=1e-15)
    J_t = -(torch.tensor(Y.T) * torch.log(A_t)).sum() / X.shape[1]
    J_t.backward()
    np.testing.assert_allclose(J_t.item(), J.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[2].weight.grad.numpy(), model[1].W.grad, rtol=1e-9,
                               atol=1e-14)
    back = nn.Sequential.from_torch(ours)
    assert [d.activation for d in back] == ["tanh", "softmax"]
    np.testing.assert_array_equal(back(X).data, model(X).data)
