"""F5: squared error, weight decay and the δ form of backprop (seed 004, UFLDL indexing).

Here ``W^(l)`` joins layer l to layer l+1: the notes' ``z^(l+1) = W^(l) a^(l) + b^(l)``
is the engine's ``Z{l} = W{l} A{l-1} + b{l}``, so ``δ^(l+1)`` of one example is the column
of ``m * Z{l}.grad``. The same f (sigmoid or tanh, drawn) is used in every layer; targets
are real numbers in [0, 1]. The reference is the per-example loop of seed 004
(``delta3 = -(y - h) .* fprime(z3); delta2 = W2' * delta3 .* fprime(z2); gradW += ...``).
"""

from __future__ import annotations

import numpy as np
from formula_helpers import (
    NETWORK_SETTINGS,
    NetCase,
    assert_tier1,
    engine_network,
    example_counts,
    make_case,
    nn_model_for,
    seeds,
    widths,
)
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_edu.nn import functional as F


def ufldl_example(case: NetCase, i: int) -> dict:
    """δ^(l) and the per-example gradients ∇_W^(l), ∇_b^(l) of example i (UFLDL indices)."""
    nl = case.L + 1  # layers 1..nl, layer 1 is the input
    f_prime = case.activation(1).g_prime
    W = {l: case.W[l - 1] for l in range(1, nl)}  # W^(l): layer l -> layer l+1
    b = {l: case.b[l - 1] for l in range(1, nl)}
    z, a = {}, {1: case.X[:, [i]]}
    for l in range(1, nl):
        z[l + 1] = W[l] @ a[l] + b[l]  # z^(l+1) = W^(l) a^(l) + b^(l)
        a[l + 1] = case.activation(l).g(z[l + 1])  # a^(l+1) = f(z^(l+1))
    y = case.Y[:, [i]]
    delta = {nl: -(y - a[nl]) * f_prime(z[nl], a[nl])}  # F5.2  δ^(nl) = -(y - a) * f'(z)
    for l in range(nl - 1, 1, -1):
        delta[l] = (W[l].T @ delta[l + 1]) * f_prime(z[l], a[l])  # F5.3  δ^(l) = (Wᵀ δ) * f'(z)
    grad_W = {l: delta[l + 1] @ a[l].T for l in range(1, nl)}  # F5.4  ∇_W^(l) J = δ^(l+1) a^(l)ᵀ
    grad_b = {l: delta[l + 1] for l in range(1, nl)}  # ∇_b^(l) J = δ^(l+1)
    return {"delta": delta, "a": a, "grad_W": grad_W, "grad_b": grad_b}


def squared_error_case(seed, dims, m, f) -> NetCase:
    case = make_case(seed, dims, m, hidden=f, output=f)
    case.Y = np.random.default_rng(seed + 1).uniform(0.0, 1.0, size=case.Y.shape)
    return case


def squared_error_property(test):
    """Draw 2..4 weight layers, widths, m, f, λ and a seed; pin m = 1 and λ = 0."""
    base = {"seed": 3, "dims": [3, 4, 2], "m": 4, "f": "sigmoid", "lam": 0.1}
    test = example(**{**base, "m": 1})(test)
    test = example(**{**base, "lam": 0.0})(test)
    test = given(
        seed=seeds,
        dims=st.lists(widths, min_size=3, max_size=5),
        m=example_counts,
        f=st.sampled_from(["sigmoid", "tanh"]),
        lam=st.floats(min_value=0.0, max_value=1.0),
    )(test)
    return NETWORK_SETTINGS(test)


def check_F5_1(case: NetCase, lam: float) -> None:
    t = engine_network(case, cost="squared_error", weight_decay=lam)
    plain = engine_network(case, cost="squared_error")
    h = np.stack([ufldl_example(case, i)["a"][case.L + 1][:, 0] for i in range(case.m)], axis=1)
    data_term = 1 / case.m * sum(0.5 * np.sum((h[:, i] - case.Y[:, i]) ** 2) for i in range(case.m))
    decay = lam / 2 * sum(np.sum(W**2) for W in case.W)  # λ/2 Σ_l Σ_i Σ_j (W_ji^(l))²
    assert_tier1(t["J"].data, np.array(data_term + decay), "J(W,b) = 1/m Σ ½‖h - y‖² + λ/2 Σ W²")
    for l in range(1, case.L + 1):
        assert_tier1(t[f"b{l}"].grad, plain[f"b{l}"].grad, f"b{l} is not decayed")
        decayed = t[f"W{l}"].grad - plain[f"W{l}"].grad
        assert_tier1(decayed, lam * case.W[l - 1], f"the decay term of dW{l} is λ W{l}")


