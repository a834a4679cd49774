"""One traced graph turned into the source of a numpy function, and that function.

``Program(trace)`` writes::

    def forward_backward(X, Y, W1, b1, W2, b2):
        m = X.shape[1]
        Z1 = W1 @ X + b1                 # forward: one line per named tensor (forward.py)
        ...
        dZ2 = (A2 - Y) * (1.0 / m)       # backward: explain's equations (backward.py)
        ...
        return J, (dW1, db1, dW2, db2)

With ``lr`` the update is part of it (``W1 -= lr * dW1``, the parameters' arrays changed in
place, as ``optim.SGD.step`` does) and the function is called ``train_step``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backward import Backward
from .engine_api import Tensor
from .forward import ATOM, Code, Source, forward_code
from .helpers import helpers_for
from .lowering import lower
from .naming import Names
from .trace import SideEffects, Trace


class Program:
    """The generated code of one trace: ``source``, ``function`` and what to call it with."""

    def __init__(self, trace: Trace, lr: float | None = None) -> None:
        self.trace = trace
        self.lr = lr
        self.names = Names()
        order = trace.order
        in_graph = set(order)
        _refusals_first(order)  # an op that cannot be compiled says why before anything else
        self.backward = Backward(trace.J, trace.params, in_graph)
        self._code: dict = {}  # tensor -> Code (its name, or its inlined expression)
        self.kept: dict = {}  # (id of an op, attribute) -> the name of the value it keeps
        self._lines: list = []  # forward lines, in order
        self._uses = _uses(order)
        self._needs_name = set(self.backward.tensors_used) & in_graph
        self.src = Source(self.names, self)
        self.arguments = self._name_leaves()  # [(name, tensor)] in call order
        for t in order:
            if t._ctx is not None:
                self._forward(t)
        self.J_name = self.code_of(trace.J, force_name=True)
        grads = [self.backward.gradient_of(p) for p in trace.params]
        returned = {g for g in grads if g is not None}
        back_lines, grad_names = self.backward.lines(self.names, self._name_of, self._label_of,
                                                       returned, self.kept)
        grad_list = []
        for p, g in zip(trace.params, grads):
            if g is None:  # J does not depend on p: zeros, as grad() gives
                name = self.names.gradient(self._name_of(p))
                back_lines.append((name, f"np.zeros({p.shape}, dtype=np.{p.dtype.name})"))
            else:
                name = grad_names[g]
            grad_list.append(name)
        self.grad_names = grad_list
        self.source = self._assemble(back_lines)
        self.function = self._compile()
        self.plan = self._make_plan()

    # -- names of the forward tensors ----------------------------------------------------

    def _name_leaves(self) -> list:
        arguments = []
        params = set(self.trace.params)
        inputs = dict(self.trace.inputs)
        for t in [t for t in self.trace.order if t._ctx is None and t not in params] + \
                list(self.trace.params):
            if t in inputs or t.name or t in params or t.data.size != 1:
                wanted = inputs.get(t) or t.name
                name = self.names.fresh(wanted) if wanted or t in params else \
                    self.names.constant_name()
                self._code[t] = Code(name)
                arguments.append((name, t))
            else:  # an unnamed number in the formula: the 1 of 1 - A
                self._code[t] = Code(self.names.constant(t.data), ATOM)
        return arguments

    def _name_of(self, t: Tensor) -> str:
        return self.code_of(t, force_name=True).bare

    def _label_of(self, t: Tensor) -> str | None:
        code = self._code.get(t)
        return code.bare if code is not None and code.bare.isidentifier() else None

    def keep(self, op: Any, attr: str, name: str, code: str) -> str:
        name = self.names.fresh(name)
        self._lines.append((name, code))
        self.kept[id(op), attr] = name
        return name

    def statement(self, text: str) -> None:
        self._lines.append((None, text))

    def code_of(self, t: Tensor, force_name: bool = False) -> Code:
        """The code for ``t``: its name, or its expression when it was written inline.
        ``force_name``: an inlined tensor gets its own line now (before the line being
        written, which is the one asking)."""
        code = self._code[t]
        if force_name and t._ctx is not None and not code.bare.isidentifier():
            name = self.names.fresh(None)
            self._lines.append((name, code.bare))
            code = self._code[t] = Code(name)
        return code

    def _forward(self, t: Tensor) -> None:
        """The line of ``t`` (or its code, kept to be written inside its one user's line)."""
        ctx = t._ctx
        code = forward_code(ctx, self.src, [self.code_of(p) for p in ctx.parents])
        consumers = self._uses.get(t, [])
        if (not t.name and t not in self._needs_name and t is not self.trace.J
                and len(consumers) == 1 and _is_ufunc_op(consumers[0])):
            self._code[t] = code  # W1 @ X inside Z1 = W1 @ X + b1
            return
        name = self.names.fresh(t.name if t is not self.trace.J or t.name else "J")
        self._lines.append((name, code.bare))
        self._code[t] = Code(name)

    # -- the source and the function -----------------------------------------------------

    def _assemble(self, back_lines: list) -> str:
        args = [name for name, _ in self.arguments] + list(self.names.constants)
        fn = "train_step" if self.lr is not None else "forward_backward"
        if self.lr is not None:
            args.append("lr")
        body = []
        for m, name in self.names.example_counts.items():
            body.append(f"{name} = {self._examples_code(m)}")
        body += [code if name is None else f"{name} = {code}" for name, code in self._lines]
        body += [f"if not np.isfinite({self.J_name}):  # as backward() refuses a nan cost",
                 f'    raise FloatingPointError("{self.J_name} is not finite: no gradient, '
                 'no update")']
        body += [f"{name} = {code}" for name, code in back_lines]
        if self.lr is not None:
            body += [f"{p} -= lr * {g}" for (p, _), g in zip(
                self.arguments[-len(self.trace.params):], self.grad_names)] \
                if self.trace.params else []
        grads = ", ".join(self.grad_names) + ("," if len(self.grad_names) == 1 else "")
        body.append(f"return {self.J_name}, ({grads})")
        text = "\n".join(["import numpy as np", "", *helpers_for(body), "",
                          f"def {fn}({', '.join(args)}):", *("    " + b for b in body)])
        return text + "\n"

    def _examples_code(self, m: int) -> str:
        """``m = X.shape[1]``: the first input whose last axis has m entries."""
        for name, t in self.arguments:
            if t.ndim >= 1 and t.shape[-1] == m and not t.requires_grad:
                return f"{name}.shape[{t.ndim - 1}]"
        return str(m)

    def run(self, args: tuple, params: list) -> tuple:
        """Call the function with ``args`` (the step's arrays, in order), the parameters'
        current arrays and the traced constants; ``(J, grads)``."""
        values = [args[i] if kind == 0 else params[i].data if kind == 1 else i
                  for kind, i in self.plan]
        if self.lr is not None:
            values.append(self.lr)
        return self.function(*values)

    def _make_plan(self) -> list:
        inputs = {t: i for i, (t, _) in enumerate(self.trace.inputs)}
        params = {p: i for i, p in enumerate(self.trace.params)}
        plan = []
        for _, t in self.arguments:
            if t in inputs:
                plan.append((0, inputs[t]))
            elif t in params:
                plan.append((1, params[t]))
            else:  # a constant of the graph (a closure's array, batch norm's running
                # averages in evaluation): its values at the trace, as the trace's key has them
                plan.append((2, np.array(t.data, copy=True)))
        plan += [(2, value) for value in self.names.constants.values()]
        return plan

    def _compile(self) -> Any:
        """The executed form (``lowering.py``: the same numpy calls, into reused buffers)."""
        fn = "train_step" if self.lr is not None else "forward_backward"
        values = {name: np.array(t.data, copy=True) for name, t in self.arguments}
        values.update({name: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                       for name, v in self.names.constants.items()})
        if self.lr is not None:
            values["lr"] = self.lr
        states = SideEffects(self.trace.order)  # the compile-time run is no step
        try:
            self.executed_source, buffers = lower(self.source, fn, values)
        finally:
            states.restore()
        namespace: dict = {"np": np, "math": math, **buffers}
        exec(compile(self.executed_source, f"<tinygrad_edu.compile {fn}>", "exec"), namespace)
        return namespace[fn]


class _Placeholder:
    """Stands in for the program while each op's declaration is tried once."""

    def code_of(self, t: Tensor, force_name: bool = False) -> Code:
        return Code("x")

    def keep(self, op: Any, attr: str, name: str, code: str) -> str:
        return name

    def statement(self, text: str) -> None:
        pass


def _refusals_first(order: list) -> None:
    """Run every op's ``numpy_source`` once on placeholders: an op that refuses
    (``src.refuse``) or declares nothing raises its ``CompileError`` now, naming itself."""
    src = Source(Names(), _Placeholder())
    for t in order:
        if t._ctx is not None:
            forward_code(t._ctx, src, [Code("x") for _ in t._ctx.parents])


def _uses(order: list) -> dict:
    """tensor -> the ops (contexts) that use it, once per use."""
    uses: dict = {}
    for t in order:
        if t._ctx is not None:
            for p in t._ctx.parents:
                uses.setdefault(p, []).append(t._ctx)
    return uses


def _is_ufunc_op(ctx: Any) -> bool:
    return getattr(ctx, "numpy_source", None) is None and isinstance(
        getattr(type(ctx), "forward", None), np.ufunc)
