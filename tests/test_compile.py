"""tinygrad_edu.compile on the course's three networks: the generated source is the notes'
backward_propagation (the same equations as explain), it runs as plain numpy in a process
where tinygrad_edu cannot be imported, and its numbers are the eager engine's, bit for bit
(it makes the same numpy calls in the same order)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, data, explain, nn
from tinygrad_edu.functions import Function, make_result


def _flower():
    X, Y = data.load_planar_dataset()
    np.random.seed(2)
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh"),
                          nn.Dense(4, 1, activation="sigmoid"))
    return model, X, Y


def _logistic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 30))
    Y = (rng.random((1, 30)) > 0.5).astype(float)
    w = Tensor(rng.normal(size=(1, 4)) * 0.1, requires_grad=True, name="w")
    b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")

    def cost(X, Y):
        Z = w @ X + b
        Z.name = "Z"
        A = Z.sigmoid()
        A.name = "A"
        return F.binary_cross_entropy(A, Y)

    return cost, [w, b], X, Y


def _deep():
    rng = np.random.default_rng(1)
    np.random.seed(1)
    X = rng.normal(size=(5, 20))
    Y = (rng.random((1, 20)) > 0.5).astype(float)
    model = nn.Sequential(nn.Dense(5, 4, activation="relu"), nn.Dense(4, 3, activation="relu"),
                          nn.Dense(3, 1, activation="sigmoid"))
    return model, X, Y


def _eager(cost, params, X, Y):
    for p in params:
        p.grad = None
    J = cost(X, Y)
    J.backward()
    return J, [p.grad for p in params]


def _course_networks():
    flower, X, Y = _flower()
    deep, Xd, Yd = _deep()
    yield "flower", (lambda X, Y: F.binary_cross_entropy(flower(X), Y)), \
        flower.parameters(), X, Y
    yield ("logistic", *_logistic())
    yield "deep", (lambda X, Y: F.binary_cross_entropy(deep(X), Y)), deep.parameters(), Xd, Yd


@pytest.mark.parametrize("network", ["flower", "logistic", "deep"])
def test_compiled_step_is_the_eager_step_bit_for_bit(network):
    _, cost, params, X, Y = next(n for n in _course_networks() if n[0] == network)
    step = tinygrad_edu.compile(cost, params)
    step(X, Y)  # the first call returns its trace's (eager) result
    J, grads = step(X, Y)
    J_eager, grads_eager = _eager(cost, params, X, Y)
    assert J == J_eager.item()
    for g, ge, p in zip(grads, grads_eager, params):
        assert g.shape == p.shape and g.dtype == p.dtype
        assert np.array_equal(g, ge), p.name  # the same numpy calls in the same order


@pytest.mark.parametrize("network", ["flower", "logistic", "deep"])
def test_generated_lines_are_explains_equations(network):
    """Every gradient line of the source is explain's equation (numpy notation) for it."""
    _, cost, params, X, Y = next(n for n in _course_networks() if n[0] == network)
    step = tinygrad_edu.compile(cost, params)
    step(X, Y)
    lines = {line.strip() for line in step.source.splitlines()}
    equations = explain(cost(Tensor(X, name="X"), Tensor(Y, name="Y")), notation="numpy")
    gradient_lines = {line for line in lines if line.startswith("d") and " = " in line}
    wanted = {f"{eq.name} = {eq.rule_text}" for eq in equations
              if not re.fullmatch(r"d\w+", eq.rule_text)  # a pass-through d(W1 @ X) = dZ1
              and eq.name != f"d{equations.root._ctx.parents[0].name}"}  # dA of the fused cost
    assert gradient_lines == wanted


