"""Every notebook in examples/notebooks/ runs top to bottom in a fresh Jupyter kernel.

Each notebook is executed with nbclient and a real ipykernel (the ``notebooks`` extra, part
of ``test``) in smoke mode (``TINYGRAD_EDU_SMOKE=1``: a few iterations), in a temporary
folder; then one test per notebook checks lines its cells print (the comparisons with the
course's formulas print True, the cost at iteration 0 is the course's), that the pictures
came out (the graph as SVG no wider than a notebook column, the step-by-step view as HTML,
explain as LaTeX) and that the progress bar did not warn. The numbers checked are those the
computation fixes on every CPU (iteration 0, booleans of tolerant comparisons), never a
late point of a long training run. The committed notebooks carry no outputs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tinygrad_edu import viz

nbformat = pytest.importorskip("nbformat", reason='the notebooks extra: pip install -e ".[test]"')
nbclient = pytest.importorskip("nbclient", reason='the notebooks extra: pip install -e ".[test]"')
pytest.importorskip("ipykernel", reason='the notebooks extra: pip install -e ".[test]"')

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "examples" / "notebooks"

# notebook -> lines it must print in smoke mode, and the kinds of pictures it must show
EXPECTED = {
    "01_logistic_regression": (
        ["X (2, 200), Y (1, 200): m = 200 examples, n_x = 2 features",
         "J = 0.693147   (log 2 = 0.693147: with w = 0 every a is 0.5)",
         "m * Z.grad == A - Y:         True",
         "w.grad == 1/m X dZᵀ:         True",
         "b.grad == 1/m np.sum(dZ):    True",
         "Cost after iteration 0: 0.693147",
         "step 2 of 6: the fused rule of cross-entropy (making J, past A's own rule) gives dZ",
         "dw = d(wᵀ)ᵀ  = X @ dZᵀ"],
        {"image/svg+xml", "text/latex", "backprop", "image/png"},
    ),
    "02_planar_flower": (
        ["The shape of X is: (2, 400)", "cost = 0.693048",
         "dW2 == the course's formula: True", "db2 == the course's formula: True",
         "dW1 == the course's formula: True", "db1 == the course's formula: True",
         "BackpropView of J: 10 steps (dA2, dZ2, d(W2 @ A1), dW2, db2, dA1, dZ1, d(W1 @ X), ...)",
         "saved flower_backprop.html and 11 SVG frames",
         "Cost after iteration 0: 0.693048",
         "hidden units  accuracy %  the notes %"],
        {"image/svg+xml", "text/latex", "backprop", "image/png"},
    ),
    "03_deep_network": (
        [" W1  (20, 2)", " b4   (1, 1)", "AL (1, 400), cost = 0.693147",
         "BackpropView of J: 20 steps (dA4, dZ4, d(W4 @ A3), dW4, db4, dA3, dZ3, d(W3 @ A2), ...)",
         "dZ1 = dA1 * (Z1 > 0)", "dW4 == 1/m dZ4 A3ᵀ: True", "db4 == 1/m Σ dZ4:   True",
         "Cost after iteration 0: 0.959981"],
        {"image/svg+xml", "backprop", "image/png"},
    ),
    "04_gradient_checking": (
        ["agree to 1e-7: True", "verdict: passed", "dZ1 = dA1 * (1 - A1)", "verdict: FAILED",
         "with the rule restored: dZ1 = dA1 * (1 - A1**2)"],
        {"image/svg+xml"},
    ),
    "05_squared_error_weight_decay": (
        ["J = 0.351366", "dW2 = λ * W2 + dz3 @ a2ᵀ", "dW1 = λ * W1 + dz2 @ xᵀ",
         "step 11 of 12: W1 is used by 2 ops, so dW1 is the sum of their parts",
         "W1.grad == the δ form: True", "b1.grad == the δ form: True",
         "W2.grad == the δ form: True", "b2.grad == the δ form: True",
         "       λ      Σ W²  train acc %  held-out acc %"],
        {"image/svg+xml", "text/latex", "backprop", "image/png"},
    ),
}


def notebook_names() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def printed(outputs: list) -> list[str]:
    """The lines a cell printed, as Jupyter shows them: the stream's pieces joined, and a
    carriage return (the progress bar redrawing itself) overwriting its line."""
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    return [line.split("\r")[-1] for line in text.split("\n")]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run every notebook once in a fresh kernel; maps name -> the executed notebook."""
    out = tmp_path_factory.mktemp("notebooks_out")
    results = {}
    with pytest.MonkeyPatch.context() as patch:  # the kernels inherit this environment
        patch.setenv("TINYGRAD_EDU_SMOKE", "1")
        patch.setenv("TINYGRAD_EDU_OUT", str(out))
        patch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        patch.delenv("DISPLAY", raising=False)
        patch.delenv("MPLBACKEND", raising=False)
        for name in notebook_names():
            nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                             resources={"metadata": {"path": str(out)}})
            client.execute()
            results[name] = nb
    return results


def test_every_notebook_is_listed_here():
    assert notebook_names() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_is_committed_without_outputs(name):
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["cells"][0]["cell_type"] == "markdown"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_and_prints_what_the_course_says(executed, name):
    nb = executed[name]
    lines = [line for cell in nb.cells if cell.cell_type == "code"
             for line in printed(cell.outputs)]
    expected_lines, pictures = EXPECTED[name]
    for line in expected_lines:
        assert line in lines, f"{name} no longer prints {line!r}:\n" + "\n".join(lines)
    everything = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "IProgress" not in everything and "Traceback" not in everything
    shown = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown.update(data)
            if 'class="tgbp"' in data.get("text/html", ""):
                shown.add("backprop")
            if "image/svg+xml" in data:  # a graph fits the notebook's column
                assert viz.svg_width_px(data["image/svg+xml"]) <= viz.NOTEBOOK_WIDTH
    assert pictures <= shown, f"{name} did not show {pictures - shown}"


def test_the_progress_bar_prints_the_costs_on_their_own_lines(executed):
    """fit(progress=True): the cost lines go through the bar's write, so each is a whole
    line and the bar ends at 100 % on the last one (no 'IProgress not found' widget)."""
    cell = next(c for c in executed["02_planar_flower"].cells
                if c.cell_type == "code" and "progress=True)" in c.source)
    lines = [line for line in printed(cell.outputs) if line.strip()]
    assert lines[0] == "Cost after iteration 0: 0.693048"
    assert lines[-1].startswith("training: 100%|") and "50/50" in lines[-1]
    assert len(lines) == 2
