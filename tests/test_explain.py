"""explain(J): the backprop equations, held to the engine's .grad and to the course's formulas.

Three kinds of checks:

* every equation of any graph, evaluated with numpy, equals the ``.grad`` the engine computed
  (random networks and random expression DAGs drawn by hypothesis): the equations are what
  backward() runs;
* for the course's networks (F1.4, F3, F4) the equations, with every upstream gradient
  inlined, are the notes' formulas *as expression trees* (same operands and operators, up to
  commutativity and where a scalar such as 1/m sits) — the canonical form below is written
  here, independently of explain's own simplifier — and the notes' formulas evaluate to .grad;
* the printed text: the course's six equations, names, order, sums over several consumers.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import numeric_settings, random_graph, seeds

import tinygrad_edu
from tinygrad_edu import BackwardError, Tensor, concatenate, stack
from tinygrad_edu import functions as fn
from tinygrad_edu.autograd import topological_order
from tinygrad_edu.explain import Sym, explain

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
LOSSES = ("bce", "bce_logits", "mse", "mse_loss", "mse_l2")


# ---------------------------------------------------------------------------------------------
# networks of raw named tensors (the course's notation)
# ---------------------------------------------------------------------------------------------


def activate(Z: Tensor, activation: str, alpha: float = 0.01) -> Tensor:
    if activation == "linear":
        return Z
    if activation == "leaky_relu":
        return Z.leaky_relu(alpha)
    return getattr(Z, activation)()


def network(dims: list, activations: list, loss: str, m: int, seed: int,
            dtype=np.float64, x_requires_grad: bool = False) -> tuple[Tensor, dict]:
    """Z[l] = W[l] @ A[l-1] + b[l], A[l] = g[l](Z[l]), J = loss(A[L], Y); tensors by name."""
    rng = np.random.default_rng(seed)
    t = {"X": Tensor(rng.normal(size=(dims[0], m)), name="X", dtype=dtype,
                     requires_grad=x_requires_grad)}
    if loss.startswith("mse"):
        t["Y"] = Tensor(rng.normal(size=(dims[-1], m)), name="Y", dtype=dtype)
    else:
        t["Y"] = Tensor((rng.random((dims[-1], m)) < 0.5) * 1.0, name="Y", dtype=dtype)
    A = t["X"]
    for l in range(1, len(dims)):
        W = Tensor(rng.normal(size=(dims[l], dims[l - 1])) / np.sqrt(dims[l - 1]),
                   requires_grad=True, name=f"W{l}", dtype=dtype)
        b = Tensor(rng.normal(size=(dims[l], 1)) * 0.1, requires_grad=True, name=f"b{l}",
                   dtype=dtype)
        Z = W @ A + b
        Z.name = f"Z{l}"
        A = activate(Z, activations[l - 1])
        if A is not Z:
            A.name = f"A{l}"
        t.update({f"W{l}": W, f"b{l}": b, f"Z{l}": Z, f"A{l}": A})
    if loss == "bce":
        J = fn.binary_cross_entropy(A, t["Y"])
    elif loss == "bce_logits":
        J = fn.binary_cross_entropy_with_logits(A, t["Y"])
    elif loss == "mse":  # written with primitive ops
        D = A - t["Y"]
        J = (D * D).mean()
    else:  # the fused F5.1 cost, with the weight penalty for "mse_l2"
        J = fn.mse_loss(A, t["Y"])
        if loss == "mse_l2":
            J = J + fn.l2_penalty([t[f"W{l}"] for l in range(1, len(dims))], 0.1)
    J.name = "J"
    return J, t


def logistic_regression(n_x: int, m: int, seed: int) -> tuple[Tensor, dict]:
    """F1.4: Z = wᵀX + b, A = σ(Z), J = mean cross-entropy."""
    rng = np.random.default_rng(seed)
    t = {"X": Tensor(rng.normal(size=(n_x, m)), name="X"),
         "Y": Tensor((rng.random((1, m)) < 0.5) * 1.0, name="Y"),
         "w": Tensor(rng.normal(size=(n_x, 1)), requires_grad=True, name="w"),
         "b": Tensor([[0.1]], requires_grad=True, name="b")}
    t["Z"] = t["w"].T @ t["X"] + t["b"]
    t["Z"].name = "Z"
    t["A"] = t["Z"].sigmoid()
    t["A"].name = "A"
    J = fn.binary_cross_entropy(t["A"], t["Y"])
    J.name = "J"
    return J, t


def assert_equations_are_the_gradients(J: Tensor):
    """Every tensor that receives a gradient has one equation, in an order where each line
    comes after the lines it uses, and each evaluates to the engine's .grad."""
    J.backward()
    explanation = explain(J)
    targets = [eq.target for eq in explanation]
    expected = [t for t in topological_order(J) if t is not J]
    assert len(targets) == len(set(targets)) == len(expected)
    assert set(targets) == set(expected)
    values = explanation.evaluate()
    seen = set()
    for eq in explanation:
        used = {n.source for n in eq.expr.walk() if n.op == "var" and n.source in values}
        assert used <= seen, f"{eq.text} uses a gradient defined later"
        seen.add(eq)
        np.testing.assert_allclose(values[eq], eq.target.grad, rtol=1e-9, atol=1e-12,
                                   err_msg=eq.text)
        assert np.shape(values[eq]) == eq.target.grad.shape == eq.shape, eq.text
        if eq.course is not None:  # the simplified form: equal up to rounding
            scale = max(1.0, float(np.max(np.abs(eq.target.grad))))
            rtol = 1e-9 if eq.target.dtype == np.float64 else 1e-5
            np.testing.assert_allclose(eq.course.evaluate(values), eq.target.grad,
                                       rtol=rtol, atol=rtol * 1e-3 * scale, err_msg=eq.text)
    return explanation


