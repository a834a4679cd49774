"""What explain takes from the engine, and what it asks of an op: the one module of the
package that imports the engine (the rest of ``explain`` imports these names from here).

The protocol (every item optional; explain reads it with the defaults below, never by an op's
class or name — see the package's docstring for the list with examples):

* ``explain_formula(*inputs) -> (op, operands, attrs)``: how the op's forward is written
  (an op of two inputs that declares ``infix``, ``+ - * / ** @``, is written with it);
* ``explain_symbols() -> {attribute: (label, value)}``: settings and saved arrays written as
  symbols (``m``, ``λ``; ``"saved"``: dropout's mask ``D1``; ``"saved.z_norm"``: a field of
  a saved named tuple, batch norm's ``Z_norm1``);
* ``explain_divisor() -> (label, n)``: the ``1.0 / n`` of the rule written ``1 / label``;
* ``explain_cost = True``: a fused cost (named by its formula, its mean reduction implied).
"""

from __future__ import annotations

from typing import Any

from ..core.engine import Shortcut, topological_order
from ..core.function import Function
from ..core.tensor import Tensor
from ..costs import sigmoid_of
from ..ops.selection import scatter

__all__ = ["Function", "Shortcut", "Tensor", "declared_divisor", "declared_formula",
           "declared_symbols", "is_cost", "scatter", "sigmoid_of", "topological_order"]


def declared_formula(ctx: Function, inputs: list) -> tuple | None:
    """``(op, operands, attrs)``: the op's forward as a tree op of explain's (``"add"``,
    ``"pow"``, ``"transpose"``, ...), or None: written as a call ``name(inputs, settings)``."""
    formula = getattr(ctx, "explain_formula", None)
    if formula is not None:
        return formula(*inputs)
    if ctx.infix in _INFIX_OPS and len(inputs) == 2:
        return _INFIX_OPS[ctx.infix], tuple(inputs), None
    return None


_INFIX_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}


def declared_symbols(ctx: Function) -> dict:
    """``{attribute: (label, value)}``: what the op's rule uses that explain writes as a
    symbol, not as a value (a cost's ``m``, the penalty's ``λ``, batch norm's ``Z_norm1``)."""
    symbols = getattr(ctx, "explain_symbols", None)
    return {} if symbols is None else symbols()


def declared_divisor(ctx: Function) -> tuple | None:
    """``(label, n)``: the rule multiplies by the number ``1.0 / n``, written ``1 / label``
    (a mean over the examples: ``1 / m``); None when the op declares none."""
    divisor = getattr(ctx, "explain_divisor", None)
    return None if divisor is None else divisor()


def is_cost(ctx: Any) -> bool:
    """A fused cost (``explain_cost = True``): an unnamed one is called by its formula however
    long (``mse_loss(A2, Y)``), never ``T<k>``; its ``reduction="mean"`` is the course's 1/m."""
    return bool(getattr(ctx, "explain_cost", False))
