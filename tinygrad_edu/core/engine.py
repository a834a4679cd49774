"""The engine: the topological order and the backward loop, which is the chain rule.

``backward`` visits the graph once, outputs before inputs, runs each op's rule on the
upstream gradient and hands the results to its inputs, adding them up where a tensor feeds
several ops (fan-out: ``x * x``). Every tensor that requires grad gets ``.grad``, an array of
its shape and dtype; ``.grad`` accumulates over ``backward()`` calls until ``zero_grad()``. A
leaf's ``.grad`` is an array of its own, so an optimizer may change it in place; an
intermediate's ``.grad`` may be the same array as a neighbour's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import advice, tensor_checks
from .modes import HUNTING, MODE


class Shortcut:
    """What a fused rule returns for an input ``A`` that another op made: ``grad`` (dJ/dA)
    goes into ``A.grad``, ``onward`` straight to the inputs of ``A``'s op, whose rule then does
    not run on it. The cross-entropy after a sigmoid (``Sigmoid.fuses_with``) gives
    ``dZ = (A - Y) / m`` exactly, where ``dA * A(1 - A)`` is 0 once σ(Z) rounds to 0 or 1."""

    def __init__(self, grad: Any, onward: tuple) -> None:
        self.grad, self.onward = grad, onward


def topological_order(roots: Any, only_requires_grad: bool = True) -> list:
    """Every tensor the roots depend on, each after its inputs: a depth-first search without
    recursion. ``viz`` and ``explain`` pass ``only_requires_grad=False`` to see constants."""
    order: list = []
    visited: set = set()
    for root in (roots,) if hasattr(roots, "_ctx") else roots:
        if root not in visited:
            visited.add(root)
            stack = [(root, iter(root._ctx.parents if root._ctx else ()))]
            while stack:  # (a tensor, its parents still to visit)
                node, parents = stack[-1]
                for parent in parents:
                    if parent not in visited and (parent.requires_grad or not only_requires_grad):
                        visited.add(parent)
                        if parent._ctx is None:  # a leaf is done at once
                            order.append(parent)
                            continue
                        stack.append((parent, iter(parent._ctx.parents)))
                        break
                else:  # all its inputs are placed: so is the tensor
                    stack.pop()
                    order.append(node)
    return order


def run(roots: list, seeds: list, create_graph: bool, keep: set | None) -> tuple:
    """The chain rule from ``roots`` (dJ/droot = ``seeds``) to every tensor that requires grad:
    into ``.grad``, or for ``grad()`` returned for the tensors in ``keep``. The rules get arrays,
    or Tensors with ``create_graph`` (then their arithmetic is recorded). Returns the
    gradients of ``keep``, the first computed tensor an earlier backward reached, and whether
    a leaf's ``.grad`` was added to (for ``advice.after_backward``)."""
    grads: dict = {}  # tensor -> dJ/d(tensor), added up over the paths seen so far
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    passed: dict = {}  # tensor -> what fused rules gave it past its own rule (Shortcut)
    found, store = {}, _Store()
    check = MODE.anomaly.backward if HUNTING.threads and MODE.anomaly else None
    for node in reversed(topological_order(roots)):  # dJ/dJ first, then outputs → inputs
        dout = grads.pop(node, None)  # what this tensor's own rule passes on
        total = dout
        if passed and node in passed:
            total = passed.pop(node) if dout is None else dout + passed.pop(node)
        if total is None:
            continue
        ctx = node._ctx
        if keep is not None:
            if node in keep:
                found[node] = total
        elif (ctx is not None and node.grad is None and type(total) is np.ndarray
              and total.dtype is node.data.dtype):
            node.grad = total  # an intermediate's first gradient: the common case, inline
            store.shared.add(id(total))
        else:
            store.add(node, total)
        if ctx is None or dout is None:  # a leaf has no rule; a tensor reached only by a
            continue  # Shortcut has had its gradient passed on already
        if create_graph:
            dinputs = ctx.backward(dout, node, *ctx.parents)
        else:  # the rule on arrays: dZ = dA * ..., dW = dZ @ A_prev.T, ...
            dinputs = ctx.backward(dout, node.data, *[p.data for p in ctx.parents])
        for parent, d in zip(ctx.parents, dinputs):  # dJ/dx = Σ over uses of dJ/dz · dz/dx
            if d is None or not parent.requires_grad:
                continue
            if type(d) is Shortcut:
                _take_shortcut(node, parent, d, grads, passed, check)
                continue
            if check is not None:  # (_add, written out: this loop is the hot path)
                check(node, parent, d)
            grads[parent] = d if parent not in grads else grads[parent] + d  # fan-out: add
    return found, store.revisited, store.accumulated


def _add(grads: dict, tensor: Any, d: Any, node: Any, check: Any) -> None:
    if d is not None and tensor.requires_grad:
        if check is not None:
            check(node, tensor, d)
        grads[tensor] = d if tensor not in grads else grads[tensor] + d


def _take_shortcut(node: Any, parent: Any, shortcut: Shortcut, grads: dict, passed: dict,
                   check: Any) -> None:
    """``parent`` gets ``shortcut.grad`` for its ``.grad`` only, the inputs of its op get
    ``shortcut.onward`` (see ``Shortcut``)."""
    _add(passed, parent, shortcut.grad, node, check)
    for inner, d in zip(parent._ctx.parents, shortcut.onward):
        _add(grads, inner, d, node, check)


class _Store:
    """Stores a total gradient in ``.grad`` (in the tensor's dtype), noting for
    ``advice.after_backward`` a computed tensor an earlier backward went through
    (``revisited``) and whether a leaf's ``.grad`` was added to (``accumulated``)."""

    def __init__(self) -> None:
        self.revisited, self.accumulated, self.shared = None, False, set()

    def add(self, node: Any, total: Any) -> None:
        if type(total) is not np.ndarray or total.dtype != node.data.dtype:  # a 0-d result, or
            total = np.asarray(total, dtype=node.data.dtype)  # a float32 weight met float64 data
        if node.grad is not None:  # accumulation: a second backward, or a leaf used again
            node.grad = np.asarray(node.grad + total)  # (0-d arrays add up to a scalar)
            if node._ctx is None:
                self.accumulated = True
            elif self.revisited is None:
                self.revisited = node
        elif node._ctx is None and (id(total) in self.shared or not total.flags.owndata
                                    or not total.flags.writeable):
            node.grad = np.array(total, copy=True)  # a leaf's .grad: an array of its own
        else:
            node.grad = total
            self.shared.add(id(total))


def backward(root: Any, gradient: Any = None) -> None:
    """Fill ``.grad`` of every tensor ``root`` depends on that requires grad."""
    tensor_checks.can_backward(root, "backward()")
    seed = tensor_checks.seed(root, gradient)
    rerun = root._ctx is not None and root.grad is not None
    recording, MODE.grad = MODE.grad, False  # the rules' own arithmetic records nothing
    try:
        _, revisited, accumulated = run([root], [seed], False, None)
    finally:
        MODE.grad = recording
    advice.after_backward(root, rerun, revisited, accumulated)
