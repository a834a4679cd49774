"""``Sym``: a symbolic array — a shape, a dtype and an expression tree.

It supports what the derivative rules use (``* / - @ .T .sum .reshape``, numpy's ufuncs such
as ``np.sign`` and ``np.maximum``, ``np.where``, ``np.broadcast_to``, and the engine's dual
helpers ``sigmoid_of`` and ``scatter`` through ``.sigmoid()`` and ``.scatter()``), so calling
a rule with Syms records the formula the rule computes instead of computing it. Each node is
built by ``_node``, which makes the exact rewrites only (``1 * x -> x``, ``x * x -> x**2``,
``xᵀᵀ -> x``): ``evaluate()`` repeats the engine's arithmetic bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .engine import Tensor
from .printing import _FUNCTIONS, _INFIX_UFUNCS, _text
from .values import (
    _ATOM,
    _EVALUATE,
    _PYTHON_SCALARS,
    _UFUNC_OPS,
    _Attrs,
    _frozen,
    _is_const,
    _stand_in,
)

__all__ = ["Sym"]


class Sym:
    """A symbolic array: ``op`` and ``args`` (an expression tree), ``shape`` and ``dtype``.

    Leaves are ``var`` (a name standing for a tensor's values, an upstream gradient or ``m``;
    ``source`` says which) and ``const`` (a number or a numpy array). Arithmetic on a Sym, and
    the numpy functions the derivative rules call, build a bigger tree; nothing is computed
    until ``evaluate``.
    """

    __slots__ = ("_key", "args", "attrs", "dtype", "label", "op", "shape", "source", "weak")
    __array_priority__ = 2000
    __hash__ = object.__hash__  # identity; == builds a comparison node, as numpy's does

    op: str
    args: tuple
    shape: tuple
    dtype: np.dtype

    # -- construction --------------------------------------------------------------------

    @classmethod
    def var(cls, label: str, source: Any, shape: tuple, dtype: Any, prec: int = _ATOM) -> Sym:
        """A named leaf: ``source`` is a Tensor (its values), an Equation (its gradient) or a
        Python number (``m``)."""
        s = object.__new__(cls)
        s.op, s.args, s.attrs, s.label, s.source = "var", (), prec, label, source
        s.shape, s.dtype = tuple(shape), np.dtype(dtype)
        s.weak = isinstance(source, _PYTHON_SCALARS)
        s._key = None
        return s

    @classmethod
    def const(cls, value: Any) -> Sym:
        """A number or a numpy array that is part of a rule (``1.0`` in ``1 - A``)."""
        s = object.__new__(cls)
        s.op, s.args, s.attrs, s.label, s.source = "const", (), value, None, None
        s.weak = isinstance(value, _PYTHON_SCALARS)
        s.shape = () if s.weak else np.shape(value)
        s.dtype = np.result_type(value)
        s._key = None
        return s

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def T(self) -> Sym:
        return self.transpose()

    def __bool__(self) -> bool:
        raise TypeError("a symbolic array has no truth value (explain() records, it does not "
                        "compute)")

    def __repr__(self) -> str:
        return f"Sym({_text(self, 'numpy')}, shape={self.shape})"

    def __str__(self) -> str:
        return _text(self, "course")

    # -- arithmetic --------------------------------------------------------------------------

    def __add__(self, other: Any) -> Sym:
        return _node("add", self, other)

    def __radd__(self, other: Any) -> Sym:
        return _node("add", other, self)

    def __sub__(self, other: Any) -> Sym:
        return _node("sub", self, other)

    def __rsub__(self, other: Any) -> Sym:
        return _node("sub", other, self)

    def __mul__(self, other: Any) -> Sym:
        return _node("mul", self, other)

    def __rmul__(self, other: Any) -> Sym:
        return _node("mul", other, self)

    def __truediv__(self, other: Any) -> Sym:
        return _node("div", self, other)

    def __rtruediv__(self, other: Any) -> Sym:
        return _node("div", other, self)

    def __pow__(self, other: Any) -> Sym:
        return _node("pow", self, other)

    def __rpow__(self, other: Any) -> Sym:
        return _node("pow", other, self)

    def __matmul__(self, other: Any) -> Sym:
        return _node("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Sym:
        return _node("matmul", other, self)

    def __neg__(self) -> Sym:
        return _node("neg", self)

    def __invert__(self) -> Sym:
        return _ufunc(np.invert, self)

    def __gt__(self, other: Any) -> Sym:
        return _ufunc(np.greater, self, other)

    def __ge__(self, other: Any) -> Sym:
        return _ufunc(np.greater_equal, self, other)

    def __lt__(self, other: Any) -> Sym:
        return _ufunc(np.less, self, other)

    def __le__(self, other: Any) -> Sym:
        return _ufunc(np.less_equal, self, other)

    def __eq__(self, other: Any) -> Sym:  # type: ignore[override]
        return _ufunc(np.equal, self, other)

    def __ne__(self, other: Any) -> Sym:  # type: ignore[override]
        return _ufunc(np.not_equal, self, other)

    def __and__(self, other: Any) -> Sym:
        return _ufunc(np.bitwise_and, self, other)

    def __rand__(self, other: Any) -> Sym:
        return _ufunc(np.bitwise_and, other, self)

    def __or__(self, other: Any) -> Sym:
        return _ufunc(np.bitwise_or, self, other)

    def __ror__(self, other: Any) -> Sym:
        return _ufunc(np.bitwise_or, other, self)

    # -- shapes and reductions ---------------------------------------------------------------

    def transpose(self, *axes: Any) -> Sym:
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        axes = tuple(int(a) % self.ndim for a in axes) if axes else tuple(
            reversed(range(self.ndim)))
        return _node("transpose", self, attrs=axes)

    def swapaxes(self, axis1: int, axis2: int) -> Sym:
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(tuple(axes))

    def reshape(self, *shape: Any) -> Sym:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return _node("reshape", self, attrs=tuple(int(n) for n in shape))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Sym:
        if axis is None:
            axis = tuple(range(self.ndim))
        items = axis if isinstance(axis, tuple | list) else (axis,)
        axes = tuple(sorted(int(a) % max(self.ndim, 1) for a in items))
        return _node("sum", self, attrs=(axes, bool(keepdims)))

    def __getitem__(self, index: Any) -> Sym:
        return _node("getitem", self, attrs=index)

    def sigmoid(self) -> Sym:
        """σ(self), as the engine's ``sigmoid_of`` computes it (``functions.sigmoid_of``)."""
        return _node("sigmoid", self)

    def scatter(self, index: Any, shape: tuple) -> Sym:
        """Zeros of ``shape`` with this gradient added at ``index`` (``functions.scatter``)."""
        return _node("scatter", self, attrs=(index, tuple(shape)))

    # -- numpy's protocols: np.sign(sym), np.where(sym > 0, ...), np.broadcast_to(sym, ...) --

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or set(kwargs) - {"out"}:
            return NotImplemented  # ``out=`` (from ``mask &= sym``) is dropped: a new Sym
        return _ufunc(ufunc, *inputs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if func is np.where and len(args) == 3 and not kwargs:
            return _node("where", *args)
        if func is np.broadcast_to:
            x, shape = args[0], kwargs.get("shape", args[1] if len(args) > 1 else None)
            return _node("broadcast_to", x, attrs=tuple(shape))
        if func is np.reshape:
            return _as_sym(args[0]).reshape(kwargs.get("shape", args[1:]))
        if func is np.transpose:
            return _as_sym(args[0]).transpose(*(args[1:] or (kwargs.get("axes") or ())))
        if func is np.sum:
            return _as_sym(args[0]).sum(*args[1:], **kwargs)
        return NotImplemented

    # -- structure and values ------------------------------------------------------------

    def key(self) -> tuple:
        """A hashable description of the tree: equal keys, equal expressions.

        Worked out bottom-up with a stack (a sum of 10 000 fan-out terms is 10 000 deep),
        descending only into the subtrees whose key is not known yet."""
        stack = [self]
        while stack:
            node = stack[-1]
            if node._key is not None:
                stack.pop()
                continue
            missing = [a for a in node.args if a._key is None]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if node.op == "var":
                who = node.source if isinstance(node.source, _PYTHON_SCALARS) else id(
                    node.source)
                node._key = ("var", node.label, who)
            elif node.op == "const":
                node._key = ("const", _frozen(node.attrs))
            else:
                node._key = (node.op, _frozen(node.attrs), *(a._key for a in node.args))
        return self._key

    def walk(self) -> Iterator[Sym]:
        """Every node of the tree, each once (children before parents)."""
        seen: set = set()
        stack: list = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                yield node
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(node.args))

    def evaluate(self, gradients: dict | None = None) -> Any:
        """The tree computed with numpy: a var takes its tensor's values (or, for an upstream
        gradient, ``gradients[equation]`` when given, else the equation's value), an op the
        numpy function the rule would call."""
        memo: dict = {}
        known = gradients or {}
        for node in self.walk():
            if node.op == "var":
                memo[id(node)] = _value_of_source(node.source, known)
            elif node.op == "const":
                memo[id(node)] = node.attrs
            else:
                memo[id(node)] = _EVALUATE[node.op](node, *(memo[id(a)] for a in node.args))
        return memo[id(self)]


