"""What the ops of a symbolic tree compute: numpy's function for each (``EVALUATE``), and
the plain values explain works with (hashable stand-ins of attributes, cheap stand-ins of
arrays that let numpy work out a result's shape and dtype). No Sym here: nodes are read by
their ``op``, ``attrs``, ``shape``, ``dtype`` and ``weak``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine import scatter, sigmoid_of

_PYTHON_SCALARS = (bool, int, float)
_ATOM = 9  # precedence of names, numbers and calls
_FLOOR_LIMIT = 1e-6  # np.maximum(x, c) with 0 < c below this is a floor against division by 0


def _in_dtype_of(target: Any, value: Any) -> Any:
    """As the engine stores it: a gradient has its tensor's dtype (float32 stays float32 even
    where numpy promoted the arithmetic to float64)."""
    dtype = getattr(target, "dtype", None)
    if isinstance(value, np.ndarray) and dtype is not None and value.dtype != dtype:
        return value.astype(dtype)
    return value


def _frozen(value: Any) -> Any:
    """A hashable stand-in for attributes (numpy index arrays and constants included)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, tuple | list):
        return (type(value).__name__, *(_frozen(v) for v in value))
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.item())
    if isinstance(value, _PYTHON_SCALARS):
        return (type(value).__name__, value)
    if value is None or isinstance(value, str):
        return value
    return ("object", id(value))


_STAND_INS: dict = {}


def _stand_in(s: Any) -> Any:
    """A cheap value of the right shape and dtype (ones, no memory: a broadcast view), to let
    numpy work out a result's shape and dtype."""
    if s.op == "const":
        return s.attrs
    if s.weak:
        return s.dtype.type(1).item()
    found = _STAND_INS.get((s.shape, s.dtype))
    if found is None:
        found = _STAND_INS[s.shape, s.dtype] = np.broadcast_to(np.ones((), s.dtype), s.shape)
    return found


_UFUNC_OPS = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div",
              "divide": "div", "negative": "neg", "power": "pow", "matmul": "matmul"}

_EVALUATE = {
    "add": lambda n, a, b: a + b,
    "sub": lambda n, a, b: a - b,
    "mul": lambda n, a, b: a * b,
    "div": lambda n, a, b: a / b,
    "neg": lambda n, a: -a,
    "pow": lambda n, a, b: a**b,
    "square": lambda n, a: a * a,  # x**2, computed as the rule wrote it (x * x)
    "matmul": lambda n, a, b: a @ b,
    "transpose": lambda n, a: np.transpose(a, n.attrs),
    "reshape": lambda n, a: np.reshape(a, n.attrs),
    "sum": lambda n, a: np.sum(a, axis=n.attrs[0], keepdims=n.attrs[1]),
    "broadcast_to": lambda n, a: np.broadcast_to(a, n.attrs),
    "getitem": lambda n, a: a[n.attrs],
    "scatter": lambda n, a: scatter(np.asarray(a), *n.attrs),
    "where": lambda n, c, a, b: np.where(c, a, b),
    "sigmoid": lambda n, a: sigmoid_of(a),  # the engine's forward: the same bits
    "ufunc": lambda n, *xs: n.attrs(*xs),
}


def _is_const(s: Any, value: float) -> bool:
    return s.op == "const" and np.size(s.attrs) > 0 and bool(np.all(s.attrs == value))


class _Attrs:
    """Stands in for a node while its shape is worked out (``_EVALUATE`` reads ``.attrs``)."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: Any) -> None:
        self.attrs = attrs
