"""``Module``, the course's dense layer ``Dense``, ``Sequential`` and ``deep_network``.

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
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    DtypeError,
    SavedFileError,
    ShapeError,
    StateDictError,
    describe,
)
from ..normalization import batch_norm
from ..notebook import module_html
from ..tensor import Tensor, _as_tensor
from . import init as _init
from .functional import get_activation

__all__ = ["Dense", "Module", "Sequential", "deep_network"]


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
    ``"model"`` finds ``model.npz``. A missing file raises ``FileNotFoundError``; a file that
    is not an intact archive of plain arrays (damaged, truncated, foreign, pickled objects)
    a ``SavedFileError`` (a ``ValueError``) naming the file and ``writer``. Every entry is read
    and its CRC-32 checked before anything is returned, so a caller changes nothing unless
    the whole file is good."""
    checks.path(path, writer.replace(".save", ".load"))
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no file {path!r} (nor {path + '.npz'!r}); {writer}(path) writes one"
        )
    not_saved = f"load: {path!r} is not a file written by {writer} (a .npz archive of named arrays)"
    with open(path, "rb") as file:  # a folder or a file without permission: the OS's error
        try:
            archive = np.load(file, allow_pickle=False)
        except Exception as error:  # whatever a damaged file makes numpy raise
            raise SavedFileError(f"{not_saved}; numpy cannot read it as one ({_why(error)})"
                                 ) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SavedFileError(f"{not_saved}; it holds one {type(archive).__name__}")
        with archive:
            try:
                arrays = {name: archive[name] for name in archive.files}
                damaged = archive.zip.testzip()  # every entry's CRC-32, the parts not read too
            except ValueError as error:
                if "pickle" in str(error):  # an entry that holds pickled objects
                    raise SavedFileError(f"{not_saved}: it holds Python objects, not arrays"
                                         ) from None
                raise SavedFileError(f"{not_saved}; it is damaged ({_why(error)})") from None
            except Exception as error:  # zipfile, zlib, numpy's header parser
                raise SavedFileError(f"{not_saved}; it is damaged ({_why(error)})") from None
    if damaged is not None:
        raise SavedFileError(f"{not_saved}; it is damaged (the entry {damaged!r} fails its "
                             "CRC-32 check)")
    return arrays


