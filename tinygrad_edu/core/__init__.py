"""The engine; read it in this order: ``modes`` (grad mode), ``function`` (the op contract),
``rules`` (the course's ops), ``engine`` (the chain rule), ``tensor`` (Tensor, operators)."""
from .engine import Shortcut, backward, topological_order
from .function import Function
from .modes import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor

__all__ = ["Function", "Shortcut", "Tensor", "backward", "enable_grad", "is_grad_enabled",
           "no_grad", "topological_order"]
