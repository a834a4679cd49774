"""The optimizers' checks: arguments (parameters, learning rates, β, ε) and gradients.

Shared by the optimizers, the schedules and ``clip_grad_norm_``. Every check raises before
anything changes; messages name the function, the argument, what was given and what is
expected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    DtypeError,
    GradientError,
    ShapeError,
    describe,
)
from ..tensor import Tensor

__all__ = ["as_number", "check_beta", "check_eps", "check_lr", "checked_gradients",
           "parameter_list", "state_float", "state_int"]


# -- argument checks (shared by the optimizers, the schedules and clip_grad_norm_) -------------


def as_number(who: str, name: str, value: Any, expected: str) -> float:
    """``value`` as a float if it is a real number (not a bool), else ``ArgumentTypeError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ArgumentTypeError(f"{who}: {name} must be a number ({expected}), not {value!r}")
    return float(value)


def check_lr(who: str, name: str, value: Any) -> float:
    """A learning rate: a positive finite number."""
    lr = as_number(who, name, value, "a positive learning rate such as 0.01")
    if not (math.isfinite(lr) and lr > 0):
        raise ArgumentError(
            f"{who}: the learning rate {name} must be a positive finite number, not {value!r} "
            "(the course's flower network uses 1.2)"
        )
    return lr


def check_beta(who: str, name: str, value: Any) -> float:
    """The weight of an exponential average: in [0, 1)."""
    beta = as_number(who, name, value, "in [0, 1), e.g. 0.9")
    if not 0.0 <= beta < 1.0:  # false for nan too
        raise ArgumentError(
            f"{who}: {name} must be in [0, 1) (an exponential average keeps a fraction β of "
            f"the past; 0.9 averages about 10 steps), not {value!r}"
        )
    return beta


def check_eps(who: str, name: str, value: Any) -> float:
    """The ε that keeps a division away from 0: positive and finite."""
    eps = as_number(who, name, value, "a small positive number such as 1e-8")
    if not (math.isfinite(eps) and eps > 0):
        raise ArgumentError(
            f"{who}: {name} must be a positive finite number (it keeps dW / (√s + ε) finite "
            f"where s = 0), not {value!r}; the usual value is 1e-8"
        )
    return eps


def parameter_list(who: str, params: Any) -> list[Tensor]:
    """The parameters as a list, each once, in order: leaf Tensors that require grad."""
    if isinstance(params, Tensor):
        params = [params]
    expected = ("an iterable of parameters (leaf Tensors that require grad), such as "
                "model.parameters()")
    if hasattr(params, "parameters") and callable(params.parameters):
        raise ArgumentTypeError(
            f"{who}: params is the model {type(params).__name__} itself; pass "
            "model.parameters()"
        )
    if params is None or isinstance(params, str | bytes | np.ndarray | Mapping) or \
            not isinstance(params, Iterable):
        what = "a numpy array (parameters are Tensors with requires_grad=True)" \
            if isinstance(params, np.ndarray) else \
            "a dict (parameter groups are not supported: one optimizer per group)" \
            if isinstance(params, Mapping) else repr(params)
        raise ArgumentTypeError(f"{who}: params must be {expected}, not {what}")
    unique: list[Tensor] = []
    seen: set[int] = set()
    for position, p in enumerate(params):
        if not isinstance(p, Tensor):
            hint = (" (did you pass the model itself? use model.parameters())"
                    if hasattr(p, "parameters") else "")
            raise ArgumentTypeError(
                f"{who}: item {position} of params is a {type(p).__name__}, not a Tensor{hint}"
            )
        if not p.requires_grad or not p.is_leaf:
            raise ArgumentError(
                f"{who}: the parameter {describe(p)} (item {position} of params) "
                + ("does not require grad, so it never gets a gradient to follow. Create "
                   "it with Tensor(..., requires_grad=True)." if not p.requires_grad
                   else "was computed by an op; only leaf tensors can be parameters.")
            )
        if id(p) not in seen:  # a parameter listed twice is stepped once
            seen.add(id(p))
            unique.append(p)
    if not unique:
        raise ArgumentError(
            f"{who}: the parameter list is empty (was model.parameters() already used up, "
            "or does the model have no layers?)"
        )
    return unique


# -- the gradients, checked before anything changes ------------------------------------------