# ---------------------------------------------------------------------------------------------
# every equation equals .grad: random networks and random graphs
# ---------------------------------------------------------------------------------------------


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 3))
    dims = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(LOSSES))
    activations = [draw(st.sampled_from(ACTIVATIONS)) for _ in range(depth)]
    if loss == "bce":
        activations[-1] = "sigmoid"
    elif loss == "bce_logits":
        activations[-1] = "linear"
    return dims, activations, loss


@numeric_settings(60)
@given(networks(), st.integers(1, 5), seeds, st.sampled_from([np.float64, np.float32]),
       st.booleans())
def test_every_equation_of_a_random_network_evaluates_to_its_grad(net, m, seed, dtype, x_grad):
    dims, activations, loss = net
    J, _ = network(dims, activations, loss, m, seed, dtype, x_requires_grad=x_grad)
    assert_equations_are_the_gradients(J)


def _random_op(draw, rng, pool: list, leaf) -> Tensor:
    """One op of every kind the engine has, on operands drawn from ``pool`` (fan-out)."""
    x = pool[draw(st.integers(0, len(pool) - 1))]
    y = pool[draw(st.integers(0, len(pool) - 1))]
    op = draw(st.sampled_from((
        "add", "sub", "mul", "div", "neg", "pow2", "pow3", "pow", "exp", "log", "sqrt", "abs",
        "sigmoid", "tanh", "relu", "leaky", "maximum", "minimum", "clip", "matmul", "vecmat",
        "sum", "mean", "max", "min", "reshape", "transpose", "broadcast", "getitem", "take",
        "concatenate", "stack", "bias", "mse_loss", "l2_penalty")))
    same = y if y.shape == x.shape else x
    shaped = op in ("matmul", "vecmat", "sum", "mean", "max", "min", "reshape", "transpose",
                    "getitem", "take", "concatenate")
    if shaped and x.ndim == 0:
        x = x.reshape(1, 1)
        same = x
    if op in ("add", "sub", "mul"):
        return {"add": x + same, "sub": x - same, "mul": x * same}[op]
    if op == "div":
        return x / (same * same + 1.0)
    if op == "neg":
        return -x
    if op in ("pow2", "pow3"):
        return x ** (2 if op == "pow2" else 3)
    if op == "pow":
        return (abs(x) + 1.1) ** same.tanh()
    if op == "exp":
        return x.tanh().exp()
    if op == "log":
        return (x * x + 0.5).log()
    if op == "sqrt":
        return (x * x + 0.5).sqrt()
    if op in ("abs", "sigmoid", "tanh", "relu"):
        return abs(x) if op == "abs" else getattr(x, op)()
    if op == "leaky":
        return x.leaky_relu(0.1)
    if op in ("maximum", "minimum"):
        return getattr(x, op)(same) if draw(st.booleans()) else getattr(x, op)(0.2)
    if op == "clip":
        return x.clip(-0.5, 0.5)
    if op == "matmul":
        other = leaf((x.shape[-1], draw(st.integers(1, 3))))
        return x @ other
    if op == "vecmat":
        return (leaf((x.shape[-2],)) @ x) if x.ndim >= 2 else x @ x
    if op in ("sum", "mean", "max", "min"):
        axis = draw(st.sampled_from([None, 0, -1, (0, 1)] if x.ndim >= 2 else [None, 0]))
        return getattr(x, op)(axis=axis, keepdims=draw(st.booleans()))
    if op == "reshape":
        return x.reshape(-1, 1) if x.ndim >= 2 else x.reshape(1, -1)
    if op == "transpose":
        return x.T
    if op == "broadcast":
        return x.broadcast_to((2, *x.shape)).sum(axis=0)
    if op == "getitem":
        return x[::-1]
    if op == "take":
        return x[rng.integers(0, x.shape[0], size=3)]
    if op == "concatenate":
        return concatenate([x, same], axis=0)
    if op == "stack":
        return stack([x, same], axis=-1)
    if op == "mse_loss":
        return fn.mse_loss(x, rng.normal(size=x.shape)) * 3.0  # upstream gradient 3, not 1
    if op == "l2_penalty":
        return fn.l2_penalty([x, same], 0.3)
    bias = leaf((*x.shape[:-1], 1)) if x.ndim else leaf(())
    return x + bias


