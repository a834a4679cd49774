"""The engine: the topological order and the backward loop (the chain rule).

A tensor made by an op keeps that op in ``_ctx``; the op keeps its inputs in ``parents``.
``backward`` walks the graph once, outputs before inputs, calls each op's derivative rule with
the upstream gradient and hands the results to the parents, adding them up where a tensor
feeds several ops (fan-out: ``x * x``)::

    for node in reversed(topological_order(J)):       # dJ/dJ = 1 first, then outputs→inputs
        node.grad += grads[node]                       # every path's share, added up
        dparents = node._ctx.backward(grads[node], node.data, *parents' data)  # the rule
        for parent, d in zip(parents, dparents):       # chain rule: dJ/dx = Σ dJ/dz · dz/dx
            grads[parent] += d

Semantics (also in the README):

* every tensor in the graph that requires grad receives ``.grad`` (intermediates too), as a
  numpy array of its own shape and dtype;
* ``.grad`` *accumulates*: a second ``backward()`` adds to what is there; ``zero_grad()``
  resets;
* a leaf's ``.grad`` is an array of its own (never a view shared with another tensor), so an
  optimizer may change it in place; an intermediate's ``.grad`` may share memory;
* a fused rule (``Shortcut``, e.g. the cross-entropy after a sigmoid) gives the input of the op
  before it its gradient in one formula; that op's own rule then runs only on the gradient
  its other uses give it.

The engine is typed against a protocol, not a class: a tensor is anything with ``data``,
``grad``, ``requires_grad`` and ``_ctx`` (``core/tensor.py`` makes them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import advice, messages
from ..errors import BackwardError, DtypeError, ShapeError
from .modes import ANOMALY, MODE


class Shortcut:
    """The engine's hook for a fused rule: what it returns for an input ``A`` another op made.

    ``grad`` is dJ/dA through this op, added to ``A.grad`` as usual; ``onward`` holds the
    gradients of the inputs of ``A``'s own op (one per parent of ``A``'s op, ``None`` for
    none), which the fused rule computed directly in one formula. The engine does *not* run
    ``A``'s rule on ``grad`` again (that would count this path twice); ``A``'s rule still
    receives what the other ops that used ``A`` give it.

    An op that may be fused declares it (``Sigmoid.fuses_with = {"binary_cross_entropy"}``,
    see ``Function.fuses_into``), and the cost asks ``A._ctx.fuses_into(self.name)``: the
    cross-entropy after a sigmoid gives ``dZ = (A - Y) / m`` exactly, where
    ``dA * A(1-A)`` would be 0 once σ(Z) rounds to 0 or 1.
    """

    __slots__ = ("grad", "onward")

    def __init__(self, grad: Any, onward: tuple) -> None:
        self.grad = grad
        self.onward = onward


def topological_order(roots: Any | Iterable[Any], only_requires_grad: bool = True) -> list:
    """Every tensor the roots depend on, each after all of its inputs (inputs first).

    Iterative depth-first search (a chain of 10⁵ ops needs no recursion), visited set keyed
    by identity. With ``only_requires_grad`` (the engine's use) tensors that need no gradient
    are skipped; ``viz`` and ``explain`` pass ``False`` to see constants and inputs too.
    """
    if hasattr(roots, "_ctx"):
        roots = (roots,)
    order: list = []
    visited: set = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        # stack of (tensor, iterator over its parents): a parent is entered when first seen,
        # a tensor is emitted when all its parents are done.
        stack = [(root, iter(root._ctx.parents) if root._ctx is not None else iter(()))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited and (parent.requires_grad or not only_requires_grad):
                    visited.add(parent)
                    ctx = parent._ctx
                    if ctx is None:  # a leaf has no inputs: it is done at once
                        order.append(parent)
                        continue
                    stack.append((parent, iter(ctx.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def run(roots: Sequence[Any], seeds: Sequence[Any], create_graph: bool,
        keep: set | None) -> tuple:
    """Propagate ``seeds`` from ``roots`` to every tensor that requires grad: the chain rule.

    Returns the total gradient of each tensor in ``keep`` (for ``grad``), or, when ``keep`` is
    None, writes it into ``.grad`` (for ``backward``). The rules receive numpy arrays, or
    Tensors when ``create_graph`` is set: the same rules. Also returns what ``backward``'s
    warnings need: the first computed tensor an earlier ``backward()`` went through (or
    None), and whether a leaf's ``.grad`` was added to.
    """
    revisited = None  # a computed tensor whose .grad an earlier backward() filled
    accumulated = False  # a leaf's .grad was added to
    grads: dict = {}  # tensor -> dJ/d(tensor) summed over the paths seen so far
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    check = ANOMALY.check_backward if ANOMALY.threads and MODE.anomaly else None
    shared: set = set()  # ids of arrays already stored in some .grad during this pass
    found: dict = {}
    passed: dict = {}  # tensor -> its gradient from fused rules, already carried past it
    for node in reversed(topological_order(roots)):
        g = grads.pop(node, None)  # what this tensor's own rule passes on
        if passed and node in passed:  # a fused rule skipped this tensor's rule (Shortcut)
            total = passed.pop(node) if g is None else g + passed.pop(node)
        elif g is None:
            continue
        else:
            total = g
        ctx = node._ctx
        if keep is not None:
            if node in keep:
                found[node] = total
        else:
            dtype = node.data.dtype  # `is not` first: the common case costs no comparison
            if total.dtype is not dtype and total.dtype != dtype:  # a float32 weight met
                total = total.astype(dtype)  # float64 data: .grad keeps the tensor's dtype
            if node.grad is not None:  # accumulation: a second backward, or a leaf used again
                node.grad = node.grad + total
                if ctx is None:
                    accumulated = True
                elif revisited is None:
                    revisited = node
            elif ctx is not None:  # an intermediate's first gradient (may be a neighbour's)
                node.grad = total
                shared.add(id(total))
            else:  # a leaf's first gradient: an array of its own
                node.grad = _own_array(total, shared)
        if ctx is None or g is None:
            continue
        parents = ctx.parents
        if create_graph:  # the rule on Tensors: its arithmetic is recorded
            parent_grads = ctx.backward(g, node, *parents)
        else:  # the rule on arrays: dZ = dA * ..., dW = dZ @ A_prev.T, ...
            parent_grads = ctx.backward(g, node.data, *[p.data for p in parents])
        for parent, pg in zip(parents, parent_grads):
            if pg is None or not parent.requires_grad:
                continue
            if type(pg) is Shortcut:
                _take_shortcut(node, parent, pg, grads, passed, check)
                continue
            if check is not None:
                check(node, parent, pg)
            previous = grads.get(parent)
            grads[parent] = pg if previous is None else previous + pg  # fan-out: add
    return found, revisited, accumulated


def _take_shortcut(node: Any, parent: Any, shortcut: Shortcut, grads: dict,
                   passed: dict, check: Any) -> None:
    """``parent`` gets ``shortcut.grad`` for its ``.grad`` only; the inputs of ``parent``'s op
    get ``shortcut.onward`` directly (see ``Shortcut``)."""
    if check is not None:
        check(node, parent, shortcut.grad)
    previous = passed.get(parent)
    passed[parent] = shortcut.grad if previous is None else previous + shortcut.grad
    for inner, ig in zip(parent._ctx.parents, shortcut.onward):
        if ig is None or not inner.requires_grad:
            continue
        if check is not None:
            check(node, inner, ig)
        previous = grads.get(inner)
        grads[inner] = ig if previous is None else previous + ig


def _own_array(g: np.ndarray, shared: set) -> np.ndarray:
    """``g``, or a copy of it when it is a view or already some tensor's ``.grad``."""
    if id(g) in shared or not g.flags.owndata or not g.flags.writeable:
        return np.array(g, copy=True)
    shared.add(id(g))
    return g


def seed(root: Any, gradient: Any) -> np.ndarray:
    """The gradient that starts backward at ``root``: 1 for a scalar, else the user's array."""
    if gradient is None:
        if root.data.size != 1:
            raise BackwardError(messages.needs_seed(root))
        if not math.isfinite(root.data.item()):  # one value: no array-wide check needed
            raise BackwardError(messages.cost_not_finite(root))
        one = np.array(1.0, dtype=root.data.dtype)  # dJ/dJ = 1
        return np.ones(root.shape, dtype=one.dtype) if root.ndim else one  # (1, 1): ones
    values = gradient.data if hasattr(gradient, "_ctx") else gradient  # a Tensor's values
    kind = getattr(values, "dtype", None)
    if kind is None or kind.kind not in "biuf":  # not casting complex/text/objects
        values = _real_gradient(values, root)
    array = np.array(values, dtype=root.data.dtype, copy=True)  # never alias the caller's
    if array.shape != root.shape:
        raise ShapeError(messages.seed_shape(array, root))
    if not np.all(np.isfinite(array)):  # the user's array: checked once per backward
        raise BackwardError(messages.seed_not_finite(root))
    return array


def _real_gradient(values: Any, root: Any) -> np.ndarray:
    """The user's gradient as an array of real numbers (complex/text/objects are refused)."""
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ShapeError(messages.seed_ragged(root, error)) from None
    if array.dtype.kind not in "biuf":
        raise DtypeError(messages.seed_not_real(root, array, values))
    return array


def check_can_backward(root: Any, what: str) -> None:
    if not root.requires_grad:
        raise BackwardError(messages.cannot_backward(root, what))


def backward(root: Any, gradient: Any = None) -> None:
    """Fill ``.grad`` of every tensor ``root`` depends on that requires grad
    (``Tensor.backward``)."""
    check_can_backward(root, "backward()")
    rerun = root._ctx is not None and root.grad is not None  # this graph ran backward before
    recording = MODE.grad
    MODE.grad = False  # as no_grad() (this thread's): the rules' arithmetic records nothing
    try:
        _, revisited, accumulated = run((root,), (seed(root, gradient),), False, None)
    finally:
        MODE.grad = recording
    # part of this graph ran backward before, and leaves added to their .grad (after
    # zero_grad() only the intermediates add up: silent; new graphs, mini-batches: silent)
    if revisited is not None and accumulated:
        if rerun:  # the same cost again: a cell run twice
            advice.backward_rerun(root)
        else:  # a new cost reaching an old graph: W = W - lr * dW chained the iterations
            advice.chained_updates(revisited)
