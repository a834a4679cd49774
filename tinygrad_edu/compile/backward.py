"""The backward pass as numpy code: ``explain``'s equations, written as assignments.

``explain(J, notation="numpy")`` runs every op's own derivative rule on symbolic arrays
(``Sym``), in the engine's order, so each equation's tree is what ``backward()`` computes
(``dZ2 = (A2 - Y) * (1.0 / m)``, ``db1 = np.sum(dZ1, axis=1, keepdims=True)``; a fan-out's
terms added in the engine's order). Here those trees become lines of code:

* only the gradients the parameters need are kept (``dA2`` of a fused sigmoid + cross-entropy
  goes nowhere: the engine sends ``dZ2`` past the sigmoid);
* a pass-through ``d(W1 @ X) = dZ1`` is no line: the next lines use ``dZ1``;
* the gradient of an unnamed tensor used once is written inside the line that uses it;
* an expression that is a whole earlier line is that line's name (batch norm's
  ``dZ1 = ... (m * dZ_tilde1 - dbeta1 - Z_norm1 * dgamma1)``: the rule reuses dβ and dγ, and
  explain's tree repeats their sums);
* the symbols become the program's names (``W1``, ``dZ2``, ``m``); an array that is part of a
  rule (a mask, a constant ``np.ones``) becomes a constant argument ``C<k>``.

No rule is written here: a new op's rule compiles as soon as ``explain`` can run it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine_api import (
    CompileError,
    Equation,
    Sym,
    Tensor,
    explain,
    format_sym,
    frozen_attrs,
    rebuild_sym,
)
from .naming import Names

_PYTHON_NUMBERS = (bool, int, float)


def is_gradient(s: Sym) -> bool:
    return s.op == "var" and isinstance(s.source, Equation)


class Backward:
    """The gradient lines of ``J`` for ``params``; ``tensors_used`` the forward values they
    read (those need a line of their own in the forward pass)."""

    def __init__(self, J: Tensor, params: list, in_graph: set) -> None:
        self.explanation = explain(J, notation="numpy")
        self.by_target = {eq.target: eq for eq in self.explanation}
        self.params = params
        self.in_graph = in_graph
        self.alias: dict = {}  # equation -> the equation whose value it is (pass-through)
        for eq in self.explanation:
            if is_gradient(eq.expr):
                self.alias[eq] = self.resolve(eq.expr.source)
        self.needed = self._needed()
        self.uses: dict = {}  # equation -> how many times the needed lines read it
        for eq in self.needed:  # (a symbol read in three places of one tree counts three)
            reads = [eq.expr] + [a for v in eq.expr.walk() for a in v.args]
            for v in reads:
                if is_gradient(v):
                    target = self.resolve(v.source)
                    self.uses[target] = self.uses.get(target, 0) + 1
        self.tensors_used = {v.source for eq in self.needed for v in eq.expr.walk()
                             if v.op == "var" and type(v.source) is Tensor}

    def resolve(self, eq: Equation) -> Equation:
        while eq in self.alias:
            eq = self.alias[eq]
        return eq

    def _needed(self) -> list:
        """The equations the parameters' gradients depend on, in the explanation's order."""
        wanted: set = set()
        stack = [self.resolve(self.by_target[p]) for p in self.params if p in self.by_target]
        while stack:
            eq = stack.pop()
            if eq in wanted:
                continue
            wanted.add(eq)
            stack.extend(self.resolve(v.source) for v in eq.expr.walk() if is_gradient(v))
        return [eq for eq in self.explanation if eq in wanted and eq not in self.alias]

    def gradient_of(self, param: Tensor) -> Equation | None:
        eq = self.by_target.get(param)
        return None if eq is None else self.resolve(eq)

    def lines(self, names: Names, forward_name: Any, forward_label: Any, returned: set,
              kept: dict) -> tuple[list, dict]:
        """``[(name, code)]`` for the needed gradients and ``{equation: name}``.

        ``forward_name(t)`` is the code name of a forward tensor or of a value an op kept
        (``kept``: by (id of the op, attribute)); an equation in ``returned`` (a parameter's
        gradient) always gets a line. ``forward_label(t)``: the tensor's name when it has a
        line of its own, else None (its gradient is then called ``T<k>``)."""
        kept_names = {}  # a value an op saved for its rule (dropout's D1) -> its line's name
        for t in self.tensors_used:
            if t not in self.in_graph:
                op, label = _kept_by(self.needed, t)
                declared = op.explain_symbols() if hasattr(op, "explain_symbols") else {}
                attr = next((a for a, (lab, _) in declared.items() if lab == label), None)
                if (id(op), attr) not in kept:
                    how = "src.keep" if attr is None else \
                        f"src.keep(self, {attr!r}, ...), as its explain_symbols declares it"
                    raise CompileError(
                        f"compile: the op {op.name} cannot be compiled: its derivative rule "
                        f"uses {label}, a value it saved from the traced forward pass, which "
                        f"its numpy_source does not compute ({how})."
                    )
                kept_names[t] = kept[id(op), attr]
        grad_names: dict = {}
        inline: dict = {}  # equation -> its rebuilt tree (used once, target unnamed)
        shapes = _Structure()
        emitted: dict = {}  # the structure of a line's expression -> the line's name
        out = []
        for eq in self.needed:
            tree = self._rebuild(eq.expr, names, lambda t: kept_names.get(t) or forward_name(t),
                                 grad_names, inline)
            tree = shapes.reuse(tree, emitted)
            target = eq.target
            if eq not in returned and self.uses.get(eq, 0) == 1 and not target.name:
                inline[eq] = tree
                continue
            if eq not in returned and tree.op == "var" and tree.label.isidentifier():
                grad_names[eq] = tree.label  # the rule's --dZ rewritten to dZ: no line
                continue
            base = forward_label(target) if target in self.in_graph else None
            name = names.gradient(base or names.fresh(None))  # dZ1, or dT5 for a temporary
            grad_names[eq] = name
            if tree.op not in ("var", "const"):
                emitted[shapes.ids(tree)[id(tree)]] = name
            out.append((name, format_sym(tree, "numpy", {})[0]))
        return out, grad_names

    def _rebuild(self, tree: Sym, names: Names, forward_name: Any, grad_names: dict,
                 inline: dict) -> Sym:
        def change(node: Sym, args: tuple) -> Sym | None:
            if node.op == "var":
                source = node.source
                if isinstance(source, Equation):
                    eq = self.resolve(source)
                    if eq in inline:
                        return inline[eq]
                    return _named(grad_names[eq], node)
                if type(source) is Tensor:
                    return _named(forward_name(source), node)
                if isinstance(source, int) and not isinstance(source, bool):
                    label = node.label
                    return _named(names.examples(source) if label == "m" else label, node)
                if isinstance(source, _PYTHON_NUMBERS):
                    return _named(names.constant(source), node)
                raise CompileError(f"compile: no value for the symbol {node.label}")
            if node.op == "const":
                value = node.attrs
                if isinstance(value, _PYTHON_NUMBERS):
                    return None
                return _named(names.constant(value), node)
            if node.op in ("getitem", "scatter"):
                index = node.attrs if node.op == "getitem" else node.attrs[0]
                if node.op == "scatter" or not _basic(index):
                    return _call(node, args, names.constant(index))
            return None

        return rebuild_sym(tree, change)


class _Structure:
    """Equal expressions get equal numbers (a node: its op, attributes and its children's
    numbers; a symbol: its name), so a sub-expression equal to an earlier line is found."""

    def __init__(self) -> None:
        self.numbers: dict = {}

    def ids(self, tree: Sym) -> dict:
        """id of each node of ``tree`` -> its structure's number."""
        out: dict = {}
        for node in tree.walk():
            if node.op == "var":
                key: tuple = ("var", node.label)
            else:
                key = (node.op, frozen_attrs(node.attrs), *(out[id(a)] for a in node.args))
            out[id(node)] = self.numbers.setdefault(key, len(self.numbers))
        return out

    def reuse(self, tree: Sym, emitted: dict) -> Sym:
        """``tree`` with every sub-expression that is an earlier line's named by it (the same
        numpy calls on the same values: the same bits, computed once, as the rule does)."""
        if not emitted:
            return tree
        ids = self.ids(tree)

        def change(node: Sym, args: tuple) -> Sym | None:
            number = ids[id(node)]
            if node.op not in ("var", "const") and number in emitted:
                return _named(emitted[number], node)
            return None

        return rebuild_sym(tree, change)


