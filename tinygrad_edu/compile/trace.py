"""Tracing: run the step function once, eagerly, and keep the graph it recorded.

The graph is the program: Python control flow inside the function (an ``if`` on a value, a
loop whose length depends on the data) is recorded as it ran for the traced inputs, as JAX's
``jit`` and tinygrad's ``TinyJit`` do. What the function reads besides its arguments and the
parameters (the arrays of a closure) is a constant of the program.

Guards, all cheap:

* ``signature(args, params)``: the shapes and dtypes of the arguments and parameters; a
  program is cached per signature, so another batch size or dtype traces again;
* ``Trace.key``: the structure of the graph (each op, its settings, its inputs, the shapes,
  the constants' values); a later trace with another key means the function records another
  graph than the one compiled (``GraphChangedError``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .engine_api import (
    ArgumentTypeError,
    CompileError,
    Tensor,
    describe,
    enable_grad,
    topological_order,
)


def signature(args: tuple, params: list) -> tuple:
    """What selects a program: each argument's and parameter's shape and dtype (the
    arguments are arrays already: attribute reads only, this runs at every call)."""
    return tuple([(a.shape, a.dtype) for a in args] + [(p.data.shape, p.data.dtype)
                                                       for p in params])


class Trace:
    """``fn(*args)`` run once with grad on: the cost ``J``, the graph ``order`` (inputs
    first), the ``inputs`` (tensor, argument name) and the ``params``."""

    def __init__(self, fn: Any, args: tuple, arg_names: list, params: list) -> None:
        self.params = params
        tensors = [a if type(a) is Tensor else Tensor(a, name=n)
                   for a, n in zip(args, arg_names)]
        for t, n in zip(tensors, arg_names):
            if t.requires_grad:
                raise ArgumentTypeError(
                    f"compile: the argument {n} is {describe(t)}, which requires grad; "
                    "arguments are data (X, Y). Pass parameters in params instead.")
        self.inputs = [(t, n) for t, n in zip(tensors, arg_names)]
        with enable_grad():
            J = fn(*tensors)
        if type(J) is not Tensor:
            raise ArgumentTypeError(
                f"compile: the step function returned {type(J).__name__}, not a Tensor; it "
                "must return the cost J (e.g. F.binary_cross_entropy(model(X), Y)).")
        if J.size != 1 or J._ctx is None or not J.requires_grad:
            raise CompileError(
                f"compile: the step function returned {describe(J)}; it must return a cost "
                "with one element computed from the parameters (requires_grad=True).")
        self.J = J
        self.order = topological_order(J, False)
        self._check_leaves()
        self.key = self._key()

    def _check_leaves(self) -> None:
        params = set(self.params)
        for t in self.order:
            if t._ctx is None and t.requires_grad and t not in params:
                raise CompileError(
                    f"compile: the cost depends on {describe(t)}, which requires grad but is "
                    "not among the params given; pass every parameter "
                    "(model.parameters()), or make it a constant.")

    def _key(self) -> tuple:
        """The graph's structure, with the constants' values (hashed)."""
        index = {t: i for i, t in enumerate(self.order)}
        params = {p: i for i, p in enumerate(self.params)}
        inputs = {t: i for i, (t, _) in enumerate(self.inputs)}
        parts = []
        for t in self.order:
            shape = (t.shape, t.data.dtype.str)
            if t._ctx is None:
                if t in params:
                    parts.append(("param", params[t], shape))
                elif t in inputs:
                    parts.append(("input", inputs[t], shape))
                else:
                    parts.append(("const", t.name, shape, _digest(t.data)))
                continue
            ctx = t._ctx
            settings = tuple(sorted((k, _digest(v)) for k, v in ctx.attributes().items()))
            # what else the program is written with, as the op declares it: where's mask,
            # dropout's seed or stream, batch norm's running averages (their identity); never
            # ctx.saved, which the program computes (a new dropout mask is no new graph)
            declared = _digest(ctx.compile_key()) if hasattr(ctx, "compile_key") else ()
            parts.append((type(ctx).__name__, tuple(index[p] for p in ctx.parents),
                          settings, declared, shape, t.name))
        return tuple(parts)


def _digest(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.shape, value.dtype.str, hashlib.sha1(value.tobytes()).hexdigest())
    if isinstance(value, tuple | list):
        return tuple(_digest(v) for v in value)
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, bool | int | float | str | type(None)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


class SideEffects:
    """What running the graph's ops changes besides their outputs: the generators a random
    op draws from and moves on (its ``compile_generators()``: dropout's stream) and the
    arrays an op updates in place (batch norm's running averages, its ``compile_state()``).
    Saved here, put back by ``restore()`` after a run that must not count as a step (a
    check's trace, the compile-time run)."""

    def __init__(self, order: list) -> None:
        rngs = {id(rng): rng for t in order if t._ctx is not None
                and hasattr(t._ctx, "compile_generators") for rng in t._ctx.compile_generators()}
        self.saved = [(rng, _get_state(rng)) for rng in rngs.values()]
        arrays = {id(a): a for t in order if t._ctx is not None
                  and hasattr(t._ctx, "compile_state") for a in t._ctx.compile_state()}
        self.arrays = [(a, a.copy()) for a in arrays.values()]

    def restore(self) -> None:
        for rng, state in self.saved:
            if hasattr(rng, "set_state"):  # a RandomState, numpy's global stream np.random
                rng.set_state(state)
            else:  # a Generator
                rng.bit_generator.state = state
        for array, values in self.arrays:
            array[...] = values


def _get_state(rng: Any) -> Any:
    """A generator's state (the module ``np.random`` has a submodule ``bit_generator``, so
    ``get_state`` is asked for first)."""
    return rng.get_state() if hasattr(rng, "get_state") else rng.bit_generator.state


def first_difference(old: tuple, new: tuple) -> str:
    """Where two graph keys part, in words."""
    if len(old) != len(new):
        return f"it recorded {len(new)} tensors instead of {len(old)}"
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            what = "a constant's values" if a[0] == "const" and a[:3] == b[:3] else \
                f"{a[0]} became {b[0]}" if a[0] != b[0] else f"the {a[0]} op's inputs or settings"
            return f"tensor {i} differs ({what})"
    return "unknown"
