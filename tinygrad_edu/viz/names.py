"""What viz writes for a tensor and an op: the course's names, layers, roles and symbols.

An op may declare what it draws as (``viz_symbol``; ``infix`` for the ``+ - * / @ **`` of a
short formula such as ``W1 @ X``; ``course_defaults`` for settings not drawn); the others are
named by the table below.
"""

from __future__ import annotations

import re
from typing import Any

from ..tensor import Tensor

# op name -> the symbol drawn in its node (course notation where it has one)
_OP_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "x^k", "matmul": "@",
    "maximum": "max", "minimum": "min", "exp": "exp", "log": "log", "sqrt": "√", "abs": "|x|",
    "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu", "clip": "clip",
    "sum": "Σ", "mean": "mean", "max": "max", "min": "min",
    "binary_cross_entropy": "cross-entropy", "binary_cross_entropy_with_logits":
    "cross-entropy (logits)", "mse_loss": "squared error", "l2_penalty": "L2 penalty",
}
_LAYER_NAME = re.compile(r"^[A-Za-z_]+\[?(\d+)\]?$")  # W1, b1, Z1, A1, W[2]: layer 1, 2


def _op_label(op: str, attributes: dict, symbol: str | None = None,
              defaults: dict | None = None) -> str:
    """The text of an op's node. An op may declare its ``viz_symbol`` and the
    ``course_defaults`` of its settings (not drawn when the op has them)."""
    if op == "pow" and "exponent" in attributes:
        return f"x^{_number(attributes['exponent'])}"
    symbol = symbol or _OP_SYMBOLS.get(op, op)
    shown = {k: v for k, v in attributes.items() if v is not None and k not in ("kept_shape",)}
    for key, value in (defaults or {}).items():
        if key in shown and shown[key] == value:
            del shown[key]
    if op == "transpose" and shown.get("axes") in (None, (1, 0)):
        shown.pop("axes", None)  # the plain matrix transpose
    if op in ("sum", "mean", "max", "min") and not shown.get("keepdims"):
        shown.pop("keepdims", None)
    if op in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss") and \
            shown.get("reduction") == "mean":
        shown.pop("reduction")  # the course's default: 1/m Σ
    if op == "l2_penalty" and "lam" in shown:
        shown["λ"] = shown.pop("lam")  # λ/2 Σ W²
    if not shown:
        return symbol
    settings = ", ".join(f"{k}={_number(v)}" for k, v in shown.items())
    return f"{symbol} ({settings})"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shape(shape: tuple) -> str:
    """``(4, 400)``; a 0-d tensor (a cost) is a ``scalar``."""
    return "(" + ", ".join(map(str, shape)) + ")" if shape else "scalar"


def layer_of(name: str | None) -> int | None:
    """The course's layer index in a tensor name: ``W2``, ``b2``, ``Z2``, ``A2`` -> 2."""
    if not name:
        return None
    match = _LAYER_NAME.match(name)
    return int(match.group(1)) if match else None


def role_of(t: Tensor, root: Tensor) -> str:
    """``"output"`` (the root), ``"parameter"`` (a leaf that requires grad), ``"input"`` (a
    named leaf without grad, or an unnamed array such as a numpy X passed to a layer),
    ``"constant"`` (an unnamed one-element leaf such as 1.0) or ``"intermediate"``."""
    if t is root:
        return "output"
    if t._ctx is not None:
        return "intermediate"
    if t.requires_grad:
        return "parameter"
    if t.name or t.data.size > 1:
        return "input"
    return "constant"


def _expression(t: Tensor, depth: int = 3) -> str | None:
    """A short formula for a tensor from its named inputs (``W1 @ X``, ``σ(wᵀ @ X)``), looking
    at most ``depth`` unnamed ops deep; None when there is none under 25 characters."""
    if t.name:
        return t.name
    if t._ctx is None:
        return _number(t.data.item()) if t.data.size == 1 else None
    op, parents = t._ctx.name, t._ctx.parents
    infix = getattr(t._ctx, "infix", None)  # the op's own symbol between its two arguments
    if depth == 0 or op == "getitem" or len(parents) > 2:
        return None
    names, wrapped = [], []  # wrapped: in parentheses when the input is itself a + b, ...
    for p in parents:
        name = _expression(p, depth - 1)
        if name is None:
            return None
        names.append(name)
        compound = not p.name and getattr(p._ctx, "infix", None) is not None
        wrapped.append(f"({name})" if compound else name)
    if len(names) == 2:
        text = f"{wrapped[0]} {infix} {wrapped[1]}" if infix is not None else None
    elif op == "transpose":
        text = f"{wrapped[0]}ᵀ"
    else:
        text = f"{_OP_SYMBOLS.get(op, op)}({names[0]})"
    return text if text is not None and len(text) <= 24 else None


def _readable_name(t: Tensor) -> str:
    """A name for an unnamed tensor: a formula of named inputs (``W1 @ X``), else the op."""
    expression = _expression(t)
    if expression is not None:
        return expression
    if t._ctx is None:
        return "constant" if t.data.size <= 1 else "input"
    return t._ctx.name
