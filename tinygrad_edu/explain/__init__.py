"""``explain(J)``: the backprop equations of a recorded graph, in the course's notation.

>>> print(explain(J))                                    # the two-layer flower network
dA2 = (A2 - Y) / (A2 * (1 - A2)) / m¹  = -(Y / A2 - (1 - Y) / (1 - A2)) / m
dZ2 = (A2 - Y) / m
dW2 = dZ2 @ A1ᵀ
db2 = np.sum(dZ2, axis=1, keepdims=True)
...

How the equations are made — no table of networks, the engine's own rules:

* ``Sym`` is a symbolic array: a shape, a dtype and an expression tree. It supports what the
  derivative rules of the ops use (``* / - @ .T .sum .reshape``, numpy's ufuncs such
  as ``np.sign`` and ``np.maximum``, ``np.where``, ``np.broadcast_to``, and the engine's
  dual helpers: ``sigmoid_of(z)`` calls ``z.sigmoid()``, which is ``σ(z)``), so calling a rule
  with Syms records the formula the rule computes instead of computing it.
* ``explain`` walks the graph in the engine's order (outputs before inputs) and calls each
  op's ``backward(g, out, *inputs)`` with ``g = Sym("dZ2")``, ``out = Sym("A2")``, ... . A
  tensor used by several ops gets the sum of their contributions, in the engine's order.
* The trees are tidied with exact rewrites only (``1 * x -> x``, ``x * x -> x**2``,
  ``xᵀᵀ -> x``), so ``Equation.evaluate()`` repeats the engine's arithmetic and matches
  ``.grad`` to the last bit or so.
* The course's simplifications are then *recognised*, not assumed: the upstream gradient is
  inlined and equal factors cancel; ``(dZ @ Xᵀ)ᵀ`` becomes ``X @ dZᵀ``; the rule of dA is
  shown as the notes' ``-(Y / A - (1 - Y) / (1 - A)) / m``. They are shown after a second
  ``=`` (``Equation.course``); the first form is what the engine computes.
* The cross-entropy after a sigmoid is one fused rule: ``dA2`` is its gradient for A2 and
  ``dZ2 = (A2 - Y) / m`` goes to Z2 directly, past A2's own rule, as in the engine
  (``autograd.Shortcut``); A2's rule runs only on what other uses of A2 give it.
* The squared error and the weight penalty are one op each too (F5): ``dA2 = (A2 - Y) / m``
  and ``dW2 = λ * W2 + dZ2 @ A1ᵀ``, with the rate as the symbol ``λ`` (its value is in the
  penalty's line, ``d(l2_penalty(W1, W2, λ=0.1)) = 1``). A term of ``J = J1 + J2`` gets the
  gradient 1, which the next lines use as the number, not as ``d(J1)``.

Names: a tensor's ``name`` (``W1``, ``Z1``, ...); an unnamed intermediate is called by its
formula when that is short (``d(W1 @ X)``) or a fused cost (``d(mse_loss(A2, Y))``), else
``T<k>`` (counted in topological order) with a ``where T<k> = ...`` line. ``m`` is the
number of examples of a mean cost.

What an op declares for explain (all optional; explain never asks an op's class or name —
``engine.py`` reads these, with their defaults)::

    explain_formula(self, *inputs) -> (op, operands, attrs)
        how the op's forward is written where its result has no name (``d(W1 @ X)``): a
        tree op (``"add"``, ``"sub"``, ``"mul"``, ``"div"``, ``"matmul"``, ``"neg"``,
        ``"pow"``, ``"transpose"``, ``"reshape"``, ``"getitem"``, ``"sigmoid"``) of operands
        (the inputs' symbols, numbers) with its attrs (the axes of a transpose, the index of
        a getitem). E.g. the transpose: ``return "transpose", (x,), self.axes`` -> ``xᵀ``
        (the core's ops declare theirs in ``ops/notation.py``). Default: an op of two inputs
        that declares ``infix`` with its symbol (``W1 @ X``), else a call with the op's
        settings, ``dropout(A1, keep_prob=0.8)``.
    explain_symbols(self) -> {attribute: (label, value)}
        the settings and saved arrays the rule uses that are written as symbols: a cost's
        ``{"m": ("m", self.m)}``, the penalty's ``{"lam": ("λ", self.lam)}``, dropout's mask
        (its ``saved``) ``{"saved": ("D1", self.saved)}``, a field of a saved named tuple
        ``{"saved.z_norm": ("Z_norm1", self.saved.z_norm)}`` (batch norm). The rule runs
        with the symbol in place of the attribute (of the field: ``saved._replace``); the
        symbol evaluates to the value. The label also names the setting in a call
        (``l2_penalty(W1, W2, λ=0.1)``). Default: none.
    explain_divisor(self) -> (label, n)
        the rule multiplies by the number ``1.0 / n``, written ``1 / label``: a mean over the
        examples' axis declares ``("m", n)``. Default: none.
    explain_cost = True
        a fused cost: an unnamed one is called by its formula, however long, never T<k>, and
        its ``reduction="mean"`` (the course's 1/m) is not written. Default: False.

The compiler and other tools use the symbolic machinery from this package's names:
``Sym`` (``.var``, ``.const``, ``.evaluate()``, ``.key()``, ``.walk()``), ``run_rule(ctx, g,
out, inputs)`` (an op's rule on symbols) and ``explain`` (every gradient of a graph as a tree:
``eq.expr``). The modules, each importing only the ones before it::

    engine.py     the engine's names explain uses, and the protocol above read with defaults
    values.py     what a tree's ops compute with numpy; hashable and shape stand-ins
    printing.py   a tree in the course's or numpy's notation; an explanation's text/LaTeX/HTML
    symbolic.py   Sym, and the exact rewrites made as a node is built
    rewriting.py  rebuilding, substitution, cancellation, (A @ B)ᵀ = Bᵀ @ Aᵀ
    equations.py  Equation and Explanation (what explain returns)
    forms.py      the course's form of a line, recognised; the line written
    naming.py     tensors' labels (W1, d(W1 @ X), T<k>) and gradients' names
    rules.py      an op's derivative rule run on symbols
    driver.py     explain(J): the graph walked in the engine's order
"""

from __future__ import annotations

from .driver import explain
from .equations import Equation, Explanation
from .rules import run_rule
from .symbolic import Sym

__all__ = ["Equation", "Explanation", "Sym", "explain", "run_rule"]
