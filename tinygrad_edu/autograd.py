"""The engine: grad mode, the topological order, ``backward`` and the functional ``grad``.

Reverse-mode autodiff in one loop. A tensor made by an op keeps that op in ``_ctx``; the op
keeps its inputs in ``parents``. ``backward`` walks the graph once, outputs before inputs,
calls each op's derivative rule with the upstream gradient and hands the results to the
parents, adding them up where a tensor feeds several ops (fan-out: ``x * x``).

Semantics (also in the README):

* every tensor in the graph that requires grad receives ``.grad`` (intermediates too), as a
  numpy array of its own shape and dtype;
* ``.grad`` *accumulates*: a second ``backward()`` through the same graph (the graph is kept,
  nothing is freed) or through a new graph adds to what is there; ``zero_grad()`` resets;
* a leaf's ``.grad`` is an array of its own (never a view shared with another tensor), so an
  optimizer or a learner may change it in place; an intermediate's ``.grad`` may share memory
  with its neighbours' and is meant to be read;
* the cross-entropy after a sigmoid is one fused rule (``Shortcut``): ``Z.grad`` gets
  ``(A - Y) / m`` exactly, ``A.grad`` still gets the course's ``dA``, and the sigmoid's own
  rule runs only on the gradient other uses of ``A`` give it;
* ``grad(outputs, inputs)`` computes the same gradients without touching ``.grad``; with
  ``create_graph=True`` it runs the *same* derivative rules on Tensors, so the result can be
  differentiated again.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from . import advice, checks
from .errors import (
    AnomalyError,
    ArgumentError,
    ArgumentTypeError,
    BackwardError,
    DtypeError,
    ShapeError,
    describe,
)

if TYPE_CHECKING:
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


class _Mode(threading.local):
    """The switches read on the hot path (one attribute lookup per op), one set per thread.

    As in PyTorch, grad mode and anomaly mode belong to the thread that sets them: a
    ``no_grad()`` in a data loader, a progress bar or a web demo's thread does not stop another
    thread's training from recording. ``__init__`` runs once in every thread that reads
    ``MODE``, so a new thread starts with grad mode on and anomaly mode off.
    """

    def __init__(self) -> None:
        self.grad = True  # record graphs (off inside no_grad)
        self.anomaly = False  # check every forward and backward value for nan/inf
        self.saved: list[bool] = []  # the modes no_grad/enable_grad blocks restore


MODE = _Mode()


class _AnomalyThreads:
    """How many threads are inside ``detect_anomaly()``: a plain counter the hot path reads
    first (``ANOMALY.threads and MODE.anomaly``), so the thread-local ``MODE.anomaly`` is
    looked up only while some thread hunts a nan."""

    __slots__ = ("lock", "threads")

    def __init__(self) -> None:
        self.threads = 0
        self.lock = threading.Lock()


ANOMALY = _AnomalyThreads()


class _GradSwitch(contextlib.ContextDecorator):
    """Context manager *and* decorator that sets this thread's grad mode and restores it.

    The modes to restore are kept on this thread's ``MODE`` (a stack: blocks nest), so one
    ``no_grad()`` object (a decorated function, a shared ``with`` object) may be entered by
    several threads at once.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> _GradSwitch:
        mode = MODE
        mode.saved.append(mode.grad)
        mode.grad = self.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        mode = MODE
        mode.grad = mode.saved.pop()


def no_grad() -> _GradSwitch:
    """Stop recording graphs: ``with no_grad(): ...`` or ``@no_grad()`` on a function.

    Ops run as usual but their results do not require grad and keep no parents, so nothing
    is remembered for ``backward`` (use it for evaluation, prediction and parameter updates).
    """
    return _GradSwitch(False)


