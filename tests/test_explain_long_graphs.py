"""explain on long graphs: 10 000 ops with fan-out, without RecursionError, in linear time.

A sum of 10 000 fan-out terms (``dx`` of ``t = t + x`` repeated) is a 10 000-deep tree, and a
tensor reused 10 000 times (one ``W`` in a chain of ``W @ t``) gets a line of 10 000 terms.
Each test checks that explain finishes within a budget generous enough for a slow, busy CI
machine (measured on 2 busy cores: 1-3 s for each graph here), that its lines are the ones
of the short graph, and that they are right: every equation, evaluated with numpy, equals
what ``backward()`` stored. The course networks' output is pinned in ``test_explain.py``.
"""

from __future__ import annotations

import time

import numpy as np

from tinygrad_edu import Tensor, explain

N_OPS = 10_000
BUDGET = 60.0  # seconds: a generous bound, not a timing test (quadratic took hours here)


def explained(J: Tensor):
    start = time.perf_counter()
    explanation = explain(J)
    text = str(explanation)
    seconds = time.perf_counter() - start
    assert seconds < BUDGET, f"explain took {seconds:.1f} s for {N_OPS} ops"
    J.backward()
    values = explanation.evaluate()
    for eq in explanation:  # every line is what backward() computed
        np.testing.assert_allclose(values[eq], eq.target.grad, rtol=1e-10, atol=1e-12,
                                   err_msg=eq.name)
    return explanation, text


def rotation() -> np.ndarray:
    c, s = np.cos(0.3), np.sin(0.3)
    return np.array([[c, -s], [s, c]])  # keeps |t| bounded along any chain


def test_a_sum_of_ten_thousand_fan_out_terms():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="x")
    t = x
    for _ in range(N_OPS):
        t = t + x  # 500 of these raised RecursionError
    explanation, text = explained(t.sum())
    dx = explanation["dx"]
    assert len(dx.parts) == N_OPS + 1 and dx.text.count(" + ") == N_OPS  # every use of x
    np.testing.assert_array_equal(x.grad, np.full((2, 2), N_OPS + 1.0))
    assert len(explanation) == N_OPS + 1 and text.count("\n") >= N_OPS


def test_a_chain_of_ten_thousand_matmuls_reusing_one_W():
    W = Tensor(rotation(), requires_grad=True, name="W")
    t = Tensor([[1.0], [0.5]], requires_grad=True, name="t")
    for _ in range(N_OPS):
        t = W @ t  # was quadratic: 1000 ops took 22 s, then RecursionError
    explanation, _ = explained(t.sum())
    dW = explanation["dW"]
    assert len(dW.parts) == N_OPS and dW.text.endswith(" + d(W @ t) @ tᵀ")
    assert len(explanation) == N_OPS + 2  # the 10 000 products, W and t


def test_ten_thousand_ops_with_fan_out_everywhere_read_as_the_short_graph():
    """``t = tanh(W @ t) * x + t * 0.5``, 2 500 times (4 ops each): W, x and every t are
    used several times. The lines have the short graph's forms."""

    def graph(steps: int) -> Tensor:
        W = Tensor(rotation(), requires_grad=True, name="W")
        x = Tensor([[0.5], [-0.25]], requires_grad=True, name="x")
        t = x
        for _ in range(steps):
            t = (W @ t).tanh() * x + t * 0.5
        return t.sum()

    steps = N_OPS // 4
    explanation, _ = explained(graph(steps))
    # x is used by every step's "* x", and by the first step's W @ x and x * 0.5
    assert len(explanation["dW"].parts) == steps and len(explanation["dx"].parts) == steps + 2
    short = explain(graph(2))
    for lines in (explanation, short):  # the same forms, long or short
        assert lines["dx"].text.endswith(" * 0.5 + dT5 * tanh(W @ x) + Wᵀ @ d(W @ x)")
        assert lines["dW"].text.endswith(" @ T5ᵀ + d(W @ x) @ xᵀ")
