"""The primitive ops: one small class each, forward and derivative rule side by side.

Every op is a ``Function`` subclass with

* ``forward(...)``: plain numpy on arrays, returns the output array;
* ``backward(self, g, out, *inputs)``: the derivative rule. ``g`` is the upstream gradient
  dJ/d(out), ``out`` the op's output, ``inputs`` its inputs; it returns one gradient per input
  (``None`` for inputs that need none).

The rules use only operations that numpy arrays *and* Tensors both have (``*``, ``@``, ``.T``,
``.sum(axis, keepdims)``, ``.reshape``) and the few dual helpers below. The engine calls them
with arrays for an ordinary ``backward()`` and with Tensors for ``grad(..., create_graph=True)``,
so second derivatives come from the same rules, with no second set to keep in sync.

Notation of the course notes: ``g`` plays the role of ``dA`` or ``dZ``; ``# dZ = dA * A(1-A)``
comments give the formula an op implements.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import advice, checks
from .autograd import ANOMALY, MODE, Shortcut, check_forward_finite
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    BackwardError,
    DtypeError,
    ShapeError,
    describe,
)
from .tensor import Tensor, _as_tensor

Array = Any  # an np.ndarray, or a Tensor inside grad(..., create_graph=True)


# ---------------------------------------------------------------------------------------------
# the base class and how an op's result is made
# ---------------------------------------------------------------------------------------------


class Function:
    """A node of the graph: the op that made a tensor, and the tensors it used (``parents``)."""

    __slots__ = ("parents",)
    name = "function"  # the op's name in graphs, errors and explain()

    def __init__(self, parents: tuple) -> None:
        self.parents = parents

    def backward(self, g: Array, out: Array, *inputs: Array) -> tuple:
        raise NotImplementedError

    def attributes(self) -> dict:
        """The op's settings (axis, exponent, slope, ...) for graphs and explain()."""
        return {name: getattr(self, name) for name in self.__slots__}


_new_tensor = object.__new__


def make_result(data: Any, ctx: Function | None) -> Tensor:
    """Wrap an op's output array; ``ctx`` is None when no gradient will be needed."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)  # numpy returns scalars for 0-d results; keep .data an array
    t = _new_tensor(Tensor)
    t.data = data
    t.grad = None
    t.name = None
    t.requires_grad = ctx is not None
    t._ctx = ctx
    if ANOMALY.threads and MODE.anomaly:  # the counter first: MODE is thread-local (slower)
        check_forward_finite(t)
    return t


def _unary(cls: type, x: Tensor) -> Tensor:
    data = cls.forward(x.data)
    if x.requires_grad and MODE.grad:
        return make_result(data, cls((x,)))
    return make_result(data, None)


def _binary(cls: type, x: Any, y: Any) -> Tensor:
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
            raise ShapeError(_broadcast_message(cls.name, x, y)) from None
        raise  # the shapes fit: numpy's own complaint (e.g. integers to negative powers)
    if x.data.ndim != y.data.ndim:  # broadcasting across ranks: the course's rank-1 trap?
        advice.rank1_broadcast(cls.name, x, y, data.shape)
    if (x.requires_grad or y.requires_grad) and MODE.grad:
        return make_result(data, cls((x, y)))
    return make_result(data, None)


def _broadcast_message(op: str, x: Tensor, y: Tensor) -> str:
    sx, sy = x.shape, y.shape
    n = max(len(sx), len(sy))
    px, py = (1,) * (n - len(sx)) + sx, (1,) * (n - len(sy)) + sy
    bad = [i for i in range(n) if px[i] != py[i] and px[i] != 1 and py[i] != 1]
    axis = bad[0] - n if bad else 0
    return (
        f"{op}: cannot broadcast {describe(x)} with {describe(y)}: axis {axis} has sizes "
        f"{px[bad[0]] if bad else '?'} and {py[bad[0]] if bad else '?'}. Broadcasting (F7.1) "
        "needs each axis, counted from the right, to be equal or 1 — e.g. (n, m) + (n, 1) "
        "adds a bias column to every example. Check which tensor has the wrong shape."
    )


# ---------------------------------------------------------------------------------------------
# dual helpers: the same call for numpy arrays and Tensors
# ---------------------------------------------------------------------------------------------


def values(x: Array) -> np.ndarray:
    """The numpy values of ``x`` (masks and counts are constants, never differentiated)."""
    return x.data if type(x) is Tensor else x


def sum_to_shape(g: Array, shape: tuple) -> Array:
    """Undo broadcasting: sum ``g`` over the axes numpy broadcast to reach ``shape`` (F7.1).

    This is where ``db = np.sum(dZ, axis=1, keepdims=True)`` comes from: ``b (n, 1)`` was
    broadcast over the ``m`` columns, so its gradient is the sum over them.
    """
    g_shape = g.shape
    if g_shape == shape:
        return g
    axes = _SUMMED_AXES.get((g_shape, shape))
    if axes is None:
        axes = _summed_axes(g_shape, shape)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if len(g_shape) != len(shape) else g


def _summed_axes(g_shape: tuple, shape: tuple) -> tuple:
    """The axes broadcasting added (prepended) or stretched (size 1 in ``shape``)."""
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    if len(_SUMMED_AXES) < 4096:  # remembered per pair of shapes: a training loop repeats them
        _SUMMED_AXES[g_shape, shape] = axes
    return axes


_SUMMED_AXES: dict = {}


def broadcast_to(x: Array, shape: tuple) -> Array:
    if type(x) is Tensor:
        return BroadcastTo.apply(x, shape)
    return np.broadcast_to(x, shape)


def log(x: Array) -> Array:
    return x.log() if type(x) is Tensor else np.log(x)


def sigmoid_of(x: Array) -> Array:
    if isinstance(x, np.ndarray | np.generic | float | int):
        return Sigmoid.forward(x)
    return x.sigmoid()  # a Tensor (create_graph=True), or a symbolic array (explain.Sym)


def maximum_with(x: Array, floor: float) -> Array:
    return x.maximum(floor) if type(x) is Tensor else np.maximum(x, floor)


def scatter(g: Array, index: Any, shape: tuple) -> Array:
    """Zeros of ``shape`` with ``g`` added at ``index`` (the backward of indexing)."""
    if type(g) is Tensor:
        return ScatterAdd.apply(g, index, shape)
    if not isinstance(g, np.ndarray | np.generic):
        return g.scatter(index, shape)  # a symbolic gradient (explain.Sym)
    return ScatterAdd.forward(g, index, shape)


def _axes(axis: Any, ndim: int, who: Tensor, op: str) -> tuple:
    """Normalize ``axis`` (None, int or tuple) to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple | list) else (axis,)
    result = []
    for a in items:
        if not isinstance(a, int | np.integer) or isinstance(a, bool):
            raise ArgumentTypeError(
                f"{op}: axis must be None, an int or a tuple of ints, not "
                f"{checks.describe_value(axis)} (for {describe(who)}; axis=1 runs over the m "
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


# ---------------------------------------------------------------------------------------------
# elementwise arithmetic (broadcasting: each gradient is summed back to its operand's shape)
# ---------------------------------------------------------------------------------------------


class Add(Function):
    """z = x + y;  dx = dz, dy = dz (summed over broadcast axes: db = Σ dZ)."""

    __slots__ = ()
    name = "add"
    infix = "+"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.add)

    def explain_formula(self, x, y):  # explain writes the forward as x + y
        return "add", (x, y), None

    def backward(self, g, out, x, y):
        px, py = self.parents
        return (
            sum_to_shape(g, x.shape) if px.requires_grad else None,
            sum_to_shape(g, y.shape) if py.requires_grad else None,
        )


