"""Second order: ``grad(..., create_graph=True)`` runs the same derivative rules on Tensors,
so a gradient can be differentiated again. Hessian-vector products are checked against a
closed form, against central differences of the first-order gradient, and for symmetry."""

from __future__ import annotations

import numpy as np
from finite_differences import OPS_PER_COST, ROUNDING, assert_matches_central_differences
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import (
    ATOL,
    EPS,
    RELATIVE_TOL,
    RTOL,
    inner,
    numeric_settings,
    random_graph,
    seeds,
    shapes,
)

from tinygrad_edu import Tensor, concatenate, grad, stack
from tinygrad_edu.functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l2_penalty,
    mse_loss,
)


def hessian_vector_product(f, x_values: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H v = ∇_x <∇_x f(x), v> by differentiating the gradient (autodiff twice)."""
    x = Tensor(x_values, requires_grad=True)
    g = grad(f(x), x, create_graph=True)
    assert isinstance(g, Tensor) and g.shape == x.shape
    if not g.requires_grad:  # f is linear in x: its gradient is a constant (PyTorch's rule)
        return np.zeros_like(x_values)
    return grad((g * Tensor(v)).sum(), x)


def numerical_hessian_vector_product(f, x_values, v, eps=EPS):
    """D(ε) = (∇f(x + εv) − ∇f(x − εv)) / 2ε with first-order autodiff gradients, refined by
    Richardson extrapolation, (4 D(ε/2) − D(ε)) / 3: the central difference alone errs by
    O(ε²) times a fourth derivative, which reached 1e-6 of a small Hessian entry (seed 25409,
    a one-element random graph); the extrapolation cancels that term (error O(ε⁴)).

    Returns it and a function giving its error estimate: ``|D(ε/2) − D(ε)| / 3``, the
    truncation error of ``D(ε/2)`` (a generous bound for the extrapolation's), plus the rounding
    of the gradients, ``64 u (|∇f(x + hv)| + |∇f(x − hv)|) / 2h`` at h = ε/2, times 5/3 for
    the extrapolation's weights (see ``finite_differences``)."""

    def gradient_at(values):
        x = Tensor(values, requires_grad=True)
        return grad(f(x), x)

    def central(h):
        plus, minus = gradient_at(x_values + h * v), gradient_at(x_values - h * v)
        rounding = OPS_PER_COST * ROUNDING * (np.abs(plus) + np.abs(minus)) / (2 * h)
        return (plus - minus) / (2 * h), rounding

    (half, rounding), (full, _) = central(eps / 2), central(eps)
    return (4 * half - full) / 3, lambda: np.abs(half - full) / 3 + 5 / 3 * rounding


def assert_close_hvp(analytic: np.ndarray, numeric_and_error, what: str) -> None:
    """Tier 2 with the absolute tolerance scaled to the largest entry: the central difference
    of a gradient errs by about ε² times a fourth derivative of f, which is shared by all the
    entries (a small entry next to large ones carries the large ones' error); widened, like
    every tier-2 check, by the difference's own error estimate."""
    numeric, error = numeric_and_error
    scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    assert_matches_central_differences([analytic], [numeric], [error], rtol=RTOL,
                                       atol=ATOL * scale, relative_tol=RELATIVE_TOL, what=what)


@numeric_settings(40)
@given(shape=shapes(), seed=seeds)
@example(shape=(1,), seed=0)
def test_hvp_of_sum_tanh_cubed_matches_its_closed_form(shape, seed):
    """f = Σ tanh(x)³:  ∂f/∂x = 3t²(1 − t²),  ∂²f/∂x² = (6t − 12t³)(1 − t²), diagonal."""
    rng = np.random.default_rng(seed)
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    hv = hessian_vector_product(lambda t: (t.tanh() ** 3).sum(), x, v)
    t = np.tanh(x)
    np.testing.assert_allclose(hv, (6 * t - 12 * t**3) * (1 - t**2) * v, rtol=1e-9, atol=1e-12)
    x_leaf = Tensor(x, requires_grad=True)
    first = grad((x_leaf.tanh() ** 3).sum(), x_leaf, create_graph=True)
    np.testing.assert_allclose(first.data, 3 * t**2 * (1 - t**2), rtol=1e-12, atol=1e-15)


@numeric_settings(40)
@given(shape=shapes(min_dims=1, max_dims=2), seed=seeds, reduction=st.sampled_from(["mean", "sum"]))
def test_hvp_of_the_squared_error_is_v_over_m(shape, seed, reduction):
    """F5.1: J = ½ Σ (H - Y)² / m, dH = (H - Y) / m, so the Hessian is I / m (I for "sum")."""
    rng = np.random.default_rng(seed)
    h, y, v = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    hv = hessian_vector_product(lambda t: mse_loss(t, y, reduction), h, v)
    m = shape[-1] if reduction == "mean" else 1
    np.testing.assert_allclose(hv, v / m, rtol=1e-12, atol=1e-15)
    H = Tensor(h, requires_grad=True)
    first = grad(mse_loss(H, y, reduction), H, create_graph=True)
    assert first.requires_grad  # the rule (H - Y) * g / m, recorded as Tensor ops
    np.testing.assert_allclose(first.data, (h - y) / m, rtol=1e-12, atol=1e-15)


@numeric_settings(40)
@given(shape=shapes(), seed=seeds, lam=st.floats(0.01, 10.0))
def test_hvp_of_the_weight_penalty_is_lambda_v(shape, seed, lam):
    """F5.5: P = λ/2 Σ_l Σ W_l², dW = λ W, so the Hessian is λ I; with W and 3W both made
    from x, P = 10 λ/2 Σ x² and H v = 10 λ v (each weight's rule adds its part)."""
    rng = np.random.default_rng(seed)
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    hv = hessian_vector_product(lambda t: l2_penalty([t], lam), x, v)
    np.testing.assert_allclose(hv, lam * v, rtol=1e-12, atol=1e-15)
    hv = hessian_vector_product(lambda t: l2_penalty([t, t * 3.0], lam), x, v)
    np.testing.assert_allclose(hv, 10 * lam * v, rtol=1e-12, atol=1e-15)


def _sum_keep(t):
    return t.sum(axis=1, keepdims=True)


@numeric_settings(30)
@given(seed=seeds, n=st.integers(1, 3), n_ops=st.integers(1, 10))
def test_hvp_of_random_graphs_matches_finite_differences_and_is_symmetric(seed, n, n_ops):
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n, n))

    def f(x):
        return (random_graph([x, x * 0.5 + 0.2], seed, n_ops, _sum_keep) * weights).sum()

    x, u, v = (rng.normal(size=(n, n)) for _ in range(3))
    hv, hu = hessian_vector_product(f, x, v), hessian_vector_product(f, x, u)
    assert_close_hvp(hv, numerical_hessian_vector_product(f, x, v), "H v")
    left, right = inner(u, hv), inner(v, hu)  # <u, H v> == <v, H u>
    assert abs(left - right) <= 1e-10 * (1 + abs(left))


