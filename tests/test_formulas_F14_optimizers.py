"""F14: RMSprop, Adam's bias correction, learning-rate decay and gradient-norm clipping.

The formulas are about algorithms, so the tests run them: the optimizer steps on gradients
drawn from a seeded generator, and a plain-numpy transcription of the formula (written out
here, sharing no code with tinygrad_edu) steps alongside; every entry is compared after every
step. Both sides do the same float64 arithmetic in the same order, but the reference is
written independently, so the comparison allows the rounding of a reordered expression
(rtol 1e-12) rather than demanding equal bits.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
from formula_helpers import NETWORK_SETTINGS, assert_exact_identity
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_edu import Tensor, optim

SETTINGS = NETWORK_SETTINGS  # 40 examples; the thorough profile's 1000
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
betas = st.floats(0.0, 0.999)


def _gradients(rng: np.random.Generator, shapes_: list, steps: int, scales: bool) -> list:
    """``steps`` lists of gradients; with ``scales`` each entry gets its own magnitude
    (1e-3 … 1e3), which is where RMSprop and Adam differ from momentum."""
    per_entry = [10.0 ** rng.uniform(-3, 3, size=s) if scales else 1.0 for s in shapes_]
    return [[rng.normal(size=s) * k for s, k in zip(shapes_, per_entry)] for _ in range(steps)]


def _run(opt: optim.Optimizer, params: list, gradient_steps: list, reference) -> None:
    """Step ``opt`` and ``reference(i, g, t)`` (returns the new W of parameter i) together."""
    for t, grads in enumerate(gradient_steps, start=1):
        expected = []
        for i, (p, g) in enumerate(zip(params, grads)):
            p.grad = g.copy()
            expected.append(reference(i, g, t))
        opt.step()
        for i, (p, W) in enumerate(zip(params, expected)):
            assert_exact_identity(p.data, W, f"parameter {i} after step {t}")


# -- F14.1 RMSprop ---------------------------------------------------------------------------


def check_F14_1(seed: int, shape: tuple, lr: float, beta: float, eps: float, steps: int = 4,
                scales: bool = True) -> None:
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=shape), requires_grad=True) for _ in range(2)]
    W = [p.data.copy() for p in params]
    s = [np.zeros(shape) for _ in params]
    opt = optim.RMSprop(params, lr=lr, beta=beta, eps=eps)

    def reference(i, g, t):
        s[i] = beta * s[i] + (1 - beta) * g**2  # s = β s + (1 − β) dW²
        W[i] = W[i] - lr * g / (np.sqrt(s[i]) + eps)  # W := W − α dW / (√s + ε)
        return W[i]

    _run(opt, params, _gradients(rng, [shape] * 2, steps, scales), reference)


@given(seed=seeds, shape=shapes, lr=st.floats(1e-4, 1.0), beta=betas,
       eps=st.sampled_from([1e-8, 1e-6, 1e-3, 1.0]))
@SETTINGS
@example(seed=0, shape=(1,), lr=0.01, beta=0.0, eps=1e-8)  # β = 0: W -= α dW / (|dW| + ε)
def test_F14_1_rmsprop_divides_by_the_root_mean_square(seed, shape, lr, beta, eps):
    check_F14_1(seed, shape, lr, beta, eps)


def test_F14_1_rmsprop_steps_every_weight_by_about_lr_whatever_its_gradient_scale():
    """With β = 0, √s = |dW|: each weight moves by α sign(dW), the point of RMSprop."""
    p = Tensor(np.zeros((1, 4)), requires_grad=True)
    p.grad = np.array([[1e-4, -3.0, 250.0, -1e3]])
    optim.RMSprop([p], lr=0.1, beta=0.0, eps=1e-12).step()
    np.testing.assert_allclose(p.data, [[-0.1, 0.1, -0.1, 0.1]], rtol=1e-7)


# -- F14.2 Adam with bias correction ---------------------------------------------------------


def check_F14_2(seed: int, shape: tuple, lr: float, beta1: float, beta2: float, eps: float,
                steps: int = 5, scales: bool = True) -> None:
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=shape), requires_grad=True) for _ in range(2)]
    W = [p.data.copy() for p in params]
    v = [np.zeros(shape) for _ in params]
    s = [np.zeros(shape) for _ in params]
    opt = optim.Adam(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def reference(i, g, t):
        v[i] = beta1 * v[i] + (1 - beta1) * g  # v = β1 v + (1 − β1) dW
        s[i] = beta2 * s[i] + (1 - beta2) * g**2  # s = β2 s + (1 − β2) dW²
        v_hat = v[i] / (1 - beta1**t)  # v̂ = v / (1 − β1^t)
        s_hat = s[i] / (1 - beta2**t)  # ŝ = s / (1 − β2^t)
        W[i] = W[i] - lr * v_hat / (np.sqrt(s_hat) + eps)  # W := W − α v̂ / (√ŝ + ε)
        return W[i]

    _run(opt, params, _gradients(rng, [shape] * 2, steps, scales), reference)


@given(seed=seeds, shape=shapes, lr=st.floats(1e-4, 0.5), beta1=betas, beta2=betas,
       eps=st.sampled_from([1e-8, 1e-6, 1e-3]))
@SETTINGS
@example(seed=1, shape=(2, 3), lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)  # the defaults
def test_F14_2_adam_is_bias_corrected_momentum_over_rmsprop(seed, shape, lr, beta1, beta2, eps):
    check_F14_2(seed, shape, lr, beta1, beta2, eps)


def test_F14_2_bias_correction_makes_the_first_step_alpha_dW_over_abs_dW():
    """At t = 1, v̂ = dW and √ŝ = |dW|: the first step is α sign(dW), not the
    (1 − β1)/√(1 − β2) ≈ 3.2 times larger step that the uncorrected averages would give."""
    p = Tensor(np.zeros((1, 3)), requires_grad=True)
    p.grad = np.array([[2.0, -0.5, 8.0]])
    optim.Adam([p], lr=0.01, eps=1e-12).step()
    np.testing.assert_allclose(p.data, [[-0.01, 0.01, -0.01]], rtol=1e-9)


# -- F14.3 learning-rate decay ---------------------------------------------------------------


def _numpy_schedule(kind: str, alpha0: float, epoch: int, rate: float, step_size: int) -> float:
    if kind == "inverse_time":
        return alpha0 / (1 + rate * epoch)  # α = α0 / (1 + decay_rate · epoch)
    if kind == "exponential":
        return rate**epoch * alpha0  # α = base^epoch · α0 (the course: 0.95^epoch · α0)
    return alpha0 * rate ** math.floor(epoch / step_size)  # α = α0 · factor^⌊epoch / k⌋


def _make_schedule(kind: str, opt, rate: float, step_size: int):
    if kind == "inverse_time":
        return optim.InverseTimeDecay(opt, decay_rate=rate)
    if kind == "exponential":
        return optim.ExponentialDecay(opt, base=rate)
    return optim.StepDecay(opt, step_size=step_size, factor=rate)


def check_F14_3(kind: str, seed: int, alpha0: float, rate: float, step_size: int = 3,
                epochs: int = 8) -> None:
    """The optimizer's lr in every epoch is the closed form, and each epoch's SGD step uses
    it: W_e+1 = W_e − α_e dW_e."""
    rng = np.random.default_rng(seed)
    p = Tensor(rng.normal(size=(2, 2)), requires_grad=True)
    W = p.data.copy()
    opt = optim.SGD([p], lr=alpha0)
    schedule = _make_schedule(kind, opt, rate, step_size)
    for epoch in range(epochs):
        alpha = _numpy_schedule(kind, alpha0, epoch, rate, step_size)
        assert_exact_identity(np.float64(opt.lr), np.float64(alpha), f"{kind} α at epoch {epoch}")
        g = rng.normal(size=(2, 2))
        p.grad = g.copy()
        opt.step()
        W = W - alpha * g  # W := W − α_epoch dW
        assert_exact_identity(p.data, W, f"W after epoch {epoch} ({kind})")
        schedule.step()
    assert schedule.epoch == epochs


@given(seed=seeds, alpha0=st.floats(1e-3, 2.0), decay_rate=st.floats(0.0, 5.0))
@SETTINGS
@example(seed=0, alpha0=0.2, decay_rate=1.0)  # the course's table: 0.1, 0.067, 0.05, 0.04
def test_F14_3_inverse_time_decay(seed, alpha0, decay_rate):
    check_F14_3("inverse_time", seed, alpha0, decay_rate)


@given(seed=seeds, alpha0=st.floats(1e-3, 2.0), base=st.floats(0.05, 1.0))
@SETTINGS
@example(seed=0, alpha0=0.2, base=0.95)
def test_F14_3_exponential_decay_with_any_base(seed, alpha0, base):
    check_F14_3("exponential", seed, alpha0, base)


@given(seed=seeds, alpha0=st.floats(1e-3, 2.0), factor=st.floats(0.05, 1.0),
       step_size=st.integers(1, 5))
@SETTINGS
def test_F14_3_step_decay_is_a_staircase(seed, alpha0, factor, step_size):
    check_F14_3("staircase", seed, alpha0, factor, step_size)


def test_F14_3_the_course_table_of_inverse_time_decay():
    """α0 = 0.2, decay_rate = 1: epochs 1, 2, 3, 4 have α = 0.1, 0.067, 0.05, 0.04."""
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.2)
    schedule = optim.InverseTimeDecay(opt, decay_rate=1.0)
    assert opt.lr == 0.2
    assert [round(schedule.step(), 3) for _ in range(4)] == [0.1, 0.067, 0.05, 0.04]


# -- F14.4 gradient-norm clipping ------------------------------------------------------------


def check_F14_4(seed: int, shapes_: list, max_norm: float, scale: float) -> None:
    """g := g · min(1, c / (‖g‖ + 1e-6)) with ‖g‖ the norm of all gradients together."""
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes_]
    grads = [rng.normal(size=s) * scale for s in shapes_]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))  # ‖g‖ = √(Σ_l Σ dW_l²)
    factor = min(1.0, max_norm / (norm + 1e-6))  # min(1, c / ‖g‖), PyTorch's 1e-6
    returned = optim.clip_grad_norm_(params, max_norm)
    assert_exact_identity(np.float64(returned), np.float64(norm), "the norm before clipping")
    for i, (p, g) in enumerate(zip(params, grads)):
        assert_exact_identity(p.grad, g * factor, f"gradient {i} after clipping")
    after = np.sqrt(sum(np.sum(p.grad**2) for p in params))
    assert after <= max_norm * (1 + 1e-12), "the clipped norm is at most c"


@given(seed=seeds, shapes_=st.lists(shapes, min_size=1, max_size=4),
       max_norm=st.floats(1e-3, 10.0), scale=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3]))
@SETTINGS
@example(seed=0, shapes_=[(2, 2), (2, 1)], max_norm=1.0, scale=1e-3)  # below c: unchanged
def test_F14_4_clipping_rescales_all_gradients_by_the_global_norm(seed, shapes_, max_norm,
                                                                 scale):
    check_F14_4(seed, shapes_, max_norm, scale)
