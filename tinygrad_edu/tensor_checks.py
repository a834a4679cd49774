"""The checks at the core's entry points, so that the core's ops receive what numpy accepts.

``Tensor(...)``'s name and ``requires_grad``; the settings of ``sum``/``mean`` (axis,
keepdims), ``reshape``, ``transpose`` and ``broadcast_to``; two operands whose shapes do not
fit (which axis, F7.1); the seed of ``backward()`` and ``grad()``. A check returns the value
the op will use (or nothing), or raises an error that names the call, what was given and what
to do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import checks, messages
from .errors import ArgumentTypeError, BackwardError, DtypeError, ShapeError, describe

_KEPT_FLOAT_DTYPES = ("float32", "float64")


def to_array(data: Any, dtype: Any) -> np.ndarray:
    if dtype is not None:
        dtype = checks.dtype(dtype, "Tensor", "dtype")
        if dtype.kind not in "fiub":
            raise DtypeError(f"Tensor: dtype {dtype} is not supported (use float64 or float32)")
        return np.array(data, dtype=dtype, copy=True)
    if isinstance(data, np.ndarray | np.generic):
        arr = np.array(data, copy=True)
        if arr.dtype.kind == "f" and arr.dtype.name not in _KEPT_FLOAT_DTYPES:
            arr = arr.astype(np.float64)
    else:
        try:
            arr = np.array(data)
        except ValueError as error:  # ragged nested lists: rows of different lengths
            raise ShapeError(messages.ragged(error)) from None
        if arr.dtype.kind in "iuf":
            arr = arr.astype(np.float64)  # Python numbers and lists: float64
    if arr.dtype.kind not in "fiub":
        raise DtypeError(messages.unsupported_data(data, arr.dtype))
    return arr


def constant(value: Any, like: Any) -> np.ndarray:
    """The array of a number or array met in an op: a Python number takes the floating dtype
    of the tensor ``like`` (float32 stays float32); arrays keep their own dtype."""
    if isinstance(value, np.ndarray):
        return value
    like_dtype = getattr(getattr(like, "data", None), "dtype", None)
    if isinstance(value, int | float | bool | np.integer | np.floating | np.bool_) and \
            like_dtype is not None:
        data = np.asarray(value, dtype=like_dtype if like_dtype.kind == "f" else None)
        return data.astype(np.float64) if data.dtype.kind in "iu" else data
    return to_array(value, None)


def tensor_name(name: Any) -> str | None:
    return name if name is None or type(name) is str else checks.optional_text(
        name, "Tensor", "name")


def can_require_grad(t: Any, requires_grad: Any, who: str = "requires_grad_") -> bool:
    """``requires_grad`` as a bool, for a floating leaf (a computed tensor stays in its graph)."""
    requires_grad = checks.boolean(requires_grad, who, "requires_grad")
    if requires_grad and t.data.dtype.kind != "f":
        raise DtypeError(messages.grad_needs_float(t))
    if not requires_grad and t._ctx is not None:
        raise BackwardError(
            f"requires_grad_(False) on {describe(t)}, which was computed by {t._ctx.name}: "
            "use .detach() to cut it from the graph")
    return requires_grad


def is_number(value: Any) -> bool:
    """A real number that is not a bool (``x ** 2``, not ``x ** True``)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool)


def reduction(op: str, x: Any, axis: Any, keepdims: Any) -> dict:
    """The settings of ``x.sum``/``x.mean``: ``axis`` as numpy takes it, ``keepdims`` a bool."""
    if keepdims is not False and keepdims is not True:
        keepdims = checks.boolean(keepdims, op, "keepdims")
    axes = checks.axes(axis, x.ndim, x, op)
    if x.data.size == 0 and op != "sum" and any(x.data.shape[i] == 0 for i in axes):
        raise ShapeError(messages.empty_reduction(op, x, axis))
    if axis is not None and type(axis) is not int:
        axis = int(axis) if isinstance(axis, np.integer) else tuple(int(a) for a in axis)
    return {"axis": axis, "keepdims": keepdims}


