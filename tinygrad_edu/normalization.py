"""Batch normalisation (F13) over the m examples (axis 1) of ``Z (n, m)``, as one op.

Forward, per unit (row), over the examples of the mini-batch (F13.1):

    μ = 1/m Σ Z                         (n, 1)
    σ² = 1/m Σ (Z - μ)²                 (n, 1)   the biased variance, as the course
    Z_norm = (Z - μ) / √(σ² + ε)        (n, m)
    Z̃ = γ * Z_norm + β                  (n, m)   γ, β (n, 1) are learned

Backward, the closed form the course derives (sums over axis 1, keepdims) (F13.2, F13.3):

    dβ = Σ dZ̃
    dγ = Σ dZ̃ * Z_norm
    dZ = γ / (m √(σ² + ε)) * (m dZ̃ - Σ dZ̃ - Z_norm Σ (dZ̃ * Z_norm))

It equals the chain rule through the elementary ops of the forward (mean, subtract, square,
sqrt, divide, ...) — the tests check both — in one step instead of eight.

Evaluation (``model.eval()``) uses running averages of μ and σ² instead of the batch's
(F13.4), updated at every training call as PyTorch does:
``running = (1 - momentum) * running + momentum * batch`` with ``momentum = 0.1`` (the
course's exponentially weighted average with β = 1 - momentum = 0.9); the running variance
takes the unbiased batch variance ``m/(m-1) σ²``, as PyTorch's does, so that a model carried
to ``torch.nn.BatchNorm1d`` evaluates the same. In evaluation
``Z̃ = γ (Z - running_mean) / √(running_var + ε) + β`` is computed with ordinary ops.

The op's setting is ``eps`` (``attributes()``, what graphs show); the batch's ``Z_norm`` and
√(σ² + ε), computed by the forward and reused by the rule, are the op's ``saved``, a
``BatchStats(z_norm, std)`` (the rule reads ``z_norm, std = self.saved``). ``m`` (Z's
columns) and ``running`` (the arrays ``batch_norm`` updates, for ``compile``) are kept on the
op too but not listed as settings, as a cost's ``m`` is not.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .core.function import Function
from .core.tensor import Tensor, _as_tensor
from .errors import DtypeError, ShapeError, describe

__all__ = ["BatchNorm", "BatchStats", "batch_norm", "batch_statistics"]


class BatchStats(NamedTuple):
    """What batch norm's forward computed and its rule reuses (``ctx.saved``):
    ``z_norm`` = Z_norm (n, m) and ``std`` = √(σ² + ε) (n, 1) of the batch."""

    z_norm: Any
    std: Any


def batch_statistics(Z: Any, eps: float) -> BatchStats:
    """``BatchStats(Z_norm, √(σ² + ε))`` of ``Z (n, m)`` over axis 1, for arrays and Tensors
    alike (with Tensors every step is recorded: the second derivative of batch norm uses it)."""
    m = Z.shape[1]
    mu = Z.sum(axis=1, keepdims=True) * (1.0 / m)  # μ = 1/m Σ Z
    centred = Z - mu
    var = (centred * centred).sum(axis=1, keepdims=True) * (1.0 / m)  # σ² = 1/m Σ (Z - μ)²
    std = (var + eps) ** 0.5  # √(σ² + ε)
    return BatchStats(centred / std, std)  # Z_norm = (Z - μ) / √(σ² + ε)


class BatchNorm(Function):
    """Z̃ = γ Z_norm + β with Z_norm = (Z - μ)/√(σ² + ε) over the examples (F13.1);
    dβ = Σ dZ̃, dγ = Σ dZ̃ * Z_norm (F13.2),
    dZ = γ / (m √(σ² + ε)) * (m dZ̃ - Σ dZ̃ - Z_norm Σ (dZ̃ * Z_norm)) (F13.3).

    Inputs ``Z (n, m)``, ``gamma (n, 1)``, ``beta (n, 1)``. The op saves
    ``BatchStats(z_norm, std)``, Z_norm and √(σ² + ε) of the batch, for its rule
    (``ctx.saved``); inside ``grad(..., create_graph=True)`` the rule recomputes them from Z
    with recorded ops, so it can be differentiated again.
    """

    name = "batch_norm"
    viz_symbol = "batch norm"  # drawn in its node by viz
    course_defaults: ClassVar[dict] = {"eps": 1e-5}  # viz does not draw these settings
    running: tuple = (None, None, 0.1)  # (running_mean, running_var, momentum) batch_norm updates

    @classmethod
    def apply(cls, Z: Tensor, gamma: Tensor, beta: Tensor, eps: float,
              running: tuple = running) -> Tensor:
        stats = batch_statistics(Z.data, eps)  # Z_norm, √(σ² + ε): saved for the rule
        data = gamma.data * stats.z_norm + beta.data  # Z̃ = γ Z_norm + β
        return cls.record(data, (Z, gamma, beta), saved=stats, eps=eps, m=Z.shape[1],
                          running=running)  # running: the arrays batch_norm updates (compile)

    def numpy_source(self, src, Z, gamma, beta):
        """compile: the forward as ``batch_statistics`` computes it on arrays (the same numpy
        calls in the same order: the same bits), ``Z_norm`` and √(σ² + ε) on lines of their
        own (the rule reads them), and the running averages updated as ``batch_norm`` does."""
        layer = re.search(r"\d*$", self.parents[0].name or "").group()  # Z1 -> mu1, Z_norm1
        Z = src.tensor(self.parents[0])  # read five times: a name of its own
        m = src.m(self.m)
        mu = src.keep(self, "mu", f"mu{layer}",
                      f"np.sum({Z}, axis=1, keepdims=True) * (1.0 / {m})")  # μ = 1/m Σ Z
        centred = src.keep(self, "centred", f"Z_centred{layer}", f"{Z} - {mu}")
        var = src.keep(self, "var", f"var{layer}",  # σ² = 1/m Σ (Z - μ)²
                       f"np.sum({centred} * {centred}, axis=1, keepdims=True) * (1.0 / {m})")
        std = src.keep(self, "saved.std", f"std{layer}", f"({var} + {self.eps!r}) ** 0.5")
        z_norm = src.keep(self, "saved.z_norm", f"Z_norm{layer}", f"{centred} / {std}")
        running_mean, running_var, momentum = self.running
        keep, new = _number(1.0 - momentum), _number(momentum)
        if running_mean is not None:  # running = (1 - momentum) running + momentum batch
            name = src.const(running_mean, f"running_mean{layer}")
            src.statement(f"{name} *= {keep}")
            src.statement(f"{name} += {new} * np.mean({Z}, axis=1, keepdims=True)")
        if running_var is not None:  # the batch variance unbiased: m/(m-1) σ²
            name = src.const(running_var, f"running_var{layer}")
            src.statement(f"{name} *= {keep}")
            src.statement(f"{name} += {new} * np.var({Z}, axis=1, keepdims=True) * "
                          f"({m} / ({m} - 1))")
        return f"{gamma} * {z_norm} + {beta}", 1  # Z̃ = γ Z_norm + β

    def compile_key(self) -> tuple:
        """For ``compile``'s graph key: which arrays the running averages are, the momentum."""
        mean, var, momentum = self.running
        return (None if mean is None else id(mean), None if var is None else id(var),
                type(momentum).__name__, float(momentum))

    def compile_state(self) -> list:
        """The arrays a call changes in place (saved and put back around a check's trace)."""
        return [a for a in self.running[:2] if a is not None]

    def attributes(self) -> dict:
        return {"eps": self.eps}  # the setting; m and running are not (module docstring)

    def explain_symbols(self) -> dict:
        """What ``explain`` writes as symbols instead of values: the saved Z_norm and
        √(σ² + ε) (``"saved.z_norm"``: the field of ``self.saved``), m."""
        layer = re.search(r"\d*$", self.parents[0].name or "").group()  # Z1 -> Z_norm1
        z_norm, std = self.saved
        return {"saved.z_norm": (f"Z_norm{layer}", z_norm),
                "saved.std": (f"√(σ{layer}² + ε)", std), "m": ("m", self.m)}

    def backward(self, g, out, Z, gamma, beta):
        pz, pgamma, pbeta = self.parents
        if type(Z) is Tensor:  # create_graph: Z_norm and √(σ²+ε) as recorded functions of Z
            z_norm, std = batch_statistics(Z, self.eps)
        else:
            z_norm, std = self.saved  # the batch's, from the forward
        m = self.m
        dbeta = g.sum(axis=1, keepdims=True)  # dβ = Σ dZ̃
        dgamma = (g * z_norm).sum(axis=1, keepdims=True)  # dγ = Σ dZ̃ * Z_norm
        dZ = None
        if pz.requires_grad:  # dZ = γ / (m √(σ²+ε)) (m dZ̃ - Σ dZ̃ - Z_norm Σ (dZ̃ * Z_norm))
            dZ = gamma / (m * std) * (m * g - dbeta - z_norm * dgamma)
        return (dZ, dgamma if pgamma.requires_grad else None,
                dbeta if pbeta.requires_grad else None)


