"""``Module``, the course's dense layer ``Dense``, ``Sequential`` and ``deep_network``.

A Module owns parameters (Tensors that require grad) and sub-modules, found by assigning them
as attributes (``self.W = Tensor(..., requires_grad=True)``, ``self.hidden = Dense(2, 4)``).
Parameters are named in the course's notation: ``W1``, ``b1``, ``W2``, ... so that
``state_dict()``, graphs and error messages read like the notes. There is no train/eval
mode (no dropout, no batch norm): calling a module is always the same computation.

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
import secrets
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DtypeError, ShapeError, StateDictError, describe
from ..tensor import Tensor, _as_tensor
from . import init as _init
from .functional import get_activation

__all__ = ["Dense", "Module", "Sequential", "deep_network"]


class Module:
    """Base class of layers and models: parameters, state dicts, saving, ``model(X)``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Tensor) and value.requires_grad and value.is_leaf:
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

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

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: a numpy copy of the values}`` for every parameter, in order."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

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
        params = dict(self.named_parameters())
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
        return save_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> Module:
        """Read parameters saved by ``save`` into this model (same layer sizes); returns self.

        ``"model"`` finds ``model.npz``. A missing file raises ``FileNotFoundError``, a file
        that ``save`` did not write a ``ValueError``; the checks of ``load_state_dict`` apply.
        """
        return self.load_state_dict(load_npz(path, "Module.save"))

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


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def save_npz(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Write ``state`` (named arrays) to ``path`` as ``.npz`` atomically and return the
    path (``.npz`` added as numpy does): written next to its final place, then moved over it,
    so an interrupted save never leaves a half-written file in place of an earlier good one.
    Shared by ``Module.save`` and ``Optimizer.save``."""
    target = Path(os.fspath(path))
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"save: the folder {str(folder)!r} does not exist (create it first, e.g. "
            f"os.makedirs({str(folder)!r}, exist_ok=True))"
        )
    temporary = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # mode 0o666 minus the umask, as np.savez's own file would get (mkstemp's is 0o600)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **state)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target


def load_npz(path: str | os.PathLike, writer: str) -> dict[str, np.ndarray]:
    """The named arrays of a ``.npz`` file written by ``writer`` (``"Module.save"``, ...);
    ``"model"`` finds ``model.npz``. A missing file raises ``FileNotFoundError``, a file that is
    not an archive of plain arrays a ``ValueError`` naming ``writer``."""
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no file {path!r} (nor {path + '.npz'!r}); {writer}(path) writes one"
        )
    not_saved = f"load: {path!r} is not a file written by {writer} (a .npz archive of named arrays)"
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        raise ValueError(f"{not_saved}; numpy cannot read it as one") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{not_saved}; it holds one {type(archive).__name__}")
    with archive:
        try:
            return {name: archive[name] for name in archive.files}
        except ValueError:  # an entry that holds pickled objects
            raise ValueError(f"{not_saved}: it holds Python objects, not arrays") from None


def _state_value(name: str, value: Any, p: Tensor) -> np.ndarray:
    """The array to copy into parameter ``p`` (called ``name``), checked: shape, a real dtype
    that ``p``'s dtype holds without losing digits, no nan or inf."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except ValueError as error:  # a ragged nested list
        raise ShapeError(f"load_state_dict: {name} is not a rectangular array ({error})") from None
    if array.shape != p.shape:
        raise ShapeError(
            f"load_state_dict: {name} has shape {p.shape} in the model but {array.shape} in the "
            "state dict (was it saved from a model with other layer sizes?)"
        )
    if array.dtype.kind not in "biuf":
        raise DtypeError(
            f"load_state_dict: {name} holds {array.dtype} values; parameters are real numbers "
            f"({p.dtype}). Was the state dict built by hand?"
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"load_state_dict: {name} {array.shape} holds {bad} nan/inf value(s); a model with "
            "them predicts nan. Was it saved after training diverged? (Nothing was loaded.)"
        )
    if not np.can_cast(array.dtype, p.dtype, casting="safe"):
        with np.errstate(all="ignore"):
            converted = array.astype(p.dtype)
        if not np.array_equal(converted.astype(array.dtype), array):
            raise DtypeError(
                f"load_state_dict: {name} is {array.dtype} in the state dict but {p.dtype} in "
                f"the model, and converting it would round its values. Convert explicitly if "
                f"that is what you want: {{k: v.astype(np.{p.dtype}) for k, v in state.items()}}"
                f", or build the model with dtype={array.dtype}."
            )
    return array


# ---------------------------------------------------------------------------------------------
# the dense layer
# ---------------------------------------------------------------------------------------------


class Dense(Module):
    """One fully connected layer of the course: ``Z = W @ A_prev + b``, ``A = g(Z)`` (F4.1).

    ``W`` is ``(n_out, n_in)`` and ``b`` is ``(n_out, 1)``, broadcast over the ``m`` columns of
    ``A_prev (n_in, m)`` (examples are columns). ``activation``: "linear" (default), "sigmoid",
    "tanh", "relu", "leaky_relu" (slope ``alpha``) or a function of a Tensor. ``init``:
    "course" (``randn * 0.01``, F8.1), "zeros" (the symmetry demo, F8.2-F8.3), "xavier",
    "he" (see ``nn.init``) or a function ``(n_out, n_in, rng) -> array``; biases start at 0.
    ``seed``: None draws from numpy's global stream (``np.random.seed(2)`` first reproduces
    the notebook), an int, a Generator or a RandomState.

    ``layer`` is the course's index ``l``: the parameters are then called ``W{l}``, ``b{l}``
    and each call names its results ``Z{l}``, ``A{l}``; ``Sequential`` numbers unnumbered
    layers 1..L. Without an index: ``W``, ``b``, ``Z``, ``A``. With the linear activation
    ``A{l}`` is ``Z{l}`` itself.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | Callable[[Tensor], Tensor] = "linear",
        init: str | Callable[..., Any] = "course",
        seed: Any = None,
        layer: int | None = None,
        alpha: float = 0.01,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        if callable(init):
            init_name, make_weights = getattr(init, "__name__", "custom"), init
        elif init in _init.INITS:
            init_name, make_weights = init, _init.INITS[init]
        else:
            raise ValueError(
                f"unknown init {init!r}: use one of {', '.join(map(repr, _init.INITS))} or a "
                "function (n_out, n_in, rng) -> array of shape (n_out, n_in)"
            )
        self.activation, self._activate = get_activation(activation, alpha)
        self.alpha = float(alpha)
        self.init = init_name
        self.n_in, self.n_out = int(n_in), int(n_out)
        weights = np.asarray(make_weights(n_out, n_in, _init.random_state(seed)))
        if weights.shape != (self.n_out, self.n_in):
            raise ShapeError(
                f"Dense: init {init_name!r} returned an array of shape {weights.shape}; W must "
                f"be (n_out, n_in) = ({self.n_out}, {self.n_in})"
            )
        self.W = Tensor(weights, requires_grad=True, dtype=dtype)
        self.b = Tensor(np.zeros((self.n_out, 1)), requires_grad=True, dtype=dtype)
        self.layer: int | None = None
        self.set_index(layer)

    def set_index(self, layer: int | None) -> None:
        """Give the layer the course's index ``l``: names ``W{l}``, ``b{l}``, ``Z{l}``, ``A{l}``."""
        if layer is not None and not _init.is_count(layer):
            raise ValueError(f"Dense: layer must be a positive int (1..L), not {layer!r}")
        self.layer = None if layer is None else int(layer)
        suffix = "" if layer is None else str(int(layer))
        self.W.name, self.b.name = f"W{suffix}", f"b{suffix}"
        self._z_name, self._a_name = f"Z{suffix}", f"A{suffix}"

    def forward(self, A_prev: Any) -> Tensor:
        """``A_prev (n_in, m)`` → ``A (n_out, m)``; numpy arrays and Tensors are accepted."""
        if type(A_prev) is not Tensor:
            A_prev = self._input_tensor(A_prev)
        shape = A_prev.data.shape
        if len(shape) != 2 or shape[0] != self.n_in:
            raise ShapeError(self._input_message(A_prev))
        Z = self.W @ A_prev + self.b  # Z[l] = W[l] A[l-1] + b[l]
        Z.name = self._z_name
        A = self._activate(Z)  # A[l] = g[l](Z[l])
        if A is not Z:
            A.name = self._a_name
        return A

    def _input_tensor(self, values: Any) -> Tensor:
        """An input batch as a constant tensor named in the course's notation (``X`` for the
        first layer, ``A{l-1}`` after it); no copy for a float numpy array."""
        what = f"Dense layer {self.layer}" if self.layer else "Dense layer"
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            A_prev = _as_tensor(values)
        else:
            try:
                array = np.asarray(values)
            except ValueError as error:  # ragged nested lists
                raise ShapeError(
                    f"{what} got a nested list whose rows have different lengths ({error}); "
                    f"it expects a rectangular ({self.n_in}, m) array, one column per example."
                ) from None
            if array.dtype.kind not in "biuf":
                raise DtypeError(
                    f"{what} got input of dtype {array.dtype}: it computes with real numbers. "
                    "Convert the data first, e.g. np.asarray(X, dtype=float) (text must be "
                    "turned into numbers, complex values have no place in these models)."
                )
            A_prev = Tensor(array, dtype=np.float64 if array.dtype.kind != "f" else None)
        A_prev.name = "X" if self.layer in (None, 1) else f"A{self.layer - 1}"
        return A_prev

    def _input_message(self, A_prev: Tensor) -> str:
        shape = A_prev.shape
        what = f"Dense layer {self.layer}" if self.layer else "Dense layer"
        expected = f"({self.n_in}, m)"
        if len(shape) == 1:
            return (
                f"{what} got {describe(A_prev)}, a rank-1 array, where it expects {expected} "
                f"(n[l-1] = {self.n_in} rows, one column per example). Rank-1 arrays behave "
                "neither as rows nor as columns (F7.4): use X.reshape(-1, 1) for one example "
                "(n, 1) or reshape to (1, n) — and assert the shapes."
            )
        if len(shape) == 2 and shape[1] == self.n_in:
            return (
                f"{what} got {describe(A_prev)} where it expects {expected}: it looks like an "
                f"(m, n_x) matrix with one example per row. The course puts examples in columns: "
                f"pass X.T, of shape {shape[::-1]}."
            )
        return (
            f"{what} got {describe(A_prev)} where it expects {expected}: W is "
            f"({self.n_out}, {self.n_in}), so A[l-1] needs {self.n_in} rows (examples are "
            "columns)."
        )

    def extra_repr(self) -> str:
        return f"{self.n_in} -> {self.n_out}, {self.activation}"

    def __repr__(self) -> str:
        return (
            f"Dense({self.extra_repr()})  {describe(self.W)}, {describe(self.b)}"
        )



# ---------------------------------------------------------------------------------------------
# stacks of layers
# ---------------------------------------------------------------------------------------------


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
            raise ValueError(
                "Sequential needs at least one layer, e.g. nn.Sequential(nn.Dense(2, 4, "
                "activation='tanh'), nn.Dense(4, 1, activation='sigmoid'))"
            )
        for position, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: item {position} is a {type(layer).__name__}, not a Module "
                    "(give layers such as nn.Dense(n_in, n_out, activation=...))"
                )
        self._layers = tuple(layers)
        index = 0
        for position, layer in enumerate(layers):
            if isinstance(layer, Dense):
                index += 1
                if layer.layer is None:
                    layer.set_index(index)
            setattr(self, str(position), layer)

    @classmethod
    def from_torch(cls, module: Any) -> Sequential:
        """The ``Sequential`` of ``Dense`` layers equivalent to a torch module of ``Linear``
        layers and activations (``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Identity``);
        needs torch. See ``nn.torch_bridge``."""
        from .torch_bridge import from_torch  # the optional bridge, on top of nn; loads torch

        return from_torch(module)

    def forward(self, X: Any) -> Any:
        A = X
        for layer in self._layers:
            A = layer(A)
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
    dims = list(layer_dims)
    if len(dims) < 2 or not all(_init.is_count(n) for n in dims):
        raise ValueError(
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
