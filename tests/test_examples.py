"""Every example in examples/ runs, headless, in smoke mode, so none can rot.

All examples start at once as subprocesses (``TINYGRAD_EDU_SMOKE=1``: a few iterations;
``TINYGRAD_EDU_OUT``: a temporary folder; no display), two at a time on two cores; then
one test per example checks its exit status, a line it must print whatever the iteration
count, and that the figures it promises are real PNG files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# example -> (figures it writes, a line it prints even in smoke mode)
EXPECTED = {
    "01_logistic_regression": (
        ["cost.png", "flower_boundary.png", "clusters_boundary.png"],
        "max |m * Z.grad - (A - Y)|      = 0.0e+00",
    ),
    "02_planar_flower": (
        ["decision_boundary.png", "cost.png", "hidden_layer_sizes.png"],
        "Cost after iteration 0: 0.693048",
    ),
    "03_activations": (["activations.png"], "at z = 0: relu'(0) = 0, leaky'(0) = 0.01"),
    "04_random_initialization": (["symmetry.png"], "dW1 = [0. 0. 0. 0. 0. 0.]"),
    "05_gradient_checking": ([], "gradcheck FAILED"),
    "06_gradient_descent_variants": (
        ["cost_per_epoch.png", "zhihu_example.png", "optimizers.png"],
        "at x = 0: ∇ℓ_1 = +4.0, ∇ℓ_2..10 = -2.0, ∇f = -1.4",
    ),
    "07_deep_network": (["parity_cost.png"], " 1   (20, 12288)  (20, 1)  (20, 209)"),
    "08_squared_error_weight_decay": (["weight_decay.png"], "max |m · z3.grad - δ^(3)|"),
    "09_multiclass_softmax": (["decision_regions.png", "cost.png"],
                              "max |Z2.grad - (A2 - Y) / m| = 0.0e+00"),
    "10_dropout_batch_norm": (["batch_norm.png", "dropout.png"],
                              "dbeta1 = np.sum(dZ_tilde1, axis=1, keepdims=True)"),
}


def example_scripts() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run every example once (in parallel); maps name -> (CompletedProcess, output folder)."""
    out = tmp_path_factory.mktemp("examples_out")
    env = {
        **os.environ,
        "TINYGRAD_EDU_SMOKE": "1",
        "TINYGRAD_EDU_OUT": str(out),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("DISPLAY", None)
    env.pop("MPLBACKEND", None)

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(EXAMPLES / f"{name}.py")],
            cwd=out, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300,
        )

    names = example_scripts()
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = dict(zip(names, pool.map(run, names)))
    return {name: (result, out / name) for name, result in results.items()}


def test_every_example_is_listed_here():
    assert example_scripts() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_in_smoke_mode(runs, name):
    result, folder = runs[name]
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr}"
    figures, line = EXPECTED[name]
    assert line in result.stdout, f"{name} no longer prints {line!r}:\n{result.stdout}"
    for figure in figures:
        path = folder / figure
        assert path.exists(), f"{name} did not write {figure}"
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{figure} is not a PNG"
        assert str(path.name) in result.stdout, f"{name} does not say it wrote {figure}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_is_also_a_notebook(name):
    """Plain scripts with ``# %%`` cells and markdown cells, openable as notebooks."""
    source = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    assert source.startswith("# %% [markdown]\n# # "), "start with a markdown title cell"
    assert source.count("\n# %%\n") >= 2
    assert source.count("# %% [markdown]") >= 2