def test_flower_source_is_the_notes_backward_propagation():
    model, X, Y = _flower()
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    step(X, Y)
    body = step.source.split("def forward_backward(X, Y, W1, b1, W2, b2):\n")[1]
    assert body == textwrap.indent(textwrap.dedent("""\
        m = X.shape[1]
        Z1 = W1 @ X + b1
        A1 = np.tanh(Z1)
        Z2 = W2 @ A1 + b2
        A2 = sigmoid(Z2)
        J = np.sum(np.logaddexp(0.0, -Z2) + (1.0 - Y) * Z2) / m
        if not np.isfinite(J):  # as backward() refuses a nan cost
            raise FloatingPointError("J is not finite: no gradient, no update")
        dZ2 = (A2 - Y) * (1.0 / m)
        dW2 = dZ2 @ A1.T
        db2 = np.sum(dZ2, axis=1, keepdims=True)
        dA1 = W2.T @ dZ2
        dZ1 = dA1 * (1.0 - A1**2)
        dW1 = dZ1 @ X.T
        db1 = np.sum(dZ1, axis=1, keepdims=True)
        return J, (dW1, db1, dW2, db2)
        """), "    ")


@pytest.mark.parametrize("network", ["flower", "logistic", "deep"])
def test_source_runs_as_plain_numpy_without_tinygrad_edu(network, tmp_path):
    _, cost, params, X, Y = next(n for n in _course_networks() if n[0] == network)
    step = tinygrad_edu.compile(cost, params)
    step(X, Y)  # the first call returns its trace's (eager) result
    J, grads = step(X, Y)
    (tmp_path / "generated.py").write_text(step.source)
    np.savez(tmp_path / "inputs.npz", *[p.data for p in params], X=X, Y=Y)
    driver = textwrap.dedent("""\
        import sys
        import numpy as np
        # tinygrad_edu may be installed (pip install -e): make every import of it fail here
        sys.modules["tinygrad_edu"] = None
        namespace = {}
        exec(open("generated.py").read(), namespace)
        saved = np.load("inputs.npz")
        params = [saved[f"arr_{i}"] for i in range(len(saved.files) - 2)]
        J, grads = namespace["forward_backward"](saved["X"], saved["Y"], *params)
        np.savez("outputs.npz", J, *grads)
        """)
    (tmp_path / "driver.py").write_text(driver)
    subprocess.run([sys.executable, "-I", "driver.py"], cwd=tmp_path, check=True,
                   capture_output=True, text=True)
    out = np.load(tmp_path / "outputs.npz")
    assert out["arr_0"] == J
    for i, g in enumerate(grads):
        assert np.array_equal(out[f"arr_{i + 1}"], g)


def test_update_compiled_in_is_optim_sgd_bit_for_bit():
    """lr=...: W1 -= lr * dW1 in the program, as optim.SGD.step; 100 flower iterations agree
    exactly (the flower is determined far past 100 iterations: see tests/README.md)."""
    model, X, Y = _flower()
    twin = nn.Sequential(nn.Dense(2, 4, activation="tanh"),
                         nn.Dense(4, 1, activation="sigmoid"))
    twin.load_state_dict(model.state_dict())
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters(), lr=1.2)
    opt = tinygrad_edu.optim.SGD(twin.parameters(), lr=1.2)
    for _ in range(100):
        J, _ = step(X, Y)
        J_eager = F.binary_cross_entropy(twin(X), Y)
        opt.zero_grad()
        J_eager.backward()
        opt.step()
        assert J == J_eager.item()
    assert "    W1 -= lr * dW1" in step.source
    for p, q in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(p.data, q.data)


