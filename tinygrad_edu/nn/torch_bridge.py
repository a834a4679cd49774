"""Moving to PyTorch: ``model.to_torch()`` and ``nn.Sequential.from_torch(module)``.

The course's dense layer ``Z = W @ A_prev + b`` with ``W (n_out, n_in)`` is exactly
``torch.nn.Linear(n_in, n_out)``: its ``weight`` *is* ``W`` (same shape, same values) and its
``bias`` is ``b[:, 0]``. What changes is where the examples are: the course puts them in
**columns** (``X (n_x, m)``), PyTorch in **rows** (``(m, n_x)``). So::

    torch_model = model.to_torch()                  # a torch.nn.Sequential
    A_T = torch_model(torch.from_numpy(X.T))        # (m, n_out)
    # A_T is model(X).T: transpose at the boundary, in and out

and ``nn.Sequential.from_torch(torch_model)`` reads such a module back (``Linear`` followed
by at most one of ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU(negative_slope)``,
``Identity``; nested ``Sequential``\\s are flattened). Values are copied both ways (the two
models do not share memory); dtypes are kept (float64 ↔ torch.float64, float32 ↔
torch.float32).

torch is imported only when one of these functions runs: tinygrad_edu never needs it.

Adding a layer type is a declaration in the two registries below: ``TO_TORCH[OurModule] =
function(module, torch) -> [torch modules]`` and ``FROM_TORCH["TorchClassName"] =
function(torch_modules, position) -> (our module, how many torch modules it used)``. For
example, a dropout layer with the course's ``keep_prob`` would be::

    TO_TORCH[Dropout] = lambda layer, torch: [torch.nn.Dropout(p=1 - layer.keep_prob)]
    FROM_TORCH["Dropout"] = lambda modules, i: (Dropout(keep_prob=1 - modules[i].p), 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError
from . import functional as F
from .module import Dense, Module, Sequential

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
    return torch.nn.Sequential(*_to_torch_modules(model, torch))


def _to_torch_modules(module: Module, torch: Any) -> list:
    for cls in type(module).__mro__:
        if cls in TO_TORCH:
            return TO_TORCH[cls](module, torch)
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
    if name == "leaky_relu" and getattr(fn, "__qualname__", "").startswith("get_activation."):
        return name, alpha
    raise ArgumentError(
        f"to_torch: {layer!r} uses the custom activation {name!r}, which has no known torch "
        "module; build the layer with activation='sigmoid', 'tanh', 'relu', 'leaky_relu' or "
        "'linear', or convert that layer by hand"
    )


def _dense_to_torch(layer: Dense, torch: Any) -> list:
    name, alpha = _activation_of(layer)
    dtype = getattr(torch, np.dtype(layer.W.dtype).name, None)
    if dtype is None or not dtype.is_floating_point:
        raise ArgumentError(f"to_torch: {layer!r} is {layer.W.dtype}, which torch has not")
    linear = torch.nn.Linear(layer.n_in, layer.n_out, dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(layer.W.data.copy()))  # weight = W (n_out, n_in)
        linear.bias.copy_(torch.from_numpy(layer.b.data[:, 0].copy()))  # bias = b[:, 0]
    activation = {
        "linear": None,
        "sigmoid": lambda: torch.nn.Sigmoid(),
        "tanh": lambda: torch.nn.Tanh(),
        "relu": lambda: torch.nn.ReLU(),
        "leaky_relu": lambda: torch.nn.LeakyReLU(negative_slope=alpha),
    }[name]
    return [linear] if activation is None else [linear, activation()]


TO_TORCH[Sequential] = _sequential_to_torch
TO_TORCH[Dense] = _dense_to_torch


# -- back from torch ---------------------------------------------------------------------------

# torch activation class name -> (our activation name, a function giving its slope alpha)
_ACTIVATIONS: dict[str, tuple[str, Callable[[Any], float]]] = {
    "Identity": ("linear", lambda m: 0.01),
    "Sigmoid": ("sigmoid", lambda m: 0.01),
    "Tanh": ("tanh", lambda m: 0.01),
    "ReLU": ("relu", lambda m: 0.01),
    "LeakyReLU": ("leaky_relu", lambda m: float(m.negative_slope)),
}


def from_torch(module: Any) -> Sequential:
    """A ``Sequential`` of ``Dense`` layers equivalent to a torch module made of ``Linear``
    layers, each followed by at most one activation module (values copied, dtype kept; the
    layers are numbered 1..L as usual). Anything else is refused, naming the module."""
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
    return Sequential(*layers)


def _flatten(module: Any, torch: Any) -> list:
    if isinstance(module, torch.nn.Sequential):
        return [m for child in module for m in _flatten(child, torch)]
    return [module]


def _unsupported(modules: list, position: int) -> str:
    module = modules[position]
    kind = type(module).__name__
    where = f"module {position} ({module!r})"
    if kind in _ACTIVATIONS:
        return (f"Sequential.from_torch: {where} is an activation that does not follow a "
                "Linear layer; tinygrad_edu's Dense layer is one Linear and at most one "
                "activation")
    return (f"Sequential.from_torch: {where} has no tinygrad_edu equivalent; the bridge reads "
            f"{', '.join(FROM_TORCH)} and the activations {', '.join(_ACTIVATIONS)}")


def _linear_from_torch(modules: list, position: int) -> tuple[Module, int]:
    linear = modules[position]
    if linear.bias is None:
        raise ArgumentError(
            f"Sequential.from_torch: module {position} ({linear!r}) has no bias; a Dense layer "
            "always learns b, so it would not train like the torch model (use bias=True)")
    weight = linear.weight.detach().cpu().numpy()
    dtype = weight.dtype
    name, alpha, used = "linear", 0.01, 1
    following = modules[position + 1] if position + 1 < len(modules) else None
    if following is not None and type(following).__name__ in _ACTIVATIONS:
        name, slope = _ACTIVATIONS[type(following).__name__]
        alpha, used = slope(following), 2
    layer = Dense(linear.in_features, linear.out_features, activation=name, init="zeros",
                  alpha=alpha, dtype=dtype)
    layer.W.data[...] = weight  # W = weight (n_out, n_in)
    layer.b.data[...] = linear.bias.detach().cpu().numpy().reshape(-1, 1)  # b = bias[:, None]
    return layer, used


FROM_TORCH["Linear"] = _linear_from_torch
