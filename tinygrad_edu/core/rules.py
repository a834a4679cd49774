"""The course's primitive ops: forward and derivative rule side by side, in the notes' names.

Each rule reads like the formula in its comment: ``backward(self, dA, A, Z)`` for an
activation ``A = g(Z)`` returns ``dZ``; for an op of two inputs ``backward(self, dz, z, x, y)``
returns ``(dx, dy)``. Broadcasting is undone by ``sum_to_shape`` (where ``db = Σ dZ`` comes
from). The further ops (max/min, clip, abs, sqrt, leaky ReLU, indexing, concatenate/stack,
where) are in ``tinygrad_edu/ops/``, the costs in ``tinygrad_edu/costs.py``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .. import checks, messages
from ..errors import ArgumentTypeError, ShapeError, describe
from .function import Array, Function

# ---------------------------------------------------------------------------------------------
# dual helpers: the same call for numpy arrays, Tensors (create_graph) and symbols (explain)
# ---------------------------------------------------------------------------------------------


def is_tensor(x: Any) -> bool:
    return type(x) is not np.ndarray and hasattr(x, "_ctx")


def values(x: Array) -> np.ndarray:
    """The numpy values of ``x`` (masks and counts are constants, never differentiated)."""
    return x.data if is_tensor(x) else x


def sum_to_shape(g: Array, shape: tuple) -> Array:
    """Undo broadcasting: sum ``g`` over the axes numpy broadcast to reach ``shape`` (F7.1).

    This is where ``db = np.sum(dZ, axis=1, keepdims=True)`` comes from: ``b (n, 1)`` was
    broadcast over the ``m`` columns, so its gradient is the sum over them.
    """
    g_shape = g.shape
    if g_shape == shape:
        return g
    g = g.sum(axis=summed_axes(g_shape, shape), keepdims=True)
    return g.reshape(shape) if len(g_shape) != len(shape) else g


@lru_cache(maxsize=4096)  # remembered per pair of shapes: a training loop repeats them
def summed_axes(g_shape: tuple, shape: tuple) -> tuple:
    """The axes broadcasting added (prepended) or stretched (size 1 in ``shape``)."""
    lead = len(g_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )


def broadcast_to(x: Array, shape: tuple) -> Array:
    return BroadcastTo.apply(x, shape) if is_tensor(x) else np.broadcast_to(x, shape)


def log(x: Array) -> Array:
    return x.log() if is_tensor(x) else np.log(x)


def sigmoid_of(x: Array) -> Array:
    if isinstance(x, np.ndarray | np.generic | float | int):
        return Sigmoid.forward(x)
    return x.sigmoid()  # a Tensor (create_graph=True), or a symbolic array (explain.Sym)


# ---------------------------------------------------------------------------------------------
# element-wise arithmetic (broadcasting: each gradient is summed back to its operand's shape)
# ---------------------------------------------------------------------------------------------


class Add(Function):
    """z = x + y;  dx = dz, dy = dz (summed over broadcast axes: db = Σ dZ)."""

    __slots__ = ()
    name = "add"
    forward = staticmethod(np.add)
    infix = "+"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)

    def backward(self, g, out, x, y):
        nx, ny = self.needs_input_grad
        return (
            sum_to_shape(g, x.shape) if nx else None,
            sum_to_shape(g, y.shape) if ny else None,
        )

    def explain_formula(self, x, y):  # explain writes the forward as x + y
        return "add", (x, y), None


class Sub(Function):
    """z = x - y;  dx = dz, dy = -dz."""

    __slots__ = ()
    name = "sub"
    forward = staticmethod(np.subtract)
    infix = "-"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)

    def backward(self, g, out, x, y):
        nx, ny = self.needs_input_grad
        return (
            sum_to_shape(g, x.shape) if nx else None,
            sum_to_shape(-g, y.shape) if ny else None,
        )

    def explain_formula(self, x, y):  # explain writes the forward as x - y
        return "sub", (x, y), None


class Mul(Function):
    """z = x * y (element-wise);  dx = dz * y, dy = dz * x."""

    __slots__ = ()
    name = "mul"
    forward = staticmethod(np.multiply)
    infix = "*"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)

    def backward(self, g, out, x, y):
        nx, ny = self.needs_input_grad
        return (
            sum_to_shape(g * y, x.shape) if nx else None,
            sum_to_shape(g * x, y.shape) if ny else None,
        )

    def explain_formula(self, x, y):  # explain writes the forward as x * y
        return "mul", (x, y), None


class Div(Function):
    """z = x / y;  dx = dz / y, dy = -dz * x / y² = -dz * z / y."""

    __slots__ = ()
    name = "div"
    forward = staticmethod(np.divide)
    infix = "/"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)

    def backward(self, g, out, x, y):
        nx, ny = self.needs_input_grad
        return (
            sum_to_shape(g / y, x.shape) if nx else None,
            sum_to_shape(-(g * out) / y, y.shape) if ny else None,
        )

    def explain_formula(self, x, y):  # explain writes the forward as x / y
        return "div", (x, y), None


class Neg(Function):
    """z = -x;  dx = -dz."""

    __slots__ = ()
    name = "neg"
    forward = staticmethod(np.negative)

    def backward(self, g, out, x):
        return (-g,)

    def explain_formula(self, x):  # explain writes the forward as -x
        return "neg", (x,), None


class PowScalar(Function):
    """z = x ** p for a number p;  dx = dz * p * x^(p-1)."""

    __slots__ = ("exponent",)
    name = "pow"
    infix = "**"  # viz writes a short formula with it: W1 @ X + b1

    @classmethod
    def apply(cls, x: Any, exponent: float) -> Any:
        return cls.record(x.data**exponent, (x,), exponent=exponent)

    def backward(self, g, out, x):
        p = self.exponent
        if p == 2:
            return (g * (2 * x),)  # the common square: dx = 2 x dz
        if p == 0:
            return (g * 0.0,)  # x⁰ = 1 is constant: dx = 0, also at x = 0 (not 0 · 0⁻¹ = nan)
        return (g * (p * x ** (p - 1)),)

    def explain_formula(self, x):  # explain writes the forward as x**p
        return "pow", (x, self.exponent), None

    def numpy_source(self, src, x):  # compile: the forward as numpy code
        return f"{x} ** {self.exponent!r}", 4


class Pow(Function):
    """z = x ** y (both tensors);  dx = dz * y x^(y-1),  dy = dz * z * ln x (0 where x <= 0)."""

    __slots__ = ()
    name = "pow"
    forward = staticmethod(np.power)
    infix = "**"  # viz writes a short formula with it: W1 @ X + b1
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)

    def backward(self, g, out, x, y):
        nx, ny = self.needs_input_grad
        gx = sum_to_shape(g * (y * x ** (y - 1)), x.shape) if nx else None
        gy = None
        if ny:
            positive = values(x) > 0
            safe_x = x * positive + (~positive)  # ln is taken only where x > 0
            gy = sum_to_shape(g * out * log(safe_x) * positive, y.shape)
        return gx, gy

    def explain_formula(self, x, y):  # explain writes the forward as x**y
        return "pow", (x, y), None


# ---------------------------------------------------------------------------------------------
# matrix product
# ---------------------------------------------------------------------------------------------


class MatMul(Function):
    """Z = A @ B (numpy's matmul: matrices, vectors, stacks of matrices).

    dA = dZ @ Bᵀ and dB = Aᵀ @ dZ — the course's ``dA_prev = Wᵀ dZ`` and ``dW = dZ A_prevᵀ``
    (the 1/m is already in dZ when the cost is a mean). Vectors and stacks of matrices
    (numpy's general matmul) have their rule in ``ops/matmul.py``.
    """

    __slots__ = ()
    name = "matmul"
    forward = staticmethod(np.matmul)
    infix = "@"  # viz writes a short formula with it: W1 @ X + b1

    @classmethod
    def apply(cls, a: Any, b: Any) -> Any:
        if type(a) is not type(b):  # a number or an array met a tensor
            a, b = (b._lift(a, b), b) if is_tensor(b) else (a, a._lift(b, a))
        try:
            data = a.data @ b.data
        except ValueError:
            raise ShapeError(messages.matmul(a, b)) from None
        return cls.record_two(data, a, b)

    def backward(self, g, out, a, b):
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the course's case
            return (
                g @ b.T if na else None,  # dA_prev = Wᵀ dZ  (here: dZ Bᵀ)
                a.T @ g if nb else None,  # dW = dZ A_prevᵀ  (here: Aᵀ dZ)
            )
        return self.general_backward(g, a, b, na, nb)  # vectors, stacks: ops/matmul.py

    general_backward: Any  # the rule for numpy's general matmul, set by ops/matmul.py

    def explain_formula(self, x, y):  # explain writes the forward as x @ y
        return "matmul", (x, y), None


# ---------------------------------------------------------------------------------------------
# the course's element-wise functions and activations (F2): backward(self, dA, A, Z) -> dZ
# ---------------------------------------------------------------------------------------------


class Exp(Function):
    """a = e^x;  dx = da * a."""

    __slots__ = ()
    name = "exp"
    forward = staticmethod(np.exp)

    def backward(self, dA, A, Z):
        return (dA * A,)  # dZ = dA * e^Z = dA * A


class Log(Function):
    """a = ln x;  dx = da / x."""

    __slots__ = ()
    name = "log"
    forward = staticmethod(np.log)

    def backward(self, dA, A, Z):
        return (dA / Z,)  # dZ = dA / Z


class Sigmoid(Function):
    """a = σ(z) = 1 / (1 + e^-z) (F1.1, F2.1);  dz = da * a(1 - a).

    Computed as exp(-log(1 + e^-z)) with ``logaddexp``: no overflow warning at z = ±1000.
    The op keeps ``minus_log_a`` = log(1 + e^-z) = -log a, exact for any z, for the
    cross-entropy that usually follows (its cost then needs no second ``logaddexp``), and
    declares that this cross-entropy may fuse its rule (``fuses_with``, see ``Shortcut``).
    """

    __slots__ = ("minus_log_a",)
    name = "sigmoid"
    fuses_with = frozenset({"binary_cross_entropy"})

    @staticmethod
    def forward(z):
        return np.exp(-np.logaddexp(0.0, -z))

    @classmethod
    def apply(cls, z: Any) -> Any:
        minus_log_a = np.logaddexp(0.0, -z.data)  # -log σ(z) = log(1 + e^-z)
        out = cls.record_one(np.exp(-minus_log_a), z)  # the same bits as forward(z)
        if out._ctx is not None:
            out._ctx.minus_log_a = minus_log_a  # saved for the cost, not a setting
        return out

    def attributes(self) -> dict:
        return {}

    def backward(self, dA, A, Z):
        return (dA * (A * (1.0 - A)),)  # dZ = dA * A(1 - A)

    def explain_formula(self, z):  # explain writes the forward as σ(z)
        return "sigmoid", (z,), None

    def numpy_source(self, src, z):  # compile: the helper sigmoid(z) is the stable forward
        return f"sigmoid({z.bare})"


class Tanh(Function):
    """a = tanh(z) (F2.2);  dz = da * (1 - a²)."""

    __slots__ = ()
    name = "tanh"
    forward = staticmethod(np.tanh)

    def backward(self, dA, A, Z):
        return (dA * (1.0 - A * A),)  # dZ = dA * (1 - A²)


class ReLU(Function):
    """a = max(0, z) (F2.4);  dz = da where z > 0, else 0 — relu'(0) = 0, as the course's
    ``relu_backward`` (``dZ[Z <= 0] = 0``) and PyTorch."""

    __slots__ = ()
    name = "relu"

    @staticmethod
    def forward(z):
        return np.maximum(z, 0.0)

    def backward(self, dA, A, Z):
        return (dA * (values(Z) > 0),)  # dZ = dA * 1{Z > 0}

    def numpy_source(self, src, z):
        return f"np.maximum({z.bare}, 0.0)"


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------


class _Reduction(Function):
    """Shared set-up of sum/mean/max/min: the axes and the shape with those axes kept."""

    __slots__ = ("axis", "keepdims", "kept_shape")
    numpy_reduce: Any = None

    @classmethod
    def apply(cls, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if keepdims is not False and keepdims is not True:
            keepdims = checks.boolean(keepdims, cls.name, "keepdims")
        axes = checks.axes(axis, x.ndim, x, cls.name)
        if x.data.size == 0 and cls.name != "sum" and any(x.data.shape[i] == 0 for i in axes):
            raise ShapeError(messages.empty_reduction(cls.name, x, axis))
        data = cls.numpy_reduce(x.data, axis=axes, keepdims=keepdims)
        kept_shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        return cls.record(data, (x,), axis=axis, keepdims=keepdims, kept_shape=kept_shape)

    def attributes(self) -> dict:
        return {"axis": self.axis, "keepdims": self.keepdims}

    def spread(self, g: Array, shape: tuple) -> Array:
        """Give every reduced element the gradient of the value it went into."""
        return broadcast_to(g.reshape(self.kept_shape), shape)

    def numpy_source(self, src, x):  # compile: np.sum(Z, axis=1, keepdims=True)
        settings = "" if self.axis is None else f", axis={self.axis!r}"
        settings += ", keepdims=True" if self.keepdims else ""
        return f"np.{self.numpy_reduce.__name__}({x.bare}{settings})"


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

    def backward(self, g, out, x):
        n = math.prod(size for size, kept in zip(x.shape, self.kept_shape) if kept == 1)
        return (self.spread(g, x.shape) * (1.0 / n),)

    def explain_divisor(self) -> tuple:
        """For explain: the rule's 1.0 / n is 1 / m over the examples (the last axis only)."""
        x = self.parents[0]
        n = math.prod(x.shape) // max(math.prod(self.kept_shape), 1) if x.shape else 1
        reduced = [i for i, k in enumerate(self.kept_shape) if k == 1 and x.shape[i] != 1]
        return ("m" if reduced == [x.ndim - 1] else str(n)), n


# ---------------------------------------------------------------------------------------------
# shape ops (their rules are exact linear maps: tested by the adjoint identity)
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    """y = x.reshape(shape);  dx = dy.reshape(x.shape)."""

    __slots__ = ("shape",)
    name = "reshape"

    @classmethod
    def apply(cls, x: Any, shape: tuple) -> Any:
        try:
            data = x.data.reshape(shape)
        except TypeError:  # numpy refused the type: say which argument and what is expected
            raise ArgumentTypeError(messages.reshape_type(x, shape)) from None
        except ValueError:
            raise ShapeError(messages.reshape_size(x, shape)) from None
        return cls.record(data, (x,), shape=data.shape)

    def backward(self, g, out, x):
        return (g.reshape(x.shape),)

    def explain_formula(self, x):  # explain writes the forward as x.reshape(shape)
        return "reshape", (x,), self.shape

    def numpy_source(self, src, x):
        return f"{x}.reshape({self.shape})"


class Transpose(Function):
    """y = x.transpose(axes);  dx = dy.transpose(inverse of axes) (2-D: dx = dyᵀ)."""

    __slots__ = ("axes",)
    name = "transpose"

    @classmethod
    def apply(cls, x: Any, axes: tuple | None = None) -> Any:
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
        return cls.record(x.data.transpose(axes), (x,), axes=axes)

    def backward(self, g, out, x):
        return (g.transpose(tuple(np.argsort(self.axes))),)

    def explain_formula(self, x):  # explain writes the forward as xᵀ
        return "transpose", (x,), self.axes

    def numpy_source(self, src, x):
        return f"{x}.T" if self.axes == (1, 0) else f"{x}.transpose({self.axes})"


class BroadcastTo(Function):
    """y = broadcast of x to ``shape``;  dx = dy summed over the broadcast axes (F7.1)."""

    __slots__ = ("shape",)
    name = "broadcast_to"

    @classmethod
    def apply(cls, x: Any, shape: tuple) -> Any:
        try:
            data = np.broadcast_to(x.data, shape)
        except TypeError:
            raise ArgumentTypeError(messages.broadcast_to_type(x, shape)) from None
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast {describe(x)} to {shape}") from None
        return cls.record(data, (x,), shape=data.shape)

    def backward(self, g, out, x):
        return (sum_to_shape(g, x.shape),)

    def numpy_source(self, src, x):
        return f"np.broadcast_to({x.bare}, {self.shape})"