def _value_of_source(source: Any, known: dict) -> Any:
    """A var's value: its tensor's values, its number, or its upstream gradient's (as given
    in ``known``, else computed by the source's ``evaluate()``: an Equation's)."""
    if type(source) is Tensor:
        return source.data
    if isinstance(source, _PYTHON_SCALARS):
        return source
    if source in known:
        return known[source]
    evaluate = getattr(source, "evaluate", None)
    if evaluate is None:
        raise TypeError(f"no value for a symbol standing for {source!r}")
    return evaluate()


# ---------------------------------------------------------------------------------------------
# building a node: the exact rewrites, numbers computed at once
# ---------------------------------------------------------------------------------------------


def _as_sym(x: Any) -> Sym:
    return x if isinstance(x, Sym) else Sym.const(x)


def _ufunc(ufunc: Any, *inputs: Any) -> Sym:
    op = _UFUNC_OPS.get(ufunc.__name__)
    if op is not None:
        return _node(op, *inputs)
    if ufunc.__name__ not in _FUNCTIONS and ufunc.__name__ not in _INFIX_UFUNCS:
        return NotImplemented
    return _node("ufunc", *inputs, attrs=ufunc)


def _identity(op: str, args: tuple, shape: tuple, dtype: np.dtype) -> Sym | None:
    """The exact simplifications: ``1 * x``, ``x / 1``, ``x + 0``, ``--x``, ``True & x``, a
    reshape/transpose/broadcast that changes nothing, ``x * x -> x**2`` (when the result keeps
    x's shape and dtype, so the values are bit for bit the same)."""
    a = args[0]
    if op in ("reshape", "broadcast_to") and a.shape == shape:
        return a
    if op == "sum" and a.shape == shape and a.ndim == 0:
        return a
    if op == "neg" and a.op == "neg":
        return a.args[0]
    if len(args) != 2:
        return None
    b = args[1]
    unit = {"mul": (1, 1), "div": (None, 1), "add": (0, 0), "sub": (None, 0)}.get(op)
    if op == "ufunc":
        return None
    if unit is not None:
        if unit[0] is not None and _is_const(a, unit[0]) and b.shape == shape and \
                b.dtype == dtype:
            return b
        if _is_const(b, unit[1]) and a.shape == shape and a.dtype == dtype:
            return a
    if op == "mul" and a.key() == b.key() and a.shape == shape:
        return _node("square", a)
    return None


