"""Optimizers: gradient descent (F1.7), momentum and Adam, updating parameters in place.

    opt = optim.SGD(model.parameters(), lr=1.2)
    opt.zero_grad(); J.backward(); opt.step()

``step()`` changes each parameter's ``.data`` array in place (no new Tensor, no graph) using
its ``.grad``; a parameter whose ``.grad`` is None (it did not take part in the cost) is left
alone. ``zero_grad()`` sets every ``.grad`` to None. ``lr`` may be changed between steps
(``opt.lr = 0.1``) for a schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .errors import describe
from .tensor import Tensor

__all__ = ["SGD", "Adam", "Momentum", "Optimizer"]


class Optimizer:
    """Base class: holds the parameters (each once, in order) and the learning rate."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        if isinstance(params, Tensor):
            params = [params]
        unique: list[Tensor] = []
        seen: set[int] = set()
        for position, p in enumerate(params):
            if not isinstance(p, Tensor):
                hint = (
                    " (did you pass the model itself? use model.parameters())"
                    if hasattr(p, "parameters")
                    else ""
                )
                raise TypeError(
                    f"{type(self).__name__}: item {position} of params is a "
                    f"{type(p).__name__}, not a Tensor{hint}"
                )
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: the parameter {describe(p)} "
                    + (
                        "does not require grad, so it never gets a gradient to follow. Create "
                        "it with Tensor(..., requires_grad=True)."
                        if not p.requires_grad
                        else "was computed by an op; only leaf tensors can be parameters."
                    )
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError(
                f"{type(self).__name__}: the parameter list is empty (was model.parameters() "
                "already used up, or does the model have no layers?)"
            )
        self.params = unique
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate α."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
            raise TypeError(f"{type(self).__name__}: lr must be a number, not {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"{type(self).__name__}: the learning rate must be a positive finite number, "
                f"not {value!r} (the course's flower network uses 1.2)"
            )
        self._lr = float(value)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self._lr}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Gradient descent (F1.7): ``W := W - α dW``, ``b := b - α db``."""

    def step(self) -> None:
        lr = self._lr
        for p in self.params:
            g = p.grad
            if g is not None:
                p.data -= lr * g  # W := W - α dW


class Momentum(Optimizer):
    """Gradient descent with momentum, in the course's form:
    ``v := β v + (1 - β) dW``, ``W := W - α v`` (v starts at 0).

    (PyTorch's SGD momentum writes ``v := β v + dW``, the same with α scaled by 1/(1 - β).)
    """

    def __init__(self, params: Iterable[Tensor], lr: float, beta: float = 0.9) -> None:
        super().__init__(params, lr)
        _check_beta(beta, "beta")
        self.beta = float(beta)
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        lr, beta = self._lr, self.beta
        for p, v in zip(self.params, self.velocity):
            g = p.grad
            if g is not None:
                v *= beta
                v += (1.0 - beta) * g  # v = β v + (1 - β) dW
                p.data -= lr * v  # W := W - α v


class Adam(Optimizer):
    """Adam, with bias correction (t counts this parameter's steps, from 1):
    ``v := β1 v + (1 - β1) dW``, ``s := β2 s + (1 - β2) dW²``,
    ``W := W - α (v / (1 - β1^t)) / (sqrt(s / (1 - β2^t)) + ε)``.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        _check_beta(beta1, "beta1")
        _check_beta(beta2, "beta2")
        if not (eps > 0):
            raise ValueError(f"Adam: eps must be positive, not {eps!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.first_moment = [np.zeros_like(p.data) for p in self.params]
        self.second_moment = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)

    def step(self) -> None:
        lr, beta1, beta2, eps = self._lr, self.beta1, self.beta2, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            t = self.steps[i] = self.steps[i] + 1
            v, s = self.first_moment[i], self.second_moment[i]
            v *= beta1
            v += (1.0 - beta1) * g  # v = β1 v + (1 - β1) dW
            s *= beta2
            s += (1.0 - beta2) * (g * g)  # s = β2 s + (1 - β2) dW²
            v_hat = v / (1.0 - beta1**t)
            s_hat = s / (1.0 - beta2**t)
            p.data -= lr * v_hat / (np.sqrt(s_hat) + eps)


def _check_beta(beta: float, label: str) -> None:
    if not (0.0 <= beta < 1.0):
        raise ValueError(f"{label} must be in [0, 1) (an exponential average), not {beta!r}")