@numeric_settings(80)
@given(st.data(), seeds, st.integers(1, 12))
def test_every_equation_of_a_random_graph_evaluates_to_its_grad(data, seed, n_ops):
    rng = np.random.default_rng(seed)
    count = [0]

    def leaf(shape):
        count[0] += 1
        return Tensor(rng.normal(size=shape), requires_grad=True, name=f"P{count[0]}")

    pool = [leaf((3, 2)), leaf((3, 2)), Tensor(rng.normal(size=(3, 2)))]  # and a constant
    for _ in range(n_ops):
        node = _random_op(data.draw, rng, pool, leaf)
        if data.draw(st.booleans()):
            node.name = f"N{len(pool)}"
        pool.append(node)
    J = pool[-1].sum()
    for node in pool[:-1]:
        if node.requires_grad and data.draw(st.booleans()):
            J = J + (node * node).sum() * 0.5
    assume(J.requires_grad)
    assert_equations_are_the_gradients(J)


@numeric_settings(30)
@given(seeds, st.integers(1, 15))
def test_every_equation_of_the_shared_random_dags_evaluates_to_its_grad(seed, n_ops):
    rng = np.random.default_rng(seed)
    leaves = [Tensor(rng.normal(size=(3, 3)), requires_grad=True, name=f"L{i}")
              for i in range(3)]
    out = random_graph(leaves, seed, n_ops, lambda a: a.sum(axis=0, keepdims=True))
    assert_equations_are_the_gradients(out.mean())


# ---------------------------------------------------------------------------------------------
# the course's equations, as expression trees
# ---------------------------------------------------------------------------------------------


def _is_integer_power(s: Sym) -> bool:
    exponent = s.args[1] if s.op == "pow" else None
    return exponent is not None and exponent.op == "const" and np.ndim(exponent.attrs) == 0 \
        and float(exponent.attrs).is_integer()


def _product(s: Sym, power: int, acc: dict) -> None:
    """Flatten ``*``, ``/``, unary ``-``, ``x**k`` (k an integer), numbers and nested products
    into ``coeff * Π scalar**power * Π factor**power`` (scalars: shape (), such as m)."""
    if s.op in ("mul", "div"):
        _product(s.args[0], power, acc)
        _product(s.args[1], -power if s.op == "div" else power, acc)
    elif s.op == "neg":
        acc["coeff"] *= -1.0
        _product(s.args[0], power, acc)
    elif s.op == "square" or _is_integer_power(s):
        k = 2 if s.op == "square" else int(s.args[1].attrs)
        _product(s.args[0], power * k, acc)
    elif s.op == "const" and np.ndim(s.attrs) == 0:
        acc["coeff"] *= float(s.attrs) ** power
    else:
        key = _canonical(s)
        if key[0] == "product":  # a product from inside @, Σ or ᵀ: merge it
            acc["coeff"] *= key[1] ** power
            for part, (_, factors) in zip(("scalars", "rest"), (key[2], key[3])):
                for k, p in factors:
                    acc[part][k] = acc[part].get(k, 0) + p * power
        else:
            part = acc["scalars"] if s.shape == () else acc["rest"]
            part[key] = part.get(key, 0) + power


def _split(s: Sym) -> dict:
    acc = {"coeff": 1.0, "scalars": {}, "rest": {}}
    _product(s, 1, acc)
    return acc


