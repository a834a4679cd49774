"""``grad(outputs, inputs)``: gradients as values, and derivatives of derivatives.

The same backward loop as ``Tensor.backward`` (``core.engine.run``), without touching
``.grad``. With ``create_graph=True`` the engine runs the *same* derivative rules on Tensors
instead of arrays, so their arithmetic is recorded and the result can be differentiated again
(Hessian-vector products, gradient penalties): no second set of rules to keep in sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import checks, messages
from .core.engine import run
from .core.modes import enable_grad, no_grad
from .core.tensor import Tensor
from .errors import ArgumentError, ArgumentTypeError, BackwardError
from .tensor_checks import can_backward, seed


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    gradient: Any = None,
    create_graph: bool = False,
) -> Any:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    ``outputs``: a tensor or a list of tensors (their gradients add up); ``gradient``: the
    upstream gradient(s), required for outputs with more than one element. Returns numpy
    arrays (one per input, in the inputs' shapes; a lone input gives a lone result), or, with
    ``create_graph=True``, Tensors that remember how they were computed and can be
    differentiated again (Hessian-vector products, gradient penalties). An input the outputs
    do not depend on gets zeros.
    """
    outs, single_output = checks.tensor_list(
        outputs, "grad", "outputs", hint="Outputs are results of ops on tensors that require "
        "grad (a cost J).")
    ins, single_input = checks.tensor_list(
        inputs, "grad", "inputs", allow_empty=True,
        hint="Inputs are tensors made with requires_grad=True (parameters).")
    create_graph = checks.boolean(create_graph, "grad", "create_graph")
    if gradient is None or single_output:
        grads_in = [gradient] * len(outs) if gradient is None else [gradient]
    else:
        if not isinstance(gradient, list | tuple):
            raise ArgumentTypeError(messages.gradient_list(len(outs), gradient))
        grads_in = list(gradient)
        if len(grads_in) != len(outs):  # zip would drop the outputs (or gradients) left over
            raise ArgumentError(messages.gradient_count(len(outs), len(grads_in)))
    for out in outs:
        can_backward(out, "grad()")
    for t in ins:
        if not t.requires_grad:
            raise BackwardError(messages.input_without_grad(t))
    switch = enable_grad() if create_graph else no_grad()
    with switch:
        seeds = [seed(o, g) for o, g in zip(outs, grads_in)]
        if create_graph:  # the rules will run on Tensors
            seeds = [Tensor(s) for s in seeds]
        found = run(outs, seeds, create_graph, keep=set(ins))  # the inputs' gradients only
    results = []
    for t in ins:
        g = found.get(t)
        if g is None:
            g = np.zeros(t.shape, dtype=t.data.dtype)
            g = Tensor(g) if create_graph else g
        elif not create_graph:  # an array of its own, in the input's dtype (as .grad is)
            g = np.array(g, dtype=t.data.dtype, copy=True)
        results.append(g)
    return results[0] if single_input else tuple(results)
