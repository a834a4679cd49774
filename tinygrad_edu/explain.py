"""``explain(J)``: the backprop equations of a recorded graph, in the course's notation.

>>> print(explain(J))                                    # the two-layer flower network
dA2 = (A2 - Y) / (A2 * (1 - A2)) / m¹  = -(Y / A2 - (1 - Y) / (1 - A2)) / m
dZ2 = (A2 - Y) / m
dW2 = dZ2 @ A1ᵀ
db2 = np.sum(dZ2, axis=1, keepdims=True)
...

How the equations are made — no table of networks, the engine's own rules:

* ``Sym`` is a symbolic array: a shape, a dtype and an expression tree. It supports what the
  derivative rules in ``functions.py`` use (``* / - @ .T .sum .reshape``, numpy's ufuncs such
  as ``np.sign`` and ``np.maximum``, ``np.where``, ``np.broadcast_to``), so calling a rule with
  Syms records the formula the rule computes instead of computing it.
* ``explain`` walks the graph in the engine's order (outputs before inputs) and calls each
  op's ``backward(g, out, *inputs)`` with ``g = Sym("dZ2")``, ``out = Sym("A2")``, ... . A
  tensor used by several ops gets the sum of their contributions, in the engine's order.
* The trees are tidied with exact rewrites only (``1 * x -> x``, ``x * x -> x**2``, the
  stable sigmoid ``exp(-logaddexp(0, -z)) -> σ(z)``), so ``Equation.evaluate()`` repeats the
  engine's arithmetic and matches ``.grad`` to the last bit or so.
* The course's simplifications are then *recognised*, not assumed: the upstream gradient is
  inlined and equal factors cancel; ``(dZ @ Xᵀ)ᵀ`` becomes ``X @ dZᵀ``; the rule of dA is
  shown as the notes' ``-(Y / A - (1 - Y) / (1 - A)) / m``. They are shown after a second
  ``=`` (``Equation.course``); the first form is what the engine computes.
* The cross-entropy after a sigmoid is one fused rule: ``dA2`` is its gradient for A2 and
  ``dZ2 = (A2 - Y) / m`` goes to Z2 directly, past A2's own rule, as in the engine
  (``autograd.Shortcut``); A2's rule runs only on what other uses of A2 give it.
* The squared error and the weight penalty are one op each too (F5): ``dA2 = (A2 - Y) / m``
  and ``dW2 = λ * W2 + dZ2 @ A1ᵀ``, with the rate as the symbol ``λ`` (its value is in the
  penalty's line, ``d(l2_penalty(W1, W2, λ=0.1)) = 1``). A term of ``J = J1 + J2`` gets the
  gradient 1, which the next lines use as the number, not as ``d(J1)``.

Names: a tensor's ``name`` (``W1``, ``Z1``, ...); an unnamed intermediate is called by its
formula when that is short (``d(W1 @ X)``) or a fused cost (``d(mse_loss(A2, Y))``), else
``T<k>`` (counted in topological order) with a ``where T<k> = ...`` line. ``m`` is the
number of examples of a mean cost.
"""

from __future__ import annotations

import collections
import heapq
import html
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import checks
from . import functions as _fn
from .autograd import Shortcut, topological_order
from .errors import BackwardError, describe
from .notebook import equations_latex
from .tensor import Tensor

__all__ = ["Equation", "Explanation", "Sym", "explain"]

_PYTHON_SCALARS = (bool, int, float)
_ATOM = 9  # precedence of names, numbers and calls
_FLOOR_LIMIT = 1e-6  # np.maximum(x, c) with 0 < c below this is a floor against division by 0


# ---------------------------------------------------------------------------------------------
# Sym: a symbolic array
# ---------------------------------------------------------------------------------------------


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
                source = node.source
                if isinstance(source, Equation) and source in known:
                    memo[id(node)] = known[source]
                else:
                    memo[id(node)] = _value_of_source(source)
            elif node.op == "const":
                memo[id(node)] = node.attrs
            else:
                memo[id(node)] = _EVALUATE[node.op](node, *(memo[id(a)] for a in node.args))
        return memo[id(self)]


def _in_dtype_of(target: Any, value: Any) -> Any:
    """As the engine stores it: a gradient has its tensor's dtype (float32 stays float32 even
    where numpy promoted the arithmetic to float64)."""
    dtype = getattr(target, "dtype", None)
    if isinstance(value, np.ndarray) and dtype is not None and value.dtype != dtype:
        return value.astype(dtype)
    return value


def _value_of_source(source: Any) -> Any:
    if type(source) is Tensor:
        return source.data
    if isinstance(source, Equation):
        return source.evaluate()
    if isinstance(source, _PYTHON_SCALARS):
        return source
    raise TypeError(f"no value for a symbol standing for {source!r}")


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


def _as_sym(x: Any) -> Sym:
    return x if isinstance(x, Sym) else Sym.const(x)


_STAND_INS: dict = {}


def _stand_in(s: Sym) -> Any:
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


# ---------------------------------------------------------------------------------------------
# the ops of a tree: how each is computed, and the exact rewrites made when one is built
# ---------------------------------------------------------------------------------------------

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
    "scatter": lambda n, a: _fn.ScatterAdd.forward(np.asarray(a), *n.attrs),
    "where": lambda n, c, a, b: np.where(c, a, b),
    "sigmoid": lambda n, a: _fn.Sigmoid.forward(a),
    "ufunc": lambda n, *xs: n.attrs(*xs),
}


