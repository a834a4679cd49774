"""The engine's names by their old address (``tinygrad_edu.autograd.topological_order``): a
re-export of ``core/engine.py``, ``core/modes.py``, ``anomaly.py`` and ``higher_order.py``."""

from .anomaly import check_backward_finite, check_forward_finite, detect_anomaly
from .core.engine import Shortcut, backward, topological_order
from .core.modes import MODE, enable_grad, is_grad_enabled, no_grad
from .higher_order import grad

__all__ = [
    "MODE", "Shortcut", "backward", "check_backward_finite", "check_forward_finite",
    "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "no_grad", "topological_order",
]
