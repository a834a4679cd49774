"""Shared pieces of the formula suite (tests/test_formulas_F*.py).

Three kinds of things live here, and nothing else:

* the hypothesis strategies and settings every formula test uses: hypothesis draws the
  sizes (n[l], m, depth), the activation and an integer seed; ``np.random.default_rng(seed)``
  draws the values (tests/README.md: never raw hypothesis floats for numerical checks);
* ``NetCase``: one network's data and parameters as plain numpy arrays, and
  ``engine_network`` which runs that network through tinygrad_edu with raw Tensor ops
  (``Z1 = W1 @ X + b1; A1 = Z1.tanh(); ...``) and calls ``backward()``;
* the plain-numpy forward pass and activation derivatives the references are written with.
  They use numpy only, never the engine, so a wrong engine rule cannot make its own
  reference wrong in the same way.

The tolerance tiers (tests/README.md) are ``assert_tier1`` (autodiff against a closed form:
rtol 1e-9, atol 1e-12), ``assert_tier2`` (against central differences: rtol 1e-5,
atol 1e-7) and ``assert_exact_identity`` (linear ops: rtol 1e-12).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor
from tinygrad_edu.functions import binary_cross_entropy, l2_penalty, mse_loss

# ---------------------------------------------------------------------------------------------
# tolerances (tests/README.md "three tiers, never mixed up")
# ---------------------------------------------------------------------------------------------

TIER1 = {"rtol": 1e-9, "atol": 1e-12}  # autodiff against a closed form
TIER2 = {"rtol": 1e-5, "atol": 1e-7}  # autodiff against central differences (eps = 1e-4)
EXACT = {"rtol": 1e-12, "atol": 0.0}  # exact identities of linear ops
KINK_MARGIN = 1e-3  # ReLU / leaky ReLU: every |Z| of a kinked layer stays above this


def _assert_close(actual, expected, what: str, tolerances: dict) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape}, expected {expected.shape}"
    )
    np.testing.assert_allclose(actual, expected, err_msg=what, **tolerances)


def assert_tier1(actual, expected, what: str) -> None:
    """Autodiff against a hand-derived formula: rtol 1e-9, atol 1e-12, shapes equal."""
    _assert_close(actual, expected, what, TIER1)


def assert_tier2(actual, expected, what: str) -> None:
    """Autodiff against central differences with eps = 1e-4: rtol 1e-5, atol 1e-7."""
    _assert_close(actual, expected, what, TIER2)


def assert_exact_identity(actual, expected, what: str) -> None:
    """Linear ops (sum, broadcast, reshape): rtol 1e-12 and equal shapes."""
    _assert_close(actual, expected, what, EXACT)


# ---------------------------------------------------------------------------------------------
# hypothesis: sizes and seeds are drawn, values come from default_rng(seed)
# ---------------------------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)
widths = st.integers(min_value=1, max_value=5)
example_counts = st.integers(min_value=1, max_value=8)
depths = st.integers(min_value=1, max_value=4)  # number of layers L (hidden layers + output)
label_kinds = st.sampled_from(["random", "zeros", "ones"])


def _examples(usual: int) -> int:
    """``usual``, or more when the loaded hypothesis profile asks for more than its default
    100 (``TINYGRAD_EDU_HYPOTHESIS_PROFILE=thorough``: 1000). Other settings, such as the
    ``ci`` profile's derandomize, are inherited from the profile."""
    asked = settings.default.max_examples
    return asked if asked > 100 else usual


NETWORK_SETTINGS = settings(max_examples=_examples(40), deadline=None)  # network-level tests
OP_SETTINGS = settings(max_examples=_examples(60), deadline=None)  # single ops, cheap


def pinned_edge_cases(**base):
    """Add the course's edge cases as ``@example``s: m = 1, Y all 0 and Y all 1.

    ``base`` gives every argument of the test; each pinned case overrides one of them.
    """

    def decorate(test):
        for override in ({"m": 1}, {"labels": "zeros"}, {"labels": "ones"}):
            test = example(**{**base, **override})(test)
        return test

    return decorate


