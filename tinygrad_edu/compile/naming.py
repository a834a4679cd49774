"""Names in the generated code: the tensors' own (``W1``, ``Z1``), ``d`` + name for a
gradient (``dZ2``), ``m`` for the number of examples, ``C<k>`` for constant arrays (a mask, an
index), ``T<k>`` for an unnamed tensor that needs a line of its own."""

from __future__ import annotations

import keyword
import re
from typing import Any

import numpy as np

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_RESERVED = {"np", "m", "lr", "sigmoid", "softmax", "log_softmax", "scatter"}


class Names:
    """Hands out identifiers, each once; keeps the constants and the example counts."""

    def __init__(self) -> None:
        self.taken: set = set(_RESERVED)
        self.constants: dict = {}  # name -> value (arrays passed to the program)
        self._constant_ids: dict = {}
        self.example_counts: dict = {}  # m value -> name ("m", "m_2", ...)
        self._unnamed = 0

    def fresh(self, wanted: str | None) -> str:
        """``wanted`` made a valid, unused identifier (``A[1]`` → ``A_1``; a second ``Z1`` →
        ``Z1_2``); None gives ``T<k>``."""
        if wanted is None:
            while True:
                self._unnamed += 1
                name = f"T{self._unnamed}"
                if name not in self.taken:
                    break
        else:
            name = re.sub(r"\W", "_", wanted).strip("_") or "T"
            if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
                name = f"T_{name}"
            base, count = name, 1
            while name in self.taken:
                count += 1
                name = f"{base}_{count}"
        self.taken.add(name)
        return name

    def gradient(self, name: str) -> str:
        """``dZ2`` for ``Z2`` (``dZ2_2`` if taken)."""
        return self.fresh(f"d{name}")

    def constant(self, value: Any, wanted: str | None = None) -> str:
        """A Python number as its literal; an array (or any other value: a random generator)
        as an argument ``C<k>`` (or ``wanted``) of the program (the same object gets the same
        name)."""
        if isinstance(value, bool):
            return repr(value)
        if isinstance(value, int | float):
            return repr(value)
        key = id(value)
        if key in self._constant_ids:
            return self._constant_ids[key]
        if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0:
            array = np.asarray(value)
            if array.dtype == np.float64 and np.isfinite(array):
                return repr(float(array))
            if array.dtype == np.bool_:
                return repr(bool(array))
        uniform = _uniform(value)
        if uniform is not None and wanted is None:
            return uniform
        name = self.fresh(wanted) if wanted else self.constant_name()
        self.constants[name] = value
        self._constant_ids[key] = name
        self._keep = getattr(self, "_keep", [])
        self._keep.append(value)  # id() stays unique while the value is alive
        return name

    def constant_name(self) -> str:
        """The next free ``C<k>``."""
        k = 1
        while f"C{k}" in self.taken:
            k += 1
        return self.fresh(f"C{k}")

    def examples(self, m: int) -> str:
        """``m`` for the number of examples (``m_2`` for a second, different count)."""
        if m not in self.example_counts:
            name = "m" if not self.example_counts else self.fresh(f"m_{len(self.example_counts)}")
            self.example_counts[m] = name
        return self.example_counts[m]


def _uniform(value: Any) -> str | None:
    """``np.ones((4, 400))`` for an array of one repeated number (a rule's seed of ones)."""
    if not isinstance(value, np.ndarray) or value.size < 2 or value.dtype.kind not in "fb":
        return None
    first = value.flat[0]
    if not np.all(value == first) or not np.isfinite(first):
        return None
    dtype = "" if value.dtype == np.float64 else f", dtype=np.{value.dtype.name}"
    if value.dtype.kind == "b":
        return f"np.full({value.shape}, {bool(first)}{dtype})"
    if first == 1 or (first == 0 and not np.signbit(first)):
        return f"np.{'ones' if first == 1 else 'zeros'}({value.shape}{dtype})"
    return f"np.full({value.shape}, {float(first)!r}{dtype})"
