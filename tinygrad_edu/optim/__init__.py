"""Optimizers: gradient descent (F1.7), momentum, RMSprop and Adam (F14), updating parameters
in place; learning-rate schedules and gradient-norm clipping (F14).

    opt = optim.SGD(model.parameters(), lr=1.2)
    opt.zero_grad(); J.backward(); opt.step()

``step()`` changes each parameter's ``.data`` array in place (no new Tensor, no graph) using
its ``.grad``; a parameter whose ``.grad`` is None (it did not take part in the cost) is left
alone. Every gradient is checked before anything changes (its parameter's shape and dtype, no
nan or inf): a step that raises leaves the parameters and the optimizer's state as they were.
``zero_grad()`` sets every ``.grad`` to None. ``lr`` may be changed between steps
(``opt.lr = 0.1``, checked like the constructor's) or by a schedule::

    schedule = optim.InverseTimeDecay(opt, decay_rate=1.0)  # α = α0 / (1 + decay_rate · epoch)
    ...; schedule.step()                                   # once per epoch

Clipping, between ``backward()`` and ``step()``: ``optim.clip_grad_norm_(model.parameters(),
max_norm=1.0)``.

To resume training later, save the optimizer (and the schedule) beside the model (Adam's
moments and step counts, Momentum's velocity are part of where training is)::

    model.save("run"); opt.save("run_opt"); schedule.save("run_schedule")
    # later, a fresh model, optimizer and schedule built the same way:
    model.load("run"); opt.load("run_opt"); schedule.load("run_schedule")  # bit for bit
"""

from __future__ import annotations

from .checks import checked_gradients
from .clip import clip_grad_norm_
from .optimizer import Optimizer
from .optimizers import SGD, Adam, Momentum, RMSprop
from .schedules import ExponentialDecay, InverseTimeDecay, LambdaDecay, LRSchedule, StepDecay

__all__ = [
    "SGD",
    "Adam",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LRSchedule",
    "LambdaDecay",
    "Momentum",
    "Optimizer",
    "RMSprop",
    "StepDecay",
    "checked_gradients",
    "clip_grad_norm_",
]
