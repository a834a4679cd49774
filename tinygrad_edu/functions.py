"""Every op by its old address (``tinygrad_edu.functions.Sigmoid``, ``binary_cross_entropy``):
a re-export. The ops live in ``core/rules.py`` (the course's primitives), ``ops/`` (the further
ops) and ``costs.py`` (the costs)."""

from .core.engine import Shortcut
from .core.function import Array, Function
from .core.rules import (
    Add,
    BroadcastTo,
    Div,
    Exp,
    Log,
    MatMul,
    Mean,
    Mul,
    Neg,
    PowScalar,
    ReLU,
    Reshape,
    Sigmoid,
    Sub,
    Sum,
    Tanh,
    Transpose,
    broadcast_to,
    sum_to_shape,
    values,
)
from .core.tensor import Tensor
from .core.tensor import binary as _binary
from .costs import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    L2Penalty,
    MeanSquaredError,
    _Cost,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l2_penalty,
    labels_tensor,
    maximum_with,
    mse_loss,
    sigmoid_of,
)
from .ops.elementwise import (
    Abs,
    Clip,
    LeakyReLU,
    Maximum,
    Minimum,
    Pow,
    Sqrt,
    Where,
    log,
    maximum,
    minimum,
    where,
)
from .ops.selection import (
    Concatenate,
    GetItem,
    Max,
    Min,
    ScatterAdd,
    Stack,
    concatenate,
    scatter,
    stack,
)

make_result = Tensor._from_op  # an op's result around an array: make_result(data, ctx)

__all__ = [
    "Abs", "Add", "Array", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "BroadcastTo",
    "Clip", "Concatenate", "Div", "Exp", "Function", "GetItem", "L2Penalty", "LeakyReLU", "Log",
    "MatMul", "Max", "Maximum", "Mean", "MeanSquaredError", "Min", "Minimum", "Mul", "Neg",
    "Pow", "PowScalar", "ReLU", "Reshape", "ScatterAdd", "Shortcut", "Sigmoid", "Sqrt", "Stack",
    "Sub", "Sum", "Tanh", "Transpose", "Where", "_Cost", "_binary",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "broadcast_to", "concatenate",
    "l2_penalty", "labels_tensor", "log", "make_result", "maximum", "maximum_with", "minimum",
    "mse_loss", "scatter", "sigmoid_of", "stack", "sum_to_shape", "values", "where",
]
