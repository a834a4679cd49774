"""Moving to PyTorch: ``model.to_torch()`` and ``nn.Sequential.from_torch(module)``.

The course's dense layer ``Z = W @ A_prev + b`` with ``W (n_out, n_in)`` is exactly
``torch.nn.Linear(n_in, n_out)``: its ``weight`` *is* ``W`` (same shape, same values) and its
``bias`` is ``b[:, 0]``. What changes is where the examples are: the course puts them in
**columns** (``X (n_x, m)``), PyTorch in **rows** (``(m, n_x)``). So::

    torch_model = model.to_torch()                  # a torch.nn.Sequential
    A_T = torch_model(torch.from_numpy(X.T))        # (m, n_out)
    # A_T is model(X).T: transpose at the boundary, in and out

and ``nn.Sequential.from_torch(torch_model)`` reads such a module back. Values are copied
both ways (the two models do not share memory); dtypes are kept (float64 ↔ torch.float64,
float32 ↔ torch.float32); the training/evaluation mode of every layer is carried
(``module.training`` ↔ torch's ``.training``: ``model.eval()`` gives an eval-mode torch
model). The correspondence, layer by layer::

    Dense(n_in, n_out, g)            Linear(n_in, n_out), then g's module (none for "linear")
    Dense(..., batch_norm=True, g)   Linear(n_in, n_out, bias=False), BatchNorm1d(n_out), g
    BatchNorm(n, momentum, eps)      BatchNorm1d(n, eps=eps, momentum=momentum)
    Dropout(keep_prob)               Dropout(p=1 - keep_prob)

with g one of ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU(negative_slope=alpha)``,
``Softmax(dim=1)`` (the classes: rows of our ``A (C, m)``, columns of torch's ``(m, C)``) (read
back also from ``Identity``); nested torch ``Sequential``\\s are flattened.

**Batch norm.** ``gamma``, ``beta``, ``running_mean``, ``running_var`` ``(n, 1)`` are
BatchNorm1d's ``weight``, ``bias``, ``running_mean``, ``running_var`` ``(n,)``. tinygrad_edu
normalises ``Z (n, m)`` over its axis 1 (the examples), BatchNorm1d ``(m, n)`` over its axis
0: the same numbers, since the batch is transposed at the boundary. Both use the batch's
biased variance in training and update the running variance with the unbiased one
(``running = (1 - momentum) running + momentum * batch``), so a model evaluates the same after
training in either library. Reading back, ``Linear(bias=False)`` followed by ``BatchNorm1d``
(and at most one activation) becomes one ``Dense(..., batch_norm=True)`` — the course's layer,
without ``b`` since ``beta`` takes its place; a ``Linear`` *with* a bias followed by
``BatchNorm1d`` becomes ``Dense`` then ``BatchNorm`` (an activation after that BatchNorm1d has
no place in tinygrad_edu and is refused). A BatchNorm1d without ``weight`` or ``bias``
(``affine=False``), without running averages (``track_running_stats=False``) or with
``momentum=None`` (a cumulative average) has no tinygrad_edu equivalent and is refused.

**Dropout.** The course's ``keep_prob`` is the probability of *keeping* a unit, torch's ``p``
that of dropping it: ``keep_prob = 1 - p``. Both are inverted dropout (kept units scaled by
``1 / keep_prob``), but the masks are not the same random numbers (the ``seed`` is not carried),
so only eval-mode outputs, and train-mode statistics, are comparable. The converted
``torch.nn.Dropout`` remembers the ``keep_prob`` it came from (``tinygrad_edu_keep_prob``), so
that ``from_torch`` gives back the very same float even where ``1 - (1 - keep_prob)`` rounds
(below 0.5); a ``p`` changed since is read as ``1 - p``.

torch is imported only when one of these functions runs: tinygrad_edu never needs it.

Adding a layer type is a declaration in the two registries below: ``TO_TORCH[OurModule] =
function(module, torch) -> [torch modules]`` and ``FROM_TORCH["TorchClassName"] =
function(torch_modules, position) -> (our module, how many torch modules it used)`` (the
reader sets the layer's mode from the torch modules; the writer's modules take the layer's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..dropout import check_keep_prob
from ..errors import ArgumentError, ArgumentTypeError
from . import functional as F
from .dense import Dense
from .layers import BatchNorm, Dropout
from .module import Module
from .sequential import Sequential

__all__ = ["FROM_TORCH", "TO_TORCH", "from_torch", "to_torch"]

# our Module class -> function(module, torch) returning the equivalent torch modules, in order
TO_TORCH: dict[type, Callable[[Any, Any], list]] = {}
# torch class name -> function(torch modules, position) -> (our Module, modules consumed)
FROM_TORCH: dict[str, Callable[[list, int], tuple[Module, int]]] = {}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:  # optional: only the bridge needs it
        raise ImportError(
            "tinygrad_edu's PyTorch bridge needs torch, which is not installed: "
            "pip install torch (the CPU build is enough)"
        ) from None
    return torch


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Sequential`` (values copied, dtype kept). The torch model
    takes examples as rows: ``torch_model(X.T)`` is ``model(X).T``."""
    torch = _import_torch()
    if not isinstance(model, Module):
        raise ArgumentTypeError(f"to_torch: expected a tinygrad_edu Module, not "
                                f"{type(model).__name__}")
    torch_model = torch.nn.Sequential(*_to_torch_modules(model, torch))
    torch_model.training = model.training  # the container's own flag; its layers have theirs
    return torch_model


