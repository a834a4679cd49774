"""numpy's general matmul: the rule of ``A @ B`` for vectors and stacks of matrices.

The core's ``MatMul`` (core/rules.py) has the course's rule for two matrices,
``dA = dZ Bᵀ`` and ``dB = Aᵀ dZ``; here the same rule for the other shapes numpy accepts: a
vector operand is treated as a one-row / one-column matrix, and broadcast stack axes are
summed back (``sum_to_shape``, F7.1).
"""

from __future__ import annotations

from ..core.function import Array
from ..core.rules import MatMul, sum_to_shape


def general_backward(g: Array, a: Array, b: Array, needs_a: bool, needs_b: bool) -> tuple:
    """(dA, dB) of Z = A @ B when A or B is not a matrix (a vector, a stack of matrices)."""
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    a2 = a.reshape((1, a.shape[0])) if a_vec else a
    b2 = b.reshape((b.shape[0], 1)) if b_vec else b
    if a_vec and b_vec:
        g2 = g.reshape((1, 1))
    elif a_vec:
        g2 = g.reshape((*g.shape[:-1], 1, g.shape[-1]))
    elif b_vec:
        g2 = g.reshape((*g.shape, 1))
    else:
        g2 = g
    ga = gb = None
    if needs_a:
        ga = sum_to_shape(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
    if needs_b:
        gb = sum_to_shape(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape)
    return ga, gb


MatMul.general_backward = staticmethod(general_backward)
