"""``Module``, the base of every layer and model: parameters, buffers, train/eval, state dicts.

A Module owns parameters (Tensors that require grad) and sub-modules, found by assigning them
as attributes (``self.W = Tensor(..., requires_grad=True)``, ``self.hidden = Dense(2, 4)``).
Parameters are named in the course's notation: ``W1``, ``b1``, ``W2``, ... so that
``state_dict()``, graphs and error messages read like the notes. ``model.train()`` and
``model.eval()`` set the ``training`` flag of the model and of every layer in it: dropout
(``nn.Dropout``) and batch norm (``nn.BatchNorm``, ``Dense(..., batch_norm=True)``) behave
differently in training and in evaluation; every other layer ignores the flag. Buffers
(batch norm's running averages) are state that is saved and loaded but not learned.

    >>> import numpy as np
    >>> from tinygrad_edu import nn
    >>> np.random.seed(2)
    >>> model = nn.Sequential(nn.Dense(2, 4, activation="tanh"),
    ...                       nn.Dense(4, 1, activation="sigmoid"))
    >>> [name for name, _ in model.named_parameters()]
    ['W1', 'b1', 'W2', 'b2']
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..errors import DtypeError, ShapeError, StateDictError, describe
from ..notebook import module_html
from ..tensor import Tensor
from .saving import _state_value, load_npz, save_npz

__all__ = ["Module"]


class Module:
    """Base class of layers and models: parameters, state dicts, saving, ``model(X)``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if name in self.__dict__.get("_buffers", ()):
            if not isinstance(value, Tensor) or value.requires_grad:
                raise TypeError(f"{type(self).__name__}.{name} is a buffer (state that is not "
                                "learned): assign a Tensor that does not require grad")
            self._buffers[name] = value
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Tensor) and value.requires_grad and value.is_leaf:
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, attr: str, tensor: Tensor) -> Tensor:
        """Keep ``tensor`` (no grad) as state of the module: saved by ``state_dict``/``save``,
        loaded by ``load_state_dict``/``load``, never given to an optimizer (batch norm's
        running averages). Its ``name`` is its name in the state dict (``running_mean1``)."""
        if tensor.requires_grad:
            raise ValueError(f"register_buffer: {describe(tensor)} requires grad; a buffer is "
                             "state that is not learned (use an attribute for a parameter)")
        object.__setattr__(self, attr, tensor)
        self._buffers[attr] = tensor
        return tensor

    # -- training and evaluation -----------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (``mode=True``) or evaluation mode for this module and every module
        inside it (its ``training`` flag); returns self. Only dropout and batch norm look at
        it. ``fit`` trains in training mode; ``predict`` and ``accuracy`` evaluate in eval
        mode; both put the previous mode back afterwards."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be True or False, not {mode!r}")
        stack = [self]
        while stack:
            module = stack.pop()
            object.__setattr__(module, "training", mode)
            stack.extend(module._modules.values())
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): no dropout, batch norm's running averages."""
        return self.train(False)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- parameters --------------------------------------------------------------------------

    def _parameter_paths(self, prefix: str = "") -> Iterator[tuple[str, str, Tensor]]:
        """(attribute path like ``hidden.W``, short name like ``W1``, tensor), in order."""
        for attr, p in self._parameters.items():
            yield prefix + attr, p.name or attr, p
        for attr, module in self._modules.items():
            yield from module._parameter_paths(f"{prefix}{attr}.")

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """``(name, tensor)`` pairs: the course's names (``W1``, ``b1``, ...) when they are
        unique in the model, else attribute paths (``hidden.W``); each tensor once."""
        entries, seen = [], set()
        for path, short, p in self._parameter_paths():
            if id(p) not in seen:
                seen.add(id(p))
                entries.append((path, short, p))
        shorts = [short for _, short, _ in entries]
        use_short = len(set(shorts)) == len(shorts)
        for path, short, p in entries:
            yield (short if use_short else path), p

    def parameters(self) -> list[Tensor]:
        """The parameters (leaf tensors that require grad), each once: give them to an
        optimizer, ``optim.SGD(model.parameters(), lr=1.2)``."""
        return [p for _, p in self.named_parameters()]

    def weights(self) -> list[Tensor]:
        """The weight matrices ``W`` (parameters stored as attribute ``W``): what weight decay
        applies to (F5.1: biases are not decayed)."""
        return [p for path, _, p in self._parameter_paths() if path.rsplit(".", 1)[-1] == "W"]

    def num_parameters(self) -> int:
        """How many numbers the model learns (the sizes of all parameters)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``)."""
        for p in self.parameters():
            p.grad = None

    # -- state -------------------------------------------------------------------------------

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        """``(name, tensor)`` of the buffers (state that is not learned, such as batch norm's
        running averages), named like the parameters: ``running_mean1`` or a path."""
        entries, stack = [], [("", self)]
        while stack:
            prefix, module = stack.pop(0)
            for attr, t in module._buffers.items():
                entries.append((prefix + attr, t.name or attr, t))
            stack[:0] = [(f"{prefix}{attr}.", m) for attr, m in module._modules.items()]
        shorts = [short for _, short, _ in entries]
        use_short = len(set(shorts)) == len(shorts)
        for path, short, t in entries:
            yield (short if use_short else path), t

    def _state_tensors(self) -> dict[str, Tensor]:
        """What ``state_dict`` saves: the parameters, then the buffers."""
        return {**dict(self.named_parameters()), **dict(self.named_buffers())}

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: a numpy copy of the values}`` for every parameter, in order, then every
        buffer (batch norm's running averages)."""
        return {name: p.data.copy() for name, p in self._state_tensors().items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> Module:
        """Copy values into the parameters, in place (the optimizer keeps working).

        Every name must be present and no other (``StateDictError``, a ``KeyError``), with the
        parameter's exact shape (``ShapeError``), real numbers that the parameter's dtype holds
        exactly (``DtypeError``: float32 values load into a float64 model, float64 values load
        into a float32 model only if no digit is lost) and no nan or inf (``ValueError``: such
        a model predicts nan). Otherwise the error lists what differs and nothing is changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict into {type(self).__name__}: expected a dict {{name: array}} "
                f"such as model.state_dict() returns, not a {type(state).__name__}"
            )
        params = self._state_tensors()
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(
                    part
                    for part in (
                        f"missing {missing}" if missing else "",
                        f"unexpected {unexpected}" if unexpected else "",
                    )
                    if part
                )
                + f". The model's parameters are {list(params)}: was the state saved from a "
                "model with other layers (or other names)?"
            )
        values = {name: _state_value(name, state[name], p) for name, p in params.items()}
        for name, p in params.items():
            p.data[...] = values[name]
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """Write the parameters to a ``.npz`` file and return its path (``.npz`` is added when
        the name has another suffix, as numpy does: ``"model"`` -> ``model.npz``).

        The file is written next to its final place and then moved over it, so an interrupted
        save never leaves a half-written file in place of an earlier good one.
        """
        return save_npz(checks.path(path, "Module.save"), self.state_dict())

    def load(self, path: str | os.PathLike) -> Module:
        """Read parameters saved by ``save`` into this model (same layer sizes); returns self.

        ``"model"`` finds ``model.npz``. A missing file raises ``FileNotFoundError``, a file
        that ``save`` did not write a ``ValueError``; the checks of ``load_state_dict`` apply.
        """
        state = load_npz(path, "Module.save")
        try:
            return self.load_state_dict(state)
        except (StateDictError, ShapeError, DtypeError, ValueError) as error:
            message = f"load {os.fspath(path)!r}: {error}"
            raise type(error)(message) from None  # same class, the file named; nothing loaded

    # -- PyTorch -----------------------------------------------------------------------------

    def to_torch(self) -> Any:
        """An equivalent ``torch.nn.Sequential`` (needs torch): ``W`` is ``Linear.weight``,
        ``b[:, 0]`` its bias; torch takes examples as rows, so ``torch_model(X.T)`` is
        ``model(X).T``. See ``nn.torch_bridge``."""
        from .torch_bridge import to_torch  # the optional bridge, on top of nn; loads torch

        return to_torch(self)

    # -- display -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The part of ``repr`` inside the parentheses (sizes, activation)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): {_indent(repr(m))}" for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        body = "\n".join("  " + line for line in lines)
        return f"{head}\n{body}\n)  # {self.num_parameters()} parameters"

    def _repr_html_(self) -> str:
        """Jupyter: the layers and one row per parameter (name, shape, grad state)."""
        return module_html(self)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")
