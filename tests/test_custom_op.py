"""An op of one's own, as the README's "How it works" says: a ``Function`` subclass with
``forward`` and ``backward``, run by ``Op.apply``, is differentiated (also twice), explained
and drawn like the built-in ones. (F2-style rule: dZ = dA * 3 Z².)"""

from __future__ import annotations

import contextlib

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


# -- what the redesigned core keeps doing (found by a review of the new core) --------------------


class Slotted(Function):
    """An op of one's own that keeps its setting in __slots__, as the old contract had it."""

    __slots__ = ("k",)
    name = "slotted"

    @classmethod
    def apply(cls, x, k):
        return cls.record(x.data * k, (x,), k=k)

    def backward(self, g, out, x):
        return (g * self.k,)


def test_a_setting_kept_in_slots_reaches_the_rule():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    Slotted.apply(x, 3.0).sum().backward()
    assert np.array_equal(x.grad, np.full((2, 2), 3.0))


class HandLog(Function):
    name = "handlog"

    def backward(self, g, out, x):
        return (g / x,)


def test_anomaly_mode_checks_an_op_made_by_hand():
    import pytest

    from tinygrad_edu import detect_anomaly
    from tinygrad_edu.errors import AnomalyError
    from tinygrad_edu.functions import make_result

    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with np.errstate(divide="ignore"), detect_anomaly(), pytest.raises(AnomalyError):
        make_result(np.log(x.data), HandLog((x,)))


def test_settings_by_position_are_refused_with_the_reason_and_defaults_hold():
    import pytest

    from tinygrad_edu import functions as F

    X = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(TypeError, match="by keyword"):
        F.PowScalar.apply(X, 2.0)
    F.Sum.apply(X).backward()  # numpy's defaults: every axis
    assert np.array_equal(X.grad, np.ones((2, 3)))
    X.zero_grad()
    F.Transpose.apply(X).sum().backward()
    assert np.array_equal(X.grad, np.ones((2, 3)))


def test_zero_dimensional_edge_cases():
    import pytest

    from tinygrad_edu.errors import ShapeError

    s = Tensor(2.0, requires_grad=True)
    s.sum(axis=0).backward()
    assert s.grad.shape == () and s.grad == 1.0
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ShapeError):
        x.transpose(0, 3)  # not an axis of a matrix (numpy's rule), not wrapped round
    y = x.sum() * 1.0
    (y * 3.0).backward()
    assert type(y.grad) is np.ndarray  # a 0-d intermediate's .grad is an array, as every .grad


def test_a_complex_or_text_scalar_is_refused_not_cast():
    import pytest

    from tinygrad_edu.errors import DtypeError

    x = Tensor(np.ones(2, dtype=np.float32))
    with pytest.raises(DtypeError):
        x * np.complex128(1 + 2j)
    with pytest.raises(DtypeError):
        x * np.str_("a")


def test_dropout_imports_first():
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "import tinygrad_edu.dropout"], check=True)


def test_a_setting_by_position_says_so_without_the_internal_traceback():
    import pytest

    x = Tensor(np.ones((2, 2)), requires_grad=True)
    for setting in (3.0, np.float64(3.0), np.full((2, 2), 3.0)):  # numpy values have .data too
        with pytest.raises(TypeError, match="by keyword") as caught:
            Scale.apply(x, setting)
        assert caught.value.__suppress_context__ and caught.value.__cause__ is None


class _Twice(Function):
    """A rule of one's own that makes a mistake a student makes (set by ``mistake``)."""

    name = "twice"
    forward = staticmethod(lambda x, y, mistake: 2 * x + y)

    def backward(self, dz, z, x, y):
        if self.mistake == "bare array":
            return dz * 2
        if self.mistake == "one for two":
            return (dz * 2,)
        if self.mistake == "wrong shape":
            return (dz.sum(axis=0), dz)
        return [dz * 2, dz]  # a list is fine


def test_a_rule_that_returns_the_wrong_thing_is_refused_never_stored():
    import pytest

    from tinygrad_edu.errors import BackwardError

    for mistake in ("bare array", "one for two", "wrong shape"):
        x = Tensor(np.ones((2, 3)), requires_grad=True)
        y = Tensor(np.ones((2, 3)), requires_grad=True)
        with pytest.raises(BackwardError, match="twice: backward returned"):
            _Twice.apply(x, y, mistake=mistake).sum().backward()
        assert x.grad is None and y.grad is None, mistake  # nothing stored
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    _Twice.apply(x, y, mistake=None).sum().backward()
    assert np.array_equal(x.grad, np.full((2, 3), 2.0)) and np.array_equal(y.grad, np.ones((2, 3)))