def check_F5_2(case: NetCase) -> None:
    t, L = engine_network(case, cost="squared_error"), case.L
    deltas = np.hstack([ufldl_example(case, i)["delta"][L + 1] for i in range(case.m)])
    assert_tier1(case.m * t[f"Z{L}"].grad, deltas, "δ^(nl) = -(y - a^(nl)) * f'(z^(nl))")


def check_F5_3(case: NetCase) -> None:
    t = engine_network(case, cost="squared_error")
    for l in range(1, case.L):  # hidden layers: engine Z{l} is the notes' z^(l+1)
        deltas = np.hstack([ufldl_example(case, i)["delta"][l + 1] for i in range(case.m)])
        assert_tier1(case.m * t[f"Z{l}"].grad, deltas, f"δ^({l + 1}) = (W^({l + 1})ᵀ δ) * f'(z)")


def check_F5_4(case: NetCase) -> None:
    for i in range(case.m):
        single = NetCase(case.X[:, [i]], case.Y[:, [i]], case.W, case.b, case.hidden, case.output)
        t, ref = engine_network(single, cost="squared_error"), ufldl_example(case, i)
        for l in range(1, case.L + 1):
            assert_tier1(t[f"W{l}"].grad, ref["grad_W"][l], f"example {i}: ∇W = δ^(l+1) a^(l)ᵀ")
            assert_tier1(t[f"b{l}"].grad, ref["grad_b"][l], f"example {i}: ∇b = δ^(l+1)")


def check_F5_5(case: NetCase, lam: float) -> None:
    t = engine_network(case, cost="squared_error", weight_decay=lam)
    examples = [ufldl_example(case, i) for i in range(case.m)]
    for l in range(1, case.L + 1):
        grad_W = sum(e["grad_W"][l] for e in examples)  # gradW = gradW + delta a'
        grad_b = sum(e["grad_b"][l] for e in examples)
        W = case.W[l - 1]
        assert_tier1(t[f"W{l}"].grad, 1 / case.m * grad_W + lam * W, "1/m Σ ∇_W J(x(i)) + λ W")
        assert_tier1(t[f"b{l}"].grad, 1 / case.m * grad_b, "∂J/∂b = 1/m Σ ∇_b J(x(i))")


@squared_error_property
def test_F5_1_cost_with_weight_decay_and_biases_not_decayed(seed, dims, m, f, lam):
    check_F5_1(squared_error_case(seed, dims, m, f), lam)


@squared_error_property
def test_F5_2_output_delta(seed, dims, m, f, lam):
    check_F5_2(squared_error_case(seed, dims, m, f))


@squared_error_property
def test_F5_3_hidden_delta(seed, dims, m, f, lam):
    check_F5_3(squared_error_case(seed, dims, m, f))


@squared_error_property
def test_F5_4_per_example_gradient_is_delta_times_a_transposed(seed, dims, m, f, lam):
    check_F5_4(squared_error_case(seed, dims, m, f))


@squared_error_property
def test_F5_5_whole_set_gradient_is_mean_plus_lambda_W(seed, dims, m, f, lam):
    check_F5_5(squared_error_case(seed, dims, m, f), lam)


@squared_error_property
def test_F5_5_nn_mse_loss_and_l2_penalty_give_the_same_gradients(seed, dims, m, f, lam):
    case = squared_error_case(seed, dims, m, f)
    model = nn_model_for(case)
    J = F.mse_loss(model(case.X), case.Y) + F.l2_penalty(model, lam)  # F5.1 with the nn API
    raw = engine_network(case, cost="squared_error", weight_decay=lam)
    assert_tier1(J.data, raw["J"].data, "nn mse_loss + l2_penalty vs the cost of F5.1")
    J.backward()
    examples = [ufldl_example(case, i) for i in range(case.m)]
    for l, layer in enumerate(model, 1):
        mean_W = sum(e["grad_W"][l] for e in examples) / case.m
        assert_tier1(layer.W.grad, mean_W + lam * case.W[l - 1], f"nn dW{l} = mean ∇W + λW{l}")
        mean_b = sum(e["grad_b"][l] for e in examples) / case.m
        assert_tier1(layer.b.grad, mean_b, f"nn db{l} = mean ∇b (not decayed)")
