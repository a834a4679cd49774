"""The engine, readable top to bottom: ``modes`` (grad mode) → ``function`` (the op contract) →
``rules`` (the course's primitive ops) → ``engine`` (topological order, backward: the chain
rule) → ``tensor`` (the Tensor and its operators). Everything else is built on it."""

from .engine import Shortcut, backward, topological_order
from .function import Function
from .modes import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor

__all__ = ["Function", "Shortcut", "Tensor", "backward", "enable_grad", "is_grad_enabled",
           "no_grad", "topological_order"]