SECOND_ORDER = {
    "sigmoid": (lambda x: x.sigmoid(), lambda r, s: r.normal(size=s) * 2),
    "tanh": (lambda x: x.tanh(), lambda r, s: r.normal(size=s)),
    "exp": (lambda x: x.exp(), lambda r, s: r.normal(size=s)),
    "log": (lambda x: x.log(), lambda r, s: r.uniform(0.3, 2.0, size=s)),
    "sqrt": (lambda x: x.sqrt(), lambda r, s: r.uniform(0.3, 2.0, size=s)),
    "div": (lambda x: 1.0 / (x * x + 0.5) + x / 3.0, lambda r, s: r.normal(size=s)),
    "pow_scalar": (lambda x: x**3 + x**-1.5, lambda r, s: r.uniform(0.5, 2.0, size=s)),
    "pow_tensor": (lambda x: x ** (x * 0.5), lambda r, s: r.uniform(0.5, 2.0, size=s)),
    "reflected_pow": (lambda x: 2.0 ** (x * x), lambda r, s: r.normal(size=s)),
    "getitem": (lambda x: (x.reshape(-1)[np.array([0, 0, -1])] ** 2).exp(),
                lambda r, s: r.normal(size=s) * 0.5),
    "matmul": (lambda x: (x.reshape(-1, 1) @ x.reshape(1, -1)).tanh(),
               lambda r, s: r.normal(size=s)),
    "matmul_vectors_and_stacks": (lambda x: _vectors_and_stacks(x.reshape(-1)),
                                  lambda r, s: r.normal(size=s) * 0.7),
    "mean_max": (lambda x: (x * x).mean(axis=-1, keepdims=True) * x.max(),
                 lambda r, s: r.normal(size=s)),
    "mse_loss": (lambda x: mse_loss(x.tanh() * x, np.full(x.shape, 0.3)),
                 lambda r, s: r.normal(size=s)),
    "l2_penalty": (lambda x: l2_penalty([x.sigmoid(), x * x], 0.7),
                   lambda r, s: r.normal(size=s)),
    "concatenate": (lambda x: concatenate([x * x, x.exp()], axis=0),
                    lambda r, s: r.normal(size=s)),
    "broadcast": (lambda x: (x.reshape(-1, 1) * x.reshape(1, -1).sigmoid()).sum(axis=0),
                  lambda r, s: r.normal(size=s)),
    "bce": (lambda x: binary_cross_entropy(x.reshape(1, -1).sigmoid(),
                                           np.ones((1, x.size)) * 0.3),
            lambda r, s: r.normal(size=s)),
    "bce_probabilities": (lambda x: binary_cross_entropy((x * 0.5).tanh() * 0.4 + 0.5,
                                                         np.zeros(x.shape)),
                          lambda r, s: r.normal(size=s)),
    "bce_logits": (lambda x: binary_cross_entropy_with_logits(x * x, np.ones(x.shape)),
                   lambda r, s: r.normal(size=s)),
}