def _to_torch_modules(module: Module, torch: Any) -> list:
    for cls in type(module).__mro__:
        if cls in TO_TORCH:
            modules = TO_TORCH[cls](module, torch)
            if not module._modules:  # a layer: its torch modules take its mode
                for torch_module in modules:
                    torch_module.train(module.training)
            return modules
    raise ArgumentError(
        f"to_torch: no PyTorch equivalent is declared for {type(module).__name__}; the bridge "
        f"knows {', '.join(c.__name__ for c in TO_TORCH)} (declare one in "
        "tinygrad_edu.nn.torch_bridge.TO_TORCH)"
    )


def _sequential_to_torch(model: Sequential, torch: Any) -> list:
    return [m for layer in model for m in _to_torch_modules(layer, torch)]


def _activation_of(layer: Dense) -> tuple[str, float]:
    """The layer's activation as (name, leaky slope), or an error for a custom function."""
    name, fn, alpha = layer.activation, layer._activate, layer.alpha
    # a layer built from a string gets the Tensor method, F's function or get_activation's
    # leaky lambda (whose slope is layer.alpha); F.leaky_relu passed itself uses its default
    if name in ("sigmoid", "tanh", "relu") and fn in (F.ACTIVATIONS[name],
                                                     F._TENSOR_METHODS.get(name)):
        return name, alpha
    if name == "linear" and fn is F.ACTIVATIONS["linear"]:
        return name, alpha
    if name == "leaky_relu" and fn is F.ACTIVATIONS["leaky_relu"]:
        return name, 0.01
    if name == "softmax" and fn is F.ACTIVATIONS["softmax"]:
        return name, alpha
    if name == "leaky_relu" and getattr(fn, "__qualname__", "").startswith("get_activation."):
        return name, alpha
    raise ArgumentError(
        f"to_torch: {layer!r} uses the custom activation {name!r}, which has no known torch "
        "module; build the layer with activation='sigmoid', 'tanh', 'relu', 'leaky_relu', "
        "'softmax' or 'linear', or convert that layer by hand"
    )


def _torch_dtype(layer: Module, dtype: Any, torch: Any) -> Any:
    torch_dtype = getattr(torch, np.dtype(dtype).name, None)
    if torch_dtype is None or not torch_dtype.is_floating_point:
        raise ArgumentError(f"to_torch: {layer!r} is {dtype}, which torch has not")
    return torch_dtype