def _ufunc(ufunc: Any, *inputs: Any) -> Sym:
    op = _UFUNC_OPS.get(ufunc.__name__)
    if op is not None:
        return _node(op, *inputs)
    if ufunc is np.exp:  # the stable sigmoid of functions.sigmoid_of: exp(-logaddexp(0, -z))
        x = _as_sym(inputs[0])
        if x.op == "neg" and x.args[0].op == "ufunc" and x.args[0].attrs is np.logaddexp:
            zero, minus_z = x.args[0].args
            if zero.op == "const" and np.all(zero.attrs == 0) and minus_z.op == "neg":
                return _node("sigmoid", minus_z.args[0])
    if ufunc.__name__ not in _FUNCTIONS and ufunc.__name__ not in _INFIX_UFUNCS:
        return NotImplemented
    return _node("ufunc", *inputs, attrs=ufunc)


def _is_const(s: Sym, value: float) -> bool:
    return s.op == "const" and np.size(s.attrs) > 0 and bool(np.all(s.attrs == value))


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


class _Attrs:
    """Stands in for a node while its shape is worked out (``_EVALUATE`` reads ``.attrs``)."""

    __slots__ = ("attrs",)

    def __init__(self, attrs: Any) -> None:
        self.attrs = attrs


# ---------------------------------------------------------------------------------------------
# printing
# ---------------------------------------------------------------------------------------------

_FUNCTIONS = {"sign": "np.sign", "exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt",
              "tanh": "np.tanh", "absolute": "np.abs", "maximum": "np.maximum",
              "minimum": "np.minimum", "logaddexp": "np.logaddexp"}
_INFIX_UFUNCS = {"greater": ">", "greater_equal": ">=", "less": "<", "less_equal": "<=",
                 "equal": "==", "not_equal": "!=", "bitwise_and": "&", "logical_and": "&",
                 "bitwise_or": "|", "logical_or": "|", "invert": "~", "logical_not": "~"}
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4, "square": 4}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


def _text(s: Sym, notation: str = "course") -> str:
    return _fmt(s, notation, {})[0]


def _number(value: Any, course: bool = True) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    value = value.item() if isinstance(value, np.generic) else value
    if course and isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _const_text(value: Any, course: bool) -> str:
    if np.ndim(value) == 0 or (np.size(value) == 1 and np.ndim(value) <= 2):
        return _number(np.asarray(value).reshape(()).item(), course)
    array = np.asarray(value)
    if array.size and np.all(array == array.flat[0]):
        first = array.flat[0].item()
        if first == 1:
            return f"np.ones({array.shape})"
        if first == 0:
            return f"np.zeros({array.shape})"
        return f"np.full({array.shape}, {_number(first)})"
    return np.array2string(array, separator=", ", threshold=12)


def _index_text(index: Any) -> str:
    items = index if isinstance(index, tuple) else (index,)
    parts = []
    for item in items:
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            parts.append(text + (f":{item.step}" if item.step is not None else ""))
        elif item is None:
            parts.append("None")
        elif item is Ellipsis:
            parts.append("...")
        else:
            parts.append(np.array2string(np.asarray(item), separator=", ", threshold=8)
                         if np.ndim(item) else str(item))
    return ", ".join(parts)


def _axis_text(axes: tuple) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


