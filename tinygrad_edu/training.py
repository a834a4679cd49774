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
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import no_grad
from .data import minibatches
from .errors import ShapeError, TrainingDivergedError
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
    a tqdm bar when tqdm is installed (it is optional) and is ignored otherwise.

    If the cost becomes nan or inf, ``TrainingDivergedError`` names the iteration and the
    last finite cost (numpy's overflow warnings are silenced inside the loop: this check
    replaces them).
    """
    loss_fn = _loss_function(loss)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"fit: iterations must be an int >= 0, not {iterations!r}")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)  # type: ignore[attr-defined]
    X_values = np.asarray(getattr(X, "data", X))
    Y_values = np.asarray(getattr(Y, "data", Y))
    if X_values.ndim != 2 or Y_values.ndim != 2 or X_values.shape[1] != Y_values.shape[1]:
        raise ShapeError(
            f"fit: X {X_values.shape} and Y {Y_values.shape} must be matrices with the same "
            "number of columns m (examples are columns: X is (n_x, m), Y is (n_y, m))"
        )
    if X_values.dtype.kind != "f":
        X_values = X_values.astype(np.float64)
    m = X_values.shape[1]
    full_batch = batch_size is None or batch_size >= m
    X_t, Y_t = _as_tensor(X_values), _as_tensor(Y_values)
    rng = random_state(seed) if not full_batch else None
    steps = _progress(range(iterations), progress)
    costs: list[float] = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for i in steps:
            if full_batch:
                J = loss_fn(model(X_t), Y_t)
                cost = J.item()
                _check_finite(cost, i, costs, optimizer)
                optimizer.zero_grad()
                J.backward()
                optimizer.step()
            else:
                cost = 0.0
                for X_batch, Y_batch in minibatches(X_values, Y_values, batch_size, seed=rng):
                    J = loss_fn(model(X_batch), Y_batch)
                    batch_cost = J.item()
                    _check_finite(batch_cost, i, costs, optimizer)
                    optimizer.zero_grad()
                    J.backward()
                    optimizer.step()
                    cost += batch_cost * X_batch.shape[1] / m
            costs.append(cost)
            if print_every and i % print_every == 0:
                print(f"Cost after iteration {i}: {cost:.6f}")
            if callback is not None and callback(i, cost, model) is True:
                break
    return costs


def _loss_function(loss: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    if callable(loss):
        return loss
    if loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"fit: unknown loss {loss!r}: use one of {list(LOSSES)} or a function")


def _check_finite(cost: float, i: int, costs: list[float], optimizer: Optimizer) -> None:
    if math.isfinite(cost):
        return
    last = (
        f"the last finite cost was {costs[-1]:.6g} at iteration {i - 1}"
        if costs
        else "it was not finite from the start"
    )
    raise TrainingDivergedError(
        f"training diverged at iteration {i}: the cost became {cost} ({last}). The learning "
        f"rate lr={getattr(optimizer, 'lr', '?')} is probably too large: gradient descent "
        "overshoots and the weights blow up. Try a smaller one (e.g. lr / 10); check also "
        "that X and Y hold no nan/inf and that X is scaled to a few units."
    )


def _progress(steps: range, progress: bool) -> Any:
    if not progress:
        return steps
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return steps
    return tqdm(steps, desc="training")


def predict(model: Callable[[Any], Tensor], X: Any, threshold: float = 0.5) -> np.ndarray:
    """The course's ``predict``: 1 where the model's output ``A[L] > threshold``, else 0.

    Returns an int array of the output's shape, ``(1, m)`` for one output unit; runs under
    ``no_grad()`` (no graph is recorded).
    """
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