def _number(x: Any) -> str:
    """A number as the literal of its own type (``0.9``; ``np.float32(0.9...)``: a numpy
    scalar is not a Python number to numpy's type promotion)."""
    if type(x) in (bool, int, float):
        return repr(x)
    return f"np.{type(x).__name__}({x.item()!r})"


def _check(Z: Tensor, gamma: Tensor, beta: Tensor, training: bool) -> None:
    if Z.ndim != 2:
        raise ShapeError(
            f"batch_norm: expects Z (n, m), one column per example, but got {describe(Z)} "
            "(a rank-1 array: use Z.reshape(-1, 1) or Z.reshape(1, -1), F7.4)"
        )
    if Z.data.dtype.kind != "f":
        raise DtypeError(f"batch_norm: needs floating-point Z, but {describe(Z)} is {Z.dtype}")
    n = Z.shape[0]
    for what, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != (n, 1):
            raise ShapeError(
                f"batch_norm: {what} is {describe(t)} but must be (n, 1) = ({n}, 1), one value "
                f"per unit of Z {Z.shape}"
            )
    if training and Z.shape[1] < 2:
        raise ShapeError(
            f"batch_norm in training mode got {describe(Z)} with m = {Z.shape[1]} example: the "
            "batch's mean and variance need at least 2 (with one, Z_norm is 0 whatever Z is). "
            "Use larger mini-batches, or model.eval() to use the running averages."
        )


