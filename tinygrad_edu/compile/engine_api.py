"""Everything the compiler takes from the engine and from ``explain``, in one place.

The rest of ``tinygrad_edu.compile`` imports engine and explain internals only from here, so
that when those modules move (the core redesign) the imports are re-pointed in one file.
Three of them are explain's private helpers: ``_fmt`` (a ``Sym`` tree printed, here in numpy
notation), ``_rebuild`` (a tree rebuilt bottom-up with some nodes replaced) and ``_frozen``
(a node's attributes made hashable); and
``backward.py`` makes ``Sym`` nodes itself (``object.__new__(Sym)`` with its slots), as
explain's own ``_display`` does.
"""

from __future__ import annotations

from ..core.engine import topological_order
from ..core.modes import enable_grad
from ..core.tensor import Tensor
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    CompileError,
    GraphChangedError,
    TrainingDivergedError,
    describe,
)
from ..explain import Equation, Sym, explain
from ..explain.printing import _fmt as format_sym
from ..explain.printing import index_parts
from ..explain.rewriting import _rebuild as rebuild_sym
from ..explain.values import _frozen as frozen_attrs
from ..higher_order import grad

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CompileError",
    "Equation",
    "GraphChangedError",
    "Sym",
    "Tensor",
    "TrainingDivergedError",
    "describe",
    "enable_grad",
    "explain",
    "format_sym",
    "frozen_attrs",
    "grad",
    "index_parts",
    "rebuild_sym",
    "topological_order",
]