def _column(t: Any, torch: Any) -> Any:
    """Our ``(n, 1)`` column as torch's ``(n,)`` vector (a copy)."""
    return torch.from_numpy(t.data[:, 0].copy())


def _batch_norm1d(n: int, momentum: float, eps: float, gamma: Any, beta: Any,
                  running_mean: Any, running_var: Any, dtype: Any, torch: Any) -> Any:
    """``BatchNorm1d(n)``: weight = gamma[:, 0], bias = beta[:, 0], running_mean =
    running_mean[:, 0], running_var = running_var[:, 0]."""
    norm = torch.nn.BatchNorm1d(n, eps=eps, momentum=momentum, dtype=dtype)
    with torch.no_grad():
        norm.weight.copy_(_column(gamma, torch))  # weight = γ
        norm.bias.copy_(_column(beta, torch))  # bias = β
        norm.running_mean.copy_(_column(running_mean, torch))
        norm.running_var.copy_(_column(running_var, torch))  # both: the unbiased variance
    return norm


def _dense_to_torch(layer: Dense, torch: Any) -> list:
    name, alpha = _activation_of(layer)
    dtype = _torch_dtype(layer, layer.W.dtype, torch)
    linear = torch.nn.Linear(layer.n_in, layer.n_out, bias=not layer.batch_norm, dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(layer.W.data.copy()))  # weight = W (n_out, n_in)
        if not layer.batch_norm:
            linear.bias.copy_(_column(layer.b, torch))  # bias = b[:, 0]
    modules = [linear]
    if layer.batch_norm:  # Z̃ = γ Z_norm + β in place of + b
        modules.append(_batch_norm1d(layer.n_out, layer.momentum, layer.eps, layer.gamma,
                                     layer.beta, layer.running_mean, layer.running_var, dtype,
                                     torch))
    activation = {
        "linear": None,
        "sigmoid": lambda: torch.nn.Sigmoid(),
        "tanh": lambda: torch.nn.Tanh(),
        "relu": lambda: torch.nn.ReLU(),
        "leaky_relu": lambda: torch.nn.LeakyReLU(negative_slope=alpha),
        # our classes are the rows of A (C, m); torch's examples are rows, so its classes
        # are the columns of A.T (m, C): dim=1
        "softmax": lambda: torch.nn.Softmax(dim=1),
    }[name]
    return modules if activation is None else [*modules, activation()]


def _norm_to_torch(layer: BatchNorm, torch: Any) -> list:
    return [_batch_norm1d(layer.n, layer.momentum, layer.eps, layer.gamma, layer.beta,
                          layer.running_mean, layer.running_var,
                          _torch_dtype(layer, layer.gamma.dtype, torch), torch)]


def _dropout_to_torch(layer: Dropout, torch: Any) -> list:
    dropout = torch.nn.Dropout(p=1.0 - layer.keep_prob)  # torch's p drops, keep_prob keeps
    dropout.tinygrad_edu_keep_prob = layer.keep_prob  # the exact float, for from_torch
    return [dropout]


TO_TORCH[Sequential] = _sequential_to_torch
TO_TORCH[Dense] = _dense_to_torch
TO_TORCH[BatchNorm] = _norm_to_torch
TO_TORCH[Dropout] = _dropout_to_torch


# -- back from torch ---------------------------------------------------------------------------

# torch activation class name -> (our activation name, a function giving its slope alpha)
_ACTIVATIONS: dict[str, tuple[str, Callable[[Any], float]]] = {
    "Identity": ("linear", lambda m: 0.01),
    "Sigmoid": ("sigmoid", lambda m: 0.01),
    "Tanh": ("tanh", lambda m: 0.01),
    "ReLU": ("relu", lambda m: 0.01),
    "LeakyReLU": ("leaky_relu", lambda m: float(m.negative_slope)),
    "Softmax": ("softmax", lambda m: _softmax_over_classes(m)),
}


