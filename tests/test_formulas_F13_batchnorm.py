"""F13: batch normalisation over the m examples (axis 1) of ``Z (n, m)``, one op.

Forward: ``μ = 1/m Σ Z``, ``σ² = 1/m Σ (Z − μ)²``, ``Z_norm = (Z − μ)/√(σ² + ε)``,
``Z̃ = γ Z_norm + β``. Backward, the closed form: ``dγ = Σ dZ̃ · Z_norm``, ``dβ = Σ dZ̃``,
``dZ = γ / (m √(σ² + ε)) · (m dZ̃ − Σ dZ̃ − Z_norm Σ (dZ̃ · Z_norm))``. Each is compared with
the formula written out in numpy here, and the engine's one-op rule with the chain rule
through the same computation composed of elementary Tensor ops (they agree to ~1e-12), and
with central differences. Evaluation uses the running averages (F13.4).

tests/test_mutation.py runs the ``check_F13_*`` functions against broken rules.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import assert_tier1, assert_tier2, seeds
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import numeric_settings

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

EPS = 1e-5
units = st.integers(min_value=1, max_value=4)
batch = st.integers(min_value=2, max_value=6)  # the batch's σ² needs m >= 2


def draw(seed: int, n: int, m: int) -> tuple:
    rng = np.random.default_rng(seed)
    z = rng.normal(rng.normal(0.0, 2.0, size=(n, 1)), rng.uniform(0.5, 2.0, size=(n, 1)),
                   size=(n, m))
    gamma = rng.uniform(0.5, 2.0, size=(n, 1)) * rng.choice([-1.0, 1.0], size=(n, 1))
    beta = rng.normal(size=(n, 1))
    dZt = rng.normal(size=(n, m))  # dZ̃, the upstream gradient
    return z, gamma, beta, dZt


def numpy_batch_norm(z, gamma, beta):
    mu = z.sum(axis=1, keepdims=True) / z.shape[1]  # μ = 1/m Σ Z
    var = ((z - mu) ** 2).sum(axis=1, keepdims=True) / z.shape[1]  # σ² = 1/m Σ (Z − μ)²
    z_norm = (z - mu) / np.sqrt(var + EPS)  # Z_norm = (Z − μ)/√(σ² + ε)
    return gamma * z_norm + beta, z_norm, var  # Z̃ = γ Z_norm + β


def engine(z, gamma, beta, dZt):
    Z = Tensor(z, requires_grad=True, name="Z1")
    G = Tensor(gamma, requires_grad=True, name="gamma1")
    B = Tensor(beta, requires_grad=True, name="beta1")
    out = F.batch_norm(Z, G, B, eps=EPS)
    (out * dZt).sum().backward()
    return out, Z, G, B


# ---------------------------------------------------------------------------------------------
# F13.1 forward
# ---------------------------------------------------------------------------------------------


def check_F13_1(z, gamma, beta) -> None:
    out = F.batch_norm(Tensor(z), Tensor(gamma), Tensor(beta), eps=EPS)
    expected, z_norm, _ = numpy_batch_norm(z, gamma, beta)
    assert_tier1(out.data, expected, "Z̃ = γ Z_norm + β")
    assert_tier1(z_norm.mean(axis=1), np.zeros(z.shape[0]), "Z_norm has mean 0")


@numeric_settings(60)
@given(seed=seeds, n=units, m=batch)
@example(seed=0, n=1, m=2)
def test_F13_1_batch_norm_forward_normalises_each_unit_over_the_examples(seed, n, m):
    z, gamma, beta, _ = draw(seed, n, m)
    check_F13_1(z, gamma, beta)


# ---------------------------------------------------------------------------------------------
# F13.2 dγ = Σ dZ̃ · Z_norm, dβ = Σ dZ̃
# ---------------------------------------------------------------------------------------------


def check_F13_2(z, gamma, beta, dZt) -> None:
    _, _, G, B = engine(z, gamma, beta, dZt)
    _, z_norm, _ = numpy_batch_norm(z, gamma, beta)
    assert_tier1(G.grad, (dZt * z_norm).sum(axis=1, keepdims=True), "dγ = Σ dZ̃ · Z_norm")
    assert_tier1(B.grad, dZt.sum(axis=1, keepdims=True), "dβ = Σ dZ̃")


@numeric_settings(60)
@given(seed=seeds, n=units, m=batch)
def test_F13_2_dgamma_and_dbeta_are_sums_over_the_examples(seed, n, m):
    check_F13_2(*draw(seed, n, m))


# ---------------------------------------------------------------------------------------------
# F13.3 dZ, the closed form; = the chain rule through the elementary ops
# ---------------------------------------------------------------------------------------------


def check_F13_3(z, gamma, beta, dZt) -> None:
    _, Z, _, _ = engine(z, gamma, beta, dZt)
    m = z.shape[1]
    _, z_norm, var = numpy_batch_norm(z, gamma, beta)
    # dZ = γ / (m √(σ² + ε)) · (m dZ̃ − Σ dZ̃ − Z_norm Σ (dZ̃ · Z_norm))
    expected = gamma / (m * np.sqrt(var + EPS)) * (
        m * dZt - dZt.sum(axis=1, keepdims=True)
        - z_norm * (dZt * z_norm).sum(axis=1, keepdims=True))
    assert_tier1(Z.grad, expected, "dZ vs the closed form")


def check_F13_3_against_elementary_ops(z, gamma, beta, dZt) -> None:
    """The same computation written with mean, -, *, ** 0.5, / (no batch_norm op): the
    engine's chain rule through ~10 ops must give what the one-op closed form gives."""
    _, Z, G, B = engine(z, gamma, beta, dZt)
    Ze = Tensor(z, requires_grad=True)
    Ge, Be = Tensor(gamma, requires_grad=True), Tensor(beta, requires_grad=True)
    mu = Ze.mean(axis=1, keepdims=True)
    var = ((Ze - mu) ** 2).mean(axis=1, keepdims=True)
    Z_norm = (Ze - mu) / (var + EPS) ** 0.5
    ((Ge * Z_norm + Be) * dZt).sum().backward()
    # two roundings of the same algebra: measured at most 2.4e-12 apart over 2000 draws (the
    # terms of dZ, of size |γ| |dZ̃| / √(σ² + ε), cancel), so 1e-10 relative or 1e-11 absolute
    for what, one_op, composed in (("dZ", Z, Ze), ("dγ", G, Ge), ("dβ", B, Be)):
        np.testing.assert_allclose(one_op.grad, composed.grad, rtol=1e-10, atol=1e-11,
                                   err_msg=f"{what}: one op vs elementary ops")


