"""Checks of what the public functions are given, one line per call site.

Every helper takes the value, ``who`` (the function as the user called it, e.g.
``"noisy_moons"``, ``"Tensor.reshape"``) and ``arg`` (the argument's name), and either
returns the value (converted: an ``int``, a ``float``, a ``bool``) or raises

* ``ArgumentTypeError`` (an ``ArgumentError`` and a ``TypeError``) for a wrong type, e.g.
  ``"noisy_moons: noise must be a number >= 0, not '0.2' (a str)."``
* ``ArgumentError`` (a ``ValueError``) for a value out of range, e.g.
  ``"gaussian_quantiles: n_classes must be an int >= 2, not 0."``

The message names the function, the argument, what was expected and what was given, so a
call site is one line: ``noise = checks.real(noise, "noisy_moons", "noise", minimum=0)``.
Checks run before anything is changed; on hot paths they run behind a cheap ``type(x) is``
test or only after numpy has already refused the value.

Nothing here imports the rest of the package (errors only), so any module may use it.
"""

from __future__ import annotations

import math
import numbers
import os
import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import ArgumentError, ArgumentTypeError, DataError, DtypeError, ShapeError, describe

__all__ = [
    "boolean",
    "bounds",
    "choice",
    "describe_value",
    "dtype",
    "function",
    "integer",
    "optional_integer",
    "optional_text",
    "path",
    "random_state",
    "real",
    "sequence",
    "tensor",
    "tensor_list",
    "text",
]


def describe_value(value: Any) -> str:
    """How a given value is shown in a message: ``'0.2' (a str)``, ``the class Sequential``,
    ``an ndarray of shape (2, 3)``, ``W1 (4, 2)`` for a tensor."""
    if isinstance(value, type):
        return f"the class {value.__name__} itself (an instance is needed)"
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape} and dtype {value.dtype}"
    if hasattr(value, "_ctx") and hasattr(value, "data"):  # a Tensor (no import: no cycle)
        name = getattr(value, "name", None)
        return f"the Tensor {name + ' ' if name else ''}{tuple(value.shape)}"
    text_ = repr(value)
    if len(text_) > 60:
        text_ = text_[:57] + "..."
    if value is None or isinstance(value, bool):
        return text_
    if type(value) in (int, float):
        return text_
    return f"{text_} (a {type(value).__name__})"


def _fail(who: str, arg: str, expected: str, value: Any, hint: str = "",
          kind: type = ArgumentTypeError) -> ArgumentError:
    hint = f" {hint}" if hint else ""
    return kind(f"{who}: {arg} must be {expected}, not {describe_value(value)}.{hint}")


def _is_int(value: Any) -> bool:
    return type(value) is int or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
    )


def _bounds_text(minimum: Any, maximum: Any, above: Any = None, below: Any = None) -> str:
    parts = []
    if minimum is not None:
        parts.append(f">= {minimum:g}" if isinstance(minimum, float) else f">= {minimum}")
    if above is not None:
        parts.append(f"> {above:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}" if isinstance(maximum, float) else f"<= {maximum}")
    if below is not None:
        parts.append(f"< {below:g}")
    return " and ".join(parts)


def integer(value: Any, who: str, arg: str, minimum: int | None = None,
            maximum: int | None = None, hint: str = "") -> int:
    """``value`` as an ``int`` (numpy integers too; not a bool, not 2.0), within the bounds."""
    bounds = _bounds_text(minimum, maximum)
    expected = "an int" + (f" {bounds}" if bounds else "")
    if minimum == 1 and maximum is None:
        expected = "a positive int"
    if not _is_int(value):
        raise _fail(who, arg, expected, value, hint)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(who, arg, expected, value, hint, kind=ArgumentError)
    return value


def optional_integer(value: Any, who: str, arg: str, minimum: int | None = None,
                     hint: str = "") -> int | None:
    """None, or ``integer(value, ...)``."""
    if value is None:
        return None
    bounds = "a positive int" if minimum == 1 else "an int" + (
        f" {_bounds_text(minimum, None)}" if minimum is not None else "")
    if not _is_int(value):
        raise _fail(who, arg, f"None or {bounds}", value, hint)
    return integer(value, who, arg, minimum=minimum, hint=hint)


