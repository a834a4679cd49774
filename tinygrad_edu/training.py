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
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import no_grad
from .data import minibatches
from .errors import DataError, DtypeError, ShapeError, TrainingDivergedError
from .nn import functional as F
from .nn.init import random_state
from .optim import SGD, Optimizer
from .tensor import Tensor, _as_tensor

__all__ = ["LOSSES", "accuracy", "fit", "predict"]

LOSSES: dict[str, Callable[..., Tensor]] = {
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
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
) -> list[float]:
    """Train ``model`` on ``X (n_x, m)``, ``Y (n_y, m)``; returns the cost of each iteration.

    ``loss``: "binary_cross_entropy" (default), "binary_cross_entropy_with_logits", "mse" or a
    function ``loss(A, Y) -> scalar Tensor``. ``optimizer``: default ``SGD(model.parameters(),
    lr)``. ``batch_size``: None for batch gradient descent, else mini-batches shuffled each
    iteration from one stream seeded by ``seed``. ``print_every``: print the course's cost
    line every that many iterations (0 or None: silent). ``callback(i, cost, model)`` runs
    after every iteration; if it returns True, training stops there. ``progress=True`` shows
    tqdm's text bar on stdout (the same in a terminal and in Jupyter, no widget needed), with
    the cost lines printed above it, when tqdm is installed (the ``progress`` extra), and
    warns that it is missing otherwise.

    The data are checked before the first step: ``DataError`` for no examples, nan or inf in
    X or Y, or (with a cross-entropy loss named by string) labels outside [0, 1].

    If the cost becomes nan or inf, ``TrainingDivergedError`` names the iteration and the
    last finite cost and carries the costs recorded so far (``error.costs``); numpy's overflow
    warnings are silenced inside the loop: this check replaces them. A run whose last cost is
    more than 10 % above its first (gradient descent overshooting, the cost finite) ends with a
    ``RuntimeWarning`` saying so, and returns its costs as usual.
    """
    loss_fn = _loss_function(loss)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"fit: iterations must be an int >= 0, not {iterations!r}")
    if print_every is not None and (
        isinstance(print_every, bool) or not isinstance(print_every, int) or print_every < 0
    ):
        raise ValueError(
            f"fit: print_every must be an int >= 0 (0 or None: print nothing), not "
            f"{print_every!r}"
        )
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)  # type: ignore[attr-defined]
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
    if X_values.dtype.kind != "f":
        X_values = X_values.astype(np.float64)
    full_batch = batch_size is None or batch_size >= m
    X_t, Y_t = _as_tensor(X_values), _as_tensor(Y_values)
    X_t.name, Y_t.name = "X", "Y"  # fit's own wrappers: the graph reads like the notes
    rng = random_state(seed) if not full_batch else None
    bar = _progress(iterations, progress)  # None without progress=True (or without tqdm)
    say = print if bar is None else lambda line: bar.write(line, file=sys.stdout)
    costs: list[float] = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for i in range(iterations):
            if full_batch:
                J = loss_fn(model(X_t), Y_t)
                cost = J.item()
                _check_finite(cost, i, costs, optimizer, model, stepped=i > 0)
                optimizer.zero_grad()
                J.backward()
                optimizer.step()
            else:
                cost = 0.0
                batches = minibatches(X_values, Y_values, batch_size, seed=rng)
                for k, (X_batch, Y_batch) in enumerate(batches):
                    J = loss_fn(model(X_batch), Y_batch)
                    batch_cost = J.item()
                    _check_finite(batch_cost, i, costs, optimizer, model, stepped=i > 0 or k > 0)
                    optimizer.zero_grad()
                    J.backward()
                    optimizer.step()
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


def _data_array(label: str, values: Any) -> np.ndarray:
    """X or Y as a numpy array of real numbers (a Tensor's values, a list, an array)."""
    try:
        array = np.asarray(values.data if isinstance(values, Tensor) else values)
    except ValueError as error:  # ragged nested lists
        raise ShapeError(f"fit: {label} is not a rectangular array ({error})") from None
    if array.dtype.kind not in "biuf":
        raise DtypeError(
            f"fit: {label} has dtype {array.dtype}; training needs real numbers (convert it "
            f"first, e.g. np.asarray({label}, dtype=float))"
        )
    return array


def _shape_hint(x_shape: tuple, y_shape: tuple) -> str:
    """What the usual mistakes look like: examples in rows, rank-1 labels."""
    hints = []
    if len(x_shape) == 2 and len(y_shape) == 2 and x_shape[0] == y_shape[1] != x_shape[1]:
        hints.append(f"X looks like (m, n_x) with one example per row: pass X.T {x_shape[::-1]}")
    if len(y_shape) == 2 and y_shape[1] == 1 and y_shape[0] > 1:
        hints.append(f"Y looks like a column (m, 1): pass Y.T {y_shape[::-1]}")
    if len(y_shape) == 1:
        hints.append(f"Y is a rank-1 array: pass Y.reshape(1, -1), of shape (1, {y_shape[0]})")
    if len(x_shape) == 1:
        hints.append("X is a rank-1 array: one feature is X.reshape(1, -1)")
    return ". " + "; ".join(hints) if hints else ""