@pytest.mark.parametrize("lr", [None, 0.5])
def test_a_step_with_one_parameter_returns_one_gradient_at_every_call(lr):
    """``(J, (dw,))`` at the first call (the trace's result) as at the program's, and ``lr``
    updates the one parameter as optim.SGD (the first call returned ``((dw,),)``, and with
    ``lr`` raised a TypeError)."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 12)), (rng.random((1, 12)) > 0.5).astype(float)
    w = Tensor(rng.normal(size=(1, 4)), requires_grad=True, name="w")
    twin = Tensor(w.data.copy(), requires_grad=True, name="w")  # the eager step's
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(F.sigmoid(w @ X), Y),
                                [w], lr=lr)
    for _ in range(3):
        J, grads = step(X, Y)
        J_eager = F.binary_cross_entropy(F.sigmoid(twin @ X), Y)
        twin.grad = None
        J_eager.backward()
        assert J == J_eager.item() and type(grads) is tuple and len(grads) == 1
        assert type(grads[0]) is np.ndarray and np.array_equal(grads[0], twin.grad)
        if lr is not None:
            twin.data -= lr * twin.grad
        assert np.array_equal(w.data, twin.data)


def test_executed_form_reuses_buffers_and_returns_fresh_arrays():
    """What runs writes each numpy call into a buffer made once (out=), shares a repeated
    sub-expression (the sigmoid's and the cost's logaddexp), and hands out fresh arrays:
    the gradients of one call are not changed by the next."""
    model, X, Y = _flower()
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters(), lr=1.2)
    J1, grads1 = step(X, Y)
    kept = [g.copy() for g in grads1]
    J2, grads2 = step(X, Y)
    assert J2 != J1 and all(np.array_equal(g, k) for g, k in zip(grads1, kept))
    assert all(g is not h for g, h in zip(grads1, grads2))
    executed = step.executed_source
    assert "np.matmul(W1, X, out=_b0)" in executed
    assert executed.count("np.logaddexp") == 2  # the helper's text and one call in the step
    assert "np.add.reduce(dZ1, axis=1, keepdims=True)" in executed  # np.sum without wrapper


@pytest.mark.parametrize("batch_size", [None, 150])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_compile_gives_fits_costs_and_weights(batch_size, optimizer):
    """fit(compile=True) = fit(): the compiled gradients go to .grad, the optimizer steps as
    usual (SGD and Adam: the same arithmetic on the same bits); the mini-batches of 150 and
    the last one of 100 are two programs."""
    runs = []
    for compiled in (False, True):
        model, X, Y = _flower()
        opt = (tinygrad_edu.optim.SGD(model.parameters(), lr=1.2) if optimizer == "sgd" else
               tinygrad_edu.optim.Adam(model.parameters(), lr=0.01))
        costs = tinygrad_edu.training.fit(model, X, Y, optimizer=opt, iterations=30,
                                          batch_size=batch_size, print_every=0, seed=0,
                                          compile=compiled)
        runs.append((costs, [p.data.copy() for p in model.parameters()]))
    (costs, weights), (costs_c, weights_c) = runs
    assert costs == costs_c
    assert all(np.array_equal(w, wc) for w, wc in zip(weights, weights_c))


class _Cube(Function):
    """y = x³, an op that says nothing about its numpy code (a test op)."""

    __slots__ = ()
    name = "cube"

    def backward(self, g, out, x):
        return (g * 3.0 * x * x,)


class _CubedNet(nn.Module):
    """Dense(2, 4) -> cube -> BatchNorm(4) -> Dense(4, 1, sigmoid)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Dense(2, 4, activation="linear")
        self.norm = nn.BatchNorm(4)
        self.last = nn.Dense(4, 1, activation="sigmoid")

    def forward(self, X):
        Z = self.first(X)
        return self.last(self.norm(make_result(Z.data ** 3, _Cube((Z,)))))


def test_fit_compile_refuses_an_op_it_cannot_compile_before_any_step():
    """An op without a numpy_source: CompileError at the first step, the parameters and
    batch norm's running averages as they were (the trace ran the forward once)."""
    np.random.seed(0)
    model = _CubedNet()
    before = [p.data.copy() for p in model.parameters()] + [
        b.data.copy() for _, b in model.named_buffers()]
    X, Y = data.load_planar_dataset()
    with pytest.raises(tinygrad_edu.CompileError, match="the op cube"):
        tinygrad_edu.training.fit(model, X, Y, iterations=3, print_every=0, compile=True)
    after = [p.data for p in model.parameters()] + [b.data for _, b in model.named_buffers()]
    assert len(after) == 8 and all(np.array_equal(a, b) for a, b in zip(after, before))


def test_a_where_mask_that_changes_between_calls_is_another_graph():
    """compile writes where's constant mask into the program (its ``compile_key``): a step
    function whose mask is another at the next call records another graph at the check."""
    from tinygrad_edu import GraphChangedError

    masks = [np.array([[True, False, True]]), np.array([[False, True, True]])]
    W = Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)

    def cost(X):
        return tinygrad_edu.where(masks[0], W * X, -W * X).sum()

    step = tinygrad_edu.compile(cost, [W])
    X = np.ones((1, 3))
    step(X)
    masks.reverse()  # the same shapes, another mask
    with pytest.raises(GraphChangedError):
        step(X)