def batch_norm(
    Z: Any,
    gamma: Any,
    beta: Any,
    running_mean: Any = None,
    running_var: Any = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of ``Z (n, m)`` over the examples (F13), one op in training.

    ``gamma``, ``beta``: ``(n, 1)`` (Tensors to learn them). ``running_mean`` and
    ``running_var``: ``(n, 1)`` float arrays or Tensors updated *in place* at every training
    call (``running = (1 - momentum) running + momentum * batch``, the batch variance unbiased
    as in PyTorch), or None not to keep them. ``training=False`` normalises with them instead
    of the batch's statistics.
    """
    Z, gamma, beta = _as_tensor(Z), _as_tensor(gamma, Z), _as_tensor(beta, Z)
    _check(Z, gamma, beta, training)
    if not 0.0 <= float(momentum) <= 1.0:
        raise ValueError(f"batch_norm: momentum must be in [0, 1] (PyTorch's 0.1), not "
                         f"{momentum!r}")
    if not float(eps) > 0.0:
        raise ValueError(f"batch_norm: eps must be > 0 (1e-5), not {eps!r}")
    # a Tensor's array, or the array itself (an ndarray's own .data is its memoryview)
    mean_values = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    var_values = running_var.data if isinstance(running_var, Tensor) else running_var
    for what, values in (("running_mean", mean_values), ("running_var", var_values)):
        if values is not None and (not isinstance(values, np.ndarray) or
                                   values.shape != (Z.shape[0], 1)):
            raise ShapeError(f"batch_norm: {what} must be an (n, 1) = ({Z.shape[0]}, 1) array "
                             f"updated in place, not {getattr(values, 'shape', values)!r}")
    if not training:
        if mean_values is None or var_values is None:
            raise ValueError("batch_norm with training=False needs running_mean and "
                             "running_var (the averages kept during training)")
        # Z̃ = γ (Z - running_mean) / √(running_var + ε) + β, with ordinary recorded ops
        scale = 1.0 / np.sqrt(var_values + eps)
        return gamma * ((Z - mean_values) * scale) + beta
    out = BatchNorm.apply(Z, gamma, beta, float(eps), (mean_values, var_values, momentum))
    m = Z.shape[1]
    if mean_values is not None:
        mean_values *= 1.0 - momentum
        mean_values += momentum * Z.data.mean(axis=1, keepdims=True)
    if var_values is not None:
        var_values *= 1.0 - momentum
        var_values += momentum * Z.data.var(axis=1, keepdims=True) * (m / (m - 1))
    return out
