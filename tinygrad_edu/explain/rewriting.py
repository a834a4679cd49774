"""Rewriting trees, for display only (never for ``evaluate()``): rebuilding bottom-up with a
change, substituting upstream gradients, and the course's algebra recognised — equal factors
of a product/quotient cancel (``(A-Y)/(A(1-A)) * A(1-A) -> A-Y``), ``(A @ B)ᵀ = Bᵀ @ Aᵀ``,
the floors against division by zero dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .symbolic import Sym, _node
from .values import _FLOOR_LIMIT, _is_const

__all__ = ["_cancel", "_rebuild", "_recognise", "_strip_floors", "_substitute"]


def _strip_floors(s: Sym) -> Sym:
    """``np.maximum(x, 1e-12) -> x``: the floor of the cross-entropy's rule is a guard against
    division by zero, not part of the formula."""
    return _rebuild(s, lambda n, args: args[0] if n.op == "ufunc" and n.attrs is np.maximum
                    and args[1].op == "const" and 0 < float(np.max(args[1].attrs))
                    < _FLOOR_LIMIT else None)


def _substitute(s: Sym, mapping: dict) -> Sym:
    """Replace the vars whose key is in ``mapping`` by their trees."""
    return _rebuild(s, lambda n, args: mapping.get(n.key()) if n.op == "var" else None)


def _rebuild(s: Sym, change: Any) -> Sym:
    """Rebuild the tree bottom-up; ``change(node, new_args)`` returns a replacement or None."""
    memo: dict = {}
    for node in s.walk():
        args = tuple(memo[id(a)] for a in node.args)
        new = change(node, args)
        if new is None:
            if all(x is y for x, y in zip(args, node.args)):
                new = node
            else:
                new = _node(node.op, *args, attrs=node.attrs) if node.op != "call" else node
        memo[id(node)] = new
    return memo[id(s)]


def _factors(s: Sym, power: int, out: dict, sign: list) -> None:
    """Flatten a product/quotient into ``{key: [factor, exponent]}`` and a sign."""
    if s.op == "mul":
        _factors(s.args[0], power, out, sign)
        _factors(s.args[1], power, out, sign)
    elif s.op == "div":
        _factors(s.args[0], power, out, sign)
        _factors(s.args[1], -power, out, sign)
    elif s.op == "neg":
        sign[0] = -sign[0]
        _factors(s.args[0], power, out, sign)
    elif s.op == "square":
        _factors(s.args[0], 2 * power, out, sign)
    elif _is_const(s, 1) and s.weak:
        return
    else:
        entry = out.setdefault(s.key(), [s, 0, False])
        if entry[1] and (entry[1] > 0) != (power > 0):
            entry[2] = True  # met in the numerator and the denominator: cancels
        entry[1] += power


def _cancel(s: Sym) -> tuple[Sym, bool]:
    """Cancel equal factors of a product/quotient: ``(A-Y)/(A(1-A)) * A(1-A) -> A-Y``.

    Returns the tree and whether a factor cancelled. Kept only when the shape is unchanged.
    """
    if s.op not in ("mul", "div"):
        return s, False
    table: dict = {}
    sign = [1]
    _factors(s, 1, table, sign)
    if not any(cancelled for _, _, cancelled in table.values()):
        return s, False
    top: Sym | None = None
    bottom: list = []
    for factor, power, _ in table.values():
        for _ in range(abs(power)):
            if power > 0:
                top = factor if top is None else _node("mul", top, factor)
            else:
                bottom.append(factor)
    result = top if top is not None else Sym.const(1.0)
    for factor in bottom:
        result = _node("div", result, factor)
    if sign[0] < 0:
        result = _node("neg", result)
    if result.shape != s.shape:
        return s, False
    return result, True


def _recognise(s: Sym) -> tuple[Sym, bool]:
    """Apply the course's algebra bottom-up: cancel factors, ``(A @ B)ᵀ = Bᵀ @ Aᵀ``.
    Returns the tree and whether anything was recognised."""
    fired = [False]

    def change(node: Sym, args: tuple) -> Sym | None:
        if node.op == "transpose" and args[0].ndim == 2:
            inner = args[0]
            if inner.op == "matmul" and inner.args[0].ndim == 2 and inner.args[1].ndim == 2:
                fired[0] = True
                return _node("matmul", inner.args[1].T, inner.args[0].T)
        if node.op in ("mul", "div"):
            rebuilt = _node(node.op, *args, attrs=node.attrs)
            result, cancelled = _cancel(rebuilt)
            if cancelled:
                fired[0] = True
                return result
        return None

    result = _rebuild(s, change)
    return result, fired[0]
