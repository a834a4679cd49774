"""What ``fit`` checks: before its first step (the optimizer, X and Y, the labels its loss can
mean) and at every step (a cost that is a Tensor, a finite cost), with messages that say what
to do. Nothing here changes a parameter."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import checks
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    DataError,
    DtypeError,
    ShapeError,
    TrainingDivergedError,
)
from .optim import Optimizer
from .tensor import Tensor


def _check_optimizer_fits(optimizer: Optimizer, model: Any) -> None:
    """An optimizer built on another model's parameters would leave this one untrained."""
    if not hasattr(model, "parameters"):
        return
    ours = {id(p) for p in model.parameters()}
    if ours and not ours & {id(p) for p in optimizer.params}:
        raise ArgumentError(
            f"fit: the optimizer {type(optimizer).__name__} updates none of the model's "
            "parameters (was it built on another model, or before the model was rebuilt?); "
            "make it with optim.<Name>(model.parameters(), ...) for this model."
        )


def _not_a_cost(J: Any, loss: Any) -> None:
    """A loss that returned a number or an array: it has no graph, so backward cannot run."""
    where = f"the loss {getattr(loss, '__name__', loss)!r}" if callable(loss) else "the loss"
    raise ArgumentTypeError(
        f"fit: {where} returned {checks.describe_value(J)}, not a Tensor: a cost computed on "
        "plain numbers (float(), .item(), .numpy(), np.* functions) has no graph to "
        "differentiate. Compute it with Tensor operations, e.g. "
        "lambda A, Y: F.binary_cross_entropy(A, Y). Nothing was changed."
    )


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


def _check_one_hot(Y: np.ndarray) -> None:
    binary = (Y == 0) | (Y == 1)
    if binary.all() and np.all(Y.sum(axis=0) == 1) and Y.shape[0] > 1:
        return
    hint = (" Y looks like class indices (1, m): pass F.one_hot(Y, C)."
            if Y.shape[0] == 1 else "")
    raise DataError(
        f"fit: categorical cross-entropy needs one-hot labels Y (C, m) with C >= 2 classes: "
        f"one 1 per column (the class of that example) and 0 elsewhere; Y {Y.shape} is not."
        + hint
    )


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
