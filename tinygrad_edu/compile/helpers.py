"""The few functions the generated code calls besides numpy's, written out in its preamble
(each is the engine's own forward, in the stable form the engine computes)."""

from __future__ import annotations

import re

HELPERS = {
    "sigmoid": (
        "def sigmoid(z):\n"
        "    return np.exp(-np.logaddexp(0.0, -z))  # σ(z) = 1 / (1 + e^-z), never overflows"
    ),
    "log_softmax": (
        "def log_softmax(z):\n"
        "    shifted = z - z.max(axis=0, keepdims=True)  # log A, never -inf for finite Z\n"
        "    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))"
    ),
    "softmax": (
        "def softmax(z):\n"
        "    return np.exp(log_softmax(z))  # A = e^Z / Σ_k e^Z_k per column"
    ),
    "scatter": (
        "def scatter(g, index, shape):\n"
        "    result = np.zeros(shape, dtype=g.dtype)  # the gradient of indexing: g added\n"
        "    np.add.at(result, index, g)  # back where the elements came from\n"
        "    return result"
    ),
}
_NEEDS = {"softmax": ("log_softmax",)}


def helpers_for(lines: list) -> list:
    """The helper definitions the lines call, each followed by a blank line."""
    text = "\n".join(lines)
    wanted = [name for name in HELPERS if re.search(rf"(?<![\w.]){name}\(", text)]
    for name in list(wanted):
        wanted += [n for n in _NEEDS.get(name, ()) if n not in wanted]
    ordered = [n for n in HELPERS if n in wanted]
    out: list = []
    for name in ordered:
        out += [*HELPERS[name].split("\n"), "", ""]
    return ["", *out[:-1]] if out else out
