"""A program's fast entry: one generated function that checks, with one tuple compare, that
a call is the one the program was made for, and calls the program.

For the flower network (``step(X, Y)``, parameters W1, b1, W2, b2, ``lr``) it is::

    def enter(*args):
        if len(args) != 2:
            return MISS
        a0, a1 = args
        if type(a0) is not ndarray or type(a1) is not ndarray:
            return MISS
        p0 = P0.data
        ...
        if (a0.shape, a0.dtype, a1.shape, a1.dtype, p0.shape, p0.dtype, ...) != KEY:
            return MISS
        return train_step(a0, a1, p0, p1, p2, p3, LR)

``KEY`` is the program's signature (``trace.signature``) flattened; ``MISS`` sends the call
to ``CompiledStep``'s general path (another signature: another program or a trace; Tensors
or lists as arguments: converted there). This is the whole per-call cost of a compiled step
besides the numpy calls: no dict built, no signature looked up, no list of arguments made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MISS = object()  # the call is not the one the program was made for


def make_enter(function: Any, plan: list, n_args: int, params: list, key: tuple,
               lr: float | None) -> Any:
    """The entry of ``function`` (called with the arguments ``plan`` lists: ``(0, i)`` the
    i-th argument, ``(1, i)`` the i-th parameter's array, ``(2, value)`` a constant) for
    calls whose signature is ``key``."""
    namespace: dict = {"MISS": MISS, "ndarray": np.ndarray, "function": function,
                       "KEY": tuple(x for pair in key for x in pair)}
    lines = [f"    if len(args) != {n_args}:", "        return MISS"]
    arg_names = [f"a{i}" for i in range(n_args)]
    if n_args:
        lines.append(f"    {', '.join(arg_names)}{',' if n_args == 1 else ''} = args")
        lines += ["    if " + " or ".join(f"type({a}) is not ndarray" for a in arg_names) + ":",
                  "        return MISS"]
    param_names = []
    for i, p in enumerate(params):
        namespace[f"P{i}"] = p
        param_names.append(f"p{i}")
        lines.append(f"    p{i} = P{i}.data")
    checked = arg_names + param_names
    if checked:
        fields = ", ".join(f"{a}.shape, {a}.dtype" for a in checked)
        lines += [f"    if ({fields}) != KEY:", "        return MISS"]
    call = []
    for k, (kind, i) in enumerate(plan):
        if kind == 0:
            call.append(arg_names[i])
        elif kind == 1:
            call.append(param_names[i])
        else:
            namespace[f"C{k}"] = i
            call.append(f"C{k}")
    if lr is not None:
        namespace["LR"] = lr
        call.append("LR")
    lines.append(f"    return function({', '.join(call)})")
    source = "def enter(*args):\n" + "\n".join(lines) + "\n"
    exec(compile(source, "<tinygrad_edu.compile enter>", "exec"), namespace)
    enter = namespace["enter"]
    enter.source = source
    return enter