class Sub(Function):
    """z = x - y;  dx = dz, dy = -dz."""

    __slots__ = ()
    name = "sub"
    infix = "-"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.subtract)

    def explain_formula(self, x, y):  # explain writes the forward as x - y
        return "sub", (x, y), None

    def backward(self, g, out, x, y):
        px, py = self.parents
        return (
            sum_to_shape(g, x.shape) if px.requires_grad else None,
            sum_to_shape(-g, y.shape) if py.requires_grad else None,
        )


class Mul(Function):
    """z = x * y (element-wise);  dx = dz * y, dy = dz * x."""

    __slots__ = ()
    name = "mul"
    infix = "*"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.multiply)

    def explain_formula(self, x, y):  # explain writes the forward as x * y
        return "mul", (x, y), None

    def backward(self, g, out, x, y):
        px, py = self.parents
        return (
            sum_to_shape(g * y, x.shape) if px.requires_grad else None,
            sum_to_shape(g * x, y.shape) if py.requires_grad else None,
        )


class Div(Function):
    """z = x / y;  dx = dz / y, dy = -dz * x / y² = -dz * z / y."""

    __slots__ = ()
    name = "div"
    infix = "/"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.divide)

    def explain_formula(self, x, y):  # explain writes the forward as x / y
        return "div", (x, y), None

    def backward(self, g, out, x, y):
        px, py = self.parents
        return (
            sum_to_shape(g / y, x.shape) if px.requires_grad else None,
            sum_to_shape(-(g * out) / y, y.shape) if py.requires_grad else None,
        )


class Neg(Function):
    """z = -x;  dx = -dz."""

    __slots__ = ()
    name = "neg"
    forward = staticmethod(np.negative)

    def explain_formula(self, x):  # explain writes the forward as -x
        return "neg", (x,), None

    def backward(self, g, out, x):
        return (-g,)


class PowScalar(Function):
    """z = x ** p for a number p;  dx = dz * p * x^(p-1)."""

    __slots__ = ("exponent",)
    name = "pow"
    infix = "**"  # viz writes a short formula with it: W1 @ X + b1

    def explain_formula(self, x):  # explain writes the forward as x**p
        return "pow", (x, self.exponent), None

    def numpy_source(self, src, x):  # compile: the forward as numpy code
        return f"{x} ** {self.exponent!r}", 4

    @classmethod
    def apply(cls, x: Tensor, exponent: float) -> Tensor:
        data = x.data**exponent
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.exponent = exponent
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        p = self.exponent
        if p == 2:
            return (g * (2 * x),)  # the common square: dx = 2 x dz
        if p == 0:
            return (g * 0.0,)  # x⁰ = 1 is constant: dx = 0, also at x = 0 (not 0 · 0⁻¹ = nan)
        return (g * (p * x ** (p - 1)),)


class Pow(Function):
    """z = x ** y (both tensors);  dx = dz * y x^(y-1),  dy = dz * z * ln x (0 where x <= 0)."""

    __slots__ = ()
    name = "pow"
    infix = "**"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.power)

    def explain_formula(self, x, y):  # explain writes the forward as x**y
        return "pow", (x, y), None

    def backward(self, g, out, x, y):
        px, py = self.parents
        gx = sum_to_shape(g * (y * x ** (y - 1)), x.shape) if px.requires_grad else None
        gy = None
        if py.requires_grad:
            positive = values(x) > 0
            safe_x = x * positive + (~positive)  # ln is taken only where x > 0
            gy = sum_to_shape(g * out * log(safe_x) * positive, y.shape)
        return gx, gy


class Maximum(Function):
    """z = max(x, y) element-wise;  the gradient goes to the larger, half each on a tie."""

    __slots__ = ()
    name = "maximum"
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.maximum)

    def backward(self, g, out, x, y):
        xv, yv = values(x), values(y)
        to_x = (xv > yv) + 0.5 * (xv == yv)
        px, py = self.parents
        return (
            sum_to_shape(g * to_x, x.shape) if px.requires_grad else None,
            sum_to_shape(g * (1.0 - to_x), y.shape) if py.requires_grad else None,
        )


