"""An op of one's own, as the README's "How it works" says: a ``Function`` subclass with
``forward`` and ``backward``, run by ``Op.apply``, is differentiated (also twice), explained
and drawn like the built-in ones. (F2-style rule: dZ = dA * 3 Z².)"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Tensor, explain, grad, viz
from tinygrad_edu.functions import Function


class Cube(Function):
    """A = Z³;  dZ = dA * 3 Z²."""

    name = "cube"
    forward = staticmethod(lambda Z: Z**3)

    def backward(self, dA, A, Z):
        return (dA * (3.0 * Z * Z),)


class Scale(Function):
    """A = k Z for a setting k;  dZ = k dA (a setting, read by the rule and shown by viz)."""

    name = "scale"
    forward = staticmethod(lambda Z, k: k * Z)

    def backward(self, dA, A, Z):
        return (dA * self.k,)


def test_an_op_of_ones_own_is_differentiated_explained_and_drawn():
    Z = Tensor(np.array([[1.0, -2.0, 0.5]]), requires_grad=True, name="Z")
    J = Scale.apply(Cube.apply(Z), k=2.0).sum()
    J.backward()
    assert np.array_equal(Z.grad, 2.0 * 3.0 * Z.data**2)  # dZ = k · 3 Z²
    (dZ,) = grad(Scale.apply(Cube.apply(Z), k=2.0).sum(), [Z], create_graph=True)
    (d2Z,) = grad(dZ.sum(), [Z])
    assert np.allclose(d2Z, 2.0 * 6.0 * Z.data)  # d/dZ Σ 6 Z² = 12 Z
    assert J._ctx.parents[0]._ctx.attributes() == {"k": 2.0}
    text = str(explain(J))
    assert "cube" in text and "dZ" in text
    assert "scale" in viz.to_dot(J) and "k=2" in viz.to_dot(J)


def test_a_broken_custom_rule_is_caught():
    class WrongCube(Cube):
        def backward(self, dA, A, Z):
            return (dA * (3.0 * Z),)  # wrong: 3 Z instead of 3 Z²

    Z = Tensor(np.array([[1.5, -2.0]]), requires_grad=True)
    WrongCube.apply(Z).sum().backward()
    assert not np.allclose(Z.grad, 3.0 * Z.data**2)
