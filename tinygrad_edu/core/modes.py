"""A thread's modes: grad mode (do ops record the graph?) and anomaly mode's checks, one switch
per thread (as in PyTorch), so a ``no_grad()`` in a data loader stops no other thread."""
import contextlib
import threading


class _Mode(threading.local):  # one thread's switches: __init__ runs once in each thread
    def __init__(self):
        self.grad = True  # record graphs (off inside no_grad)
        self.anomaly = False  # in detect_anomaly(): its checks .forward(out), .backward(node, d)
        self.grad_stack = []  # the modes that the open no_grad/enable_grad blocks restore

MODE = _Mode()

class HUNTING:  # threads in detect_anomaly(): read before MODE.anomaly, a slower thread-local
    threads, lock = 0, threading.Lock()

class _GradMode(contextlib.ContextDecorator):
    """Sets this thread's grad mode and restores it: ``with no_grad():`` or ``@no_grad()``."""
    enabled: bool  # the mode inside the block

    def __enter__(self):
        MODE.grad_stack.append(MODE.grad)
        MODE.grad = self.enabled
        return self

    def __exit__(self, *exc):
        MODE.grad = MODE.grad_stack.pop()

class no_grad(_GradMode):
    """Stop recording: results need no grad and keep no parents (evaluation, updates)."""
    enabled = False

class enable_grad(_GradMode):
    """Turn graph recording back on inside a ``no_grad`` block."""
    enabled = True

def is_grad_enabled():
    """Whether ops record the graph (in this thread)."""
    return MODE.grad