def _why(error: Exception) -> str:
    text = str(error).strip() or "no details"
    return f"{type(error).__name__}: {text[:200]}"


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
    ``A{l}`` is ``Z{l}`` itself. ``activation="softmax"`` makes the output layer for C
    classes (F11: train it with ``F.categorical_cross_entropy``, ``dZ = (A - Y) / m``).

    ``batch_norm=True`` (F13) normalises ``Z{l} = W{l} A{l-1}`` over the examples before the
    activation: ``Z_tilde{l} = gamma{l} * Z_norm{l} + beta{l}``, ``A{l} = g(Z_tilde{l})``. The
    layer then has no ``b`` (``beta`` takes its place, as in the course), learns ``gamma{l}``
    (ones) and ``beta{l}`` (zeros), both ``(n_out, 1)``, and keeps the buffers
    ``running_mean{l}`` and ``running_var{l}`` for evaluation (``momentum``, ``eps``: see
    ``tinygrad_edu.normalization``).
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
        batch_norm: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        n_in = checks.integer(n_in, "Dense", "n_in", minimum=1, hint="n[l-1]: the inputs' rows.")
        n_out = checks.integer(n_out, "Dense", "n_out", minimum=1, hint="n[l]: the layer's units.")
        batch_norm = checks.boolean(batch_norm, "Dense", "batch_norm")
        if callable(init) and not isinstance(init, type):
            init_name, make_weights = getattr(init, "__name__", "custom"), init
        elif isinstance(init, str) and init in _init.INITS:
            init_name, make_weights = init, _init.INITS[init]
        else:
            raise (ArgumentError if isinstance(init, str) else ArgumentTypeError)(
                f"Dense: unknown init {checks.describe_value(init)}: use one of "
                f"{', '.join(map(repr, _init.INITS))} or a function (n_out, n_in, rng) -> array "
                "of shape (n_out, n_in)"
            )
        alpha = checks.real(alpha, "Dense", "alpha", hint="The leaky_relu slope, e.g. 0.01.")
        dtype = checks.dtype(dtype, "Dense", "dtype")
        if dtype.name not in ("float32", "float64"):
            raise ArgumentError(f"Dense: dtype must be float64 or float32 (parameters are real "
                                f"numbers that get gradients), not {dtype}.")
        rng = _init.random_state(seed)
        self.activation, self._activate = get_activation(activation, alpha)
        self.alpha = alpha
        self.init = init_name
        self.n_in, self.n_out = n_in, n_out
        weights = np.asarray(make_weights(n_out, n_in, rng))
        if weights.shape != (self.n_out, self.n_in):
            raise ShapeError(
                f"Dense: init {init_name!r} returned an array of shape {weights.shape}; W must "
                f"be (n_out, n_in) = ({self.n_out}, {self.n_in})"
            )
        self.W = Tensor(weights, requires_grad=True, dtype=dtype)
        self.batch_norm = batch_norm
        if batch_norm:  # Z̃ = γ Z_norm + β: β plays the part of b, so there is no b
            self.b = None
            self.momentum = checks.real(momentum, "Dense", "momentum", minimum=0.0, maximum=1.0,
                                        hint="PyTorch's convention: 0.1 (the course's β = 0.9).")
            self.eps = checks.real(eps, "Dense", "eps", above=0.0, hint="e.g. 1e-5.")
            self.gamma = Tensor(np.ones((self.n_out, 1)), requires_grad=True, dtype=dtype)
            self.beta = Tensor(np.zeros((self.n_out, 1)), requires_grad=True, dtype=dtype)
            self.register_buffer("running_mean", Tensor(np.zeros((self.n_out, 1)), dtype=dtype))
            self.register_buffer("running_var", Tensor(np.ones((self.n_out, 1)), dtype=dtype))
        else:
            self.b = Tensor(np.zeros((self.n_out, 1)), requires_grad=True, dtype=dtype)
        self.layer: int | None = None
        self.set_index(layer)

    def set_index(self, layer: int | None) -> None:
        """Give the layer the course's index ``l``: names ``W{l}``, ``b{l}``, ``Z{l}``, ``A{l}``."""
        checks.optional_integer(layer, "Dense", "layer", minimum=1, hint="The course's l: 1..L.")
        self.layer = None if layer is None else int(layer)
        suffix = "" if layer is None else str(int(layer))
        self.W.name = f"W{suffix}"
        self._z_name, self._a_name = f"Z{suffix}", f"A{suffix}"
        if self.batch_norm:
            self.gamma.name, self.beta.name = f"gamma{suffix}", f"beta{suffix}"
            self.running_mean.name = f"running_mean{suffix}"
            self.running_var.name = f"running_var{suffix}"
            self._z_tilde_name = f"Z_tilde{suffix}"
        else:
            self.b.name = f"b{suffix}"

    def forward(self, A_prev: Any) -> Tensor:
        """``A_prev (n_in, m)`` → ``A (n_out, m)``; numpy arrays and Tensors are accepted."""
        if type(A_prev) is not Tensor:
            A_prev = self._input_tensor(A_prev)
        shape = A_prev.data.shape
        if len(shape) != 2 or shape[0] != self.n_in:
            raise ShapeError(self._input_message(A_prev))
        if self.batch_norm:
            Z = self.W @ A_prev  # Z[l] = W[l] A[l-1], no b
            Z.name = self._z_name
            Z = batch_norm(Z, self.gamma, self.beta, self.running_mean, self.running_var,
                           self.training, self.momentum, self.eps)  # Z̃ = γ Z_norm + β
            Z.name = self._z_tilde_name
        else:
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
        return f"{self.n_in} -> {self.n_out}, {self.activation}" + (
            ", batch_norm" if self.batch_norm else "")

    def __repr__(self) -> str:
        others = (f"{describe(self.gamma)}, {describe(self.beta)}" if self.batch_norm
                  else describe(self.b))
        return f"Dense({self.extra_repr()})  {describe(self.W)}, {others}"



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
