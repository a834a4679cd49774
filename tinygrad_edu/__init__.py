"""tinygrad_edu: a small, fast and honest autodiff framework on numpy for the course notes.

>>> import numpy as np
>>> from tinygrad_edu import Tensor
>>> w = Tensor([[2.0]], requires_grad=True, name="w")
>>> J = ((w * 3.0) ** 2).sum()
>>> J.backward()
>>> w.grad
array([[36.]])
"""

from __future__ import annotations

import importlib
from typing import Any

# ops: the further ops add t.max(), t[i], t.clip(), ... to Tensor; numpy_protocols adds numpy's
# functions on tensors (np.dot(W, X)): both must be imported before the first tensor is used
from . import errors, numpy_protocols, ops  # noqa: F401
from .advice import TinygradEduWarning
from .anomaly import detect_anomaly
from .compile import compile
from .core.modes import enable_grad, is_grad_enabled, no_grad
from .core.tensor import Tensor
from .errors import (
    AnomalyError,
    ArgumentError,
    ArgumentTypeError,
    BackwardError,
    CompileError,
    DataError,
    DtypeError,
    GradcheckError,
    GradientError,
    GraphChangedError,
    ModeError,
    NameLookupError,
    NoRuleError,
    SavedFileError,
    ShapeError,
    StateDictError,
    TinygradEduError,
    TrainingDivergedError,
)
from .explain import explain
from .gradcheck import GradcheckResult, gradcheck, relative_difference
from .higher_order import grad
from .ops.elementwise import maximum, minimum, where
from .ops.selection import concatenate, stack

__version__ = "0.1.0"

# tg.nn, tg.optim, ...: imported when first used (PEP 562), so `import tinygrad_edu` loads only
# the engine. `tg.explain` stays the function explain(J) (its module's other names:
# `from tinygrad_edu.explain import Sym, Explanation`).
_SUBMODULES = ("nn", "optim", "data", "viz", "training", "demo", "cli")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *_SUBMODULES])


def tensor(data: Any, requires_grad: bool = False, name: str | None = None,
           dtype: Any = None) -> Tensor:
    """``tg.tensor([[1.0, 2.0]], requires_grad=True)``: the same as ``Tensor(...)`` (PyTorch's
    spelling)."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


__all__ = [
    "AnomalyError",
    "ArgumentError",
    "ArgumentTypeError",
    "BackwardError",
    "CompileError",
    "DataError",
    "DtypeError",
    "GradcheckError",
    "GradcheckResult",
    "GradientError",
    "GraphChangedError",
    "ModeError",
    "NameLookupError",
    "NoRuleError",
    "SavedFileError",
    "ShapeError",
    "StateDictError",
    "Tensor",
    "TinygradEduError",
    "TinygradEduWarning",
    "TrainingDivergedError",
    "__version__",
    "compile",
    "concatenate",
    "detect_anomaly",
    "enable_grad",
    "errors",
    "explain",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "maximum",
    "minimum",
    "no_grad",
    "relative_difference",
    "stack",
    "tensor",
    "where",
]