def _fmt(s: Sym, notation: str, notes: dict, memo: dict | None = None) -> tuple[str, int]:
    """``(text, precedence)`` of a tree; ``notes`` collects the floors hidden (course).

    The first call formats the tree bottom-up (``walk``: children first) into ``memo``, so
    that each call below finds its arguments' texts there and recurses one level only: a
    sum of 10 000 fan-out terms is 10 000 deep. A text is dropped from ``memo`` once every
    node that uses it has been formatted."""
    if memo is None:
        memo = {}
        nodes = [n for n in s.walk() if n.args]
        uses = collections.Counter(id(a) for n in nodes for a in n.args)
        for node in nodes:
            memo[id(node)] = _fmt(node, notation, notes, memo)
            for a in node.args:
                uses[id(a)] -= 1
                if not uses[id(a)]:
                    memo.pop(id(a), None)
        return memo[id(s)] if s.args else _fmt(s, notation, notes, memo)
    found = memo.get(id(s))
    if found is not None:
        return found
    course = notation == "course"
    op = s.op
    if op == "var":
        return s.label, s.attrs
    if op == "const":
        text = _const_text(s.attrs, course)
        return text, (_ATOM if not text.startswith("-") else 3)
    args = s.args
    if op in ("add", "sub", "mul", "div", "matmul", "pow"):
        if op == "mul" and args[1].op == "div" and _is_const(args[1].args[0], 1) and course:
            shown = _display("div", (args[0], args[1].args[1]), s.shape)
            return _fmt(shown, notation, notes, memo)
        prec = _PREC[op]
        left, lp = _fmt(args[0], notation, notes, memo)
        right, rp = _fmt(args[1], notation, notes, memo)
        mixed = {"mul", "div", "matmul"}
        left_ops, right_op = args[0].op, args[1].op
        if lp < prec or (op == "pow" and lp <= prec) or (
                lp == prec and left_ops in mixed and (left_ops == "matmul") != (op == "matmul")):
            left = f"({left})"
        associative = op in ("add", "mul") and course and right_op == op
        if rp < prec or (rp == prec and not associative) or (op == "pow" and rp <= prec):
            right = f"({right})"
        sep = "**" if op == "pow" else f" {_SYMBOL[op]} "
        return f"{left}{sep}{right}", prec
    if op == "neg":
        inner, ip = _fmt(args[0], notation, notes, memo)
        return f"-({inner})" if ip <= 3 and ip != _ATOM else f"-{inner}", 3
    if op == "square":
        inner, ip = _fmt(args[0], notation, notes, memo)
        return (f"({inner})" if ip <= 4 else inner) + "**2", 4
    if op == "transpose":
        inner, ip = _fmt(args[0], notation, notes, memo)
        if s.ndim == 2 or s.attrs == tuple(reversed(range(s.ndim))):
            wrapped = inner if ip == _ATOM else f"({inner})"
            return (f"{wrapped}ᵀ", 5) if course else (f"{wrapped}.T", _ATOM)
        return f"np.transpose({inner}, {s.attrs})", _ATOM
    if op == "sum":
        inner = _fmt(args[0], notation, notes, memo)[0]
        axes, keepdims = s.attrs
        if axes == tuple(range(args[0].ndim)) and not keepdims:
            return f"np.sum({inner})", _ATOM
        extra = ", keepdims=True" if keepdims else ""
        return f"np.sum({inner}, axis={_axis_text(axes)}{extra})", _ATOM
    if op == "reshape":
        inner, ip = _fmt(args[0], notation, notes, memo)
        inner = inner if ip == _ATOM else f"({inner})"
        return f"{inner}.reshape({', '.join(map(str, s.attrs)) or '()'})", _ATOM
    if op == "broadcast_to":
        return f"np.broadcast_to({_fmt(args[0], notation, notes, memo)[0]}, {s.attrs})", _ATOM
    if op == "getitem":
        inner, ip = _fmt(args[0], notation, notes, memo)
        inner = inner if ip == _ATOM else f"({inner})"
        return f"{inner}[{_index_text(s.attrs)}]", _ATOM
    if op == "scatter":
        index, shape = s.attrs
        inner = _fmt(args[0], notation, notes, memo)[0]
        return f"scatter({inner}, [{_index_text(index)}], {shape})", _ATOM
    if op == "where":
        parts = ", ".join(_fmt(a, notation, notes, memo)[0] for a in args)
        return f"np.where({parts})", _ATOM
    if op == "sigmoid":
        inner = _fmt(args[0], notation, notes, memo)[0]
        return (f"σ({inner})" if course else f"sigmoid({inner})"), _ATOM
    if op == "call":
        name, extra = s.attrs
        parts = [_fmt(a, notation, notes, memo)[0] for a in args] + list(extra)
        return f"{name}({', '.join(parts)})", _ATOM
    name = s.attrs.__name__  # a ufunc
    if name == "maximum" and course and args[1].op == "const" and \
            0 < float(np.max(args[1].attrs)) < _FLOOR_LIMIT:
        inner, ip = _fmt(args[0], notation, notes, memo)
        notes[inner] = _number(np.max(args[1].attrs))
        return inner, ip
    if name in _INFIX_UFUNCS:
        symbol = _INFIX_UFUNCS[name]
        texts = [_fmt(a, notation, notes, memo) for a in args]
        wrapped = [t if p >= 3 else f"({t})" for t, p in texts]
        if len(args) == 1:
            return f"{symbol}{wrapped[0]}", 3
        return f"{wrapped[0]} {symbol} {wrapped[1]}", 0
    parts = ", ".join(_fmt(a, notation, notes, memo)[0] for a in args)
    return f"{_FUNCTIONS[name]}({parts})", _ATOM


def _display(op: str, args: Any, shape: tuple, attrs: Any = None) -> Sym:
    """A node made only to be printed, as it is (no rewrite, no shape inference): forward
    formulas of unnamed tensors, ``call`` nodes ``name(args, extra)``."""
    s = object.__new__(Sym)
    s.op, s.args, s.attrs, s.label, s.source = op, tuple(args), attrs, None, None
    s.shape, s.dtype, s.weak, s._key = tuple(shape), np.dtype(np.float64), False, None
    return s


# ---------------------------------------------------------------------------------------------
# the course's simplifications, recognised (used for display; never for evaluate())
# ---------------------------------------------------------------------------------------------


def _strip_floors(s: Sym) -> Sym:
    """``np.maximum(x, 1e-12) -> x``: the floor of the cross-entropy's rule is a guard against
    division by zero, not part of the formula."""
    return _rebuild(s, lambda n, args: args[0] if n.op == "ufunc" and n.attrs is np.maximum
                    and args[1].op == "const" and 0 < float(np.max(args[1].attrs))
                    < _FLOOR_LIMIT else None)


def _substitute(s: Sym, mapping: dict) -> Sym:
    """Replace the vars whose key is in ``mapping`` by their trees."""
    return _rebuild(s, lambda n, args: mapping.get(n.key()) if n.op == "var" else None)


