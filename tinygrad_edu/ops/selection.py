"""Selecting and joining: max/min over axes, indexing (and its rule, scatter-add),
concatenate and stack.

A ``Function`` each, forward beside rule; the ``Tensor`` methods ``t.max()``, ``t.min()`` and
``t[index]`` are added at the end of this file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks, tensor_checks
from ..core.function import Array, Function
from ..core.rules import kept_shape, spread, values
from ..core.tensor import Tensor
from ..errors import ShapeError, describe


class Max(Function):
    """s = max x over ``axis``;  dx = ds at the maximum (shared equally between ties)."""

    name, forward = "max", staticmethod(np.max)
    axis, keepdims = None, False  # numpy's defaults: all axes

    def backward(self, g, out, x):
        kept = kept_shape(x.shape, self.axis)
        hit = values(x) == values(out).reshape(kept)
        reduced = tuple(i for i, n in enumerate(kept) if n == 1)
        share = hit / hit.sum(axis=reduced, keepdims=True)
        return (spread(g, x.shape, self.axis) * share,)  # each maximum's share of ds


class Min(Max):
    """s = min x over ``axis``;  dx = ds at the minimum (shared equally between ties)."""

    name, forward = "min", staticmethod(np.min)


class GetItem(Function):
    """y = x[index] (slices, integers, integer or boolean arrays);  dx = dy scattered back
    into zeros of x's shape, added up where an index repeats."""

    name = "getitem"

    @classmethod
    def apply(cls, x: Tensor, index: Any) -> Tensor:
        index = _plain_index(index)
        try:
            data = x.data[index]
        except IndexError as exc:
            raise IndexError(f"indexing {describe(x)} with {index!r}: {exc}") from None
        return cls.record(np.array(data, copy=True), (x,), index=index)

    def backward(self, g, out, x):
        return (scatter(g, self.index, x.shape),)

    def explain_formula(self, x):  # explain writes the forward as x[index]
        return "getitem", (x,), self.index

    def numpy_source(self, src, x):
        return f"{x}[{src.index(self.index)}]"


def _plain_index(index: Any) -> Any:
    """Tensors used as indices become their arrays."""
    if type(index) is Tensor:
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if type(i) is Tensor else i for i in index)
    return index


def scatter(g: Array, index: Any, shape: tuple) -> Array:
    """Zeros of ``shape`` with ``g`` added at ``index`` (the backward of indexing)."""
    if type(g) is Tensor:
        return ScatterAdd.apply(g, index, shape)
    if not isinstance(g, np.ndarray | np.generic):
        return g.scatter(index, shape)  # a symbolic gradient (explain.Sym)
    return ScatterAdd.forward(g, index, shape)


class ScatterAdd(Function):
    """y = zeros(shape) with x added at ``index``;  dx = dy[index] (the rule of indexing,
    as an op so that indexing can be differentiated twice)."""

    name = "scatter_add"

    @staticmethod
    def forward(g: np.ndarray, index: Any, shape: tuple) -> np.ndarray:
        result = np.zeros(shape, dtype=g.dtype)
        np.add.at(result, index, g)
        return result

    @classmethod
    def apply(cls, x: Tensor, index: Any, shape: tuple) -> Tensor:
        data = cls.forward(x.data, index, shape)
        return cls.record(data, (x,), index=index, shape=shape)

    def backward(self, g, out, x):
        return (g[self.index],)

    def numpy_source(self, src, x):
        return f"scatter({x.bare}, {src.const(self.index)}, {self.shape})"


def _joined(op: str, join: Any, tensors: tuple, axis: Any) -> tuple:
    """The tensors of ``np.concatenate`` / ``np.stack`` (arrays made tensors), the joined
    array and the axis as a non-negative int; a refusal names the shapes."""
    if type(axis) is not int:
        axis = checks.integer(axis, op, "axis")
    tensors = tuple(t if type(t) is Tensor else Tensor(t) for t in tensors)
    if not tensors:
        raise ShapeError(f"{op}: needs at least one tensor")
    try:
        data = join([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        shapes = ", ".join(describe(t) for t in tensors)
        raise ShapeError(f"{op} along axis {axis} of [{shapes}]: {exc}") from None
    return tensors, data, axis % data.ndim


class Concatenate(Function):
    """y = concatenate(xs, axis);  each dx is its own slice of dy."""

    name = "concatenate"

    @classmethod
    def apply(cls, tensors: tuple, axis: int = 0) -> Tensor:
        tensors, data, axis = _joined("concatenate", np.concatenate, tensors, axis)
        return cls.record(data, tensors, axis=axis, sizes=[t.shape[axis] for t in tensors])

    def backward(self, g, out, *xs):
        grads, start = [], 0
        for parent, size in zip(self.parents, self.sizes):
            index = (slice(None),) * self.axis + (slice(start, start + size),)
            grads.append(g[index] if parent.requires_grad else None)
            start += size
        return tuple(grads)

    def numpy_source(self, src, *xs):
        return f"np.concatenate([{', '.join(x.bare for x in xs)}], axis={self.axis})"


class Stack(Function):
    """y = stack(xs, axis);  each dx is dy taken at its position along the new axis."""

    name = "stack"

    @classmethod
    def apply(cls, tensors: tuple, axis: int = 0) -> Tensor:
        tensors, data, axis = _joined("stack", np.stack, tensors, axis)
        return cls.record(data, tensors, axis=axis)

    def backward(self, g, out, *xs):
        return tuple(
            g[(slice(None),) * self.axis + (i,)] if parent.requires_grad else None
            for i, parent in enumerate(self.parents)
        )

    def numpy_source(self, src, *xs):
        return f"np.stack([{', '.join(x.bare for x in xs)}], axis={self.axis})"


def concatenate(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``)."""
    return Concatenate.apply(checks.sequence(tensors, "concatenate", "tensors"), axis)


def stack(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along a new axis (``np.stack``)."""
    return Stack.apply(checks.sequence(tensors, "stack", "tensors"), axis)


# -- the Tensor methods of this file --------------------------------------------------------------


def _max(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Max.apply(self, **tensor_checks.reduction("max", self, axis, keepdims))


def _min(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Min.apply(self, **tensor_checks.reduction("min", self, axis, keepdims))


def _getitem(self: Tensor, index: Any) -> Tensor:
    return GetItem.apply(self, index)


Tensor.max, Tensor.min, Tensor.__getitem__ = _max, _min, _getitem
for _method, _name in ((_max, "max"), (_min, "min"), (_getitem, "__getitem__")):
    _method.__name__, _method.__qualname__ = _name, f"Tensor.{_name}"
