"""``Function``: an op of the graph, its forward and its derivative rule side by side.

The contract of an op (the node ``ctx`` between its inputs and its output)::

      x ──┐
          ├──▶ [ ctx = Mul((x, y)) ] ──▶ z = x * y        forward:  numpy on the arrays
      y ──┘         │ parents = (x, y)                     backward: dz ──▶ (dx, dy)
                    │ needs_input_grad = (True, False)

* ``forward(*arrays, ...)``: plain numpy on arrays, returns the output array;
* ``backward(self, dA, A, Z)`` (in general ``backward(self, g, out, *inputs)``): the
  derivative rule. ``dA`` is the upstream gradient dJ/d(out), ``A`` the op's output, ``Z`` its
  input(s); it returns one gradient per input (``None`` for inputs that need none);
* ``record(data, inputs, **settings)``: the one place where an op's result is made and, when
  some input needs a gradient and grad mode is on, the op remembered. ``needs_input_grad`` is
  computed there once; the *settings* (axis, exponent, slope...) become attributes of the op
  (graphs and ``explain`` read them, ``attributes()`` lists them), while values kept only for
  the rule (``Sigmoid.minus_log_a``) are saved by the op after ``record``.

The rules use only what numpy arrays *and* Tensors both have (``*``, ``@``, ``.T``,
``.sum(axis, keepdims)``, ``.reshape``) and the dual helpers of ``rules.py``: the engine calls
them with arrays for ``backward()`` and with Tensors for ``grad(..., create_graph=True)``, and
``explain`` calls them with symbols — one set of rules.
"""

from __future__ import annotations

from typing import Any

from .modes import MODE

Array = Any  # an np.ndarray, a Tensor inside grad(..., create_graph=True), or a symbol


class Function:
    """A node of the graph: the op that made a tensor, and the tensors it used (``parents``)."""

    __slots__ = ("needs_input_grad", "parents")
    name = "function"  # the op's name in graphs, errors and explain()
    # the costs whose fused rule replaces this op's rule (the engine's Shortcut): declared by
    # the op, asked by the cost with ``A._ctx.fuses_into(cost_name)``
    fuses_with: frozenset = frozenset()

    def __init__(self, parents: tuple, needs_input_grad: tuple | None = None) -> None:
        self.parents = parents
        self.needs_input_grad = (
            tuple([p.requires_grad for p in parents]) if needs_input_grad is None
            else needs_input_grad  # given by the caller that has just read them (fast path)
        )

    @classmethod
    def record(cls, data: Any, inputs: tuple, **settings: Any) -> Any:
        """The op's result around ``data``; remembers the op when a gradient will be needed."""
        needs = [t.requires_grad for t in inputs]
        if True in needs and MODE.grad:
            ctx = cls(inputs, tuple(needs))
            for key, value in settings.items():
                setattr(ctx, key, value)
            return inputs[0]._from_op(data, ctx)
        return inputs[0]._from_op(data, None)

    # the fast paths of ``record`` for one and two inputs without settings (most ops; the
    # same result, fewer steps: this is where a training loop spends its Python time)
    @classmethod
    def record_one(cls, data: Any, x: Any) -> Any:
        if x.requires_grad and MODE.grad:
            return x._from_op(data, cls((x,), _NEEDS_ONE))
        return x._from_op(data, None)

    @classmethod
    def record_two(cls, data: Any, x: Any, y: Any) -> Any:
        x_needs, y_needs = x.requires_grad, y.requires_grad
        if (x_needs or y_needs) and MODE.grad:
            return x._from_op(data, cls((x, y), (x_needs, y_needs)))
        return x._from_op(data, None)

    def backward(self, g: Array, out: Array, *inputs: Array) -> tuple:
        raise NotImplementedError

    def attributes(self) -> dict:
        """The op's settings (axis, exponent, slope, ...) for graphs and explain()."""
        return {name: getattr(self, name) for name in self.__slots__}

    def fuses_into(self, cost: str) -> bool:
        """Whether the cost called ``cost`` may fuse this op's rule into its own (Shortcut)."""
        return cost in self.fuses_with


_NEEDS_ONE = (True,)
