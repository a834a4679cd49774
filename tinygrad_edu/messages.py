"""The course-worded error messages of the engine and its primitive ops, one function each.

Each names the function, the argument, what was given and what to do. They are kept here so
that the engine (``core/``) reads as the algorithm: a call site is one line,
``raise BackwardError(messages.needs_seed(root))``. Plain functions of duck-typed tensors
(``describe`` needs ``name``, ``shape``, ``dtype``): nothing here imports the engine.
"""

from __future__ import annotations

from typing import Any

from . import checks
from .errors import describe

# -- backward() and grad() --------------------------------------------------------------------


def needs_seed(root: Any) -> str:
    return (
        f"backward() on {describe(root)} needs a gradient argument: only a tensor "
        "with one element (a cost) can start backward by itself. Reduce it to a "
        "scalar first (J = loss.mean() or .sum()), or pass gradient=an array of "
        f"shape {root.shape} (the upstream dJ/d{root.name or 'output'})."
    )


def cost_not_finite(root: Any) -> str:
    return (
        f"backward() from {describe(root)} whose value is {root.data.item()}: the "
        "forward pass already produced nan/inf, so every gradient would be nan. Run the "
        "forward pass inside tinygrad_edu.detect_anomaly() to find the op that made it."
    )


def seed_shape(seed: Any, root: Any) -> str:
    return (
        f"backward(): the gradient argument has shape {seed.shape} but "
        f"{describe(root)} has shape {root.shape}; they must be equal (the gradient "
        "of the cost with respect to that tensor)."
    )


def seed_not_finite(root: Any) -> str:
    return (
        f"backward(): the gradient argument for {describe(root)} holds nan or inf, so "
        "every gradient would be nan; pass finite values (usually ones_like(output))."
    )


def seed_ragged(root: Any, error: Exception) -> str:
    return (
        f"backward(): the gradient argument for {describe(root)} is not a rectangular array "
        f"({error})"
    )


def seed_not_real(root: Any, array: Any, values: Any) -> str:
    return (
        f"backward(): the gradient argument for {describe(root)} holds {array.dtype} values "
        f"({type(values).__name__}); it must hold real numbers of the shape {root.shape} "
        "(dJ/d of that tensor), e.g. np.ones(shape). Complex, text and object values are "
        "not cast."
    )


def cannot_backward(root: Any, what: str) -> str:
    reason = (
        "it has no graph: it was computed inside no_grad(), or from tensors none of which "
        "has requires_grad=True"
        if root._ctx is None
        else "it does not require grad"
    )
    return (
        f"{what} on {describe(root)}: {reason}. Create the parameters with "
        "Tensor(..., requires_grad=True) (nn layers do this) and compute the cost outside "
        "no_grad(). (An update W = W - lr * W.grad inside no_grad() makes a new W that "
        "does not require grad; update the parameter in place: W -= lr * W.grad.)"
    )


def gradient_list(n_outputs: int, gradient: Any) -> str:
    return (
        f"grad: with {n_outputs} outputs, gradient must be a list of {n_outputs} "
        f"gradients (one per output, in order), not {checks.describe_value(gradient)}."
    )


def gradient_count(n_outputs: int, n_gradients: int) -> str:
    return (
        f"grad: {n_outputs} outputs but {n_gradients} gradients; gradient needs one "
        "entry per output, in the same order (None for an output with one element)."
    )


def input_without_grad(t: Any) -> str:
    return (
        f"grad(): the input {describe(t)} does not require grad, so no gradient is "
        "recorded for it. Create it with requires_grad=True."
    )


# -- the primitive ops --------------------------------------------------------------------------


def broadcast(op: str, x: Any, y: Any) -> str:
    sx, sy = x.shape, y.shape
    n = max(len(sx), len(sy))
    px, py = (1,) * (n - len(sx)) + sx, (1,) * (n - len(sy)) + sy
    bad = [i for i in range(n) if px[i] != py[i] and px[i] != 1 and py[i] != 1]
    axis = bad[0] - n if bad else 0
    return (
        f"{op}: cannot broadcast {describe(x)} with {describe(y)}: axis {axis} has sizes "
        f"{px[bad[0]] if bad else '?'} and {py[bad[0]] if bad else '?'}. Broadcasting (F7.1) "
        "needs each axis, counted from the right, to be equal or 1 — e.g. (n, m) + (n, 1) "
        "adds a bias column to every example. Check which tensor has the wrong shape."
    )


