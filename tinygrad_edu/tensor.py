"""``Tensor`` by its old address (``tinygrad_edu.tensor.Tensor``): a re-export of
``core/tensor.py``."""

from .core.tensor import Tensor, _as_tensor

__all__ = ["Tensor", "_as_tensor"]
