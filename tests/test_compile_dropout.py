"""tinygrad_edu.compile with dropout (F12): the compiled step draws the masks eager draws.

Dropout's random source (``seed``) is one of: an int (eager makes a new
``np.random.RandomState(seed)`` at every call, so every call has the same mask), a
``np.random.Generator`` or ``RandomState`` the user passes, or None, numpy's global stream
(their next numbers: a new mask at every call). ``nn.Dropout`` makes its stream once, when
built, and draws on from it. Each source is run as twins, eager and compiled, from the same
start over four training steps, and the costs, the gradients, the parameters and the global
stream's next number are compared bit for bit: the program makes the same numpy calls on the
same random numbers, so the values are the same bits.

``check_twins`` is that comparison; the mutants at the end put back what compile did before
(the program drew the int seed's masks on from the one generator it traced; two masks drawn
from one generator were merged into one; the check's trace moved the stream) and it must
fail under each.
"""

from __future__ import annotations

import numpy as np
import pytest
from compile_helpers import descend

import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu import GraphChangedError, Tensor, dropout, nn
from tinygrad_edu.compile import lowering

LR = 0.5
SOURCES = {  # the random source of each twin, made afresh for it
    "int": lambda: 4,
    "np.int64": lambda: np.int64(4),
    "Generator": lambda: np.random.default_rng(4),
    "RandomState": lambda: np.random.RandomState(4),
    "global stream": lambda: None,
}


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 10))
    return X, (X[:1] + 0.5 * rng.normal(size=(1, 10)) > 0).astype(float)


def functional(seed):
    """W1, b1, W2, b2 and ``F.dropout(A1, 0.6, seed=seed)`` between the layers."""
    rng = np.random.default_rng(1)
    W1 = Tensor(rng.normal(size=(5, 3)), requires_grad=True, name="W1")
    b1 = Tensor(rng.normal(size=(5, 1)), requires_grad=True, name="b1")
    W2 = Tensor(rng.normal(size=(1, 5)), requires_grad=True, name="W2")
    b2 = Tensor(np.zeros((1, 1)), requires_grad=True, name="b2")

    def cost(X, Y):
        A1 = F.relu(W1 @ X + b1)
        A1.name = "A1"
        A2 = F.sigmoid(W2 @ F.dropout(A1, 0.6, seed=seed) + b2)
        return F.binary_cross_entropy(A2, Y)

    return cost, [W1, b1, W2, b2]


def layered(seed):
    """The same network of layers, with the layer ``nn.Dropout(0.6, seed=seed)``."""
    model = nn.Sequential(nn.Dense(3, 5, activation="relu", seed=1), nn.Dropout(0.6, seed=seed),
                          nn.Dense(5, 1, activation="sigmoid", seed=2))
    return (lambda X, Y: F.binary_cross_entropy(model(X), Y)), model.parameters()


def run_twin(make, source, compiled, calls=4, check="once"):
    """``calls`` gradient-descent steps, compiled (the update in the program) or eager
    (optim.SGD): each step's cost and gradients, the parameters after, the global stream's
    next number, and the compiled step (None for eager)."""
    np.random.seed(7)  # the global stream, the same for both twins
    cost, params = make(SOURCES[source]())
    X, Y = _data()
    costs, grads, step = descend(cost, params, X, Y, calls, LR, compiled, check)
    return costs, grads, [p.data.copy() for p in params], np.random.random(), step


def _same(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y)
                                    for x, y in zip(a, b))


def check_twins(make, source, calls=4, check="once"):
    """Eager and compiled twins agree bit for bit, call after call; the compiled step."""
    costs, grads, params, after, _ = run_twin(make, source, False, calls, check)
    costs_c, grads_c, params_c, after_c, step = run_twin(make, source, True, calls, check)
    assert costs_c == costs, f"compiled costs {costs_c} != eager {costs}"
    assert all(_same(g, e) for g, e in zip(grads_c, grads)), "the gradients differ"
    assert _same(params_c, params), "the parameters differ"
    assert after_c == after, "the global stream moved another way than in eager"
    assert len(set(costs)) == calls  # the steps change the cost: a real comparison
    return step


@pytest.mark.parametrize("check", ["once", "always", "never"])
@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("make", [functional, layered])
def test_the_compiled_step_draws_the_masks_eager_draws(make, source, check):
    """Every random source, F.dropout and the nn.Dropout layer, every check mode: four
    compiled steps are the four eager steps, bit for bit."""
    check_twins(make, source, check=check)


def _masks(make, source, calls=3):
    """The masks eager dropout draws at each call (the op's ``ctx.saved``)."""
    np.random.seed(7)
    cost, _ = make(SOURCES[source]())
    X, Y = _data()
    masks = []
    for _ in range(calls):
        ops, seen = [cost(X, Y)._ctx], set()
        while ops:  # the graph's ops, from J back to the inputs
            op = ops.pop()
            if op is not None and id(op) not in seen:
                seen.add(id(op))
                masks += [op.saved] if isinstance(op, dropout.Dropout) else []
                ops += [p._ctx for p in op.parents]
    return masks


@pytest.mark.parametrize("source", list(SOURCES))
def test_what_eager_draws_an_int_seed_repeats_its_mask_a_stream_goes_on(source):
    """What the twins hold compile to: F.dropout with an int seed draws one mask at every
    call, a stream a new one; the layer's int seed is a stream (seeded once)."""
    masks = _masks(functional, source)
    repeats = source in ("int", "np.int64")
    assert all(np.array_equal(m, masks[0]) for m in masks) == repeats
    layer_masks = _masks(layered, source)
    assert not all(np.array_equal(m, layer_masks[0]) for m in layer_masks)