class Minimum(Function):
    """z = min(x, y) element-wise;  the gradient goes to the smaller, half each on a tie."""

    __slots__ = ()
    name = "minimum"
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    forward = staticmethod(np.minimum)

    def backward(self, g, out, x, y):
        xv, yv = values(x), values(y)
        to_x = (xv < yv) + 0.5 * (xv == yv)
        px, py = self.parents
        return (
            sum_to_shape(g * to_x, x.shape) if px.requires_grad else None,
            sum_to_shape(g * (1.0 - to_x), y.shape) if py.requires_grad else None,
        )


# ---------------------------------------------------------------------------------------------
# matrix product
# ---------------------------------------------------------------------------------------------


class MatMul(Function):
    """Z = A @ B (numpy's matmul: matrices, vectors, stacks of matrices).

    dA = dZ @ Bᵀ and dB = Aᵀ @ dZ — the course's ``dA_prev = Wᵀ dZ`` and ``dW = dZ A_prevᵀ``
    (the 1/m is already in dZ when the cost is a mean). A vector operand is treated as a
    one-row / one-column matrix; broadcast stack axes are summed back.
    """

    __slots__ = ()
    name = "matmul"
    infix = "@"  # viz writes a short formula with it: W1 @ X + b1
    forward = staticmethod(np.matmul)

    def explain_formula(self, x, y):  # explain writes the forward as x @ y
        return "matmul", (x, y), None

    @classmethod
    def apply(cls, a: Any, b: Any) -> Tensor:
        if type(a) is not Tensor:
            a = _as_tensor(a, b)
        if type(b) is not Tensor:
            b = _as_tensor(b, a)
        try:
            data = a.data @ b.data
        except ValueError:
            raise ShapeError(_matmul_message(a, b)) from None
        if (a.requires_grad or b.requires_grad) and MODE.grad:
            return make_result(data, cls((a, b)))
        return make_result(data, None)

    def backward(self, g, out, a, b):
        pa, pb = self.parents
        if a.ndim == 2 and b.ndim == 2:  # the course's case
            return (
                g @ b.T if pa.requires_grad else None,  # dA_prev = Wᵀ dZ  (here: dZ Bᵀ)
                a.T @ g if pb.requires_grad else None,  # dW = dZ A_prevᵀ  (here: Aᵀ dZ)
            )
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        a2 = a.reshape((1, a.shape[0])) if a_vec else a
        b2 = b.reshape((b.shape[0], 1)) if b_vec else b
        if a_vec and b_vec:
            g2 = g.reshape((1, 1))
        elif a_vec:
            g2 = g.reshape((*g.shape[:-1], 1, g.shape[-1]))
        elif b_vec:
            g2 = g.reshape((*g.shape, 1))
        else:
            g2 = g
        ga = gb = None
        if pa.requires_grad:
            ga = sum_to_shape(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if pb.requires_grad:
            gb = sum_to_shape(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


def _matmul_message(a: Tensor, b: Tensor) -> str:
    if a.ndim == 0 or b.ndim == 0:
        return (
            f"matmul {describe(a)} @ {describe(b)}: @ needs arrays with at least one axis; "
            "use * to multiply by a scalar."
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if inner_a != inner_b:
        return (
            f"matmul {describe(a)} @ {describe(b)}: inner dimensions {inner_a} and {inner_b} "
            "differ (W[l] must be (n[l], n[l-1]) and A[l-1] must be (n[l-1], m): examples are "
            "columns). Did you pass an (m, n_x) matrix where (n_x, m) is expected, or forget .T?"
        )
    return (
        f"matmul {describe(a)} @ {describe(b)}: the stack axes {a.shape[:-2]} and "
        f"{b.shape[:-2]} cannot be broadcast together."
    )


# ---------------------------------------------------------------------------------------------
# element-wise functions and the course's activations (F2)
# ---------------------------------------------------------------------------------------------


class Exp(Function):
    """a = e^x;  dx = da * a."""

    __slots__ = ()
    name = "exp"
    forward = staticmethod(np.exp)

    def backward(self, g, out, x):
        return (g * out,)


class Log(Function):
    """a = ln x;  dx = da / x."""

    __slots__ = ()
    name = "log"
    forward = staticmethod(np.log)

    def backward(self, g, out, x):
        return (g / x,)


class Sqrt(Function):
    """a = √x;  dx = da / (2 a)."""

    __slots__ = ()
    name = "sqrt"
    forward = staticmethod(np.sqrt)

    def backward(self, g, out, x):
        return (g / (2.0 * out),)


class Abs(Function):
    """a = |x|;  dx = da * sign(x), with sign(0) = 0."""

    __slots__ = ()
    name = "abs"
    forward = staticmethod(np.abs)

    def backward(self, g, out, x):
        return (g * np.sign(values(x)),)


class Sigmoid(Function):
    """a = σ(z) = 1 / (1 + e^-z) (F1.1, F2.1);  dz = da * a(1 - a).

    Computed as exp(-log(1 + e^-z)) with ``logaddexp``: no overflow warning at z = ±1000.
    The op keeps ``minus_log_a`` = log(1 + e^-z) = -log a, exact for any z, for the
    cross-entropy that usually follows (its cost then needs no second ``logaddexp``).
    """

    __slots__ = ("minus_log_a",)
    name = "sigmoid"

    def explain_formula(self, z):  # explain writes the forward as σ(z)
        return "sigmoid", (z,), None

    def numpy_source(self, src, z):  # compile: the helper sigmoid(z) is the stable forward
        return f"sigmoid({z.bare})"

    @staticmethod
    def forward(z):
        return np.exp(-np.logaddexp(0.0, -z))

    @classmethod
    def apply(cls, z: Tensor) -> Tensor:
        if not (z.requires_grad and MODE.grad):
            return make_result(cls.forward(z.data), None)
        minus_log_a = np.logaddexp(0.0, -z.data)  # -log σ(z) = log(1 + e^-z)
        ctx = cls((z,))
        ctx.minus_log_a = minus_log_a
        return make_result(np.exp(-minus_log_a), ctx)  # the same bits as forward(z)

    def attributes(self) -> dict:
        return {}

    def backward(self, g, out, z):
        return (g * (out * (1.0 - out)),)  # dZ = dA * A(1-A)


class Tanh(Function):
    """a = tanh(z) (F2.2);  dz = da * (1 - a²)."""

    __slots__ = ()
    name = "tanh"
    forward = staticmethod(np.tanh)

    def backward(self, g, out, z):
        return (g * (1.0 - out * out),)  # dZ = dA * (1 - A²)


class ReLU(Function):
    """a = max(0, z) (F2.4);  dz = da where z > 0, else 0 — relu'(0) = 0, as the course's
    ``relu_backward`` (``dZ[Z <= 0] = 0``) and PyTorch."""

    __slots__ = ()
    name = "relu"

    def numpy_source(self, src, z):
        return f"np.maximum({z.bare}, 0.0)"

    @staticmethod
    def forward(z):
        return np.maximum(z, 0.0)

    def backward(self, g, out, z):
        return (g * (values(z) > 0),)


class LeakyReLU(Function):
    """a = max(αz, z) (F2.5);  dz = da where z > 0, α·da where z <= 0 — leaky'(0) = α."""

    __slots__ = ("alpha",)
    name = "leaky_relu"

    def numpy_source(self, src, z):
        return f"np.where({z} > 0, {z}, {self.alpha!r} * {z})"

    @classmethod
    def apply(cls, z: Tensor, alpha: float) -> Tensor:
        if type(alpha) is not float or not -math.inf < alpha < math.inf:
            alpha = checks.real(alpha, "leaky_relu", "alpha", hint="The slope for z <= 0, "
                                "e.g. 0.01.")
        data = np.where(z.data > 0, z.data, alpha * z.data)
        if z.requires_grad and MODE.grad:
            ctx = cls((z,))
            ctx.alpha = alpha
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, z):
        slope = np.where(values(z) > 0, 1.0, self.alpha)
        return (g * slope,)


class Clip(Function):
    """a = clip(x, low, high);  dx = da where low <= x <= high, else 0."""

    __slots__ = ("high", "low")
    name = "clip"

    def numpy_source(self, src, x):
        return f"np.clip({x.bare}, {self.low!r}, {self.high!r})"

    @classmethod
    def apply(cls, x: Tensor, low: float | None, high: float | None) -> Tensor:
        checks.bounds(low, high, "clip")
        data = np.clip(x.data, low, high)
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.low, ctx.high = low, high
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        xv = values(x)
        inside = np.ones(xv.shape, dtype=bool)
        if self.low is not None:
            inside &= xv >= self.low
        if self.high is not None:
            inside &= xv <= self.high
        return (g * inside,)


class Where(Function):
    """a = where(C, x, y): x where the constant mask C holds, y elsewhere (``np.where``);
    dx = da where C, else 0;  dy = da where not C, else 0 (summed over broadcast axes)."""

    __slots__ = ("condition",)
    name = "where"

    def numpy_source(self, src, x, y):
        return f"np.where({src.const(self.condition)}, {x.bare}, {y.bare})"

    @classmethod
    def apply(cls, condition: Any, x: Any, y: Any) -> Tensor:
        if type(x) is not Tensor:
            x = _as_tensor(x, y if type(y) is Tensor else None)
        if type(y) is not Tensor:
            y = _as_tensor(y, x)
        condition = np.asarray(values(condition), dtype=bool)
        try:
            data = np.where(condition, x.data, y.data)
        except ValueError:
            raise ShapeError(
                f"where: cannot broadcast the condition {condition.shape} with {describe(x)} "
                f"and {describe(y)} (F7.1: each axis, from the right, equal or 1)"
            ) from None
        if (x.requires_grad or y.requires_grad) and MODE.grad:
            ctx = cls((x, y))
            ctx.condition = condition
            return make_result(data, ctx)
        return make_result(data, None)

    def attributes(self) -> dict:
        return {}

    def backward(self, g, out, x, y):
        px, py = self.parents
        C = self.condition
        return (
            sum_to_shape(g * C, x.shape) if px.requires_grad else None,  # dx = da · C
            sum_to_shape(g * ~C, y.shape) if py.requires_grad else None,  # dy = da · (1 - C)
        )


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------


class _Reduction(Function):
    """Shared set-up of sum/mean/max/min: the axes and the shape with those axes kept."""

    __slots__ = ("axis", "keepdims", "kept_shape")
    numpy_reduce: Any = None

    @classmethod
    def apply(cls, x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        if keepdims is not False and keepdims is not True:
            keepdims = checks.boolean(keepdims, cls.name, "keepdims")
        axes = _axes(axis, x.ndim, x, cls.name)
        if x.data.size == 0 and cls.name != "sum" and any(x.data.shape[i] == 0 for i in axes):
            # a sum of nothing is 0; a mean, max or min of nothing is undefined
            raise ShapeError(
                f"{cls.name} of {describe(x)} over "
                f"{'all axes' if axis is None else f'axis {axis}'}: there are no elements "
                f"(an empty batch, m = 0?), so the {cls.name} is undefined"
            )
        data = cls.numpy_reduce(x.data, axis=axes, keepdims=keepdims)
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.axis, ctx.keepdims = axis, keepdims
            ctx.kept_shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            return make_result(data, ctx)
        return make_result(data, None)

    def numpy_source(self, src, x):  # compile: np.sum(Z, axis=1, keepdims=True)
        settings = "" if self.axis is None else f", axis={self.axis!r}"
        settings += ", keepdims=True" if self.keepdims else ""
        return f"np.{self.numpy_reduce.__name__}({x.bare}{settings})"

    def attributes(self) -> dict:
        return {"axis": self.axis, "keepdims": self.keepdims}

    def spread(self, g: Array, shape: tuple) -> Array:
        """Give every reduced element the gradient of the value it went into."""
        return broadcast_to(g.reshape(self.kept_shape), shape)


class Sum(_Reduction):
    """s = Σ x over ``axis``;  dx = ds, copied to every element that was summed."""

    __slots__ = ()
    name = "sum"
    numpy_reduce = staticmethod(np.sum)

    def backward(self, g, out, x):
        return (self.spread(g, x.shape),)


class Mean(_Reduction):
    """s = 1/n Σ x over ``axis``;  dx = ds / n (the 1/m of the course's mean cost)."""

    __slots__ = ()
    name = "mean"
    numpy_reduce = staticmethod(np.mean)

    def explain_divisor(self) -> tuple:
        """For explain: the rule's 1.0 / n is 1 / m over the examples (the last axis only)."""
        x = self.parents[0]
        n = math.prod(x.shape) // max(math.prod(self.kept_shape), 1) if x.shape else 1
        reduced = [i for i, k in enumerate(self.kept_shape) if k == 1 and x.shape[i] != 1]
        return ("m" if reduced == [x.ndim - 1] else str(n)), n

    def backward(self, g, out, x):
        n = math.prod(size for size, kept in zip(x.shape, self.kept_shape) if kept == 1)
        return (self.spread(g, x.shape) * (1.0 / n),)


class Max(_Reduction):
    """s = max x over ``axis``;  dx = ds at the maximum (shared equally between ties)."""

    __slots__ = ()
    name = "max"
    numpy_reduce = staticmethod(np.max)

    def backward(self, g, out, x):
        xv = values(x)
        hit = xv == values(out).reshape(self.kept_shape)
        reduced = tuple(i for i, n in enumerate(self.kept_shape) if n == 1)
        share = hit / hit.sum(axis=reduced, keepdims=True)
        return (self.spread(g, x.shape) * share,)


class Min(Max):
    """s = min x over ``axis``;  dx = ds at the minimum (shared equally between ties)."""

    __slots__ = ()
    name = "min"
    numpy_reduce = staticmethod(np.min)


# ---------------------------------------------------------------------------------------------
# shape ops (their rules are exact linear maps: tested by the adjoint identity)
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    """y = x.reshape(shape);  dx = dy.reshape(x.shape)."""

    __slots__ = ("shape",)
    name = "reshape"

    def explain_formula(self, x):  # explain writes the forward as x.reshape(shape)
        return "reshape", (x,), self.shape

    def numpy_source(self, src, x):
        return f"{x}.reshape({self.shape})"

    @classmethod
    def apply(cls, x: Tensor, shape: tuple) -> Tensor:
        try:
            data = x.data.reshape(shape)
        except TypeError:  # numpy refused the type: say which argument and what is expected
            raise ArgumentTypeError(
                f"reshape: the new shape must be ints (e.g. reshape(1, -1) or reshape((n, m))),"
                f" not {checks.describe_value(shape if len(shape) != 1 else shape[0])}, for "
                f"{describe(x)}"
            ) from None
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape {describe(x)} ({x.data.size} elements) into "
                f"{shape}; the number of elements must stay the same."
            ) from None
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.shape = data.shape
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        return (g.reshape(x.shape),)


class Transpose(Function):
    """y = x.transpose(axes);  dx = dy.transpose(inverse of axes) (2-D: dx = dyᵀ)."""

    __slots__ = ("axes",)
    name = "transpose"

    def explain_formula(self, x):  # explain writes the forward as xᵀ
        return "transpose", (x,), self.axes

    def numpy_source(self, src, x):
        return f"{x}.T" if self.axes == (1, 0) else f"{x}.transpose({self.axes})"

    @classmethod
    def apply(cls, x: Tensor, axes: tuple | None = None) -> Tensor:
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        elif not all(type(a) is int for a in axes):
            axes = tuple(checks.integer(a, "transpose", "each of axes") for a in axes)
        if sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ShapeError(
                f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of "
                f"{describe(x)}"
            )
        axes = tuple(int(a) % x.ndim for a in axes)
        data = x.data.transpose(axes)
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.axes = axes
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        return (g.transpose(tuple(np.argsort(self.axes))),)


class BroadcastTo(Function):
    """y = broadcast of x to ``shape``;  dx = dy summed over the broadcast axes (F7.1)."""

    __slots__ = ("shape",)
    name = "broadcast_to"

    def numpy_source(self, src, x):
        return f"np.broadcast_to({x.bare}, {self.shape})"

    @classmethod
    def apply(cls, x: Tensor, shape: tuple) -> Tensor:
        try:
            data = np.broadcast_to(x.data, shape)
        except TypeError:
            raise ArgumentTypeError(
                f"broadcast_to: shape must be a tuple of ints, not "
                f"{checks.describe_value(shape)}, for {describe(x)}"
            ) from None
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast {describe(x)} to {shape}") from None
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.shape = data.shape
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        return (sum_to_shape(g, x.shape),)


class GetItem(Function):
    """y = x[index] (slices, integers, integer or boolean arrays);  dx = dy scattered back
    into zeros of x's shape, added up where an index repeats."""

    __slots__ = ("index",)
    name = "getitem"

    def explain_formula(self, x):  # explain writes the forward as x[index]
        return "getitem", (x,), self.index

    def numpy_source(self, src, x):
        return f"{x}[{src.index(self.index)}]"

    @classmethod
    def apply(cls, x: Tensor, index: Any) -> Tensor:
        index = _plain_index(index)
        try:
            data = x.data[index]
        except IndexError as exc:
            raise IndexError(f"indexing {describe(x)} with {index!r}: {exc}") from None
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.index = index
            return make_result(np.array(data, copy=True), ctx)
        return make_result(np.array(data, copy=True), None)

    def backward(self, g, out, x):
        return (scatter(g, self.index, x.shape),)


def _plain_index(index: Any) -> Any:
    """Tensors used as indices become their arrays."""
    if type(index) is Tensor:
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if type(i) is Tensor else i for i in index)
    return index


class ScatterAdd(Function):
    """y = zeros(shape) with x added at ``index``;  dx = dy[index] (the rule of indexing,
    as an op so that indexing can be differentiated twice)."""

    __slots__ = ("index", "shape")
    name = "scatter_add"

    def numpy_source(self, src, x):
        return f"scatter({x.bare}, {src.const(self.index)}, {self.shape})"

    @staticmethod
    def forward(g: np.ndarray, index: Any, shape: tuple) -> np.ndarray:
        result = np.zeros(shape, dtype=g.dtype)
        np.add.at(result, index, g)
        return result

    @classmethod
    def apply(cls, x: Tensor, index: Any, shape: tuple) -> Tensor:
        data = cls.forward(x.data, index, shape)
        if x.requires_grad and MODE.grad:
            ctx = cls((x,))
            ctx.index, ctx.shape = index, shape
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, x):
        return (g[self.index],)


