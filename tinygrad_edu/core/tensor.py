"""``Tensor``: a numpy array that remembers how it was computed.

A tensor holds ``data`` (an ``np.ndarray``), ``grad`` (None until ``backward()`` fills it),
``requires_grad``, an optional ``name`` in the course's notation (``W1``, ``Z1``, ...) and
``_ctx``, the op that made it (None for a leaf: data, parameters, constants). Its operators
run the primitive ops of ``rules.py``; ``backward`` runs ``engine.py``. The further ops add
their methods to ``Tensor`` where they are defined (``t.max()``, ``t.clip()``, ``t[i]``,
``t.sqrt()``, ...: ``tinygrad_edu/ops/``), numpy's functions on tensors (``np.dot(W, X)``)
come from ``numpy_protocols.py``, and the behaviour of a number and of an array
(``float(J)``, ``==``, ``w -= lr * w.grad``, ``Tensor.zeros``) from ``tensor_python.py``.

dtype rules: Python numbers and lists become float64; numpy arrays keep float32/float64
(other floats become float64) and integer/bool arrays keep their dtype; ``dtype=`` asks for
one. Only floating tensors may require grad. A number combined with a tensor takes the
tensor's dtype, so float32 stays float32. ``Tensor(array)`` copies the array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import advice, checks, messages
from ..errors import BackwardError, DtypeError, ShapeError, describe
from ..tensor_python import ArrayBehaviour, to_array
from . import engine, rules
from .modes import ANOMALY, MODE


class Tensor(ArrayBehaviour):
    """An n-dimensional array with reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, name=None, dtype=None)``: ``data`` is a number, a
    (nested) list, a numpy array or another Tensor (its values are copied). Examples are
    columns: an input batch is ``(n_x, m)``, a weight ``(n_out, n_in)``.
    """

    __slots__ = ("__weakref__", "_ctx", "data", "grad", "name", "requires_grad")
    __array_priority__ = 1000

    data: np.ndarray
    grad: np.ndarray | None
    requires_grad: bool
    name: str | None

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = to_array(data, dtype)
        self.grad = None
        self.name = name if name is None or type(name) is str else checks.optional_text(
            name, "Tensor", "name")
        self._ctx = None
        self.requires_grad = False
        if requires_grad is not False:
            self.requires_grad_(checks.boolean(requires_grad, "Tensor", "requires_grad"))

    @classmethod
    def _from_op(cls, data: Any, ctx: Any) -> Tensor:
        """An op's output around ``data`` (no copy, no checks: the fast constructor every op
        uses); ``ctx`` is the op, or None when no gradient will be needed."""
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # numpy returns scalars for 0-d results; keep an array
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.name = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        if ANOMALY.threads and MODE.anomaly:  # the counter first: MODE is thread-local
            ANOMALY.check_forward(t)
        return t

    @classmethod
    def _lift(cls, value: Any, like: Tensor | None = None) -> Tensor:
        """A constant tensor from a number or array met in an op: a Python number takes the
        floating dtype of ``like`` (float32 stays float32); arrays keep their own dtype."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, np.ndarray):
            data = value
        elif isinstance(value, int | float | bool | np.generic) and like is not None:
            kind = like.data.dtype
            data = np.asarray(value, dtype=kind if kind.kind == "f" else None)
            if data.dtype.kind in "iu":
                data = data.astype(np.float64)
        else:
            data = to_array(value, None)
        t = object.__new__(cls)
        t.data, t.grad, t.name, t._ctx, t.requires_grad = data, None, None, None, False
        return t

    # -- attributes ------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (data, parameters, constants)."""
        return self._ctx is None

    @property
    def op(self) -> str | None:
        """The name of the op that made this tensor (None for a leaf)."""
        return self._ctx.name if self._ctx is not None else None

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed; for a matrix, rows become columns)."""
        return rules.Transpose.apply(self, None)

    # -- autodiff --------------------------------------------------------------------------

    def backward(self, gradient: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on that requires grad.

        ``gradient`` is dJ/d(self); omit it for a one-element tensor (a cost). Gradients
        accumulate: call ``zero_grad()`` (or ``opt.zero_grad()``) between steps.
        """
        engine.backward(self, gradient)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``)."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same values (shared, not copied) as a new leaf that requires no grad."""
        out = Tensor._from_op(self.data, None)
        out.name = self.name
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on (or off) for this leaf, in place; returns ``self``."""
        requires_grad = checks.boolean(requires_grad, "requires_grad_", "requires_grad")
        if requires_grad and self.data.dtype.kind != "f":
            raise DtypeError(messages.grad_needs_float(self))
        if not requires_grad and self._ctx is not None:
            raise BackwardError(
                f"requires_grad_(False) on {describe(self)}, which was computed by "
                f"{self._ctx.name}: use .detach() to cut it from the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # -- arithmetic (numpy on the left works too: ``np_array * tensor`` is a Tensor) ---------

    def __add__(self, other: Any) -> Tensor:
        return binary(rules.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return binary(rules.Add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return binary(rules.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return binary(rules.Sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return binary(rules.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return binary(rules.Mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return binary(rules.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return binary(rules.Div, other, self)

    def __neg__(self) -> Tensor:
        return unary(rules.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, int | float | np.integer | np.floating) and not isinstance(
            exponent, bool
        ):
            return rules.PowScalar.apply(self, float(exponent))
        return binary(rules.Pow, self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return binary(rules.Pow, base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return rules.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return rules.MatMul.apply(other, self)

    # comparisons, float(J), the in-place updates and the constructors: tensor_python. Tensors
    # are keyed by identity, although == is element-wise:
    __hash__ = object.__hash__

    # -- the course's element-wise functions and activations (F2) ----------------------------

    def exp(self) -> Tensor:
        return unary(rules.Exp, self)

    def log(self) -> Tensor:
        return unary(rules.Log, self)

    def sigmoid(self) -> Tensor:
        """σ(z) = 1/(1 + e^-z); derivative a(1 - a) (F2.1)."""
        return rules.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        """tanh(z); derivative 1 - a² (F2.2)."""
        return unary(rules.Tanh, self)

    def relu(self) -> Tensor:
        """max(0, z); derivative 1 for z > 0 and 0 for z <= 0 (relu'(0) = 0, F2.4)."""
        return unary(rules.ReLU, self)

    # -- reductions (axis None, int or tuple; keepdims) and shapes ---------------------------

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return rules.Sum.apply(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return rules.Mean.apply(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return rules.Reshape.apply(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = tuple(axes[0])
        return rules.Transpose.apply(self, axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        axis1 = checks.integer(axis1, "Tensor.swapaxes", "axis1")
        axis2 = checks.integer(axis2, "Tensor.swapaxes", "axis2")
        if not (-self.ndim <= axis1 < self.ndim and -self.ndim <= axis2 < self.ndim):
            raise ShapeError(messages.swapaxes_range(axis1, axis2, self))
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return rules.Transpose.apply(self, tuple(axes))

    def broadcast_to(self, shape: tuple) -> Tensor:
        return rules.BroadcastTo.apply(self, shape)


def _as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """A constant tensor from a number or array met in an op (see ``Tensor._lift``)."""
    if type(value) is Tensor:
        return value
    return Tensor._lift(value, like)


# -- the operators of one and two inputs: numbers become constants, shapes are checked ---------


def unary(cls: type, x: Tensor) -> Tensor:
    data = cls.forward(x.data)
    if x.requires_grad and MODE.grad:  # Function.record_one, inlined: the hottest path
        return _from_op(data, cls((x,), _NEEDS_ONE))
    return _from_op(data, None)


def binary(cls: type, x: Any, y: Any) -> Tensor:
    if type(x) is not Tensor:
        x = _as_tensor(x, y)
    if type(y) is not Tensor:
        y = _as_tensor(y, x)
    try:
        data = cls.forward(x.data, y.data)
    except ValueError:
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ShapeError(messages.broadcast(cls.name, x, y)) from None
        raise  # the shapes fit: numpy's own complaint (e.g. integers to negative powers)
    if x.data.ndim != y.data.ndim:  # broadcasting across ranks: the course's rank-1 trap?
        advice.rank1_broadcast(cls.name, x, y, data.shape)
    x_needs, y_needs = x.requires_grad, y.requires_grad  # Function.record_two, inlined
    if (x_needs or y_needs) and MODE.grad:
        return _from_op(data, cls((x, y), (x_needs, y_needs)))
    return _from_op(data, None)


make_result = _from_op = Tensor._from_op  # make_result: the name the ops outside the core use
_NEEDS_ONE = (True,)
