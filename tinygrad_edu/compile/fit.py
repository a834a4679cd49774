"""``training.fit(..., compile=True)``: each step's forward and backward run as the compiled
numpy program; the optimizer (any of ``optim``) then updates the parameters as usual.

The gradients are handed to the parameters' ``.grad`` (as ``backward()`` leaves them), so
``optimizer.step()`` does what it does after eager backprop — for SGD the same bits.
Mini-batches of another size (the last one) trace a second program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine_api import TrainingDivergedError
from .step import CompiledStep


class FitStep:
    """``cost = fit_step(X, Y)``: the cost of the batch, the gradients in ``.grad``."""

    def __init__(self, model: Callable, loss_fn: Callable, params: list) -> None:
        self.params = params
        self.step = CompiledStep(lambda X, Y: loss_fn(model(X), Y), params)

    def __call__(self, X: Any, Y: Any) -> float:
        """The cost (nan when the program stopped at a cost that is not finite: fit's own
        check then raises, with the iteration and the costs so far)."""
        try:
            J, grads = self.step(X, Y)
        except TrainingDivergedError:
            return float("nan")
        self._grads = grads
        return float(J)

    def set_gradients(self) -> None:
        """Put the last call's gradients into ``.grad`` (after the cost was checked)."""
        for p, g in zip(self.params, self._grads):
            p.grad = g