def enable_grad() -> _GradSwitch:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _GradSwitch(True)


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (in this thread)."""
    return MODE.grad


@contextlib.contextmanager
def detect_anomaly() -> Any:
    """Raise ``AnomalyError`` at the first op whose output or gradient holds nan or inf.

    Anomaly mode, like grad mode, is the calling thread's: other threads are not checked.

    Without it a nan spreads silently through the rest of the graph; with it the error
    names the op, its input tensors and their shapes. It costs one ``isfinite`` check per op,
    so use it to hunt a problem, not in every training loop.
    """
    previous = MODE.anomaly
    with ANOMALY.lock:
        ANOMALY.threads += 1
    MODE.anomaly = True
    try:
        yield
    finally:
        MODE.anomaly = previous
        with ANOMALY.lock:
            ANOMALY.threads -= 1


def check_forward_finite(out: Tensor) -> None:
    """Anomaly mode: complain about the op that turned finite inputs into nan/inf."""
    if np.all(np.isfinite(out.data)):
        return
    ctx = out._ctx
    if ctx is None:
        return
    inputs = ", ".join(describe(p) for p in ctx.parents)
    bad_inputs = [
        p for p in ctx.parents if p.data.dtype.kind == "f" and not np.all(np.isfinite(p.data))
    ]
    if any(p._ctx is not None for p in bad_inputs):
        return  # the nan came in from an op's output; the op that made *that* input was reported
    # a leaf holding nan/inf (data or a constant) is reported at the first op that uses it
    source = "finite inputs" if not bad_inputs else "inputs where " + ", ".join(
        f"{describe(p)} already holds {_bad_values(p.data)}" for p in bad_inputs
    ) + " (data given to the graph)"
    raise AnomalyError(
        f"detect_anomaly: {ctx.name} produced {_bad_values(out.data)} in its output "
        f"{out.shape} from {source} [{inputs}]. Look at the values reaching {ctx.name} "
        "(a log of 0, a division by 0, an exp that overflows, a learning rate that is too large)."
    )


def _bad_values(values: np.ndarray) -> str:
    n_nan = int(np.isnan(values).sum())
    n_inf = int(np.isinf(values).sum())
    parts = [f"{n_nan} nan" if n_nan else "", f"{n_inf} inf" if n_inf else ""]
    return " and ".join(p for p in parts if p)


def _check_backward_finite(node: Tensor, parent: Tensor, grad: Any) -> None:
    values = grad.data if hasattr(grad, "_ctx") else grad
    if np.all(np.isfinite(values)):
        return
    raise AnomalyError(
        f"detect_anomaly: the backward rule of {node._ctx.name} (which made {describe(node)}) "
        f"produced {_bad_values(np.asarray(values))} in the gradient for {describe(parent)}. "
        "The derivative is infinite or undefined at these inputs (e.g. log or division at 0, "
        "sqrt at 0)."
    )


# ---------------------------------------------------------------------------------------------
# a fused rule's gradient: the input's .grad, and its op's inputs' gradients in one formula
# ---------------------------------------------------------------------------------------------


class Shortcut:
    """What a fused derivative rule returns for an input ``A`` that another op made.

    ``grad`` is dJ/dA through this op, added to ``A.grad`` as usual; ``onward`` holds the
    gradients of the inputs of ``A``'s own op (one per parent of ``A``'s op, ``None`` for
    none), which the fused rule computed directly in one formula. The engine does *not*
    run ``A``'s rule on ``grad`` again (that would count this path twice); ``A``'s rule
    still receives what the other ops that used ``A`` give it.

    The one user is the cross-entropy after a sigmoid: ``dZ = (A - Y) / m`` exactly, where
    ``dA * A(1-A)`` would be 0 once σ(Z) rounds to 0 or 1.
    """

    __slots__ = ("grad", "onward")

    def __init__(self, grad: Any, onward: tuple) -> None:
        self.grad = grad
        self.onward = onward


# ---------------------------------------------------------------------------------------------
# topological order
# ---------------------------------------------------------------------------------------------


def topological_order(roots: Tensor | Iterable[Tensor], only_requires_grad: bool = True) -> list:
    """Every tensor the roots depend on, each after all of its inputs (inputs first).

    Iterative depth-first search (a chain of 10⁵ ops needs no recursion), visited set keyed
    by identity. With ``only_requires_grad`` (the engine's use) tensors that need no gradient
    are skipped; ``viz`` and ``explain`` pass ``False`` to see constants and inputs too.
    """
    if hasattr(roots, "_ctx"):
        roots = (roots,)
    order: list = []
    visited: set = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        # stack of (tensor, iterator over its parents): a parent is entered when first seen,
        # a tensor is emitted when all its parents are done.
        stack = [(root, iter(root._ctx.parents) if root._ctx is not None else iter(()))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited and (parent.requires_grad or not only_requires_grad):
                    visited.add(parent)
                    ctx = parent._ctx
                    if ctx is None:  # a leaf has no inputs: it is done at once
                        order.append(parent)
                        continue
                    stack.append((parent, iter(ctx.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


# ---------------------------------------------------------------------------------------------
# backward
# ---------------------------------------------------------------------------------------------


def _seed(root: Tensor, gradient: Any, create_graph: bool) -> Any:
    """The gradient that starts backward at ``root``: 1 for a scalar, else the user's array."""
    if gradient is None:
        if root.data.size != 1:
            raise BackwardError(
                f"backward() on {describe(root)} needs a gradient argument: only a tensor "
                "with one element (a cost) can start backward by itself. Reduce it to a "
                "scalar first (J = loss.mean() or .sum()), or pass gradient=an array of "
                f"shape {root.shape} (the upstream dJ/d{root.name or 'output'})."
            )
        if not math.isfinite(root.data.item()):  # one value: no array-wide check needed
            raise BackwardError(
                f"backward() from {describe(root)} whose value is {root.data.item()}: the "
                "forward pass already produced nan/inf, so every gradient would be nan. Run the "
                "forward pass inside tinygrad_edu.detect_anomaly() to find the op that made it."
            )
        seed = np.array(1.0, dtype=root.data.dtype)  # dJ/dJ = 1
        if root.ndim:
            seed = np.ones(root.shape, dtype=seed.dtype)  # a cost of shape (1, 1)
    else:
        values = gradient.data if hasattr(gradient, "_ctx") else gradient  # a Tensor's values
        kind = getattr(values, "dtype", None)
        if kind is None or kind.kind not in "biuf":  # not casting complex/text/objects
            values = _real_gradient(values, root)
        seed = np.array(values, dtype=root.data.dtype, copy=True)  # never alias the caller's
        if seed.shape != root.shape:
            raise ShapeError(
                f"backward(): the gradient argument has shape {seed.shape} but "
                f"{describe(root)} has shape {root.shape}; they must be equal (the gradient "
                "of the cost with respect to that tensor)."
            )
        if not np.all(np.isfinite(seed)):  # the user's array: checked once per backward
            raise BackwardError(
                f"backward(): the gradient argument for {describe(root)} holds nan or inf, so "
                "every gradient would be nan; pass finite values (usually ones_like(output))."
            )
    if create_graph:
        from .tensor import Tensor

        return Tensor(seed)
    return seed


def _real_gradient(values: Any, root: Tensor) -> np.ndarray:
    """The user's gradient argument as an array of real numbers, or a ``DtypeError``: a
    complex, text or object gradient is refused instead of being cast (with a warning)."""
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ShapeError(
            f"backward(): the gradient argument for {describe(root)} is not a rectangular array "
            f"({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise DtypeError(
            f"backward(): the gradient argument for {describe(root)} holds {array.dtype} values "
            f"({type(values).__name__}); it must hold real numbers of the shape {root.shape} "
            "(dJ/d of that tensor), e.g. np.ones(shape). Complex, text and object values are "
            "not cast."
        )
    return array


def _check_can_backward(root: Tensor, what: str) -> None:
    if not root.requires_grad:
        reason = (
            "it has no graph: it was computed inside no_grad(), or from tensors none of which "
            "has requires_grad=True"
            if root._ctx is None
            else "it does not require grad"
        )
        raise BackwardError(
            f"{what} on {describe(root)}: {reason}. Create the parameters with "
            "Tensor(..., requires_grad=True) (nn layers do this) and compute the cost outside "
            "no_grad(). (An update W = W - lr * W.grad inside no_grad() makes a new W that "
            "does not require grad; update the parameter in place: W -= lr * W.grad.)"
        )


def _run(roots: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool,
         keep: set | None) -> tuple:
    """Propagate ``seeds`` from ``roots`` to every tensor that requires grad.

    Returns the total gradient of each tensor in ``keep`` (for ``grad``), or, when ``keep`` is
    None, writes it into ``.grad`` (for ``backward``). The derivative rules receive numpy
    arrays, or Tensors when ``create_graph`` is set; they are the same rules. Also returns
    what ``backward``'s warnings need, noted only where a ``.grad`` was already filled: the
    first computed tensor an earlier ``backward()`` went through (or None), and whether a
    leaf's ``.grad`` was added to.
    """
    revisited = None  # a computed tensor whose .grad an earlier backward() filled
    accumulated = False  # a leaf's .grad was added to
    order = topological_order(roots)
    grads: dict = {}
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    anomaly = MODE.anomaly
    shared: set = set()  # ids of arrays already stored in some .grad during this pass
    found: dict = {}
    passed: dict = {}  # tensor -> its gradient from fused rules, already carried past it
    for node in reversed(order):
        g = grads.pop(node, None)  # what this tensor's own rule passes on
        if passed and node in passed:  # a fused rule skipped this tensor's rule (Shortcut)
            total = passed.pop(node) if g is None else g + passed.pop(node)
        elif g is None:
            continue
        else:
            total = g
        ctx = node._ctx
        if keep is not None:
            if node in keep:
                found[node] = total
        else:
            dtype = node.data.dtype  # `is not` first: the common case costs no comparison
            if total.dtype is not dtype and total.dtype != dtype:  # a float32 weight met
                total = total.astype(dtype)  # float64 data: .grad keeps the tensor's dtype
            if node.grad is not None:  # accumulation: a second backward, or a leaf used again
                node.grad = node.grad + total
                if ctx is None:
                    accumulated = True
                elif revisited is None:
                    revisited = node
            elif ctx is not None:  # an intermediate's first gradient (may be a neighbour's)
                node.grad = total
                shared.add(id(total))
            else:  # a leaf's first gradient: an array of its own
                node.grad = _own_array(total, shared)
        if ctx is None or g is None:
            continue
        parents = ctx.parents
        if create_graph:
            parent_grads = ctx.backward(g, node, *parents)
        else:
            parent_grads = ctx.backward(g, node.data, *[p.data for p in parents])
        for parent, pg in zip(parents, parent_grads):
            if pg is None or not parent.requires_grad:
                continue
            if type(pg) is Shortcut:
                _take_shortcut(node, parent, pg, grads, passed, anomaly)
                continue
            if anomaly:
                _check_backward_finite(node, parent, pg)
            previous = grads.get(parent)
            grads[parent] = pg if previous is None else previous + pg
    return found, revisited, accumulated


def _take_shortcut(node: Tensor, parent: Tensor, shortcut: Shortcut, grads: dict,
                   passed: dict, anomaly: bool) -> None:
    """``parent`` gets ``shortcut.grad`` for its ``.grad`` only; the inputs of ``parent``'s op
    get ``shortcut.onward`` directly (see ``Shortcut``)."""
    if anomaly:
        _check_backward_finite(node, parent, shortcut.grad)
    previous = passed.get(parent)
    passed[parent] = shortcut.grad if previous is None else previous + shortcut.grad
    for inner, ig in zip(parent._ctx.parents, shortcut.onward):
        if ig is None or not inner.requires_grad:
            continue
        if anomaly:
            _check_backward_finite(node, inner, ig)
        previous = grads.get(inner)
        grads[inner] = ig if previous is None else previous + ig


def _own_array(g: np.ndarray, shared: set) -> np.ndarray:
    """``g``, or a copy of it when it is a view or already some tensor's ``.grad``."""
    if id(g) in shared or not g.flags.owndata or not g.flags.writeable:
        return np.array(g, copy=True)
    shared.add(id(g))
    return g


def backward(root: Tensor, gradient: Any = None) -> None:
    """Fill ``.grad`` of every tensor ``root`` depends on that requires grad.

    The engine behind ``Tensor.backward``.
    """
    _check_can_backward(root, "backward()")
    rerun = root._ctx is not None and root.grad is not None  # this graph ran backward before
    recording = MODE.grad
    MODE.grad = False  # as no_grad() (this thread's): the rules' arithmetic records nothing
    try:
        _, revisited, accumulated = _run((root,), (_seed(root, gradient, False),), False, None)
    finally:
        MODE.grad = recording
    # part of this graph ran backward before, and leaves added to their .grad (after
    # zero_grad() only the intermediates add up: silent; new graphs, mini-batches: silent)
    if revisited is not None and accumulated:
        if rerun:  # the same cost again: a cell run twice
            advice.backward_rerun(root)
        else:  # a new cost reaching an old graph: W = W - lr * dW chained the iterations
            advice.chained_updates(revisited)


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
    from .tensor import Tensor

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
            raise ArgumentTypeError(
                f"grad: with {len(outs)} outputs, gradient must be a list of {len(outs)} "
                f"gradients (one per output, in order), not {checks.describe_value(gradient)}."
            )
        grads_in = list(gradient)
        if len(grads_in) != len(outs):  # zip would drop the outputs (or gradients) left over
            raise ArgumentError(
                f"grad: {len(outs)} outputs but {len(grads_in)} gradients; gradient needs one "
                "entry per output, in the same order (None for an output with one element)."
            )
    for out in outs:
        _check_can_backward(out, "grad()")
    for t in ins:
        if not t.requires_grad:
            raise BackwardError(
                f"grad(): the input {describe(t)} does not require grad, so no gradient is "
                "recorded for it. Create it with requires_grad=True."
            )
    switch = enable_grad() if create_graph else no_grad()
    with switch:
        seeds = [_seed(o, g, create_graph) for o, g in zip(outs, grads_in)]
        found = _run(outs, seeds, create_graph, set(ins))[0]
    results = []
    for t in ins:
        g = found.get(t)
        if g is None:
            g = np.zeros(t.shape, dtype=t.data.dtype)
            g = Tensor(g) if create_graph else g
        elif not create_graph:
            g = np.array(g, copy=True)
        results.append(g)
    return results[0] if single_input else tuple(results)