def real(value: Any, who: str, arg: str, *, minimum: float | None = None,
         maximum: float | None = None, above: float | None = None,
         below: float | None = None, hint: str = "") -> float:
    """``value`` as a finite ``float`` (an int, a float, a numpy number; not a bool, not a
    string, not a one-element array), within the bounds (``above``/``below``: strictly)."""
    bounds = _bounds_text(minimum, maximum, above, below)
    expected = "a finite number" + (f" {bounds}" if bounds else "")
    if type(value) is not float and (
        not isinstance(value, numbers.Real) or isinstance(value, bool | np.bool_)
    ):
        raise _fail(who, arg, expected, value, hint)
    number = float(value)
    if not math.isfinite(number) or (
        (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
        or (above is not None and number <= above)
        or (below is not None and number >= below)
    ):
        raise _fail(who, arg, expected, value, hint, kind=ArgumentError)
    return number


def boolean(value: Any, who: str, arg: str) -> bool:
    """``True`` or ``False`` (a numpy bool too); not 1, not "yes", not None."""
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise _fail(who, arg, "True or False", value)


def text(value: Any, who: str, arg: str, hint: str = "") -> str:
    """A ``str``."""
    if isinstance(value, str):
        return value
    raise _fail(who, arg, "a str", value, hint)


def optional_text(value: Any, who: str, arg: str, hint: str = "") -> str | None:
    """None or a ``str``."""
    if value is None or isinstance(value, str):
        return value
    raise _fail(who, arg, "None or a str", value, hint)


def dtype(value: Any, who: str, arg: str = "dtype") -> np.dtype:
    """A numpy dtype, or something ``np.dtype`` understands (``"float32"``, ``np.float64``)."""
    try:
        return np.dtype(value)
    except TypeError:
        raise _fail(who, arg, "a numpy dtype such as 'float64' or np.float32", value) from None


def bounds(low: Any, high: Any, who: str) -> None:
    """``clip``'s bounds: each None or a number (±inf allowed, not nan), and low <= high."""
    for arg, value in (("low", low), ("high", high)):
        if value is None or (type(value) is float and value == value):
            continue
        if not isinstance(value, numbers.Real) or isinstance(value, bool | np.bool_):
            raise _fail(who, arg, "None or a number", value)
        if math.isnan(value):
            raise _fail(who, arg, "None or a number", value, kind=ArgumentError)
    if low is not None and high is not None and low > high:
        raise ArgumentError(f"{who}: low = {low} is above high = {high}; give low <= high.")


def sequence(value: Any, who: str, arg: str) -> tuple:
    """A list/tuple (any iterable but a string or a mapping) as a tuple."""
    if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
        raise _fail(who, arg, "a list of tensors", value)
    return tuple(value)


def choice(value: Any, who: str, arg: str, choices: Iterable[Any]) -> Any:
    """One of ``choices`` (compared with ``==``; an unhashable value is refused cleanly)."""
    choices = tuple(choices)
    listed = ", ".join(map(repr, choices))
    if isinstance(value, str | bool | int | float | type(None)) and value in choices:
        return value
    kind = ArgumentError if isinstance(value, str) else ArgumentTypeError
    raise _fail(who, arg, f"one of {listed}", value, kind=kind)


def function(value: Any, who: str, arg: str, expected: str = "a function",
             hint: str = "") -> Any:
    """A callable that is not a class (``fit(nn.Sequential, ...)`` is refused: the class is
    callable, but calling it builds a new, empty model instead of running one)."""
    if callable(value) and not isinstance(value, type):
        return value
    raise _fail(who, arg, expected, value, hint)


def tensor(value: Any, who: str, arg: str, hint: str = "") -> Any:
    """A Tensor (checked by its attributes: this module imports no other)."""
    if hasattr(value, "_ctx") and hasattr(value, "requires_grad"):
        return value
    raise _fail(who, arg, "a Tensor", value, hint)


def tensor_list(value: Any, who: str, arg: str, allow_empty: bool = False,
                hint: str = "") -> tuple[list, bool]:
    """A Tensor or a list (any iterable) of Tensors: ``(the tensors, whether one lone Tensor
    was given)``. An ndarray, a number or a string is refused (iterating an ndarray would
    give its rows)."""
    if hasattr(value, "_ctx") and hasattr(value, "requires_grad"):
        return [value], True
    if isinstance(value, np.ndarray | np.generic | str | bytes | numbers.Number) or not \
            isinstance(value, Iterable):
        raise _fail(who, arg, "a Tensor or a list of Tensors", value, hint)
    items = list(value)
    for position, item in enumerate(items):
        if not (hasattr(item, "_ctx") and hasattr(item, "requires_grad")):
            raise _fail(who, f"{arg}[{position}]", "a Tensor", item)
    if not items and not allow_empty:
        raise ArgumentError(f"{who}: {arg} is an empty list; give at least one Tensor.")
    return items, False


def path(value: Any, who: str, arg: str = "path") -> str | os.PathLike:
    """A file name: a ``str`` or a ``pathlib.Path`` (any ``os.PathLike``), not empty."""
    if isinstance(value, str | os.PathLike) and os.fspath(value) != "":
        return value
    raise _fail(who, arg, "a file name (a non-empty str or a pathlib.Path)", value)


# ---------------------------------------------------------------------------------------------
# the costs' inputs: the messages behind the cheap tests the costs run on every call
# ---------------------------------------------------------------------------------------------

_MIN, _MAX = np.minimum.reduce, np.maximum.reduce


class _Checked:
    """The last label array found in [0, 1], if it owns its values and is read-only (``fit``
    makes its labels so): a training loop then pays an identity test and a flag test per step
    for its labels, not a pass over them. A writeable array, or a view (whose base could
    change), is checked at every call; an array made writeable again is checked again."""

    labels: Any = lambda: None  # a weak reference: the array is not kept alive by this


def unit_interval_labels(Y: Any, op: str) -> None:
    """The labels tensor ``Y`` of a cross-entropy: every value in [0, 1] (0/1 classes or
    probabilities)."""
    y = Y.data
    if y is _Checked.labels() and not y.flags.writeable:
        return
    if y.size and _MIN(y, axis=None) >= 0 and _MAX(y, axis=None) <= 1:  # nan fails both
        if not y.flags.writeable and y.base is None:
            _Checked.labels = weakref.ref(y)
        return
    if not y.size:
        return
    outside = ~((y >= 0) & (y <= 1))
    found = np.unique(y[outside])[:5]
    hint = " With labels -1/+1, pass (Y + 1) / 2." if np.isin(np.unique(y), (-1, 1)).all() \
        else ""
    raise DataError(
        f"{op}: the labels {describe(Y)} must be in [0, 1] (1 for the positive class, 0 for "
        f"the other, or a probability), but {int(outside.sum())} value(s) are not, e.g. "
        f"{', '.join(f'{v:g}' for v in found)}.{hint}"
    )


def unit_interval_predictions(A: Any, op: str) -> None:
    """The predictions tensor ``A`` given to ``binary_cross_entropy``: probabilities; logits by
    mistake are refused (nan is let through: the cost is then nan, which ``fit`` reports as
    divergence)."""
    a = A.data
    if not a.size or (not _MIN(a, axis=None) < 0 and not _MAX(a, axis=None) > 1):
        return
    raise ArgumentError(
        f"{op}: the predictions {describe(A)} must be probabilities in [0, 1], but they range from "
        f"{np.nanmin(a):.4g} to {np.nanmax(a):.4g}: are they logits Z (before the sigmoid)? "
        f"Use binary_cross_entropy_with_logits(Z, Y), or pass sigmoid(Z)."
    )


def cost_operands(A: np.ndarray, Y: np.ndarray, op: str, what_a: str, what_y: str) -> None:
    """An empty batch, or predictions/labels that are not real numbers (text, objects,
    complex), refused by a cost: called only when the cheap test in the cost failed."""
    if A.dtype.kind not in "biuf" or Y.dtype.kind not in "biuf":
        bad, arr = (what_a, A) if A.dtype.kind not in "biuf" else (what_y, Y)
        raise DtypeError(
            f"{op}: {bad} holds {arr.dtype} values; a cost needs real numbers (convert text "
            "labels to 0/1 first, e.g. (labels == 'yes').astype(float))."
        )
    if A.size == 0:
        raise DataError(
            f"{op}: the batch is empty ({what_a}, m = {A.shape[-1] if A.ndim else 1}): a cost "
            "over no examples is undefined. Check the batch: is X (n_x, m) with m >= 1?"
        )


def axes(axis: Any, ndim: int, who: Any, op: str) -> tuple:
    """Normalize ``axis`` (None, int or tuple) to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple | list) else (axis,)
    result = []
    for a in items:
        if not isinstance(a, int | np.integer) or isinstance(a, bool):
            raise ArgumentTypeError(
                f"{op}: axis must be None, an int or a tuple of ints, not "
                f"{describe_value(axis)} (for {describe(who)}; axis=1 runs over the m "
                "examples)."
            )
        if not -ndim <= a < max(ndim, 1):
            raise ShapeError(
                f"{op}: axis {axis!r} is out of range for {describe(who)}, which has {ndim} "
                f"axes (valid: {-ndim} to {ndim - 1}, a tuple of those, or None for all). "
                "Examples are columns: axis=1 runs over the m examples."
            )
        result.append(int(a) % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise ShapeError(f"{op}: axis {axis!r} repeats an axis of {describe(who)}")
    return tuple(sorted(result))


def random_state(seed: Any) -> Any:
    """The object to draw from: the legacy global ``np.random`` module for ``None``, a
    ``RandomState(seed)`` for an int, a Generator or RandomState as given.

    All three offer ``standard_normal``, ``normal``, ``uniform`` and ``permutation``.
    """
    if seed is None or seed is np.random:
        return np.random  # the legacy global stream that np.random.seed() sets
    if isinstance(seed, np.random.Generator | np.random.RandomState):
        return seed
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        if not 0 <= seed < 2**32:
            raise ArgumentError(
                f"seed must be an int from 0 to 2**32 - 1 (numpy's legacy seeds), not {seed}"
            )
        return np.random.RandomState(int(seed))
    raise ArgumentTypeError(
        f"seed must be None (numpy's global stream), an int, a np.random.Generator or a "
        f"np.random.RandomState, not {describe_value(seed)}"
    )
