"""The further ops, built on the core as its primitives are: one file per family.

* ``elementwise.py``: maximum/minimum, sqrt, abs, leaky ReLU, clip, where;
* ``selection.py``: max/min over axes, indexing (and scatter-add, its rule), concatenate, stack;
* ``matmul.py``: the rule of numpy's general matmul (vectors, stacks of matrices);
* ``notation.py``: how viz, explain and compile write the core's ops (their declarations).

Each file adds its ``Tensor`` methods (``t.max()``, ``t[i]``, ``t.clip(...)``) at its end.
"""

from . import elementwise, matmul, notation, selection

__all__ = ["elementwise", "matmul", "notation", "selection"]
