"""The backward pass: the graph in topological order, then the chain rule from the cost back
to every tensor that requires grad, adding up where a tensor feeds several ops (``x * x``).
How ``.grad`` is stored (dtype, accumulation, a leaf's own array): ``grad_store.py``."""

from __future__ import annotations

from typing import Any

from .. import advice, tensor_checks
from ..grad_store import GradStore
from .modes import HUNTING, MODE


class Shortcut:
    """The hook for a fused rule, returned as the gradient of an input ``A`` that an op made:
    ``grad`` goes to ``A.grad``, ``onward`` straight to the inputs of ``A``'s op, whose rule then
    does not run. The cross-entropy after a sigmoid gives ``dZ = (A - Y) / m`` exactly, where
    ``dA * A(1 - A)`` is 0 or damped once σ(Z) rounds to 0 or 1."""

    def __init__(self, grad: Any, onward: tuple) -> None:
        self.grad, self.onward = grad, onward

def topological_order(roots: Any, only_requires_grad: bool = True) -> list:
    """Every tensor the roots depend on, each after its inputs (depth first, no recursion);
    ``viz`` and ``explain`` pass ``only_requires_grad=False`` to see the constants too."""
    order, visited = [], set()
    for root in (roots,) if hasattr(roots, "_ctx") else roots:
        stack = [] if root in visited else [(root, iter(root._ctx.parents if root._ctx else ()))]
        visited.add(root)
        while stack:  # (a tensor, its parents still to visit)
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited and (parent.requires_grad or not only_requires_grad):
                    visited.add(parent)
                    if parent._ctx is None:  # a leaf is placed at once
                        order.append(parent)
                    else:
                        stack.append((parent, iter(parent._ctx.parents)))
                        break
            else:  # all its inputs are placed: so is the tensor
                stack.pop()
                order.append(node)
    return order

def run(roots: list, seeds: list, create_graph: bool, keep: set | None) -> tuple:
    """The chain rule from ``roots`` (dJ/droot = ``seeds``) into ``.grad``, or, for ``grad()``,
    returned for the tensors in ``keep``: ``(their gradients, the GradStore)``. The rules get
    arrays, or Tensors with ``create_graph`` (then their arithmetic is recorded)."""
    grads: dict = {}  # tensor -> dJ/d(tensor), added up over the paths seen so far
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    passed: dict = {}  # tensor -> what fused rules gave it past its own rule (Shortcut)
    found, store = {}, GradStore()
    check = MODE.anomaly.backward if HUNTING.threads and MODE.anomaly else None
    for node in reversed(topological_order(roots)):  # dJ/dJ first, then outputs → inputs
        dout = total = grads.pop(node, None)  # dout: what this tensor's own rule passes on
        if passed and node in passed:
            total = passed.pop(node) if dout is None else dout + passed.pop(node)
        if total is None:
            continue
        if keep is None:
            store.add(node, total)
        elif node in keep:
            found[node] = total
        ctx = node._ctx
        if ctx is None or dout is None:  # a leaf has no rule; a tensor reached only by a
            continue  # Shortcut has had its gradient passed on already
        if create_graph:
            dinputs = ctx.backward(dout, node, *ctx.parents)
        else:  # the rule on arrays: dZ = dA * ..., dW = dZ @ A_prev.T, ...
            dinputs = ctx.backward(dout, node.data, *[p.data for p in ctx.parents])
        if ctx.checked:  # an op of one's own: one gradient per input, of the input's shape
            dinputs = tensor_checks.rule_result(ctx, dinputs)
        for parent, d in zip(ctx.parents, dinputs):
            if d is None or not parent.requires_grad:  # None: needs_input_grad wanted none
                continue
            if type(d) is Shortcut:
                _take_shortcut(node, parent, d, grads, passed, check)
                continue
            if check is not None:  # (_add written out: this is the hot path)
                check(node, parent, d)
            grads[parent] = d if parent not in grads else grads[parent] + d  # Σ over uses
    return found, store

def _add(grads: dict, tensor: Any, d: Any, node: Any, check: Any) -> None:
    if d is not None and tensor.requires_grad:
        if check is not None:
            check(node, tensor, d)
        grads[tensor] = d if tensor not in grads else grads[tensor] + d

def _take_shortcut(node: Any, parent: Any, shortcut: Shortcut, grads: dict, passed: dict,
                   check: Any) -> None:
    """``shortcut.grad`` goes to ``parent.grad`` only, ``shortcut.onward`` to its op's inputs."""
    _add(passed, parent, shortcut.grad, node, check)
    for inner, d in zip(parent._ctx.parents, shortcut.onward):
        _add(grads, inner, d, node, check)

def backward(root: Any, gradient: Any = None) -> None:
    """Fill ``.grad`` of every tensor ``root`` depends on that requires grad."""
    tensor_checks.can_backward(root, "backward()")
    seed = tensor_checks.seed(root, gradient)
    rerun = root._ctx is not None and root.grad is not None
    recording, MODE.grad = MODE.grad, False  # the rules' own arithmetic records nothing
    try:
        store = run([root], [seed], create_graph=False, keep=None)[1]
    finally:
        MODE.grad = recording
    advice.after_backward(root, rerun, store.revisited, store.accumulated)
