"""Grad mode: whether ops record the graph, one switch per thread (as in PyTorch), so a
``no_grad()`` in a data loader's thread does not stop another thread's training."""

from __future__ import annotations

import contextlib
import threading


class _Mode(threading.local):
    """One thread's switches; ``__init__`` runs once in each thread."""
    def __init__(self) -> None:
        self.grad = True  # record graphs (off inside no_grad)
        self.anomaly: object = False  # or detect_anomaly()'s checks, .forward and .backward
        self.grad_stack: list = []  # the modes that the open no_grad/enable_grad blocks restore

MODE = _Mode()

class HUNTING:
    """How many threads are inside ``detect_anomaly()``: read before the thread-local
    ``MODE.anomaly``, which costs as much as the rest of an op's bookkeeping."""
    threads, lock = 0, threading.Lock()

class _GradMode(contextlib.ContextDecorator):
    """Sets this thread's grad mode and restores it: ``with no_grad():`` or ``@no_grad()``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> _GradMode:
        MODE.grad_stack.append(MODE.grad)
        MODE.grad = self.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        MODE.grad = MODE.grad_stack.pop()

def no_grad() -> _GradMode:
    """Stop recording: results need no grad and keep no parents (evaluation, updates)."""
    return _GradMode(False)

def enable_grad() -> _GradMode:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _GradMode(True)

def is_grad_enabled() -> bool:
    """Whether ops record the graph (in this thread)."""
    return MODE.grad
