"""What Jupyter shows: explain(J) as LaTeX, a Tensor and a Module as HTML, fit's progress bar.

The reprs are called as Jupyter calls them (``_repr_latex_``, ``_repr_html_``) and read
back; the progress bar runs in a terminal-like capture (stdout) and its output is read as a
terminal shows it (a carriage return overwrites its line).
"""

from __future__ import annotations

import html
import importlib.util
import re

import numpy as np
import pytest

from tinygrad_edu import Tensor, explain, nn, training
from tinygrad_edu.cli import build_model_cost
from tinygrad_edu.nn import functional as F


def test_explain_latex_is_the_course_notation_in_an_aligned_block():
    latex = explain(build_model_cost("two-layer"))._repr_latex_()
    assert latex.startswith(r"$$\begin{aligned}") and latex.endswith(r"\end{aligned}$$")
    rows = latex[len(r"$$\begin{aligned} "):-len(r" \end{aligned}$$")].split(r" \\ ")
    assert rows[1] == r"dZ^{[2]} &= (A^{[2]} - Y) / m"
    assert r"dW^{[2]} &= dZ^{[2]} \, A^{[1]T}" in rows
    assert r"dZ^{[1]} &= dA^{[1]} * (1 - {A^{[1]}}^{2})" in rows
    assert r"dA^{[1]} &= W^{[2]T} \, dZ^{[2]}" in rows
    assert any(r"\operatorname{np.sum}(dZ^{[1]}, \mathrm{axis}=1" in r for r in rows)
    assert rows[-1].startswith(r"\text{¹ the engine floors")
    assert rows[0].count("&") == 3  # the rule, then the course's form after a second =
    assert latex.count("{") == latex.count("}")


def test_explain_latex_escapes_what_latex_would_read_as_commands():
    W1 = Tensor(np.ones((2, 2)), requires_grad=True, name="W1")
    J = F.l2_penalty([W1], 0.1) + (W1 * 2.0).sum()
    latex = explain(J)._repr_latex_()
    assert r"l2\_penalty(W^{[1]}, \lambda =0.1)" in latex  # l2 is no layer index; _ escaped
    assert "_p" not in latex.replace(r"\_p", "")


def test_tensor_html_shows_name_shape_and_grad_state():
    W = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="W1")
    text = W._repr_html_()
    assert "<b>W1</b> Tensor (2, 3) float64" in text
    assert "requires grad · grad None (call backward())" in text
    (W * W).sum().backward()
    text = W._repr_html_()
    assert f"grad (2, 3), norm {np.linalg.norm(2 * W.data):.4g}" in text
    Z = W @ np.ones((3, 400))
    assert "made by matmul" in Z._repr_html_() and "mean " in Z._repr_html_()
    plain = Tensor([1.0, 2.0])._repr_html_()
    assert "no grad" in plain and "<b>" not in plain
    assert "&lt;" in Tensor(np.zeros(1), name="<x>")._repr_html_()  # escaped


def test_module_html_lists_layers_and_parameters_with_their_grad_state():
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh", seed=0),
                          nn.Dense(4, 1, activation="sigmoid", seed=1))
    text = html.unescape(model._repr_html_())
    assert "<b>Sequential</b> · 17 parameters" in text
    assert "(0) Dense(2 -> 4, tanh)" in text
    rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", text)
    assert [(n, s) for n, s, _ in rows] == [("W1", "(4, 2)"), ("b1", "(4, 1)"),
                                            ("W2", "(1, 4)"), ("b2", "(1, 1)")]
    assert all("grad None" in g for *_, g in rows)
    F.binary_cross_entropy(model(np.ones((2, 3))), np.array([[0.0, 1.0, 1.0]])).backward()
    assert "grad None" not in model._repr_html_()


def terminal(text: str) -> list[str]:
    """The lines a terminal shows: each carriage return overwrites its line."""
    return [line.split("\r")[-1] for line in text.split("\n")]


@pytest.mark.skipif(importlib.util.find_spec("tqdm") is None,
                    reason="tqdm (the progress extra) is not installed")
def test_fit_progress_bar_prints_cost_lines_through_its_write(capsys):
    X = np.random.default_rng(0).normal(size=(2, 40))
    Y = (X[0:1] > 0).astype(float)
    model = nn.Dense(2, 1, activation="sigmoid", init="zeros")
    costs = training.fit(model, X, Y, lr=0.5, iterations=30, print_every=10, progress=True)
    captured = capsys.readouterr()
    lines = [line for line in terminal(captured.out) if line.strip()]
    assert lines[:3] == [f"Cost after iteration {i}: {costs[i]:.6f}" for i in (0, 10, 20)]
    assert lines[3].startswith("training: 100%|") and "30/30" in lines[3]
    assert len(lines) == 4
    assert "IProgress" not in captured.out + captured.err
    assert captured.err == ""  # bar and costs share stdout, so they never interleave badly


@pytest.mark.skipif(importlib.util.find_spec("tqdm") is None,
                    reason="tqdm (the progress extra) is not installed")
def test_fit_progress_bar_ends_where_a_callback_stops(capsys):
    X = np.random.default_rng(0).normal(size=(2, 10))
    Y = (X[0:1] > 0).astype(float)
    model = nn.Dense(2, 1, activation="sigmoid", init="zeros")
    training.fit(model, X, Y, iterations=50, print_every=None, progress=True,
                 callback=lambda i, cost, model: i == 4)
    lines = [line for line in terminal(capsys.readouterr().out) if line.strip()]
    assert len(lines) == 1 and "5/50" in lines[0]
