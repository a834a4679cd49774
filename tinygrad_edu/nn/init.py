"""Weight initializations for a dense layer: ``W[l]`` of shape ``(n[l], n[l-1])``.

Each function returns a fresh float64 numpy array of shape ``(n_out, n_in)``; biases are
always zeros (F8.4: zero biases break nothing once ``W`` is random). The random source ``rng``
may be

* ``None``: numpy's legacy global stream, so ``np.random.seed(2)`` before building the layers
  reproduces the notebook's ``np.random.randn(n_h, n_x) * 0.01`` bit for bit;
* an ``int``: a ``np.random.RandomState(int)`` (the same numbers as ``np.random.seed(int)``
  followed by ``np.random.randn``, without touching the global stream);
* a ``np.random.Generator`` or ``np.random.RandomState``: drawn from (and advanced).

Scales (standard deviation of each entry):

========  =======================  ================================================
course    ``0.01``                 F8.1, ``np.random.randn(n[l], n[l-1]) * 0.01``
zeros     ``0``                    F8.2-F8.3: the symmetry demo (hidden units stay equal)
xavier    ``sqrt(1 / n[l-1])``     the course's "Xavier" for tanh layers (Glorot and
                                   Bengio's normal form uses ``sqrt(2 / (n_in + n_out))``)
he        ``sqrt(2 / n[l-1])``     He et al. for ReLU layers
========  =======================  ================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import checks

RandomSource = Any  # None | int | np.random.Generator | np.random.RandomState
random_state = checks.random_state  # the object to draw from (its old address)

__all__ = ["INITS", "course", "he", "is_count", "random_state", "xavier", "zeros"]


def is_count(value: Any, minimum: int = 1) -> bool:
    """True for an int (not a bool) that is at least ``minimum``: a size, a number of units."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= minimum


def _check_sizes(n_out: int, n_in: int, who: str) -> None:
    for label, n in (("n_out", n_out), ("n_in", n_in)):
        checks.integer(n, f"nn.init.{who}", label, minimum=1, hint="A number of units.")


def _normal(n_out: int, n_in: int, rng: RandomSource, scale: float, who: str) -> np.ndarray:
    _check_sizes(n_out, n_in, who)
    return random_state(rng).standard_normal((int(n_out), int(n_in))) * scale


def course(n_out: int, n_in: int, rng: RandomSource = None) -> np.ndarray:
    """``W = np.random.randn(n_out, n_in) * 0.01`` (F8.1): small, so tanh and sigmoid start in
    their steep middle part."""
    return _normal(n_out, n_in, rng, 0.01, "course")


def zeros(n_out: int, n_in: int, rng: RandomSource = None) -> np.ndarray:
    """``W = 0``: every hidden unit computes the same function and stays so (F8.2, F8.3).
    ``rng`` is accepted for a uniform signature and not used."""
    random_state(rng)  # still validate it
    _check_sizes(n_out, n_in, "zeros")
    return np.zeros((int(n_out), int(n_in)))


def xavier(n_out: int, n_in: int, rng: RandomSource = None) -> np.ndarray:
    """``W = randn(n_out, n_in) * sqrt(1 / n_in)``: keeps the variance of Z near 1 (tanh)."""
    _check_sizes(n_out, n_in, "xavier")
    return _normal(n_out, n_in, rng, math.sqrt(1.0 / n_in), "xavier")


def he(n_out: int, n_in: int, rng: RandomSource = None) -> np.ndarray:
    """``W = randn(n_out, n_in) * sqrt(2 / n_in)``: the ReLU version (half the units are 0)."""
    _check_sizes(n_out, n_in, "he")
    return _normal(n_out, n_in, rng, math.sqrt(2.0 / n_in), "he")


INITS: dict[str, Callable[..., np.ndarray]] = {
    "course": course,
    "zeros": zeros,
    "xavier": xavier,
    "he": he,
}
