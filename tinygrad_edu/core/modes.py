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
        self.grad_stack: list[bool] = []  # the modes that no_grad/enable_grad blocks restore


MODE = _Mode()


class _Hunting:
    """How many threads are inside ``detect_anomaly()``: a plain counter the hot path reads
    before ``MODE.anomaly`` (a thread-local lookup costs as much as the rest of an op's
    bookkeeping), so that the checks cost nothing while no thread hunts a nan."""

    threads = 0
    lock = threading.Lock()


HUNTING = _Hunting()


class _GradSwitch(contextlib.ContextDecorator):
    """Sets this thread's grad mode and restores it: ``with no_grad():`` or ``@no_grad()``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> _GradSwitch:
        MODE.grad_stack.append(MODE.grad)
        MODE.grad = self.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        MODE.grad = MODE.grad_stack.pop()


def no_grad() -> _GradSwitch:
    """Stop recording: results need no grad and keep no parents (evaluation, updates)."""
    return _GradSwitch(False)


def enable_grad() -> _GradSwitch:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _GradSwitch(True)


def is_grad_enabled() -> bool:
    """Whether ops record the graph (in this thread)."""
    return MODE.grad
