"""Softmax and the categorical cross-entropy (F11): the output layer for C classes.

Examples are columns: the logits ``Z`` and the probabilities ``A`` are ``(C, m)``, one row per
class; the labels ``Y (C, m)`` are one-hot (one 1 per column, ``one_hot(labels, C)`` makes
them from class indices).

* ``A = softmax(Z)``, ``A_k = e^{Z_k} / Σ_j e^{Z_j}`` per column (the class axis 0), computed
  stably with ``max_k Z_k`` subtracted first (no overflow at Z = 1000);
  its rule: ``dZ = A * (dA - Σ_k dA_k A_k)`` (the Jacobian ``diag(A) - A Aᵀ`` of each column).
* ``J = -1/m Σ_i Σ_k Y_ki log A_ki``; ``dA = -Y / A / m``. After a softmax the two are one
  output layer, as the sigmoid and the binary cross-entropy are (``core.engine.Shortcut``):
  ``Z.grad`` is exactly ``dZ = (A - Y) / m`` (the two-class case is F1.4), the same bits as
  ``categorical_cross_entropy_with_logits(Z, Y)``, and the cost comes from ``log A`` as the
  softmax computed it (``Z - max - log Σ e^{Z - max}``: finite where ``A`` rounds to 0).
* ``predictions(A)`` is the class of each column, ``argmax_k A_k``, as a ``(1, m)`` int array.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .core.engine import Shortcut
from .core.function import Function
from .core.tensor import Tensor, _as_tensor
from .costs import (
    _DENOMINATOR_FLOOR,
    _check_reduction,
    _check_targets,
    _Cost,
    _reduce,
    labels_tensor,
    maximum_with,
)
from .errors import DataError, DtypeError, ShapeError, describe

__all__ = [
    "CategoricalCrossEntropy",
    "CategoricalCrossEntropyWithLogits",
    "Softmax",
    "categorical_cross_entropy",
    "categorical_cross_entropy_with_logits",
    "check_one_hot",
    "one_hot",
    "predictions",
    "softmax",
]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log A = (Z - max Z) - log Σ_k e^{Z_k - max Z} per column: never -inf for finite Z."""
    shifted = z - z.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


def _check_logits(Z: Tensor, op: str, what: str = "logits Z") -> None:
    if Z.ndim != 2:
        raise ShapeError(
            f"{op}: expects {what} (C, m), one row per class and one column per example, but "
            f"got {describe(Z)}. A rank-1 array (C,) is one example: use .reshape(-1, 1) "
            "(F7.4)."
        )
    if Z.data.dtype.kind != "f":
        raise DtypeError(f"{op}: needs floating-point {what}, but {describe(Z)} is {Z.dtype}")


class Softmax(Function):
    """A = softmax(Z) over the classes (axis 0) of Z (C, m) (F11.1);
    dZ = A * (dA - Σ_k dA_k A_k) (F11.2): each column's Jacobian diag(A) - A Aᵀ applied to dA.

    ``saved`` keeps log A (computed as Z - max - log Σ e^(Z - max), exact where A
    rounds to 0) for the cross-entropy that usually follows.
    """

    name = "softmax"
    fuses_with = frozenset({"categorical_cross_entropy"})  # its cost may fuse this rule
    viz_symbol = "softmax"  # drawn in its node by viz

    @staticmethod
    def forward(z: np.ndarray) -> np.ndarray:
        return np.exp(_log_softmax(z))

    @classmethod
    def apply(cls, Z: Tensor) -> Tensor:
        _check_logits(Z, "softmax")
        log_a = _log_softmax(Z.data)
        return cls.record(np.exp(log_a), (Z,), saved=log_a)  # the same bits as forward(Z)

    def backward(self, g, out, z):
        A = out
        return (A * (g - (g * A).sum(axis=0, keepdims=True)),)  # dZ = A * (dA - Σ_k dA_k A_k)

    def numpy_source(self, src, z):  # compile: the helper softmax(z) is the stable forward
        return f"softmax({z.bare})"


