"""How a backward pass stores the gradients it computed in ``.grad`` (``store_grads``).

* ``.grad`` has the tensor's shape and dtype (a float32 weight used with float64 data gets a
  float32 gradient; a 0-d gradient is a 0-d array, not a numpy scalar);
* it adds up over ``backward()`` calls until ``zero_grad()`` (the rule: gradients accumulate);
* a leaf's ``.grad`` is an array of its own, so an optimizer may change it in place
  (``x + y`` hands the same ``dz`` to both); an intermediate's may be a neighbour's array.

It also notes, for ``advice.after_backward``, what tells a cell run twice or updates chained
without ``no_grad()``: a computed tensor an earlier backward went through, and leaves adding up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import advice


def store_grads(root: Any, totals: dict) -> None:
    """Add the gradients of one backward pass from ``root`` (``totals``: {tensor: dJ/dtensor})
    into the tensors' ``.grad``; then ``advice`` for a cell run twice or chained updates."""
    rerun = root._ctx is not None and root.grad is not None  # (before root.grad changes)
    store = GradStore()
    for tensor, total in totals.items():
        store.add(tensor, total)
    advice.after_backward(root, rerun, store.revisited, store.accumulated)


class GradStore:
    """Stores each total gradient of one backward pass (``add``), noting ``revisited`` (the
    first computed tensor whose ``.grad`` was already there) and ``accumulated`` (a leaf's was)."""

    def __init__(self) -> None:
        self.revisited, self.accumulated = None, False
        self.stored: set = set()  # id() of the arrays handed to a .grad as they are

    def add(self, tensor: Any, total: Any) -> None:
        """``.grad`` becomes ``total`` (at first) or ``.grad + total`` (a new array), in the
        tensor's dtype."""
        if type(total) is not np.ndarray or total.dtype is not tensor.data.dtype:
            total = np.asarray(total, dtype=tensor.data.dtype)  # 0-d, float32 W on float64 data
        if tensor.grad is not None:  # a second backward, or a leaf used again
            tensor.grad = np.asarray(tensor.grad + total)  # (0-d arrays add up to a scalar)
            if tensor._ctx is None:
                self.accumulated = True
            elif self.revisited is None:
                self.revisited = tensor
        elif tensor._ctx is None and (id(total) in self.stored or not total.flags.owndata
                                      or not total.flags.writeable):
            tensor.grad = np.array(total, copy=True)  # a leaf's .grad: an array of its own
        else:
            tensor.grad = total
            self.stored.add(id(total))