class Concatenate(Function):
    """y = concatenate(xs, axis);  each dx is its own slice of dy."""

    __slots__ = ("axis", "sizes")
    name = "concatenate"

    def numpy_source(self, src, *xs):
        return f"np.concatenate([{', '.join(x.bare for x in xs)}], axis={self.axis})"

    @classmethod
    def apply(cls, tensors: tuple, axis: int = 0) -> Tensor:
        if type(axis) is not int:
            axis = checks.integer(axis, "concatenate", "axis")
        tensors = tuple(t if type(t) is Tensor else Tensor(t) for t in tensors)
        if not tensors:
            raise ShapeError("concatenate: needs at least one tensor")
        try:
            data = np.concatenate([t.data for t in tensors], axis=axis)
        except (ValueError, np.exceptions.AxisError) as exc:
            shapes = ", ".join(describe(t) for t in tensors)
            raise ShapeError(f"concatenate along axis {axis} of [{shapes}]: {exc}") from None
        if any(t.requires_grad for t in tensors) and MODE.grad:
            ctx = cls(tensors)
            ctx.axis = axis % data.ndim
            ctx.sizes = [t.shape[ctx.axis] for t in tensors]
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, *xs):
        grads, start = [], 0
        for parent, size in zip(self.parents, self.sizes):
            index = (slice(None),) * self.axis + (slice(start, start + size),)
            grads.append(g[index] if parent.requires_grad else None)
            start += size
        return tuple(grads)


