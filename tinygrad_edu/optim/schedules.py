"""Learning-rate decay (F14.3): a schedule sets its optimizer's ``lr`` from the epoch number.

    opt = optim.SGD(model.parameters(), lr=0.5)          # α0 = 0.5
    schedule = optim.InverseTimeDecay(opt, decay_rate=1.0)
    for epoch in range(num_epochs):
        ...  # one pass over the mini-batches, opt.step() after each
        schedule.step()                                  # α = α0 / (1 + decay_rate · epoch)

``α0`` is the optimizer's ``lr`` when the schedule is built; epoch 0 uses it. ``step()``, once
per epoch, moves to the next epoch and sets ``opt.lr`` from the closed form (never from the
previous lr, so no rounding accumulates and a resumed run gets the same numbers). With
``training.fit``, one iteration is one epoch: ``fit(..., optimizer=opt,
callback=lambda i, cost, model: schedule.step())``.

``state_dict()`` / ``load_state_dict()`` / ``save()`` / ``load()`` keep the epoch and α0;
save them beside the optimizer to resume a run bit for bit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError, StateDictError
from ..nn.saving import load_npz, save_npz
from .checks import as_number, check_lr, state_float, state_int
from .optimizer import Optimizer

__all__ = ["ExponentialDecay", "InverseTimeDecay", "LRSchedule", "LambdaDecay", "StepDecay"]


def _positive(who: str, name: str, value: Any, expected: str) -> float:
    number = as_number(who, name, value, expected)
    if not (math.isfinite(number) and number > 0):
        raise ArgumentError(f"{who}: {name} must be {expected}, not {value!r}")
    return number


def _rate(who: str, name: str, value: Any) -> float:
    number = as_number(who, name, value, "a finite number >= 0")
    if not (math.isfinite(number) and number >= 0):
        raise ArgumentError(
            f"{who}: {name} must be a finite number >= 0 (0 keeps α = α0), not {value!r}")
    return number


def _factor(who: str, name: str, value: Any) -> float:
    number = as_number(who, name, value, "in (0, 1]")
    if not 0.0 < number <= 1.0:
        raise ArgumentError(
            f"{who}: {name} must be in (0, 1] (the learning rate is multiplied by it; 0.95 "
            f"is the course's example), not {value!r}")
    return number


def _count(who: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ArgumentError(f"{who}: {name} must be a positive int (epochs), not {value!r}")
    return int(value)


class LRSchedule:
    """Base class: ``lr_at(epoch)`` is the formula; ``step()`` applies it to the next epoch.

    Subclasses list their hyper-parameters in ``_hyperparameters`` with a check each, so that
    the constructor and ``load_state_dict`` check them the same way.
    """

    _hyperparameters: ClassVar[dict[str, Callable[[str, str, Any], float]]] = {}

    def __init__(self, optimizer: Optimizer, **hyper: Any) -> None:
        who = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise ArgumentTypeError(
                f"{who}: optimizer must be an optimizer such as optim.SGD(model.parameters(), "
                f"lr=0.5), not {optimizer!r}"
            )
        checked = {name: self._hyperparameters[name](who, name, value)
                   for name, value in hyper.items()}
        self.optimizer = optimizer
        self.base_lr = optimizer.lr  # α0
        self.epoch = 0
        for name, value in checked.items():
            setattr(self, name, value)
        optimizer.lr = self._checked_lr(0)  # α0 itself, except for LambdaDecay: α0 · fn(0)

    def lr_at(self, epoch: int) -> float:
        """The learning rate α of ``epoch`` (0, 1, 2, ...)."""
        raise NotImplementedError

    def _checked_lr(self, epoch: int) -> float:
        return check_lr(f"{type(self).__name__} at epoch {epoch}", "α",
                        self.lr_at(epoch))

    def step(self) -> float:
        """Move to the next epoch: ``opt.lr = lr_at(epoch + 1)``; returns the new lr. A lr that
        is not a positive finite number is refused with nothing changed."""
        lr = self._checked_lr(self.epoch + 1)
        self.epoch += 1
        self.optimizer.lr = lr
        return lr

    def hyperparameters(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self._hyperparameters}

    # -- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """``"schedule"`` (the class name), ``"epoch"``, ``"base_lr"`` (α0) and the
        hyper-parameters. The optimizer's own lr is in the optimizer's state."""
        state: dict[str, Any] = {"schedule": np.str_(type(self).__name__),
                                 "epoch": np.int64(self.epoch),
                                 "base_lr": np.float64(self.base_lr)}
        state.update({name: np.asarray(value) for name, value in self.hyperparameters().items()})
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> LRSchedule:
        """Restore the epoch, α0 and the hyper-parameters saved by ``state_dict()`` of the same
        schedule type and sets the optimizer's lr to ``lr_at(epoch)`` (the value the
        optimizer's own saved state holds); returns self. Checked first: on an error nothing
        changes."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise ArgumentTypeError(f"{who}: expected a dict such as schedule.state_dict() "
                                    f"returns, not a {type(state).__name__}")
        saved = str(state["schedule"]) if "schedule" in state else None
        if saved != type(self).__name__:
            raise StateDictError(
                f"{who}: the state was saved by {saved or 'no schedule'}, not by "
                f"{type(self).__name__}; build the schedule that was saved to resume.")
        expected = ["schedule", "epoch", "base_lr", *self._hyperparameters]
        missing = [key for key in expected if key not in state]
        unexpected = [key for key in state if key not in expected]
        if missing or unexpected:
            raise StateDictError(f"{who}: missing {missing}, unexpected {unexpected}")
        epoch = state_int(who, "epoch", state["epoch"])
        if epoch < 0:
            raise ArgumentError(f"{who}: epoch = {epoch}, it must be >= 0")
        base_lr = check_lr(who, "base_lr", state_float(who, "base_lr", state["base_lr"]))
        hyper = {}
        for name, check in self._hyperparameters.items():
            value = np.asarray(state[name])
            raw = int(value) if value.dtype.kind in "iu" else state_float(who, name, value)
            hyper[name] = check(who, name, raw)
        previous = (self.epoch, self.base_lr, self.hyperparameters())
        self.epoch, self.base_lr = epoch, base_lr
        for name, value in hyper.items():
            setattr(self, name, value)
        try:
            lr = self._checked_lr(epoch)
        except Exception:  # a LambdaDecay fn that fails at the saved epoch: undo, re-raise
            self.epoch, self.base_lr = previous[0], previous[1]
            for name, value in previous[2].items():
                setattr(self, name, value)
            raise
        self.optimizer.lr = lr  # the epoch's lr, as the optimizer's own saved state has it
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``state_dict()`` to a ``.npz`` file (atomically) and return its path."""
        return save_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> LRSchedule:
        """Read a state written by ``save``; returns self."""
        return self.load_state_dict(load_npz(path, f"{type(self).__name__}.save"))

    def __repr__(self) -> str:
        hyper = "".join(f", {name}={value}" for name, value in self.hyperparameters().items())
        return (f"{type(self).__name__}(base_lr={self.base_lr}{hyper}, epoch={self.epoch}, "
                f"lr={self.optimizer.lr})")


class InverseTimeDecay(LRSchedule):
    """The course's decay: ``α = α0 / (1 + decay_rate · epoch)``."""

    _hyperparameters: ClassVar[dict[str, Callable[[str, str, Any], float]]] = {
        "decay_rate": _rate}

    def __init__(self, optimizer: Optimizer, decay_rate: float = 1.0) -> None:
        super().__init__(optimizer, decay_rate=decay_rate)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr / (1.0 + self.decay_rate * epoch)  # α = α0 / (1 + decay_rate·epoch)


