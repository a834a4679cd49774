"""Inverted dropout (F12), the course's regularisation by switching units off at random.

In training, each unit of ``A (n, m)`` is kept with probability ``keep_prob``:

    D = np.random.rand(n, m) < keep_prob      # the mask: True = kept
    A = A * D / keep_prob                     # F12.1: dropped units give 0; the kept ones are
                                              # scaled so that E[A] is unchanged
    dA = dA * D / keep_prob                   # F12.2: the same mask, the same scale

In evaluation (``model.eval()``, ``predict``, ``accuracy``) there is no mask and no scaling:
``dropout(A, keep_prob, training=False)`` is ``A`` itself. The mask is drawn at every call
from the random source given (``seed``): None for numpy's global stream, as the notebook's
``np.random.rand``, a Generator or a RandomState: the stream's next numbers, a new mask at
every call; an int: a new ``np.random.RandomState(seed)`` at every call, so the same mask
(``nn.Dropout(seed=int)`` seeds its stream once, at construction: a new mask every call).

The op's setting is ``keep_prob`` (``attributes()``, what graphs and ``explain`` show); the
mask D is a value the forward computed for the rule, so it is the op's ``saved``
(``ctx.saved`` is D itself, the rule reads ``D = self.saved``). The random source is kept on
the op for ``compile`` only, not listed as a setting (it does not enter the formula, and a
generator is no value to print in a graph): ``rng``, the object D was drawn from, and
``seed``, the int it was made from at this call, or None when ``rng`` is a stream that goes
on (a Generator or RandomState given, numpy's global stream). A compiled step draws as eager
does: for an int seed a fresh ``np.random.RandomState(seed)`` at every call (the same mask at
every call), for a stream its next numbers (a new mask at every call).

Gradient checking (F6) needs the same function at every evaluation, so the course checks
gradients with dropout off: ``gradcheck`` refuses a function whose graph holds a dropout op
(``model.eval()`` first, or ``keep_prob=1``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from . import checks
from .core.function import Function
from .core.tensor import Tensor, _as_tensor
from .errors import DtypeError, describe

__all__ = ["Dropout", "check_keep_prob", "dropout"]


def check_keep_prob(keep_prob: Any, who: str) -> float:
    """``keep_prob`` as a float in (0, 1], or a ``ValueError`` saying what it means."""
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, int | float | np.floating) or \
            not 0.0 < float(keep_prob) <= 1.0:
        raise ValueError(
            f"{who}: keep_prob must be a number in (0, 1], the probability of keeping a unit "
            f"(1 keeps all, i.e. no dropout; the course uses e.g. 0.8), not {keep_prob!r}"
        )
    return float(keep_prob)


class Dropout(Function):
    """A_out = A * D / keep_prob with the mask D = rand < keep_prob (F12.1);
    dA = dA_out * D / keep_prob (F12.2).

    ``keep_prob`` (the setting) is the probability of keeping a unit; ``saved`` is the mask
    D (bool, A's shape); ``rng`` the generator D was drawn from and ``seed`` the int it was
    made from at this call (None: ``rng`` is a stream that goes on), for ``compile``.
    ``random = True`` tells ``gradcheck`` that the op draws a new mask at every call.
    """

    name = "dropout"
    viz_symbol = "dropout"  # drawn in its node by viz
    random = True

    @classmethod
    def apply(cls, A: Tensor, keep_prob: float, rng: Any, seed: int | None = None) -> Tensor:
        D = rng.random(A.shape) < keep_prob  # D = np.random.rand(n, m) < keep_prob
        data = A.data * D / keep_prob  # A = A * D / keep_prob
        return cls.record(data, (A,), saved=D, keep_prob=keep_prob, rng=rng,
                          seed=seed)  # rng, seed: for compile

    def attributes(self) -> dict:
        return {"keep_prob": self.keep_prob}  # the setting; rng, seed are not (module docstring)

    def explain_symbols(self) -> dict:
        """What ``explain`` writes as symbols instead of values: the mask D (``saved``),
        keep_prob."""
        layer = re.search(r"\d*$", self.parents[0].name or "").group()  # A1 -> D1
        return {"saved": (f"D{layer}", self.saved), "keep_prob": ("keep_prob", self.keep_prob)}

    def backward(self, g, out, A):
        D = self.saved  # the mask of the forward
        return (g * D / self.keep_prob,)  # dA = dA * D / keep_prob

    def numpy_source(self, src, A):
        """compile: the mask drawn as eager draws it at every call — from a fresh
        ``np.random.RandomState(seed)`` for an int seed (the same mask each call), else the
        next numbers of the stream (a new mask each call): numpy's global ``np.random``, or
        ``rng``, the generator given, an argument of the program."""
        layer = re.search(r"\d*$", self.parents[0].name or "").group()
        source = f"np.random.RandomState({self.seed})" if self.seed is not None else \
            "np.random" if self.rng is np.random else src.const(self.rng, "rng")
        D = src.keep(self, "saved", f"D{layer}",
                     f"{source}.random({A}.shape) < {self.keep_prob!r}")
        return f"{A} * {D} / {self.keep_prob!r}"

    def compile_key(self) -> tuple:
        """For ``compile``'s graph key: the seed, or which stream the mask is drawn from (its
        identity: a step function that makes a new generator at every call records another
        graph at the check, instead of the program drawing on from the traced one)."""
        return ("seed", self.seed) if self.seed is not None else ("stream", id(self.rng))

    def compile_generators(self) -> list:
        """The generators a call moves on (saved and put back around a check's trace): the
        stream ``rng``; none for an int seed (each call makes its own)."""
        return [self.rng] if self.seed is None else []


def dropout(A: Any, keep_prob: float = 0.8, training: bool = True, seed: Any = None) -> Tensor:
    """Inverted dropout of ``A (n, m)`` (F12): in training ``A * D / keep_prob`` with a fresh
    mask ``D = rand < keep_prob`` drawn from ``seed`` (None: numpy's global stream; a
    Generator or RandomState; an int: a new ``RandomState(seed)`` at this call, so every call
    with that int draws the same mask); ``training=False`` or ``keep_prob=1`` returns ``A``
    itself.
    """
    keep_prob = check_keep_prob(keep_prob, "dropout")
    A = _as_tensor(A)
    if A.data.dtype.kind != "f":
        raise DtypeError(f"dropout: needs floating-point data, but {describe(A)} is {A.dtype}")
    if not training or keep_prob == 1.0:
        return A
    rng = checks.random_state(seed)  # an int: a new RandomState(seed), so the same mask
    fresh = int(seed) if isinstance(seed, int | np.integer) else None  # at every call
    return Dropout.apply(A, keep_prob, rng, fresh)
