"""Layers and models in the course's notation: ``Dense``, ``Sequential``, ``deep_network``,
``Dropout`` and ``BatchNorm`` (the layers with a training and an evaluation mode).

``nn.functional`` (``import tinygrad_edu.nn.functional as F``) holds the activations, the
costs and the weight penalty; ``nn.init`` the weight initializations.
"""

from __future__ import annotations

from . import functional, init
from .dense import Dense
from .layers import BatchNorm, Dropout
from .module import Module
from .sequential import Sequential, deep_network

__all__ = ["BatchNorm", "Dense", "Dropout", "Module", "Sequential", "deep_network",
           "functional", "init"]