def _rebuild(s: Sym, change: Any) -> Sym:
    """Rebuild the tree bottom-up; ``change(node, new_args)`` returns a replacement or None."""
    memo: dict = {}
    for node in s.walk():
        args = tuple(memo[id(a)] for a in node.args)
        new = change(node, args)
        if new is None:
            if all(x is y for x, y in zip(args, node.args)):
                new = node
            else:
                new = _node(node.op, *args, attrs=node.attrs) if node.op != "call" else node
        memo[id(node)] = new
    return memo[id(s)]


def _factors(s: Sym, power: int, out: dict, sign: list) -> None:
    """Flatten a product/quotient into ``{key: [factor, exponent]}`` and a sign."""
    if s.op == "mul":
        _factors(s.args[0], power, out, sign)
        _factors(s.args[1], power, out, sign)
    elif s.op == "div":
        _factors(s.args[0], power, out, sign)
        _factors(s.args[1], -power, out, sign)
    elif s.op == "neg":
        sign[0] = -sign[0]
        _factors(s.args[0], power, out, sign)
    elif s.op == "square":
        _factors(s.args[0], 2 * power, out, sign)
    elif _is_const(s, 1) and s.weak:
        return
    else:
        entry = out.setdefault(s.key(), [s, 0, False])
        if entry[1] and (entry[1] > 0) != (power > 0):
            entry[2] = True  # met in the numerator and the denominator: cancels
        entry[1] += power


def _cancel(s: Sym) -> tuple[Sym, bool]:
    """Cancel equal factors of a product/quotient: ``(A-Y)/(A(1-A)) * A(1-A) -> A-Y``.

    Returns the tree and whether a factor cancelled. Kept only when the shape is unchanged.
    """
    if s.op not in ("mul", "div"):
        return s, False
    table: dict = {}
    sign = [1]
    _factors(s, 1, table, sign)
    if not any(cancelled for _, _, cancelled in table.values()):
        return s, False
    top: Sym | None = None
    bottom: list = []
    for factor, power, _ in table.values():
        for _ in range(abs(power)):
            if power > 0:
                top = factor if top is None else _node("mul", top, factor)
            else:
                bottom.append(factor)
    result = top if top is not None else Sym.const(1.0)
    for factor in bottom:
        result = _node("div", result, factor)
    if sign[0] < 0:
        result = _node("neg", result)
    if result.shape != s.shape:
        return s, False
    return result, True


def _recognise(s: Sym) -> tuple[Sym, bool]:
    """Apply the course's algebra bottom-up: cancel factors, ``(A @ B)ᵀ = Bᵀ @ Aᵀ``.
    Returns the tree and whether anything was recognised."""
    fired = [False]

    def change(node: Sym, args: tuple) -> Sym | None:
        if node.op == "transpose" and args[0].ndim == 2:
            inner = args[0]
            if inner.op == "matmul" and inner.args[0].ndim == 2 and inner.args[1].ndim == 2:
                fired[0] = True
                return _node("matmul", inner.args[1].T, inner.args[0].T)
        if node.op in ("mul", "div"):
            rebuilt = _node(node.op, *args, attrs=node.attrs)
            result, cancelled = _cancel(rebuilt)
            if cancelled:
                fired[0] = True
                return result
        return None

    result = _rebuild(s, change)
    return result, fired[0]


def _course_form_of_bce(s: Sym) -> Sym:
    """``(A - Y) / (A * (1 - A)) -> -(Y / A - (1 - Y) / (1 - A))`` (F4.2: the notes' dA)."""

    def change(node: Sym, args: tuple) -> Sym | None:
        if node.op != "div":
            return None
        diff, product = args
        if diff.op != "sub" or product.op != "mul":
            return None
        A, Y = diff.args
        left, right = product.args
        if left.key() == A.key() and right.op == "sub" and _is_const(right.args[0], 1) and \
                right.args[1].key() == A.key():
            one = right.args[0]
            return -(Y / A - (one - Y) / (one - A))
        return None

    return _rebuild(s, change)


# ---------------------------------------------------------------------------------------------
# equations
# ---------------------------------------------------------------------------------------------


class Equation:
    """One line of backprop: ``name = expr`` for the tensor ``target``.

    ``expr`` is the tree the engine's rules compute (upstream gradients appear as vars such as
    ``dZ2``); ``course`` the course's simplified form when one was recognised, else None;
    ``text`` the line; ``shape`` the gradient's shape (the target's); ``parts`` the
    contribution of each op that used the target (several: the line is their sum).
    """

    def __init__(self, explanation: Explanation, target: Tensor, name: str) -> None:
        self.explanation = explanation
        self.target = target
        self.name = name
        self.parts: list = []
        self.expr: Sym = Sym.const(0.0)
        self.course: Sym | None = None
        self.reduced: Sym = self.expr  # the form inlined into the next lines' simplification
        self.notes: list[str] = []
        self.rule_text = ""  # the expression the rule computes, as printed
        self.course_text = ""  # the course's form, as printed ("" when none was recognised)
        self.text = ""
        self.symbol = Sym.var(name, self, target.shape, target.dtype)

    @property
    def shape(self) -> tuple:
        return self.target.shape

    def evaluate(self) -> np.ndarray:
        """The gradient computed with numpy from the tensors' values and the upstream
        equations (the same arithmetic as the engine: equals ``target.grad``)."""
        return self.explanation.evaluate()[self]

    def expand(self) -> Sym:
        """The gradient in terms of the forward tensors only (every upstream gradient
        inlined, in its recognised course form; floors dropped)."""
        return self.explanation._expand(self)

    def __repr__(self) -> str:
        return f"Equation({self.text!r})"

    def __str__(self) -> str:
        return self.text


