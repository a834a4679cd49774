"""The forward pass as numpy code: one line per named tensor, each from its op's declaration.

Every op says how its forward is written in numpy (``numpy_source(src, *inputs)`` on the op
class: ``ReLU`` → ``np.maximum(Z1, 0.0)``, ``binary_cross_entropy`` after a sigmoid →
``np.sum(np.logaddexp(0.0, -Z2) + (1.0 - Y) * Z2) / m``; the core's ops have theirs set in
``ops/notation.py``) — the same numpy calls, in the same order, as the op's own forward, so
the generated values are the eager values bit for bit.
An op whose forward *is* a numpy ufunc (``Add.forward = np.add``) needs no declaration: it is
written infix (``W1 @ X + b1``) or as ``np.<ufunc>(...)``.

An unnamed tensor used once, by such a ufunc op, is written inside its user's line (``W1 @ X``
inside ``Z1 = W1 @ X + b1``); other unnamed tensors get a line ``T<k> = ...`` of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine_api import CompileError, Tensor, index_parts
from .naming import Names

ATOM = 9  # precedence of a name, a number, a call
_INFIX = {"add": ("+", 1), "subtract": ("-", 1), "multiply": ("*", 2), "divide": ("/", 2),
          "true_divide": ("/", 2), "matmul": ("@", 2), "power": ("**", 4)}


class Code(str):
    """A piece of code: as a ``str`` it is wrapped in parentheses unless it is atomic (safe to
    put anywhere); ``.bare`` is the text itself (for a call's arguments), ``.prec`` its
    precedence (1 ``+ -``, 2 ``* / @``, 3 unary ``-``, 4 ``**``, 9 atoms)."""

    bare: str
    prec: int

    def __new__(cls, text: str, prec: int = ATOM) -> Code:
        self = super().__new__(cls, text if prec >= ATOM else f"({text})")
        self.bare, self.prec = text, prec
        return self


def atomic(text: str) -> bool:
    """Whether ``text`` is a name or one call/index expression (``np.sum(...)``, ``x[0]``)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0 and i != len(text) - 1 and text[i + 1] not in "([.":
                return False
        elif depth == 0 and not (ch.isalnum() or ch in "_."):
            return False
    return True


class Source:
    """What an op's ``numpy_source`` may ask for while its line is written."""

    def __init__(self, names: Names, program: Any) -> None:
        self.names = names
        self.program = program

    def tensor(self, t: Tensor) -> Code:
        """The code for any tensor of the graph (it gets a line of its own if it had none)."""
        return self.program.code_of(t, force_name=True)

    def const(self, value: Any, name: str | None = None) -> str:
        """A number as a literal; an array (a mask, an index) or another object (a random
        generator) as an argument of the program, ``C<k>`` or ``name``."""
        return self.names.constant(value, name)

    def keep(self, op: Any, attr: str, name: str, code: str) -> str:
        """A value the op saved for its rule computed by ``code`` on a line of its own named
        ``name``; ``attr`` is what ``explain_symbols`` declares it as (dropout's mask
        ``"saved"``, batch norm's ``"saved.z_norm"``), so the rule's symbol for it reads it."""
        return self.program.keep(op, attr, name, code)

    def statement(self, text: str) -> None:
        """A line that is a statement (``running_mean1 *= 0.9``: an array the op changes in
        place, passed as a ``const``), written where the op's line is written."""
        self.program.statement(text)

    def index(self, index: Any) -> str:
        """An index as written in ``x[...]``: slices and ints inline, arrays as constants."""
        def other(item: Any) -> str:
            if isinstance(item, int | np.integer) and not isinstance(item, bool):
                return str(int(item))
            return self.names.constant(np.asarray(item))

        parts = index_parts(index, other)
        return ", ".join(parts) + ("," if isinstance(index, tuple) and len(parts) == 1 else "")

    def m(self, m: int) -> str:
        """The number of examples of a mean cost: the name ``m``."""
        return self.names.examples(m)

    def reduce(self, per_element: str, cost: Any) -> tuple[str, int]:
        """``np.sum(...) / m`` for a mean cost, ``np.sum(...)`` for a sum (as ``_reduce``)."""
        if cost.reduction == "mean":
            return f"np.sum({per_element}) / {self.m(cost.m)}", 2
        return f"np.sum({per_element})", ATOM

    def refuse(self, op: Any, reason: str) -> None:
        raise CompileError(f"compile: the op {op.name} cannot be compiled: {reason}.")


def forward_code(ctx: Any, src: Source, inputs: list) -> Code:
    """The code computing the output of the op ``ctx`` from its inputs' code."""
    declared = getattr(ctx, "numpy_source", None)
    if declared is not None:
        # a method (src, *inputs) -> text or (text, precedence), or that as a template of the
        # inputs and settings: "np.maximum({0.bare}, 0.0)", ("{0} ** {exponent!r}", 4)
        result = (declared(src, *inputs) if callable(declared) else
                  _from_template(declared, inputs, ctx.attributes()))
        text, prec = result if isinstance(result, tuple) else (result, None)
        if prec is None:
            prec = ATOM if atomic(text) else 0
        return Code(text, prec)
    ufunc = getattr(type(ctx), "forward", None)
    numpy_function = ufunc is not None and getattr(np, getattr(ufunc, "__name__", ""), 0) is ufunc
    if numpy_function and not isinstance(ufunc, np.ufunc):  # np.sum(Z, axis=1, keepdims=True)
        settings = "".join(f", {k}={v!r}" for k, v in ctx.attributes().items()
                           if v is not None and v is not False)
        return Code(f"np.{ufunc.__name__}({inputs[0].bare}{settings})")
    if not isinstance(ufunc, np.ufunc):
        raise CompileError(
            f"compile: the op {ctx.name} ({type(ctx).__name__}) does not say how its forward "
            "is written in numpy; give the op class a method numpy_source(self, src, *inputs) "
            "returning that code (see tinygrad_edu/compile/forward.py)."
        )
    name = ufunc.__name__
    if name == "negative":
        x = inputs[0]
        return Code(f"-{x}" if x.prec >= 3 else f"-({x.bare})", 3)
    if name in _INFIX and len(inputs) == 2:
        symbol, prec = _INFIX[name]
        left, right = inputs
        mixed = left.prec == prec == 2 and (symbol == "@") != (_last_op(left) == "@")
        wrap = left.prec < prec or (prec == 4 and left.prec <= 4) or mixed  # (A * B) @ C
        left_text = f"({left.bare})" if wrap else left.bare
        right_text = right.bare if right.prec > prec else f"({right.bare})"
        return Code(f"{left_text} {symbol} {right_text}" if symbol != "**" else
                    f"{left_text}**{right_text}", prec)
    return Code(f"np.{name}({', '.join(x.bare for x in inputs)})")


def _from_template(template: Any, inputs: list, settings: dict) -> Any:
    text, prec = template if isinstance(template, tuple) else (template, None)
    return text.format(*inputs, **settings), prec


def _last_op(code: Code) -> str:
    """The top-level operator of a ``* / @`` expression (``@`` and ``*`` do not mix unwritten:
    ``(A * B) @ C`` keeps its parentheses)."""
    depth, last = 0, ""
    text = code.bare
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in "*/@" and text[i - 1] == " ":
            last = ch
    return last
