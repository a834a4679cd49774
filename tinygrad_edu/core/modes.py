"""Grad mode: whether ops record the graph, one switch per thread (as in PyTorch), so a
``no_grad()`` in a data loader's thread does not stop another thread's training."""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _Mode(threading.local):
    """The switches of one thread (``__init__`` runs once in each: grad on, no anomaly)."""

    def __init__(self) -> None:
        self.grad = True  # record graphs (off inside no_grad)
        self.anomaly: Any = False  # detect_anomaly()'s checks (tinygrad_edu/anomaly.py)
        self.saved: list[bool] = []  # the modes that no_grad/enable_grad blocks restore


MODE = _Mode()


class _GradSwitch(contextlib.ContextDecorator):
    """Sets this thread's grad mode and restores it: ``with no_grad():`` or ``@no_grad()``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> _GradSwitch:
        MODE.saved.append(MODE.grad)
        MODE.grad = self.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        MODE.grad = MODE.saved.pop()


def no_grad() -> _GradSwitch:
    """Stop recording: results need no grad and keep no parents (evaluation, updates)."""
    return _GradSwitch(False)


def enable_grad() -> _GradSwitch:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _GradSwitch(True)


def is_grad_enabled() -> bool:
    """Whether ops record the graph (in this thread)."""
    return MODE.grad
