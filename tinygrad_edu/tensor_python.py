"""What makes a Tensor behave, to a learner, like the numbers and arrays of the notes.

``Tensor`` (core/tensor.py) inherits these from ``ArrayBehaviour``; none has a derivative
rule of its own:

* the values: ``t.numpy()``, ``t.item()``, ``np.asarray(t)`` (refused while ``t`` is in a graph
  that records: the plain array would drop it), ``len(t)``, ``for row in t``, the printed form
  (``repr``, Jupyter's), ``J.find("Z2")``, ``t.astype("float32")``; the dtype rules of
  ``Tensor(data)`` (``to_array``);

* a one-element tensor (a cost) is a number: ``float(J)``, ``int(J)``, ``bool(J)``
  (``if cost < 0.5:``), ``round(J, 4)``, ``f"{J:.6f}"``, ``"%f" % J``; a tensor of many elements
  has no single value, and says so;
* comparisons ``< <= > >= == !=`` are element-wise, as numpy's, and give constant bool
  tensors (``predictions == Y``); hashing stays by identity;
* ``+= -= *= /=``: in place under ``no_grad()`` (PyTorch's ``w -= lr * w.grad``: the leaf
  keeps its identity and ``requires_grad``); while graphs are recorded, refused on a
  parameter and out of place on anything else;
* numpy's array methods, on the core's rules: ``sum``/``mean`` (``axis``, ``keepdims``),
  ``reshape``, ``transpose``/``T``, ``broadcast_to``, their arguments checked as numpy does;
* ``Tensor.zeros/ones/randn/rand``, ``flatten``, ``squeeze``, ``argmax``/``argmin``, ``var``,
  ``tolist``, built from the engine's ops (``reshape``, ``mean``, ``sub``, ``pow``, ``sum``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import checks, messages, tensor_checks
from .core import engine, rules
from .core.modes import MODE
from .errors import BackwardError, NameLookupError, NoRuleError, ShapeError, describe
from .notebook import tensor_html

if TYPE_CHECKING:
    from .core.tensor import Tensor


class ArrayBehaviour:
    """The Python and numpy-array behaviour of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
    data: np.ndarray
    requires_grad: bool
    _ctx: Any
    grad: Any
    name: str | None
    _from_op: Any  # Tensor._from_op: an op's output (here: constants)

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on (or off) for this leaf, in place; returns ``self``."""
        self.requires_grad = tensor_checks.can_require_grad(self, requires_grad)
        return self

    # -- the values, Python's protocols of a container, the printed form --------------------------

    def numpy(self) -> np.ndarray:
        """The values as a numpy array (the tensor's own array: copy it before changing it)."""
        return self.data

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor, as a Python number."""
        if self.data.size != 1:
            raise ShapeError(messages.item_of_many(self))
        return self.data.item()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.array(t)`` / ``np.asarray(t)``: the values — refused for a tensor that requires
        grad while graphs are recorded, since the plain array would silently drop the graph."""
        if self.requires_grad and MODE.grad:
            raise NoRuleError(messages.array_of_recorded(self))
        if dtype is None:
            return self.data if not copy else self.data.copy()
        return self.data.astype(dtype, copy=bool(copy) or self.data.dtype != np.dtype(dtype))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError(f"len() of a 0-d tensor {describe(self)}")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}"] if self.name else []
        parts += [f"shape={self.shape}", f"dtype={self.dtype}"]
        if self._ctx is not None:
            parts.append(f"op={self._ctx.name}")
        parts.append(f"requires_grad={self.requires_grad}")
        if self.grad is None:
            parts.append("grad=None")
        elif self.grad.size <= 4:
            parts.append(f"grad={_short(self.grad, 'grad=')}")
        else:
            parts.append(f"grad=<{self.grad.shape} array>")
        values = _short(self.data, "Tensor(") if self.data.size <= 12 else _summary(self.data)
        return f"Tensor({values}, {', '.join(parts)})"

    def _repr_html_(self) -> str:
        """Jupyter: name, shape, dtype, op and grad state at a glance, then the values."""
        return tensor_html(self)

    def find(self, name: str) -> Tensor:
        """The tensor called ``name`` in the graph that made this one (this one included).

        ``J.find("Z2")`` reaches an intermediate that a model created, to read its ``.grad``
        after ``J.backward()``. Raises ``NameLookupError`` (a ``KeyError``) listing the names
        in the graph when none or several tensors carry ``name``.
        """
        checks.text(name, "Tensor.find", "name", hint="e.g. J.find('Z2').")
        order = engine.topological_order(self, only_requires_grad=False)
        matches = [t for t in order if t.name == name]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            names = ", ".join(dict.fromkeys(t.name for t in order if t.name))
            raise NameLookupError(messages.find_none(name, self, names))
        raise NameLookupError(messages.find_several(name, self, len(matches)))

    def astype(self, dtype: Any) -> Tensor:
        """A new leaf with the values converted to ``dtype`` (no gradient flows through)."""
        return type(self)(self.data.astype(checks.dtype(dtype, "Tensor.astype", "dtype")),
                          name=self.name)

    # -- the graph: leaves, the op that made a tensor, cutting and resetting ----------------------

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (data, parameters, constants)."""
        return self._ctx is None

    @property
    def op(self) -> str | None:
        """The name of the op that made this tensor (None for a leaf)."""
        return self._ctx.name if self._ctx is not None else None

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``)."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same values (shared, not copied) as a new leaf that requires no grad."""
        out = self._from_op(self.data, None)
        out.name = self.name
        return out

    def __pos__(self) -> Tensor:
        return self

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        axis1 = checks.integer(axis1, "Tensor.swapaxes", "axis1")
        axis2 = checks.integer(axis2, "Tensor.swapaxes", "axis2")
        if not (-self.ndim <= axis1 < self.ndim and -self.ndim <= axis2 < self.ndim):
            raise ShapeError(messages.swapaxes_range(axis1, axis2, self))
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(tuple(axes))

    # -- making tensors: Tensor.zeros((4, 1)), Tensor.randn(4, 2, seed=1) -------------------

    @classmethod
    def zeros(cls, *shape: Any, requires_grad: bool = False, name: str | None = None,
              dtype: Any = None) -> Tensor:
        """A tensor of zeros of ``shape`` (a tuple, or the sizes one by one)."""
        return cls(np.zeros(_shape_of(shape, "zeros")), requires_grad, name, dtype)

    @classmethod
    def ones(cls, *shape: Any, requires_grad: bool = False, name: str | None = None,
             dtype: Any = None) -> Tensor:
        """A tensor of ones of ``shape``."""
        return cls(np.ones(_shape_of(shape, "ones")), requires_grad, name, dtype)

    @classmethod
    def randn(cls, *shape: Any, requires_grad: bool = False, seed: int | None = None,
              name: str | None = None, dtype: Any = None) -> Tensor:
        """Standard normal values of ``shape``: ``np.random.default_rng(seed)`` for an integer
        seed; without one, numpy's global generator, so ``np.random.seed(1)`` before it gives
        the course's ``np.random.randn(...)`` values."""
        size = _shape_of(shape, "randn")
        values = (np.random.randn(*size) if seed is None
                  else np.random.default_rng(seed).standard_normal(size))
        return cls(np.asarray(values, dtype=np.float64), requires_grad, name, dtype)

    @classmethod
    def rand(cls, *shape: Any, requires_grad: bool = False, seed: int | None = None,
             name: str | None = None, dtype: Any = None) -> Tensor:
        """Uniform values in [0, 1) of ``shape`` (seeded as ``randn``)."""
        size = _shape_of(shape, "rand")
        values = (np.random.rand(*size) if seed is None
                  else np.random.default_rng(seed).random(size))
        return cls(np.asarray(values, dtype=np.float64), requires_grad, name, dtype)

    # -- Python's protocols on a one-element tensor (a cost): float(J), f"{J:.6f}", if J < 0.5

    def _one_value(self, what: str) -> Any:
        if self.data.size != 1:
            raise ShapeError(
                f"{what}: {describe(self)} has {self.data.size} elements, so it has no single "
                "value (numpy refuses it too). Reduce it first (J.sum(), J.mean()), "
                "index one element (t[0, 0]), or use np.any(t) / np.all(t) for a truth value."
            )
        return self.data.item()

    def __float__(self) -> float:
        return float(self._one_value("float()"))

    def __int__(self) -> int:
        return int(self._one_value("int()"))

    def __bool__(self) -> bool:
        return bool(self._one_value("bool() (an `if` or `while` on a tensor)"))

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self._one_value("round()"), ndigits)

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(self._one_value(f"format with {spec!r} (an f-string)"), spec)

    def tolist(self) -> Any:
        """The values as (nested) Python lists, as ``ndarray.tolist``."""
        return self.data.tolist()

    # -- comparisons are element-wise, as numpy's, and give constant bool tensors (no gradient):
    # ``A2 > 0.5`` for predictions, ``predictions == Y`` for the accuracy
    def __gt__(self, other: Any) -> Tensor:
        return self._from_op(self.data > _values_of(other), None)

    def __ge__(self, other: Any) -> Tensor:
        return self._from_op(self.data >= _values_of(other), None)

    def __lt__(self, other: Any) -> Tensor:
        return self._from_op(self.data < _values_of(other), None)

    def __le__(self, other: Any) -> Tensor:
        return self._from_op(self.data <= _values_of(other), None)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._from_op(self.data == _values_of(other), None)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._from_op(self.data != _values_of(other), None)

    def __invert__(self) -> Tensor:
        return self._from_op(~self.data, None)

    # tensors are keyed by identity: sets and dicts of tensors never call ==, and the library
    # compares tensors with `is` (a list's `in`, .index and .remove would call == instead)
    __hash__ = object.__hash__

    # -- in place: ``with no_grad(): w -= lr * w.grad`` changes the leaf itself ---------------

    def _in_place(self, ufunc: Any, op: str, other: Any, symbol: str) -> Tensor:
        """``self op= other``: in place under ``no_grad()`` (the update of a leaf); while graphs
        are recorded, refused on a leaf that requires grad (a parameter), and out of place on
        anything else (``X = X - 1``: a graph that already used X keeps its values, and
        ``total += loss`` records the graph)."""
        if MODE.grad:
            if self.requires_grad and self._ctx is None:
                raise BackwardError(
                    f"{describe(self)} {symbol}= ...: {describe(self)} requires grad, and "
                    "changing it in place while graphs are recorded would change values the "
                    "graph still needs for backward(). For a parameter update write `with "
                    f"no_grad(): W {symbol}= ...` (the leaf keeps its identity and "
                    f"requires_grad), or use an optimizer; for a new tensor write "
                    f"`Z = Z {symbol} ...`."
                )
            return getattr(self, op)(other)  # the recorded op, out of place
        if self._ctx is not None:
            raise BackwardError(
                f"{describe(self)} {symbol}= ...: it was computed by {self._ctx.name} and its "
                "values belong to that graph (backward() reads them); changing them in place "
                f"would make its gradients wrong. Write `Z = Z {symbol} ...` for a new tensor."
            )
        value = _values_of(other)
        try:
            ufunc(self.data, value, out=self.data)
        except ValueError:  # numpy checks the shapes before it writes anything
            raise ShapeError(
                f"{describe(self)} {symbol}= a value of shape {np.shape(value)}: an in-place "
                f"update keeps the shape {self.shape}, so the value must broadcast to it."
            ) from None
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(np.add, "__add__", other, "+")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(np.subtract, "__sub__", other, "-")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(np.multiply, "__mul__", other, "*")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(np.divide, "__truediv__", other, "/")

    # -- numpy's array methods: the core's rules, numpy's arguments (core/rules.py) ----------

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return rules.Sum.apply(self, **tensor_checks.reduction("sum", self, axis, keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return rules.Mean.apply(self, **tensor_checks.reduction("mean", self, axis, keepdims))

    def reshape(self, *shape: Any) -> Tensor:
        return rules.Reshape.apply(self, shape=tensor_checks.new_shape(self, shape))

    def transpose(self, *axes: Any) -> Tensor:
        return rules.Transpose.apply(self, axes=tensor_checks.permutation(self, axes))

    T = property(lambda self: rules.Transpose.apply(self, axes=tuple(range(self.ndim))[::-1]))

    def broadcast_to(self, shape: tuple) -> Tensor:
        return rules.BroadcastTo.apply(self, shape=tensor_checks.broadcast_shape(self, shape))

    # -- conveniences built from the engine's ops (their rules give the gradients) ----------

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """The variance 1/(n - ddof) Σ (x - μ)² over ``axis``, from the mean, sub, pow and sum
        ops (their rules give the gradient 2 (x - μ) / (n - ddof))."""
        mu = self.mean(axis, keepdims=True)
        n = self.data.size // max(mu.data.size, 1)  # the number of values in each variance
        return ((self - mu) ** 2).sum(axis, keepdims) * (1.0 / (n - ddof))

    def argmax(self, axis: Any = None) -> Tensor:
        """The index of the largest value (over ``axis``): a constant integer tensor."""
        return self._from_op(np.asarray(self.data.argmax(axis)), None)

    def argmin(self, axis: Any = None) -> Tensor:
        """The index of the smallest value (over ``axis``): a constant integer tensor."""
        return self._from_op(np.asarray(self.data.argmin(axis)), None)

    def flatten(self) -> Tensor:
        """All values in one axis (reshape to ``(size,)``)."""
        return self.reshape((self.data.size,))

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop the axes of size 1 (all, or those in ``axis``): ``np.squeeze(cost)`` -> 0-d."""
        return self.reshape(squeezed_shape(self.data.shape, axis, self))


def _shape_of(shape: tuple, who: str) -> tuple:
    """``(4, 2)`` from ``((4, 2),)`` or ``(4, 2)``: the two ways to give a shape."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 0
               for n in shape):
        raise ShapeError(
            f"Tensor.{who}{shape!r}: a shape is a tuple of sizes >= 0, e.g. "
            f"Tensor.{who}((4, 1)) or Tensor.{who}(4, 1)"
        )
    return tuple(int(n) for n in shape)


def _values_of(x: Any) -> Any:
    return x.data if isinstance(x, ArrayBehaviour) else x


def squeezed_shape(shape: tuple, axis: Any, who: Tensor) -> tuple:
    """The shape without its size-1 axes (all of them, or those in ``axis``): ``squeeze``."""
    if axis is None:
        return tuple(n for n in shape if n != 1)
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    ndim = len(shape)
    dropped = set()
    for a in axes:
        if not isinstance(a, int | np.integer) or not -ndim <= a < ndim:
            raise ShapeError(
                f"squeeze: axis {axis!r} is out of range for {describe(who)}, which has {ndim} "
                f"axes (valid: {-ndim} to {ndim - 1})"
            )
        if shape[a] != 1:
            raise ShapeError(
                f"squeeze: axis {a} of {describe(who)} has size {shape[a]}; only axes of "
                "size 1 can be squeezed away"
            )
        dropped.add(int(a) % ndim)
    return tuple(n for i, n in enumerate(shape) if i not in dropped)


def _short(values: np.ndarray, prefix: str) -> str:
    return np.array2string(values, precision=4, suppress_small=True, separator=", ", prefix=prefix)


def _summary(values: np.ndarray) -> str:
    if values.size == 0 or values.dtype.kind == "b":
        return f"<{values.size} values>"
    return f"<mean={values.mean():.4g}, min={values.min():.4g}, max={values.max():.4g}>"
