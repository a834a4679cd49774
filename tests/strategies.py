"""Shared hypothesis strategies and numerical helpers for the engine's property tests.

The rule of tests/README.md: hypothesis draws *shapes, sizes and an integer seed*; a seeded
``np.random.default_rng(seed)`` draws the *values* of numerical checks (so values are never
exact zeros or ties, which would put a central difference across a kink). Raw hypothesis
arrays are for forward, shape and exact tests, where edge values are wanted.

The numerical reference here is written with plain numpy and the engine's *forward* pass
only; it shares no code with the derivative rules (or with ``tinygrad_edu.gradcheck``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
from finite_differences import assert_matches_central_differences, central_differences
from hypothesis import settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor, no_grad

EPS = 1e-4  # central-difference step (F6.2)
RTOL, ATOL = 1e-5, 1e-7  # tier 2 of tests/README.md: autodiff against central differences
RELATIVE_TOL = 1e-6  # the course's ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖)
KINK_GAP = 10 * EPS  # keep at least this far from a kink (relu at 0, ties of max, ...)

# the thorough profiles (``thorough``, ``ci-thorough``: 1000 examples) draw ten times more
_SCALE = 10 if settings.default.max_examples > 100 else 1


def numeric_settings(max_examples: int = 50) -> settings:
    """Settings of a numerical property test: no deadline, a modest number of examples
    (ten times more under the ``thorough`` profile)."""
    return settings(max_examples=max_examples * _SCALE, deadline=None)


seeds = st.integers(min_value=0, max_value=2**32 - 1)


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes small enough to check every element of the gradient."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_pairs(max_dims: int = 3, max_side: int = 4):
    """Two shapes numpy can broadcast together (``.input_shapes``, ``.result_shape``)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             min_side=1, max_side=max_side)


# numpy's matmul: vectors (the "?" dimensions may be absent) and broadcast stacks of matrices
matmul_shapes = hnp.mutually_broadcastable_shapes(
    signature="(m?,n),(n,p?)->(m?,p?)", min_dims=0, max_dims=2, min_side=1, max_side=4
)


@st.composite
def axes_and_keepdims(draw, shape: tuple):
    """``axis`` as None, an int (possibly negative) or a tuple; and ``keepdims``."""
    ndim = len(shape)
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(hnp.valid_tuple_axes(ndim, min_size=0))
    axis = draw(st.one_of(*choices))
    return axis, draw(st.booleans())


def normal(rng: np.random.Generator, shape: tuple, scale: float = 1.0) -> np.ndarray:
    return rng.normal(scale=scale, size=shape)


def uniform(rng: np.random.Generator, shape: tuple, low: float, high: float) -> np.ndarray:
    return rng.uniform(low, high, size=shape)


def away_from(rng: np.random.Generator, shape: tuple, kink: float = 0.0) -> np.ndarray:
    """Values at least 0.1 away from ``kink`` (either side), of order 1."""
    magnitude = rng.uniform(0.1, 2.0, size=shape)
    return kink + np.where(rng.random(size=shape) < 0.5, -magnitude, magnitude)


def numerical_vjp(f: Callable[..., Tensor], arrays: Sequence[np.ndarray], upstream: np.ndarray,
                  eps: float = EPS) -> tuple[list[np.ndarray], list[Callable[[], np.ndarray]]]:
    """Central differences of ``J(x) = Σ upstream ⊙ f(x)`` for every element of every input.

    ``(J(θ + ε e_i) − J(θ − ε e_i)) / 2ε`` (F6.2), evaluated with the forward pass only;
    returns the differences and, per input, a function giving each element's error estimate
    (``finite_differences.central_differences``).
    """

    def J(values: list[np.ndarray]) -> float:
        with no_grad():
            out = f(*[Tensor(v) for v in values])
        return float(np.sum(np.asarray(out.data) * upstream))

    def moved(k: int) -> Callable[[tuple, float], float]:
        def J_k(i: tuple, h: float) -> float:
            values = [np.array(v, copy=True) for v in arrays]
            values[k][i] += h
            return J(values)

        return J_k

    differences, errors = [], []
    for k, a in enumerate(arrays):
        D, error = central_differences(moved(k), np.shape(a), eps)
        differences.append(D)
        errors.append(error)
    return differences, errors


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """``‖a − b‖ / (‖a‖ + ‖b‖)``, written again here so the test does not trust the engine's."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def autodiff_vjp(f: Callable[..., Tensor], arrays: Sequence[np.ndarray],
                 upstream: np.ndarray) -> tuple[Tensor, list[Tensor]]:
    """Run ``f`` on fresh leaves and ``backward(gradient=upstream)``; returns (output, leaves)."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*leaves)
    out.backward(gradient=upstream)
    return out, leaves