class Stack(Function):
    """y = stack(xs, axis);  each dx is dy taken at its position along the new axis."""

    __slots__ = ("axis",)
    name = "stack"

    def numpy_source(self, src, *xs):
        return f"np.stack([{', '.join(x.bare for x in xs)}], axis={self.axis})"

    @classmethod
    def apply(cls, tensors: tuple, axis: int = 0) -> Tensor:
        if type(axis) is not int:
            axis = checks.integer(axis, "stack", "axis")
        tensors = tuple(t if type(t) is Tensor else Tensor(t) for t in tensors)
        if not tensors:
            raise ShapeError("stack: needs at least one tensor")
        try:
            data = np.stack([t.data for t in tensors], axis=axis)
        except (ValueError, np.exceptions.AxisError) as exc:
            shapes = ", ".join(describe(t) for t in tensors)
            raise ShapeError(f"stack along axis {axis} of [{shapes}]: {exc}") from None
        if any(t.requires_grad for t in tensors) and MODE.grad:
            ctx = cls(tensors)
            ctx.axis = axis % data.ndim
            return make_result(data, ctx)
        return make_result(data, None)

    def backward(self, g, out, *xs):
        return tuple(
            g[(slice(None),) * self.axis + (i,)] if parent.requires_grad else None
            for i, parent in enumerate(self.parents)
        )


