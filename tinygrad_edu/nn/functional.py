"""Activations, costs and the weight penalty, as functions of tensors (``import ... as F``).

Every function takes Tensors (numpy arrays are accepted and treated as constants) and
returns a Tensor, so its gradient is recorded. Examples are columns: ``A`` and ``Y`` are
``(n_y, m)`` and the mean costs divide by ``m = A.shape[-1]``, the number of columns.

Activations (F2) and their derivatives:

==============  =============================  =========================================
sigmoid         ``1 / (1 + e^-z)``              ``a (1 - a)``
tanh            ``np.tanh(z)``                  ``1 - a²``
relu            ``max(0, z)``                   ``1`` for z > 0, ``0`` for z <= 0 (relu'(0) = 0)
leaky_relu      ``max(alpha z, z)``             ``1`` for z > 0, ``alpha`` for z <= 0
linear          ``z``                           ``1`` (a linear net is one affine map, F2.6)
softmax         ``e^z_k / Σ_j e^z_j`` (axis 0)  ``dZ = A * (dA - Σ_k dA_k A_k)`` (F11)
==============  =============================  =========================================

For C classes (F11): ``softmax``, ``categorical_cross_entropy`` (fused after a softmax:
``dZ = (A - Y) / m``), ``categorical_cross_entropy_with_logits``, ``one_hot`` and
``predictions`` (argmax). Regularisation and normalisation: ``dropout`` (F12) and
``batch_norm`` (F13); their modules are ``nn.Dropout`` and ``nn.BatchNorm``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import checks
from .. import functions as _fn
from ..dropout import dropout
from ..errors import ArgumentError, ArgumentTypeError
from ..normalization import batch_norm
from ..softmax import (
    categorical_cross_entropy,
    categorical_cross_entropy_with_logits,
    one_hot,
    predictions,
    softmax,
)
from ..tensor import Tensor, _as_tensor

__all__ = [
    "ACTIVATIONS",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "categorical_cross_entropy_with_logits",
    "dropout",
    "get_activation",
    "l2_penalty",
    "leaky_relu",
    "linear",
    "mse_loss",
    "one_hot",
    "predictions",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


# ---------------------------------------------------------------------------------------------
# activations (F2)
# ---------------------------------------------------------------------------------------------


def sigmoid(z: Any) -> Tensor:
    """σ(z) = 1 / (1 + e^-z) (F1.1, F2.1), stable at ±1000; derivative a(1 - a)."""
    return _as_tensor(z).sigmoid()


def tanh(z: Any) -> Tensor:
    """tanh(z) (F2.2); derivative 1 - a²."""
    return _as_tensor(z).tanh()


def relu(z: Any) -> Tensor:
    """max(0, z) (F2.4); derivative 1 for z > 0, 0 for z <= 0 (relu'(0) = 0, as the course's
    ``relu_backward`` and PyTorch)."""
    return _as_tensor(z).relu()


def leaky_relu(z: Any, alpha: float = 0.01) -> Tensor:
    """max(αz, z) (F2.5); derivative 1 for z > 0, α for z <= 0 (leaky'(0) = α)."""
    return _as_tensor(z).leaky_relu(alpha)


def linear(z: Any) -> Tensor:
    """The identity activation g(z) = z (F2.6): returns ``z`` itself (no new op)."""
    return _as_tensor(z)


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "softmax": softmax,
}


_TENSOR_METHODS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": Tensor.sigmoid,
    "tanh": Tensor.tanh,
    "relu": Tensor.relu,
}


def get_activation(
    activation: str | Callable[[Tensor], Tensor], alpha: float = 0.01
) -> tuple[str, Callable[[Tensor], Tensor]]:
    """``(name, function)`` for an activation name or a callable (``alpha`` for leaky_relu).

    The function takes a Tensor (a layer's Z): for "sigmoid", "tanh" and "relu" it is the
    Tensor method itself (``Tensor.tanh``), which saves a call per layer in a training loop.
    """
    if callable(activation) and not isinstance(activation, type):
        return getattr(activation, "__name__", type(activation).__name__), activation
    if activation == "leaky_relu":
        alpha = checks.real(alpha, "leaky_relu", "alpha", hint="The slope for z <= 0, e.g. 0.01.")
        return "leaky_relu", lambda z: z.leaky_relu(alpha)
    if isinstance(activation, str) and activation in _TENSOR_METHODS:  # its method: one call less
        return activation, _TENSOR_METHODS[activation]
    if isinstance(activation, str) and activation in ACTIVATIONS:
        return activation, ACTIVATIONS[activation]
    raise (ArgumentError if isinstance(activation, str) else ArgumentTypeError)(
        f"unknown activation {checks.describe_value(activation)}: use one of "
        f"{', '.join(map(repr, ACTIVATIONS))} or a function of a Tensor that returns a Tensor"
    )


