"""explain asks an op only what the op declares (``explain_formula``, ``explain_symbols``,
``explain_divisor``, ``explain_cost``; see ``tinygrad_edu/explain/__init__.py``): its
modules name no particular op, only ``explain/engine.py`` imports the engine, and the
package's modules import one way. A new op that declares these is written as it declares.
"""

from __future__ import annotations

import ast
import pathlib
import re
from typing import NamedTuple

import numpy as np

import tinygrad_edu.nn  # noqa: F401  (loads every module that defines ops)
from tinygrad_edu import Tensor, explain
from tinygrad_edu.functions import Function, make_result

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tinygrad_edu" / "explain"
# the order of the package's docstring: each module imports only modules before it
LAYERS = ["engine", "values", "printing", "symbolic", "rewriting", "equations", "forms",
          "naming", "rules", "driver", "__init__"]


def _op_classes(cls: type = Function) -> set:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _op_classes(sub)
    return found


def _sources() -> dict:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(PACKAGE.glob("*.py"))}


def test_explain_names_no_particular_op():
    names = {cls.__name__ for cls in _op_classes()}
    assert {"Sigmoid", "Mean", "L2Penalty", "Dropout", "BatchNorm", "Softmax"} <= names
    assert set(_sources()) == set(LAYERS)
    for module, source in _sources().items():
        for name in names:
            assert not re.search(rf"\b{name}\b", source), f"explain/{module}.py names {name}"
        for pattern in (r"isinstance\(ctx", r"type\(ctx\) is", r"ctx\.name (==|!=|in|not in)\b",
                        r"_fn\.", r"is np\.logaddexp", r"ufunc is np\.exp"):
            assert not re.search(pattern, source), f"explain/{module}.py: {pattern}"


def test_only_engine_py_imports_the_engine_and_the_package_imports_one_way():
    for module, source in _sources().items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("tinygrad_edu") for a in node.names), module
            if not isinstance(node, ast.ImportFrom):
                continue
            assert node.col_offset == 0, f"explain/{module}.py imports inside a function"
            if node.level == 1:  # from .x import ...: an earlier module of the package
                assert LAYERS.index(node.module) < LAYERS.index(module), (module, node.module)
            elif node.level == 2 and module != "engine":  # from ..x: not the engine's modules
                used = [node.module] if node.module else [a.name for a in node.names]
                assert set(used) <= {"errors", "checks", "notebook"}, (module, used)
            else:
                assert node.level in (0, 2), (module, node.level)
                assert not (node.module or "").startswith("tinygrad_edu"), module


class _Scale(Function):
    """y = x * k / n for a setting k and the number of columns n (a test op)."""

    __slots__ = ("k",)
    name = "scale"
    explain_cost = True

    def explain_symbols(self) -> dict:
        return {"k": ("κ", self.k)}

    def explain_divisor(self) -> tuple:
        return "m", self.parents[0].shape[-1]

    def backward(self, g, out, x):
        return (g * self.k * (1.0 / x.shape[-1]),)


class _Twice(Function):
    __slots__ = ()
    name = "twice"

    def explain_formula(self, x):
        return "mul", (2.0, x), None

    def backward(self, g, out, x):
        return (g * 2.0,)


class _Kept(NamedTuple):
    scale: np.ndarray


class _Stretch(Function):
    """y = x * S for an array S the forward computed and saved (a test op): dx = dy * S."""

    __slots__ = ()
    name = "stretch"

    def explain_symbols(self) -> dict:
        return {"saved.scale": ("S", self.saved.scale)}  # a field of the saved named tuple

    def backward(self, g, out, x):
        return (g * self.saved.scale,)


def _apply(cls: type, x: Tensor, data: np.ndarray, saved=None, **settings) -> Tensor:
    ctx = cls((x,), saved=saved)
    for key, value in settings.items():
        setattr(ctx, key, value)
    return make_result(data, ctx)


def test_a_new_op_is_written_as_it_declares():
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(2, 5)), requires_grad=True, name="X")
    doubled = _apply(_Twice, X, X.data * 2.0)
    scaled = _apply(_Scale, doubled, doubled.data * 0.3 / 5, k=0.3)
    J = scaled.sum()
    J.backward()
    e = explain(J)
    text = str(e)
    assert "d(scale(2 * X, κ=0.3)) = np.ones((2, 5))" in text  # a cost: named by its formula
    assert "d(2 * X) = d(scale(2 * X, κ=0.3)) * κ / m" in text  # κ and 1/m, as symbols
    assert "dX = d(2 * X) * 2" in text
    for eq in e:
        np.testing.assert_array_equal(eq.evaluate(), eq.target.grad)  # the same arithmetic


def test_a_saved_value_an_op_declares_is_written_as_its_symbol():
    rng = np.random.default_rng(2)
    X = Tensor(rng.normal(size=(2, 5)), requires_grad=True, name="X")
    S = rng.uniform(1.0, 2.0, size=(2, 5))
    Y = _apply(_Stretch, X, X.data * S, saved=_Kept(S))
    Y.name = "Y"
    J = Y.sum()
    J.backward()
    e = explain(J)
    assert "dX = dY * S" in str(e)  # the saved array as the symbol the op declares
    np.testing.assert_array_equal(e["dX"].evaluate(), X.grad)  # S evaluates to the array
    assert Y._ctx.saved.scale is S  # the op itself keeps its saved value


def test_run_rule_gives_the_formula_an_ops_rule_computes():
    from tinygrad_edu.explain import Sym, run_rule

    rng = np.random.default_rng(1)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="W")
    X = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="X")
    Z = W @ X
    dZ = Tensor(rng.normal(size=Z.shape))
    symbols = [Sym.var(label, t, t.shape, t.dtype) for label, t in (("W", W), ("X", X))]
    dW, dX = run_rule(Z._ctx, Sym.var("dZ", dZ, Z.shape, Z.dtype),
                      Sym.var("Z", Z, Z.shape, Z.dtype), symbols)
    assert (str(dW), str(dX)) == ("dZ @ Xᵀ", "Wᵀ @ dZ")
    Z.backward(dZ.data)
    np.testing.assert_array_equal(dW.evaluate(), W.grad)
    np.testing.assert_array_equal(dX.evaluate(), X.grad)
