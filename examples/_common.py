"""What every example shares: where figures go, smoke mode, and a headless pyplot.

* Figures go to ``tinygrad_edu_out/<example>/`` (relative to the current folder); the
  environment variable ``TINYGRAD_EDU_OUT`` replaces ``tinygrad_edu_out``.
* ``TINYGRAD_EDU_SMOKE=1`` runs every example with a handful of iterations (the test suite
  does this so no example can rot); the printed numbers are then not the course's.
* ``pyplot()`` gives matplotlib's pyplot with the file-only ``Agg`` backend when the script
  runs outside Jupyter (no display needed), or ``None`` when matplotlib is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path

from tinygrad_edu.demo import load_pyplot

SMOKE = os.environ.get("TINYGRAD_EDU_SMOKE", "") not in ("", "0")


def iterations(full: int, smoke: int) -> int:
    """``full`` normally, ``smoke`` when TINYGRAD_EDU_SMOKE=1."""
    return smoke if SMOKE else full


def output_dir(example: str) -> Path:
    """``$TINYGRAD_EDU_OUT/<example>`` (default ``tinygrad_edu_out/<example>``), created."""
    path = Path(os.environ.get("TINYGRAD_EDU_OUT", "tinygrad_edu_out")) / example
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot():  # -> the matplotlib.pyplot module, or None
    """matplotlib.pyplot (Agg outside Jupyter), or None with a hint when it is missing."""
    try:
        return load_pyplot()
    except ImportError:
        print('(matplotlib is not installed: no figures. pip install "tinygrad_edu[plot]")')
        return None


def saved(fig, path: Path) -> Path:
    """Save and close ``fig``; print where it went."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}")
    return path