class Explanation:
    """The equations of ``explain(J)``: iterate them, print them, or show them in Jupyter."""

    def __init__(self, root: Tensor, notation: str) -> None:
        self.root = root
        self.notation = notation
        self.equations: list[Equation] = []
        self.symbols: dict = {}  # tensor -> Sym var standing for its values
        self.definitions: list[str] = []  # "T4 = W1 @ X" for tensors named T<k>
        self._expanded: dict = {}

    def __iter__(self) -> Iterator[Equation]:
        return iter(self.equations)

    def __len__(self) -> int:
        return len(self.equations)

    def __getitem__(self, key: int | str | Tensor) -> Equation:
        """By position, by name (``"dW1"``) or by target tensor."""
        if isinstance(key, int):
            return self.equations[key]
        for eq in self.equations:
            if eq.target is key or (isinstance(key, str) and eq.name == key):  # never Tensor ==
                return eq
        raise KeyError(f"no equation for {key if isinstance(key, str) else describe(key)}")

    def symbol(self, tensor: Tensor) -> Sym:
        """The Sym standing for a tensor's values in the equations (``A2``, ``Y``, ...)."""
        return self.symbols[tensor]

    def format(self, s: Sym) -> str:
        """A Sym written in this explanation's notation (``W2ᵀ @ dZ2``): e.g. one of an
        equation's ``parts`` (a fan-out's terms)."""
        return _fmt(s, self.notation, {})[0]

    def evaluate(self) -> dict:
        """``{equation: gradient}``, every equation computed in order with numpy."""
        values: dict = {}
        for eq in self.equations:
            values[eq] = eq.expr.evaluate(values)  # upstream values as the engine passes them
        return {eq: _in_dtype_of(eq.target, value) for eq, value in values.items()}

    def _expand(self, eq: Equation) -> Sym:
        if eq not in self._expanded:
            for earlier in self.equations:  # upstream first: no deep recursion
                if earlier in self._expanded:
                    continue
                mapping = {v.source.symbol.key(): self._expanded[v.source]
                           for v in earlier.reduced.walk()
                           if v.op == "var" and isinstance(v.source, Equation)}
                self._expanded[earlier] = _substitute(earlier.reduced, mapping)
                if earlier is eq:
                    break
        return self._expanded[eq]

    def lines(self) -> list[str]:
        """The printed lines: the equations (the course's forms aligned in a column), the
        ``where T<k> = ...`` definitions and the footnotes."""
        width = max((len(eq.name) + 3 + len(eq.rule_text) for eq in self.equations
                     if eq.course_text), default=0)
        out = []
        for eq in self.equations:
            first = f"{eq.name} = {eq.rule_text}"
            out.append(f"{first.ljust(min(width, 48))}  = {eq.course_text}"
                       if eq.course_text else first)
        out += [f"where {d}" for d in self.definitions]
        notes = dict.fromkeys(note for eq in self.equations for note in eq.notes)
        out += list(notes)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_latex_(self) -> str:
        """The equations as LaTeX (Jupyter, MathJax): ``dZ^{[1]} = dA^{[1]} * ...``."""
        notes = dict.fromkeys(note for eq in self.equations for note in eq.notes)
        return equations_latex([(eq.name, eq.rule_text, eq.course_text)
                                for eq in self.equations],
                               [f"where {d}" for d in self.definitions] + list(notes))

    def _repr_html_(self) -> str:
        rows = []
        for eq in self.equations:
            course = f"= {eq.course_text}" if eq.course_text else ""
            cells = [eq.name, f"= {eq.rule_text}", course, str(eq.shape)]
            rows.append("<tr>" + "".join(
                f"<td style='text-align:left;font-family:monospace'>{html.escape(c)}</td>"
                for c in cells) + "</tr>")
        extra = "".join(f"<div style='font-family:monospace'>{html.escape(line)}</div>"
                        for line in self.lines()[len(self.equations):])
        return ("<table><tr><th>gradient</th><th>(the engine's rule)</th>"
                "<th>(the course's form)</th><th>shape</th></tr>" + "".join(rows) +
                "</table>" + extra)


# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------

_SIMPLE_NAME = re.compile(r"[^\W\d][\w\[\]]*")
_MAX_FORMULA = 20  # an unnamed tensor is called by its formula up to this length


def _forward_formula(t: Tensor, parents: list) -> Sym:
    """The op that made ``t``, written with its parents' symbols (display only: no rewrite,
    so ``1.0 * A`` stays ``1 * A``)."""
    ctx = t._ctx
    name = ctx.name
    infix = {"add", "sub", "mul", "div", "matmul", "neg"}
    if name in infix:
        return _display(name, parents, t.shape)
    if name == "pow":
        exponent = Sym.const(ctx.exponent) if hasattr(ctx, "exponent") else parents[1]
        return _display("pow", (parents[0], exponent), t.shape)
    if name == "transpose":
        return _display("transpose", parents, t.shape, ctx.axes)
    if name == "reshape":
        return _display("reshape", parents, t.shape, t.shape)
    if name == "getitem":
        return _display("getitem", parents, t.shape, ctx.index)
    if name == "sigmoid":
        return _display("sigmoid", parents, t.shape)
    settings = ctx.attributes()
    if _is_cost(ctx) and settings.get("reduction") == "mean":
        del settings["reduction"]  # the course's default: 1/m Σ
    extra = tuple(f"{_SETTING_NAMES.get(k, k)}={v!r}" for k, v in sorted(settings.items())
                  if k not in ("m", "kept_shape", "sizes") and v is not None and v is not False)
    return _display("call", parents, t.shape, (name, extra))


