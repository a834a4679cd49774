"""The driver: ``explain(J)`` walks the graph in the engine's order (outputs before inputs)
and calls each op's rule on symbols (``rules.run_rule``); a tensor used by several ops gets
the sum of their contributions, in the engine's order; the lines are then put in an order
easier to read (``_reading_order``).
"""

from __future__ import annotations

import heapq

import numpy as np

from .. import checks
from ..errors import BackwardError, describe
from .engine import Function, Shortcut, Tensor, topological_order
from .equations import Equation, Explanation, _is_gradient_var
from .forms import _finish
from .naming import _gradient_name, _label_tensors, _used
from .rules import run_rule
from .symbolic import Sym
from .values import _is_const

__all__ = ["explain"]


def explain(tensor: Tensor, notation: str = "course") -> Explanation:
    """The backprop equations of ``tensor`` (a cost), one per tensor that gets a gradient.

    Derived by running each op's own derivative rule on symbols, in the engine's order
    (reverse topological), so they are exactly what ``backward()`` computes: for the
    two-layer network ``dZ2 = (A2 - Y) / m``, ``dW2 = dZ2 @ A1ᵀ``,
    ``db2 = np.sum(dZ2, axis=1, keepdims=True)``, ``dA1 = W2ᵀ @ dZ2``,
    ``dZ1 = dA1 * (1 - A1**2)``, ...

    ``notation``: "course" (``ᵀ``, ``σ``, ``/ m``, the 1e-12 floor of the cross-entropy's
    rule in a footnote, the course's simplified forms after a second ``=``) or "numpy"
    (everything the rule computes, as numpy code: ``.T``, ``* (1.0 / m)``, ``np.maximum``).

    Returns an ``Explanation``: ``print`` it, show it in Jupyter, or iterate its
    ``Equation`` objects (``.target``, ``.name``, ``.expr``, ``.course``, ``.text``,
    ``.shape``, ``.evaluate()``, ``.expand()``).
    """
    checks.choice(notation, "explain", "notation", ("course", "numpy"))
    checks.tensor(tensor, "explain", "tensor", hint="Give the Tensor of a cost, e.g. explain(J).")
    if not tensor.requires_grad or tensor._ctx is None:
        raise BackwardError(
            f"explain() on {describe(tensor)}: it was not computed from tensors that require "
            "grad, so backward() has nothing to do. Create the parameters with "
            "requires_grad=True and compute the cost outside no_grad()."
        )
    if tensor.size != 1:
        raise BackwardError(
            f"explain() on {describe(tensor)}: backprop starts from a cost with one element; "
            "reduce it first (J = loss.mean() or .sum())."
        )
    result = Explanation(tensor, notation)
    symbols, result.definitions = _label_tensors(topological_order(tensor, False))
    result.symbols = symbols
    equations: dict = {}
    incoming: dict = {tensor: Sym.const(np.ones(tensor.shape, dtype=tensor.dtype))}
    passed: dict = {}  # as in the engine: parts a fused rule already carried past the tensor

    def add(into: dict, target: Tensor, ctx: Function, part: Sym) -> None:
        if target not in equations:
            equations[target] = Equation(result, target, _gradient_name(symbols[target].label))
        equations[target].parts.append((ctx, part))
        previous = into.get(target)
        into[target] = part if previous is None else previous + part

    for node in reversed(topological_order(tensor)):
        g = incoming.pop(node, None)  # what the tensor's own rule passes on
        done = passed.pop(node, None)
        if g is None and done is None:
            continue
        if node is not tensor:
            eq = equations[node]
            eq.expr = done if g is None else g if done is None else g + done
            _finish(eq, notation)
            if done is None:
                g = eq.symbol
                if _is_gradient_var(eq.expr) and (eq.expr.source.target.name or not node.name):
                    g = eq.expr  # d(W1 @ X) = dZ1: the next lines use dZ1
                elif eq.expr.shape == () and _is_const(eq.expr, 1):
                    g = eq.expr  # a term of J = J1 + J2 (dJ1 = 1): dA2 = (A2 - Y) / m
            result.equations.append(eq)
        ctx = node._ctx
        if ctx is None or g is None:
            continue
        parts = run_rule(ctx, g, symbols[node], [symbols[p] for p in ctx.parents])
        for parent, part in zip(ctx.parents, parts):
            if part is None or not parent.requires_grad:
                continue
            if type(part) is Shortcut:  # a fused rule: dZ = (A - Y) / m, past A's own rule
                add(passed, parent, ctx, part.grad)
                for inner, inner_part in zip(parent._ctx.parents, part.onward):
                    if inner_part is not None and inner.requires_grad:
                        add(incoming, inner, ctx, inner_part)
                continue
            add(incoming, parent, ctx, part)
    result.equations = _reading_order(tensor, result.equations)
    result.definitions = _used(result.definitions, [eq.text for eq in result.equations])
    return result


def _reading_order(root: Tensor, equations: list) -> list:
    """Another reverse topological order, easier to read than the engine's: after a
    gradient come at once the ones that follow from it alone (a parameter's ``dW``, ``db``,
    a pass-through ``d(W1 @ X) = dZ1``), in the order of the op's inputs; the others wait
    their turn in the engine's order. Every line still comes after all the lines it uses."""
    by_target = {eq.target: eq for eq in equations}
    engine_index = {eq.target: i for i, eq in enumerate(equations)}
    waiting: dict = {}
    for t in [root, *by_target]:
        for p in t._ctx.parents if t._ctx is not None else ():
            if p in by_target:
                waiting[p] = waiting.get(p, 0) + 1
    ordered: list = []
    later: list = []  # heap of (engine index, tensor)
    stack = [root]
    while True:
        while stack:
            t = stack.pop()
            if t is not root:
                ordered.append(by_target[t])
            at_once = []
            for p in t._ctx.parents if t._ctx is not None else ():
                if p not in by_target:
                    continue
                waiting[p] -= 1
                if waiting[p] == 0:
                    if p._ctx is None or _is_gradient_var(by_target[p].expr):
                        at_once.append(p)
                    else:
                        heapq.heappush(later, (engine_index[p], p))
            stack.extend(reversed(at_once))
        if not later:
            return ordered
        stack.append(heapq.heappop(later)[1])
