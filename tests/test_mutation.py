"""Mutation check: the formula tests fail when an engine rule is deliberately wrong.

Each mutant replaces one derivative rule of ``tinygrad_edu.functions`` (or of the F11-F13
ops in ``softmax``, ``dropout``, ``normalization``), or the engine's
handling of a fused rule (``autograd._take_shortcut``), (with pytest's
Each mutant replaces one derivative rule of ``tinygrad_edu.functions``, or the engine's
handling of a fused rule (``autograd._take_shortcut``), or one formula of an optimizer, a
learning-rate schedule or the gradient clipping (F14) (with pytest's
``monkeypatch``, undone after the test) by a plausible mistake. For every (mutant, check)
pair listed in ``CAUGHT_BY``, the test runs the *same* check function the formula property
uses, on a fixed example: it must pass with the real engine and raise AssertionError under
the mutant. A crash (ValueError, TypeError) does not count as caught.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from formula_helpers import make_case
from test_formulas_F2_activations import check_F2_4
from test_formulas_F3_two_layer import (
    check_F3_2,
    check_F3_3,
    check_F3_4,
    check_F3_5,
    check_F3_6,
    check_F3_7,
)
from test_formulas_F4_deep import check_F4_2, check_F4_3, check_F4_4, check_F4_5
from test_formulas_F5_squared_error import check_F5_1, check_F5_2, check_F5_3, check_F5_5
from test_formulas_F6_gradcheck import check_F6_2
from test_formulas_F11_softmax import check_F11_2, check_F11_3, check_F11_3_network
from test_formulas_F12_dropout import check_F12_2
from test_formulas_F13_batchnorm import (
    check_F13_2,
    check_F13_3,
    check_F13_3_against_elementary_ops,
    draw,
)
from test_formulas_F14_optimizers import check_F14_1, check_F14_2, check_F14_3, check_F14_4
from test_numpy_protocols import check_where
from test_sigmoid_cross_entropy import check_dZ_is_A_minus_Y_over_m

from tinygrad_edu import dropout, functions, normalization, optim, softmax
from tinygrad_edu.core import engine as autograd  # the backward loop (private names)

# -- the fixed examples (a square W so that a transposed dW keeps its shape) -------------------

TWO_LAYER = make_case(11, [3, 3, 2], 4, labels="random", hidden="tanh")
DEEP_RELU = make_case(12, [3, 4, 4, 1], 5, labels="random", hidden="relu")
SQUARED_ERROR = make_case(13, [3, 4, 2], 4, hidden="sigmoid", output="sigmoid")
SQUARED_ERROR.Y = np.random.default_rng(13).uniform(0.0, 1.0, size=SQUARED_ERROR.Y.shape)
RELU_KINKS = np.array([[-1.5, 0.0, 2.0], [0.0, 3.0, -0.5]])
SATURATED_Z = np.array([[30.0, -30.0, 40.0, -40.0, 800.0, -800.0, 0.5]])  # σ(Z) is 0 or 1
SATURATED_Y = np.array([[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]])  # wrong with certainty
LOGITS = np.random.default_rng(14).normal(0.0, 2.0, size=(3, 4))
ONE_HOT = np.eye(3)[:, [0, 2, 1, 2]]
SATURATED_LOGITS = np.array([[40.0, -30.0, 800.0], [-40.0, 30.0, 0.0], [0.0, 0.0, -800.0]])
SATURATED_ONE_HOT = np.eye(3)[:, [1, 0, 2]]  # wrong with certainty in every column
ACTIVATIONS_A1 = np.random.default_rng(15).normal(size=(3, 5))
BATCH_NORM = draw(16, 3, 5)
WHERE_CASE = (np.array([[True, False, True], [False, False, True]]),  # C, x (2, 3), y (2, 1), dA
              np.arange(6.0).reshape(2, 3), np.array([[1.0], [-1.0]]),
              np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]]))

CHECKS = {
    "F2.4": lambda: check_F2_4(RELU_KINKS, np.arange(1.0, 7.0).reshape(2, 3)),
    "F3.2": lambda: check_F3_2(TWO_LAYER),
    "F3.3": lambda: check_F3_3(TWO_LAYER),
    "F3.4": lambda: check_F3_4(TWO_LAYER),
    "F3.5": lambda: check_F3_5(TWO_LAYER),
    "F3.6": lambda: check_F3_6(TWO_LAYER),
    "F3.7": lambda: check_F3_7(TWO_LAYER),
    "F4.2": lambda: check_F4_2(DEEP_RELU),
    "F4.3": lambda: check_F4_3(DEEP_RELU),
    "F4.4": lambda: check_F4_4(DEEP_RELU),
    "F4.5": lambda: check_F4_5(DEEP_RELU),
    "F5.1": lambda: check_F5_1(SQUARED_ERROR, 0.1),
    "F5.2": lambda: check_F5_2(SQUARED_ERROR),
    "F5.3": lambda: check_F5_3(SQUARED_ERROR),
    "F5.5": lambda: check_F5_5(SQUARED_ERROR, 0.1),
    "F6.2": lambda: check_F6_2(TWO_LAYER),
    "F3.2 saturated": lambda: check_dZ_is_A_minus_Y_over_m(SATURATED_Z, SATURATED_Y),
    "F11.2": lambda: check_F11_2(LOGITS, np.random.default_rng(17).normal(size=(3, 4))),
    "F11.3": lambda: check_F11_3(LOGITS, ONE_HOT),
    "F11.3 saturated": lambda: check_F11_3(SATURATED_LOGITS, SATURATED_ONE_HOT),
    "F11.3 network": lambda: check_F11_3_network(18, 3, 4, 3, 5),
    "F12.2": lambda: check_F12_2(ACTIVATIONS_A1, np.ones((3, 5)) * 0.7, 0.8, 19),
    "F13.2": lambda: check_F13_2(*BATCH_NORM),
    "F13.3": lambda: check_F13_3(*BATCH_NORM),
    "F13.3 elementary ops": lambda: check_F13_3_against_elementary_ops(*BATCH_NORM),
    "np.where": lambda: check_where(*WHERE_CASE),
    "F14.1": lambda: check_F14_1(5, (2, 3), 0.1, 0.9, 1e-8),
    "F14.2": lambda: check_F14_2(6, (3, 2), 0.01, 0.9, 0.999, 1e-8),
    "F14.3 inverse time": lambda: check_F14_3("inverse_time", 7, 0.2, 1.0),
    "F14.3 exponential": lambda: check_F14_3("exponential", 7, 0.2, 0.95),
    "F14.3 staircase": lambda: check_F14_3("staircase", 7, 0.2, 0.5, step_size=3),
    "F14.4 clipped": lambda: check_F14_4(8, [(2, 2), (2, 1), (1, 2)], 1.0, 10.0),
    "F14.4 not clipped": lambda: check_F14_4(8, [(2, 2), (2, 1), (1, 2)], 1.0, 1e-3),
}

# -- the mutants: (class, method, wrong rule) ---------------------------------------------------


def sigmoid_a_times_1_plus_a(self, g, out, z):
    return (g * (out * (1.0 + out)),)  # wrong: a(1 + a) instead of a(1 - a)


def tanh_1_minus_a(self, g, out, z):
    return (g * (1.0 - out),)  # wrong: 1 - a instead of 1 - a²


def relu_passes_the_kink(self, g, out, z):
    return (g * (functions.values(z) >= 0),)  # wrong choice at the kink: relu'(0) = 1


def relu_passes_negatives(self, g, out, z):
    return (g * (functions.values(z) < 0),)  # wrong side of the kink


REAL_CROSS_ENTROPY_RULE = functions.BinaryCrossEntropy.backward


def cross_entropy_without_1_over_m(self, g, out, A, Y):
    return g * (A - Y) / (A * (1.0 - A)), None  # wrong: the 1/m of the mean cost dropped


def fused_cross_entropy_Y_minus_A(self, g, out, A, Y):
    shortcut, none = REAL_CROSS_ENTROPY_RULE(self, g, out, A, Y)
    return functions.Shortcut(shortcut.grad, (g * (Y - A) * (1.0 / self.m),)), none  # wrong sign


def cross_entropy_not_fused(self, g, out, A, Y):
    shortcut, none = REAL_CROSS_ENTROPY_RULE(self, g, out, A, Y)
    return shortcut.grad, none  # wrong: dA * A(1-A) through the sigmoid, damped at saturation


def mse_without_1_over_m(self, g, out, H, Y):
    return (H - Y) * g, None  # wrong: the 1/m of the mean cost dropped


def mse_Y_minus_H(self, g, out, H, Y):
    return (Y - H) * (g * (1.0 / self.m)), None  # wrong sign: δ = (y - a) f'(z)


def l2_two_lambda_W(self, g, out, *weights):
    return tuple(g * 2.0 * self.lam * W for W in weights)  # wrong: d(λ/2 W²) = 2λW


def l2_decays_only_the_first_weight(self, g, out, *weights):
    return (g * self.lam * weights[0],) + (None,) * (len(weights) - 1)  # wrong: W2.. forgotten


REAL_TAKE_SHORTCUT = autograd._take_shortcut


def shortcut_also_through_the_sigmoid(A, shortcut, grads, passed):
    REAL_TAKE_SHORTCUT(A, shortcut, grads, passed)
    grads[A] = shortcut.grad  # wrong: A's rule runs on dA too, the cost counted twice


def matmul_transposes_square_dW(self, g, out, a, b):
    ga, gb = g @ b.T, a.T @ g
    if ga.shape[0] == ga.shape[1]:
        ga = ga.T  # wrong: dW = (dZ A_prevᵀ)ᵀ, a bug no shape check can see when W is square
    return ga, gb


def add_averages_instead_of_summing(self, g, out, x, y):
    def averaged(shape):
        total = functions.sum_to_shape(g, shape)
        return total / (g.size // max(math.prod(shape), 1))  # wrong: db = mean, not Σ dZ

    return averaged(x.shape), averaged(y.shape)


def softmax_diagonal_only(self, g, out, z):
    return (g * out * (1.0 - out),)  # wrong: the sigmoid's a(1 - a), the -A_j A_k terms lost


def softmax_without_the_weighted_sum(self, g, out, z):
    return (out * g,)  # wrong: dZ = A * dA, the Σ_k dA_k A_k term forgotten


REAL_CCE_RULE = softmax.CategoricalCrossEntropy.backward


def cce_fused_without_1_over_m(self, g, out, A, Y):
    shortcut, none = REAL_CCE_RULE(self, g, out, A, Y)
    return functions.Shortcut(shortcut.grad, (g * (A - Y),)), none  # wrong: 1/m dropped


def cce_not_fused(self, g, out, A, Y):
    shortcut, none = REAL_CCE_RULE(self, g, out, A, Y)
    return shortcut.grad, none  # wrong: dA through the softmax's rule, lost at saturation


def dropout_without_the_scale(self, g, out, A):
    return (g * self.saved,)  # wrong: dA = dA * D (saved: the mask), the 1 / keep_prob forgotten


def dropout_without_the_mask(self, g, out, A):
    return (g / self.keep_prob,)  # wrong: dropped units get a gradient


REAL_BATCH_NORM_RULE = normalization.BatchNorm.backward


def batch_norm_without_the_z_norm_term(self, g, out, Z, gamma, beta):
    dZ, dgamma, dbeta = REAL_BATCH_NORM_RULE(self, g, out, Z, gamma, beta)
    std = self.saved.std  # √(σ² + ε)
    dZ = gamma / (self.m * std) * (self.m * g - dbeta)  # wrong: - Z_norm Σ(dZ̃ Z_norm) lost
    return dZ, dgamma, dbeta


def batch_norm_without_1_over_m(self, g, out, Z, gamma, beta):
    dZ, dgamma, dbeta = REAL_BATCH_NORM_RULE(self, g, out, Z, gamma, beta)
    return dZ * self.m, dgamma, dbeta  # wrong: γ / √(σ² + ε) instead of γ / (m √(σ² + ε))


def batch_norm_dgamma_without_z_norm(self, g, out, Z, gamma, beta):
    dZ, _, dbeta = REAL_BATCH_NORM_RULE(self, g, out, Z, gamma, beta)
    return dZ, dbeta, dbeta  # wrong: dγ = Σ dZ̃, the Z_norm forgotten
def where_passes_both(self, g, out, x, y):
    return functions.sum_to_shape(g, x.shape), functions.sum_to_shape(g, y.shape)  # no mask


def where_swaps_the_mask(self, g, out, x, y):
    C = self.condition  # wrong: x gets the gradient where C is false
    return functions.sum_to_shape(g * ~C, x.shape), functions.sum_to_shape(g * C, y.shape)
# -- F14: the optimizers' and schedules' formulas (the step's checks kept, one formula wrong) --


def rmsprop_without_the_square(self):
    grads = self._gradients()
    for p, s, g in zip(self.params, self.square_average, grads):
        s *= self._beta
        s += (1.0 - self._beta) * g  # wrong: s averages dW, not dW²
        with np.errstate(invalid="ignore"):  # √ of a negative s: let the check, not numpy, see it
            p.data -= self._lr * g / (np.sqrt(s) + self._eps)


def rmsprop_without_the_root(self):
    grads = self._gradients()
    for p, s, g in zip(self.params, self.square_average, grads):
        s *= self._beta
        s += (1.0 - self._beta) * (g * g)
        p.data -= self._lr * g / (s + self._eps)  # wrong: divides by s, not √s


def adam_step(bias_correction):
    def step(self):
        grads = self._gradients()
        b1, b2 = self._beta1, self._beta2
        for i, (p, g) in enumerate(zip(self.params, grads)):
            t = self.steps[i] = self.steps[i] + 1
            v, s = self.first_moment[i], self.second_moment[i]
            v *= b1
            v += (1.0 - b1) * g
            s *= b2
            s += (1.0 - b2) * (g * g)
            v_hat, s_hat = bias_correction(v, s, b1, b2, t)
            p.data -= self._lr * v_hat / (np.sqrt(s_hat) + self._eps)
    return step


adam_without_bias_correction = adam_step(lambda v, s, b1, b2, t: (v, s))  # wrong: v̂ = v
adam_corrected_one_step_late = adam_step(  # wrong: 1 − β^(t+1), as if t counted from 0
    lambda v, s, b1, b2, t: (v / (1 - b1 ** (t + 1)), s / (1 - b2 ** (t + 1))))


def inverse_time_one_epoch_late(self, epoch):
    return self.base_lr / (1.0 + self.decay_rate * (epoch + 1))  # wrong: epoch + 1


def exponential_one_epoch_early(self, epoch):
    return self.base**(epoch - 1) * self.base_lr  # wrong: base^(epoch - 1)


def staircase_rounds_up(self, epoch):
    return self.base_lr * self.factor ** math.ceil(epoch / self.step_size)  # wrong: ⌈e/k⌉



def clip_each_parameter_by_its_own_norm(params, max_norm, norm_type=2.0):
    params = list(params)
    total = np.sqrt(sum(float(np.sum(p.grad**2)) for p in params))
    for p in params:
        norm = np.sqrt(np.sum(p.grad**2))
        p.grad *= min(1.0, max_norm / (norm + 1e-6))  # wrong: per-parameter norms
    return total


def clip_also_scales_up(params, max_norm, norm_type=2.0):
    params = list(params)
    total = np.sqrt(sum(float(np.sum(p.grad**2)) for p in params))
    for p in params:
        p.grad *= max_norm / (total + 1e-6)  # wrong: no min(1, ...): small gradients grow
    return total


MUTANTS = {
    "sigmoid a(1+a)": (functions.Sigmoid, "backward", sigmoid_a_times_1_plus_a),
    "tanh 1-a": (functions.Tanh, "backward", tanh_1_minus_a),
    "relu'(0)=1": (functions.ReLU, "backward", relu_passes_the_kink),
    "relu passes negatives": (functions.ReLU, "backward", relu_passes_negatives),
    "BCE without 1/m": (functions.BinaryCrossEntropy, "backward", cross_entropy_without_1_over_m),
    "BCE fused dZ = Y - A": (functions.BinaryCrossEntropy, "backward",
                             fused_cross_entropy_Y_minus_A),
    "BCE not fused": (functions.BinaryCrossEntropy, "backward", cross_entropy_not_fused),
    "engine: Shortcut through A's rule too": (autograd, "_take_shortcut",
                                              shortcut_also_through_the_sigmoid),
    "MSE without 1/m": (functions.MeanSquaredError, "backward", mse_without_1_over_m),
    "MSE dH = Y - H": (functions.MeanSquaredError, "backward", mse_Y_minus_H),
    "L2 2λW": (functions.L2Penalty, "backward", l2_two_lambda_W),
    "L2 only W1": (functions.L2Penalty, "backward", l2_decays_only_the_first_weight),
    "matmul transposed dW": (functions.MatMul, "backward", matmul_transposes_square_dW),
    "bias gradient averaged": (functions.Add, "backward", add_averages_instead_of_summing),
    "softmax diagonal only": (softmax.Softmax, "backward", softmax_diagonal_only),
    "softmax without Σ dA A": (softmax.Softmax, "backward", softmax_without_the_weighted_sum),
    "CCE fused without 1/m": (softmax.CategoricalCrossEntropy, "backward",
                              cce_fused_without_1_over_m),
    "CCE not fused": (softmax.CategoricalCrossEntropy, "backward", cce_not_fused),
    "dropout without 1/keep_prob": (dropout.Dropout, "backward", dropout_without_the_scale),
    "dropout without the mask": (dropout.Dropout, "backward", dropout_without_the_mask),
    "batch norm without the Z_norm term": (normalization.BatchNorm, "backward",
                                           batch_norm_without_the_z_norm_term),
    "batch norm without 1/m": (normalization.BatchNorm, "backward",
                               batch_norm_without_1_over_m),
    "batch norm dγ = Σ dZ̃": (normalization.BatchNorm, "backward",
                             batch_norm_dgamma_without_z_norm),
    "where passes both": (functions.Where, "backward", where_passes_both),
    "where swaps the mask": (functions.Where, "backward", where_swaps_the_mask),
    "RMSprop without the square": (optim.RMSprop, "step", rmsprop_without_the_square),
    "RMSprop without the root": (optim.RMSprop, "step", rmsprop_without_the_root),
    "Adam without bias correction": (optim.Adam, "step", adam_without_bias_correction),
    "Adam bias correction one step late": (optim.Adam, "step", adam_corrected_one_step_late),
    "inverse-time decay one epoch late": (optim.InverseTimeDecay, "lr_at",
                                          inverse_time_one_epoch_late),
    "exponential decay one epoch early": (optim.ExponentialDecay, "lr_at",
                                          exponential_one_epoch_early),
    "staircase rounds up": (optim.StepDecay, "lr_at", staircase_rounds_up),
    "clipping per parameter": (optim, "clip_grad_norm_", clip_each_parameter_by_its_own_norm),
    "clipping scales up too": (optim, "clip_grad_norm_", clip_also_scales_up),
}

CAUGHT_BY = {
    # the output sigmoid of F3/F4 is fused with the cost (dZ = A - Y): its own rule is not run
    "sigmoid a(1+a)": ["F5.2", "F5.3", "F5.5"],
    "tanh 1-a": ["F3.4", "F3.5", "F3.7", "F6.2"],
    "relu'(0)=1": ["F2.4"],
    "relu passes negatives": ["F4.3", "F4.4", "F4.5"],
    "BCE without 1/m": ["F3.2", "F3.3", "F3.5", "F3.6", "F4.2", "F4.4"],
    "BCE fused dZ = Y - A": ["F3.2", "F3.3", "F3.4", "F3.5", "F4.3", "F6.2"],
    "BCE not fused": ["F3.2 saturated"],
    "engine: Shortcut through A's rule too": ["F3.2", "F3.3", "F3.5", "F4.3", "F6.2",
                                              "F3.2 saturated"],
    "MSE without 1/m": ["F5.2", "F5.3", "F5.5"],
    "MSE dH = Y - H": ["F5.2", "F5.3", "F5.5"],
    "L2 2λW": ["F5.1", "F5.5"],
    "L2 only W1": ["F5.1", "F5.5"],
    "matmul transposed dW": ["F3.5", "F4.4", "F6.2"],
    "bias gradient averaged": ["F3.3", "F3.5", "F4.4", "F5.5"],
    "softmax diagonal only": ["F11.2"],
    "softmax without Σ dA A": ["F11.2"],
    "CCE fused without 1/m": ["F11.3", "F11.3 network"],
    "CCE not fused": ["F11.3 saturated"],
    "dropout without 1/keep_prob": ["F12.2"],
    "dropout without the mask": ["F12.2"],
    "batch norm without the Z_norm term": ["F13.3", "F13.3 elementary ops"],
    "batch norm without 1/m": ["F13.3", "F13.3 elementary ops"],
    "batch norm dγ = Σ dZ̃": ["F13.2", "F13.3 elementary ops"],
    "where passes both": ["np.where"],
    "where swaps the mask": ["np.where"],
    "RMSprop without the square": ["F14.1"],
    "RMSprop without the root": ["F14.1"],
    "Adam without bias correction": ["F14.2"],
    "Adam bias correction one step late": ["F14.2"],
    "inverse-time decay one epoch late": ["F14.3 inverse time"],
    "exponential decay one epoch early": ["F14.3 exponential"],
    "staircase rounds up": ["F14.3 staircase"],
    "clipping per parameter": ["F14.4 clipped"],
    "clipping scales up too": ["F14.4 not clipped"],
}


@pytest.mark.parametrize(
    ("mutant", "formula"),
    [(mutant, formula) for mutant, formulas in CAUGHT_BY.items() for formula in formulas],
)
def test_formula_check_catches_the_mutant(mutant, formula, monkeypatch):
    check = CHECKS[formula]
    check()  # the real engine passes the check on this example
    cls, method, wrong_rule = MUTANTS[mutant]
    monkeypatch.setattr(cls, method, wrong_rule)
    with pytest.raises(AssertionError):
        check()


def test_every_mutant_is_caught_by_some_check():
    assert set(CAUGHT_BY) == set(MUTANTS)
    assert all(CAUGHT_BY.values())
