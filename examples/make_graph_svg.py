"""Regenerate ``examples/two_layer_graph.svg``: the graph autodiff records for the flower network.

The course's week-3 network (2 → 4 tanh → 1 sigmoid, the notebook's ``np.random.seed(2)``
weights) on the planar flower data, its cross-entropy cost J, drawn left to right with the
course's names (W1, b1, Z1, A1, W2, b2, Z2, A2), one dashed frame per layer and the
broadcast of each bias over the 400 examples on its edge::

    python examples/make_graph_svg.py                 # writes examples/two_layer_graph.svg
    python examples/make_graph_svg.py other.png       # any .svg / .png / .dot path

The same picture from the shell: ``python -m tinygrad_edu graph --model two-layer``.
Needs a Graphviz renderer (``pip install "tinygrad_edu[render]"`` or the system graphviz).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinygrad_edu import viz
from tinygrad_edu.cli import build_model_cost

DEFAULT_OUT = Path(__file__).resolve().parent / "two_layer_graph.svg"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    J = build_model_cost("two-layer")  # J = -1/m Σ [y log a[2] + (1-y) log(1-a[2])]
    path = viz.render(J, out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
