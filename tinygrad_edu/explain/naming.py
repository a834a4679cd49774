"""Names in the equations: a tensor's ``name`` (``W1``, ``Z1``, ...); an unnamed intermediate
called by its forward formula when that is short (``d(W1 @ X)``) or a fused cost
(``d(mse_loss(A2, Y))``), else ``T<k>`` (counted in topological order) with a
``where T<k> = ...`` line; and a gradient's name (``dW1``, ``d(W1 @ X)``).
"""

from __future__ import annotations

import re

from .engine import Tensor, declared_formula, declared_symbols, is_cost
from .printing import _fmt
from .symbolic import Sym, _as_sym, _display
from .values import _ATOM

__all__ = ["_gradient_name", "_label_tensors", "_used"]

_SIMPLE_NAME = re.compile(r"[^\W\d][\w\[\]]*")
_MAX_FORMULA = 20  # an unnamed tensor is called by its formula up to this length


def _forward_formula(t: Tensor, parents: list) -> Sym:
    """The op that made ``t``, written with its parents' symbols (display only: no rewrite,
    so ``1.0 * A`` stays ``1 * A``): as the op declares (``explain_formula``: ``W1 @ X``,
    ``A**2``, ``Z1ᵀ``, ``σ(Z1)``), else as a call with its settings, each called by the
    symbol the op declares for it (``l2_penalty(W1, W2, λ=0.1)``)."""
    ctx = t._ctx
    formula = declared_formula(ctx, parents)
    if formula is not None:
        op, operands, attrs = formula
        return _display(op, [_as_sym(x) for x in operands], t.shape, attrs)
    settings = ctx.attributes()
    if is_cost(ctx) and settings.get("reduction") == "mean":
        del settings["reduction"]  # the course's default: 1/m Σ
    names = {attr: label for attr, (label, _) in declared_symbols(ctx).items()}
    extra = tuple(f"{names.get(k, k)}={v!r}" for k, v in sorted(settings.items())
                  if k not in ("m", "kept_shape", "sizes") and v is not None and v is not False)
    return _display("call", parents, t.shape, (ctx.name, extra))


def _label_tensors(order: list) -> tuple[dict, list]:
    """tensor -> Sym standing for its values; and the ``T<k> = ...`` definitions."""
    symbols: dict = {}
    definitions: list = []
    taken: dict = {}
    unnamed = 0
    for t in order:
        if t.name:
            count = taken.get(t.name, 0)
            taken[t.name] = count + 1
            label = t.name if count == 0 else f"{t.name}_{count + 1}"
            prec = _ATOM if _SIMPLE_NAME.fullmatch(label) else 0
            symbols[t] = Sym.var(label, t, t.shape, t.dtype, prec)
            continue
        if t._ctx is None and not t.requires_grad and t.size == 1:
            symbols[t] = Sym.const(t.data)  # a number in the formula: the 1 of 1 - A
            continue
        unnamed += 1
        if t._ctx is not None:
            formula = _forward_formula(t, [symbols[p] for p in t._ctx.parents])
            text, prec = _fmt(formula, "course", {})
            short = len(text) <= _MAX_FORMULA or is_cost(t._ctx)
            if short and text not in taken:
                taken[text] = 1
                symbols[t] = Sym.var(text, t, t.shape, t.dtype, prec)
                continue
            definitions.append(f"T{unnamed} = {text}   {t.shape}")
        else:
            role = "a parameter" if t.requires_grad else "a constant"
            definitions.append(f"T{unnamed} = {role} of shape {t.shape}")
        symbols[t] = Sym.var(f"T{unnamed}", t, t.shape, t.dtype)
    return symbols, definitions


def _gradient_name(label: str) -> str:
    simple = _SIMPLE_NAME.fullmatch(label) and "ᵀ" not in label
    return f"d{label}" if simple else f"d({label})"


def _used(definitions: list, texts: list) -> list:
    """The ``T<k> = ...`` lines the equations need (directly or through another one)."""
    needed = set(re.findall(r"\bd?(T\d+)\b", " ".join(texts)))  # T5 and its gradient dT5
    for line in reversed(definitions):  # a definition uses only earlier T's
        label, _, formula = line.partition(" = ")
        if label in needed:
            needed.update(re.findall(r"\bT\d+\b", formula))
    return [line for line in definitions if line.partition(" = ")[0] in needed]
