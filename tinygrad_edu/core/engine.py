"""The backward pass: the graph in topological order, then the chain rule from the cost back
to every tensor that requires grad, adding up where a tensor feeds several ops (``x * x``)."""
from .. import tensor_checks
from ..grad_store import store_grads
from .modes import HUNTING, MODE


class Shortcut:
    """A fused rule's gradient for an input ``A`` that an op made: ``grad`` (or None) to A.grad,
    ``onward`` to the inputs of A's op, past its rule. The cross-entropy after a sigmoid gives
    ``dZ = (A - Y) / m`` so, exactly, where dA * A(1 - A) is 0 once σ(Z) rounds to 1."""
    def __init__(self, grad, onward):
        self.grad, self.onward = grad, onward

def topological_order(roots, only_requires_grad=True):
    """The roots and every tensor they depend on that requires grad, each after its inputs (depth
    first, no recursion); ``viz`` and ``explain`` pass ``only_requires_grad=False``: all."""
    order, visited = [], set()
    for root in (roots,) if hasattr(roots, "_ctx") else roots:
        stack = [] if root in visited else [(root, iter(root._ctx.parents if root._ctx else ()))]
        visited.add(root)
        while stack:  # (a tensor, its parents still to visit)
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited and (parent.requires_grad or not only_requires_grad):
                    visited.add(parent)
                    if parent._ctx is None:  # a leaf is placed at once
                        order.append(parent)
                    else:
                        stack.append((parent, iter(parent._ctx.parents)))
                        break
            else:  # all its inputs are placed: so is the tensor
                stack.pop()
                order.append(node)
    return order

def run(roots, seeds, create_graph=False, keep=None):
    """The chain rule from ``roots`` (dJ/droot = ``seeds``): ``{tensor: dJ/dtensor}``, outputs
    first, for every tensor or those in ``keep`` (``grad()``: the others are freed on the way).
    The rules get arrays, or Tensors with ``create_graph`` (their arithmetic recorded)."""
    grads, totals = {}, {}  # tensor -> dJ/dtensor, summed so far (grads) and complete (totals)
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    passed = {}  # tensor -> what fused rules gave it past its own rule (Shortcut)
    check = MODE.anomaly.backward if HUNTING.threads and MODE.anomaly else None
    for node in reversed(topological_order(roots)):  # dJ/dJ first, then outputs → inputs
        dout = total = grads.pop(node, None)  # dout: what this tensor's own rule passes on
        if passed and node in passed:
            total = passed.pop(node) if dout is None else dout + passed.pop(node)
        if total is None:
            continue
        if keep is None or node in keep:
            totals[node] = total
        ctx = node._ctx
        if ctx is None or dout is None:  # a leaf has no rule; what a Shortcut gave a tensor
            continue  # has gone past its rule already
        if create_graph:
            dinputs = ctx.backward(dout, node, *ctx.parents)
        else:  # the rule on arrays: dZ = dA * ..., dW = dZ @ A_prev.T, ...
            dinputs = ctx.backward(dout, node.data, *[p.data for p in ctx.parents])
        if ctx.checked:  # an op of one's own: one gradient per input, of the input's shape
            dinputs = tensor_checks.rule_result(ctx, dinputs)
        if check is not None:  # detect_anomaly(): a nan or inf among them names this op
            check(node, dinputs)
        for parent, d in zip(ctx.parents, dinputs):
            if d is None or not parent.requires_grad:  # None: needs_input_grad wanted none
                continue
            if type(d) is Shortcut:  # a fused rule: past the parent's own rule
                _take_shortcut(parent, d, grads, passed)
            else:
                grads[parent] = d if parent not in grads else grads[parent] + d  # Σ over uses
    return totals

def _take_shortcut(A, shortcut, grads, passed):
    """dA (``shortcut.grad``) goes to ``A.grad`` only, dZ (``.onward``) to the inputs of A's op."""
    dA = shortcut.grad
    if dA is not None:  # None: the fused rule gives A itself nothing
        passed[A] = dA if A not in passed else passed[A] + dA
    for Z, dZ in zip(A._ctx.parents, shortcut.onward):
        if dZ is not None and Z.requires_grad:
            grads[Z] = dZ if Z not in grads else grads[Z] + dZ

def backward(root, gradient=None):
    """Fill ``.grad`` of every tensor ``root`` depends on that requires grad."""
    tensor_checks.can_backward(root, "backward()")
    seed = tensor_checks.seed(root, gradient)
    recording, MODE.grad = MODE.grad, False  # the rules' own arithmetic records nothing
    try:  # (no_grad() written out: as a context manager it cost 0.6 % of a flower step)
        totals = run([root], [seed])
    finally:
        MODE.grad = recording
    store_grads(root, totals)  # .grad += dJ/dtensor for each, in its dtype (grad_store.py)
