"""``python -m tinygrad_edu demo``: trains the course's flower network and writes its pictures.

Runs the demo with a few iterations into a temporary folder and checks the files are real
PNG / SVG; then hides matplotlib (``sys.modules['matplotlib'] = None`` makes its import fail)
and checks the demo still trains and says which extra would add the plots.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_demo(tmp_path: Path, capsys: pytest.CaptureFixture, iterations: int = 20) -> str:
    assert demo.main(["--out", str(tmp_path), "--iterations", str(iterations)]) == 0
    return capsys.readouterr().out


def test_demo_prints_the_course_log_and_writes_png_and_svg(tmp_path, capsys):
    out = run_demo(tmp_path, capsys)
    # the notebook's first line, from the same data and the same np.random.seed(2) weights
    assert "Cost after iteration 0: 0.693048" in out
    assert "Accuracy:" in out
    for name in ("decision_boundary.png", "cost.png"):
        path = tmp_path / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        assert path.stat().st_size > 5_000, f"{name} is suspiciously small"
        assert name in out  # the demo says where it wrote what
    svg = (tmp_path / "computation_graph.svg").read_text()
    assert "<svg" in svg and "</svg>" in svg
    assert "W1" in svg and "W2" in svg  # the parameters are drawn with their course names
    assert "computation_graph.svg" in out


def test_demo_reaches_the_course_accuracy_with_the_course_settings(tmp_path, capsys):
    # 10 000 iterations take a few seconds; 3000 already pass the notes' ~90 % mark
    out = run_demo(tmp_path, capsys, iterations=3000)
    accuracy = float(out.split("Accuracy:")[1].split("%")[0])
    assert accuracy >= 89.0
    assert "Cost after iteration 2000:" in out and "Cost after iteration 3000:" not in out


def test_demo_without_matplotlib_still_trains_and_names_the_extra(tmp_path, capsys, monkeypatch):
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = run_demo(tmp_path, capsys)
    assert "Cost after iteration 0: 0.693048" in out
    assert "Accuracy:" in out
    assert demo.PLOT_HINT in out
    assert not list(tmp_path.glob("*.png"))


def test_demo_without_a_renderer_writes_the_dot_source_and_names_the_extra(
    tmp_path, capsys, monkeypatch
):
    from tinygrad_edu import viz

    def no_renderer(J, path, *args, **kwargs):
        dot = Path(path).with_suffix(".dot")
        dot.write_text(viz.draw(J).source)
        raise viz.RendererNotFoundError("no graphviz renderer found (simulated)")

    monkeypatch.setattr(viz, "render", no_renderer)
    out = run_demo(tmp_path, capsys)
    assert demo.RENDER_HINT in out
    assert (tmp_path / "computation_graph.dot").read_text().startswith("digraph")
    assert (tmp_path / "decision_boundary.png").exists()  # the plots do not depend on it


def test_demo_subcommand_of_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--iterations", "5", "--out",
         str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Cost after iteration 0: 0.693048" in result.stdout
    assert (tmp_path / "cost.png").read_bytes()[:8] == PNG_SIGNATURE


def test_demo_rejects_a_bad_option(capsys):
    with pytest.raises(SystemExit) as raised:
        demo.main(["--iterations", "many"])
    assert raised.value.code == 2
    assert "--iterations" in capsys.readouterr().err


def test_importing_the_demo_and_the_cli_loads_no_plotting_library():
    code = (
        "import sys, tinygrad_edu.demo, tinygrad_edu.cli; "
        "print(sorted(m for m in ('matplotlib', 'graphviz') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_demo_graph_names_the_root_J_and_the_data_X(tmp_path, capsys):
    run_demo(tmp_path, capsys, iterations=1)
    import xml.etree.ElementTree as ET

    texts = {(t.text or "").strip() for t in
             ET.parse(tmp_path / "computation_graph.svg").getroot().iter()
             if t.tag.endswith("text")}
    assert {"J", "X", "Y"} <= texts
    assert "binary_cross_entropy" not in texts


def test_decision_boundary_colours_match_the_words_with_a_legend(tmp_path):
    plt = demo.load_pyplot()
    from matplotlib.colors import to_hex

    X = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0, 1, 0, 1]])
    fig, ax = plt.subplots()
    demo.draw_decision_boundary(ax, lambda P: (P[0] > 1.5).astype(int), X, Y, "t", step=0.5)
    legend = {t.get_text(): to_hex(h.get_facecolor()[0]) for t, h in
              zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    plt.close(fig)
    assert legend == {"y = 0 (red)": demo.POINT_COLOURS[0], "y = 1 (blue)": demo.POINT_COLOURS[1]}
    red, blue = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in demo.POINT_COLOURS)
    assert red[0] > 2 * red[2] and blue[2] > 2 * blue[0]  # red is red, blue is blue