def matmul(a: Any, b: Any) -> str:
    if a.ndim == 0 or b.ndim == 0:
        return (
            f"matmul {describe(a)} @ {describe(b)}: @ needs arrays with at least one axis; "
            "use * to multiply by a scalar."
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if inner_a != inner_b:
        return (
            f"matmul {describe(a)} @ {describe(b)}: inner dimensions {inner_a} and {inner_b} "
            "differ (W[l] must be (n[l], n[l-1]) and A[l-1] must be (n[l-1], m): examples are "
            "columns). Did you pass an (m, n_x) matrix where (n_x, m) is expected, or forget .T?"
        )
    return (
        f"matmul {describe(a)} @ {describe(b)}: the stack axes {a.shape[:-2]} and "
        f"{b.shape[:-2]} cannot be broadcast together."
    )



def empty_reduction(op: str, x: Any, axis: Any) -> str:
    # a sum of nothing is 0; a mean, max or min of nothing is undefined
    return (
        f"{op} of {describe(x)} over "
        f"{'all axes' if axis is None else f'axis {axis}'}: there are no elements "
        f"(an empty batch, m = 0?), so the {op} is undefined"
    )


def reshape_type(x: Any, shape: tuple) -> str:
    return (
        f"reshape: the new shape must be ints (e.g. reshape(1, -1) or reshape((n, m))),"
        f" not {checks.describe_value(shape if len(shape) != 1 else shape[0])}, for "
        f"{describe(x)}"
    )


def reshape_size(x: Any, shape: tuple) -> str:
    return (
        f"reshape: cannot reshape {describe(x)} ({x.data.size} elements) into "
        f"{shape}; the number of elements must stay the same."
    )


def broadcast_to_type(x: Any, shape: Any) -> str:
    return (
        f"broadcast_to: shape must be a tuple of ints, not "
        f"{checks.describe_value(shape)}, for {describe(x)}"
    )


# -- the Tensor ---------------------------------------------------------------------------------


def ragged(error: Exception) -> str:
    return (
        f"Tensor: the nested lists are not rectangular ({error}); every row needs the "
        "same number of entries, e.g. [[1, 2], [3, 4]] for a (2, 2) tensor."
    )


def unsupported_data(data: Any, dtype: Any) -> str:
    return (
        f"Tensor: cannot make a tensor from {type(data).__name__} data of dtype {dtype}; "
        "give numbers, nested lists of numbers or a numeric numpy array."
    )


def item_of_many(t: Any) -> str:
    return (
        f"item(): {describe(t)} has {t.data.size} elements; item() needs exactly "
        "one (a cost). Use .numpy() for the whole array."
    )


def array_of_recorded(t: Any) -> str:
    return (
        f"np.array / np.asarray of {describe(t)}, which requires grad: the plain "
        "array would drop the graph, so no gradient could reach it. Keep the Tensor "
        "(numpy's functions take Tensors: np.squeeze(cost), not "
        "np.squeeze(np.array(cost))), or take its values explicitly with t.numpy(), "
        "t.detach() or float(t)."
    )


def find_none(name: str, root: Any, names: str) -> str:
    return (
        f"find({name!r}): no tensor of that name in the graph of {describe(root)}; "
        f"its named tensors are: {names or 'none'}"
    )


def find_several(name: str, root: Any, count: int) -> str:
    return (
        f"find({name!r}): {count} tensors in the graph of {describe(root)} are "
        f"called {name!r} (a layer used twice?); give them distinct names, or walk the "
        "graph with tinygrad_edu.autograd.topological_order"
    )


def grad_needs_float(t: Any) -> str:
    return (
        f"{describe(t)} has dtype {t.dtype}: only floating-point tensors can "
        "require grad (a gradient is a real number). Use Tensor(..., dtype='float64') "
        "or x.astype('float64')."
    )


def swapaxes_range(axis1: int, axis2: int, t: Any) -> str:
    return (
        f"swapaxes({axis1}, {axis2}): {describe(t)} has {t.ndim} axes "
        f"(valid: {-t.ndim} to {t.ndim - 1})"
    )