def _softmax_over_classes(module: Any) -> float:
    """A torch ``Softmax`` over the classes of its (m, C) input, dim=1 (or -1): our softmax
    over the class axis 0 of A (C, m). Another dim has no equivalent."""
    if module.dim not in (1, -1):
        raise ArgumentError(
            f"Sequential.from_torch: {module!r} normalises over dim={module.dim}; with "
            "examples as rows (m, C), tinygrad_edu's softmax is over the classes, dim=1")
    return 0.01


def from_torch(module: Any) -> Sequential:
    """A ``Sequential`` equivalent to a torch module made of ``Linear`` layers (each followed
    by at most one activation module, or by ``BatchNorm1d`` and an activation), ``BatchNorm1d``
    and ``Dropout`` (values and buffers copied, dtype and modes kept; the layers are numbered
    1..L as usual). Anything else is refused, naming the module."""
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise ArgumentTypeError(
            f"Sequential.from_torch: expected a torch.nn.Module such as torch.nn.Sequential("
            f"torch.nn.Linear(2, 4), torch.nn.Tanh(), ...), not {type(module).__name__}")
    modules = _flatten(module, torch)
    layers, position = [], 0
    while position < len(modules):
        kind = type(modules[position]).__name__
        if kind not in FROM_TORCH:
            raise ArgumentError(_unsupported(modules, position))
        layer, used = FROM_TORCH[kind](modules, position)
        layers.append(layer)
        position += used
    if not layers:
        raise ArgumentError("Sequential.from_torch: the torch module has no layers")
    model = Sequential(*layers)
    object.__setattr__(model, "training", bool(module.training))  # its layers keep their own
    return model


def _flatten(module: Any, torch: Any) -> list:
    if isinstance(module, torch.nn.Sequential):
        return [m for child in module for m in _flatten(child, torch)]
    return [module]


def _unsupported(modules: list, position: int) -> str:
    module = modules[position]
    kind = type(module).__name__
    where = f"module {position} ({module!r})"
    if kind in _ACTIVATIONS and position and type(modules[position - 1]).__name__ == \
            "BatchNorm1d":
        return (f"Sequential.from_torch: {where} is an activation after a BatchNorm1d that "
                "follows a Linear with a bias; tinygrad_edu's batch-norm layer "
                "Dense(..., batch_norm=True) has no b (beta takes its place): build that "
                "Linear with bias=False")
    if kind in _ACTIVATIONS:
        return (f"Sequential.from_torch: {where} is an activation that does not follow a "
                "Linear layer; tinygrad_edu's Dense layer is one Linear and at most one "
                "activation")
    return (f"Sequential.from_torch: {where} has no tinygrad_edu equivalent; the bridge reads "
            f"{', '.join(FROM_TORCH)} and the activations {', '.join(_ACTIVATIONS)}")