class ExponentialDecay(LRSchedule):
    """Exponential decay: ``α = base^epoch · α0`` (the course's example: ``0.95^epoch · α0``)."""

    _hyperparameters: ClassVar[dict[str, Callable[[str, str, Any], float]]] = {"base": _factor}

    def __init__(self, optimizer: Optimizer, base: float = 0.95) -> None:
        super().__init__(optimizer, base=base)

    def lr_at(self, epoch: int) -> float:
        return self.base**epoch * self.base_lr  # α = base^epoch · α0


class StepDecay(LRSchedule):
    """The discrete staircase: ``α = α0 · factor^⌊epoch / step_size⌋`` (α multiplied by
    ``factor`` every ``step_size`` epochs; PyTorch's ``StepLR(step_size, gamma=factor)``)."""

    _hyperparameters: ClassVar[dict[str, Callable[[str, str, Any], float]]] = {
        "step_size": _count, "factor": _factor}

    def __init__(self, optimizer: Optimizer, step_size: int, factor: float = 0.5) -> None:
        super().__init__(optimizer, step_size=step_size, factor=factor)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.factor ** (epoch // self.step_size)  # α0 · factor^⌊e/k⌋


class LambdaDecay(LRSchedule):
    """Any schedule: ``α = α0 · fn(epoch)``, e.g. the course's ``fn = lambda e: k / √e``
    shifted to start at 1 (``lambda e: 1 / math.sqrt(e + 1)``). ``fn`` must return a positive
    finite number; it is not saved (build the schedule with the same ``fn`` before loading)."""

    def __init__(self, optimizer: Optimizer, fn: Callable[[int], float]) -> None:
        if not callable(fn):
            raise ArgumentTypeError(
                f"LambdaDecay: fn must be a function of the epoch, such as lambda epoch: "
                f"0.95 ** epoch, not {fn!r}")
        self.fn = fn
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        factor = _positive("LambdaDecay", f"fn({epoch})", self.fn(epoch),
                           "a positive finite number (α = α0 · fn(epoch))")
        return self.base_lr * factor