def new_shape(x: Any, shape: tuple) -> tuple:
    """The shape of ``x.reshape(*shape)``, with its ``-1`` worked out."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        return x.data.reshape(shape).shape
    except TypeError:  # numpy refused the type: say which argument and what is expected
        raise ArgumentTypeError(messages.reshape_type(x, shape)) from None
    except ValueError:
        raise ShapeError(messages.reshape_size(x, shape)) from None


def permutation(x: Any, axes: tuple) -> tuple:
    """The axes of ``x.transpose(*axes)`` as non-negative ints (none: all reversed)."""
    if len(axes) == 1 and isinstance(axes[0], tuple | list):
        axes = tuple(axes[0])
    if not axes:
        return tuple(reversed(range(x.ndim)))
    if not all(type(a) is int for a in axes):
        axes = tuple(checks.integer(a, "transpose", "each of axes") for a in axes)
    if any(not -x.ndim <= a < x.ndim for a in axes) or \
            sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes "
                         f"of {describe(x)}")
    return tuple(int(a) % x.ndim for a in axes)


def broadcast_shape(x: Any, shape: Any) -> tuple:
    try:
        return np.broadcast_to(x.data, shape).shape
    except TypeError:
        raise ArgumentTypeError(messages.broadcast_to_type(x, shape)) from None
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast {describe(x)} to {shape}") from None


def operands_error(op: type, x: Any, y: Any, error: ValueError) -> Exception:
    """The error for ``x op y`` that numpy refused: which axis does not fit (F7.1), or, when
    the shapes fit, numpy's own complaint (integers to negative powers)."""
    if op.name == "matmul":
        return ShapeError(messages.matmul(x, y))
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        return ShapeError(messages.broadcast(op.name, x, y))
    return error


def op_inputs(op: type, inputs: tuple) -> None:
    """Called where ``op.apply`` met an AttributeError: ``Op.apply(x, 2.0)`` (a setting by
    position) raises TypeError in its place; if the inputs are tensors, nothing (the error is
    the op's own). A number, an array or a numpy scalar (which has ``.data`` too) is no tensor."""
    if not all(hasattr(x, "_ctx") for x in inputs):
        raise TypeError(f"{op.__name__}.apply(tensors..., setting=value): the op's settings go "
                        "by keyword, its inputs are tensors") from None


def rule_result(ctx: Any, dinputs: Any) -> tuple:
    """What the ``backward`` of an op of one's own returned, as a tuple: one gradient per
    input (None where none is needed), each of its input's shape; a mistake is refused, never
    stored (a bare array would give the first row to the first input)."""
    n = len(ctx.parents)
    if not isinstance(dinputs, list | tuple) or len(dinputs) != n:
        got = (f"{len(dinputs)} gradients" if isinstance(dinputs, list | tuple)
               else f"a {type(dinputs).__name__}, not a tuple")
        raise BackwardError(f"{ctx.name}: backward returned {got}; it returns one gradient "
                            f"per input, a tuple of {n} (None for an input that needs none), "
                            "e.g. return (dA * (1 - A**2),) for an op of one input")
    for i, (x, d) in enumerate(zip(ctx.parents, dinputs)):
        if d is not None and hasattr(d, "shape") and tuple(d.shape) != x.shape:
            raise BackwardError(f"{ctx.name}: backward returned a gradient of shape "
                                f"{tuple(d.shape)} for input {i}, {describe(x)}; a gradient has "
                                "its input's shape (dW has the shape of W)")
    return tuple(dinputs)


def can_backward(root: Any, what: str) -> None:
    if not root.requires_grad:
        raise BackwardError(messages.cannot_backward(root, what))


def seed(root: Any, gradient: Any) -> np.ndarray:
    """The gradient that starts backward at ``root``: 1 for a scalar, else the user's array."""
    if gradient is None:
        if root.data.size != 1:
            raise BackwardError(messages.needs_seed(root))
        if not math.isfinite(root.data.item()):  # one value: no array-wide check needed
            raise BackwardError(messages.cost_not_finite(root))
        one = np.array(1.0, dtype=root.data.dtype)  # dJ/dJ = 1 (np.ones only for (1, 1): it is
        return np.ones(root.shape, dtype=one.dtype) if root.ndim else one  # a Python function)
    values = gradient.data if hasattr(gradient, "_ctx") else gradient  # a Tensor's values
    kind = getattr(values, "dtype", None)
    if kind is None or kind.kind not in "biuf":  # not casting complex/text/objects
        values = _real_gradient(values, root)
    array = np.array(values, dtype=root.data.dtype, copy=True)  # never alias the caller's
    if array.shape != root.shape:
        raise ShapeError(messages.seed_shape(array, root))
    if not np.all(np.isfinite(array)):  # the user's array: checked once per backward
        raise BackwardError(messages.seed_not_finite(root))
    return array


def _real_gradient(values: Any, root: Any) -> np.ndarray:
    """The user's gradient as an array of real numbers (complex/text/objects are refused)."""
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ShapeError(messages.seed_ragged(root, error)) from None
    if array.dtype.kind not in "biuf":
        raise DtypeError(messages.seed_not_real(root, array, values))
    return array