def _join(coeff: float, scalars: dict, rest: dict) -> tuple:
    scalars = tuple(sorted((k, p) for k, p in scalars.items() if p))
    rest = tuple(sorted((k, p) for k, p in rest.items() if p))
    if coeff == 1.0 and not scalars and len(rest) == 1 and rest[0][1] == 1:
        return rest[0][0]
    return ("product", round(coeff, 12), ("scalars", scalars), ("rest", rest))


def _canonical(s: Sym) -> tuple:
    """A normal form of a tree: sums and products flattened and sorted (commutativity),
    ``a - b`` as ``a + (-1) b``, numbers and scalar factors (1/m) pulled out of @, Σ and ᵀ,
    transposes pushed down to the leaves ((AB)ᵀ = BᵀAᵀ)."""
    op = s.op
    if op == "var":
        return ("var", s.label)
    if op == "const":
        values = np.asarray(s.attrs)
        if values.size and np.all(values == values.flat[0]):
            return ("number", round(float(values.flat[0]), 12))
        return ("array", values.tobytes())
    if op in ("add", "sub"):
        terms = []
        for i, arg in enumerate(s.args):
            key = _canonical(-arg if (op == "sub" and i == 1) else arg)
            terms.extend(key[1] if key[0] == "sum" else (key,))
        return ("sum", tuple(sorted(terms)))
    if op in ("mul", "div", "neg", "square") or _is_integer_power(s):
        acc = _split(s)
        return _join(acc["coeff"], acc["scalars"], acc["rest"])
    if op in ("matmul", "sum"):
        coeff, scalars, terms = 1.0, {}, []
        for arg in s.args:
            acc = _split(arg)
            coeff *= acc["coeff"]
            for k, p in acc["scalars"].items():
                scalars[k] = scalars.get(k, 0) + p
            terms.append(_join(1.0, {}, acc["rest"]))
        core = ("matmul", *terms) if op == "matmul" else ("Σ", s.attrs, *terms)
        return _join(coeff, scalars, {core: 1})
    if op == "transpose" and s.ndim == 2:
        inner = s.args[0]
        if inner.op == "matmul":
            return _canonical(inner.args[1].T @ inner.args[0].T)
        if inner.op in ("mul", "div", "neg", "add", "sub", "square"):
            return _canonical(_transposed_elementwise(inner))
        return ("T", _canonical(inner))
    attrs = s.attrs.__name__ if op == "ufunc" else repr(s.attrs)
    return (op, attrs, *(_canonical(a) for a in s.args))


def _transposed_elementwise(s: Sym) -> Sym:
    """(a * b)ᵀ = aᵀ * bᵀ and the like, for 2-D element-wise trees."""
    T = [a.T if a.ndim == 2 else a for a in s.args]
    return {"mul": lambda: T[0] * T[1], "div": lambda: T[0] / T[1], "neg": lambda: -T[0],
            "add": lambda: T[0] + T[1], "sub": lambda: T[0] - T[1],
            "square": lambda: T[0] * T[0]}[s.op]()


def assert_same_tree(ours: Sym, notes: Sym, what: str) -> None:
    assert _canonical(ours) == _canonical(notes), (
        f"{what}:\n  explain: {ours}\n  notes:   {notes}")


def assert_notes_formula(explanation, name: str, notes: Sym, what: str) -> None:
    """Structure (every upstream gradient inlined) and value (the notes' formula evaluated
    with numpy against the engine's .grad)."""
    eq = explanation[name]
    assert_same_tree(eq.expand(), notes, what)
    np.testing.assert_allclose(notes.evaluate(), eq.target.grad, rtol=1e-9, atol=1e-12,
                               err_msg=what)


def column_sum(dZ: Sym, m: int) -> Sym:
    """np.sum(dZ, axis=1, keepdims=True): b (n, 1) was broadcast over the m columns (F7.1).
    With one example nothing was broadcast, and the engine (rightly) sums nothing."""
    return dZ.sum(axis=1, keepdims=True) if m > 1 else dZ


def derivative(activation: str, Z: Sym, A: Sym, alpha: float = 0.01) -> Sym:
    """g'(Z) of F2, written from the formula table (not from the engine's rules)."""
    if activation == "sigmoid":
        return A * (1 - A)  # F2.1
    if activation == "tanh":
        return 1 - A**2  # F2.2
    if activation == "relu":
        return Z > 0  # F2.4, relu'(0) = 0
    return np.where(Z > 0, 1.0, alpha)  # F2.5, leaky'(0) = alpha