def _node(op: str, *inputs: Any, attrs: Any = None) -> Sym:
    """Build ``op(inputs)``: exact rewrites first, then numbers computed at once when every
    input is a number or an array (never mixing a Python number with an array, so that
    ``np.ones((1, 5)) * (1.0 / m)`` keeps its ``m``)."""
    args = tuple(_as_sym(x) for x in inputs)
    if op == "transpose" and args[0].op == "transpose":  # xᵀᵀ = x: compose the permutations
        attrs = tuple(args[0].attrs[a] for a in attrs)
        args = args[0].args
    if op == "transpose" and attrs == tuple(range(len(attrs))):
        return args[0]
    if op == "ufunc" and attrs in (np.bitwise_and, np.logical_and):
        for keep, other in ((args[1], args[0]), (args[0], args[1])):
            if _is_const(other, True) and np.broadcast_shapes(other.shape, keep.shape) == \
                    keep.shape:
                return keep
    with np.errstate(all="ignore"):
        result = _EVALUATE[op](_Attrs(attrs), *(_stand_in(a) for a in args))
    shape, dtype = np.shape(result), np.result_type(result)
    same = _identity(op, args, shape, dtype)
    if same is not None:
        return same
    if all(a.op == "const" for a in args) and len({a.weak for a in args}) == 1:
        with np.errstate(all="ignore"):
            return Sym.const(_EVALUATE[op](_Attrs(attrs), *(a.attrs for a in args)))
    s = object.__new__(Sym)
    s.op, s.args, s.attrs, s.label, s.source = op, args, attrs, None, None
    s.shape, s.dtype, s.weak = shape, dtype, isinstance(result, _PYTHON_SCALARS)
    s._key = None
    return s


def _display(op: str, args: Any, shape: tuple, attrs: Any = None) -> Sym:
    """A node made only to be printed, as it is (no rewrite, no shape inference): forward
    formulas of unnamed tensors, ``call`` nodes ``name(args, extra)``."""
    s = object.__new__(Sym)
    s.op, s.args, s.attrs, s.label, s.source = op, tuple(args), attrs, None, None
    s.shape, s.dtype, s.weak, s._key = tuple(shape), np.dtype(np.float64), False, None
    return s