# ---------------------------------------------------------------------------------------------
# the course's costs (fused: one op each, so the rule is the formula of the notes)
# ---------------------------------------------------------------------------------------------

_LOG_FLOOR = math.exp(-100.0)  # log(A) is never below -100 (PyTorch's rule for BCELoss)
_DENOMINATOR_FLOOR = 1e-12  # A(1-A) in the rule of dA is never below 1e-12 (PyTorch's)


def labels_tensor(Y: Any, like: Tensor, op: str = "cost") -> Tensor:
    """The labels/targets of a cost as a constant tensor; a numpy array or list given for
    them is named ``Y``, so graphs, ``explain`` and errors read like the notes."""
    if isinstance(Y, Tensor):
        return Y
    try:
        labels = _as_tensor(Y, like)
    except (DtypeError, ShapeError) as error:  # text, objects, ragged lists: name the cost
        raise type(error)(f"{op}: the labels Y: {error}") from None
    labels.name = "Y"
    return labels


def _check_targets(A: Tensor, Y: Tensor, op: str, what: str = "labels") -> None:
    if Y.shape != A.shape:
        raise ShapeError(
            f"{op}: the predictions are {describe(A)} and the {what} {describe(Y)}; they must "
            "have the same shape (n_y, m): one column per example. Reshape Y, e.g. "
            "Y.reshape(1, m)."
        )
    if Y.requires_grad:
        raise BackwardError(f"{op}: the {what} {describe(Y)} must not require grad")
    a, y = A.data, Y.data
    if not a.size or a.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        checks.cost_operands(a, y, op, f"the predictions {describe(A)}",
                             f"the {what} {describe(Y)}")