@numeric_settings(30)
@given(st.integers(1, 4), st.integers(1, 6), seeds)
def test_F1_4_logistic_regression_equations_are_the_notes(n_x, m, seed):
    J, t = logistic_regression(n_x, m, seed)
    J.backward()
    e = explain(J)
    X, Y, A = (e.symbol(t[k]) for k in "XYA")
    M = Sym.var("m", m, (), np.int64)
    dZ = A - Y  # F1.4: dZ = A - Y (as ∂(mJ)/∂Z)
    assert_notes_formula(e, "dZ", dZ / M, "F1.4 dZ = A - Y")
    assert_notes_formula(e, "dw", 1 / M * (X @ dZ.T), "F1.4 dw = 1/m X dZᵀ")
    # Z is (1, m): the notes' np.sum(dZ) is the sum over the examples, axis 1
    assert_notes_formula(e, "db", 1 / M * column_sum(dZ, m),
                         "F1.4 db = 1/m np.sum(dZ)")


@numeric_settings(30)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.integers(1, 6), seeds,
       st.sampled_from(ACTIVATIONS[:4]))
def test_F3_two_layer_equations_are_the_notes(n0, n1, n2, m, seed, g1):
    J, t = network([n0, n1, n2], [g1, "sigmoid"], "bce", m, seed, x_requires_grad=True)
    J.backward()
    e = explain(J)
    X, Y, W2, Z1, A1, A2 = (e.symbol(t[k]) for k in ("X", "Y", "W2", "Z1", "A1", "A2"))
    M = Sym.var("m", m, (), np.int64)
    dZ2 = A2 - Y  # F3.2
    dZ1 = (W2.T @ dZ2) * derivative(g1, Z1, A1)  # F3.4
    assert_notes_formula(e, "dZ2", dZ2 / M, "F3.2 dZ2 = A2 - Y")
    assert_notes_formula(e, "dW2", 1 / M * (dZ2 @ A1.T), "F3.3 dW2 = 1/m dZ2 A1ᵀ")
    assert_notes_formula(e, "db2", 1 / M * column_sum(dZ2, m),
                         "F3.3 db2 = 1/m np.sum(dZ2, axis=1, keepdims=True)")
    assert_notes_formula(e, "dZ1", dZ1 / M, "F3.4 dZ1 = W2ᵀ dZ2 * g1'(Z1)")
    assert_notes_formula(e, "dW1", 1 / M * (dZ1 @ X.T), "F3.5 dW1 = 1/m dZ1 Xᵀ")
    assert_notes_formula(e, "db1", 1 / M * column_sum(dZ1, m),
                         "F3.5 db1 = 1/m np.sum(dZ1, axis=1, keepdims=True)")
    W1 = e.symbol(t["W1"])
    assert_notes_formula(e, "dX", 1 / M * (W1.T @ dZ1), "F3.7 dX = W1ᵀ dZ1 (to the input)")


@numeric_settings(30)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=5), st.integers(1, 5), seeds,
       st.data())
def test_F4_L_layer_equations_are_the_notes(dims, m, seed, data):
    L = len(dims) - 1
    hidden = [data.draw(st.sampled_from(ACTIVATIONS[:4])) for _ in range(L - 1)]
    J, t = network(dims, [*hidden, "sigmoid"], "bce", m, seed)
    J.backward()
    e = explain(J)
    s = {name: e.symbol(tensor) for name, tensor in t.items()}
    s["A0"] = s["X"]
    M = Sym.var("m", m, (), np.int64)
    AL, Y = s[f"A{L}"], s["Y"]
    dA = -(Y / AL - (1 - Y) / (1 - AL))  # F4.2 (per example)
    assert_same_tree(e[f"dA{L}"].course, dA / M, "F4.2 dA[L] = -(Y/A[L] - (1-Y)/(1-A[L]))")
    dZ = AL - Y  # F3.2 / F4.3 with σ and the cross-entropy
    for l in range(L, 0, -1):
        if l < L:
            dZ = dA * derivative(hidden[l - 1], s[f"Z{l}"], s[f"A{l}"])  # F4.3
            assert_notes_formula(e, f"dZ{l}", dZ / M, f"F4.3 dZ[{l}] = dA[{l}] * g'(Z[{l}])")
        assert_notes_formula(e, f"dW{l}", 1 / M * (dZ @ s[f"A{l - 1}"].T),
                             f"F4.4 dW[{l}] = 1/m dZ[{l}] A[{l - 1}]ᵀ")
        assert_notes_formula(e, f"db{l}", 1 / M * column_sum(dZ, m),
                             f"F4.4 db[{l}] = 1/m np.sum(dZ[{l}], axis=1, keepdims=True)")
        dA = s[f"W{l}"].T @ dZ  # F4.5
        if l > 1:
            assert_notes_formula(e, f"dA{l - 1}", dA / M, f"F4.5 dA[{l - 1}] = W[{l}]ᵀ dZ[{l}]")
        assert e[f"dW{l}"].shape == (dims[l], dims[l - 1])  # F4.6
        assert e[f"db{l}"].shape == (dims[l], 1)


