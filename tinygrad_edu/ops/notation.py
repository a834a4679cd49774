"""How viz, explain and compile write the core's ops: their declarations, set on the op
classes of ``core/rules.py`` here so that that file holds the rules alone.

An op of one's own declares these in its class body instead (the protocols:
``explain/__init__.py`` and ``compile/forward.py``). ``infix`` (``+ - * / ** @``) stays in the
core: viz, explain and compile all write an op that declares it with its symbol.
"""

from __future__ import annotations

from ..core import rules

# compile: numpy's code for the forward, a template of the inputs and settings, or a method
rules.PowScalar.numpy_source = ("{0} ** {exponent!r}", 4)  # (template, precedence of **)
rules.Sigmoid.numpy_source = "sigmoid({0.bare})"  # compile's helper: the same formula
rules.ReLU.numpy_source = "np.maximum({0.bare}, 0.0)"
rules.Reshape.numpy_source = "{0}.reshape({shape})"
rules.BroadcastTo.numpy_source = "np.broadcast_to({0.bare}, {shape})"


def _transpose_source(self: rules.Transpose, src: object, x: object) -> str:
    return f"{x}.T" if self.axes in ((1, 0), None) else f"{x}.transpose({self.axes})"


rules.Transpose.numpy_source = _transpose_source

# explain: the forward as a tree op of explain's, where the result has no name: -x, x**p, σ(Z)
rules.Neg.explain_formula = lambda self, x: ("neg", (x,), None)
rules.PowScalar.explain_formula = lambda self, x: ("pow", (x, self.exponent), None)
rules.Sigmoid.explain_formula = lambda self, Z: ("sigmoid", (Z,), None)
rules.Transpose.explain_formula = lambda self, x: ("transpose", (x,), self.axes)  # xᵀ


def _mean_divisor(self: rules.Mean) -> tuple:
    """explain writes the mean's ``1.0 / n`` as ``1 / m`` when it is over the examples' axis."""
    shape = self.parents[0].shape
    kept = rules.kept_shape(shape, self.axis)
    over = [i for i, k in enumerate(kept) if k == 1 and shape[i] > 1]
    n = self.count(shape)
    return ("m" if over == [len(shape) - 1] else str(n)), n


rules.Mean.explain_divisor = _mean_divisor
