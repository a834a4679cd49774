"""One training step per system, each written the way its users write it.

``build(system, workload)`` returns ``step()``: one iteration of full-batch gradient descent
(forward, cost, backward, update) that returns the cost of that iteration as a float. Every
system starts from copies of the workload's arrays, so all of them train the same network.

* ``numpy``: the course's formulas by hand (the reference, the denominator of every ratio);
* ``tinygrad_edu``: ``nn.Sequential`` of ``nn.Dense``, ``nn.functional.binary_cross_entropy``,
  ``optim.SGD``;
* ``tinygrad_edu_compiled``: the same model and cost through ``tinygrad_edu.compile`` with
  the update compiled in (``lr``): the generated numpy code of the step;
* ``jax_jit``, ``tangent``: JAX's ``jit`` of ``value_and_grad`` and Tangent's (``tangent-ad``)
  source-to-source gradient of the same numpy cost (optional: run only where installed);
* ``torch``: PyTorch eager on the CPU, float64 tensors, ``torch.optim.SGD`` (optional);
* ``micrograd``: Karpathy's scalar engine from PyPI (optional; planar only). Its ``Value``
  has no tanh, exp or log, so they are added below the way micrograd's own ops are written
  (a new ``Value`` with a ``_backward`` closure); the engine itself is the installed one.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable

import numpy as np

from .workloads import Workload

SYSTEMS = ("numpy", "tinygrad_edu", "tinygrad_edu_compiled", "torch", "micrograd", "jax_jit",
           "tangent")
_MODULES = {"jax_jit": "jax", "tangent": "tangent"}  # optional systems: the module they need
Step = Callable[[], float]


def available(system: str) -> bool:
    """Whether the system can run here (torch and micrograd are optional)."""
    if system in ("numpy", "tinygrad_edu", "tinygrad_edu_compiled"):
        return True
    return importlib.util.find_spec(_MODULES.get(system, system)) is not None


def runs_on(system: str, workload: Workload) -> bool:
    """micrograd is a scalar engine: it runs only the workloads that set a micrograd block;
    the Tangent step is written for the flower (2-4-1 tanh/sigmoid) only."""
    if system == "tangent":
        return workload.activations == ("tanh", "sigmoid")
    return system != "micrograd" or workload.micrograd_block > 0


def build(system: str, workload: Workload) -> Step:
    builders = {
        "numpy": _numpy_step,
        "tinygrad_edu": _tinygrad_step,
        "tinygrad_edu_compiled": _compiled_step,
        "jax_jit": _jax_step,
        "tangent": _tangent_step,
        "torch": _torch_step,
        "micrograd": _micrograd_step,
    }
    return builders[system](workload)


def blas_threads() -> int:
    """The number of threads numpy's BLAS uses (PyTorch is given the same)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        if counts:
            return counts[0]
    except ImportError:
        pass
    return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# the reference: the course's formulas in numpy
# ---------------------------------------------------------------------------------------------


def _numpy_step(w: Workload) -> Step:
    X, Y = w.X.copy(), w.Y.copy()
    Ws = [W.copy() for W in w.weights]
    bs = [b.copy() for b in w.biases]
    activations = w.activations
    lr, m = w.lr, X.shape[1]
    L = len(Ws)

    def step() -> float:
        # forward: Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l])
        As, Zs = [X], []
        A = X
        for W, b, g in zip(Ws, bs, activations):
            Z = W @ A + b
            if g == "tanh":
                A = np.tanh(Z)
            elif g == "relu":
                A = np.maximum(0, Z)
            else:
                A = 1 / (1 + np.exp(-Z))  # sigmoid
            Zs.append(Z)
            As.append(A)
        # J = -1/m Σ [Y log A[L] + (1-Y) log(1-A[L])]
        cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
        dZ = A - Y  # dZ[L] = A[L] - Y
        for l in range(L - 1, -1, -1):
            dW = dZ @ As[l].T / m  # dW[l] = 1/m dZ[l] A[l-1]ᵀ
            db = np.sum(dZ, axis=1, keepdims=True) / m  # db[l] = 1/m Σ dZ[l]
            if l > 0:
                dA = Ws[l].T @ dZ  # dA[l-1] = W[l]ᵀ dZ[l]
                if activations[l - 1] == "tanh":
                    dZ = dA * (1 - As[l] ** 2)  # dZ = dA * (1 - A²)
                else:
                    dZ = dA * (Zs[l - 1] > 0)  # dZ = dA * relu'(Z)
            Ws[l] -= lr * dW  # W := W - α dW
            bs[l] -= lr * db
        return float(cost)

    return step


# ---------------------------------------------------------------------------------------------
# tinygrad_edu, as a user writes it
# ---------------------------------------------------------------------------------------------


def _tinygrad_step(w: Workload) -> Step:
    from tinygrad_edu import Tensor, optim
    from tinygrad_edu.nn import functional as F

    model = _tinygrad_model(w)
    opt = optim.SGD(model.parameters(), lr=w.lr)
    X, Y = Tensor(w.X), Tensor(w.Y)

    def step() -> float:
        A = model(X)
        cost = F.binary_cross_entropy(A, Y)
        opt.zero_grad()
        cost.backward()
        opt.step()
        return cost.item()

    return step


def _tinygrad_model(w: Workload):
    from tinygrad_edu import nn

    layers = []
    for W, b, g in zip(w.weights, w.biases, w.activations):
        layer = nn.Dense(W.shape[1], W.shape[0], activation=g)
        layer.W.data[...] = W
        layer.b.data[...] = b
        layers.append(layer)
    return nn.Sequential(*layers)


