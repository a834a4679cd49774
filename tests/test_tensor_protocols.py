"""A one-element Tensor behaves like a number, comparisons like numpy's, identity like an
object's; the update loops learners write; the warnings; the package as a PyTorch user
expects it."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import (
    BackwardError,
    NoRuleError,
    ShapeError,
    Tensor,
    TinygradEduWarning,
    nn,
    no_grad,
    optim,
)
from tinygrad_edu.autograd import topological_order
from tinygrad_edu.nn import functional as F

# -- Python's protocols on a one-element tensor --------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_a_one_element_tensor_works_as_a_number(shape):
    J = Tensor(np.full(shape, 0.4567891234), requires_grad=True)
    assert float(J) == 0.4567891234 and int(Tensor(np.full(shape, 3.9))) == 3
    assert bool(J) is True and bool(Tensor(np.zeros(shape))) is False
    assert f"{J:.6f}" == "0.456789" and f"{J:.2e}" == "4.57e-01"
    assert "%f" % J == "0.456789" and "%.3f" % J == "0.457" and "%d" % Tensor(7.0) == "7"  # noqa: UP031
    assert round(J, 3) == 0.457 and round(Tensor(np.full(shape, 2.6))) == 3
    assert f"{J}" == str(J)  # no format spec: the repr, as for any object
    branch = "small" if J < 0.5 else "large"  # the course's `if cost < 0.5:`
    assert branch == "small"


@pytest.mark.parametrize("use", [
    bool, float, int, round, lambda t: f"{t:.3f}", lambda t: "yes" if t > 0 else "no",
])
def test_a_many_element_tensor_has_no_single_value(use):
    Z = Tensor(np.ones((4, 3)), requires_grad=True, name="Z1")
    with pytest.raises(ShapeError, match=r"\(4, 3\) has 12 elements.*np\.any\(t\)"):
        use(Z)
    assert isinstance(ShapeError("x"), ValueError)  # numpy raises a ValueError too


def test_comparisons_are_element_wise_constant_bool_tensors():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))
    A = Tensor(a, requires_grad=True)
    for op, expected in [
        (A < b, a < b), (A <= b, a <= b), (A > b, a > b), (A >= b, a >= b),
        (A == b, a == b), (A != b, a != b), (A == Tensor(a), np.ones((3, 4), bool)),
        (b < A, b < a), (b == A, b == a),  # numpy on the left: numpy's comparison, a Tensor
        (np.greater(A, b), a > b),
    ]:
        assert type(op) is Tensor and op.dtype == np.bool_ and not op.requires_grad
        np.testing.assert_array_equal(op.data, expected)
    predictions, Y = Tensor([[1.0, 0.0, 1.0]]) > 0.5, np.array([[1, 1, 1]])
    assert float(np.mean(predictions == Y)) == pytest.approx(2 / 3)  # the course's accuracy


def test_hashing_is_by_identity_and_equal_values_stay_distinct_keys():
    a, b = Tensor(1.0), Tensor(1.0)
    assert hash(a) == object.__hash__(a) and hash(a) != hash(b)
    assert len({a, b}) == 2 and len(dict.fromkeys([a, b, a])) == 2
    assert {a: "a", b: "b"}[b] == "b"


def test_the_library_never_compares_tensors_with_equals():
    """Every parameter holds the same value (a Tensor == would say they are all one); the
    library keeps them apart because it compares identities."""
    model = nn.Sequential(nn.Dense(2, 2, activation="tanh", seed=0),
                          nn.Dense(2, 1, activation="sigmoid", seed=1))
    for p in model.parameters():
        p.data[...] = 0.5
    params = model.parameters()
    assert len(params) == 4 and len({id(p) for p in params}) == 4
    X, Y = np.full((2, 3), 0.5), np.ones((1, 3))
    for opt in (optim.SGD(params, lr=0.1), optim.Adam(params, lr=0.1),
                optim.Momentum(params, lr=0.1)):
        opt.zero_grad()
        J = F.binary_cross_entropy(model(X), Y)
        J.backward()
        expected = [p.data - 0.1 * p.grad for p in params]
        opt.step()
        if isinstance(opt, optim.SGD):
            for p, e in zip(params, expected):
                np.testing.assert_array_equal(p.data, e)
        assert all(p.grad is not None for p in params)
    J = F.binary_cross_entropy(model(X), Y)
    J.backward()
    assert J.find("b2") is model.parameters()[3]
    explanation = tg.explain(J)
    assert explanation[J.find("W1")].target is J.find("W1")
    assert tg.viz.to_dot(J, collapse_layers=True)  # members compared by identity
    order = topological_order(J)
    assert len(order) == len({id(t) for t in order})


# -- the update loops learners write ---------------------------------------------------------


@pytest.mark.parametrize(("symbol", "update"), [
    ("-", lambda w, g: w.__isub__(0.1 * g)), ("+", lambda w, g: w.__iadd__(0.1 * g)),
    ("*", lambda w, g: w.__imul__(0.5)), ("/", lambda w, g: w.__itruediv__(2.0)),
])
def test_in_place_under_no_grad_keeps_the_leaf(symbol, update):
    w = Tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="w")
    (w * w).sum().backward()
    before, grad = w.data.copy(), w.grad.copy()
    expected = {"-": before - 0.1 * grad, "+": before + 0.1 * grad, "*": before * 0.5,
                "/": before / 2.0}[symbol]
    same = w
    with no_grad():
        w = update(w, grad)
    assert w is same and w.requires_grad and w.is_leaf and w.name == "w"
    np.testing.assert_array_equal(w.data, expected)
    np.testing.assert_array_equal(w.grad, grad)  # .grad is left alone (PyTorch's rule)


def test_pytorchs_update_loop_keeps_identity_requires_grad_and_a_graph_of_constant_size():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 8)), (rng.random((1, 8)) < 0.5).astype(float)
    w = Tensor(rng.normal(size=(1, 2)), requires_grad=True, name="w")
    b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    sizes = []
    for _ in range(30):
        J = F.binary_cross_entropy_with_logits(np.dot(w, X) + b, Y)
        sizes.append(len(topological_order(J)))
        J.backward()
        with no_grad():
            w -= 0.5 * w.grad
            b -= 0.5 * b.grad
        w.zero_grad()
        b.zero_grad()
    assert len(set(sizes)) == 1  # the same small graph every iteration: the speed stays
    assert w.is_leaf and w.requires_grad and b.is_leaf and b.requires_grad


def test_in_place_outside_no_grad_is_refused_and_changes_nothing():
    w = Tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="W1")
    for statement in ("w -= 0.1", "w += 0.1", "w *= 2", "w /= 2"):
        with pytest.raises(BackwardError) as raised:
            exec(statement, {"w": w})
        message = str(raised.value)
        assert "W1 (1, 2)" in message and "would change values the graph" in message
        assert "with no_grad():" in message and "optimizer" in message
        np.testing.assert_array_equal(w.data, [[1.0, -2.0]])
    Z = w * 2.0
    with no_grad(), pytest.raises(BackwardError, match=r"computed by mul"):
        Z -= 1.0  # its values belong to a recorded graph
    np.testing.assert_array_equal(Z.data, [[2.0, -4.0]])
    with no_grad():
        c = Tensor([1.0, 2.0])  # a constant under no_grad(): in place, as a numpy array
        same = c
        c -= 1.0
        assert c is same and c.tolist() == [0.0, 1.0]
        with pytest.raises(ShapeError, match=r"keeps the shape \(2,\)"):
            c += np.ones((3, 2))
        assert c.tolist() == [0.0, 1.0]


def test_in_place_on_a_constant_while_recording_is_out_of_place_and_keeps_the_graph():
    w = Tensor(np.array([[1.0, -2.0]]), requires_grad=True, name="w")
    total = Tensor(0.0)
    for k in (1.0, 2.0):
        total += (w * k).sum()  # the graph of the running total is recorded
    assert total.requires_grad and total.op == "add"
    total.backward()
    np.testing.assert_array_equal(w.grad, [[3.0, 3.0]])
    X = Tensor(np.array([[2.0], [3.0]]), name="X")
    w.zero_grad()
    Z = w @ X
    X_before = X
    X -= 1.0  # X is now a new tensor; the graph still holds the values it was built with
    assert X is not X_before and X_before.data.tolist() == [[2.0], [3.0]]
    Z.backward(np.ones((1, 1)))
    np.testing.assert_array_equal(w.grad, [[2.0, 3.0]])


def _course_loop(iterations, in_place):
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(2, 6)), (rng.random((1, 6)) < 0.5).astype(float)
    W = Tensor(rng.normal(size=(1, 2)), requires_grad=True, name="W")
    for _ in range(iterations):
        J = F.binary_cross_entropy_with_logits(np.dot(W, X), Y)
        J.backward()
        if in_place:
            with no_grad():
                W -= 0.1 * W.grad
            W.zero_grad()
        else:
            W = W - 0.1 * W.grad  # the course's update, outside no_grad()
    return W


def test_the_courses_chained_update_warns_once_naming_the_fix():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's usual filter: once per line
        W = _course_loop(20, in_place=False)
    chained = [w for w in caught if issubclass(w.category, TinygradEduWarning)]
    assert len(chained) == 1, [str(w.message) for w in caught]
    message = str(chained[0].message)
    assert "W = W - lr * dW" in message and "with no_grad(): W -= lr * W.grad" in message
    assert "optimizer" in message and "W.data" in message
    assert chained[0].filename == __file__  # it points at the learner's line
    assert not W.is_leaf
    # the in-place loop reaches the same values, silently (the suite makes warnings errors)
    np.testing.assert_allclose(_course_loop(20, in_place=True).data, W.data, rtol=1e-12)


def test_a_second_backward_through_the_same_graph_warns_mini_batches_stay_silent():
    w = Tensor(np.array([[1.0, 2.0]]), requires_grad=True, name="w")
    J = (w * w).sum()
    J.backward()
    with pytest.warns(TinygradEduWarning, match=r"already ran backward.*sum of both runs"):
        J.backward()
    np.testing.assert_array_equal(w.grad, 4 * w.data)  # still accumulates (the rule)
    w.zero_grad()
    J.backward()  # zero_grad() in between: silent (warnings are errors in this suite)
    for batch in (np.ones((2, 3)), np.full((2, 3), 2.0)):  # mini-batches: new graphs, silent
        (w @ batch).sum().backward()
    np.testing.assert_array_equal(w.grad, 2 * w.data + 3 * np.array([[3.0, 3.0]]))


def test_the_rank_1_trap_warns_naming_both_shapes_and_reshape():
    v = Tensor(np.arange(3.0), name="a")
    column = Tensor(np.ones((3, 1)), requires_grad=True, name="b")
    with pytest.warns(TinygradEduWarning) as caught:
        out = v + column
    assert out.shape == (3, 3)
    message = str(caught[0].message)
    assert "a (3,)" in message and "b (3, 1)" in message and ".reshape(3, 1)" in message
    with pytest.warns(TinygradEduWarning, match=r"reshape\(3, 1\)"):
        np.multiply(np.ones((3, 1)), Tensor(np.arange(3.0)))
    # the broadcasts the course means stay silent
    assert (Tensor(np.ones((3, 4))) + column).shape == (3, 4)
    assert (Tensor(np.ones(3)) + Tensor(np.ones((1, 3)))).shape == (1, 3)
    assert (1.0 - column).shape == (3, 1) and (Tensor(np.ones(1)) * column).shape == (3, 1)


# -- the package surface ------------------------------------------------------------------------


def test_submodules_load_lazily_on_first_use():
    code = ("import sys, tinygrad_edu as tg\n"
            "lazy = [m for m in ('nn', 'optim', 'data', 'viz', 'training')\n"
            "        if 'tinygrad_edu.' + m in sys.modules]\n"
            "print(lazy, tg.nn.Dense.__name__, tg.optim.SGD.__name__, tg.data.__name__,\n"
            "      tg.viz.__name__, tg.training.__name__, callable(tg.explain))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": sys.path[0] + ":" + ":".join(sys.path)})
    assert out.stdout.split() == ["[]", "Dense", "SGD", "tinygrad_edu.data", "tinygrad_edu.viz",
                                  "tinygrad_edu.training", "True"]


def test_explain_stays_a_function_and_its_module_stays_importable():
    from tinygrad_edu import explain
    from tinygrad_edu.explain import Explanation, Sym

    assert explain is tg.explain and callable(explain) and Sym and Explanation
    w = Tensor([[1.0]], requires_grad=True, name="w")
    assert "dw" in str(tg.explain((w * w).sum()))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        tg.nonsense  # noqa: B018


def test_making_tensors():
    assert tg.tensor([[1.0, 2.0]], requires_grad=True, name="x").requires_grad
    z = Tensor.zeros((2, 3))
    assert z.shape == (2, 3) and z.dtype == np.float64 and not z.data.any()
    o = Tensor.ones(2, 1, requires_grad=True, name="b1")
    assert o.requires_grad and o.name == "b1" and o.data.sum() == 2.0
    r = Tensor.randn(4, 2, seed=3)
    np.testing.assert_array_equal(r.data, np.random.default_rng(3).standard_normal((4, 2)))
    np.random.seed(2)
    expected = np.random.randn(4, 2)
    np.random.seed(2)
    np.testing.assert_array_equal(Tensor.randn((4, 2)).data, expected)  # the course's seeding
    u = Tensor.rand((3, 3), seed=0, dtype="float32")
    assert u.dtype == np.float32 and (u.data >= 0).all() and (u.data < 1).all()
    with pytest.raises(ShapeError, match=r"Tensor\.zeros"):
        Tensor.zeros((2, -1))


def test_shape_methods_and_conversions():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(3, 1, 4)), requires_grad=True)
    assert x.flatten().shape == (12,) and x.squeeze().shape == (3, 4)
    assert x.squeeze(1).shape == (3, 4) and Tensor(np.ones((1, 1))).squeeze().shape == ()
    with pytest.raises(ShapeError, match="size 3"):
        x.squeeze(0)
    am = x.argmax(axis=2)
    assert not am.requires_grad and am.tolist() == x.data.argmax(axis=2).tolist()
    assert x.argmin().tolist() == int(x.data.argmin())
    v = x.var(axis=2)
    np.testing.assert_allclose(v.data, x.data.var(axis=2), rtol=1e-12)
    v.sum().backward()
    mu = x.data.mean(axis=2, keepdims=True)
    np.testing.assert_allclose(x.grad, 2 * (x.data - mu) / 4, rtol=1e-12)
    assert x.tolist() == x.data.tolist()
    np.testing.assert_allclose(np.var(x, ddof=1).data, np.var(x.data, ddof=1), rtol=1e-12)


def test_np_array_of_a_tensor_that_requires_grad_is_refused():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name="W1")
    with pytest.raises(NoRuleError, match=r"W1 \(2, 2\).*drop the graph.*t\.numpy\(\)"):
        np.array(W)
    with pytest.raises(NoRuleError):
        np.squeeze(np.asarray(W))  # the notebook's np.squeeze(np.array(cost)): say so
    np.testing.assert_array_equal(np.asarray(W.detach()), np.ones((2, 2)))
    with no_grad():
        assert np.asarray(W).shape == (2, 2)  # nothing is recorded: the values
    assert np.array(Tensor([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_an_update_that_replaces_the_parameter_under_no_grad_is_named_at_the_next_backward():
    W = Tensor(np.array([[1.0, 2.0]]), requires_grad=True, name="W")
    (W * W).sum().backward()
    with no_grad():
        W = W - 0.1 * W.grad  # a new tensor, which requires no grad
    with pytest.raises(BackwardError, match=r"W = W - lr \* W\.grad inside no_grad\(\).*W -= lr"):
        (W * W).sum().backward()