def _vectors_and_stacks(v):
    """1-D @ 2-D, 2-D @ 1-D, 1-D @ 1-D and a stack of matrices @ a vector, all built from v."""
    M = (v.reshape(-1, 1) * v.reshape(1, -1)).tanh()
    stacked = stack([M, M * M]) @ v  # (2, n, n) @ (n,) -> (2, n)
    return concatenate([(v @ M).tanh(), M @ v, (v @ v).reshape(1), stacked.reshape(-1)])


@numeric_settings(80)
@given(op=st.sampled_from(sorted(SECOND_ORDER)), shape=shapes(min_dims=1, max_dims=2),
       seed=seeds)
def test_second_derivatives_through_each_op_match_finite_differences(op, shape, seed):
    f_op, values = SECOND_ORDER[op]
    rng = np.random.default_rng(seed)
    x, v = values(rng, shape), rng.normal(size=shape)
    probe = rng.normal(size=f_op(Tensor(x)).shape)

    def f(t):
        return (f_op(t) * Tensor(probe)).sum()

    assert_close_hvp(hessian_vector_product(f, x, v), numerical_hessian_vector_product(f, x, v),
                     op)


def test_the_gradient_graph_can_be_differentiated_a_third_time():
    """f = x⁴: f' = 4x³, f'' = 12x², f''' = 24x."""
    x = Tensor([1.5, -2.0], requires_grad=True)
    g1 = grad((x**4).sum(), x, create_graph=True)
    g2 = grad(g1.sum(), x, create_graph=True)
    g3 = grad(g2.sum(), x)
    np.testing.assert_allclose(g1.data, 4 * x.data**3, rtol=1e-14)
    np.testing.assert_allclose(g2.data, 12 * x.data**2, rtol=1e-14)
    np.testing.assert_allclose(g3, 24 * x.data, rtol=1e-14)
