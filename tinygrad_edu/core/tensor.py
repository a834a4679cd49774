"""``Tensor``: a numpy array that remembers how it was computed; its operators run ``rules.py``.
numpy's array methods (``.sum(axis=1)``, ``.T``), ``float(J)`` and ``W -= lr * dW`` come from
``tensor_python.py``, further ops from ``ops/``, ``np.dot(W, X)`` from ``numpy_protocols.py``."""
import numpy as np

from .. import advice, tensor_checks
from ..tensor_python import ArrayBehaviour
from . import engine, rules
from .modes import HUNTING, MODE


def _operators(op):  # the methods x op y and y op x for a tensor x (W @ X, 1 - A)
    return (lambda x, y: binary(op, x, y)), (lambda x, y: binary(op, y, x))

class Tensor(ArrayBehaviour):
    """``Tensor(data, requires_grad=False, name=None, dtype=None)``: ``data`` (an ndarray),
    ``grad`` (None until ``backward()``), a ``name`` (``W1``, ``Z1``) and ``_ctx``, the op that
    made it (None for a leaf). Examples are columns: X is ``(n_x, m)``, W ``(n_out, n_in)``."""
    __slots__ = ("__weakref__", "_ctx", "data", "grad", "name", "requires_grad")
    __array_priority__ = 1000  # numpy hands `array * tensor` to the tensor
    __hash__ = object.__hash__  # keyed by identity (== is element-wise)

    def __init__(self, data, requires_grad=False, name=None, dtype=None):
        self.data = tensor_checks.to_array(data.data if isinstance(data, Tensor) else data, dtype)
        self.grad, self._ctx, self.name = None, None, tensor_checks.tensor_name(name)
        self.requires_grad = requires_grad is not False and tensor_checks.can_require_grad(
            self, requires_grad, "Tensor")

    @staticmethod
    def _from_op(data, ctx):
        """An op's result around ``data``, no copy, no checks (``ctx``: the op, or None)."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)  # 0-d: an array
        t.grad = t.name = None
        t._ctx, t.requires_grad = ctx, ctx is not None
        if HUNTING.threads and ctx is not None and MODE.anomaly:  # the first op making a nan?
            MODE.anomaly.forward(t)
        return t

    def backward(self, gradient=None):
        """Fill ``.grad`` of every tensor this one depends on that requires grad (``gradient``:
        dJ/d(self), none for a cost). Gradients add up: ``zero_grad()`` between steps."""
        engine.backward(self, gradient)

    __add__, __radd__ = _operators(rules.Add)
    __sub__, __rsub__ = _operators(rules.Sub)
    __mul__, __rmul__ = _operators(rules.Mul)
    __truediv__, __rtruediv__ = _operators(rules.Div)
    __matmul__, __rmatmul__ = _operators(rules.MatMul)
    def __neg__(self): return rules.Neg.apply(self)
    def __pow__(self, p):  # a tensor exponent: x.power(y), ops/elementwise.py
        if tensor_checks.is_number(p):
            return rules.PowScalar.apply(self, exponent=float(p))
        return self.power(p)

    def exp(self): return rules.Exp.apply(self)
    def log(self): return rules.Log.apply(self)
    def sigmoid(self): return rules.Sigmoid.apply(self)
    def tanh(self): return rules.Tanh.apply(self)
    def relu(self): return rules.ReLU.apply(self)

def binary(op, x, y):
    """``op`` on two operands (a number or array: a constant); shapes that do not fit say which
    axis (F7.1), and broadcasting a rank-1 array against a column warns."""
    x = x if type(x) is Tensor else _as_tensor(x, y)
    y = y if type(y) is Tensor else _as_tensor(y, x)
    try:  # op.apply(x, y), written out: numpy's ValueError becomes the course's ShapeError
        data = op.forward(x.data, y.data)
    except ValueError as error:
        raise tensor_checks.operands_error(op, x, y, error) from None
    out = op.record(data, (x, y))
    if x.data.ndim * y.data.ndim == 2 and op.broadcasts:  # a vector (n,) meets a matrix
        advice.rank1_broadcast(op.name, x, y, out.shape)  # the rank-1 trap, if (n, 1)
    return out

def _as_tensor(value, like=None):
    """``value``, or a constant made of it (a number takes the float dtype of ``like``)."""
    if isinstance(value, Tensor):  # (a subclass of Tensor is a tensor too)
        return value
    return Tensor._from_op(tensor_checks.constant(value, like), None)