# the fused costs: an unnamed one is called by its formula, however long (``mse_loss(A2, Y)``,
# ``l2_penalty(W1, W2, λ=0.1)``), never T<k>
_COSTS = {"binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l2_penalty"}
_SETTING_NAMES = {"lam": "λ"}  # as in the equations: dW2 = λ * W2 + ...


def _is_cost(ctx: _fn.Function) -> bool:
    """A fused cost: one of the course's, or an op that declares ``explain_cost = True``."""
    return ctx.name in _COSTS or getattr(ctx, "explain_cost", False)


def _label_tensors(order: list) -> tuple[dict, list]:
    """tensor -> Sym standing for its values; and the ``T<k> = ...`` definitions."""
    symbols: dict = {}
    definitions: list = []
    taken: dict = {}
    unnamed = 0
    for t in order:
        if t.name:
            count = taken.get(t.name, 0)
            taken[t.name] = count + 1
            label = t.name if count == 0 else f"{t.name}_{count + 1}"
            prec = _ATOM if _SIMPLE_NAME.fullmatch(label) else 0
            symbols[t] = Sym.var(label, t, t.shape, t.dtype, prec)
            continue
        if t._ctx is None and not t.requires_grad and t.size == 1:
            symbols[t] = Sym.const(t.data)  # a number in the formula: the 1 of 1 - A
            continue
        unnamed += 1
        if t._ctx is not None:
            formula = _forward_formula(t, [symbols[p] for p in t._ctx.parents])
            text, prec = _fmt(formula, "course", {})
            short = len(text) <= _MAX_FORMULA or _is_cost(t._ctx)
            if short and text not in taken:
                taken[text] = 1
                symbols[t] = Sym.var(text, t, t.shape, t.dtype, prec)
                continue
            definitions.append(f"T{unnamed} = {text}   {t.shape}")
        else:
            role = "a parameter" if t.requires_grad else "a constant"
            definitions.append(f"T{unnamed} = {role} of shape {t.shape}")
        symbols[t] = Sym.var(f"T{unnamed}", t, t.shape, t.dtype)
    return symbols, definitions


def _gradient_name(label: str) -> str:
    simple = _SIMPLE_NAME.fullmatch(label) and "ᵀ" not in label
    return f"d{label}" if simple else f"d({label})"


# ---------------------------------------------------------------------------------------------
# calling the engine's rules with symbols
# ---------------------------------------------------------------------------------------------


def _symbolic_copy(ctx: _fn.Function, m: Sym | None) -> _fn.Function:
    """The same op with the same settings; a cost's example count ``m`` becomes the symbol m."""
    copy = object.__new__(type(ctx))
    for cls in type(ctx).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(ctx, slot):
                setattr(copy, slot, getattr(ctx, slot))
    if m is not None:
        copy.m = m
    return copy


def _examples_symbol(ctx: _fn.Function, x: Tensor) -> tuple[Sym | None, float | None]:
    """``m`` for a mean cost; for ``mean`` also the scale 1/n its rule multiplies by."""
    if isinstance(getattr(ctx, "m", None), int):
        return Sym.var("m", ctx.m, (), np.int64), None
    if isinstance(ctx, _fn.Mean):
        n = math.prod(x.shape) // max(math.prod(ctx.kept_shape), 1) if x.shape else 1
        reduced = [i for i, k in enumerate(ctx.kept_shape) if k == 1 and x.shape[i] != 1]
        label = "m" if reduced == [x.ndim - 1] else str(n)
        return Sym.var(label, n, (), np.int64), 1.0 / n
    return None, None


def _rule(ctx: _fn.Function, g: Sym, out: Sym, inputs: list) -> tuple:
    """Run the op's derivative rule on symbols: the formula of each input's gradient."""
    m, scale = _examples_symbol(ctx, ctx.parents[0])
    rule = _symbolic_copy(ctx, m if scale is None else None)
    if isinstance(ctx, _fn.L2Penalty):  # the weight-decay rate is the symbol λ: λ * W2
        rule.lam = Sym.var("λ", ctx.lam, (), np.float64)
    declared = getattr(ctx, "explain_symbols", None)  # an op's arrays written as symbols
    if declared is not None:
        for attr, (label, value) in declared().items():
            setattr(rule, attr, _declared_symbol(label, value))
    try:
        with np.errstate(all="ignore"):
            grads = rule.backward(g, out, *inputs)
    except (TypeError, AttributeError) as error:
        raise NotImplementedError(
            f"explain(): the derivative rule of {ctx.name} uses an operation symbols do not "
            f"support yet ({error}); its gradient can only be computed, not written out"
        ) from error
    if scale is not None:  # mean: the rule's 1.0 / n is 1 / m
        one_over_m = Sym.const(1.0) / m
        grads = tuple(None if gr is None else _rebuild(
            gr, lambda n, args: one_over_m if n.op == "const" and n.weak and
            n.attrs == scale else None) for gr in grads)
    return grads


