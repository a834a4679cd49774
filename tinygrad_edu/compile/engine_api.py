"""Everything the compiler takes from the engine and from ``explain``, in one place.

The rest of ``tinygrad_edu.compile`` imports engine and explain internals only from here, so
that when those modules move (the core redesign) the imports are re-pointed in one file.
"""

from __future__ import annotations

from ..autograd import enable_grad, grad, topological_order
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    CompileError,
    GraphChangedError,
    TinygradEduError,
    TrainingDivergedError,
    describe,
)
from ..explain import Equation, Sym, explain
from ..explain import _fmt as format_sym
from ..explain import _rebuild as rebuild_sym
from ..functions import Function
from ..tensor import Tensor

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CompileError",
    "Equation",
    "Function",
    "GraphChangedError",
    "Sym",
    "Tensor",
    "TinygradEduError",
    "TrainingDivergedError",
    "describe",
    "enable_grad",
    "explain",
    "format_sym",
    "grad",
    "rebuild_sym",
    "topological_order",
]
