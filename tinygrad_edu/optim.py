"""Optimizers: gradient descent (F1.7), momentum and Adam, updating parameters in place.

    opt = optim.SGD(model.parameters(), lr=1.2)
    opt.zero_grad(); J.backward(); opt.step()

``step()`` changes each parameter's ``.data`` array in place (no new Tensor, no graph) using
its ``.grad``; a parameter whose ``.grad`` is None (it did not take part in the cost) is left
alone. ``zero_grad()`` sets every ``.grad`` to None. ``lr`` may be changed between steps
(``opt.lr = 0.1``) for a schedule.

To resume training later, save the optimizer beside the model (Adam's moments and step counts,
Momentum's velocity are part of where training is)::

    model.save("run"); opt.save("run_opt")
    # later, a fresh model and optimizer built the same way:
    model.load("run"); opt.load("run_opt")  # training continues bit for bit
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .errors import StateDictError, describe
from .nn.module import _state_value, load_npz, save_npz
from .tensor import Tensor

__all__ = ["SGD", "Adam", "Momentum", "Optimizer"]


class Optimizer:
    """Base class: holds the parameters (each once, in order) and the learning rate.

    ``state_dict()`` / ``load_state_dict(state)`` / ``save(path)`` / ``load(path)`` carry the
    optimizer's whole state (type, hyper-parameters, per-parameter buffers and step counts) so
    that a saved run resumes exactly where it stopped.
    """

    # state-dict key suffix -> attribute holding one array per parameter (Momentum's v, ...)
    _buffers: ClassVar[dict[str, str]] = {}
    # state-dict key suffix -> attribute holding one int per parameter (Adam's t)
    _counters: ClassVar[dict[str, str]] = {}

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        if isinstance(params, Tensor):
            params = [params]
        unique: list[Tensor] = []
        seen: set[int] = set()
        for position, p in enumerate(params):
            if not isinstance(p, Tensor):
                hint = (
                    " (did you pass the model itself? use model.parameters())"
                    if hasattr(p, "parameters")
                    else ""
                )
                raise TypeError(
                    f"{type(self).__name__}: item {position} of params is a "
                    f"{type(p).__name__}, not a Tensor{hint}"
                )
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: the parameter {describe(p)} "
                    + (
                        "does not require grad, so it never gets a gradient to follow. Create "
                        "it with Tensor(..., requires_grad=True)."
                        if not p.requires_grad
                        else "was computed by an op; only leaf tensors can be parameters."
                    )
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError(
                f"{type(self).__name__}: the parameter list is empty (was model.parameters() "
                "already used up, or does the model have no layers?)"
            )
        self.params = unique
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate α."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_lr(value, type(self).__name__)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, float]:
        """``{name: value}`` of the hyper-parameters, ``lr`` first (``beta``, ``eps``, ...)."""
        return {"lr": self._lr}

    # -- state -------------------------------------------------------------------------------

    def _keys(self, i: int, p: Tensor) -> dict[str, str]:
        """``{suffix: state key}`` for parameter ``i``: ``"0.W1.v"`` is W1's v (position 0)."""
        return {suffix: f"{i}.{p.name or 'param'}.{suffix}"
                for suffix in (*self._buffers, *self._counters)}

    def state_dict(self) -> dict[str, Any]:
        """Everything ``step()`` depends on, as numpy values (copies): ``"optimizer"`` (the
        class name), ``"num_parameters"``, the hyper-parameters (``"lr"``, ``"beta"``, ...) and,
        per parameter ``i`` called ``name``, its buffers ``"i.name.v"`` (and Adam's ``s``, and
        its step count ``t``)."""
        state: dict[str, Any] = {
            "optimizer": np.str_(type(self).__name__),
            "num_parameters": np.int64(len(self.params)),
        }
        state.update({name: np.float64(value) for name, value in self.hyperparameters().items()})
        for i, p in enumerate(self.params):
            keys = self._keys(i, p)
            for suffix, attribute in self._buffers.items():
                state[keys[suffix]] = getattr(self, attribute)[i].copy()
            for suffix, attribute in self._counters.items():
                state[keys[suffix]] = np.int64(getattr(self, attribute)[i])
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> Optimizer:
        """Restore a state saved by ``state_dict()`` of the same optimizer type over the same
        parameters (same number, order, names and shapes); returns self. The buffers are
        copied in place and the hyper-parameters, ``lr`` included, become the saved ones.

        Refused, with nothing changed: another optimizer type, another number of parameters or
        other names (``StateDictError``, a ``KeyError``), a buffer of another shape
        (``ShapeError`` naming the parameter and both shapes), nan/inf or out-of-range values
        (``ValueError``).
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{who}: expected a dict such as optimizer.state_dict() returns, not a "
                f"{type(state).__name__}"
            )
        saved_type = str(state["optimizer"]) if "optimizer" in state else None
        if saved_type != type(self).__name__:
            raise StateDictError(
                f"{who}: the state was saved by "
                + (f"{saved_type}" if saved_type else "no optimizer (it has no 'optimizer' "
                   "entry; is it a model's state dict?)")
                + f", not by {type(self).__name__}; build the optimizer that was saved "
                f"(optim.{saved_type or type(self).__name__}(model.parameters(), ...)) to resume."
            )
        saved_count = (_state_int(who, "num_parameters", state["num_parameters"])
                       if "num_parameters" in state else len(self.params))  # else: missing below
        if saved_count != len(self.params):
            raise StateDictError(
                f"{who}: the state is for {saved_count} parameters, this optimizer has "
                f"{len(self.params)} ({', '.join(describe(p) for p in self.params)}); was it "
                "saved for a model with other layers?"
            )
        expected = ["optimizer", "num_parameters", *self.hyperparameters()]
        for i, p in enumerate(self.params):
            expected.extend(self._keys(i, p).values())
        missing = [key for key in expected if key not in state]
        unexpected = [key for key in state if key not in expected]
        if missing or unexpected:
            raise StateDictError(
                f"{who}: "
                + "; ".join(part for part in (f"missing {missing}" if missing else "",
                                              f"unexpected {unexpected}" if unexpected else "")
                            if part)
                + ". Keys are 'position.name.buffer' for the parameters "
                f"{[p.name for p in self.params]}: was the state saved for a model whose "
                "parameters have other names or order?"
            )
        # check everything first, then change anything
        hyper = {name: self._check_hyperparameter(name, _state_float(who, name, state[name]))
                 for name in self.hyperparameters()}
        buffers: list[tuple[np.ndarray, np.ndarray]] = []
        counters: dict[str, list[int]] = {attribute: [] for attribute in self._counters.values()}
        for i, p in enumerate(self.params):
            keys = self._keys(i, p)
            for suffix, attribute in self._buffers.items():
                value = _state_value(f"{type(self).__name__} state {keys[suffix]!r} of parameter "
                                     f"{p.name or i}", state[keys[suffix]], p)
                buffers.append((getattr(self, attribute)[i], value))
            for suffix, attribute in self._counters.items():
                count = _state_int(who, keys[suffix], state[keys[suffix]])
                if count < 0:
                    raise ValueError(f"{who}: {keys[suffix]} = {count}, a step count must be >= 0")
                counters[attribute].append(count)
        for name, value in hyper.items():
            setattr(self, name, value)  # lr through its property
        for target, value in buffers:
            target[...] = value
        for attribute, counts in counters.items():
            getattr(self, attribute)[:] = counts
        return self

    def _check_hyperparameter(self, name: str, value: float) -> float:
        if name == "lr":
            return _check_lr(value, type(self).__name__)
        if name.startswith("beta"):
            _check_beta(value, name)
        elif name == "eps":
            _check_eps(value)
        return value

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``state_dict()`` to a ``.npz`` file, atomically like ``Module.save``, and return
        its path (``"opt"`` -> ``opt.npz``)."""
        return save_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> Optimizer:
        """Read a state written by ``save`` into this optimizer (``load_state_dict``'s checks
        apply); returns self."""
        return self.load_state_dict(load_npz(path, f"{type(self).__name__}.save"))

    def __repr__(self) -> str:
        hyper = ", ".join(f"{name}={value}" for name, value in self.hyperparameters().items())
        return f"{type(self).__name__}({hyper}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Gradient descent (F1.7): ``W := W - α dW``, ``b := b - α db``."""

    def step(self) -> None:
        lr = self._lr
        for p in self.params:
            g = p.grad
            if g is not None:
                p.data -= lr * g  # W := W - α dW