def _declared_symbol(label: str, value: Any) -> Sym:
    """The symbol an op declares for one of its settings or kept arrays (``explain_symbols``:
    dropout's mask ``D1``, batch norm's ``Z_norm1``); it evaluates to the value itself."""
    if isinstance(value, _PYTHON_SCALARS):
        return Sym.var(label, value, (), np.float64)
    values = np.asarray(value)
    return Sym.var(label, Tensor(values), values.shape, values.dtype)


def explain(tensor: Tensor, notation: str = "course") -> Explanation:
    """The backprop equations of ``tensor`` (a cost), one per tensor that gets a gradient.

    Derived by running each op's own derivative rule on symbols, in the engine's order
    (reverse topological), so they are exactly what ``backward()`` computes: for the
    two-layer network ``dZ2 = (A2 - Y) / m``, ``dW2 = dZ2 @ A1ᵀ``,
    ``db2 = np.sum(dZ2, axis=1, keepdims=True)``, ``dA1 = W2ᵀ @ dZ2``,
    ``dZ1 = dA1 * (1 - A1**2)``, ...

    ``notation``: "course" (``ᵀ``, ``σ``, ``/ m``, the 1e-12 floor of the cross-entropy's
    rule in a footnote, the course's simplified forms after a second ``=``) or "numpy"
    (everything the rule computes, as numpy code: ``.T``, ``* (1.0 / m)``, ``np.maximum``).

    Returns an ``Explanation``: ``print`` it, show it in Jupyter, or iterate its
    ``Equation`` objects (``.target``, ``.name``, ``.expr``, ``.course``, ``.text``,
    ``.shape``, ``.evaluate()``, ``.expand()``).
    """
    checks.choice(notation, "explain", "notation", ("course", "numpy"))
    checks.tensor(tensor, "explain", "tensor", hint="Give the Tensor of a cost, e.g. explain(J).")
    if not tensor.requires_grad or tensor._ctx is None:
        raise BackwardError(
            f"explain() on {describe(tensor)}: it was not computed from tensors that require "
            "grad, so backward() has nothing to do. Create the parameters with "
            "requires_grad=True and compute the cost outside no_grad()."
        )
    if tensor.size != 1:
        raise BackwardError(
            f"explain() on {describe(tensor)}: backprop starts from a cost with one element; "
            "reduce it first (J = loss.mean() or .sum())."
        )
    result = Explanation(tensor, notation)
    symbols, result.definitions = _label_tensors(topological_order(tensor, False))
    result.symbols = symbols
    equations: dict = {}
    incoming: dict = {tensor: Sym.const(np.ones(tensor.shape, dtype=tensor.dtype))}
    passed: dict = {}  # as in the engine: parts a fused rule already carried past the tensor

    def add(into: dict, target: Tensor, ctx: _fn.Function, part: Sym) -> None:
        if target not in equations:
            equations[target] = Equation(result, target, _gradient_name(symbols[target].label))
        equations[target].parts.append((ctx, part))
        previous = into.get(target)
        into[target] = part if previous is None else previous + part

    for node in reversed(topological_order(tensor)):
        g = incoming.pop(node, None)  # what the tensor's own rule passes on
        done = passed.pop(node, None)
        if g is None and done is None:
            continue
        if node is not tensor:
            eq = equations[node]
            eq.expr = done if g is None else g if done is None else g + done
            _finish(eq, notation)
            if done is None:
                g = eq.symbol
                if _is_gradient_var(eq.expr) and (eq.expr.source.target.name or not node.name):
                    g = eq.expr  # d(W1 @ X) = dZ1: the next lines use dZ1
                elif eq.expr.shape == () and _is_const(eq.expr, 1):
                    g = eq.expr  # a term of J = J1 + J2 (dJ1 = 1): dA2 = (A2 - Y) / m
            result.equations.append(eq)
        ctx = node._ctx
        if ctx is None or g is None:
            continue
        parts = _rule(ctx, g, symbols[node], [symbols[p] for p in ctx.parents])
        for parent, part in zip(ctx.parents, parts):
            if part is None or not parent.requires_grad:
                continue
            if type(part) is Shortcut:  # a fused rule: dZ = (A - Y) / m, past A's own rule
                add(passed, parent, ctx, part.grad)
                for inner, inner_part in zip(parent._ctx.parents, part.onward):
                    if inner_part is not None and inner.requires_grad:
                        add(incoming, inner, ctx, inner_part)
                continue
            add(incoming, parent, ctx, part)
    result.equations = _reading_order(tensor, result.equations)
    result.definitions = _used(result.definitions, [eq.text for eq in result.equations])
    return result


def _used(definitions: list, texts: list) -> list:
    """The ``T<k> = ...`` lines the equations need (directly or through another one)."""
    needed = set(re.findall(r"\bd?(T\d+)\b", " ".join(texts)))  # T5 and its gradient dT5
    for line in reversed(definitions):  # a definition uses only earlier T's
        label, _, formula = line.partition(" = ")
        if label in needed:
            needed.update(re.findall(r"\bT\d+\b", formula))
    return [line for line in definitions if line.partition(" = ")[0] in needed]


