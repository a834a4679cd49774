"""Anomaly mode: find the op that made the first nan or inf.

``detect_anomaly()`` puts this file's checks into this thread's ``MODE.anomaly``
(``core.modes``); while it is there, every recorded op's output is checked by
``check_forward_finite`` and the gradients each rule returns by ``check_rule_finite``, each
one by ``check_backward_finite`` (the engine calls them as ``MODE.anomaly.forward`` /
``.backward``: the core does not import this file).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from .core.engine import Shortcut
from .core.modes import HUNTING, MODE
from .errors import AnomalyError, describe


@contextlib.contextmanager
def detect_anomaly() -> Any:
    """Raise ``AnomalyError`` at the first op whose output or gradient holds nan or inf.

    Anomaly mode, like grad mode, is the calling thread's: other threads are not checked.

    Without it a nan spreads silently through the rest of the graph; with it the error
    names the op, its input tensors and their shapes. It costs one ``isfinite`` check per op,
    so use it to hunt a problem, not in every training loop.
    """
    previous = MODE.anomaly
    with HUNTING.lock:
        HUNTING.threads += 1
    MODE.anomaly = CHECKS
    try:
        yield
    finally:
        MODE.anomaly = previous
        with HUNTING.lock:
            HUNTING.threads -= 1


def check_forward_finite(out: Any) -> None:
    """Anomaly mode: complain about the op that turned finite inputs into nan/inf."""
    if np.all(np.isfinite(out.data)):
        return
    ctx = out._ctx
    if ctx is None:
        return
    inputs = ", ".join(describe(p) for p in ctx.parents)
    bad_inputs = [
        p for p in ctx.parents if p.data.dtype.kind == "f" and not np.all(np.isfinite(p.data))
    ]
    if any(p._ctx is not None for p in bad_inputs):
        return  # the nan came in from an op's output; the op that made *that* input was reported
    # a leaf holding nan/inf (data or a constant) is reported at the first op that uses it
    source = "finite inputs" if not bad_inputs else "inputs where " + ", ".join(
        f"{describe(p)} already holds {_bad_values(p.data)}" for p in bad_inputs
    ) + " (data given to the graph)"
    raise AnomalyError(
        f"detect_anomaly: {ctx.name} produced {_bad_values(out.data)} in its output "
        f"{out.shape} from {source} [{inputs}]. Look at the values reaching {ctx.name} "
        "(a log of 0, a division by 0, an exp that overflows, a learning rate that is too large)."
    )


def _bad_values(values: np.ndarray) -> str:
    n_nan = int(np.isnan(values).sum())
    n_inf = int(np.isinf(values).sum())
    parts = [f"{n_nan} nan" if n_nan else "", f"{n_inf} inf" if n_inf else ""]
    return " and ".join(p for p in parts if p)


def check_rule_finite(node: Any, dinputs: tuple) -> None:
    """Anomaly mode: complain about the rule of ``node``'s op if a gradient it returned holds
    nan or inf (``dinputs``: one per input; a ``Shortcut``'s for the input and past it)."""
    for parent, d in zip(node._ctx.parents, dinputs):
        if d is None or not parent.requires_grad:
            continue
        if type(d) is Shortcut:
            if d.grad is not None:  # None: nothing for the input itself, only past it
                check_backward_finite(node, parent, d.grad)
            for inner, d_inner in zip(parent._ctx.parents, d.onward):
                if d_inner is not None and inner.requires_grad:
                    check_backward_finite(node, inner, d_inner)
        else:
            check_backward_finite(node, parent, d)


def check_backward_finite(node: Any, parent: Any, grad: Any) -> None:
    """Anomaly mode: complain about ``grad``, the gradient ``node``'s rule gave ``parent``."""
    values = grad.data if hasattr(grad, "_ctx") else grad
    if np.all(np.isfinite(values)):
        return
    raise AnomalyError(
        f"detect_anomaly: the backward rule of {node._ctx.name} (which made {describe(node)}) "
        f"produced {_bad_values(np.asarray(values))} in the gradient for {describe(parent)}. "
        "The derivative is infinite or undefined at these inputs (e.g. log or division at 0, "
        "sqrt at 0)."
    )


class _Checks:
    """What the engine calls in anomaly mode: ``forward(out)``, ``backward(node, dinputs)``."""

    forward = staticmethod(check_forward_finite)
    backward = staticmethod(check_rule_finite)


CHECKS = _Checks()
