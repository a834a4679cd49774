"""``python -m tinygrad_edu graph``: the computation graph of a course model, from the shell.

Calls ``cli.main(argv)`` in-process for each model and option, and once as a real
subprocess; the written files are parsed (SVG as XML, PNG by its signature and header).
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tinygrad_edu import cli, viz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_texts(path) -> set:
    return {(t.text or "").strip() for t in ET.parse(path).getroot().iter()
            if t.tag.endswith("text")}


@pytest.mark.parametrize(
    ("model", "names"),
    [
        ("two-layer", {"X", "Y", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "J",
                       "(4, 1) → (4, 400)"}),
        ("logistic", {"X", "Y", "w", "b", "Z", "A", "J", "wᵀ @ X", "(1, 1) → (1, 400)"}),
        ("deep", {"W1", "A3", "W4", "b4", "A4", "layer 4", "(20, 1) → (20, 400)"}),
    ],
)
def test_graph_writes_the_svg_of_each_model(tmp_path, capsys, model, names):
    out = tmp_path / f"{model}.svg"
    assert cli.main(["graph", "--model", model, "--out", str(out)]) == 0
    assert names <= svg_texts(out)
    assert str(out) in capsys.readouterr().out


def test_graph_format_rankdir_and_values(tmp_path):
    assert cli.main(["graph", "--out", str(tmp_path / "g.svg"), "--format", "png"]) == 0
    png = (tmp_path / "g.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 10_000
    assert not (tmp_path / "g.svg").exists()

    dot_path = tmp_path / "g.dot"
    assert cli.main(["graph", "--out", str(dot_path), "--rankdir", "TB", "--show-data",
                     "--show-grad"]) == 0
    source = dot_path.read_text()
    assert "rankdir=TB" in source
    assert "grad: None" not in source  # --show-grad runs backward first
    J = cli.build_model_cost("two-layer")
    J.backward()
    assert source == viz.to_dot(J, rankdir="TB", show_data=True, show_grad=True)


def test_graph_collapse_layers_and_max_nodes(tmp_path, capsys):
    out = tmp_path / "deep.dot"
    assert cli.main(["graph", "--model", "deep", "--collapse-layers", "--out", str(out)]) == 0
    assert "layer4 [label=" in out.read_text() and "W1 (20, 2)" in out.read_text()
    assert cli.main(["graph", "--model", "deep", "--max-nodes", "10", "--out", str(out)]) == 1
    assert "collapse_layers=True" in capsys.readouterr().err


def test_graph_without_a_renderer_writes_the_dot_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv(viz.RENDERER_ENV, raising=False)
    monkeypatch.setattr(viz.rendering, "_script_dirs", lambda: [])
    assert cli.main(["graph", "--out", str(tmp_path / "graph.svg")]) == 1
    assert 'pip install "tinygrad_edu[render]"' in capsys.readouterr().err
    assert (tmp_path / "graph.dot").read_text().startswith("digraph computation_graph {")


def test_graph_rejects_an_unknown_model(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["graph", "--model", "resnet"])
    assert raised.value.code == 2
    assert "two-layer" in capsys.readouterr().err


def test_python_dash_m_tinygrad_edu_graph(tmp_path):
    out = tmp_path / "graph.svg"
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "graph", "--model", "two-layer", "--out",
         str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert {"W1", "W2", "J"} <= svg_texts(out)


def test_graph_out_creates_missing_folders(tmp_path, capsys):
    out = tmp_path / "missing_dir" / "deeper" / "g.svg"
    assert cli.main(["graph", "--out", str(out)]) == 0
    assert "J" in svg_texts(out)


def test_graph_out_under_a_file_says_so_and_exits_1(tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    assert cli.main(["graph", "--out", str(tmp_path / "a_file" / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "graph: cannot create the folder" in err and "choose another --out" in err


def test_version(capsys):
    from tinygrad_edu import __version__

    with pytest.raises(SystemExit) as exit_status:
        cli.main(["--version"])
    assert exit_status.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygrad_edu {__version__}"
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"tinygrad_edu {__version__}"
