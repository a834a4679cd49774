"""viz: the computation graph as DOT, as a graphviz.Digraph, and rendered to svg/png.

The DOT text is parsed back (node ids, labels, colours, edges) and checked for what a
learner reads in the picture: the course's names, the shapes, the role colours, one edge per
argument, the broadcast edge from a bias, the layer clusters. Rendering runs the real
renderer found on this machine (graphviz-pure or dot) and checks the files; the renderer is
then hidden (PATH emptied, no scripts folder) to check the documented fallback.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Tensor, TinygradEduError, nn, viz
from tinygrad_edu.autograd import topological_order
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.functional import binary_cross_entropy

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR = {role: colour for role, (colour, _) in viz.ROLES.items()}

# ---------------------------------------------------------------------------------------------
# reading DOT back
# ---------------------------------------------------------------------------------------------

NODE = re.compile(r"^\s*(\w+) \[label=(.*)\]$")
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(?:label="(.*)")? ?(minlen=2)?\])?$')
CLUSTER = re.compile(r"^\s*subgraph (cluster_\w+) \{$")


class Dot:
    """The nodes, edges and clusters of a DOT text made by viz."""

    def __init__(self, source: str) -> None:
        self.nodes: dict[str, str] = {}  # id -> the rest of its line
        self.edges: list[tuple[str, str, str | None]] = []
        self.cluster_of: dict[str, str] = {}
        cluster = None
        for line in source.splitlines():
            if match := CLUSTER.match(line):
                cluster = match.group(1)
            elif line.strip() == "}":
                cluster = None
            elif match := EDGE.match(line):
                self.edges.append((match.group(1), match.group(2), match.group(3)))
            elif match := NODE.match(line):
                self.nodes[match.group(1)] = match.group(2)
                if cluster:
                    self.cluster_of[match.group(1)] = cluster

    def values(self) -> dict[str, str]:
        """value-node id -> the name in its first cell (bold name or italic readable name)."""
        return {i: _text(re.search(r"<TD[^>]*>(.*?)</TD>", label).group(1))
                for i, label in self.nodes.items() if i.startswith("t")}

    def node(self, name: str) -> str:
        [node_id] = [i for i, n in self.values().items() if n == name]
        return node_id

    def colour(self, name: str) -> str:
        return re.search(r'BGCOLOR="(#\w+)"', self.nodes[self.node(name)]).group(1)

    def details(self, name: str) -> str:
        """The second cell: shape, dtype, '· grad'."""
        return _text(re.findall(r"<TD[^>]*>(.*?)</TD>", self.nodes[self.node(name)])[1])

    def ops(self) -> dict[str, str]:
        """op-node id -> the op's name (its tooltip)."""
        return {i: re.search(r'tooltip="(\w+)"', label).group(1)
                for i, label in self.nodes.items() if i.startswith("f")}

    def into(self, node_id: str) -> list[tuple[str, str | None]]:
        return [(src, label) for src, dst, label in self.edges if dst == node_id]

    def op_making(self, name: str) -> str:
        """The op node with an edge into the value node called ``name``."""
        [(op, _)] = self.into(self.node(name))
        return op


def _text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


# ---------------------------------------------------------------------------------------------
# the course's graphs
# ---------------------------------------------------------------------------------------------

M = 5


