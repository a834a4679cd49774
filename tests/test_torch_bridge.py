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
    with pytest.raises(ArgumentError, match=r"module 2 \(Softmax\(dim=1\)\) has no "
                                            r"tinygrad_edu equivalent.*reads Linear"):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                                     torch.nn.Softmax(dim=1)))
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
