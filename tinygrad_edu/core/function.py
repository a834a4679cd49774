"""``Function``: an op of the graph, its forward and its derivative rule side by side.

      x ──┐
          ├──▶ [ ctx: Mul ] ──▶ z = x * y      forward:  numpy on the arrays
      y ──┘    parents = (x, y)                backward: dz ──▶ (dx, dy) = (dz * y, None)
               needs_input_grad = (True, False)                  (y needs no gradient)

An op gives a static ``forward(*arrays, **settings)`` (numpy in, an array out) and its rule
``backward(self, dout, out, *inputs)``: one gradient per input, None where ``needs_input_grad``
wants none. A rule uses only what arrays and Tensors both have (``*``, ``@``, ``.T``, ``.sum``):
the engine runs it on arrays, ``grad(create_graph=True)`` on Tensors, ``explain`` on symbols."""
from typing import Any

from .. import tensor_checks
from .modes import MODE

Array = Any  # an np.ndarray, a Tensor inside grad(..., create_graph=True), or a symbol

class Function:
    """The op that made a tensor: ``parents`` (its input tensors), ``needs_input_grad`` (a bool
    per parent), its settings as attributes (``self.axis``; ``attributes()`` lists them) and,
    apart, ``saved``: what the forward computed for the rule or a cost (the sigmoid's -log A).
    Saved values are constants to ``grad(create_graph=True)``: batch norm's rule recomputes."""
    __slots__ = ("__dict__", "needs_input_grad", "parents", "saved")  # settings: __dict__
    name = "function"  # in graphs, errors and explain()
    infix = None  # viz, explain and compile write x + y, W @ A, x ** p
    broadcasts = False  # element-wise on operands of different shapes (viz labels the edge)
    fuses_with = frozenset()  # the costs whose fused rule may replace this one's (Shortcut)
    checked = True  # check what backward returns: set per class, False for the package's ops
    def __init_subclass__(cls, **kwargs):  # kwargs: for a mixin's __init_subclass__
        super().__init_subclass__(**kwargs)
        cls.checked = not cls.__module__.startswith("tinygrad_edu.")

    def __init__(self, parents=(), needs_input_grad=None, saved=None):  # by hand: Op((x,))
        self.parents, self.saved = parents, saved
        self.needs_input_grad = needs_input_grad or tuple([p.requires_grad for p in parents])

    @classmethod
    def apply(cls, *inputs, **settings):
        """``Op.apply(x, y, axis=1)``: ``forward`` on the inputs' arrays, the result recorded."""
        n = len(inputs)
        try:
            if settings or n > 2:
                data = cls.forward(*[x.data for x in inputs], **settings)
            elif n == 1:  # the fast paths of most ops: the same, without * and **
                data = cls.forward(inputs[0].data)
            else:
                data = cls.forward(inputs[0].data, inputs[1].data)
            return cls.record(data, inputs, **settings) if settings else cls.record(data, inputs)
        except AttributeError:
            tensor_checks.op_inputs(cls, inputs)  # Op.apply(x, 2.0) raises the course's error
            raise  # else the AttributeError is the op's own

    @classmethod
    def record(cls, data, inputs, *, saved=None, **settings):
        """The tensor around ``data``, computed from ``inputs``. The op is remembered (its
        settings as attributes, ``saved`` apart) if grad mode is on and an input needs a grad."""
        n = len(inputs)
        if n == 1:  # (one input and two written out: the hot path)
            needs = (inputs[0].requires_grad,)
        elif n == 2:
            needs = (inputs[0].requires_grad, inputs[1].requires_grad)
        else:
            needs = tuple([x.requires_grad for x in inputs])
        if True not in needs or not MODE.grad:  # no graph: a result without parents
            return inputs[0]._from_op(data, None)  # Tensor._from_op (tensor.py is above this file)
        ctx = cls.__new__(cls)  # __init__'s fields, set here without its call
        ctx.parents, ctx.needs_input_grad, ctx.saved = inputs, needs, saved
        if settings:  # setattr: an op of one's own may keep its settings in __slots__
            for key, value in settings.items():
                setattr(ctx, key, value)
        return inputs[0]._from_op(data, ctx)

    def backward(self, dout, out, *inputs):
        raise NotImplementedError(f"{self.name}: define backward(self, dout, out, *inputs)")

    def attributes(self):
        """The op's settings (axis, exponent, slope, ...) for graphs and explain()."""
        ops = [c for c in type(self).__mro__ if c not in (Function, object)]
        slots = [s for c in ops for s in c.__dict__.get("__slots__", ())]
        return {k: getattr(self, k) for k in [*vars(self), *slots] if hasattr(self, k)}
