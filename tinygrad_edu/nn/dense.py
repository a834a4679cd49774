"""``Dense``, the course's fully connected layer: ``Z = W @ A_prev + b``, ``A = g(Z)`` (F4.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import checks
from ..errors import ArgumentError, ArgumentTypeError, DtypeError, ShapeError, describe
from ..normalization import batch_norm
from ..tensor import Tensor, _as_tensor
from . import init as _init
from .functional import get_activation
from .module import Module

__all__ = ["Dense"]


class Dense(Module):
    """One fully connected layer of the course: ``Z = W @ A_prev + b``, ``A = g(Z)`` (F4.1).

    ``W`` is ``(n_out, n_in)`` and ``b`` is ``(n_out, 1)``, broadcast over the ``m`` columns of
    ``A_prev (n_in, m)`` (examples are columns). ``activation``: "linear" (default), "sigmoid",
    "tanh", "relu", "leaky_relu" (slope ``alpha``) or a function of a Tensor. ``init``:
    "course" (``randn * 0.01``, F8.1), "zeros" (the symmetry demo, F8.2-F8.3), "xavier",
    "he" (see ``nn.init``) or a function ``(n_out, n_in, rng) -> array``; biases start at 0.
    ``seed``: None draws from numpy's global stream (``np.random.seed(2)`` first reproduces
    the notebook), an int, a Generator or a RandomState.

    ``layer`` is the course's index ``l``: the parameters are then called ``W{l}``, ``b{l}``
    and each call names its results ``Z{l}``, ``A{l}``; ``Sequential`` numbers unnumbered
    layers 1..L. Without an index: ``W``, ``b``, ``Z``, ``A``. With the linear activation
    ``A{l}`` is ``Z{l}`` itself. ``activation="softmax"`` makes the output layer for C
    classes (F11: train it with ``F.categorical_cross_entropy``, ``dZ = (A - Y) / m``).

    ``batch_norm=True`` (F13) normalises ``Z{l} = W{l} A{l-1}`` over the examples before the
    activation: ``Z_tilde{l} = gamma{l} * Z_norm{l} + beta{l}``, ``A{l} = g(Z_tilde{l})``. The
    layer then has no ``b`` (``beta`` takes its place, as in the course), learns ``gamma{l}``
    (ones) and ``beta{l}`` (zeros), both ``(n_out, 1)``, and keeps the buffers
    ``running_mean{l}`` and ``running_var{l}`` for evaluation (``momentum``, ``eps``: see
    ``tinygrad_edu.normalization``).
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | Callable[[Tensor], Tensor] = "linear",
        init: str | Callable[..., Any] = "course",
        seed: Any = None,
        layer: int | None = None,
        alpha: float = 0.01,
        dtype: Any = np.float64,
        batch_norm: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        n_in = checks.integer(n_in, "Dense", "n_in", minimum=1, hint="n[l-1]: the inputs' rows.")
        n_out = checks.integer(n_out, "Dense", "n_out", minimum=1, hint="n[l]: the layer's units.")
        batch_norm = checks.boolean(batch_norm, "Dense", "batch_norm")
        if callable(init) and not isinstance(init, type):
            init_name, make_weights = getattr(init, "__name__", "custom"), init
        elif isinstance(init, str) and init in _init.INITS:
            init_name, make_weights = init, _init.INITS[init]
        else:
            raise (ArgumentError if isinstance(init, str) else ArgumentTypeError)(
                f"Dense: unknown init {checks.describe_value(init)}: use one of "
                f"{', '.join(map(repr, _init.INITS))} or a function (n_out, n_in, rng) -> array "
                "of shape (n_out, n_in)"
            )
        alpha = checks.real(alpha, "Dense", "alpha", hint="The leaky_relu slope, e.g. 0.01.")
        dtype = checks.dtype(dtype, "Dense", "dtype")
        if dtype.name not in ("float32", "float64"):
            raise ArgumentError(f"Dense: dtype must be float64 or float32 (parameters are real "
                                f"numbers that get gradients), not {dtype}.")
        rng = _init.random_state(seed)
        self.activation, self._activate = get_activation(activation, alpha)
        self.alpha = alpha
        self.init = init_name
        self.n_in, self.n_out = n_in, n_out
        weights = np.asarray(make_weights(n_out, n_in, rng))
        if weights.shape != (self.n_out, self.n_in):
            raise ShapeError(
                f"Dense: init {init_name!r} returned an array of shape {weights.shape}; W must "
                f"be (n_out, n_in) = ({self.n_out}, {self.n_in})"
            )
        self.W = Tensor(weights, requires_grad=True, dtype=dtype)
        self.batch_norm = batch_norm
        if batch_norm:  # Z̃ = γ Z_norm + β: β plays the part of b, so there is no b
            self.b = None
            self.momentum = checks.real(momentum, "Dense", "momentum", minimum=0.0, maximum=1.0,
                                        hint="PyTorch's convention: 0.1 (the course's β = 0.9).")
            self.eps = checks.real(eps, "Dense", "eps", above=0.0, hint="e.g. 1e-5.")
            self.gamma = Tensor(np.ones((self.n_out, 1)), requires_grad=True, dtype=dtype)
            self.beta = Tensor(np.zeros((self.n_out, 1)), requires_grad=True, dtype=dtype)
            self.register_buffer("running_mean", Tensor(np.zeros((self.n_out, 1)), dtype=dtype))
            self.register_buffer("running_var", Tensor(np.ones((self.n_out, 1)), dtype=dtype))
        else:
            self.b = Tensor(np.zeros((self.n_out, 1)), requires_grad=True, dtype=dtype)
        self.layer: int | None = None
        self.set_index(layer)

    def set_index(self, layer: int | None) -> None:
        """Give the layer the course's index ``l``: names ``W{l}``, ``b{l}``, ``Z{l}``, ``A{l}``."""
        checks.optional_integer(layer, "Dense", "layer", minimum=1, hint="The course's l: 1..L.")
        self.layer = None if layer is None else int(layer)
        suffix = "" if layer is None else str(int(layer))
        self.W.name = f"W{suffix}"
        self._z_name, self._a_name = f"Z{suffix}", f"A{suffix}"
        if self.batch_norm:
            self.gamma.name, self.beta.name = f"gamma{suffix}", f"beta{suffix}"
            self.running_mean.name = f"running_mean{suffix}"
            self.running_var.name = f"running_var{suffix}"
            self._z_tilde_name = f"Z_tilde{suffix}"
        else:
            self.b.name = f"b{suffix}"

    def forward(self, A_prev: Any) -> Tensor:
        """``A_prev (n_in, m)`` → ``A (n_out, m)``; numpy arrays and Tensors are accepted."""
        if type(A_prev) is not Tensor:
            A_prev = self._input_tensor(A_prev)
        shape = A_prev.data.shape
        if len(shape) != 2 or shape[0] != self.n_in:
            raise ShapeError(self._input_message(A_prev))
        if self.batch_norm:
            Z = self.W @ A_prev  # Z[l] = W[l] A[l-1], no b
            Z.name = self._z_name
            Z = batch_norm(Z, self.gamma, self.beta, self.running_mean, self.running_var,
                           self.training, self.momentum, self.eps)  # Z̃ = γ Z_norm + β
            Z.name = self._z_tilde_name
        else:
            Z = self.W @ A_prev + self.b  # Z[l] = W[l] A[l-1] + b[l]
            Z.name = self._z_name
        A = self._activate(Z)  # A[l] = g[l](Z[l])
        if A is not Z:
            A.name = self._a_name
        return A

    def _input_tensor(self, values: Any) -> Tensor:
        """An input batch as a constant tensor named in the course's notation (``X`` for the
        first layer, ``A{l-1}`` after it); no copy for a float numpy array."""
        what = f"Dense layer {self.layer}" if self.layer else "Dense layer"
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            A_prev = _as_tensor(values)
        else:
            try:
                array = np.asarray(values)
            except ValueError as error:  # ragged nested lists
                raise ShapeError(
                    f"{what} got a nested list whose rows have different lengths ({error}); "
                    f"it expects a rectangular ({self.n_in}, m) array, one column per example."
                ) from None
            if array.dtype.kind not in "biuf":
                raise DtypeError(
                    f"{what} got input of dtype {array.dtype}: it computes with real numbers. "
                    "Convert the data first, e.g. np.asarray(X, dtype=float) (text must be "
                    "turned into numbers, complex values have no place in these models)."
                )
            A_prev = Tensor(array, dtype=np.float64 if array.dtype.kind != "f" else None)
        A_prev.name = "X" if self.layer in (None, 1) else f"A{self.layer - 1}"
        return A_prev

    def _input_message(self, A_prev: Tensor) -> str:
        shape = A_prev.shape
        what = f"Dense layer {self.layer}" if self.layer else "Dense layer"
        expected = f"({self.n_in}, m)"
        if len(shape) == 1:
            return (
                f"{what} got {describe(A_prev)}, a rank-1 array, where it expects {expected} "
                f"(n[l-1] = {self.n_in} rows, one column per example). Rank-1 arrays behave "
                "neither as rows nor as columns (F7.4): use X.reshape(-1, 1) for one example "
                "(n, 1) or reshape to (1, n) — and assert the shapes."
            )
        if len(shape) == 2 and shape[1] == self.n_in:
            return (
                f"{what} got {describe(A_prev)} where it expects {expected}: it looks like an "
                f"(m, n_x) matrix with one example per row. The course puts examples in columns: "
                f"pass X.T, of shape {shape[::-1]}."
            )
        return (
            f"{what} got {describe(A_prev)} where it expects {expected}: W is "
            f"({self.n_out}, {self.n_in}), so A[l-1] needs {self.n_in} rows (examples are "
            "columns)."
        )

    def extra_repr(self) -> str:
        return f"{self.n_in} -> {self.n_out}, {self.activation}" + (
            ", batch_norm" if self.batch_norm else "")

    def __repr__(self) -> str:
        others = (f"{describe(self.gamma)}, {describe(self.beta)}" if self.batch_norm
                  else describe(self.b))
        return f"Dense({self.extra_repr()})  {describe(self.W)}, {others}"