def logistic_regression(m: int = M) -> Tensor:
    """x -> z = wᵀx + b -> a = σ(z) -> L(a, y), with raw named tensors (seed 000 §5)."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(2, m)), name="X")
    Y = Tensor((rng.random((1, m)) > 0.5).astype(float), name="Y")
    w = Tensor(rng.normal(size=(2, 1)), requires_grad=True, name="w")
    b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    Z = w.T @ X + b
    Z.name = "Z"
    A = Z.sigmoid()
    A.name = "A"
    J = binary_cross_entropy(A, Y)
    J.name = "J"
    return J


def tensor_named(root: Tensor, name: str) -> Tensor:
    [found] = [t for t in topological_order(root, only_requires_grad=False) if t.name == name]
    return found


def two_layer(m: int = 400) -> Tensor:
    """The flower network 2 -> 4 (tanh) -> 1 (sigmoid) built with nn, its cost J."""
    rng = np.random.default_rng(1)
    X = Tensor(rng.normal(size=(2, m)), name="X")
    Y = Tensor((rng.random((1, m)) > 0.5).astype(float), name="Y")
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh", seed=2),
                          nn.Dense(4, 1, activation="sigmoid", seed=3))
    J = binary_cross_entropy(model(X), Y)
    J.name = "J"
    return J


# ---------------------------------------------------------------------------------------------
# DOT structure
# ---------------------------------------------------------------------------------------------


def test_logistic_regression_graph_names_shapes_roles_and_edges():
    dot = Dot(viz.to_dot(logistic_regression()))
    names = set(dot.values().values())
    assert names == {"w", "X", "b", "Y", "Z", "A", "J", "wᵀ", "wᵀ @ X"}
    assert dot.details("X") == f"(2, {M})"
    assert dot.details("w") == "(2, 1) · grad"
    assert dot.details("Z") == f"(1, {M}) · grad"
    assert dot.details("J") == "scalar · grad"
    for name, role in [("w", "parameter"), ("b", "parameter"), ("X", "input"), ("Y", "input"),
                       ("Z", "intermediate"), ("A", "intermediate"), ("wᵀ @ X", "intermediate"),
                       ("J", "output")]:
        assert dot.colour(name) == COLOUR[role], name
    assert sorted(dot.ops().values()) == sorted(
        ["transpose", "matmul", "add", "sigmoid", "binary_cross_entropy"])
    # one edge per argument into each op, one edge out of it
    assert len(dot.edges) == (1 + 2 + 2 + 1 + 2) + 5
    # z = wᵀx + b -> a = σ(z) -> L(a, y): the chain the course draws
    assert dot.ops()[dot.op_making("Z")] == "add"
    assert {dot.values()[src] for src, _ in dot.into(dot.op_making("Z"))} == {"wᵀ @ X", "b"}
    assert [dot.values()[src] for src, _ in dot.into(dot.op_making("A"))] == ["Z"]
    assert sorted(dot.values()[src] for src, _ in dot.into(dot.op_making("J"))) == ["A", "Y"]
    # the bias is broadcast over the m examples: the only labelled edge
    labelled = [(dot.values()[src], label) for src, _, label in dot.edges if label]
    assert labelled == [("b", f" (1, 1) → (1, {M}) ")]
    assert "cluster" not in viz.to_dot(logistic_regression())  # no layer index in w, b, Z, A


def test_two_layer_graph_has_the_course_names_layers_and_the_bias_broadcast():
    dot = Dot(viz.to_dot(two_layer()))
    names = set(dot.values().values())
    assert {"X", "Y", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "J"} <= names
    assert {"W1 @ X", "W2 @ A1"} <= names  # unnamed intermediates read as formulas
    for name, shape in [("W1", "(4, 2)"), ("b1", "(4, 1)"), ("Z1", "(4, 400)"), ("A1", "(4, 400)"),
                        ("W2", "(1, 4)"), ("b2", "(1, 1)"), ("A2", "(1, 400)")]:
        assert dot.details(name).startswith(shape), name
    for name in ("W1", "b1", "W2", "b2"):
        assert dot.colour(name) == COLOUR["parameter"]
    for name in ("Z1", "A1", "Z2", "A2"):
        assert dot.colour(name) == COLOUR["intermediate"]
    assert dot.colour("X") == dot.colour("Y") == COLOUR["input"]
    assert dot.colour("J") == COLOUR["output"]
    # per layer: matmul (2 in, 1 out), add (2, 1), activation (1, 1); the cost (2, 1)
    assert len(dot.edges) == 2 * (3 + 3 + 2) + 3
    assert sorted(dot.ops().values()) == sorted(
        ["matmul", "add", "tanh", "matmul", "add", "sigmoid", "binary_cross_entropy"])
    # layers: W1, b1, Z1, A1 (and W1 @ X) in cluster 1; X, Y, J outside
    for name in ("W1", "b1", "Z1", "A1", "W1 @ X"):
        assert dot.cluster_of[dot.node(name)] == "cluster_layer1", name
    for name in ("W2", "b2", "Z2", "A2", "W2 @ A1"):
        assert dot.cluster_of[dot.node(name)] == "cluster_layer2", name
    for name in ("X", "Y", "J"):
        assert dot.node(name) not in dot.cluster_of
    # db = 1/m Σ dZ comes from here: b1 (4, 1) broadcast over the 400 examples into Z1's add
    into_add = dict(dot.into(dot.op_making("Z1")))
    assert into_add[dot.node("b1")] == " (4, 1) → (4, 400) "
    assert into_add[dot.node("W1 @ X")] is None
    assert len(dot.nodes) == 11 + 2 + 7 + 1  # values, formulas, ops, the legend


def test_a_plus_a_has_two_edges_and_constants_are_grey():
    a = Tensor([[1.0, 2.0]], requires_grad=True, name="a")
    y = (a + a) * 2.0
    dot = Dot(viz.to_dot(y))
    add = dot.op_making("a + a")
    assert dot.into(add) == [(dot.node("a"), None), (dot.node("a"), None)]
    assert dot.colour("2") == COLOUR["constant"]  # the unnamed 2.0, labelled by its value
    # a scalar constant is broadcast too, but its edge is not labelled (no gradient to sum)
    assert all(label is None for *_, label in dot.edges)


def test_show_data_and_grad_in_full_for_small_arrays_summarised_for_big_ones():
    J = logistic_regression(m=40)
    before = viz.to_dot(J, show_grad=True)
    assert "grad: None" in before  # not yet backward
    J.backward()
    dot = viz.to_dot(J, show_data=True, show_grad=True)
    w, Z = tensor_named(J, "w"), tensor_named(J, "Z")
    w_label = _text(Dot(dot).nodes[Dot(dot).node("w")])
    for value in (*w.data.ravel(), *w.grad.ravel()):  # 2 values each: in full
        assert f"{value:.4g}" in w_label
    z_label = _text(Dot(dot).nodes[Dot(dot).node("Z")])  # 40 values each: summarised
    assert f"mean {Z.data.mean():.4g}" in z_label and f"max {Z.data.max():.4g}" in z_label
    assert f"norm {np.linalg.norm(Z.grad):.4g}" in z_label
    assert f"{Z.data[0, 7]:.4g}" not in z_label
    x_label = _text(Dot(dot).nodes[Dot(dot).node("X")])
    assert "data" in x_label and "grad" not in x_label  # inputs need no gradient: no grad row
    assert "data" not in _text(Dot(viz.to_dot(J)).nodes[Dot(dot).node("X")])  # only when asked


def test_labels_escape_html_and_show_dtypes_other_than_float64():
    x = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True, name='<x & "y">')
    y = x * x
    source = viz.to_dot(y)
    assert '<x & "y">' not in source and "&lt;x &amp; &quot;y&quot;&gt;" in source
    dot = Dot(source)
    assert dot.details('<x & "y">') == "(2, 2) float32 · grad"
    assert "float64" not in viz.to_dot(logistic_regression())


def test_same_model_twice_in_two_processes_gives_byte_identical_dot():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_viz; "
        "from tinygrad_edu import viz; "
        "sys.stdout.write(viz.to_dot(test_viz.two_layer(), show_data=True))"
    )
    here = str(Path(__file__).parent)
    runs = [subprocess.run([sys.executable, "-c", code, here], capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)})
            for seed in (1, 2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.decode() == viz.to_dot(two_layer(), show_data=True)
    assert re.search(rb"0x[0-9a-f]{6,}", runs[0].stdout) is None  # no memory addresses


def test_draw_returns_a_digraph_whose_source_is_the_dot_text():
    import graphviz

    J = two_layer()
    g = viz.draw(J, rankdir="TB")
    assert isinstance(g, graphviz.Digraph)
    assert g.source == viz.to_dot(J, rankdir="TB")
    assert "rankdir=TB" in g.source
    with pytest.raises(ValueError, match="rankdir must be one of 'LR', 'TB', 'RL', 'BT'"):
        viz.draw(J, rankdir="sideways")
    with pytest.raises(TypeError, match=r"root must be a Tensor.*the Tensor to draw"):
        viz.draw(J.data)


# ---------------------------------------------------------------------------------------------
# large graphs
# ---------------------------------------------------------------------------------------------


def test_a_graph_of_ten_thousand_nodes_is_drawn_quickly_without_recursion():
    x = Tensor(np.ones((2, 2)), requires_grad=True, name="x")
    t = x
    for _ in range(5000):
        t = t.tanh()
    # a recursive walk of the 5000-deep chain would fail under this limit (another library
    # in the same process may have raised it, so set it here)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        start = time.perf_counter()
        source = viz.to_dot(t, max_nodes=20_000)
        seconds = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(previous_limit)
    assert seconds < 2.0
    dot = Dot(source)
    assert len(dot.nodes) == 1 + 2 * 5000 + 1  # x, 5000 ops and their values, the legend
    assert len(dot.edges) == 2 * 5000


def test_max_nodes_refuses_big_graphs_and_says_how_to_raise_it_or_collapse():
    J = nn.deep_network([2, 3, 3, 3, 3, 3, 1], seed=0)(Tensor(np.ones((2, 4)), name="X"))
    with pytest.raises(viz.GraphTooLargeError) as raised:
        viz.to_dot(J, max_nodes=20)
    message = str(raised.value)
    assert "more than max_nodes=20" in message
    assert "max_nodes=" in message and "collapse_layers=True" in message and "6 layers" in message
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, TinygradEduError)
    assert viz.to_dot(J, max_nodes=20, collapse_layers=True)  # X, 6 boxes, the legend


def test_collapse_layers_draws_one_box_per_layer():
    J = binary_cross_entropy(nn.deep_network([2, 5, 4, 3, 1], seed=3)(Tensor(np.ones((2, 7)),
                                                                              name="X")),
                             Tensor(np.ones((1, 7)), name="Y"))
    dot = Dot(viz.to_dot(J, collapse_layers=True))
    assert [i for i in dot.nodes if i.startswith("layer")] == ["layer1", "layer2", "layer3",
                                                               "layer4"]
    assert {"W1", "Z3", "A4"}.isdisjoint(dot.values().values())
    box = _text(dot.nodes["layer2"])
    assert "W2 (4, 5)" in box and "b2 (4, 1)" in box and "A2 (4, 7)" in box
    pairs = [(src, dst) for src, dst, _ in dot.edges]
    assert [p for p in pairs if p[1].startswith("layer")] == [
        (dot.node("X"), "layer1"), ("layer1", "layer2"), ("layer2", "layer3"),
        ("layer3", "layer4")]
    cost_op = next(i for i, op in dot.ops().items() if op == "binary_cross_entropy")
    assert sorted(src for src, _ in dot.into(cost_op)) == sorted(["layer4", dot.node("Y")])


# ---------------------------------------------------------------------------------------------
# equations (tinygrad_edu.explain's contract: .target and .text per equation)
# ---------------------------------------------------------------------------------------------


def test_equations_are_written_under_the_tensor_that_receives_the_gradient(monkeypatch):
    J = logistic_regression()
    A, Z = tensor_named(J, "A"), tensor_named(J, "Z")

    def explain(root):
        assert root is J
        return [types.SimpleNamespace(target=Z, text="dZ = (A - Y) / m"),
                types.SimpleNamespace(target=A, text="dA = -(Y/A - (1-Y)/(1-A)) / m")]

    monkeypatch.setitem(sys.modules, "tinygrad_edu.explain",
                        types.SimpleNamespace(explain=explain))
    dot = Dot(viz.to_dot(J, equations=True))
    assert "dZ = (A - Y) / m" in _text(dot.nodes[dot.node("Z")])
    assert "dA = -(Y/A - (1-Y)/(1-A)) / m" in html.unescape(dot.nodes[dot.node("A")])
    assert "dZ" not in _text(dot.nodes[dot.node("A")])
    assert viz.EQUATION_COLOUR in dot.nodes[dot.node("Z")]
    assert "dZ" not in viz.to_dot(J)  # only when asked


def test_equations_with_the_real_explain_or_a_clear_error():
    J = two_layer(m=8)
    try:
        import tinygrad_edu.explain  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"needs tinygrad_edu\.explain"):
            viz.to_dot(J, equations=True)
        return
    source = html.unescape(viz.to_dot(J, equations=True))
    assert "dZ2" in source and "dW1" in source


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------


def test_render_writes_a_real_svg_and_png(tmp_path):
    assert viz.find_renderer() is not None, "this machine has graphviz-pure (the render extra)"
    J = two_layer()
    svg_path = viz.render(J, tmp_path / "two_layer.svg")
    assert svg_path == tmp_path / "two_layer.svg"
    root = ET.parse(svg_path).getroot()  # valid XML
    assert root.tag.endswith("svg")
    texts = {t.text for t in root.iter() if t.tag.endswith("text")}
    assert {"W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "X", "Y", "J", "layer 1"} <= texts
    assert "(4, 1) → (4, 400)" in {t.strip() for t in texts if t}

    png_path = viz.render(J, tmp_path / "two_layer.png", show_data=True)
    data = png_path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert 600 < width < 6000 and 200 < height < 4000, (width, height)
    assert len(data) > 20_000

    dot_path = viz.render(J, tmp_path / "two_layer.dot")
    assert dot_path.read_text() == viz.to_dot(J)
    # a drawn graph renders as it is
    g = viz.draw(J, rankdir="TB")
    assert "rankdir=TB" in viz.render(g, tmp_path / "tb.dot").read_text()


def test_the_digraph_shows_as_svg_in_a_notebook():
    bundle = viz.draw(logistic_regression())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "<svg" in bundle["image/svg+xml"] and ">wᵀ @ X<" in bundle["image/svg+xml"]


def hide_renderers(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(viz.RENDERER_ENV, raising=False)
    monkeypatch.setattr(viz.rendering, "_script_dirs", lambda: [])


def test_without_a_renderer_draw_works_and_render_writes_the_dot_and_says_how(
    monkeypatch, tmp_path
):
    hide_renderers(monkeypatch, tmp_path)
    assert viz.find_renderer() is None
    J = two_layer()
    g = viz.draw(J)  # still a Digraph
    assert g.source == viz.to_dot(J)
    with pytest.raises(viz.RendererNotFoundError) as raised:
        viz.render(J, tmp_path / "graph.svg")
    error = raised.value
    assert isinstance(error, TinygradEduError) and isinstance(error, RuntimeError)
    message = str(error)
    assert 'pip install "tinygrad_edu[render]"' in message and "graphviz-pure" in message
    assert "system package graphviz" in message
    assert str(tmp_path / "graph.dot") in message
    assert (tmp_path / "graph.dot").read_text() == viz.to_dot(J)
    assert not (tmp_path / "graph.svg").exists()
    # in a notebook: the DOT text and the hint, no traceback
    bundle = g._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/plain"].startswith("digraph computation_graph {")
    assert 'pip install "tinygrad_edu[render]"' in bundle["text/plain"]
    assert "&lt;&lt;TABLE" in bundle["text/html"]  # the source, escaped inside <pre>


def test_renderer_search_order(monkeypatch, tmp_path):
    hide_renderers(monkeypatch, tmp_path)
    # graphviz-pure in this Python's scripts folder, when nothing is on PATH
    monkeypatch.setattr(viz.rendering, "_script_dirs", lambda: [tmp_path / "scripts"])
    scripts, bin_dir = tmp_path / "scripts", tmp_path / "bin"
    for folder, name in [(scripts, "graphviz-pure"), (bin_dir, "dot"), (bin_dir, "graphviz-pure")]:
        folder.mkdir(exist_ok=True)
        (folder / name).write_text("#!/bin/sh\nexit 1\n")
        (folder / name).chmod(0o755)
    assert viz.find_renderer() == str(scripts / "graphviz-pure")
    # dot on PATH comes first
    monkeypatch.setenv("PATH", str(bin_dir))
    assert viz.find_renderer() == str(bin_dir / "dot")
    # the environment variable overrides, and the argument overrides that
    monkeypatch.setenv(viz.RENDERER_ENV, str(bin_dir / "graphviz-pure"))
    assert viz.find_renderer() == str(bin_dir / "graphviz-pure")
    assert viz.find_renderer(scripts / "graphviz-pure") == str(scripts / "graphviz-pure")
    # an override that does not exist is an error, not a silent fallback
    with pytest.raises(viz.RendererNotFoundError, match="not an executable program"):
        viz.find_renderer(tmp_path / "no-such-dot")
    # a renderer that fails says so
    with pytest.raises(viz.RenderError, match="could not write svg"):
        viz.render(logistic_regression(), tmp_path / "x.svg", renderer=bin_dir / "dot")


def test_the_real_graphviz_pure_is_found_in_the_scripts_folder_without_path(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(viz.RENDERER_ENV, raising=False)
    program = viz.find_renderer()
    assert program is not None and Path(program).name.startswith("graphviz-pure")
    path = viz.render(logistic_regression(), tmp_path / "lr.svg")
    assert "<svg" in path.read_text()


def test_importing_viz_loads_no_graphviz_and_draw_without_it_says_what_to_install(monkeypatch):
    code = "import sys, tinygrad_edu.viz; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    viz._digraph_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=r'pip install "tinygrad_edu\[render\]"'):
            viz.draw(logistic_regression())
        assert viz.to_dot(logistic_regression()).startswith("digraph")  # needs no graphviz
    finally:
        viz._digraph_class.cache_clear()


# ---------------------------------------------------------------------------------------------
# readable on a slide: equations wrapped, footnotes explained, numpy labels called Y
# ---------------------------------------------------------------------------------------------


def test_long_equations_wrap_so_one_formula_does_not_widen_the_picture(monkeypatch):
    J = logistic_regression()
    A, b = tensor_named(J, "A"), tensor_named(J, "b")
    note = "¹ the engine floors A * (1 - A) at 1e-12 (PyTorch's rule) so that dA is never inf"

    def explain(root):
        return [types.SimpleNamespace(target=A, text="dA = (A - Y) / (A * (1 - A)) / m¹  = "
                                      "-(Y / A - (1 - Y) / (1 - A)) / m", notes=[note]),
                types.SimpleNamespace(target=b, text="db = np.sum(dZ, axis=1, keepdims=True)")]

    monkeypatch.setitem(sys.modules, "tinygrad_edu.explain",
                        types.SimpleNamespace(explain=explain))
    dot = Dot(viz.to_dot(J, equations=True))
    cell = html.unescape(dot.nodes[dot.node("A")])
    assert "dA = (A - Y) / (A * (1 - A)) / m¹<BR" in cell  # the course's form on its own line
    assert '<BR ALIGN="LEFT"/>  = -(Y / A - (1 - Y) / (1 - A)) / m' in cell
    assert 'db = np.sum(dZ, axis=1,<BR ALIGN="LEFT"/>      keepdims=True)' in html.unescape(
        dot.nodes[dot.node("b")])
    legend = _text(dot.nodes["legend"])
    assert "¹ the engine floors" in legend and "never inf" in legend  # what ¹ means
    assert viz._equation_lines("dZ = (A - Y) / m") == ["dZ = (A - Y) / m"]
    without = viz.to_dot(J, equations=True, legend=False)
    assert "legend" not in without and "label=\"¹ the engine floors" in without


def test_numpy_labels_given_to_the_cost_are_drawn_as_y():
    X = np.random.default_rng(0).normal(size=(2, 6))
    Y = (X[:1] > 0).astype(float)
    model = nn.Sequential(nn.Dense(2, 3, "tanh", seed=0), nn.Dense(3, 1, "sigmoid", seed=1))
    dot = Dot(viz.to_dot(binary_cross_entropy(model(X), Y)))  # numpy X and Y, as in a notebook
    names = dot.values()
    assert "X" in names.values() and "Y" in names.values()
    cost_op = next(i for i, op in dot.ops().items() if op == "binary_cross_entropy")
    assert dot.node("Y") in [src for src, _ in dot.into(cost_op)]


def test_the_committed_two_layer_svg_is_what_the_script_draws_today(tmp_path):
    """examples/two_layer_graph.svg (shown in the README) is kept current by
    examples/make_graph_svg.py: the same texts (names, shapes, broadcasts, legend) as a fresh
    rendering of the same graph. Compared by text, not bytes, so any renderer will do."""
    examples = Path(__file__).resolve().parent.parent / "examples"
    fresh = tmp_path / "fresh.svg"
    subprocess.run([sys.executable, str(examples / "make_graph_svg.py"), str(fresh)],
                   check=True, capture_output=True)

    def texts(path: Path) -> list[str]:
        root = ET.parse(path).getroot()
        return sorted(t.text.strip() for t in root.iter("{http://www.w3.org/2000/svg}text")
                      if t.text and t.text.strip())

    committed = texts(examples / "two_layer_graph.svg")
    assert {"W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "X", "Y", "J"} <= set(committed)
    assert committed == texts(fresh), (
        "examples/two_layer_graph.svg is out of date: run python examples/make_graph_svg.py"
    )


def test_squared_error_and_weight_penalty_are_one_readable_op_each():
    """F5.1: J = mse_loss(A2, Y) + l2_penalty([W1, W2], λ): two op nodes, labelled as costs."""
    X = np.random.default_rng(0).normal(size=(2, 6))
    Y = np.random.default_rng(1).uniform(size=(1, 6))
    model = nn.Sequential(nn.Dense(2, 3, "sigmoid", seed=0), nn.Dense(3, 1, "sigmoid", seed=1))
    J = F.mse_loss(model(X), Y) + F.l2_penalty(model, 0.1)
    dot = Dot(viz.to_dot(J))
    ops = dot.ops()
    assert "mul" not in ops.values() and "sum" not in ops.values()
    [mse] = [i for i, op in ops.items() if op == "mse_loss"]
    [l2] = [i for i, op in ops.items() if op == "l2_penalty"]
    assert dot.nodes[mse].startswith('"squared error" ')
    assert dot.nodes[l2].startswith('"L2 penalty (λ=0.1)" ')
    assert sorted(src for src, _ in dot.into(mse)) == sorted([dot.node("A2"), dot.node("Y")])
    assert sorted(src for src, _ in dot.into(l2)) == sorted([dot.node("W1"), dot.node("W2")])
    summed = Dot(viz.to_dot(F.mse_loss(model(X), Y, reduction="sum")))
    [label] = [n for i, n in summed.nodes.items() if i.startswith("f") and "mse_loss" in n]
    assert label.startswith('"squared error (reduction=sum)" ')