def labels_for(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    """0/1 labels: ``random`` (each 0 or 1 with probability ½), ``zeros`` or ``ones``."""
    if kind == "zeros":
        return np.zeros(shape)
    if kind == "ones":
        return np.ones(shape)
    return (rng.random(shape) < 0.5).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# activations: the engine op, and the plain-numpy function and derivative of the notes
# ---------------------------------------------------------------------------------------------


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))  # σ(z) = 1 / (1 + e^-z)


@dataclass(frozen=True)
class Activation:
    """``engine(Z)`` runs the tinygrad_edu op; ``g(z)`` and ``g_prime(z, a)`` are numpy."""

    name: str
    engine: Callable
    g: Callable
    g_prime: Callable
    kinked: bool = False


ACTIVATIONS = {
    "sigmoid": Activation(
        "sigmoid", lambda Z: Z.sigmoid(), _np_sigmoid, lambda z, a: a * (1 - a)  # a' = a(1-a)
    ),
    "tanh": Activation("tanh", lambda Z: Z.tanh(), np.tanh, lambda z, a: 1 - a**2),  # 1 - a²
    "relu": Activation(
        "relu",
        lambda Z: Z.relu(),
        lambda z: np.maximum(0.0, z),
        lambda z, a: np.where(z > 0, 1.0, 0.0),  # 1 for z > 0, 0 for z < 0
        kinked=True,
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda Z: Z.leaky_relu(0.01),
        lambda z: np.maximum(0.01 * z, z),
        lambda z, a: np.where(z > 0, 1.0, 0.01),  # 1 for z > 0, 0.01 for z < 0
        kinked=True,
    ),
    "identity": Activation("identity", lambda Z: Z, lambda z: z, lambda z, a: np.ones_like(z)),
}
hidden_activations = st.sampled_from(["tanh", "sigmoid", "relu", "leaky_relu"])


# ---------------------------------------------------------------------------------------------
# a network as numpy arrays, and the same network run through the engine
# ---------------------------------------------------------------------------------------------


@dataclass
class NetCase:
    """Data and parameters of an L-layer network, all numpy float64.

    ``X (n0, m)``, ``Y (nL, m)``, ``W[l-1] (n[l], n[l-1])``, ``b[l-1] (n[l], 1)`` for
    l = 1..L (lists are 0-based, names 1-based as in the notes). The hidden layers use
    ``hidden``, the last layer ``output``.
    """

    X: np.ndarray
    Y: np.ndarray
    W: list
    b: list
    hidden: str = "tanh"
    output: str = "sigmoid"
    extras: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def L(self) -> int:
        return len(self.W)

    def activation(self, l: int) -> Activation:
        """The activation of layer l (1-based)."""
        return ACTIVATIONS[self.output if l == self.L else self.hidden]


