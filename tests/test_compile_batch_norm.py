"""tinygrad_edu.compile with batch norm (F13) and dropout (F12): compiled == eager.

The generated forward computes the batch statistics with the numpy calls of
``normalization.batch_statistics`` in its order, updates the running averages as
``batch_norm`` does (``running_mean1 *= 0.9``, ``running_mean1 += 0.1 * np.mean(...)``), and
the backward is the op's closed-form rule as explain prints it. The same numpy calls in the
same order on the same arrays give the same bits, so everything is compared exactly: the
cost, the gradients, the parameters and the running averages, after 1 and after 100 steps.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from compile_helpers import descend
from hypothesis import given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds

import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu import GraphChangedError, Tensor, nn


def _model(widths, activation="tanh", layer=False, dtype=np.float64, momentum=0.1):
    """Dense layers with batch norm (``Dense(batch_norm=True)``, or ``nn.BatchNorm`` layers
    with ``layer=True``) and a sigmoid output."""
    np.random.seed(3)
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        last = i == len(widths) - 2
        if last:
            layers.append(nn.Dense(n_in, n_out, activation="sigmoid", dtype=dtype))
        elif layer:
            layers += [nn.Dense(n_in, n_out, activation="linear", dtype=dtype),
                       nn.BatchNorm(n_out, momentum=momentum, dtype=dtype),
                       nn.Dense(n_out, n_out, activation=activation, dtype=dtype)]
        else:
            layers.append(nn.Dense(n_in, n_out, activation=activation, batch_norm=True,
                                   momentum=momentum, dtype=dtype))
    return nn.Sequential(*layers)


def _data(n_x, m, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_x, m)).astype(dtype)
    return X, (X[:1] + 0.3 * rng.normal(size=(1, m)) > 0).astype(dtype)


def _state(model):
    return [p.data.copy() for p in model.parameters()] + \
        [b.data.copy() for _, b in model.named_buffers()]


def _same(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y)
                                    for x, y in zip(a, b))


def _run_both(make, X, Y, steps, lr=0.5, check="once"):
    """``steps`` of gradient descent compiled (the update in the program) and eager
    (optim.SGD) on twin models: the costs, gradients and states of each."""
    runs = []
    for compiled in (True, False):
        model = make()
        cost = lambda X, Y: F.binary_cross_entropy(model(X), Y)  # noqa: E731, B023
        costs, grads, step = descend(cost, model.parameters(), X, Y, steps, lr, compiled, check)
        runs.append((costs, grads, _state(model), step))
    return runs


@pytest.mark.parametrize("steps", [1, 2, 100])
@pytest.mark.parametrize("layer", [False, True])
def test_batch_norm_network_compiles_to_the_eager_steps_bit_for_bit(steps, layer):
    """1 step (the trace's own), 2 (the checked trace must not update the running averages
    a second time) and 100: costs, gradients, parameters and running averages identical."""
    X, Y = _data(3, 40, seed=1)
    (costs, grads, state, step), (costs_e, grads_e, state_e, _) = _run_both(
        lambda: _model([3, 5, 4, 1], layer=layer), X, Y, steps)
    assert costs == costs_e
    assert all(_same(g, ge) for g, ge in zip(grads, grads_e))
    assert _same(state, state_e)
    buffers = state[len(step.params):]  # running_mean1, running_var1, running_mean2, ...
    assert len(buffers) == 4 and not np.array_equal(buffers[0], np.zeros_like(buffers[0]))


@pytest.mark.parametrize("check", ["never", "always"])
def test_every_check_mode_makes_one_update_of_the_running_averages_per_call(check):
    """check="always" traces the function again at every call (and puts the running
    averages back after it); check="never" runs the program from the second call on: either
    way each call is one step."""
    X, Y = _data(3, 12, seed=5)
    (costs, grads, state, _), (costs_e, grads_e, state_e, _) = _run_both(
        lambda: _model([3, 4, 1], layer=True), X, Y, 10, check=check)
    assert costs == costs_e and _same(state, state_e)
    assert all(_same(g, ge) for g, ge in zip(grads, grads_e))


def test_batch_norm_source_is_the_course_forward_and_closed_form_rule():
    X, Y = _data(2, 10, seed=0)
    model = _model([2, 4, 1])
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    step(X, Y)
    body = step.source.split("def forward_backward(X, Y, W1, gamma1, beta1, W2, b2, "
                             "running_mean1, running_var1):\n")[1]
    lines = [line.strip() for line in body.splitlines()]
    for wanted in [
        "Z1 = W1 @ X",
        "mu1 = np.sum(Z1, axis=1, keepdims=True) * (1.0 / m)",
        "Z_centred1 = Z1 - mu1",
        "var1 = np.sum(Z_centred1 * Z_centred1, axis=1, keepdims=True) * (1.0 / m)",
        "std1 = (var1 + 1e-05) ** 0.5",
        "Z_norm1 = Z_centred1 / std1",
        "running_mean1 *= 0.9",
        "running_mean1 += 0.1 * np.mean(Z1, axis=1, keepdims=True)",
        "running_var1 *= 0.9",
        "running_var1 += 0.1 * np.var(Z1, axis=1, keepdims=True) * (m / (m - 1))",
        "Z_tilde1 = gamma1 * Z_norm1 + beta1",
        "dgamma1 = np.sum(dZ_tilde1 * Z_norm1, axis=1, keepdims=True)",
        "dbeta1 = np.sum(dZ_tilde1, axis=1, keepdims=True)",
        # F13.3 as the course writes it: the rule's Σ dZ̃ and Σ dZ̃ Z_norm are dβ and dγ
        "dZ1 = gamma1 / (m * std1) * (m * dZ_tilde1 - dbeta1 - Z_norm1 * dgamma1)",
        "dW1 = dZ1 @ X.T",
    ]:
        assert wanted in lines
    assert lines.index("Z_norm1 = Z_centred1 / std1") < lines.index(
        "Z_tilde1 = gamma1 * Z_norm1 + beta1") < lines.index("dZ1 = gamma1 / (m * std1) * "
                                                            "(m * dZ_tilde1 - dbeta1 - "
                                                            "Z_norm1 * dgamma1)")


def test_batch_norm_source_runs_as_plain_numpy_and_updates_the_running_averages(tmp_path):
    X, Y = _data(2, 12, seed=4)
    model = _model([2, 4, 1])
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    step(X, Y)
    before = _state(model)
    J, grads = step(X, Y)
    after = [b.data.copy() for _, b in model.named_buffers()]
    (tmp_path / "generated.py").write_text(step.source)
    np.savez(tmp_path / "inputs.npz", *before, X=X, Y=Y)
    (tmp_path / "driver.py").write_text(textwrap.dedent("""\
        import sys
        import numpy as np
        sys.modules["tinygrad_edu"] = None  # every import of it fails here
        namespace = {}
        exec(open("generated.py").read(), namespace)
        saved = np.load("inputs.npz")
        arrays = [saved[f"arr_{i}"] for i in range(len(saved.files) - 2)]
        J, grads = namespace["forward_backward"](saved["X"], saved["Y"], *arrays)
        np.savez("outputs.npz", J, *grads, *arrays[-2:])
        """))
    subprocess.run([sys.executable, "-I", "driver.py"], cwd=tmp_path, check=True,
                   capture_output=True, text=True)
    out = np.load(tmp_path / "outputs.npz")
    assert out["arr_0"] == J
    assert _same([out[f"arr_{i + 1}"] for i in range(len(grads))], list(grads))
    assert _same([out[f"arr_{len(grads) + 1}"], out[f"arr_{len(grads) + 2}"]], after)


@numeric_settings(25)  # network-level: 5 steps, twice
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=3), m=st.integers(2, 30),
       activation=st.sampled_from(["tanh", "relu", "sigmoid", "linear"]),
       momentum=st.sampled_from([0.0, 0.1, 0.37, 1.0]), layer=st.booleans(),
       seed=seeds)
def test_random_batch_norm_networks_compile_to_the_eager_steps(widths, m, activation,
                                                              momentum, layer, seed):
    """Random widths, batch sizes, activations and momenta: 5 steps agree bit for bit."""
    n_x = widths[0]
    X, Y = _data(n_x, m, seed)
    (costs, grads, state, _), (costs_e, grads_e, state_e, _) = _run_both(
        lambda: _model([*widths, 1], activation, layer, momentum=momentum), X, Y, 5, lr=0.1)
    assert costs == costs_e
    assert all(_same(g, ge) for g, ge in zip(grads, grads_e))
    assert _same(state, state_e)


def test_float32_batch_norm_stays_float32_and_agrees():
    X, Y = _data(3, 16, seed=2, dtype=np.float32)
    (costs, grads, state, _), (costs_e, grads_e, state_e, _) = _run_both(
        lambda: _model([3, 4, 1], dtype=np.float32), X, Y, 10)
    assert costs == costs_e and all(_same(g, ge) for g, ge in zip(grads, grads_e))
    assert _same(state, state_e) and all(s.dtype == np.float32 for s in state)


def _functional_cost(a, g, b, mean, var):
    def cost():
        out = F.batch_norm(a, g, b, mean, var, momentum=np.float32(0.25))
        return (out * out * np.arange(7.0)).sum()
    return cost


def test_functional_batch_norm_with_plain_arrays_and_without_running_averages():
    """F.batch_norm with numpy arrays for the running averages (updated in place, as
    eagerly), a numpy-scalar momentum (kept as such: np.float32(0.25) in the code), and
    without running averages (no update line)."""
    rng = np.random.default_rng(5)
    Z0 = rng.normal(size=(3, 7))
    for running in (True, False):
        results = []
        for compiled in (True, False):
            a = Tensor(Z0.copy(), requires_grad=True, name="Z1")
            g = Tensor(np.full((3, 1), 1.5), requires_grad=True, name="gamma1")
            b = Tensor(np.zeros((3, 1)), requires_grad=True, name="beta1")
            mean, var = (np.zeros((3, 1)), np.ones((3, 1))) if running else (None, None)

            cost = _functional_cost(a, g, b, mean, var)

            if compiled:
                step = tinygrad_edu.compile(cost, [a, g, b])
                step()
                J, grads = step()
                if running:
                    assert "running_mean1 *= np.float32(0.75)" in step.source
                else:
                    assert "running_mean" not in step.source
            else:
                cost()
                J = cost()
                J.backward()
                J, grads = J.item(), [a.grad, g.grad, b.grad]
            results.append((J, grads, [x.copy() for x in (mean, var) if x is not None]))
        (J, grads, arrays), (J_e, grads_e, arrays_e) = results
        assert J == J_e and _same(list(grads), grads_e) and _same(arrays, arrays_e)


def test_other_running_average_arrays_are_another_graph():
    """The program updates the arrays it was traced with: a step function that hands batch
    norm other arrays at the next call records another graph (GraphChangedError)."""
    rng = np.random.default_rng(6)
    a = Tensor(rng.normal(size=(2, 5)), requires_grad=True, name="Z1")
    g, b = Tensor(np.ones((2, 1)), requires_grad=True), Tensor(np.zeros((2, 1)),
                                                                requires_grad=True)
    arrays = {"mean": np.zeros((2, 1))}
    step = tinygrad_edu.compile(lambda: F.batch_norm(a, g, b, arrays["mean"]).sum(), [a, g, b])
    step()
    arrays["mean"] = np.zeros((2, 1))
    with pytest.raises(GraphChangedError):
        step()


def test_evaluation_mode_uses_the_running_averages_as_traced():
    """model.eval(): the graph normalises with the running averages (ordinary ops), which
    are constants of the program; running averages changed by more training are a changed
    graph at the checked call."""
    X, Y = _data(3, 20, seed=7)
    model = _model([3, 4, 1])
    for _ in range(3):
        F.binary_cross_entropy(model(X), Y)  # training calls: the running averages move
    model.eval()
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    step(X, Y)
    J, grads = step(X, Y)
    model.zero_grad()
    J_e = F.binary_cross_entropy(model(X), Y)
    J_e.backward()
    assert J == J_e.item() and _same(list(grads), [p.grad for p in model.parameters()])
    assert "running_mean1 *=" not in step.source  # evaluation updates nothing
    again = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                 model.parameters())
    again(X, Y)
    model.train()
    F.binary_cross_entropy(model(X), Y)
    model.eval()
    with pytest.raises(GraphChangedError, match="a constant's values"):
        again(X, Y)


def test_fit_compile_with_batch_norm_is_fit():
    """fit(compile=True) with batch norm and mini-batches: the costs, the weights and the
    running averages are eager fit's, bit for bit."""
    X, Y = _data(2, 90, seed=8)
    runs = []
    for compiled in (False, True):
        model = _model([2, 5, 1], layer=True)
        costs = tinygrad_edu.training.fit(model, X, Y, lr=0.3, iterations=20,
                                          batch_size=32, print_every=0, seed=0,
                                          compile=compiled)
        runs.append((costs, _state(model)))
    assert runs[0][0] == runs[1][0] and _same(runs[0][1], runs[1][1])


