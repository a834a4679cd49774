"""The further ops, built on the core as its primitives are: one file per family.

* ``elementwise.py``: maximum/minimum, sqrt, abs, leaky ReLU, clip, where;
* ``selection.py``: max/min over axes, indexing (and scatter-add, its rule), concatenate, stack.

Each file adds its ``Tensor`` methods (``t.max()``, ``t[i]``, ``t.clip(...)``) at its end.
"""

from . import elementwise, selection

__all__ = ["elementwise", "selection"]