def softmax_of(Z: Any) -> Any:
    """softmax for arrays and Tensors (a Tensor inside ``grad(..., create_graph=True)``); for
    ``explain``'s symbolic arrays the formula itself, ``e^Z / Σ_k e^Z_k``."""
    if type(Z) is Tensor:
        return Softmax.apply(Z)
    if isinstance(Z, np.ndarray):
        return Softmax.forward(Z)
    e = np.exp(Z)
    return e / e.sum(axis=0, keepdims=True)


def check_one_hot(Y: Tensor, C: int, m: int, op: str) -> None:
    """Refuse labels that are not one-hot ``(C, m)``: ``ShapeError`` for the shape,
    ``DataError`` for values that are not one 1 per column and 0 elsewhere."""
    y = Y.data
    if y.shape != (C, m):
        hint = (f" From class indices (1, m) use one_hot(labels, {C})." if y.ndim == 2 and
                y.shape[0] == 1 and y.shape[1] == m else " Examples are columns.")
        raise ShapeError(
            f"{op}: the labels are {describe(Y)} but the predictions have C = {C} classes and "
            f"m = {m} examples: Y must be one-hot (C, m) = ({C}, {m}).{hint}"
        )
    binary = (y == 0) | (y == 1)
    ones = y.sum(axis=0) if binary.all() else None
    if ones is None or not np.all(ones == 1):
        if not binary.all():
            what = f"values other than 0 and 1, e.g. {y[~binary].ravel()[0]!r}"
        else:
            bad = int(np.flatnonzero(ones != 1)[0])
            what = f"column {bad} with {int(ones[bad])} ones"
        raise DataError(
            f"{op}: the labels {describe(Y)} must be one-hot, one 1 per column (the class of "
            f"that example) and 0 elsewhere, but they hold {what}. dZ = (A - Y) / m holds only "
            "for such labels. From class indices use one_hot(labels, C)."
        )


class CategoricalCrossEntropy(_Cost):
    """J = -1/m Σ_i Σ_k Y_ki log A_ki (F11.3) on probabilities A (C, m), one-hot Y (C, m).

    dA = -Y / A / m, with A floored at 1e-12 in the denominator (so never inf).

    When A is the output of ``softmax(Z)`` (a Dense layer with activation="softmax"), the op
    is the fused output layer: the cost uses the softmax's own log A (finite where A rounds to
    0) and the rule gives Z its gradient in one formula, dZ = (A - Y) / m — exact for every Z,
    the same bits as ``categorical_cross_entropy_with_logits`` — instead of dA followed by
    the softmax's rule. A.grad still receives dA (see ``autograd.Shortcut``).

    Otherwise log A is floored at -100 (PyTorch's rule for BCELoss). ``reduction="sum"`` drops
    the 1/m.
    """

    name = "categorical_cross_entropy"
    viz_symbol = "categorical cross-entropy"  # drawn in its node by viz
    course_defaults: ClassVar[dict] = {"reduction": "mean"}  # viz does not draw these settings

    @classmethod
    def apply(cls, A: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, A, "categorical_cross_entropy")
        _check_logits(A, "categorical_cross_entropy", "probabilities A")
        check_one_hot(Y, A.shape[0], A.shape[1], "categorical_cross_entropy")
        _check_targets(A, Y, "categorical_cross_entropy")
        after_softmax = A._ctx is not None and cls.name in A._ctx.fuses_with  # the hook
        log_a = A._ctx.saved if after_softmax else np.log(np.maximum(A.data, np.exp(-100.0)))
        m = A.shape[1]
        return cls.record(_reduce(-(Y.data * log_a), reduction, m), (A, Y), m=m,
                          reduction=reduction, after_softmax=after_softmax)

    def backward(self, g, out, A, Y):
        g_over_m = self.g_over_m(g)
        dA = -(Y / maximum_with(A, _DENOMINATOR_FLOOR)) * g_over_m  # dA = -Y / A / m
        if not self.after_softmax:
            return dA, None
        dZ = (A - Y) * g_over_m  # dZ = (A - Y) / m: the softmax's Jacobian cancelled exactly
        return Shortcut(dA, (dZ,)), None

    def numpy_source(self, src, A, Y):  # the same numpy calls as apply, in the same order
        if self.after_softmax:
            Z = src.tensor(self.parents[0]._ctx.parents[0])
            return src.reduce(f"-({Y} * log_softmax({Z.bare}))", self)
        return src.reduce(f"-({Y} * np.log(np.maximum({A.bare}, {np.exp(-100.0)!r})))", self)