def test_a_shortcut_for_an_input_that_needs_no_gradient_is_ignored():
    from tinygrad_edu.functions import Shortcut

    class Fused(Function):
        name = "fused"
        forward = staticmethod(lambda a, c: a * c)

        def backward(self, dz, z, a, c):
            return dz * c, Shortcut(dz * a, ())  # c is a constant: ignored, as None would be

    a = Tensor(np.full((2, 2), 3.0), requires_grad=True)
    c = Tensor(np.full((2, 2), 2.0))
    Fused.apply(a, c).sum().backward()
    assert np.array_equal(a.grad, np.full((2, 2), 2.0)) and c.grad is None


def test_a_subclass_of_tensor_is_an_operand_not_a_constant():
    class Named(Tensor):
        pass

    W = Named(np.full((2, 2), 2.0), requires_grad=True)
    X = Tensor(np.ones((2, 2)))
    (W * X + X @ W).sum().backward()
    assert np.array_equal(W.grad, np.full((2, 2), 3.0))


def test_a_backward_that_raises_changes_no_gradient():
    """A rule refused halfway through the backward pass (an op of one's own returning a wrong
    shape, a rule giving inf under ``detect_anomaly()``) leaves every ``.grad`` as it was, also
    those of the tensors the pass reached before it (J and w here: they came first)."""
    import pytest

    from tinygrad_edu import detect_anomaly
    from tinygrad_edu.errors import AnomalyError, BackwardError

    def refused(w):
        x = Tensor(np.ones((2, 3)), requires_grad=True)
        return x, (_Twice.apply(x, x * 1.0, mistake="wrong shape") * w).sum(), BackwardError

    def infinite(w):
        x = Tensor(np.array([[0.0, 1.0, 4.0], [1.0, 1.0, 1.0]]), requires_grad=True)
        return x, (x.sqrt() * w).sum(), AnomalyError  # d√x = 1 / (2√x): inf at 0

    for make in (refused, infinite):
        for before in (None, np.full((2, 3), 5.0)):
            w = Tensor(np.full((2, 3), 2.0), requires_grad=True)
            w.grad = None if before is None else before.copy()
            x, J, error = make(w)
            with detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(error):
                J.backward()
            assert J.grad is None and x.grad is None, make.__name__
            assert (w.grad is None) if before is None else np.array_equal(w.grad, before)


def test_an_op_class_may_take_class_keywords_and_mixins():
    """``Function.__init_subclass__`` passes what it does not use on (cooperative
    inheritance): a mixin's ``__init_subclass__`` runs wherever it is in the bases, and a
    class keyword reaches the base that takes it."""
    registered = []

    class Registered:
        def __init_subclass__(cls, tag=None, **kwargs):
            super().__init_subclass__(**kwargs)
            registered.append((cls.__name__, tag))

    class First(Function, Registered, tag="first"):
        name, forward = "first", staticmethod(lambda x: x * 2.0)

        def backward(self, dz, z, x):
            return (dz * 2.0,)

    class Second(Registered, Function):
        pass

    assert registered == [("First", "first"), ("Second", None)]
    assert First.checked and Second.checked  # ops of one's own: their rules are checked
    x = Tensor(np.ones((1, 2)), requires_grad=True)
    First.apply(x).sum().backward()
    assert np.array_equal(x.grad, np.full((1, 2), 2.0))


def test_a_shortcut_without_a_gradient_for_its_input_passes_only_onward():
    """``Shortcut(None, (dZ,))``: the fused rule gives A nothing (None, as a rule's None for
    an input) and Z its dZ; A's own rule runs on what A's other uses give it. Under
    ``detect_anomaly()`` too."""
    from tinygrad_edu import detect_anomaly
    from tinygrad_edu.functions import Shortcut

    class Onward(Function):
        name = "onward"
        forward = staticmethod(lambda A: A.sum(keepdims=True))

        def backward(self, dJ, J, A):
            return (Shortcut(None, (np.full(A.shape, 3.0),)),)

    for anomaly in (False, True):
        for other_use in (False, True):
            Z = Tensor(np.zeros((1, 2)), requires_grad=True)
            A = Z.tanh()
            J = Onward.apply(A).sum() + (A.sum() if other_use else 0.0)
            with detect_anomaly() if anomaly else contextlib.nullcontext():
                J.backward()
            # tanh'(0) = 1: the other use's dA = 1 goes through A's rule to Z
            assert np.array_equal(Z.grad, np.full((1, 2), 4.0 if other_use else 3.0))
            if other_use:
                assert np.array_equal(A.grad, np.ones((1, 2)))
            else:
                assert A.grad is None
