"""The course's forms of a line, recognised (not assumed): the upstream gradients inlined
where their factors cancel (``dZ2 = (A2 - Y) / m``), ``(dZ @ Xᵀ)ᵀ -> X @ dZᵀ``, the notes' dA of
the cross-entropy ``-(Y / A - (1 - Y) / (1 - A)) / m``; then the line written (``_finish``).
"""

from __future__ import annotations

import collections

from .equations import Equation, _is_gradient_var
from .printing import _fmt
from .rewriting import _rebuild, _recognise, _strip_floors, _substitute
from .symbolic import Sym
from .values import _is_const

__all__ = ["_finish"]


def _course_form_of_bce(s: Sym) -> Sym:
    """``(A - Y) / (A * (1 - A)) -> -(Y / A - (1 - Y) / (1 - A))`` (F4.2: the notes' dA)."""

    def change(node: Sym, args: tuple) -> Sym | None:
        if node.op != "div":
            return None
        diff, product = args
        if diff.op != "sub" or product.op != "mul":
            return None
        A, Y = diff.args
        left, right = product.args
        if left.key() == A.key() and right.op == "sub" and _is_const(right.args[0], 1) and \
                right.args[1].key() == A.key():
            one = right.args[0]
            return -(Y / A - (one - Y) / (one - A))
        return None

    return _rebuild(s, change)


# the ops through which an upstream gradient's course form can take part in a rewrite of
# _recognise: a product/quotient whose factors cancel, and (A @ B)ᵀ = Bᵀ @ Aᵀ
_INLINE_INTO = {"mul", "div", "neg", "square", "transpose"}


def _inlinable(base: Sym) -> list:
    """The upstream gradients of ``base`` worth inlining in ``_finish``: the root, and those
    used by an op of ``_INLINE_INTO``. A gradient used only by a sum or a matmul (``dW = dZ1
    @ Xᵀ + dZ2 @ Xᵀ + ...``, the fan-out of a long graph) cannot cancel with anything, and
    trying each of 10 000 such terms would rebuild the whole line 10 000 times."""
    nodes = list(base.walk())  # children first: the order the lines' vars are tried in
    wanted = {id(a) for n in nodes if n.op in _INLINE_INTO for a in n.args}
    wanted.add(id(base))
    return [n for n in nodes if id(n) in wanted and _is_gradient_var(n)]


class _Regions:
    """The regions of a line where inlining an upstream gradient can make ``_recognise`` fire.

    Its rewrites look only inside a product/quotient (the factors ``_cancel`` flattens through
    mul, div, neg and square) and at a transpose of a matmul. So inlining ``v`` changes
    something only inside the regions around ``v``: from each place ``v`` is used, up through
    those ops. ``may_fire`` tries the rewrite on these regions alone — a few nodes, where the
    whole line of a fan-out (``dW = dZ1 @ Xᵀ + dZ2 @ Xᵀ + ...``, 10 000 terms) is large —
    and only then does ``_finish`` rebuild the line."""

    def __init__(self, tree: Sym) -> None:
        self.parents: dict = collections.defaultdict(list)
        self.uses: dict = collections.defaultdict(list)  # a gradient's key -> its vars
        for node in tree.walk():
            for a in node.args:
                self.parents[id(a)].append(node)
            if _is_gradient_var(node):
                self.uses[node.key()].append(node)

    def may_fire(self, v: Sym, upstream: Sym) -> bool:
        roots: dict = {}
        stack = list(self.uses.get(v.key(), ()))
        seen: set = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            up = [p for p in self.parents.get(id(node), ()) if p.op in _INLINE_INTO]
            if not up or len(up) < len(self.parents.get(id(node), ())):
                roots[id(node)] = node  # the top of a region (or a use outside one)
            stack.extend(up)
        mapping = {v.key(): upstream}
        return any(_recognise(_substitute(root, mapping))[1] for root in roots.values())


def _finish(eq: Equation, notation: str) -> None:
    """Recognise the course's form and write the line."""
    base = _strip_floors(eq.expr)
    reduced, fired = _recognise(base)
    regions = None
    for v in _inlinable(base):
        upstream = v.source.reduced
        if regions is None:
            regions = _Regions(reduced)
        if not regions.may_fire(v, upstream):
            continue  # (a linear test instead of rebuilding the whole line)
        candidate, inlined = _recognise(_substitute(reduced, {v.key(): upstream}))
        if inlined and candidate.shape == eq.shape:
            reduced, fired = candidate, True
            regions = None
    eq.reduced = reduced
    shown = _course_form_of_bce(reduced)
    if shown.key() != reduced.key():
        fired = True
    eq.course = shown if fired and notation == "course" else None
    notes: dict = {}
    text = _fmt(eq.expr, notation, notes)[0]
    for floored, floor in notes.items():
        text += "¹"
        eq.notes.append(f"¹ the engine floors {floored} at {floor} (PyTorch's rule) so that "
                        f"{eq.name} is never inf")
    eq.rule_text = text
    eq.course_text = _fmt(eq.course, notation, {})[0] if eq.course is not None else ""
    eq.text = f"{eq.name} = {text}" + (f"  = {eq.course_text}" if eq.course_text else "")
