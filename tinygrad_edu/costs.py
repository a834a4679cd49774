"""The course's costs of (predictions, labels): one op each, so the rule is the notes' formula.

* ``binary_cross_entropy(A, Y)``: J = -1/m Σ [Y log A + (1-Y) log(1-A)] (F1.1, F1.5);
  after a sigmoid the op is the fused output layer, dZ = (A - Y) / m (F1.4, F3.2), through the
  engine's documented hook: the sigmoid *declares* ``fuses_with = {"binary_cross_entropy"}``,
  the cost asks ``self.name in A._ctx.fuses_with`` and returns a ``Shortcut`` (core/engine.py);
* ``binary_cross_entropy_with_logits(Z, Y)``, ``mse_loss(H, Y)`` (F5.1, F5.2) and
  ``l2_penalty(weights, λ)`` (F5.5).

The categorical cross-entropy after a softmax (F11) uses the same hook: ``softmax.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import checks
from .core.engine import Shortcut
from .core.function import Array, Function
from .core.tensor import Tensor, _as_tensor
from .errors import ArgumentError, BackwardError, DtypeError, ShapeError, describe

_LOG_FLOOR = math.exp(-100.0)  # log(A) is never below -100 (PyTorch's rule for BCELoss)
_DENOMINATOR_FLOOR = 1e-12  # A(1-A) in the rule of dA is never below 1e-12 (PyTorch's)


def sigmoid_of(Z: Array) -> Array:
    """σ(Z) for arrays (the sigmoid's stable formula, exp(-log(1 + e^-Z))), Tensors
    (``grad(create_graph=True)``) and explain's symbols, which have ``.sigmoid()``."""
    return Z.sigmoid() if hasattr(Z, "sigmoid") else np.exp(-np.logaddexp(0.0, -Z))


def maximum_with(x: Array, floor: float) -> Array:
    return x.maximum(floor) if type(x) is Tensor else np.maximum(x, floor)


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


def _binary_labels(A: Tensor, Y: Any, op: str) -> Tensor:
    """The labels of a binary cross-entropy: a tensor of A's shape, every value in [0, 1]."""
    Y = Y if type(Y) is Tensor else labels_tensor(Y, A, op)
    _check_targets(A, Y, op)
    checks.unit_interval_labels(Y, op)
    return Y


def _examples(A: Tensor) -> int:
    """m, the number of examples: the number of columns (the last axis)."""
    return A.shape[-1] if A.ndim else 1


def _reduce(per_element: np.ndarray, reduction: str, m: int) -> np.ndarray:
    total = per_element.sum()
    return total / m if reduction == "mean" else total


class _Cost(Function):
    """What the course's costs of (predictions, labels) share: ``m`` (the number of columns),
    the reduction ("mean": 1/m Σ, "sum": Σ), both recorded as settings; the labels get no
    gradient."""

    explain_cost = True  # explain names an unnamed cost by its formula, not T<k>

    def attributes(self) -> dict:
        return {"reduction": self.reduction}

    def g_over_m(self, g: Array) -> Array:
        """The upstream gradient times the 1/m of the mean (a scalar)."""
        return g * (1.0 / self.m if self.reduction == "mean" else 1.0)

    def explain_symbols(self) -> dict:
        return {"m": ("m", self.m)}  # explain writes the number of examples as m


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
    receives dA (see ``core.engine.Shortcut``).

    Otherwise, at A exactly 0 or 1 each log is floored at -100, and in the rule of dA the
    product A(1-A) is floored at 1e-12 (both PyTorch's rules), so nothing is ever nan or inf.
    ``reduction="sum"`` drops the 1/m.
    """

    name = "binary_cross_entropy"

    @classmethod
    def apply(cls, A: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = _binary_labels(A, Y, cls.name)
        a, y = A.data, Y.data
        after_sigmoid = A._ctx is not None and cls.name in A._ctx.fuses_with  # the hook
        if not after_sigmoid:  # sigmoid's outputs are in [0, 1] by construction: no pass
            checks.unit_interval_predictions(A, "binary_cross_entropy")
        if after_sigmoid:  # -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^-z) + (1-y) z
            sigmoid = A._ctx
            per_example = sigmoid.saved + (1.0 - y) * sigmoid.parents[0].data  # saved: -log A
        else:
            per_example = -(
                y * np.log(np.maximum(a, _LOG_FLOOR))
                + (1.0 - y) * np.log(np.maximum(1.0 - a, _LOG_FLOOR))
            )
        m = _examples(A)
        return cls.record(_reduce(per_example, reduction, m), (A, Y), m=m, reduction=reduction,
                          after_sigmoid=after_sigmoid)

    def backward(self, g, out, A, Y):
        g_over_m = self.g_over_m(g)
        A_minus_Y = A - Y
        # dA = (A - Y) / (A (1 - A)) / m
        dA = A_minus_Y / maximum_with(A * (1.0 - A), _DENOMINATOR_FLOOR) * g_over_m
        if not self.after_sigmoid:
            return dA, None
        dZ = A_minus_Y * g_over_m  # dZ = (A - Y) / m: the sigmoid's A(1-A) cancelled exactly
        return Shortcut(dA, (dZ,)), None  # A.grad = dA; Z gets dZ, not dA * A(1-A)

    def numpy_source(self, src, A, Y):  # the same numpy calls as apply, in the same order
        if self.after_sigmoid:
            Z = src.tensor(self.parents[0]._ctx.parents[0])
            return src.reduce(f"np.logaddexp(0.0, -{Z}) + (1.0 - {Y}) * {Z}", self)
        F = repr(_LOG_FLOOR)
        return src.reduce(f"-({Y} * np.log(np.maximum({A}, {F})) + "
                          f"(1.0 - {Y}) * np.log(np.maximum(1.0 - {A}, {F})))", self)


class BinaryCrossEntropyWithLogits(_Cost):
    """J = 1/m Σ [log(1 + e^Z) - Y Z] = binary cross-entropy of σ(Z), stable for any Z.

    dZ = (σ(Z) - Y) / m exactly — the course's dZ = A - Y with the 1/m of the mean cost.
    """

    name = "binary_cross_entropy_with_logits"

    @classmethod
    def apply(cls, Z: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = _binary_labels(Z, Y, cls.name)
        z, y = Z.data, Y.data
        m = _examples(Z)
        return cls.record(_reduce(np.logaddexp(0.0, z) - y * z, reduction, m), (Z, Y), m=m,
                          reduction=reduction)

    def backward(self, g, out, Z, Y):
        return (sigmoid_of(Z) - Y) * self.g_over_m(g), None  # dZ = (A - Y) / m

    def numpy_source(self, src, Z, Y):
        return src.reduce(f"np.logaddexp(0.0, {Z}) - {Y} * {Z}", self)


class MeanSquaredError(_Cost):
    """J = 1/m Σ_i ½‖h(x⁽ⁱ⁾) - y⁽ⁱ⁾‖² = ½ Σ (H - Y)² / m (F5.1) on predictions H (n_y, m).

    dH = (H - Y) / m, so after a layer H = f(Z) the output delta is δ = -(y - a) * f'(z)
    (F5.2). The targets Y are constants (no gradient). ``reduction="sum"`` drops the 1/m.
    """

    name = "mse_loss"

    @classmethod
    def apply(cls, H: Tensor, Y: Any, reduction: str = "mean") -> Tensor:
        Y = Y if type(Y) is Tensor else labels_tensor(Y, H, "mse_loss")
        _check_targets(H, Y, "mse_loss", what="targets")
        m = _examples(H)
        d = H.data - Y.data
        return cls.record((d * d).sum() * (0.5 / m if reduction == "mean" else 0.5), (H, Y),
                          m=m, reduction=reduction)

    def backward(self, g, out, H, Y):
        return (H - Y) * self.g_over_m(g), None  # dH = (H - Y) / m

    def numpy_source(self, src, H, Y):
        scale = f"(0.5 / {src.m(self.m)})" if self.reduction == "mean" else "0.5"
        return f"np.sum(({H} - {Y}) ** 2) * {scale}", 2


class L2Penalty(Function):
    """P = λ/2 Σ_l Σ_i Σ_j (W_ji^(l))² (F5.1): the weight-decay term over the weights W_l.

    dW_l = λ W_l (F5.5): added to each W's gradient of the data term. One op over all the
    weights (like ``concatenate``): its inputs are the W's, in the order given.
    """

    name = "l2_penalty"
    explain_cost = True  # explain names an unnamed cost by its formula, not T<k>

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
        return cls.record(data, weights, lam=lam)

    def attributes(self) -> dict:
        return {"lam": self.lam}

    def backward(self, g, out, *weights):
        g_lam = g * self.lam  # a scalar
        return tuple(  # dW = λ W
            g_lam * W if parent.requires_grad else None
            for parent, W in zip(self.parents, weights)
        )

    def explain_symbols(self) -> dict:
        return {"lam": ("λ", self.lam)}  # explain writes the rate as λ: dW = λ * W

    def numpy_source(self, src, *Ws):
        total = " + ".join(f"np.sum({W} * {W})" for W in Ws)  # P = λ/2 Σ W²
        return f"{total if len(Ws) == 1 else f'({total})'} * {self.lam / 2.0!r}", 2


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


def _check_reduction(reduction: str) -> None:
    if type(reduction) is not str or reduction not in ("mean", "sum"):
        raise ArgumentError(
            f"reduction must be 'mean' (1/m Σ over the examples) or 'sum' (F3.6), not "
            f"{reduction!r}"
        )


binary_cross_entropy.__doc__ = BinaryCrossEntropy.__doc__
mse_loss.__doc__ = MeanSquaredError.__doc__
l2_penalty.__doc__ = L2Penalty.__doc__
binary_cross_entropy_with_logits.__doc__ = BinaryCrossEntropyWithLogits.__doc__