def _numpy(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


def _checked_norm(modules: list, position: int) -> Any:
    """The BatchNorm1d at ``position``, refused unless tinygrad_edu's BatchNorm is the same."""
    norm = modules[position]
    where = f"Sequential.from_torch: module {position} ({norm!r})"
    if norm.weight is None or norm.bias is None:
        raise ArgumentError(f"{where} does not learn both a weight and a bias; tinygrad_edu's "
                            "batch norm always learns gamma and beta (use affine=True, "
                            "bias=True)")
    if not norm.track_running_stats or norm.running_mean is None:
        raise ArgumentError(f"{where} keeps no running averages (track_running_stats=False), "
                            "so it normalises with the batch's statistics in eval mode too; "
                            "tinygrad_edu's batch norm evaluates with running averages")
    if norm.momentum is None:
        raise ArgumentError(f"{where} has momentum=None, a cumulative average; tinygrad_edu's "
                            "running averages are exponential (give momentum=0.1, the "
                            "course's β = 0.9)")
    return norm


def _load_norm(layer: Any, norm: Any) -> None:
    """Copy BatchNorm1d's (n,) vectors into the layer's (n, 1) columns."""
    layer.gamma.data[...] = _numpy(norm.weight).reshape(-1, 1)  # γ = weight[:, None]
    layer.beta.data[...] = _numpy(norm.bias).reshape(-1, 1)  # β = bias[:, None]
    layer.running_mean.data[...] = _numpy(norm.running_mean).reshape(-1, 1)
    layer.running_var.data[...] = _numpy(norm.running_var).reshape(-1, 1)


def _linear_from_torch(modules: list, position: int) -> tuple[Module, int]:
    linear = modules[position]
    following = modules[position + 1] if position + 1 < len(modules) else None
    norm = following if type(following).__name__ == "BatchNorm1d" else None
    if linear.bias is None and norm is None:
        raise ArgumentError(
            f"Sequential.from_torch: module {position} ({linear!r}) has no bias; a Dense layer "
            "always learns b, so it would not train like the torch model (use bias=True), "
            "unless a BatchNorm1d follows (Dense(..., batch_norm=True))")
    with_norm = linear.bias is None  # Linear(bias=False), BatchNorm1d: Dense(batch_norm=True)
    used = 2 if with_norm else 1
    if with_norm:
        _checked_norm(modules, position + 1)
        if norm.num_features != linear.out_features:
            raise ArgumentError(
                f"Sequential.from_torch: module {position + 1} ({norm!r}) normalises "
                f"{norm.num_features} features, but the Linear before it gives "
                f"{linear.out_features}")
    weight = _numpy(linear.weight)
    name, alpha = "linear", 0.01
    following = modules[position + used] if position + used < len(modules) else None
    if following is not None and type(following).__name__ in _ACTIVATIONS:
        name, slope = _ACTIVATIONS[type(following).__name__]
        alpha, used = slope(following), used + 1
    extra = ({"batch_norm": True, "momentum": norm.momentum, "eps": norm.eps} if with_norm
             else {})
    layer = Dense(linear.in_features, linear.out_features, activation=name, init="zeros",
                  alpha=alpha, dtype=weight.dtype, **extra)
    layer.W.data[...] = weight  # W = weight (n_out, n_in)
    if with_norm:
        _load_norm(layer, norm)
    else:
        layer.b.data[...] = _numpy(linear.bias).reshape(-1, 1)  # b = bias[:, None]
    layer.train(bool((norm if with_norm else linear).training))  # batch norm's mode matters
    return layer, used


def _norm_from_torch(modules: list, position: int) -> tuple[Module, int]:
    norm = _checked_norm(modules, position)
    layer = BatchNorm(norm.num_features, momentum=norm.momentum, eps=norm.eps,
                      dtype=_numpy(norm.weight).dtype)
    _load_norm(layer, norm)
    layer.train(bool(norm.training))
    return layer, 1


def _dropout_from_torch(modules: list, position: int) -> tuple[Module, int]:
    dropout = modules[position]
    keep_prob = getattr(dropout, "tinygrad_edu_keep_prob", None)  # set by to_torch
    if keep_prob is None or 1.0 - keep_prob != dropout.p:  # none, or p changed since
        keep_prob = 1.0 - float(dropout.p)  # the course's keep_prob = 1 - torch's p
    if not keep_prob > 0.0:
        raise ArgumentError(
            f"Sequential.from_torch: module {position} ({dropout!r}) drops every unit "
            "(p = 1); tinygrad_edu's keep_prob = 1 - p must be above 0")
    layer = Dropout(keep_prob=check_keep_prob(keep_prob, "Sequential.from_torch"))
    layer.train(bool(dropout.training))
    return layer, 1


FROM_TORCH["Linear"] = _linear_from_torch
FROM_TORCH["BatchNorm1d"] = _norm_from_torch
FROM_TORCH["Dropout"] = _dropout_from_torch
