"""Regenerate ``examples/backprop_step.svg``: one frame of ``viz.backprop(J)`` for the README.

The course's week-3 flower network (the cost J of ``python -m tinygrad_edu graph``), at the
step where the rule of tanh gives ``dZ1 = dA1 * (1 - A1**2)``: Z1 outlined in red, the tanh
lit, the gradients computed before it (dA2 … dA1) in green in their boxes::

    python examples/make_backprop_frame.py              # writes examples/backprop_step.svg
    python examples/make_backprop_frame.py other.svg    # any .svg / .png / .dot path

Needs a Graphviz renderer (``pip install "tinygrad_edu[render]"`` or the system graphviz).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinygrad_edu import viz
from tinygrad_edu.cli import build_model_cost

DEFAULT_OUT = Path(__file__).resolve().parent / "backprop_step.svg"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    view = viz.backprop(build_model_cost("two-layer"))
    [step] = [s for s in view.steps if s.equation.name == "dZ1"]
    folder = out.parent / f".{out.stem}_frames"
    written = view.frames(folder, formats=(out.suffix.lstrip(".") or "svg",))
    written[step.index].replace(out)
    for path in written:
        path.unlink(missing_ok=True)
    folder.rmdir()
    print(f"wrote {out} (step {step.index} of {len(view.steps)}: {step.equation.text})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