def _basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all((isinstance(i, slice | int) and not isinstance(i, bool)) or i is None
               or i is Ellipsis for i in items)


def _named(label: str, like: Sym) -> Sym:
    """A symbol printed as ``label`` (a name or a literal), with ``like``'s shape."""
    return Sym.var(label, label, like.shape, like.dtype)


def _call(node: Sym, args: tuple, index_name: str) -> Sym:
    """``x[C1]`` or ``scatter(g, C1, shape)`` with the index as the constant ``C1``."""
    s = object.__new__(Sym)
    if node.op == "getitem":
        s.op, s.args, s.attrs = "getitem", args, _Name(index_name)
    else:
        s.op, s.args = "call", args
        s.attrs = ("scatter", (index_name, repr(tuple(node.attrs[1]))))
    s.label, s.source, s.shape, s.dtype = None, None, node.shape, node.dtype
    s.weak, s._key = False, None
    return s


class _Name:
    """An index printed as a name (``x[C1]``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return np.asarray(0)  # np.ndim(self) == 0: printed with str()


def _kept_by(equations: list, t: Tensor) -> tuple:
    """The op whose rule brought the kept value ``t`` in, and its symbol's label."""
    for eq in equations:
        for ctx, part in eq.parts:
            for v in part.walk():
                if v.op == "var" and v.source is t:
                    return ctx, v.label
    raise CompileError("compile: a derivative rule uses an array no op declares")
