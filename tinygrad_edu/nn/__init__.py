"""Layers and models in the course's notation: ``Dense``, ``Sequential``, ``deep_network``.

``nn.functional`` (``import tinygrad_edu.nn.functional as F``) holds the activations, the
costs and the weight penalty; ``nn.init`` the weight initializations.
"""

from __future__ import annotations

from . import functional, init
from .module import Dense, Module, Sequential, deep_network

__all__ = ["Dense", "Module", "Sequential", "deep_network", "functional", "init"]
