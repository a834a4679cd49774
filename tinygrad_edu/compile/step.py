"""``compile(fn, params)``: the user's side — one cached program per signature, the guards.

``step(*args)`` looks up the program for the arguments' and parameters' shapes and dtypes
(tracing ``fn`` when there is none yet), calls it with the arrays, and returns
``(J, grads)``: the cost and one gradient per parameter, in the order of ``params`` (the
first call of a program returns its trace's result: the eager step, the same bits). With
``lr`` the step also updates the parameters in place (``W1 -= lr * dW1``, plain gradient
descent as ``optim.SGD``; other optimizers: use the gradients it returns).

A cost that is not finite stops the program before its gradients and its update
(``TrainingDivergedError``; the parameters are unchanged; batch norm's running averages have
moved, as in an eager forward pass).

What an op changes besides its output is part of the program: dropout draws a new mask at
every call from the op's generator, batch norm updates its running averages in place
(``running_mean1 *= 0.9``, ...). The first call is the trace itself (the eager step); the
check's trace at the second call is undone (the generators' states and the running averages
put back), so every call is one step. ``trace()`` and ``source`` on a function without
arguments run the function once, eagerly, as a step's forward. A program's buffers are its own:
one compiled step must not run in two threads at once.

Once a program's graph has been checked, ``step(*args)`` calls its generated entry
(``caller.py``): one tuple compare of the shapes and dtypes, then the numpy function; any
other call (another signature, Tensors or lists as arguments) takes the general path.

``check``: ``"once"`` (default) traces again at the second call of each program and raises
``GraphChangedError`` if the function now records another graph (Python control flow on
values, a closure whose arrays changed: pass those as arguments); ``"always"`` does so at
every call (slow, for debugging); ``"never"`` trusts the first trace. The check compares
graphs, not values: the ops, their settings, inputs and shapes, the constants' values, and
what an op declares in ``compile_key()`` (dropout: its int seed, or which generator it draws
from; a new generator made at every call is another graph). What the function does outside
the graph is not seen: ``np.random.seed(0)`` inside it resets eager's masks at every call,
not the program's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .caller import MISS, make_enter
from .engine_api import (
    ArgumentError,
    ArgumentTypeError,
    GraphChangedError,
    Tensor,
    TrainingDivergedError,
    grad,
)
from .program import Program
from .trace import SideEffects, Trace, first_difference, signature

_CHECKS = ("once", "always", "never")


class CompiledStep:
    """A step function compiled to numpy: call it like the function; ``source`` is the code
    of the last program used, ``programs`` every program by signature."""

    def __init__(self, fn: Callable, params: Any, lr: float | None = None,
                 check: str = "once") -> None:
        if not callable(fn):
            raise ArgumentTypeError(f"compile: fn must be a function returning the cost, not "
                                    f"{type(fn).__name__}")
        params = list(params)
        for p in params:
            if type(p) is not Tensor or not p.requires_grad or p._ctx is not None:
                raise ArgumentTypeError(
                    "compile: params must be leaf Tensors with requires_grad=True "
                    "(model.parameters()), but one is "
                    f"{p!r:.80}")
        if len(set(map(id, params))) != len(params):
            raise ArgumentError("compile: a parameter appears twice in params")
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float)
                               or not 0 < lr < float("inf")):
            raise ArgumentError(f"compile: lr must be a positive number (the learning rate "
                                f"α of W := W - α dW), not {lr!r}")
        if check not in _CHECKS:
            raise ArgumentError(f"compile: check must be one of {_CHECKS}, not {check!r}")
        self.fn = fn
        self.params = params
        self.lr = None if lr is None else float(lr)
        self.check = check
        self.arg_names = _argument_names(fn)
        self.programs: dict = {}
        self._calls: dict = {}
        self._last: Program | None = None
        self._enter: Any = None  # the fast entry of the program last run (caller.py)
        functools.update_wrapper(self, fn, updated=())

    @property
    def source(self) -> str:
        """The generated numpy code (a function without arguments is traced on the spot)."""
        if self._last is None:
            if self.arg_names:
                raise ArgumentError(
                    "compile: step.source exists once the step has been traced; call "
                    f"step({', '.join(self.arg_names)}) once (or step.trace(...)) first.")
            self.trace()
        return self._last.source

    @property
    def executed_source(self) -> str:
        """What runs: ``source`` lowered to the same numpy calls into reused buffers
        (``lowering.py``)."""
        self.source  # noqa: B018  (traces a function without arguments)
        return self._last.executed_source

    def trace(self, *args: Any) -> Program:
        """Trace ``fn`` on ``args`` and compile (without running the program; the trace is
        an eager forward pass: a dropout mask is drawn, batch norm's running averages move)."""
        arrays = self._arrays(args)
        key = signature(arrays, self.params)
        program = Program(Trace(self.fn, args, self.arg_names, self.params), self.lr)
        program.enter = make_enter(program.function, program.plan, len(arrays), self.params,
                                   key, self.lr)
        self.programs[key] = program
        self._calls[key] = 0
        self._last = program
        return program

    def __call__(self, *args: Any) -> tuple:
        enter = self._enter  # the last program's entry, once its graph was checked
        if enter is not None:
            try:
                result = enter(*args)  # one tuple compare, then the numpy function
            except FloatingPointError:  # raised by the program before any update
                raise _diverged() from None
            if result is not MISS:
                return result
        return self._call(args)

    def _call(self, args: tuple) -> tuple:
        """The general path: the program of this signature (traced if there is none yet),
        the graph checked at its second call (``check``)."""
        arrays = self._arrays(args)
        key = signature(arrays, self.params)
        program = self.programs.get(key)
        if program is None:
            program = self.trace(*args)
            self._calls[key] = 1
            self._enter = program.enter if self.check == "never" else None
            return self._traced_result(program)
        if self.check == "always" or (self.check == "once" and self._calls[key] == 1):
            states = SideEffects(program.trace.order)  # the check's trace is no step
            try:
                fresh = Trace(self.fn, args, self.arg_names, self.params)
            finally:
                states.restore()
            if fresh.key != program.trace.key:
                where = first_difference(program.trace.key, fresh.key)
                raise GraphChangedError(
                    f"compile: {getattr(self.fn, '__name__', 'the step function')} recorded "
                    f"another graph than the one compiled ({where}). "
                    "Python control flow that depends on values, or a closure whose arrays "
                    "changed, makes a new graph; pass changing arrays as arguments, or keep "
                    "that step eager.")
        self._calls[key] += 1
        self._last = program
        self._enter = program.enter if self.check != "always" else None  # checked: fast
        try:
            return program.run(arrays, self.params)
        except FloatingPointError:  # raised by the program before any update
            raise _diverged() from None

    def _traced_result(self, program: Program) -> tuple:
        """The first call's result from its trace (the eager step: the same bits as the
        program, and random ops draw once per call): the gradients by the engine, then the
        update ``p -= lr * dp`` as the program makes it."""
        trace = program.trace
        grads = grad(trace.J, trace.params) if trace.params else ()  # a list in: a tuple
        if self.lr is not None:
            for p, g in zip(trace.params, grads):
                p.data -= self.lr * g
        return trace.J.data[()], grads

    def _arrays(self, args: tuple) -> tuple:
        if len(args) != len(self.arg_names):
            raise ArgumentError(
                f"compile: the step takes {len(self.arg_names)} arguments "
                f"({', '.join(self.arg_names) or 'none'}), but {len(args)} were given")
        return tuple(a.data if type(a) is Tensor else np.asarray(a) for a in args)

    def __repr__(self) -> str:
        return (f"CompiledStep({getattr(self.fn, '__name__', 'fn')}, {len(self.params)} "
                f"params, {len(self.programs)} program(s))")


def _diverged() -> TrainingDivergedError:
    return TrainingDivergedError(
        "compile: the cost of this step is nan or inf, so no gradient was computed and no "
        "parameter changed (as backward() refuses such a cost). A learning rate that is too "
        "large is the usual cause; run the step eagerly inside tinygrad_edu.detect_anomaly() "
        "to find the op that made it.")


def _argument_names(fn: Callable) -> list:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    names = []
    for p in parameters:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise ArgumentTypeError(f"compile: the step function's arguments must be plain "
                                    f"positional arrays, not {p}")
        names.append(p.name)
    return names


def compile(fn: Callable | None = None, params: Any = (), *, lr: float | None = None,
            check: str = "once") -> Any:
    """Compile a step function (returning the cost J) to numpy code.

    ``step = compile(lambda X, Y: F.binary_cross_entropy(model(X), Y), model.parameters())``
    then ``J, grads = step(X, Y)``; ``print(step.source)``. As a decorator:
    ``@compile(params=model.parameters(), lr=1.2)``. See ``CompiledStep``.
    """
    if fn is None:
        return lambda f: CompiledStep(f, params, lr, check)
    return CompiledStep(fn, params, lr, check)