def _check_data(label: str, values: np.ndarray) -> None:
    if values.dtype.kind != "f":
        return
    finite = np.isfinite(values)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    columns = np.unique(bad[:, 1])
    first = tuple(int(k) for k in bad[0])
    raise DataError(
        f"fit: {label} {values.shape} holds {len(bad)} nan/inf value(s), in {len(columns)} of "
        f"its {values.shape[1]} examples (the first at {label}[{first[0]}, {first[1]}] = "
        f"{values[first]}); one of them makes the cost nan. Drop those columns "
        f"(keep = np.isfinite({label}).all(axis=0); X, Y = X[:, keep], Y[:, keep]) or fill "
        "the missing values."
    )


def _check_labels(Y: np.ndarray) -> None:
    outside = (Y < 0) | (Y > 1)
    if not outside.any():
        return
    found = np.unique(Y[outside])[:5]
    hint = " With labels -1/+1, pass (Y + 1) / 2." if np.isin(np.unique(Y), (-1, 1)).all() else ""
    raise DataError(
        f"fit: cross-entropy needs labels Y in [0, 1] (1 for the positive class, 0 for the "
        f"other), but Y holds {int(outside.sum())} value(s) outside, e.g. "
        f"{', '.join(f'{v:g}' for v in found)}.{hint}"
    )


def _loss_function(loss: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    if callable(loss):
        return loss
    if loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"fit: unknown loss {loss!r}: use one of {list(LOSSES)} or a function")


def _check_finite(cost: float, i: int, costs: list[float], optimizer: Optimizer,
                  model: Any, stepped: bool) -> None:
    """Raise ``TrainingDivergedError`` for a nan/inf cost; ``stepped``: a step was taken."""
    if math.isfinite(cost):
        return
    broken = [name for name, p in _named_parameters(model, optimizer)
              if not np.all(np.isfinite(p.data))]
    if not stepped:
        where = (f"the parameters {', '.join(broken)} hold nan/inf (loaded from a diverged "
                 "run?)" if broken else "X and Y are finite, so the model itself gives a nan "
                 "or inf output (a custom activation or loss?)")
        message = (f"training cannot start: the cost at iteration 0 is {cost}, before any "
                   f"step; {where}.")
    else:
        blown = f" (the parameters {', '.join(broken)} now hold nan/inf)" if broken else ""
        last = (f"the last finite cost was {costs[-1]:.6g} at iteration {i - 1}" if costs
                else "within the first pass over the mini-batches")
        message = (
            f"training diverged at iteration {i}: the cost became {cost}{blown}; {last}. "
            "The learning rate "
            f"lr={getattr(optimizer, 'lr', '?')} is probably too large: gradient descent "
            "overshoots and the weights blow up. Try a smaller one (e.g. lr / 10), or scale X "
            "to a few units. The costs so far are in this error's .costs."
        )
    raise TrainingDivergedError(message, iteration=i, costs=costs)


def _named_parameters(model: Any, optimizer: Optimizer) -> list:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    params = getattr(optimizer, "params", [])
    return [(p.name or f"parameter {k}", p) for k, p in enumerate(params)]


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


def predict(model: Callable[[Any], Tensor], X: Any, threshold: float = 0.5) -> np.ndarray:
    """The course's ``predict``: 1 where the model's output ``A[L] > threshold``, else 0.

    Returns an int array of the output's shape, ``(1, m)`` for one output unit; runs under
    ``no_grad()`` (no graph is recorded).
    """
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or \
            not math.isfinite(threshold):
        raise ValueError(f"predict: threshold must be a finite number (0.5 for probabilities, "
                         f"0 for logits), not {threshold!r}")
    with no_grad():
        A = model(X)
    values = A.data if isinstance(A, Tensor) else np.asarray(A)
    return (values > threshold).astype(np.int64)


def accuracy(model: Callable[[Any], Tensor], X: Any, Y: Any, threshold: float = 0.5) -> float:
    """The percentage of examples predicted right, as the notebook prints it (e.g. 90.75)."""
    predictions = predict(model, X, threshold)
    labels = np.asarray(getattr(Y, "data", Y))
    if labels.shape != predictions.shape:
        raise ShapeError(
            f"accuracy: the labels Y {labels.shape} and the predictions {predictions.shape} "
            "must have the same shape (n_y, m)"
        )
    return float(np.mean(predictions == labels) * 100.0)
