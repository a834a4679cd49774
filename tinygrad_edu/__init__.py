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

from . import errors
from .autograd import detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from .errors import (
    AnomalyError,
    ArgumentError,
    ArgumentTypeError,
    BackwardError,
    DataError,
    DtypeError,
    GradcheckError,
    ModeError,
    NameLookupError,
    SavedFileError,
    ShapeError,
    StateDictError,
    TinygradEduError,
    TrainingDivergedError,
)
from .explain import explain
from .functions import concatenate, maximum, minimum, stack
from .gradcheck import GradcheckResult, gradcheck, relative_difference
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "ArgumentError",
    "ArgumentTypeError",
    "BackwardError",
    "DataError",
    "DtypeError",
    "GradcheckError",
    "GradcheckResult",
    "ModeError",
    "NameLookupError",
    "SavedFileError",
    "ShapeError",
    "StateDictError",
    "Tensor",
    "TinygradEduError",
    "TrainingDivergedError",
    "__version__",
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
]
