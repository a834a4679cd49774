"""``Sequential`` (layers applied in order, numbered 1..L) and ``deep_network``, the course's
L-layer model (F4.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import checks
from ..errors import ArgumentError, ArgumentTypeError
from ..tensor import Tensor
from . import init as _init
from .dense import Dense
from .module import Module, _indent

__all__ = ["Sequential", "deep_network"]


class Sequential(Module):
    """Layers applied in order: ``A[L] = layer_L(... layer_1(X))``.

    Unnumbered Dense layers get the course's indices 1..L in order (``W1``, ``b1``, ``Z1``,
    ``A1``, ...). Indexable (``model[0]`` is layer 1), ``len(model)``, iterable.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        if not layers:
            raise ArgumentError(
                "Sequential needs at least one layer, e.g. nn.Sequential(nn.Dense(2, 4, "
                "activation='tanh'), nn.Dense(4, 1, activation='sigmoid'))"
            )
        for position, layer in enumerate(layers):
            if not isinstance(layer, Module):
                given = (checks.describe_value(layer) if isinstance(layer, type) else
                         f"a {type(layer).__name__}")
                raise ArgumentTypeError(
                    f"Sequential: item {position} is {given}, not a Module "
                    "(give layers such as nn.Dense(n_in, n_out, activation=...))"
                )
        self._layers = tuple(layers)
        index = 0
        for position, layer in enumerate(layers):
            if isinstance(layer, Dense):
                index += 1
                if layer.layer is None:
                    layer.set_index(index)
            elif getattr(layer, "numbered_after_dense", False) and index and layer.layer is None:
                layer.set_index(index)  # a BatchNorm after Dense l: gamma{l}, beta{l}
            setattr(self, str(position), layer)

    @classmethod
    def from_torch(cls, module: Any) -> Sequential:
        """The ``Sequential`` equivalent to a torch module of ``Linear`` layers, activations
        (``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Identity``), ``BatchNorm1d`` and
        ``Dropout``; needs torch. See ``nn.torch_bridge``."""
        from .torch_bridge import from_torch  # the optional bridge, on top of nn; loads torch

        return from_torch(module)

    def forward(self, X: Any) -> Any:
        A = X
        for layer in self._layers:
            A = layer.forward(A)  # what layer(A) runs, one call less per layer
        return A

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def __repr__(self) -> str:
        lines = [f"  ({i}): {_indent(repr(layer))}" for i, layer in enumerate(self._layers)]
        return "Sequential(\n" + "\n".join(lines) + f"\n)  # {self.num_parameters()} parameters"


def deep_network(
    layer_dims: Sequence[int],
    hidden: str | Callable[[Tensor], Tensor] = "relu",
    output: str | Callable[[Tensor], Tensor] = "sigmoid",
    init: str | Callable[..., Any] = "course",
    seed: Any = None,
) -> Sequential:
    """The course's L-layer model (F4.1): ``layer_dims = [n0, n1, ..., nL]`` gives L Dense
    layers, ``hidden`` activation in layers 1..L-1 and ``output`` in layer L.

    The weights are drawn in order W1, W2, ... from one stream: ``seed=3`` (or
    ``np.random.seed(3)`` and ``seed=None``) reproduces the notebook's
    ``initialize_parameters_deep`` with ``randn * 0.01``.
    """
    if isinstance(layer_dims, str) or not isinstance(layer_dims, Sequence | np.ndarray):
        raise ArgumentTypeError(
            f"deep_network: layer_dims must be a list of ints [n0, n1, ..., nL], not "
            f"{checks.describe_value(layer_dims)}"
        )
    dims = list(layer_dims)
    if len(dims) < 2 or not all(_init.is_count(n) for n in dims):
        raise ArgumentError(
            f"deep_network: layer_dims must list at least two positive ints [n0, ..., nL] "
            f"(n0 = the number of input features), not {layer_dims!r}"
        )
    rng = _init.random_state(seed)
    L = len(dims) - 1
    return Sequential(
        *[
            Dense(dims[l - 1], dims[l], activation=hidden if l < L else output, init=init,
                  seed=rng, layer=l)
            for l in range(1, L + 1)
        ]
    )
