"""Further element-wise ops: max/min of two tensors, powers with a tensor exponent, sqrt,
abs, leaky ReLU, clip and where.

Built on the core exactly as its primitives are (a ``Function`` each, forward beside rule);
each adds its ``Tensor`` method at the end of this file (``t.sqrt()``, ``abs(t)``,
``t.leaky_relu(0.01)``, ``t.maximum(0)``, ``t.clip(lo, hi)``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import checks
from ..core.function import Array, Function
from ..core.rules import is_tensor, sum_to_shape, values
from ..core.tensor import Tensor, _as_tensor, binary
from ..errors import ShapeError, describe


def log(x: Array) -> Array:
    """ln x of an array, a Tensor (inside ``grad(create_graph=True)``) or explain's symbol."""
    return x.log() if is_tensor(x) else np.log(x)


class Maximum(Function):
    """z = max(x, y) element-wise;  the gradient goes to the larger, half each on a tie."""

    name, forward = "maximum", staticmethod(np.maximum)
    broadcasts = True  # viz labels an argument's broadcast edge (4, 1) → (4, 400)
    wins = staticmethod(lambda xv, yv: xv > yv)  # where x is the one kept

    def backward(self, g, out, x, y):
        xv, yv = values(x), values(y)
        to_x = self.wins(xv, yv) + 0.5 * (xv == yv)
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(g * to_x, x.shape) if need_x else None,
                sum_to_shape(g * (1.0 - to_x), y.shape) if need_y else None)


class Minimum(Maximum):
    """z = min(x, y) element-wise;  the gradient goes to the smaller, half each on a tie."""

    name, forward = "minimum", staticmethod(np.minimum)
    wins = staticmethod(lambda xv, yv: xv < yv)


class Pow(Function):
    """z = x ** y (both tensors);  dx = dz * y x^(y-1),  dy = dz * z * ln x (0 where x <= 0)."""

    name, forward, infix, broadcasts = "pow", staticmethod(np.power), "**", True

    def backward(self, dz, z, x, y):
        need_x, need_y = self.needs_input_grad
        dx = sum_to_shape(dz * (y * x ** (y - 1)), x.shape) if need_x else None
        if not need_y:
            return dx, None
        positive = values(x) > 0  # ln is taken only where x > 0
        return dx, sum_to_shape(dz * z * log(x * positive + ~positive) * positive, y.shape)


class Sqrt(Function):
    """a = √x;  dx = da / (2 a)."""

    name = "sqrt"
    forward = staticmethod(np.sqrt)

    def backward(self, g, out, x):
        return (g / (2.0 * out),)


class Abs(Function):
    """a = |x|;  dx = da * sign(x), with sign(0) = 0."""

    name = "abs"
    forward = staticmethod(np.abs)

    def backward(self, g, out, x):
        return (g * np.sign(values(x)),)


class LeakyReLU(Function):
    """a = max(αz, z) (F2.5);  dz = da where z > 0, α·da where z <= 0 — leaky'(0) = α."""

    name = "leaky_relu"

    @classmethod
    def apply(cls, z: Tensor, alpha: float) -> Tensor:
        if type(alpha) is not float or not -math.inf < alpha < math.inf:
            alpha = checks.real(alpha, "leaky_relu", "alpha", hint="The slope for z <= 0, "
                                "e.g. 0.01.")
        data = np.where(z.data > 0, z.data, alpha * z.data)
        return cls.record(data, (z,), alpha=alpha)

    def backward(self, g, out, z):
        slope = np.where(values(z) > 0, 1.0, self.alpha)
        return (g * slope,)

    def numpy_source(self, src, z):
        return f"np.where({z} > 0, {z}, {self.alpha!r} * {z})"


class Clip(Function):
    """a = clip(x, low, high);  dx = da where low <= x <= high, else 0."""

    name = "clip"

    @classmethod
    def apply(cls, x: Tensor, low: float | None, high: float | None) -> Tensor:
        checks.bounds(low, high, "clip")
        data = np.clip(x.data, low, high)
        return cls.record(data, (x,), low=low, high=high)

    def backward(self, g, out, x):
        xv = values(x)
        inside = np.ones(xv.shape, dtype=bool)
        if self.low is not None:
            inside &= xv >= self.low
        if self.high is not None:
            inside &= xv <= self.high
        return (g * inside,)

    def numpy_source(self, src, x):
        return f"np.clip({x.bare}, {self.low!r}, {self.high!r})"


class Where(Function):
    """a = where(C, x, y): x where the constant mask C holds, y elsewhere (``np.where``);
    dx = da where C, else 0;  dy = da where not C, else 0 (summed over broadcast axes)."""

    name = "where"

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
        return cls.record(data, (x, y), condition=condition)

    def attributes(self) -> dict:
        return {}  # the mask is a constant input, not a setting to print

    def compile_key(self) -> np.ndarray:
        return self.condition  # compile writes the mask into the program: another is another

    def backward(self, g, out, x, y):
        C = self.condition
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(g * C, x.shape) if need_x else None,  # dx = da · C
                sum_to_shape(g * ~C, y.shape) if need_y else None)  # dy = da · (1 - C)

    def numpy_source(self, src, x, y):
        return f"np.where({src.const(self.condition)}, {x.bare}, {y.bare})"


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where the constant ``condition`` holds, ``y`` elsewhere (``np.where``)."""
    return Where.apply(condition, x, y)


def maximum(x: Any, y: Any) -> Tensor:
    """Element-wise maximum with broadcasting; gradient split equally on ties."""
    return binary(Maximum, x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Element-wise minimum with broadcasting; gradient split equally on ties."""
    return binary(Minimum, x, y)


# -- the Tensor methods of this file --------------------------------------------------------------


def _sqrt(self: Tensor) -> Tensor:
    return Sqrt.apply(self)


def _abs(self: Tensor) -> Tensor:
    return Abs.apply(self)


def _leaky_relu(self: Tensor, alpha: float = 0.01) -> Tensor:
    """max(αz, z); derivative 1 for z > 0 and α for z <= 0 (leaky'(0) = α, F2.5)."""
    return LeakyReLU.apply(self, alpha)


def _power(self: Tensor, exponent: Any) -> Tensor:
    """``x ** y`` for a tensor or array ``y`` (``x ** 2`` is the core's ``PowScalar``)."""
    return binary(Pow, self, exponent)


def _rpow(self: Tensor, base: Any) -> Tensor:
    return binary(Pow, base, self)


def _maximum(self: Tensor, other: Any) -> Tensor:
    return binary(Maximum, self, other)


def _minimum(self: Tensor, other: Any) -> Tensor:
    return binary(Minimum, self, other)


def _clip(self: Tensor, low: float | None = None, high: float | None = None) -> Tensor:
    return Clip.apply(self, low, high)


Tensor.power = _power
Tensor.__rpow__ = _rpow
Tensor.sqrt = _sqrt
Tensor.abs = Tensor.__abs__ = _abs
Tensor.leaky_relu = _leaky_relu
Tensor.maximum = _maximum
Tensor.minimum = _minimum
Tensor.clip = _clip
for _method in (_power, _sqrt, _abs, _leaky_relu, _maximum, _minimum, _clip):
    _method.__name__ = _method.__name__.lstrip("_")
    _method.__qualname__ = f"Tensor.{_method.__name__}"
