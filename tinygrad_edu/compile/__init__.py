"""``tinygrad_edu.compile``: a training step turned into the numpy code a learner writes.

>>> step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
...                             model.parameters())
>>> J, grads = step(X, Y)          # traces once, then runs the generated numpy function
>>> print(step.source)             # def forward_backward(X, Y, W1, b1, W2, b2): ...

How the code is made (nothing here knows a network or a derivative):

1. ``trace.py`` runs the function once, eagerly: the recorded graph is the program.
2. ``forward.py`` writes one line per tensor from each op's ``numpy_source`` declaration.
3. ``backward.py`` takes ``explain``'s equations — the engine's own derivative rules run on
   symbolic arrays — and writes them as assignments (``dZ2 = (A2 - Y) * (1.0 / m)``).
4. ``program.py`` puts them into one function (with the SGD update ``W1 -= lr * dW1`` when
   ``lr`` is given) and ``exec``s it; ``step.py`` caches one program per signature;
   ``caller.py`` writes each program's entry (the signature checked in one tuple compare).
"""

from __future__ import annotations

from .program import Program
from .step import CompiledStep, compile

__all__ = ["CompiledStep", "Program", "compile"]