def test_the_canonical_form_tells_different_formulas_apart():
    """The structural comparison can fail: a transpose, a missing 1/m, the wrong operand."""
    J, t = network([2, 3, 1], ["tanh", "sigmoid"], "bce", 4, seed=0)
    J.backward()
    e = explain(J)
    A1, A2, Y, X = (e.symbol(t[k]) for k in ("A1", "A2", "Y", "X"))
    M = Sym.var("m", 4, (), np.int64)
    dW2 = e["dW2"].expand()
    assert_same_tree(dW2, (A2 - Y) @ A1.T / M, "dW2")
    assert_same_tree(dW2, (A1 @ ((A2 - Y).T / M)).T, "dW2, transposes moved")
    for wrong in ((A2 - Y) @ A1.T, (A2 - Y) @ A1.T / M * 2, (Y - A2) @ A1.T / M,
                  (A2 * Y) @ A1.T / M, A1 @ (A2 - Y).T / M, X @ A1.T / M):
        assert _canonical(dW2) != _canonical(wrong), str(wrong)
    dZ1 = e["dZ1"].expand()
    assert _canonical(dZ1) != _canonical((e.symbol(t["W2"]).T @ (A2 - Y)) * (1 - A1) / M)


# ---------------------------------------------------------------------------------------------
# the text
# ---------------------------------------------------------------------------------------------


def flower(m: int = 400) -> tuple[Tensor, dict]:
    """The two-layer flower network of seed 002 (2 -> 4 tanh -> 1 sigmoid)."""
    return network([2, 4, 1], ["tanh", "sigmoid"], "bce", m, seed=3)


def test_the_two_layer_network_prints_the_course_equations():
    J, _ = flower()
    text = str(explain(J))
    lines = {line.split(" = ")[0]: " = ".join(line.split(" = ")[1:]).strip()
             for line in text.splitlines() if " = " in line}
    assert lines["dA2"].startswith("(A2 - Y) / (A2 * (1 - A2)) / m¹")
    assert lines["dA2"].endswith("= -(Y / A2 - (1 - Y) / (1 - A2)) / m")
    assert lines["dZ2"] == "(A2 - Y) / m"  # the fused rule of the cost after a sigmoid
    assert lines["dW2"] == "dZ2 @ A1ᵀ"
    assert lines["db2"] == "np.sum(dZ2, axis=1, keepdims=True)"
    assert lines["dA1"] == "W2ᵀ @ dZ2"
    assert lines["dZ1"] == "dA1 * (1 - A1**2)"
    assert lines["dW1"] == "dZ1 @ Xᵀ"
    assert lines["db1"] == "np.sum(dZ1, axis=1, keepdims=True)"
    assert lines["d(W1 @ X)"] == "dZ1" and lines["d(W2 @ A1)"] == "dZ2"
    assert "1e-12" in text.splitlines()[-1]  # the floor of the rule, as a footnote
    names = [eq.name for eq in explain(J)]
    assert names == ["dA2", "dZ2", "d(W2 @ A1)", "dW2", "db2", "dA1", "dZ1", "d(W1 @ X)",
                     "dW1", "db1"]


def test_the_equations_follow_the_rules_the_engine_runs(monkeypatch):
    """No table of formulas: change a rule and the equation changes with it."""
    J, _ = flower(m=5)
    assert explain(J)["dZ1"].text == "dZ1 = dA1 * (1 - A1**2)"

    def wrong_rule(self, g, out, z):
        return (g * (1.0 - out),)

    monkeypatch.setattr(fn.Tanh, "backward", wrong_rule)
    assert explain(J)["dZ1"].text == "dZ1 = dA1 * (1 - A1)"


def test_logistic_regression_prints_the_notes_forms():
    J, _ = logistic_regression(3, 5, seed=1)
    e = explain(J)
    assert e["dZ"].text == "dZ = (A - Y) / m"
    assert e["d(wᵀ)"].text == "d(wᵀ) = dZ @ Xᵀ"
    assert e["dw"].text.split() == "dw = d(wᵀ)ᵀ = X @ dZᵀ".split()
    assert e["db"].text == "db = np.sum(dZ, axis=1, keepdims=True)"


