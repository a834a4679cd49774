"""The course's primitive ops, a forward beside each rule: ``backward(self, dA, A, Z) -> (dZ,)``
for an activation, ``(self, dz, z, x, y) -> (dx, dy)`` for two inputs. How viz, explain and
compile write them, beyond ``infix``: ``ops/notation.py``."""
import math
from functools import lru_cache

import numpy as np

from .function import Function


def is_tensor(x):  # a rule meets arrays, Tensors (create_graph) and symbols
    return type(x) is not np.ndarray and hasattr(x, "_ctx")

def values(x):  # the numbers of x: masks and counts are constants, never differentiated
    return x.data if is_tensor(x) else x

def broadcast_to(x, shape):  # an array has no .broadcast_to method; a Tensor records the op
    return BroadcastTo.apply(x, shape=shape) if is_tensor(x) else np.broadcast_to(x, shape)

def sum_to_shape(g, shape):
    """Undo broadcasting (F7.1): sum ``g`` over the axes numpy broadcast to reach ``shape``.
    ``b (n, 1)`` was broadcast over the m columns: ``db = np.sum(dZ, axis=1, keepdims=True)``."""
    if g.shape == shape:
        return g
    summed = g.sum(axis=summed_axes(g.shape, shape), keepdims=True)
    return summed.reshape(shape) if summed.ndim != len(shape) else summed

@lru_cache(maxsize=4096)  # a training loop meets the same pairs of shapes again and again
def summed_axes(g_shape, shape):
    """The axes broadcasting added (in front) or stretched (size 1 in ``shape``)."""
    lead = len(g_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)

class Add(Function):
    """z = x + y;  dx = dz, dy = dz (each summed back to its shape: db = Σ dZ)."""
    name, forward, infix, broadcasts = "add", staticmethod(np.add), "+", True
    def backward(self, dz, z, x, y):
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(dz, x.shape) if need_x else None,
                sum_to_shape(dz, y.shape) if need_y else None)

class Sub(Function):
    """z = x - y;  dx = dz, dy = -dz."""
    name, forward, infix, broadcasts = "sub", staticmethod(np.subtract), "-", True
    def backward(self, dz, z, x, y):
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(dz, x.shape) if need_x else None,
                sum_to_shape(-dz, y.shape) if need_y else None)

class Mul(Function):
    """z = x * y (element-wise);  dx = dz * y, dy = dz * x."""
    name, forward, infix, broadcasts = "mul", staticmethod(np.multiply), "*", True
    def backward(self, dz, z, x, y):
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(dz * y, x.shape) if need_x else None,
                sum_to_shape(dz * x, y.shape) if need_y else None)

class Div(Function):
    """z = x / y;  dx = dz / y, dy = -dz * x / y² = -dz * z / y."""
    name, forward, infix, broadcasts = "div", staticmethod(np.divide), "/", True
    def backward(self, dz, z, x, y):
        need_x, need_y = self.needs_input_grad
        return (sum_to_shape(dz / y, x.shape) if need_x else None,
                sum_to_shape(-(dz * z) / y, y.shape) if need_y else None)

class Neg(Function):
    """z = -x;  dx = -dz."""
    name, forward = "neg", staticmethod(np.negative)
    def backward(self, dz, z, x): return (-dz,)

class PowScalar(Function):
    """z = x ** p for a number p;  dx = dz * p x^(p-1)  (x ** y for a tensor y: ops/)."""
    name, forward, infix = "pow", staticmethod(lambda x, exponent: x**exponent), "**"
    def backward(self, dz, z, x):
        p = self.exponent
        if p == 0:  # x⁰ = 1 is constant: dx = 0, also at x = 0 (not 0 · 0⁻¹ = nan)
            return (dz * 0.0,)
        return (dz * (2 * x),) if p == 2 else (dz * (p * x ** (p - 1)),)  # dx = dz p x^(p-1)

class MatMul(Function):
    """Z = W @ A_prev;  dW = dZ A_prevᵀ,  dA_prev = Wᵀ dZ (F3.3, F4.4, F4.5; the 1/m is in dZ).
    Vectors and stacks of matrices: ``general_backward`` (ops/matmul.py)."""
    name, forward, infix = "matmul", staticmethod(np.matmul), "@"
    def backward(self, dZ, Z, W, A_prev):
        need_W, need_A = self.needs_input_grad
        if W.ndim != 2 or A_prev.ndim != 2:
            return self.general_backward(dZ, W, A_prev, need_W, need_A)
        return (dZ @ A_prev.T if need_W else None,  # dW = dZ A_prevᵀ
                W.T @ dZ if need_A else None)  # dA_prev = Wᵀ dZ