# ---------------------------------------------------------------------------------------------
# costs
# ---------------------------------------------------------------------------------------------


def binary_cross_entropy(A: Any, Y: Any, reduction: str = "mean") -> Tensor:
    """J = -1/m Σ [Y log A + (1-Y) log(1-A)] (F1.1, F1.5) on probabilities ``A`` (n_y, m).

    ``Y`` (same shape, 0/1 labels; a numpy array is fine) is a constant. The gradient is
    dA = -(Y/A - (1-Y)/(1-A)) / m (F4.2); ``reduction="sum"`` drops the 1/m (F3.6).

    When ``A`` was made by ``sigmoid(Z)`` (a Dense layer with activation="sigmoid" does
    this), sigmoid and cost are the course's output layer and are computed as one:

    * the cost comes from the logits ``Z`` as ``log(1 + e^-Z) + (1 - Y) Z``: finite for every
      finite Z, also where σ(Z) rounds to 0 or 1 (1000 per example at Z = -1000, Y = 1);
    * ``Z.grad`` is exactly dZ = (A - Y) / m (F1.4, F3.2) for every Z — the same bits as
      ``binary_cross_entropy_with_logits(Z, Y)`` gives — and not dA * A(1-A), which the
      floor below would damp from |Z| ≈ 27.6 on and turn into 0 where A rounds to 0 or 1;
    * ``A.grad`` still holds dA as above (with the floor below), so F4.2 can be read on it;
    * if ``A`` is also used elsewhere, the other uses' gradients go through the sigmoid's
      rule dA * A(1-A) as usual and the two parts add up (``A.grad`` and ``Z.grad`` are
      both sums).

    Otherwise (probabilities from anywhere else), at A exactly 0 or 1 every log is floored at
    -100 (PyTorch's ``BCELoss`` rule), so a wrong prediction made with certainty costs 100 per
    example, and in the gradient ``A(1-A)`` is floored at 1e-12. Nothing is ever nan or inf.

    Checked on every call: labels in [0, 1] (nan refused), predictions in [0, 1] unless they
    come from the sigmoid (logits by mistake are refused with a pointer to
    ``binary_cross_entropy_with_logits``), no empty batch. The labels' check is one pass
    (min and max) over ``Y``; ``fit`` makes its labels read-only, and a read-only label array
    that owns its values is checked once, not at every step (do the same in a loop of your
    own: ``Y.flags.writeable = False``).
    """
    return _fn.binary_cross_entropy(A, Y, reduction)


def binary_cross_entropy_with_logits(Z: Any, Y: Any, reduction: str = "mean") -> Tensor:
    """The cross-entropy of ``sigmoid(Z)`` computed from the logits ``Z`` (n_y, m):
    J = 1/m Σ [log(1 + e^Z) - Y Z], stable for any Z; dZ = (σ(Z) - Y) / m exactly (F3.2)."""
    return _fn.binary_cross_entropy_with_logits(Z, Y, reduction)


def mse_loss(H: Any, Y: Any, reduction: str = "mean") -> Tensor:
    """J = 1/m Σ_i ½‖h(x⁽ⁱ⁾) - y⁽ⁱ⁾‖² (F5.1), ``m`` = the number of columns of ``H`` (n_y, m).

    Each example's squared error is summed over its ``n_y`` outputs (the norm), then averaged
    over the examples; ``reduction="sum"`` drops the 1/m. Gradient: dH = (H - Y) / m, so after a
    layer ``h = f(z)`` the output delta is δ = -(y - a) * f'(z) (F5.2). One op
    (``functions.MeanSquaredError``), so ``explain`` prints ``dA2 = (A2 - Y) / m``. The targets
    ``Y`` are constants: a numpy array is named ``Y``; a Tensor that requires grad is refused.
    """
    return _fn.mse_loss(H, Y, reduction)


def l2_penalty(weights: Any, lam: float) -> Tensor:
    """λ/2 Σ_l Σ_i Σ_j (W_ji^(l))² (F5.1): the weight-decay term, over the weights only.

    ``weights`` is an iterable of weight tensors, or a Module (its ``weights()``, the ``W``
    matrices: biases are not decayed). Its gradient is λ W (F5.5). Add it to the cost:
    ``J = F.mse_loss(H, Y) + F.l2_penalty(model, lam)``. One op over all the weights
    (``functions.L2Penalty``), so ``explain`` prints ``dW2 = λ * W2 + dZ2 @ A1ᵀ``.
    """
    if hasattr(weights, "weights") and callable(weights.weights):
        weights = weights.weights()
    return _fn.l2_penalty(weights, lam)