@pytest.mark.parametrize(("source", "line"), [
    ("int", "D1 = np.random.RandomState(4).random(A1.shape) < 0.6"),
    ("np.int64", "D1 = np.random.RandomState(4).random(A1.shape) < 0.6"),
    ("Generator", "D1 = rng.random(A1.shape) < 0.6"),
    ("RandomState", "D1 = rng.random(A1.shape) < 0.6"),
    ("global stream", "D1 = np.random.random(A1.shape) < 0.6"),
])
def test_the_source_writes_the_draw_as_eager_makes_it(source, line):
    """A new RandomState(seed) for an int; the generator given as the argument ``rng``;
    numpy's global stream as ``np.random``, as the notebook's ``np.random.rand``."""
    step = check_twins(functional, source, calls=2)
    assert f"    {line}" in step.source.splitlines()
    signature = next(s for s in step.source.splitlines() if s.startswith("def train_step"))
    assert ("rng" in signature) == (source in ("Generator", "RandomState"))


def two_masks(seed):
    """Two dropouts of one tensor, from one source: eager draws two masks (one, twice, for an
    int seed)."""
    rng = np.random.default_rng(1)
    W = Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="W")
    v = Tensor(rng.normal(size=(1, 4)), requires_grad=True, name="v")

    def cost(X, Y):
        Z = W @ X
        Z.name = "Z1"
        A = F.dropout(Z, 0.5, seed=seed) * F.dropout(Z, 0.5, seed=seed)
        return F.binary_cross_entropy(F.sigmoid(v @ A), Y)

    return cost, [W, v]


@pytest.mark.parametrize("source", ["int", "Generator", "global stream"])
def test_two_masks_drawn_from_one_source_are_two_draws_in_the_program(source):
    """``rng.random(Z1.shape) < 0.5`` written twice is two draws: the lowering reuses a
    repeated expression only when it holds no call that may draw (lowering.py, step 2)."""
    step = check_twins(two_masks, source)
    assert step.source.count(".random(Z1.shape) < 0.5") == 2


def test_a_new_generator_at_every_call_is_another_graph_at_the_check():
    """``seed=np.random.default_rng(0)`` inside the step function: eager draws the same mask
    at every call, the program could only draw on from the generator it traced; the check
    at the second call sees another generator and refuses, before any update."""
    W = Tensor(np.random.default_rng(1).normal(size=(1, 3)), requires_grad=True, name="W")
    X, Y = _data()
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(
        F.sigmoid(F.dropout(W @ X, 0.5, seed=np.random.default_rng(0))), Y), [W], lr=LR)
    step(X, Y)
    before = W.data.copy()
    with pytest.raises(GraphChangedError, match="another graph"):
        step(X, Y)
    assert np.array_equal(W.data, before)


def test_another_int_seed_is_another_graph_at_the_check():
    """The seed is part of the program (written in it), so a step function whose seed
    changes between calls is refused at the check rather than run with the traced seed."""
    W = Tensor(np.random.default_rng(1).normal(size=(1, 3)), requires_grad=True, name="W")
    X, Y = _data()
    seed = [0]
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(
        F.sigmoid(F.dropout(W @ X, 0.5, seed=seed[0])), Y), [W])
    step(X, Y)
    seed[0] = 1
    with pytest.raises(GraphChangedError, match="another graph"):
        step(X, Y)


def test_fit_compile_with_the_default_dropout_layer_is_fit():
    """fit(compile=True) with nn.Dropout() (numpy's global stream, the default): the costs
    and the weights of eager fit, and the global stream left where eager fit leaves it."""
    X, Y = _data()
    runs = []
    for compiled in (False, True):
        np.random.seed(5)
        model = nn.Sequential(nn.Dense(3, 6, activation="tanh"), nn.Dropout(0.7),
                              nn.Dense(6, 1, activation="sigmoid"))
        costs = tinygrad_edu.training.fit(model, X, Y, lr=0.3, iterations=6, batch_size=4,
                                          print_every=0, seed=1, compile=compiled)
        runs.append((costs, [p.data.copy() for p in model.parameters()], np.random.random()))
    assert runs[0][0] == runs[1][0] and len(set(runs[0][0])) == 6
    assert _same(runs[0][1], runs[1][1]) and runs[0][2] == runs[1][2]


# -- the mutants: what compile did before, which check_twins must catch -------------------

def _old_numpy_source(self, src, A):
    """Before: the mask drawn from the generator the op traced, whatever the seed."""
    D = src.keep(self, "saved", "D1",
                 f"{src.const(self.rng, 'rng')}.random({A}.shape) < {self.keep_prob!r}")
    return f"{A} * {D} / {self.keep_prob!r}"


MUTANTS = {
    "int seed drawn on from the traced generator": (
        [(dropout.Dropout, "numpy_source", _old_numpy_source),
         (dropout.Dropout, "compile_key", lambda self: ())], functional, "int"),
    "the layer's int seed drawn on, the check's draw kept": (
        [(dropout.Dropout, "compile_generators", lambda self: [])], layered, "int"),
    "the check's draw from a Generator kept": (
        [(dropout.Dropout, "compile_generators", lambda self: [])], functional, "Generator"),
    "the check's draw from the global stream kept": (
        [(dropout.Dropout, "compile_generators", lambda self: [])], layered, "global stream"),
    "two draws of one generator merged": (
        [(lowering._Lowering, "_pure", lambda self, node: True)], two_masks, "Generator"),
}


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_check_twins_catches_the_mutant(mutant, monkeypatch):
    patches, make, source = MUTANTS[mutant]
    check_twins(make, source)  # the real compile passes
    for owner, name, value in patches:
        monkeypatch.setattr(owner, name, value)
    with pytest.raises(AssertionError):
        check_twins(make, source)
