"""The course's training loop, predictions and accuracy, as three functions.

    >>> from tinygrad_edu import data, nn, training
    >>> X, Y = data.load_planar_dataset()
    >>> model = nn.Sequential(nn.Dense(2, 4, "tanh", seed=2), nn.Dense(4, 1, "sigmoid", seed=3))
    >>> costs = training.fit(model, X, Y, lr=1.2, iterations=10, print_every=0)
    >>> training.predict(model, X).shape
    (1, 400)

``fit`` is the notebook's ``nn_model``: forward, cost, backward, update, printing
``Cost after iteration i: ...`` every ``print_every`` iterations. One iteration is one pass
over the training set: one step of batch gradient descent, or, with ``batch_size``, one step
per mini-batch (F9.2); the cost recorded is then the mean of the batch costs weighted by
their sizes.

Modes: ``fit`` trains with the model in training mode (dropout on, batch norm on the batch's
statistics); ``predict`` and ``accuracy`` evaluate in eval mode (no dropout, batch norm's
running averages). Each puts the model's previous mode back when it returns or raises.

Many classes (F11): for a model whose last layer is ``Dense(..., activation="softmax")``,
``predict`` gives the class of each example, ``argmax_k A_k``, as a ``(1, m)`` int array, and
``accuracy`` compares it with one-hot labels ``Y (C, m)`` or class indices ``(1, m)``.

This file is ``fit``; ``predict`` and ``accuracy`` are in ``tinygrad_edu.evaluation`` and what
``fit`` checks in its arguments and at every step in ``tinygrad_edu.training_checks``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import checks
from .compile.fit import FitStep
from .data import minibatches
from .errors import ArgumentError, ArgumentTypeError, DataError, ShapeError
from .evaluation import _mode, accuracy, predict
from .evaluation import is_multiclass as is_multiclass  # training.is_multiclass, as before
from .nn import functional as F
from .nn.init import random_state
from .optim import SGD, Optimizer
from .tensor import Tensor, _as_tensor
from .training_checks import (
    _check_data,
    _check_finite,
    _check_labels,
    _check_one_hot,
    _check_optimizer_fits,
    _data_array,
    _not_a_cost,
    _shape_hint,
)

__all__ = ["LOSSES", "accuracy", "fit", "predict"]

LOSSES: dict[str, Callable[..., Tensor]] = {
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "categorical_cross_entropy": F.categorical_cross_entropy,
    "categorical_cross_entropy_with_logits": F.categorical_cross_entropy_with_logits,
    "mse": F.mse_loss,
    "mse_loss": F.mse_loss,
}


def fit(
    model: Callable[[Any], Tensor],
    X: Any,
    Y: Any,
    loss: str | Callable[[Tensor, Any], Tensor] = "binary_cross_entropy",
    optimizer: Optimizer | None = None,
    lr: float = 1.2,
    iterations: int = 10_000,
    batch_size: int | None = None,
    print_every: int | None = 1000,
    seed: Any = None,
    callback: Callable[[int, float, Any], Any] | None = None,
    progress: bool = False,
    compile: bool = False,
) -> list[float]:
    """Train ``model`` on ``X (n_x, m)``, ``Y (n_y, m)``; returns the cost of each iteration.

    ``loss``: "binary_cross_entropy" (default), "binary_cross_entropy_with_logits",
    "categorical_cross_entropy" (a softmax output, one-hot ``Y (C, m)``),
    "categorical_cross_entropy_with_logits", "mse" or a function ``loss(A, Y) -> scalar
    Tensor``. The model is in training mode during ``fit`` (its previous mode is put back).
    ``optimizer``: default ``SGD(model.parameters(),
    lr)``. ``batch_size``: None for batch gradient descent, else mini-batches shuffled each
    iteration from one stream seeded by ``seed``. ``print_every``: print the course's cost
    line every that many iterations (0 or None: silent). ``callback(i, cost, model)`` runs
    after every iteration; if it returns True, training stops there. ``progress=True`` shows
    tqdm's text bar on stdout (the same in a terminal and in Jupyter, no widget needed), with
    the cost lines printed above it, when tqdm is installed (the ``progress`` extra), and
    warns that it is missing otherwise. ``compile=True`` runs each step's forward and backward
    as the numpy code ``tinygrad_edu.compile`` generates (the same numbers, faster; a model
    with batch norm is refused before the first step).

    The data are checked before the first step: ``DataError`` for no examples, nan or inf in
    X or Y, or (with a cross-entropy loss named by string) labels outside [0, 1].

    If the cost becomes nan or inf, ``TrainingDivergedError`` names the iteration and the
    last finite cost and carries the costs recorded so far (``error.costs``); numpy's overflow
    warnings are silenced inside the loop: this check replaces them. A run whose last cost is
    more than 10 % above its first (gradient descent overshooting, the cost finite) ends with a
    ``RuntimeWarning`` saying so, and returns its costs as usual.
    """
    # every collaborator is checked before the first step changes a parameter
    checks.function(model, "fit", "model", "a model instance (a function of X)",
                    hint="Build it first: model = nn.Sequential(nn.Dense(...), ...).")
    loss_fn = _loss_function(loss)
    iterations = checks.integer(iterations, "fit", "iterations", minimum=0)
    if print_every is not None:
        print_every = checks.integer(print_every, "fit", "print_every", minimum=0,
                                     hint="0 or None: print nothing.")
    batch_size = checks.optional_integer(batch_size, "fit", "batch_size", minimum=1,
                                         hint="None: batch gradient descent (all m examples).")
    if callback is not None:
        checks.function(callback, "fit", "callback", "None or a function (i, cost, model)")
    checks.boolean(progress, "fit", "progress")
    checks.boolean(compile, "fit", "compile")
    if optimizer is None:
        if not hasattr(model, "parameters"):
            raise ArgumentTypeError(
                f"fit: model {checks.describe_value(model)} has no parameters() to make the "
                "default SGD from; pass optimizer=optim.SGD([W, b], lr=...) with its parameters."
            )
        optimizer = SGD(model.parameters(), lr=lr)  # type: ignore[attr-defined]
    elif not isinstance(optimizer, Optimizer):
        raise ArgumentTypeError(
            f"fit: optimizer must be None (SGD with lr) or an optimizer built on the model's "
            f"parameters, e.g. optim.Adam(model.parameters(), lr=0.01), not "
            f"{checks.describe_value(optimizer)}."
            + (" A name is not enough: the optimizer needs the parameters it updates and its "
               "own settings (lr, beta)." if isinstance(optimizer, str) else "")
        )
    else:
        _check_optimizer_fits(optimizer, model)
    if batch_size is not None:
        random_state(seed)  # a bad seed is refused now, not at the first mini-batch
    X_values = _data_array("X", X)
    Y_values = _data_array("Y", Y)
    if X_values.ndim != 2 or Y_values.ndim != 2 or X_values.shape[1] != Y_values.shape[1]:
        raise ShapeError(
            f"fit: X {X_values.shape} and Y {Y_values.shape} must be matrices with the same "
            "number of columns m (examples are columns: X is (n_x, m), Y is (n_y, m))"
            + _shape_hint(X_values.shape, Y_values.shape)
        )
    m = X_values.shape[1]
    if m == 0:
        raise DataError(f"fit: X {X_values.shape} has no examples (m = 0 columns): nothing "
                        "to learn from")
    _check_data("X", X_values)
    _check_data("Y", Y_values)
    if loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        _check_labels(Y_values)
    if loss in ("categorical_cross_entropy", "categorical_cross_entropy_with_logits"):
        _check_one_hot(Y_values)
    Y_values = np.array(Y_values, copy=True)  # fit's own labels, read-only: the costs then
    Y_values.flags.writeable = False  # check their range once, not at every step
    if X_values.dtype.kind != "f":
        X_values = X_values.astype(np.float64)
    full_batch = batch_size is None or batch_size >= m
    X_t, Y_t = _as_tensor(X_values), _as_tensor(Y_values)
    X_t.name, Y_t.name = "X", "Y"  # fit's own wrappers: the graph reads like the notes
    rng = random_state(seed) if not full_batch else None
    bar = _progress(iterations, progress)  # None without progress=True (or without tqdm)
    say = print if bar is None else lambda line: bar.write(line, file=sys.stdout)
    costs: list[float] = []
    fast = None
    if compile:  # forward and backward as the generated numpy code (tinygrad_edu.compile)
        params = model.parameters() if hasattr(model, "parameters") else optimizer.params
        fast = FitStep(model, loss_fn, list(params))
    guard = _BufferGuard(model)  # batch norm's running averages, if fit raises before a step
    with guard, _mode(model, training=True), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for i in range(iterations):
            if full_batch and fast is not None:
                cost = fast(X_values, Y_values)
                _check_finite(cost, i, costs, optimizer, model, stepped=i > 0)
                fast.set_gradients()
                optimizer.step()
                guard.stepped = True
            elif full_batch:
                J = loss_fn(model(X_t), Y_t)
                if type(J) is not Tensor:
                    _not_a_cost(J, loss)
                cost = J.item()
                _check_finite(cost, i, costs, optimizer, model, stepped=i > 0)
                optimizer.zero_grad()
                J.backward()
                optimizer.step()
                guard.stepped = True
            else:
                cost = 0.0
                batches = minibatches(X_values, Y_values, batch_size, seed=rng)
                for k, (X_batch, Y_batch) in enumerate(batches):
                    if fast is not None:
                        batch_cost = fast(X_batch, Y_batch)
                        _check_finite(batch_cost, i, costs, optimizer, model,
                                      stepped=i > 0 or k > 0)
                        fast.set_gradients()
                        optimizer.step()
                        guard.stepped = True
                        cost += batch_cost * X_batch.shape[1] / m
                        continue
                    J = loss_fn(model(X_batch), Y_batch)
                    if type(J) is not Tensor:
                        _not_a_cost(J, loss)
                    batch_cost = J.item()
                    _check_finite(batch_cost, i, costs, optimizer, model, stepped=i > 0 or k > 0)
                    optimizer.zero_grad()
                    J.backward()
                    optimizer.step()
                    guard.stepped = True
                    cost += batch_cost * X_batch.shape[1] / m
            costs.append(cost)
            if bar is not None:
                bar.update(1)
            if print_every and i % print_every == 0:
                say(f"Cost after iteration {i}: {cost:.6f}")  # through the bar, if one
            if callback is not None and callback(i, cost, model) is True:
                break
    if bar is not None:  # the bar ends where training did (a callback's stop included)
        bar.close()
    if len(costs) > 1 and costs[-1] - costs[0] > max(0.1 * abs(costs[0]), 1e-8):
        warnings.warn(
            f"fit: the cost went up, from {costs[0]:.6g} at iteration 0 to {costs[-1]:.6g} at "
            f"iteration {len(costs) - 1}: gradient descent overshot instead of going downhill. "
            f"The learning rate lr={getattr(optimizer, 'lr', '?')} is probably too large; "
            "try a smaller one (e.g. lr / 10).",
            RuntimeWarning,
            stacklevel=2,
        )
    return costs


class _BufferGuard:
    """Puts the model's buffers (batch norm's running averages, which every training forward
    pass updates) back as they were when ``fit`` raises before its first step: a refused fit
    (labels its loss cannot take, a nan cost at iteration 0) changes nothing."""

    def __init__(self, model: Any) -> None:
        named = getattr(model, "named_buffers", None)
        self.buffers = [t for _, t in named()] if callable(named) else []
        self.stepped = False

    def __enter__(self) -> _BufferGuard:
        self.saved = [t.data.copy() for t in self.buffers]
        return self

    def __exit__(self, kind: Any, *exc: object) -> None:
        if kind is not None and not self.stepped:
            for t, values in zip(self.buffers, self.saved):
                t.data[...] = values


def _loss_function(loss: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    if isinstance(loss, str):
        raise ArgumentError(f"fit: unknown loss {loss!r}: use one of {list(LOSSES)} or a "
                            "function (A, Y) -> scalar Tensor")
    return checks.function(loss, "fit", "loss", f"one of {list(LOSSES)} or a function (A, Y) "
                           "-> scalar Tensor")


def _progress(iterations: int, progress: bool) -> Any:
    """A progress bar of ``iterations`` steps when ``progress``, else None.

    The bar is tqdm's text bar on stdout, the same in a terminal and in Jupyter (tqdm.auto's
    widget needs ipywidgets and otherwise warns "IProgress not found"); fit prints the cost
    lines through ``bar.write`` so that they go above the bar instead of breaking it up."""
    if not progress:
        return None
    try:
        from tqdm.std import tqdm
    except ImportError:  # tqdm is optional: train without the bar, and say how to get it
        warnings.warn(
            "fit(progress=True) shows a bar with tqdm, which is not installed: "
            "pip install 'tinygrad_edu[progress]' (or pip install tqdm). Training goes on "
            "without it.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return tqdm(total=iterations, desc="training", file=sys.stdout, ncols=80, ascii=" =")
