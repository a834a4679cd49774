"""Gradient-norm clipping (F14.4): ``g := g · min(1, c / ‖g‖)`` over all the parameters.

    J.backward()
    optim.clip_grad_norm_(model.parameters(), max_norm=1.0)   # between backward and step
    opt.step()

``‖g‖`` is the global norm: the square root of the sum of the squares of every entry of every
gradient (all parameters as one long vector), so clipping rescales all gradients by the same
factor and keeps the direction of the step. PyTorch's ``torch.nn.utils.clip_grad_norm_``
semantics: the factor is ``min(1, c / (‖g‖ + 1e-6))`` (the 1e-6 keeps it finite at ‖g‖ = 0),
the gradients are scaled in place, parameters without a gradient are skipped, and the norm
before clipping is returned. Unlike PyTorch's default, a nan/inf gradient is an error (its
``error_if_nonfinite=True``), and every gradient is checked before any is changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..errors import ArgumentError
from ..tensor import Tensor
from .checks import as_number, checked_gradients, parameter_list

__all__ = ["clip_grad_norm_"]

EPS = 1e-6  # PyTorch's: c / (‖g‖ + 1e-6)


def clip_grad_norm_(params: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0) -> float:
    """Scale the gradients of ``params`` in place so that their global 2-norm is at most
    ``max_norm`` (``c``): ``g := g · min(1, c / (‖g‖ + 1e-6))``; returns ``‖g‖`` before
    clipping, a float.

    ``params``: ``model.parameters()``, an optimizer's ``opt.params`` or one Tensor.
    ``max_norm``: a positive finite number. ``norm_type``: only 2 (the Euclidean norm).
    Refused with nothing changed: a gradient of the wrong shape or dtype, nan/inf in one, or
    no gradient at all (see ``optim.checked_gradients``).
    """
    who = "clip_grad_norm_"
    c = as_number(who, "max_norm", max_norm, "a positive number such as 1.0")
    if not (math.isfinite(c) and c > 0):
        raise ArgumentError(
            f"{who}: max_norm must be a positive finite number (the largest norm the "
            f"gradients may have, e.g. 1.0 or 5.0), not {max_norm!r}")
    if as_number(who, "norm_type", norm_type, "2") != 2.0:
        raise ArgumentError(
            f"{who}: only norm_type=2 (the Euclidean norm ‖g‖ = √Σ g²) is supported, "
            f"not {norm_type!r}")
    params = parameter_list(who, params)
    grads, squares = checked_gradients(who, params, [p.data.shape for p in params],
                                       [p.data.dtype for p in params])
    if math.isinf(squares):  # finite entries whose squares overflow: scale before squaring
        top = max(float(np.max(np.abs(g))) for g in grads if g is not None)
        total = top * math.sqrt(sum(float(np.vdot(g / top, g / top))
                                    for g in grads if g is not None))
    else:
        total = math.sqrt(squares)  # ‖g‖ = √(Σ over all parameters of Σ dW²)
    factor = c / (total + EPS)
    if factor < 1.0:  # g := g · min(1, c / ‖g‖)
        for g in grads:
            if g is not None:
                g *= factor
    return total