def check_gradients(f: Callable[..., Tensor], arrays: Sequence[np.ndarray],
                    rng: np.random.Generator) -> None:
    """Autodiff of ``f`` against central differences at every element of every input.

    The upstream gradient is random (non-trivial: a rule that forgets to multiply by it, or
    sums it in the wrong place, fails). Each input's grad must also have the input's shape and
    dtype. Tier 2 (rtol 1e-5, atol 1e-7, the course's 1e-6 on the whole θ), each widened by
    the central difference's own error estimate (``finite_differences``).
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    with no_grad():
        out_shape = f(*[Tensor(a) for a in arrays]).shape
    upstream = rng.normal(size=out_shape)
    _, leaves = autodiff_vjp(f, arrays, upstream)
    numeric, errors = numerical_vjp(f, arrays, upstream)
    for k, leaf in enumerate(leaves):
        assert leaf.grad is not None, f"input {k} received no gradient"
        assert leaf.grad.shape == leaf.shape, (k, leaf.grad.shape, leaf.shape)
        assert leaf.grad.dtype == np.float64
    # element by element, and the course's metric over the whole θ (all inputs), as in F6.2
    assert_matches_central_differences(
        [leaf.grad for leaf in leaves], numeric, errors,
        rtol=RTOL, atol=ATOL, relative_tol=RELATIVE_TOL, what="autodiff vs central differences",
    )


def inner(a: np.ndarray, b: np.ndarray) -> float:
    """The Frobenius inner product ``<a, b> = Σ a ⊙ b``."""
    return float(np.sum(np.asarray(a) * np.asarray(b)))


# -- random computation graphs (fan-out, diamonds), shared with the PyTorch oracle -----------

# Each op keeps values bounded (tanh, averaging, a denominator of at least 1), so a graph of
# any depth stays in the range where central differences are accurate. ``sum_keep`` is given
# by the caller, since PyTorch and tinygrad_edu spell ``sum(axis, keepdims)`` differently.
RANDOM_GRAPH_OPS = ("add", "sub", "mul", "div", "tanh", "sigmoid", "exp", "matmul", "colsum")


def random_graph(leaves: Sequence, seed: int, n_ops: int, sum_keep: Callable) -> object:
    """Build a random DAG over square leaves of one shape ``(n, n)``; returns its last node
    plus an earlier one (so the output has two paths back to many nodes) plus a small
    multiple of every leaf (so every leaf is used).

    Operands are drawn with replacement among *all* earlier nodes, so fan-out (``x * x``)
    and diamonds appear often. The same ``seed`` builds the same graph for any framework.
    """
    rng = np.random.default_rng(seed)
    nodes = list(leaves)
    for _ in range(n_ops):
        op = RANDOM_GRAPH_OPS[rng.integers(len(RANDOM_GRAPH_OPS))]
        a, b = nodes[rng.integers(len(nodes))], nodes[rng.integers(len(nodes))]
        if op == "add":
            node = (a + b) * 0.5
        elif op == "sub":
            node = a - b * 0.5
        elif op == "mul":
            node = (a * b).tanh()
        elif op == "div":
            node = a / (b * b + 1.0)
        elif op == "tanh":
            node = a.tanh()
        elif op == "sigmoid":
            node = a.sigmoid()
        elif op == "exp":
            node = a.tanh().exp()
        elif op == "matmul":
            node = (a @ b).tanh()
        else:  # colsum: a broadcast back over the columns
            node = (sum_keep(a) * b).tanh()
        nodes.append(node)
    out = nodes[-1] + nodes[len(nodes) // 2]
    for leaf in leaves:
        out = out + leaf * 0.1
    return out