def _compiled_step(w: Workload) -> Step:
    import tinygrad_edu
    from tinygrad_edu.nn import functional as F

    model = _tinygrad_model(w)
    X, Y = w.X.copy(), w.Y.copy()
    train = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                 model.parameters(), lr=w.lr)

    def step() -> float:
        return float(train(X, Y)[0])

    return step


def _numpy_cost(params: list, X, Y, activations: tuple, xp):
    """The course's forward pass and cost in ``xp`` (numpy's API: jax.numpy, numpy)."""
    A = X
    for l, g in enumerate(activations):
        Z = xp.dot(params[2 * l], A) + params[2 * l + 1]
        A = xp.tanh(Z) if g == "tanh" else xp.maximum(Z, 0.0) if g == "relu" else \
            1.0 / (1.0 + xp.exp(-Z))
    m = X.shape[1]
    return -xp.sum(Y * xp.log(A) + (1.0 - Y) * xp.log(1.0 - A)) / m


def _jax_step(w: Workload) -> Step:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    params = [jnp.asarray(a) for pair in zip(w.weights, w.biases) for a in pair]
    X, Y, lr, activations = jnp.asarray(w.X), jnp.asarray(w.Y), w.lr, w.activations

    @jax.jit
    def update(params):
        cost, grads = jax.value_and_grad(_numpy_cost)(params, X, Y, activations, jnp)
        return cost, [p - lr * g for p, g in zip(params, grads)]

    state = {"params": params}

    def step() -> float:
        cost, state["params"] = update(state["params"])
        return float(cost)

    return step


def _planar_cost(W1, b1, W2, b2, X, Y):
    """The flower's cost in plain numpy, for Tangent (it reads this function's source)."""
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1.0 / (1.0 + np.exp(-Z2))
    return -np.sum(Y * np.log(A2) + (1.0 - Y) * np.log(1.0 - A2)) / X.shape[1]


def _tangent_step(w: Workload) -> Step:
    import tangent

    gradient = tangent.grad(_planar_cost, wrt=(0, 1, 2, 3))
    params = [a.copy() for pair in zip(w.weights, w.biases) for a in pair]
    X, Y, lr = w.X.copy(), w.Y.copy(), w.lr

    def step() -> float:
        J = _planar_cost(*params, X, Y)
        for p, g in zip(params, gradient(*params, X, Y)):
            p -= lr * g
        return float(J)

    return step


# ---------------------------------------------------------------------------------------------
# PyTorch eager, CPU, float64
# ---------------------------------------------------------------------------------------------


def _torch_step(w: Workload) -> Step:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(blas_threads())
    X = torch.tensor(w.X, dtype=torch.float64)
    Y = torch.tensor(w.Y, dtype=torch.float64)
    Ws = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in w.weights]
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in w.biases]
    functions = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
    activations = [functions[g] for g in w.activations]
    opt = torch.optim.SGD(Ws + bs, lr=w.lr)

    def step() -> float:
        A = X
        for W, b, g in zip(Ws, bs, activations):
            A = g(W @ A + b)
        cost = F.binary_cross_entropy(A, Y)
        opt.zero_grad()
        cost.backward()
        opt.step()
        return cost.item()

    return step


# ---------------------------------------------------------------------------------------------
# micrograd: one Value per number
# ---------------------------------------------------------------------------------------------


def _micrograd_unary(v, value: float, derivative: float, op: str):
    """A new micrograd op ``out = f(v)`` with ``f'(v) = derivative`` (micrograd's own pattern)."""
    from micrograd.engine import Value

    out = Value(value, (v,), op)

    def _backward():
        v.grad += derivative * out.grad

    out._backward = _backward
    return out


def _mg_tanh(v):
    a = math.tanh(v.data)
    return _micrograd_unary(v, a, 1 - a * a, "tanh")


def _mg_sigmoid(v):
    a = 1 / (1 + math.exp(-v.data))
    return _micrograd_unary(v, a, a * (1 - a), "sigmoid")


def _mg_log(v):
    return _micrograd_unary(v, math.log(v.data), 1 / v.data, "log")


def _micrograd_step(w: Workload) -> Step:
    import sys

    from micrograd.engine import Value

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))  # its topo sort recurses
    X, Y = w.X.tolist(), w.Y.tolist()
    m = w.X.shape[1]
    Ws = [[[Value(float(x)) for x in row] for row in W] for W in w.weights]
    bs = [[Value(float(row[0])) for row in b] for b in w.biases]
    functions = {"tanh": _mg_tanh, "sigmoid": _mg_sigmoid}
    activations = [functions[g] for g in w.activations]
    params = [v for W in Ws for row in W for v in row] + [v for b in bs for v in b]
    lr = w.lr

    def step() -> float:
        A = X  # A[k][j]: unit k, example j
        for W, b, g in zip(Ws, bs, activations):
            A = [
                [g(sum((W[i][k] * A[k][j] for k in range(len(A))), b[i])) for j in range(m)]
                for i in range(len(W))
            ]
        total = sum(
            Y[0][j] * _mg_log(A[0][j]) + (1 - Y[0][j]) * _mg_log(1 - A[0][j]) for j in range(m)
        )
        cost = total * (-1.0 / m)
        for p in params:
            p.grad = 0
        cost.backward()
        for p in params:
            p.data -= lr * p.grad
        return cost.data

    return step
