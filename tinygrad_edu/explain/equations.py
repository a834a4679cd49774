"""What ``explain(J)`` returns: an ``Explanation``, the list of its ``Equation`` objects (one
line of backprop each: the tree the engine's rule computes, the course's form, the text).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..errors import describe
from .engine import Tensor
from .printing import _fmt, explanation_html, explanation_latex, explanation_lines
from .rewriting import _substitute
from .symbolic import Sym
from .values import _in_dtype_of

__all__ = ["Equation", "Explanation", "_is_gradient_var"]


class Equation:
    """One line of backprop: ``name = expr`` for the tensor ``target``.

    ``expr`` is the tree the engine's rules compute (upstream gradients appear as vars such as
    ``dZ2``); ``course`` the course's simplified form when one was recognised, else None;
    ``text`` the line; ``shape`` the gradient's shape (the target's); ``parts`` the
    contribution of each op that used the target (several: the line is their sum).
    """

    def __init__(self, explanation: Explanation, target: Tensor, name: str) -> None:
        self.explanation = explanation
        self.target = target
        self.name = name
        self.parts: list = []
        self.expr: Sym = Sym.const(0.0)
        self.course: Sym | None = None
        self.reduced: Sym = self.expr  # the form inlined into the next lines' simplification
        self.notes: list[str] = []
        self.rule_text = ""  # the expression the rule computes, as printed
        self.course_text = ""  # the course's form, as printed ("" when none was recognised)
        self.text = ""
        self.symbol = Sym.var(name, self, target.shape, target.dtype)

    @property
    def shape(self) -> tuple:
        return self.target.shape

    def evaluate(self) -> np.ndarray:
        """The gradient computed with numpy from the tensors' values and the upstream
        equations (the same arithmetic as the engine: equals ``target.grad``)."""
        return self.explanation.evaluate()[self]

    def expand(self) -> Sym:
        """The gradient in terms of the forward tensors only (every upstream gradient
        inlined, in its recognised course form; floors dropped)."""
        return self.explanation._expand(self)

    def __repr__(self) -> str:
        return f"Equation({self.text!r})"

    def __str__(self) -> str:
        return self.text


class Explanation:
    """The equations of ``explain(J)``: iterate them, print them, or show them in Jupyter."""

    def __init__(self, root: Tensor, notation: str) -> None:
        self.root = root
        self.notation = notation
        self.equations: list[Equation] = []
        self.symbols: dict = {}  # tensor -> Sym var standing for its values
        self.definitions: list[str] = []  # "T4 = W1 @ X" for tensors named T<k>
        self._expanded: dict = {}

    def __iter__(self) -> Iterator[Equation]:
        return iter(self.equations)

    def __len__(self) -> int:
        return len(self.equations)

    def __getitem__(self, key: int | str | Tensor) -> Equation:
        """By position, by name (``"dW1"``) or by target tensor."""
        if isinstance(key, int):
            return self.equations[key]
        for eq in self.equations:
            if eq.target is key or (isinstance(key, str) and eq.name == key):  # never Tensor ==
                return eq
        raise KeyError(f"no equation for {key if isinstance(key, str) else describe(key)}")

    def symbol(self, tensor: Tensor) -> Sym:
        """The Sym standing for a tensor's values in the equations (``A2``, ``Y``, ...)."""
        return self.symbols[tensor]

    def format(self, s: Sym) -> str:
        """A Sym written in this explanation's notation (``W2ᵀ @ dZ2``): e.g. one of an
        equation's ``parts`` (a fan-out's terms)."""
        return _fmt(s, self.notation, {})[0]

    def evaluate(self) -> dict:
        """``{equation: gradient}``, every equation computed in order with numpy."""
        values: dict = {}
        for eq in self.equations:
            values[eq] = eq.expr.evaluate(values)  # upstream values as the engine passes them
        return {eq: _in_dtype_of(eq.target, value) for eq, value in values.items()}

    def _expand(self, eq: Equation) -> Sym:
        if eq not in self._expanded:
            for earlier in self.equations:  # upstream first: no deep recursion
                if earlier in self._expanded:
                    continue
                mapping = {v.source.symbol.key(): self._expanded[v.source]
                           for v in earlier.reduced.walk()
                           if v.op == "var" and isinstance(v.source, Equation)}
                self._expanded[earlier] = _substitute(earlier.reduced, mapping)
                if earlier is eq:
                    break
        return self._expanded[eq]

    def lines(self) -> list[str]:
        """The printed lines: the equations (the course's forms aligned in a column), the
        ``where T<k> = ...`` definitions and the footnotes."""
        return explanation_lines(self)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_latex_(self) -> str:
        """The equations as LaTeX (Jupyter, MathJax): ``dZ^{[1]} = dA^{[1]} * ...``."""
        return explanation_latex(self)

    def _repr_html_(self) -> str:
        return explanation_html(self)


def _is_gradient_var(s: Sym) -> bool:
    return s.op == "var" and isinstance(s.source, Equation)