class CategoricalCrossEntropyWithLogits(_Cost):
    """J = -1/m Σ_i Σ_k Y_ki log softmax(Z)_ki from the logits Z (C, m), stable for any Z;
    dZ = (softmax(Z) - Y) / m exactly (F11.3)."""

    name = "categorical_cross_entropy_with_logits"
    viz_symbol = "categorical cross-entropy (logits)"  # drawn in its node by viz
    course_defaults: ClassVar[dict] = {"reduction": "mean"}  # viz does not draw these settings

    @classmethod
    def apply(cls, Z: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, Z, "categorical_cross_entropy_with_logits")
        _check_logits(Z, "categorical_cross_entropy_with_logits")
        check_one_hot(Y, Z.shape[0], Z.shape[1], "categorical_cross_entropy_with_logits")
        _check_targets(Z, Y, "categorical_cross_entropy_with_logits")
        m = Z.shape[1]
        per_element = -(Y.data * _log_softmax(Z.data))
        return cls.record(_reduce(per_element, reduction, m), (Z, Y), m=m, reduction=reduction)

    def backward(self, g, out, Z, Y):
        return (softmax_of(Z) - Y) * self.g_over_m(g), None  # dZ = (A - Y) / m

    def numpy_source(self, src, Z, Y):
        return src.reduce(f"-({Y} * log_softmax({Z.bare}))", self)


# ---------------------------------------------------------------------------------------------
# the functional API and the label helpers
# ---------------------------------------------------------------------------------------------


def softmax(Z: Any) -> Tensor:
    return Softmax.apply(_as_tensor(Z))


def categorical_cross_entropy(A: Any, Y: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return CategoricalCrossEntropy.apply(_as_tensor(A), Y, reduction)


def categorical_cross_entropy_with_logits(Z: Any, Y: Any, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return CategoricalCrossEntropyWithLogits.apply(_as_tensor(Z), Y, reduction)


softmax.__doc__ = Softmax.__doc__
categorical_cross_entropy.__doc__ = CategoricalCrossEntropy.__doc__
categorical_cross_entropy_with_logits.__doc__ = CategoricalCrossEntropyWithLogits.__doc__


def one_hot(labels: Any, C: int, dtype: Any = np.float64) -> np.ndarray:
    """Class indices ``labels`` (``(1, m)`` or ``(m,)``, integers 0..C-1) as one-hot
    ``Y (C, m)``: ``Y[k, i] = 1`` where example ``i`` is of class ``k``, else 0."""
    if isinstance(C, bool) or not isinstance(C, int | np.integer) or C < 1:
        raise ValueError(f"one_hot: C (the number of classes) must be a positive int, not {C!r}")
    values = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if values.ndim == 2 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 1:
        raise ShapeError(
            f"one_hot: labels must be class indices of shape (1, m) or (m,), not "
            f"{values.shape} (one-hot labels (C, m) are already what one_hot makes)"
        )
    if values.dtype.kind not in "biuf" or (values.size and not np.all(values == np.round(values))):
        raise DataError(f"one_hot: labels must be whole numbers 0..{C - 1} (class indices)")
    if values.size and (values.min() < 0 or values.max() > C - 1):
        bad = values[(values < 0) | (values > C - 1)][0]
        raise DataError(
            f"one_hot: label {bad:g} is not a class index 0..{C - 1} (C = {C}); pass the "
            "number of classes as C"
        )
    Y = np.zeros((int(C), values.size), dtype=dtype)
    Y[values.astype(np.int64), np.arange(values.size)] = 1
    return Y


def predictions(A: Any) -> np.ndarray:
    """The predicted class of each column of ``A (C, m)`` (probabilities or logits):
    ``argmax_k A_k``, as an int array of shape ``(1, m)`` (ties go to the first class)."""
    values = np.asarray(A.data if isinstance(A, Tensor) else A)
    if values.ndim != 2:
        raise ShapeError(f"predictions: expects A (C, m), one column per example, not "
                         f"{values.shape}")
    return np.argmax(values, axis=0).reshape(1, -1).astype(np.int64)