def test_dropout_and_batch_norm_together_draw_fresh_masks_and_agree():
    """Dropout in a batch-norm network: the program draws a new mask at every call from the
    op's generator (never one mask reused), so eager and compiled twins agree step by step."""
    X, Y = _data(3, 24, seed=9)

    def make():
        np.random.seed(3)
        return nn.Sequential(nn.Dense(3, 6, activation="relu", batch_norm=True),
                             nn.Dropout(0.6, seed=11), nn.Dense(6, 1, activation="sigmoid"))

    (costs, grads, state, step), (costs_e, grads_e, state_e, _) = _run_both(make, X, Y, 30)
    assert costs == costs_e and _same(state, state_e)
    assert all(_same(g, ge) for g, ge in zip(grads, grads_e))
    assert len(set(costs)) == 30
    assert "D1 = rng.random(A1.shape) < 0.6" in step.source


def test_fit_compile_with_dropout_and_batch_norm_is_fit():
    """fit(compile=True) with dropout and batch norm (mini-batches, Adam): every step draws
    the mask eager fit draws, so the costs, weights and running averages are fit's."""
    X, Y = _data(3, 60, seed=10)
    runs = []
    for compiled in (False, True):
        np.random.seed(4)
        model = nn.Sequential(nn.Dense(3, 6, activation="tanh"), nn.BatchNorm(6),
                              nn.Dropout(0.7, seed=12), nn.Dense(6, 1, activation="sigmoid"))
        opt = tinygrad_edu.optim.Adam(model.parameters(), lr=0.01)
        costs = tinygrad_edu.training.fit(model, X, Y, optimizer=opt, iterations=15,
                                          batch_size=25, print_every=0, seed=1,
                                          compile=compiled)
        runs.append((costs, _state(model)))
    assert runs[0][0] == runs[1][0] and _same(runs[0][1], runs[1][1])
    assert len(set(runs[0][0])) == 15


def test_batch_norm_of_unnamed_tensors_writes_each_gradient_once():
    """Batch norm inside an expression (unnamed Z, constant gamma and beta): the values are
    the eager ones, and the upstream gradient the rule reads three times is one line."""
    rng = np.random.default_rng(11)
    a = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    c = Tensor(rng.normal(size=(4, 6)), requires_grad=True)

    def cost():
        out = F.batch_norm(a @ c, np.full((3, 1), 2.0), np.zeros((3, 1)))
        return (out ** 2 * np.arange(6.0)).sum()

    step = tinygrad_edu.compile(cost, [a, c])
    step()
    J, grads = step()
    J_e = cost()
    J_e.backward()
    assert J == J_e.item() and _same(list(grads), [a.grad, c.grad])
    assert step.source.count("np.ones((3, 6))") == 1