class Momentum(Optimizer):
    """Gradient descent with momentum, in the course's form:
    ``v := β v + (1 - β) dW``, ``W := W - α v`` (v starts at 0).

    (PyTorch's SGD momentum writes ``v := β v + dW``, the same with α scaled by 1/(1 - β).)
    """

    _buffers: ClassVar[dict[str, str]] = {"v": "velocity"}

    def __init__(self, params: Iterable[Tensor], lr: float, beta: float = 0.9) -> None:
        super().__init__(params, lr)
        _check_beta(beta, "beta")
        self.beta = float(beta)
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def hyperparameters(self) -> dict[str, float]:
        return {"lr": self._lr, "beta": self.beta}

    def step(self) -> None:
        lr, beta = self._lr, self.beta
        for p, v in zip(self.params, self.velocity):
            g = p.grad
            if g is not None:
                v *= beta
                v += (1.0 - beta) * g  # v = β v + (1 - β) dW
                p.data -= lr * v  # W := W - α v


class Adam(Optimizer):
    """Adam, with bias correction (t counts this parameter's steps, from 1):
    ``v := β1 v + (1 - β1) dW``, ``s := β2 s + (1 - β2) dW²``,
    ``W := W - α (v / (1 - β1^t)) / (sqrt(s / (1 - β2^t)) + ε)``.
    """

    _buffers: ClassVar[dict[str, str]] = {"v": "first_moment", "s": "second_moment"}
    _counters: ClassVar[dict[str, str]] = {"t": "steps"}

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        _check_beta(beta1, "beta1")
        _check_beta(beta2, "beta2")
        _check_eps(eps)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.first_moment = [np.zeros_like(p.data) for p in self.params]
        self.second_moment = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)

    def hyperparameters(self) -> dict[str, float]:
        return {"lr": self._lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def step(self) -> None:
        lr, beta1, beta2, eps = self._lr, self.beta1, self.beta2, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            t = self.steps[i] = self.steps[i] + 1
            v, s = self.first_moment[i], self.second_moment[i]
            v *= beta1
            v += (1.0 - beta1) * g  # v = β1 v + (1 - β1) dW
            s *= beta2
            s += (1.0 - beta2) * (g * g)  # s = β2 s + (1 - β2) dW²
            v_hat = v / (1.0 - beta1**t)
            s_hat = s / (1.0 - beta2**t)
            p.data -= lr * v_hat / (np.sqrt(s_hat) + eps)


def _check_lr(value: Any, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"{who}: lr must be a number, not {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{who}: the learning rate must be a positive finite number, "
            f"not {value!r} (the course's flower network uses 1.2)"
        )
    return float(value)


def _check_eps(eps: float) -> None:
    if not (eps > 0):
        raise ValueError(f"Adam: eps must be positive, not {eps!r}")


def _state_float(who: str, key: str, value: Any) -> float:
    """A real finite number from a state dict entry (a Python or numpy scalar, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iuf":
        raise ValueError(f"{who}: {key} must be one real number, not {value!r}")
    if not np.isfinite(array):
        raise ValueError(
            f"{who}: {key} is {float(array)}; was the state saved after training diverged? "
            "(Nothing was loaded.)"
        )
    return float(array)


def _state_int(who: str, key: str, value: Any) -> int:
    """An integer from a state dict entry (a Python or numpy int, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iu":
        raise ValueError(f"{who}: {key} must be one integer, not {value!r}")
    return int(array)


def _check_beta(beta: float, label: str) -> None:
    if not (0.0 <= beta < 1.0):
        raise ValueError(f"{label} must be in [0, 1) (an exponential average), not {beta!r}")