def check_F13_3_numerically(z, gamma, beta, dZt) -> None:
    """Central differences with Richardson extrapolation, (4 D(ε/2) - D(ε)) / 3, error O(ε⁴):
    with m = 2 and two close values of Z the third derivative is large (σ is small), and the
    plain O(ε²) difference is off by 2e-5 on a correct rule (seed 4294967295)."""
    _, Z, _, _ = engine(z, gamma, beta, dZt)

    def central(index, eps):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        return ((numpy_batch_norm(plus, gamma, beta)[0]
                 - numpy_batch_norm(minus, gamma, beta)[0]) * dZt).sum() / (2 * eps)

    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        numeric[index] = (4 * central(index, 5e-5) - central(index, 1e-4)) / 3
    assert_tier2(Z.grad, numeric, "dZ vs central differences (Richardson)")


@numeric_settings(60)
@given(seed=seeds, n=units, m=batch)
@example(seed=3, n=1, m=2)
def test_F13_3_dZ_is_the_closed_form_and_the_chain_rule_of_the_elementary_ops(seed, n, m):
    case = draw(seed, n, m)
    check_F13_3(*case)
    check_F13_3_against_elementary_ops(*case)
    check_F13_3_numerically(*case)


# ---------------------------------------------------------------------------------------------
# F13.4 evaluation uses running averages of μ and σ²
# ---------------------------------------------------------------------------------------------


@numeric_settings(30)
@given(seed=seeds, n=units, m=batch, steps=st.integers(1, 4),
       momentum=st.sampled_from([0.1, 0.5, 1.0]))
def test_F13_4_evaluation_uses_the_running_averages(seed, n, m, steps, momentum):
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm(n, momentum=momentum)
    layer.gamma.data[...] = rng.uniform(0.5, 2.0, size=(n, 1))
    layer.beta.data[...] = rng.normal(size=(n, 1))
    mean, var = np.zeros((n, 1)), np.ones((n, 1))
    for _ in range(steps):  # running = (1 - momentum) running + momentum * batch
        z = rng.normal(1.0, 2.0, size=(n, m))
        layer(Tensor(z))
        mean = (1 - momentum) * mean + momentum * z.mean(axis=1, keepdims=True)
        var = (1 - momentum) * var + momentum * z.var(axis=1, ddof=1, keepdims=True)
    assert_tier1(layer.running_mean.data, mean, "running mean")
    assert_tier1(layer.running_var.data, var, "running variance (unbiased batch variance)")
    layer.eval()
    z = rng.normal(size=(n, 3))
    Z = Tensor(z, requires_grad=True)
    out = layer(Z)
    expected = layer.gamma.data * (z - mean) / np.sqrt(var + EPS) + layer.beta.data
    assert_tier1(out.data, expected, "eval: γ (Z - running_mean)/√(running_var + ε) + β")
    out.sum().backward()
    assert_tier1(Z.grad, np.broadcast_to(layer.gamma.data / np.sqrt(var + EPS), z.shape),
                 "eval: dZ = γ / √(running_var + ε) dZ̃")
    assert_tier1(layer.running_mean.data, mean, "eval leaves the running mean alone")
