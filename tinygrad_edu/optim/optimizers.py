"""Gradient descent (F1.7), momentum, RMSprop and Adam (F14), in the course's formulas.

Each ``step()`` first takes every gradient through ``checked_gradients`` (shape, dtype, no
nan/inf, at least one gradient), then updates each parameter's ``.data`` array in place; a
parameter whose ``.grad`` is None (it did not take part in the cost) is left alone, and so are
its buffers and its step count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from ..tensor import Tensor
from .checks import check_beta, check_eps
from .optimizer import Hyperparameter, Optimizer

__all__ = ["SGD", "Adam", "Momentum", "RMSprop"]


class SGD(Optimizer):
    """Gradient descent (F1.7): ``W := W - α dW``, ``b := b - α db``.

    ``SGD(params, lr)``: ``params`` the parameters (``model.parameters()``), ``lr`` the
    learning rate α > 0.
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        super().__init__(params, lr)

    def step(self) -> None:
        grads = self._gradients()  # all checked: from here on nothing can fail
        lr = self._lr
        for p, g in zip(self.params, grads):
            if g is not None:
                p.data -= lr * g  # W := W - α dW


class Momentum(Optimizer):
    """Gradient descent with momentum, in the course's form:
    ``v := β v + (1 - β) dW``, ``W := W - α v`` (v starts at 0).

    (PyTorch's SGD momentum writes ``v := β v + dW``, the same with α scaled by 1/(1 - β).)
    """

    _hyperparameters: ClassVar[tuple[str, ...]] = ("lr", "beta")
    _buffers: ClassVar[dict[str, str]] = {"v": "velocity"}
    beta = Hyperparameter(check_beta)  # β, in [0, 1)

    def __init__(self, params: Iterable[Tensor], lr: float, beta: float = 0.9) -> None:
        super().__init__(params, lr, beta=beta)

    def step(self) -> None:
        grads = self._gradients()
        lr, beta = self._lr, self._beta
        for p, v, g in zip(self.params, self.velocity, grads):
            if g is not None:
                v *= beta
                v += (1.0 - beta) * g  # v = β v + (1 - β) dW
                p.data -= lr * v  # W := W - α v


class RMSprop(Optimizer):
    """RMSprop (F14.1): ``s := β s + (1 - β) dW²``, ``W := W - α dW / (√s + ε)`` (s starts
    at 0; ``dW²`` is element-wise). A weight whose gradient is large for long gets a smaller
    step, one whose gradient is small a larger one.

    The same update as PyTorch's ``torch.optim.RMSprop(params, lr, alpha=β, eps=ε)``.
    """

    _hyperparameters: ClassVar[tuple[str, ...]] = ("lr", "beta", "eps")
    _buffers: ClassVar[dict[str, str]] = {"s": "square_average"}
    beta = Hyperparameter(check_beta)  # β, in [0, 1)
    eps = Hyperparameter(check_eps)  # ε > 0

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, beta: float = 0.9,
                 eps: float = 1e-8) -> None:
        super().__init__(params, lr, beta=beta, eps=eps)

    def step(self) -> None:
        grads = self._gradients()
        lr, beta, eps = self._lr, self._beta, self._eps
        for p, s, g in zip(self.params, self.square_average, grads):
            if g is not None:
                s *= beta
                s += (1.0 - beta) * (g * g)  # s = β s + (1 - β) dW²
                p.data -= lr * g / (np.sqrt(s) + eps)  # W := W - α dW / (√s + ε)


class Adam(Optimizer):
    """Adam (F14.2): momentum and RMSprop together, with bias correction. ``t`` counts this
    parameter's steps, from 1; ``v`` and ``s`` start at 0::

        v := β1 v + (1 - β1) dW          s := β2 s + (1 - β2) dW²
        v̂ = v / (1 - β1^t)               ŝ = s / (1 - β2^t)
        W := W - α v̂ / (√ŝ + ε)

    The bias correction undoes the start at 0: after one step ``v = (1 - β1) dW``, and
    ``v̂ = dW``. Defaults are the course's (and PyTorch's): α = 0.001, β1 = 0.9, β2 = 0.999,
    ε = 1e-8.
    """

    _hyperparameters: ClassVar[tuple[str, ...]] = ("lr", "beta1", "beta2", "eps")
    _buffers: ClassVar[dict[str, str]] = {"v": "first_moment", "s": "second_moment"}
    _counters: ClassVar[dict[str, str]] = {"t": "steps"}
    beta1 = Hyperparameter(check_beta)  # β1, in [0, 1)
    beta2 = Hyperparameter(check_beta)  # β2, in [0, 1)
    eps = Hyperparameter(check_eps)  # ε > 0

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr, beta1=beta1, beta2=beta2, eps=eps)

    def step(self) -> None:
        grads = self._gradients()
        lr, beta1, beta2, eps = self._lr, self._beta1, self._beta2, self._eps
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                continue
            t = self.steps[i] = self.steps[i] + 1
            v, s = self.first_moment[i], self.second_moment[i]
            v *= beta1
            v += (1.0 - beta1) * g  # v = β1 v + (1 - β1) dW
            s *= beta2
            s += (1.0 - beta2) * (g * g)  # s = β2 s + (1 - β2) dW²
            v_hat = v / (1.0 - beta1**t)  # v̂ = v / (1 - β1^t)
            s_hat = s / (1.0 - beta2**t)  # ŝ = s / (1 - β2^t)
            p.data -= lr * v_hat / (np.sqrt(s_hat) + eps)  # W := W - α v̂ / (√ŝ + ε)