def _examples(A: Tensor) -> int:
    """m, the number of examples: the number of columns (the last axis)."""
    return A.shape[-1] if A.ndim else 1


def _reduce(per_element: np.ndarray, reduction: str, m: int) -> np.ndarray:
    total = per_element.sum()
    return total / m if reduction == "mean" else total


class _Cost(Function):
    """What the course's costs of (predictions, labels) share: ``m`` (the number of columns),
    the reduction ("mean": 1/m Σ, "sum": Σ) and recording the op; the labels get no gradient."""

    __slots__ = ("m", "reduction")
    explain_cost = True  # explain names an unnamed cost by its formula, not T<k>

    def explain_symbols(self) -> dict:
        return {"m": ("m", self.m)}  # explain writes the number of examples as m

    @classmethod
    def _record(cls, data: np.ndarray, X: Tensor, Y: Tensor, m: int, reduction: str) -> Tensor:
        if X.requires_grad and MODE.grad:
            ctx = cls((X, Y))
            ctx.m, ctx.reduction = m, reduction
            return make_result(data, ctx)
        return make_result(data, None)

    def attributes(self) -> dict:
        return {"reduction": self.reduction}

    def g_over_m(self, g: Array) -> Array:
        """The upstream gradient times the 1/m of the mean (a scalar)."""
        return g * (1.0 / self.m if self.reduction == "mean" else 1.0)


class BinaryCrossEntropy(_Cost):
    """J = -1/m Σ [Y log A + (1-Y) log(1-A)] (F1.1, F1.5) on probabilities A.

    dA = -(Y/A - (1-Y)/(1-A)) / m = (A - Y) / (A(1-A)) / m  (F4.2).

    When A is the output of ``sigmoid(Z)`` (a Dense layer with activation="sigmoid"), the op
    is the course's fused output layer: the cost is computed from Z itself as
    ``log(1 + e^-Z) + (1 - Y) Z`` (the sigmoid keeps log(1 + e^-Z) = -log A, exact where
    ``np.log(A)`` is -inf) and the rule gives Z its gradient in one formula,
    dZ = (A - Y) / m (F1.4, F3.2) — exact for every Z, the same bits as
    ``binary_cross_entropy_with_logits`` — instead of dA followed by the sigmoid's
    dA * A(1-A), which is 0 or damped once σ(Z) rounds to 0 or 1 (|Z| ≳ 28). A.grad still
    receives dA (see ``autograd.Shortcut``).

    Otherwise, at A exactly 0 or 1 each log is floored at -100, and in the rule of dA the
    product A(1-A) is floored at 1e-12 (both PyTorch's rules), so nothing is ever nan or inf.
    ``reduction="sum"`` drops the 1/m.
    """

    __slots__ = ("after_sigmoid",)
    name = "binary_cross_entropy"

    def numpy_source(self, src, A, Y):  # the same numpy calls as apply, in the same order
        if self.after_sigmoid:
            Z = src.tensor(self.parents[0]._ctx.parents[0])
            return src.reduce(f"np.logaddexp(0.0, -{Z}) + (1.0 - {Y}) * {Z}", self)
        F = repr(_LOG_FLOOR)
        return src.reduce(f"-({Y} * np.log(np.maximum({A}, {F})) + "
                          f"(1.0 - {Y}) * np.log(np.maximum(1.0 - {A}, {F})))", self)

    @classmethod
    def apply(cls, A: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, A, "binary_cross_entropy")
        _check_targets(A, Y, "binary_cross_entropy")
        a, y = A.data, Y.data
        checks.unit_interval_labels(Y, "binary_cross_entropy")
        after_sigmoid = type(A._ctx) is Sigmoid
        if not after_sigmoid:  # sigmoid's outputs are in [0, 1] by construction: no pass
            checks.unit_interval_predictions(A, "binary_cross_entropy")
        if after_sigmoid:  # -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^-z) + (1-y) z
            sigmoid = A._ctx
            per_example = sigmoid.minus_log_a + (1.0 - y) * sigmoid.parents[0].data
        else:
            per_example = -(
                y * np.log(np.maximum(a, _LOG_FLOOR))
                + (1.0 - y) * np.log(np.maximum(1.0 - a, _LOG_FLOOR))
            )
        m = _examples(A)
        result = cls._record(_reduce(per_example, reduction, m), A, Y, m, reduction)
        if result._ctx is not None:
            result._ctx.after_sigmoid = after_sigmoid
        return result

    def backward(self, g, out, A, Y):
        g_over_m = self.g_over_m(g)
        A_minus_Y = A - Y
        # dA = (A - Y) / (A (1 - A)) / m
        dA = A_minus_Y / maximum_with(A * (1.0 - A), _DENOMINATOR_FLOOR) * g_over_m
        if not self.after_sigmoid:
            return dA, None
        dZ = A_minus_Y * g_over_m  # dZ = (A - Y) / m: the sigmoid's A(1-A) cancelled exactly
        return Shortcut(dA, (dZ,)), None  # A.grad = dA; Z gets dZ, not dA * A(1-A)


class BinaryCrossEntropyWithLogits(_Cost):
    """J = 1/m Σ [log(1 + e^Z) - Y Z] = binary cross-entropy of σ(Z), stable for any Z.

    dZ = (σ(Z) - Y) / m exactly — the course's dZ = A - Y with the 1/m of the mean cost.
    """

    __slots__ = ()
    name = "binary_cross_entropy_with_logits"

    def numpy_source(self, src, Z, Y):
        return src.reduce(f"np.logaddexp(0.0, {Z}) - {Y} * {Z}", self)

    @classmethod
    def apply(cls, Z: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, Z, "binary_cross_entropy_with_logits")
        _check_targets(Z, Y, "binary_cross_entropy_with_logits")
        z, y = Z.data, Y.data
        checks.unit_interval_labels(Y, "binary_cross_entropy_with_logits")
        m = _examples(Z)
        return cls._record(_reduce(np.logaddexp(0.0, z) - y * z, reduction, m), Z, Y, m,
                           reduction)

    def backward(self, g, out, Z, Y):
        return (sigmoid_of(Z) - Y) * self.g_over_m(g), None  # dZ = (A - Y) / m