def _reading_order(root: Tensor, equations: list) -> list:
    """Another reverse topological order, easier to read than the engine's: after a
    gradient come at once the ones that follow from it alone (a parameter's ``dW``, ``db``,
    a pass-through ``d(W1 @ X) = dZ1``), in the order of the op's inputs; the others wait
    their turn in the engine's order. Every line still comes after all the lines it uses."""
    by_target = {eq.target: eq for eq in equations}
    engine_index = {eq.target: i for i, eq in enumerate(equations)}
    waiting: dict = {}
    for t in [root, *by_target]:
        for p in t._ctx.parents if t._ctx is not None else ():
            if p in by_target:
                waiting[p] = waiting.get(p, 0) + 1
    ordered: list = []
    later: list = []  # heap of (engine index, tensor)
    stack = [root]
    while True:
        while stack:
            t = stack.pop()
            if t is not root:
                ordered.append(by_target[t])
            at_once = []
            for p in t._ctx.parents if t._ctx is not None else ():
                if p not in by_target:
                    continue
                waiting[p] -= 1
                if waiting[p] == 0:
                    if p._ctx is None or _is_gradient_var(by_target[p].expr):
                        at_once.append(p)
                    else:
                        heapq.heappush(later, (engine_index[p], p))
            stack.extend(reversed(at_once))
        if not later:
            return ordered
        stack.append(heapq.heappop(later)[1])


def _is_gradient_var(s: Sym) -> bool:
    return s.op == "var" and isinstance(s.source, Equation)


# the ops through which an upstream gradient's course form can take part in a rewrite of
# _recognise: a product/quotient whose factors cancel, and (A @ B)ᵀ = Bᵀ @ Aᵀ
_INLINE_INTO = {"mul", "div", "neg", "square", "transpose"}


def _inlinable(base: Sym) -> list:
    """The upstream gradients of ``base`` worth inlining in ``_finish``: the root, and those
    used by an op of ``_INLINE_INTO``. A gradient used only by a sum or a matmul (``dW = dZ1
    @ Xᵀ + dZ2 @ Xᵀ + ...``, the fan-out of a long graph) cannot cancel with anything, and
    trying each of 10 000 such terms would rebuild the whole line 10 000 times."""
    nodes = list(base.walk())  # children first: the order the lines' vars are tried in
    wanted = {id(a) for n in nodes if n.op in _INLINE_INTO for a in n.args}
    wanted.add(id(base))
    return [n for n in nodes if id(n) in wanted and _is_gradient_var(n)]


class _Regions:
    """Where inlining an upstream gradient into a line can make ``_recognise`` fire.

    Its rewrites look only inside a product/quotient (the factors ``_cancel`` flattens through
    mul, div, neg and square) and at a transpose of a matmul. So inlining ``v`` changes
    something only inside the regions around ``v``: from each place ``v`` is used, up through
    those ops. ``may_fire`` tries the rewrite on these regions alone — a few nodes, where the
    whole line of a fan-out (``dW = dZ1 @ Xᵀ + dZ2 @ Xᵀ + ...``, 10 000 terms) is large —
    and only then does ``_finish`` rebuild the line."""

    def __init__(self, tree: Sym) -> None:
        self.parents: dict = collections.defaultdict(list)
        self.uses: dict = collections.defaultdict(list)  # a gradient's key -> its vars
        for node in tree.walk():
            for a in node.args:
                self.parents[id(a)].append(node)
            if _is_gradient_var(node):
                self.uses[node.key()].append(node)

    def may_fire(self, v: Sym, upstream: Sym) -> bool:
        roots: dict = {}
        stack = list(self.uses.get(v.key(), ()))
        seen: set = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            up = [p for p in self.parents.get(id(node), ()) if p.op in _INLINE_INTO]
            if not up or len(up) < len(self.parents.get(id(node), ())):
                roots[id(node)] = node  # the top of a region (or a use outside one)
            stack.extend(up)
        mapping = {v.key(): upstream}
        return any(_recognise(_substitute(root, mapping))[1] for root in roots.values())


def _finish(eq: Equation, notation: str) -> None:
    """Recognise the course's form and write the line."""
    base = _strip_floors(eq.expr)
    reduced, fired = _recognise(base)
    regions = None
    for v in _inlinable(base):
        upstream = v.source.reduced
        if regions is None:
            regions = _Regions(reduced)
        if not regions.may_fire(v, upstream):
            continue  # (a linear test instead of rebuilding the whole line)
        candidate, inlined = _recognise(_substitute(reduced, {v.key(): upstream}))
        if inlined and candidate.shape == eq.shape:
            reduced, fired = candidate, True
            regions = None
    eq.reduced = reduced
    shown = _course_form_of_bce(reduced)
    if shown.key() != reduced.key():
        fired = True
    eq.course = shown if fired and notation == "course" else None
    notes: dict = {}
    text = _fmt(eq.expr, notation, notes)[0]
    for floored, floor in notes.items():
        text += "¹"
        eq.notes.append(f"¹ the engine floors {floored} at {floor} (PyTorch's rule) so that "
                        f"{eq.name} is never inf")
    eq.rule_text = text
    eq.course_text = _fmt(eq.course, notation, {})[0] if eq.course is not None else ""
    eq.text = f"{eq.name} = {text}" + (f"  = {eq.course_text}" if eq.course_text else "")