def test_a_tensor_used_twice_gets_the_sum_of_both_contributions():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="x")
    y = x.tanh()
    y.name = "y"
    J = (y * x).sum()
    e = assert_equations_are_the_gradients(J)
    dx = e["dx"]
    assert len(dx.parts) == 2 and dx.expr.op == "add"
    assert dx.text == "dx = d(y * x) * y + dy * (1 - y**2)"


def test_names_of_unnamed_tensors_are_readable_and_deterministic():
    def build():
        rng = np.random.default_rng(0)
        W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W")
        X = Tensor(rng.normal(size=(2, 4)), name="X")
        H = ((W @ X).tanh() * 2.0 + (W @ X).sigmoid()).sum(axis=0, keepdims=True)
        return (H * H).mean()

    first, second = str(explain(build())), str(explain(build()))
    assert first == second
    assert "d(W @ X) = " in first and "d(W @ X)_2" not in first
    definitions = [line for line in first.splitlines() if line.startswith("where ")]
    assert definitions  # a long formula gets a short name and a definition
    equations = [line for line in first.splitlines() if " = " in line and line[0] == "d"]
    for line in definitions:
        label = line[len("where "):].split(" = ")[0]
        assert label[0] == "T" and label[1:].isdigit()
        assert any(label in eq for eq in equations), label


def test_mean_squared_error_divides_by_m():
    J, _ = network([2, 1], ["linear"], "mse", 5, seed=0)
    e = assert_equations_are_the_gradients(J)
    assert e[0].text == "d((Z1 - Y) * (Z1 - Y)) = np.ones((1, 5)) / m"
    assert e["dZ1"].text == "dZ1 = d(Z1 - Y)"


def squared_error_network(lam: float = 0.1, reduction: str = "mean") -> Tensor:
    """Seed 004's network: 2 -> 3 sigmoid -> 1 sigmoid, J = F5.1 (mse_loss + l2_penalty)."""
    from tinygrad_edu import data, nn
    from tinygrad_edu.nn import functional as F

    X, Y = data.load_planar_dataset()
    model = nn.Sequential(nn.Dense(2, 3, activation="sigmoid", seed=0),
                          nn.Dense(3, 1, activation="sigmoid", seed=1))
    return F.mse_loss(model(X), Y, reduction) + F.l2_penalty(model, lam), model


def test_squared_error_and_weight_decay_print_the_notes_form():
    """F5.2 and F5.5: dA2 = (A2 - Y) / m (δ = -(y - a) f'(z) once the sigmoid's rule runs) and
    dW = λ W + dZ A_prevᵀ — one fused op each, no T<k> and no d(... * 0.05) lines."""
    J, model = squared_error_network()
    e = assert_equations_are_the_gradients(J)
    text = str(e)
    assert [line for line in text.splitlines() if not line.startswith("d")] == []
    assert "where" not in text and not re.search(r"\bd?T\d", text) and "0.05" not in text
    assert e["dA2"].text == "dA2 = (A2 - Y) / m"
    assert e["dZ2"].text == "dZ2 = dA2 * A2 * (1 - A2)"
    assert e["dW2"].text == "dW2 = λ * W2 + dZ2 @ A1ᵀ"
    assert e["dW1"].text == "dW1 = λ * W1 + dZ1 @ Xᵀ"
    assert e["db2"].text == "db2 = np.sum(dZ2, axis=1, keepdims=True)"  # biases not decayed
    assert e["d(mse_loss(A2, Y))"].text == "d(mse_loss(A2, Y)) = 1"
    assert e["d(l2_penalty(W1, W2, λ=0.1))"].text == "d(l2_penalty(W1, W2, λ=0.1)) = 1"
    # the symbols are the values: λ = 0.1, m = 400
    A2, Y = J._ctx.parents[0]._ctx.parents  # J = mse_loss(A2, Y) + l2_penalty(...)
    assert (A2.name, Y.name) == ("A2", "Y")
    np.testing.assert_allclose(e["dA2"].evaluate(), (A2.data - Y.data) / 400, rtol=1e-12)
    W2 = model[1].W
    decay = e["dW2"].expr.args[0]
    np.testing.assert_allclose(decay.evaluate(), 0.1 * W2.data, rtol=1e-15)
    assert e["dW2"].expr.evaluate() == pytest.approx(W2.grad, rel=1e-12)


