"""Calling the engine's derivative rules with symbols: ``run_rule(ctx, g, out, inputs)`` runs
an op's own ``backward`` on Syms and returns the formula of each input's gradient.

The op is copied with its settings and saved values; what it declares (``explain_symbols``:
a cost's ``m``, the penalty's ``λ``, dropout's saved mask ``D1``, batch norm's saved
``Z_norm1``; ``explain_divisor``: the ``1/m`` of a mean) is written as symbols, so
``dW2 = λ * W2 + ...`` and ``dA = dJ / m`` read like the notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine import Function, Tensor, declared_divisor, declared_symbols
from .rewriting import _rebuild
from .symbolic import Sym
from .values import _PYTHON_SCALARS

__all__ = ["run_rule"]


def _symbolic_copy(ctx: Function) -> Function:
    """The same op with the same settings and saved values, for its rule to run on symbols."""
    copy = object.__new__(type(ctx))
    copy.__dict__.update(vars(ctx))  # the settings (a new dict: the op itself is not changed)
    for cls in type(ctx).__mro__:  # the graph's fields, and the settings of an op in __slots__
        for slot in cls.__dict__.get("__slots__", ()):
            if slot != "__dict__" and hasattr(ctx, slot):
                setattr(copy, slot, getattr(ctx, slot))
    return copy


def _declared_symbol(label: str, value: Any) -> Sym:
    """The symbol an op declares for one of its settings or saved arrays (``explain_symbols``:
    a cost's ``m``, dropout's mask ``D1``, batch norm's ``Z_norm1``); it evaluates to the
    value itself."""
    if isinstance(value, _PYTHON_SCALARS):
        return Sym.var(label, value, (), np.int64 if type(value) is int else np.float64)
    values = np.asarray(value)
    return Sym.var(label, Tensor(values), values.shape, values.dtype)


def _put(rule: Function, attr: str, symbol: Sym) -> None:
    """``rule.<attr> = symbol``: a setting (``"m"``), the saved value (``"saved"``, dropout's
    mask) or one field of a saved named tuple (``"saved.z_norm"``: ``saved._replace``)."""
    owner, _, field = attr.partition(".")
    if field:
        setattr(rule, owner, getattr(rule, owner)._replace(**{field: symbol}))
    else:
        setattr(rule, attr, symbol)


def run_rule(ctx: Function, g: Sym, out: Sym, inputs: list) -> tuple:
    """Run the op's derivative rule on symbols: the formula of each input's gradient (None
    for an input that gets none, or the engine's ``Shortcut`` of a fused rule)."""
    rule = _symbolic_copy(ctx)
    for attr, (label, value) in declared_symbols(ctx).items():
        _put(rule, attr, _declared_symbol(label, value))
    try:
        with np.errstate(all="ignore"):
            grads = rule.backward(g, out, *inputs)
    except (TypeError, AttributeError) as error:
        raise NotImplementedError(
            f"explain(): the derivative rule of {ctx.name} uses an operation symbols do not "
            f"support yet ({error}); its gradient can only be computed, not written out"
        ) from error
    divisor = declared_divisor(ctx)
    if divisor is not None:  # e.g. mean: the rule's 1.0 / n is 1 / m
        label, n = divisor
        scale, one_over = 1.0 / n, Sym.const(1.0) / Sym.var(label, n, (), np.int64)
        grads = tuple(None if gr is None else _rebuild(
            gr, lambda node, args: one_over if node.op == "const" and node.weak and
            node.attrs == scale else None) for gr in grads)
    return grads