def checked_gradients(who: str, params: list[Tensor], shapes: list[tuple],
                      dtypes: list[np.dtype]) -> tuple[list[np.ndarray | None], float]:
    """Each parameter's ``.grad`` (None where it has none) and ``Σ ‖dW‖²`` over all of them,
    after checking that every gradient is an array of its parameter's shape and dtype, with no
    nan or inf, and that at least one parameter has a gradient.

    ``shapes``/``dtypes`` are the parameters' shapes and dtypes when the optimizer was built
    (its buffers have them). Cost: two tuple comparisons and one ``np.vdot(g, g)`` per
    gradient; the full scan for nan/inf runs only when the sum of squares is not finite.
    """
    grads: list[np.ndarray | None] = []
    total = 0.0
    ndarray, vdot = np.ndarray, np.vdot
    for p, shape, dtype in zip(params, shapes, dtypes):
        g = p.grad
        if g is not None:
            data = p.data
            if (type(g) is not ndarray or g.dtype is not dtype or data.dtype is not dtype
                    or g.shape != shape or data.shape != shape):
                _diagnose(who, p, g, shape, dtype)  # the slow path: raises, or accepts
            total += float(vdot(g, g))  # ‖dW‖²: nan or inf if any entry is
        grads.append(g)
    if not math.isfinite(total):
        _refuse_non_finite(who, params, grads)
    if total == 0.0 and all(g is None for g in grads):
        raise GradientError(
            f"{who}: none of the {len(params)} parameters has a gradient (every .grad is "
            "None), so there is nothing to step. Call J.backward() between zero_grad() and "
            "step()."
        )
    return grads, total


def _diagnose(who: str, p: Tensor, g: Any, shape: tuple, dtype: np.dtype) -> None:
    """Raise the error for a gradient the fast check did not accept (returns if it is fine)."""
    name = describe(p)
    grad = f"{p.name}.grad" if p.name else f"the .grad of {name}"
    if not isinstance(p.data, np.ndarray) or p.data.shape != shape or p.data.dtype != dtype:
        raise ShapeError(
            f"{who}: the parameter {name} is {p.data.dtype} {p.data.shape} now but was "
            f"{dtype} {shape} when the optimizer was built (its buffers have that shape): "
            "its .data was replaced. Build a new optimizer for the new parameter."
        )
    if not isinstance(g, np.ndarray):
        raise DtypeError(
            f"{who}: {grad} is a {type(g).__name__}, not a numpy array; backward() "
            f"fills .grad with an array (to set one by hand: p.grad = np.asarray(..., "
            f"dtype=np.{dtype})). Nothing was changed."
        )
    if g.shape != shape:
        raise ShapeError(
            f"{who}: {grad} has shape {g.shape} but {p.name or 'the parameter'} is {shape}: a "
            "gradient has its parameter's shape (dW is the shape of W). Was .grad set by hand or "
            "swapped between parameters? Nothing was changed."
        )
    if g.dtype != dtype:
        raise DtypeError(
            f"{who}: {grad} is {g.dtype} but {p.name or 'the parameter'} is {dtype}; "
            "backward() gives each gradient its parameter's dtype (convert: p.grad = "
            f"p.grad.astype(np.{dtype})). Nothing was changed."
        )


def _refuse_non_finite(who: str, params: list[Tensor], grads: list) -> None:
    for p, g in zip(params, grads):
        if g is not None and not np.isfinite(g).all():
            bad = int(g.size - np.count_nonzero(np.isfinite(g)))
            raise GradientError(
                f"{who}: {f'{p.name}.grad' if p.name else 'the .grad of ' + describe(p)} "
                f"({g.shape}) holds {bad} nan/inf value(s) of {g.size}; "
                "stepping would write them into the parameter. Nothing was changed. In "
                "training this usually means the learning rate is too large (the weights blew "
                "up; try lr / 10) or the cost overflowed; optim.clip_grad_norm_ bounds the "
                "step, detect_anomaly() finds the op that made the nan."
            )
    # every entry is finite, only the sum of squares overflowed: the gradients are fine



# -- values read from a state dict ----------------------------------------------------------


def state_float(who: str, key: str, value: Any) -> float:
    """A real finite number from a state dict entry (a Python or numpy scalar, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iuf":
        raise ArgumentError(f"{who}: {key} must be one real number, not {value!r}")
    if not np.isfinite(array):
        raise ArgumentError(
            f"{who}: {key} is {float(array)}; was the state saved after training diverged? "
            "(Nothing was loaded.)"
        )
    return float(array)


def state_int(who: str, key: str, value: Any) -> int:
    """An integer from a state dict entry (a Python or numpy int, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iu":
        raise ArgumentError(f"{who}: {key} must be one integer, not {value!r}")
    return int(array)