def make_case(
    seed: int,
    dims: list,
    m: int,
    labels: str = "random",
    hidden: str = "tanh",
    output: str = "sigmoid",
) -> NetCase:
    """Draw X, Y and parameters for layer sizes ``dims = [n0, n1, ..., nL]``.

    X is uniform in [-2, 2], W[l] standard normal / √n[l-1], b[l] normal with σ = 0.5, so
    |Z| stays moderate (far from saturation: σ(Z) never rounds to 0 or 1).
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(dims[0], m))
    W = [rng.standard_normal((n, n_prev)) / np.sqrt(n_prev) for n_prev, n in pairwise(dims)]
    b = [0.5 * rng.standard_normal((n, 1)) for n in dims[1:]]
    Y = labels_for(rng, (dims[-1], m), labels)
    return NetCase(X, Y, W, b, hidden, output)


def numpy_forward(case: NetCase) -> tuple[list, list]:
    """Plain numpy: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``, ``A[0] = X``.

    Returns ``(Z, A)`` with ``Z[0] = None`` and ``A[0] = X`` so indices match the notes.
    """
    Z, A = [None], [case.X]
    for l in range(1, case.L + 1):
        Z.append(case.W[l - 1] @ A[l - 1] + case.b[l - 1])
        A.append(case.activation(l).g(Z[l]))
    return Z, A


def assume_away_from_kinks(case: NetCase) -> None:
    """Reject draws where a ReLU / leaky ReLU layer has some |Z| <= 1e-3 (tests/README.md)."""
    Z, _ = numpy_forward(case)
    for l in range(1, case.L + 1):
        if case.activation(l).kinked:
            assume(np.min(np.abs(Z[l])) > KINK_MARGIN)


def network_property(base: dict, max_layers: int):
    """Decorator for a property over L-layer networks: draws ``dims = [n0, ..., nL]`` with
    L = 2..max_layers, m, the labels, the hidden activation and a seed; pins ``base`` with
    m = 1, Y all 0 and Y all 1. The test receives ``(seed, dims, m, labels, hidden)``."""

    def decorate(test):
        test = pinned_edge_cases(**base)(test)
        test = given(
            seed=seeds,
            dims=st.lists(widths, min_size=3, max_size=max_layers + 1),
            m=example_counts,
            labels=label_kinds,
            hidden=hidden_activations,
        )(test)
        return NETWORK_SETTINGS(test)

    return decorate


def network_case(seed: int, dims: list, m: int, labels: str, hidden: str) -> NetCase:
    """``make_case`` for the drawn sizes, rejecting draws too close to a ReLU kink."""
    case = make_case(seed, dims, m, labels, hidden=hidden)
    assume_away_from_kinks(case)
    return case


def engine_network(
    case: NetCase,
    reduction: str = "mean",
    x_requires_grad: bool = False,
    cost: str = "cross_entropy",
    weight_decay: float = 0.0,
) -> dict:
    """Run ``case`` through tinygrad_edu with raw Tensor ops and call ``J.backward()``.

    Returns every tensor by its course name: ``X``, ``W1``, ``b1``, ``Z1``, ``A1``, ..., ``J``.
    ``cost="cross_entropy"`` uses ``binary_cross_entropy(A[L], Y, reduction)``;
    ``cost="squared_error"`` uses ``mse_loss(A[L], Y, reduction)`` (``1/m Σ ½‖A[L] - Y‖²``);
    ``weight_decay`` λ adds ``l2_penalty([W1, ..., WL], λ)`` (``λ/2 Σ_l Σ W[l]²``: biases are
    not decayed, seed 004). The costs are the engine's fused ops, so the formula checks test
    their rules.
    """
    t = {"X": Tensor(case.X, requires_grad=x_requires_grad, name="X")}
    A = t["X"]
    for l in range(1, case.L + 1):
        W = t[f"W{l}"] = Tensor(case.W[l - 1], requires_grad=True, name=f"W{l}")
        b = t[f"b{l}"] = Tensor(case.b[l - 1], requires_grad=True, name=f"b{l}")
        Z = t[f"Z{l}"] = W @ A + b
        A = t[f"A{l}"] = case.activation(l).engine(Z)
    if cost == "cross_entropy":
        J = binary_cross_entropy(A, case.Y, reduction=reduction)
    else:
        J = mse_loss(A, case.Y, reduction=reduction)
    if weight_decay:
        J = J + l2_penalty([t[f"W{l}"] for l in range(1, case.L + 1)], weight_decay)
    t["J"] = J
    J.backward()
    return t


def grads_of(tensors: dict, names: list) -> dict:
    """``{name: tensors[name].grad}``, each as a copy."""
    return {name: np.array(tensors[name].grad) for name in names}


def parameter_names(L: int) -> list:
    return [name for l in range(1, L + 1) for name in (f"W{l}", f"b{l}")]


def nn_model_for(case: NetCase):
    """The same network built with the nn API: ``deep_network`` with the case's parameters."""
    from tinygrad_edu import nn

    dims = [case.X.shape[0]] + [W.shape[0] for W in case.W]
    model = nn.deep_network(dims, hidden=case.hidden, output=case.output, seed=0)
    state = {}
    for l in range(1, case.L + 1):
        state[f"W{l}"], state[f"b{l}"] = case.W[l - 1], case.b[l - 1]
    return model.load_state_dict(state)