class MeanSquaredError(_Cost):
    """J = 1/m Σ_i ½‖h(x⁽ⁱ⁾) - y⁽ⁱ⁾‖² = ½ Σ (H - Y)² / m (F5.1) on predictions H (n_y, m).

    dH = (H - Y) / m, so after a layer H = f(Z) the output delta is δ = -(y - a) * f'(z)
    (F5.2). The targets Y are constants (no gradient). ``reduction="sum"`` drops the 1/m.
    """

    __slots__ = ()
    name = "mse_loss"

    def numpy_source(self, src, H, Y):
        scale = f"(0.5 / {src.m(self.m)})" if self.reduction == "mean" else "0.5"
        return f"np.sum(({H} - {Y}) ** 2) * {scale}", 2

    @classmethod
    def apply(cls, H: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, H, "mse_loss")
        _check_targets(H, Y, "mse_loss", what="targets")
        m = _examples(H)
        d = H.data - Y.data
        return cls._record((d * d).sum() * (0.5 / m if reduction == "mean" else 0.5), H, Y, m,
                           reduction)

    def backward(self, g, out, H, Y):
        return (H - Y) * self.g_over_m(g), None  # dH = (H - Y) / m


class L2Penalty(Function):
    """P = λ/2 Σ_l Σ_i Σ_j (W_ji^(l))² (F5.1): the weight-decay term over the weights W_l.

    dW_l = λ W_l (F5.5): added to each W's gradient of the data term. One op over all the
    weights (like ``concatenate``): its inputs are the W's, in the order given.
    """

    __slots__ = ("lam",)
    name = "l2_penalty"
    explain_cost = True  # explain names an unnamed cost by its formula, not T<k>

    def explain_symbols(self) -> dict:
        return {"lam": ("λ", self.lam)}  # explain writes the rate as λ: dW = λ * W

    def numpy_source(self, src, *Ws):
        total = " + ".join(f"np.sum({W} * {W})" for W in Ws)  # P = λ/2 Σ W²
        return f"{total if len(Ws) == 1 else f'({total})'} * {self.lam / 2.0!r}", 2

    @classmethod
    def apply(cls, weights: tuple, lam: float) -> Tensor:
        weights = tuple(w if type(w) is Tensor else _as_tensor(w) for w in weights)
        if not weights:
            raise ArgumentError("l2_penalty: no weights given (pass model.weights() or a list "
                                "of W)")
        if type(lam) is not float or not 0.0 <= lam < math.inf:  # a number, not "0.7" or nan
            lam = checks.real(lam, "l2_penalty", "lam", minimum=0.0,
                              hint="λ is the weight-decay strength, e.g. 0.7 (0: no penalty).")
        total = (weights[0].data * weights[0].data).sum()
        for w in weights[1:]:
            total = total + (w.data * w.data).sum()
        data = total * (lam / 2.0)
        if any(w.requires_grad for w in weights) and MODE.grad:
            ctx = cls(weights)
            ctx.lam = lam
            return make_result(data, ctx)
        return make_result(data, None)

    def attributes(self) -> dict:
        return {"lam": self.lam}

    def backward(self, g, out, *weights):
        g_lam = g * self.lam  # a scalar
        return tuple(  # dW = λ W
            g_lam * W if parent.requires_grad else None
            for parent, W in zip(self.parents, weights)
        )


# ---------------------------------------------------------------------------------------------
# the functional API (also reachable as Tensor methods)
# ---------------------------------------------------------------------------------------------


def concatenate(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``)."""
    return Concatenate.apply(checks.sequence(tensors, "concatenate", "tensors"), axis)


def stack(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along a new axis (``np.stack``)."""
    return Stack.apply(checks.sequence(tensors, "stack", "tensors"), axis)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where the constant ``condition`` holds, ``y`` elsewhere (``np.where``)."""
    return Where.apply(condition, x, y)


def maximum(x: Any, y: Any) -> Tensor:
    """Element-wise maximum with broadcasting; gradient split equally on ties."""
    return _binary(Maximum, x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Element-wise minimum with broadcasting; gradient split equally on ties."""
    return _binary(Minimum, x, y)


def binary_cross_entropy(A: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return BinaryCrossEntropy.apply(_as_tensor(A), Y, reduction)


def binary_cross_entropy_with_logits(Z: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return BinaryCrossEntropyWithLogits.apply(_as_tensor(Z), Y, reduction)


def mse_loss(H: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return MeanSquaredError.apply(_as_tensor(H), Y, reduction)


def l2_penalty(weights: Any, lam: float) -> Tensor:
    return L2Penalty.apply(tuple(weights), lam)


binary_cross_entropy.__doc__ = BinaryCrossEntropy.__doc__
mse_loss.__doc__ = MeanSquaredError.__doc__
l2_penalty.__doc__ = L2Penalty.__doc__
binary_cross_entropy_with_logits.__doc__ = BinaryCrossEntropyWithLogits.__doc__


def _check_reduction(reduction: str) -> None:
    if type(reduction) is not str or reduction not in ("mean", "sum"):
        raise ArgumentError(
            f"reduction must be 'mean' (1/m Σ over the examples) or 'sum' (F3.6), not "
            f"{reduction!r}"
        )


def check_floating(x: Tensor, what: str) -> None:
    if x.data.dtype.kind != "f":
        raise DtypeError(f"{what} needs floating-point data, but {describe(x)} is {x.dtype}")
