"""Grad mode: whether ops record the graph, one switch per thread (as in PyTorch).

``no_grad()`` in a data loader's or a web demo's thread does not stop another thread's
training from recording. The anomaly switch lives here too, because the hot path reads it;
``tinygrad_edu.anomaly`` (``detect_anomaly``) turns it on and provides its checks.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _Mode(threading.local):
    """The switches read on the hot path (one attribute lookup per op), one set per thread.

    ``__init__`` runs once in every thread that reads ``MODE``, so a new thread starts with
    grad mode on and anomaly mode off.
    """

    def __init__(self) -> None:
        self.grad = True  # record graphs (off inside no_grad)
        self.anomaly = False  # check every forward and backward value for nan/inf
        self.saved: list[bool] = []  # the modes no_grad/enable_grad blocks restore


MODE = _Mode()


class _AnomalyThreads:
    """How many threads are inside ``detect_anomaly()``: a plain counter the hot path reads
    first (``ANOMALY.threads and MODE.anomaly``), so the thread-local ``MODE.anomaly`` is
    looked up only while some thread hunts a nan. ``check_forward(out)`` and
    ``check_backward(node, parent, grad)`` are the checks, set by ``tinygrad_edu.anomaly``."""

    __slots__ = ("check_backward", "check_forward", "lock", "threads")

    def __init__(self) -> None:
        self.threads = 0
        self.lock = threading.Lock()
        self.check_forward: Any = None
        self.check_backward: Any = None


ANOMALY = _AnomalyThreads()


class _GradSwitch(contextlib.ContextDecorator):
    """Context manager *and* decorator that sets this thread's grad mode and restores it.

    The modes to restore are kept on this thread's ``MODE`` (a stack: blocks nest), so one
    ``no_grad()`` object (a decorated function, a shared ``with`` object) may be entered by
    several threads at once.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> _GradSwitch:
        mode = MODE
        mode.saved.append(mode.grad)
        mode.grad = self.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        mode = MODE
        mode.grad = mode.saved.pop()


def no_grad() -> _GradSwitch:
    """Stop recording graphs: ``with no_grad(): ...`` or ``@no_grad()`` on a function.

    Ops run as usual but their results do not require grad and keep no parents, so nothing
    is remembered for ``backward`` (use it for evaluation, prediction and parameter updates).
    """
    return _GradSwitch(False)


def enable_grad() -> _GradSwitch:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _GradSwitch(True)


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (in this thread)."""
    return MODE.grad
