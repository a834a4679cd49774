"""Layers that behave differently in training and evaluation: ``Dropout`` and ``BatchNorm``.

Both follow the module's ``training`` flag (``model.train()``, ``model.eval()``; ``fit``
trains in training mode, ``predict`` and ``accuracy`` evaluate in eval mode)::

    model = nn.Sequential(nn.Dense(2, 20, "relu"), nn.Dropout(keep_prob=0.8, seed=0),
                          nn.Dense(20, 1, "sigmoid"))

``Dropout`` (F12) keeps each unit with probability ``keep_prob`` and scales by
``1 / keep_prob`` in training; in evaluation it returns its input itself. ``BatchNorm``
(F13) normalises each unit over the m examples and learns ``gamma`` and ``beta``; it keeps
``running_mean`` and ``running_var`` (buffers: saved and loaded with the parameters, not
learned) for evaluation. ``Dense(..., batch_norm=True)`` is a dense layer with a BatchNorm
built in (and no bias).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import checks
from ..dropout import check_keep_prob, dropout
from ..normalization import batch_norm
from ..tensor import Tensor
from . import init as _init
from .module import Module

__all__ = ["BatchNorm", "Dropout"]


def _dropped_name(name: str | None) -> str | None:
    """``A1`` -> ``A_drop1`` (the layer index stays at the end), ``X`` -> ``X_drop``."""
    if not name:
        return None
    match = re.fullmatch(r"(.*?)(\d+)", name)
    return f"{match[1]}_drop{match[2]}" if match else f"{name}_drop"


class Dropout(Module):
    """Inverted dropout (F12): ``A = A * D / keep_prob`` with ``D = rand < keep_prob`` in
    training mode, ``A`` itself in evaluation mode (and for ``keep_prob = 1``).

    ``seed``: None draws from numpy's global stream (``np.random.seed(1)`` first reproduces
    the notebook's ``np.random.rand``), an int seeds the layer's own stream once, a
    Generator or RandomState is drawn from. A new mask is drawn at every call. The output of
    the input ``A1`` is named ``A_drop1`` (in layer 1 for ``viz``) and its mask is ``D1`` in
    ``explain``.
    """

    def __init__(self, keep_prob: float = 0.8, seed: Any = None) -> None:
        super().__init__()
        self.keep_prob = check_keep_prob(keep_prob, "Dropout")
        self.rng = _init.random_state(seed)

    def forward(self, A: Any) -> Tensor:
        out = dropout(A, self.keep_prob, self.training, self.rng)
        if out is not A and isinstance(A, Tensor):
            out.name = _dropped_name(A.name)
        return out

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob:g}"


class BatchNorm(Module):
    """Batch normalisation of ``Z (n, m)`` over the examples (F13): in training
    ``Z̃ = gamma * (Z - μ) / √(σ² + ε) + beta`` with the batch's μ and σ², as one op whose
    rule is the course's closed form; in evaluation the running averages replace them.

    ``gamma`` (ones) and ``beta`` (zeros) are ``(n, 1)`` parameters; ``running_mean`` (zeros)
    and ``running_var`` (ones) are buffers updated in training with
    ``running = (1 - momentum) running + momentum * batch`` (PyTorch's convention: the
    course's β is ``1 - momentum``; the running variance takes the unbiased batch variance).
    ``layer``: the course's index for the names (``gamma1``, ``beta1``, ``running_mean1``,
    the output ``Z_tilde1``); in a ``Sequential`` an unnumbered BatchNorm takes the index of
    the Dense layer before it (``Dense(2, 4), BatchNorm(4)``: layer 1).
    """

    numbered_after_dense = True  # Sequential gives it the index of the Dense layer before it

    def __init__(self, n: int, momentum: float = 0.1, eps: float = 1e-5,
                 layer: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__()
        n = checks.integer(n, "BatchNorm", "n", minimum=1, hint="The number of units n[l].")
        momentum = checks.real(momentum, "BatchNorm", "momentum", minimum=0.0, maximum=1.0,
                               hint="PyTorch's convention: 0.1 (the course's β = 0.9).")
        eps = checks.real(eps, "BatchNorm", "eps", above=0.0, hint="e.g. 1e-5.")
        dtype = checks.dtype(dtype, "BatchNorm", "dtype")
        self.n, self.momentum, self.eps = int(n), float(momentum), float(eps)
        self.gamma = Tensor(np.ones((self.n, 1)), requires_grad=True, dtype=dtype)
        self.beta = Tensor(np.zeros((self.n, 1)), requires_grad=True, dtype=dtype)
        self.register_buffer("running_mean", Tensor(np.zeros((self.n, 1)), dtype=dtype))
        self.register_buffer("running_var", Tensor(np.ones((self.n, 1)), dtype=dtype))
        self.layer: int | None = None
        self.set_index(layer)

    def set_index(self, layer: int | None) -> None:
        """Name the parameters and buffers with the course's index ``l``."""
        checks.optional_integer(layer, "BatchNorm", "layer", minimum=1, hint="The course's l.")
        self.layer = None if layer is None else int(layer)
        suffix = "" if layer is None else str(int(layer))
        self.gamma.name, self.beta.name = f"gamma{suffix}", f"beta{suffix}"
        self.running_mean.name = f"running_mean{suffix}"
        self.running_var.name = f"running_var{suffix}"
        self._out_name = f"Z_tilde{suffix}"

    def forward(self, Z: Any) -> Tensor:
        out = batch_norm(Z, self.gamma, self.beta, self.running_mean, self.running_var,
                         self.training, self.momentum, self.eps)
        out.name = self._out_name
        return out

    def extra_repr(self) -> str:
        return f"{self.n}, momentum={self.momentum:g}, eps={self.eps:g}"
