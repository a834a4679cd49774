"""viz.backprop: the backward pass step by step (frames, the HTML file, the browser, sizes).

A step is an equation of ``explain`` (the same ones, in the same order), drawn as
``viz.to_dot`` with ``viz.Marks``: the DOT text is read back to check what is lit. The
rendering runs the renderer found on this machine (graphviz-pure or dot); the browser check
runs Debian's headless Chromium where it is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Tensor, explain, nn, viz
from tinygrad_edu.backprop_view import BackpropView
from tinygrad_edu.cli import build_model_cost
from tinygrad_edu.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HAVE_RENDERER = viz.find_renderer() is not None
needs_renderer = pytest.mark.skipif(not HAVE_RENDERER, reason="no Graphviz renderer installed "
                                    '(pip install "tinygrad_edu[render]")')


def flower_cost() -> Tensor:
    return build_model_cost("two-layer")  # the 2-4-1 network on the flower, J named


def three_layer_cost() -> Tensor:
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(3, 20)), name="X")
    Y = (rng.uniform(size=(1, 20)) > 0.5).astype(float)
    model = nn.deep_network([3, 5, 4, 1], hidden="relu", output="sigmoid", seed=1)
    J = F.binary_cross_entropy(model(X), Y)
    J.name = "J"
    return J


def lit(dot: str) -> dict:
    """What a frame's DOT lights: the outlined node, the lit ops, the lit edges' labels."""
    current = re.findall(r"^\s*(\w+) \[.*id=\"current(?:_layer)?\d+\"", dot, re.M)
    ops = re.findall(r"^\s*(f\d+) \[.*fillcolor=\"" + viz.MARK_OP_FILL, dot, re.M)
    edges = re.findall(r"^\s*(\w+) -> (\w+) \[label=\"(?:[^\"]*\\n)? ?([^\"]*?) ?\" color=\""
                       + viz.MARK_COLOUR, dot, re.M)
    return {"current": current, "ops": ops, "edges": edges}


def node_id(dot: str, name: str) -> str:
    [found] = re.findall(r"^\s*(t\d+) \[label=<<TABLE[^\n]*?<B>" + re.escape(name) + "</B>",
                         dot, re.M)
    return found


# ---------------------------------------------------------------------------------------------
# the steps
# ---------------------------------------------------------------------------------------------


def test_flower_steps_are_explains_equations_in_order_and_equal_the_gradients():
    J = flower_cost()
    view = viz.backprop(J, rankdir="LR")
    equations = list(explain(J))
    assert [s.equation.text for s in view.steps] == [eq.text for eq in equations]
    assert [s.equation.name for s in view.steps][:2] == ["dA2", "dZ2"]
    assert len(view) == len(equations) + 1  # the start, then one frame per equation
    J.backward()
    for step in view.steps:  # the numbers in the boxes are the engine's gradients (explain's
        # tidied trees, e.g. x * x -> x**2, may round differently in the last bits)
        np.testing.assert_allclose(step.value, step.target.grad, rtol=1e-9, atol=1e-15)
    tanh_step = next(s for s in view.steps if s.equation.name == "dZ1")
    caption = view.caption(tanh_step.index)
    assert "the rule of tanh (making A1) gives dZ1" in caption
    assert "dZ1 = dA1 * (1 - A1**2)" in caption


def test_each_frame_lights_the_steps_tensor_op_and_edges_and_keeps_earlier_gradients():
    view = viz.backprop(flower_cost(), rankdir="LR")
    seen = []
    for step in view.steps:
        dot = view.dot(step.index)
        marks = lit(dot)
        target = step.target
        assert len(marks["current"]) == 1
        if target.name:
            assert marks["current"] == [node_id(dot, target.name)]
        assert marks["ops"], step.equation.name
        assert all(label == step.equation.name for *_, label in marks["edges"])
        assert all(dst.startswith("f") for _, dst, _ in marks["edges"])
        for earlier in seen:  # computed gradients stay in their boxes
            assert f">{earlier}" in dot.replace(" (this step)", "")
        seen.append(step.equation.name)
    dZ2 = next(s for s in view.steps if s.equation.name == "dZ2")
    # the fused rule: from the cross-entropy straight to Z2, past A2's sigmoid
    edges = lit(view.dot(dZ2.index))["edges"]
    assert len(edges) == 2
    dot = view.dot(dZ2.index)
    assert (node_id(dot, "Z2"), node_id(dot, "A2").replace("t", "f"), "dZ2") in edges
    assert "past A2's own rule" in view.caption(dZ2.index)
    start = lit(view.dot(0))
    assert start["current"] == [node_id(view.dot(0), "J")] and not start["edges"]
    assert "dJ = 1" in view.caption(0)


def test_fan_out_shows_each_part_and_the_sum_building_up():
    w = Tensor([[0.5, -1.0]], requires_grad=True, name="w")
    A = w * 3.0
    A.name = "A"
    J = (A * A + A.exp()).sum()  # A feeds two ops (three edges): its gradient is a sum
    J.name = "J"
    view = viz.backprop(J, rankdir="LR")
    step = next(s for s in view.steps if s.target is A)
    assert len(step.parts) == 3  # one per argument: exp(A), and A * A twice
    total = sum(p.value for p in step.parts)
    np.testing.assert_allclose(total, step.value, rtol=1e-15)
    a = np.array([[1.5, -3.0]])
    np.testing.assert_allclose(step.value, 2 * a + np.exp(a), rtol=1e-15)
    caption = view.caption(step.index)
    assert "A is used 3 times (by 2 ops), so dA is the sum of their parts" in caption
    assert caption.count("sum so far") == 3
    sums = re.findall(r"sum so far: (.*)\)", caption)
    running = np.cumsum([p.value for p in step.parts], axis=0)
    assert sums == [" ".join(viz._array_lines(r)) for r in running]
    labels = sorted(label for *_, label in lit(view.dot(step.index))["edges"])
    assert labels == ["dA part 1", "dA part 2", "dA part 3"]  # A * A: two edges, two parts


def test_collapsed_layers_light_the_layer_box_of_each_step():
    X = Tensor(np.random.default_rng(0).normal(size=(2, 8)), name="X")
    Y = (np.arange(8) % 2).reshape(1, 8).astype(float)
    model = nn.deep_network([2, 3, 3, 3, 3, 1], seed=0)
    J = F.binary_cross_entropy(model(X), Y)
    view = viz.backprop(J, collapse_layers=True, rankdir="LR")
    assert [s.equation.text for s in view.steps] == [eq.text for eq in explain(J)]
    for step in view.steps:
        dot = view.dot(step.index)
        [current] = lit(dot)["current"]
        layer = viz.layer_of(step.target.name)
        if layer is not None:
            assert current == f"layer{layer}"
        if step.index == len(view.steps):
            assert "computed: " in dot


def test_every_frames_dot_is_deterministic_in_one_process_and_another():
    views = [viz.backprop(flower_cost(), rankdir="LR") for _ in range(2)]
    frames = [[v.dot(k) for k in range(len(v))] for v in views]
    assert frames[0] == frames[1]
    script = ("import hashlib; from tinygrad_edu import viz; from tinygrad_edu.cli import "
              "build_model_cost; v = viz.backprop(build_model_cost('two-layer'), rankdir='LR'); "
              "print(hashlib.sha256(''.join(v.dot(k) for k in range(len(v))).encode())"
              ".hexdigest())")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "123"}
    other = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    import hashlib

    assert other == hashlib.sha256("".join(frames[0]).encode()).hexdigest()


def test_bad_arguments_are_refused():
    J = flower_cost()
    with pytest.raises(ValueError, match="rankdir must be one of None, 'LR'"):
        viz.backprop(J, rankdir="up")
    view = viz.backprop(J, rankdir="LR")
    with pytest.raises(IndexError, match="the frames are 0 \\(the start\\) to 10"):
        view.dot(11)
    with pytest.raises(ValueError, match="formats must be some of svg, png, dot"):
        view.frames("unused", formats=("gif",))
    with pytest.raises(TypeError, match=r"viz\.backprop: root must be a Tensor"):
        viz.backprop(np.zeros(3))


# ---------------------------------------------------------------------------------------------
# frames and the HTML file
# ---------------------------------------------------------------------------------------------


@needs_renderer
def test_frames_are_svg_and_png_files_with_the_same_bytes_every_time(tmp_path):
    first = viz.backprop(flower_cost()).frames(tmp_path / "a" / "slides")
    second = viz.backprop(flower_cost()).frames(tmp_path / "b")
    assert [p.name for p in first][:4] == ["step_00.svg", "step_00.png", "step_01.svg",
                                           "step_01.png"]
    assert len(first) == 2 * 11
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    for path in first:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE
        else:
            ET.parse(path)  # well-formed SVG
    dots = viz.backprop(flower_cost()).frames(tmp_path / "dots", formats="dot")
    assert len(dots) == 11 and dots[3].read_text().startswith("digraph")


def test_frames_without_a_renderer_write_nothing(tmp_path):
    view = viz.backprop(flower_cost(), rankdir="LR", renderer=tmp_path / "no-such-dot")
    with pytest.raises(viz.RendererNotFoundError):
        view.frames(tmp_path / "slides")
    assert not (tmp_path / "slides").exists()
    assert "(no pictures: " in view._repr_html_()  # a notebook shows the steps as text


@needs_renderer
def test_the_html_file_holds_every_frame_and_no_external_url(tmp_path):
    view = viz.backprop(flower_cost())
    path = view.save(tmp_path / "lecture" / "backprop.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for k in range(len(view)):
        assert f'<div class="tgbp-frame" data-step="{k}"' in text
    assert text.count("<svg") == len(view)
    assert re.search(r"https?:|//[a-z]|\bsrc=|url\(|<link|@import", text) is None
    assert "tgbp-next" in text and "tgbp-slider" in text and "tgbp-zoom-in" in text
    fragment = view._repr_html_()  # Jupyter: a fragment with its own id, the same frames
    assert not fragment.startswith("<!DOCTYPE") and fragment.count("<svg") == len(view)
    assert re.search(r"https?:", fragment) is None


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _shown_step_and_lit_node(dom: str) -> tuple[int, str]:
    """The frame the page shows (the one not hidden) and the node lit in it (its title)."""
    step = int(re.search(r'class="tgbp" data-step="(\d+)"', dom).group(1))
    shown = re.findall(r'<div class="tgbp-frame" data-step="(\d+)" title="[^"]*">', dom)
    assert shown == [str(step)], "exactly the current frame is visible"
    frame = dom.split(f'<div class="tgbp-frame" data-step="{step}"', 1)[1].split("</svg>")[0]
    node = re.search(rf'<g id="s{step}-current\d+" class="node">\s*<title>(\w+)</title>', frame)
    return step, node.group(1)


@needs_renderer
@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium (Debian: apt-get install "
                    "chromium) to load the HTML in a browser")
def test_a_browser_clicks_next_and_the_lit_node_changes(tmp_path):
    view = viz.backprop(flower_cost())
    path = view.save(tmp_path / "backprop.html")
    before = _shown_step_and_lit_node(_dump_dom(path.as_uri() + "#step=6"))
    after = _shown_step_and_lit_node(_dump_dom(path.as_uri() + "#step=6&click=next"))
    assert before[0] == 6 and after[0] == 7  # the page's own "next" button, clicked
    expected = [re.search(r"^\s*(t\d+) \[.*id=\"current", view.dot(k), re.M).group(1)
                for k in (6, 7)]
    assert [before[1], after[1]] == expected  # A1 (dA1), then Z1 (dZ1)
    assert before[1] != after[1]


# ---------------------------------------------------------------------------------------------
# sizes in a notebook column
# ---------------------------------------------------------------------------------------------


@needs_renderer
@pytest.mark.parametrize("make", [flower_cost, three_layer_cost], ids=["2-4-1", "3-layer"])
def test_graphs_fit_a_notebook_column(make):
    """Jupyter shows draw(J) and the step-by-step frames at most viz.NOTEBOOK_WIDTH pixels
    wide, so their 11-point labels are not shrunk (left to right they are 2,000+ px)."""
    J = make()
    svg = viz.draw(J)._repr_mimebundle_()["image/svg+xml"]
    assert viz.svg_width_px(svg) <= viz.NOTEBOOK_WIDTH
    svg = viz.draw(J, equations=True)._repr_mimebundle_()["image/svg+xml"]
    assert viz.svg_width_px(svg) <= viz.NOTEBOOK_WIDTH
    assert viz.svg_width_px(viz.draw(J, rankdir="LR").pipe("svg").decode()) > viz.NOTEBOOK_WIDTH
    view = viz.backprop(J)
    assert view.rankdir == "TB"
    widths = [viz.svg_width_px(view.svg(k)) for k in range(len(view))]
    assert max(widths) <= viz.NOTEBOOK_WIDTH, widths


@needs_renderer
def test_a_small_graph_stays_left_to_right():
    w = Tensor([[1.0, 2.0]], requires_grad=True, name="w")
    J = (w * w).sum()
    J.name = "J"
    assert viz.backprop(J).rankdir == "LR"
    assert isinstance(viz.backprop(J), BackpropView)


@needs_renderer
def test_the_readme_frame_is_what_the_script_draws_today(tmp_path):
    """examples/backprop_step.svg (in the README) is kept current by
    examples/make_backprop_frame.py (compared by the texts, so any renderer will do)."""
    fresh = tmp_path / "fresh.svg"
    subprocess.run([sys.executable, str(ROOT / "examples" / "make_backprop_frame.py"),
                    str(fresh)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})

    def texts(path: Path) -> list[str]:
        root = ET.parse(path).getroot()
        return sorted(t.text.strip() for t in root.iter("{http://www.w3.org/2000/svg}text")
                      if t.text and t.text.strip())

    committed = texts(ROOT / "examples" / "backprop_step.svg")
    assert "dZ1 = dA1 * (1 - A1**2)" in committed
    assert [words(t) for t in committed] == [words(t) for t in texts(fresh)], (
        "examples/backprop_step.svg is out of date: run python examples/make_backprop_frame.py")
    # the gradients' statistics are printed with 4 digits; the last one may round the other
    # way where another BLAS kernel computed the forward pass in another order
    np.testing.assert_allclose([n for t in committed for n in numbers(t)],
                               [n for t in texts(fresh) for n in numbers(t)], rtol=2e-3)


NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?")


def words(text: str) -> str:
    """A text with its decimal numbers replaced by #: what must match exactly."""
    return NUMBER.sub("#", text)


def numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


def test_an_unnamed_cost_is_called_by_its_formula_as_explain_does():
    X = np.random.default_rng(0).normal(size=(2, 6))
    Y = (np.arange(6) % 2).reshape(1, 6).astype(float)
    model = nn.Sequential(nn.Dense(2, 3, "tanh", seed=0), nn.Dense(3, 1, "sigmoid", seed=1))
    view = viz.backprop(F.binary_cross_entropy(model(X), Y), rankdir="LR")
    assert view.caption(0).startswith("step 0 of 10: backward starts at "
                                      "binary_cross_entropy(A2, Y) with "
                                      "d(binary_cross_entropy(A2, Y)) = 1")
    assert repr(view).startswith("BackpropView of binary_cross_entropy(A2, Y): 10 steps (dA2,")