class Exp(Function):
    """A = e^Z;  dZ = dA * A."""
    name, forward = "exp", staticmethod(np.exp)
    def backward(self, dA, A, Z): return (dA * A,)

class Log(Function):
    """A = ln Z;  dZ = dA / Z."""
    name, forward = "log", staticmethod(np.log)
    def backward(self, dA, A, Z): return (dA / Z,)

class Sigmoid(Function):
    """A = σ(Z) = 1 / (1 + e^-Z) (F1.1, F2.1);  dZ = dA * A(1 - A). As exp(-log(1 + e^-Z)): no
    overflow at Z = ±1000, and ``saved`` -log A for a cross-entropy that fuses (``fuses_with``)."""
    name, fuses_with = "sigmoid", frozenset({"binary_cross_entropy"})
    @classmethod
    def apply(cls, Z):  # no forward: A and -log A from one logaddexp, both recorded
        minus_log_A = np.logaddexp(0.0, -Z.data)
        return cls.record(np.exp(-minus_log_A), (Z,), saved=minus_log_A)
    def backward(self, dA, A, Z): return (dA * (A * (1.0 - A)),)  # dZ = dA * A(1 - A)

class Tanh(Function):
    """A = tanh(Z) (F2.2);  dZ = dA * (1 - A²)."""
    name, forward = "tanh", staticmethod(np.tanh)
    def backward(self, dA, A, Z): return (dA * (1.0 - A * A),)

class ReLU(Function):
    """A = max(0, Z) (F2.4);  dZ = dA * 1{Z > 0}, so relu'(0) = 0."""
    name, forward = "relu", staticmethod(lambda Z: np.maximum(Z, 0.0))
    def backward(self, dA, A, Z): return (dA * (values(Z) > 0),)

@lru_cache(maxsize=1024)
def kept_shape(shape, axis):
    """``shape`` with the axes a reduction went over kept as 1."""
    if axis is None:
        return (1,) * len(shape)
    reduced = {a % len(shape) for a in (axis if type(axis) is tuple else (axis,))} if shape else ()
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))

def spread(ds, x_shape, axis):
    """Every x that went into a sum (a mean, a max) gets that sum's gradient ``ds``."""
    return broadcast_to(ds.reshape(kept_shape(x_shape, axis)), x_shape)

class Sum(Function):
    """s = Σ x over ``axis`` (numpy's settings: axis, keepdims);  dx = ds, for every term."""
    name, forward = "sum", staticmethod(np.sum)
    axis, keepdims = None, False  # numpy's defaults: all axes
    def backward(self, ds, s, x): return (spread(ds, x.shape, self.axis),)

class Mean(Function):
    """s = 1/n Σ x over ``axis``;  dx = ds / n (the 1/m of the course's mean cost)."""
    name, forward = "mean", staticmethod(np.mean)
    axis, keepdims = None, False
    def backward(self, ds, s, x):
        return (spread(ds, x.shape, self.axis) * (1.0 / self.count(x.shape)),)
    def count(self, shape):  # n: how many values each mean is taken over
        return math.prod(n for n, k in zip(shape, kept_shape(shape, self.axis)) if k == 1)

class Reshape(Function):
    """y = x.reshape(shape);  dx = dy.reshape(x.shape)."""
    name, forward = "reshape", staticmethod(lambda x, shape: x.reshape(shape))
    def backward(self, dy, y, x): return (dy.reshape(x.shape),)

class Transpose(Function):
    """y = x.transpose(axes);  dx = dy.transpose(the inverse of axes) (2-D: dx = dyᵀ)."""
    name, forward = "transpose", staticmethod(np.transpose)
    axes = None  # numpy's default: all axes reversed
    def backward(self, dy, y, x):  # argsort(axes) is the inverse permutation
        return (dy.transpose(None if self.axes is None else tuple(np.argsort(self.axes))),)

class BroadcastTo(Function):
    """y = x broadcast to ``shape``;  dx = dy summed over the broadcast axes (F7.1)."""
    name, forward = "broadcast_to", staticmethod(np.broadcast_to)
    def backward(self, dy, y, x): return (sum_to_shape(dy, x.shape),)