def test_squared_error_sum_and_a_scaled_cost_keep_their_factors():
    J, _ = squared_error_network(0.5, reduction="sum")
    e = assert_equations_are_the_gradients(J)
    assert e["dA2"].text == "dA2 = A2 - Y"  # reduction="sum": no 1/m
    assert e["dW2"].text == "dW2 = λ * W2 + dZ2 @ A1ᵀ"
    assert "λ=0.5" in e[0].text + e[1].text
    J, _ = squared_error_network()
    J = J * 2.0  # the terms' upstream gradient is 2: it stays a symbol, and is defined
    e = assert_equations_are_the_gradients(J)
    text = str(e)
    first = e[0].name
    assert first.startswith("dT") and f"where {first[1:]} = " in text
    assert e["dA2"].text == f"dA2 = (A2 - Y) * {first} / m"
    assert e["dW2"].text == f"dW2 = {first} * λ * W2 + dZ2 @ A1ᵀ"


def test_cross_entropy_on_logits_gives_sigma_minus_y():
    J, _ = network([3, 2, 1], ["relu", "linear"], "bce_logits", 4, seed=0)
    e = assert_equations_are_the_gradients(J)
    assert e["dZ2"].text == "dZ2 = (σ(Z2) - Y) / m"
    assert e["dZ1"].text == "dZ1 = dA1 * (Z1 > 0)"


def test_numpy_notation_shows_everything_the_rule_computes():
    J, _ = flower(m=5)
    e = explain(J, notation="numpy")
    assert e["dA2"].text == "dA2 = (A2 - Y) / np.maximum(A2 * (1.0 - A2), 1e-12) * (1.0 / m)"
    assert e["dW2"].text == "dW2 = dZ2 @ A1.T"
    assert all(eq.course is None for eq in e)
    assert "¹" not in str(e)


def test_jupyter_and_the_equation_objects():
    J, t = flower(m=6)
    J.backward()
    e = explain(J)
    page = html.unescape(e._repr_html_())
    assert page.count("<tr>") == len(e) + 1 and "dZ1" in page and "(A2 - Y) / m" in page
    eq = e["dW1"]
    assert eq.target is t["W1"] and eq.name == "dW1" and eq.shape == (4, 2)
    assert isinstance(eq.expr, Sym) and eq.expr.op == "matmul" and str(eq) == eq.text
    np.testing.assert_array_equal(eq.evaluate(), t["W1"].grad)
    assert e[t["W1"]] is eq and e[eq.name] is eq and list(e)[e.equations.index(eq)] is eq
    with pytest.raises(KeyError):
        e["dQ"]
    assert repr(e) == str(e)


def test_the_viz_contract_target_and_text():
    from tinygrad_edu import viz

    J, _ = flower(m=8)
    source = html.unescape(viz.to_dot(J, equations=True))
    for eq in explain(J):  # drawn whole, on the lines viz wraps it into (course form apart)
        assert '<BR ALIGN="LEFT"/>'.join(viz._equation_lines(eq.text)) in source
        assert "".join(viz._equation_lines(eq.text)).replace(" ", "") == \
            eq.text.replace(" ", "")


def test_bad_input_is_explained():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="x")
    with pytest.raises(BackwardError, match="one element"):
        explain(x * 2.0)
    with pytest.raises(BackwardError, match="require"):
        explain(Tensor(np.ones(3)).sum())
    with pytest.raises(ValueError, match="notation"):
        explain((x * 2.0).sum(), notation="latex")
    with pytest.raises(TypeError):
        explain(np.ones(3))


def test_the_package_exports_explain():
    assert tinygrad_edu.explain is explain
    assert "explain" in tinygrad_edu.__all__


def test_nn_sequential_names_its_equations():
    from tinygrad_edu import nn

    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(2, 7)), name="X")
    Y = Tensor((rng.random((1, 7)) < 0.5) * 1.0, name="Y")
    model = nn.Sequential(nn.Dense(2, 4, "tanh", seed=1), nn.Dense(4, 1, "sigmoid", seed=2))
    J = nn.functional.binary_cross_entropy(model(X), Y)
    e = assert_equations_are_the_gradients(J)
    assert [eq.name for eq in e] == ["dA2", "dZ2", "d(W2 @ A1)", "dW2", "db2", "dA1", "dZ1",
                                     "d(W1 @ X)", "dW1", "db1"]
    assert e["dZ1"].text == "dZ1 = dA1 * (1 - A1**2)"
    assert e["dZ2"].text.endswith("= (A2 - Y) / m")
