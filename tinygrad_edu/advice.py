"""The warnings tinygrad_edu gives a learner: code that runs, but probably not as meant.

Each is a ``TinygradEduWarning`` (a ``UserWarning``) issued with ``warnings.warn``, so
Python's default filter shows it once per line of the learner's code (a loop warns once),
and ``warnings.filterwarnings("ignore", category=TinygradEduWarning)`` silences them all.

* ``rank1_broadcast``: the course's rank-1 trap (week 2): an ``(n,)`` vector met an
  ``(n, 1)`` column in an element-wise op and numpy made an ``(n, n)`` matrix;
* ``backward_rerun``: a second ``backward()`` through the same graph without ``zero_grad()``
  (a notebook cell run twice): ``.grad`` now holds the sum of both runs;
* ``chained_updates``: ``backward()`` ran into tensors an earlier ``backward()`` already went
  through: the course's ``W = W - lr * dW`` outside ``no_grad()`` made each update part of the
  next iteration's graph, so every backward runs through all earlier iterations.

The checks are made where they cost nothing on the usual path: the rank-1 check only when the
two operands of an element-wise op have different numbers of axes; the other two only where
``backward`` already handles a ``.grad`` that was not empty.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from .errors import describe


class TinygradEduWarning(UserWarning):
    """Code that runs, but probably does not compute what was meant (see ``advice``)."""


def _stacklevel() -> int:
    """The first frame outside tinygrad_edu: the warning points at the learner's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tinygrad_edu"):
        frame, level = frame.f_back, level + 1
    return level


def rank1_broadcast(op: str, x: Any, y: Any, result_shape: tuple) -> None:
    """Called by an element-wise op of a vector (n,) and a matrix: warns when it is (n, 1)."""
    vector, column = (x, y) if x.data.ndim == 1 else (y, x)
    if not (vector.data.ndim == 1 and column.data.ndim == 2):
        return
    n = vector.data.shape[0]
    if n < 2 or column.data.shape != (n, 1):
        return
    warnings.warn(
        f"{op}: {describe(vector)} is a rank-1 array and {describe(column)} a column, so "
        f"broadcasting made a {result_shape} matrix, not a ({n}, 1) column. This is "
        f"the course's rank-1 trap: make the vector a column with .reshape({n}, 1) (or create "
        f"it as ({n}, 1) in the first place).",
        TinygradEduWarning,
        stacklevel=_stacklevel(),
    )


def after_backward(root: Any, rerun: bool, revisited: Any, accumulated: bool) -> None:
    """After ``backward()``: part of its graph ran backward before (``revisited``, a computed
    tensor whose ``.grad`` was filled) while leaves added to their ``.grad``. After
    ``zero_grad()`` only the intermediates add up, and new graphs and mini-batches are silent."""
    if revisited is not None and accumulated:
        if rerun:  # the same cost again: a cell run twice
            backward_rerun(root)
        else:  # a new cost reaching an old graph: W = W - lr * dW chained the iterations
            chained_updates(revisited)


def backward_rerun(root: Any) -> None:
    """``backward()`` from a cost whose graph already ran backward, with leaves accumulating."""
    warnings.warn(
        f"backward(): {describe(root)} already ran backward and no zero_grad() came in "
        "between, so every .grad now holds the sum of both runs (the rule: gradients "
        "accumulate). If you ran the cell again, call opt.zero_grad() or W.zero_grad() on "
        "each parameter first; if you meant to add them up, ignore this warning.",
        TinygradEduWarning,
        stacklevel=_stacklevel(),
    )


def chained_updates(node: Any) -> None:
    """``backward()`` reached a computed tensor that an earlier ``backward()`` went through."""
    what = describe(node)
    if node.name and node._ctx is not None:
        what = f"{what} (made by {node._ctx.name})"
    warnings.warn(
        f"backward(): the graph reaches {what}, which an earlier "
        "backward() already went through, so the earlier graph is run again and its .grad "
        "values add up. In a training loop this is the update W = W - lr * dW written outside "
        "no_grad(): each new W is the output of last iteration's update, not a leaf, and every "
        "backward() runs through all earlier iterations (slower each time). Update the "
        "parameter itself instead: `with no_grad(): W -= lr * W.grad` (then W.zero_grad()), "
        "or an optimizer (tinygrad_edu.optim.SGD), or W.data -= lr * W.grad.",
        TinygradEduWarning,
        stacklevel=_stacklevel(),
    )
