"""The optimizers' base class: the parameters, the checked hyper-parameters, the gradients
checked before anything changes, and the state that saving and resuming need.

Every argument is checked when the optimizer is built (and a hyper-parameter again whenever it
is assigned, ``opt.lr = 0.1``), and every ``step()`` checks all the gradients first
(``checks.checked_gradients``): a step that raises has changed no parameter and no buffer
(validate first, then update).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError, StateDictError, describe
from ..nn.saving import _state_value, load_npz, save_npz
from ..tensor import Tensor
from .checks import check_lr, checked_gradients, parameter_list, state_float, state_int

__all__ = ["Hyperparameter", "Optimizer"]


class Hyperparameter:
    """A checked attribute: ``opt.beta = "x"`` raises the same error as the constructor does,
    and the stored value is a float. The value lives in ``_<name>`` (``step()`` reads that)."""

    def __init__(self, check: Callable[[str, str, Any], float]) -> None:
        self.check = check

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.slot, self.check(type(obj).__name__, self.name, value))



# -- the base class --------------------------------------------------------------------------


class Optimizer:
    """Base class: holds the parameters (each once, in order) and the learning rate.

    ``step()`` checks every gradient first (``checked_gradients``), then updates: a step that
    raises changes nothing. ``state_dict()`` / ``load_state_dict(state)`` / ``save(path)`` /
    ``load(path)`` carry the optimizer's whole state (type, hyper-parameters, per-parameter
    buffers and step counts) so that a saved run resumes exactly where it stopped.
    """

    # the hyper-parameters, in the order of repr and state dicts ("lr" first)
    _hyperparameters: ClassVar[tuple[str, ...]] = ("lr",)
    # state-dict key suffix -> attribute holding one array per parameter (Momentum's v, ...)
    _buffers: ClassVar[dict[str, str]] = {}
    # state-dict key suffix -> attribute holding one int per parameter (Adam's t)
    _counters: ClassVar[dict[str, str]] = {}

    lr = Hyperparameter(check_lr)  # the learning rate α

    def __init__(self, params: Iterable[Tensor], lr: float, **hyper: float) -> None:
        who = type(self).__name__
        checked = {"lr": check_lr(who, "lr", lr)}
        for name, value in hyper.items():  # all checked before any attribute is set
            checked[name] = getattr(type(self), name).check(who, name, value)
        self.params = parameter_list(who, params)
        self._shapes = [p.data.shape for p in self.params]
        self._dtypes = [p.data.dtype for p in self.params]
        for name, value in checked.items():
            setattr(self, "_" + name, value)
        for attribute in self._buffers.values():
            setattr(self, attribute, [np.zeros_like(p.data) for p in self.params])
        for attribute in self._counters.values():
            setattr(self, attribute, [0] * len(self.params))

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``) before the next backward."""
        for p in self.params:
            p.grad = None

    def _gradients(self) -> list[np.ndarray | None]:
        """The parameters' gradients, all checked (see ``checked_gradients``)."""
        return checked_gradients(f"{type(self).__name__}.step", self.params, self._shapes,
                                 self._dtypes)[0]

    def step(self) -> None:
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, float]:
        """``{name: value}`` of the hyper-parameters, ``lr`` first (``beta``, ``eps``, ...)."""
        return {name: getattr(self, "_" + name) for name in self._hyperparameters}

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
            raise ArgumentTypeError(
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
        saved_count = (state_int(who, "num_parameters", state["num_parameters"])
                       if "num_parameters" in state else len(self.params))  # else: missing below
        if saved_count != len(self.params):
            raise StateDictError(
                f"{who}: the state is for {saved_count} parameters, this optimizer has "
                f"{len(self.params)} ({', '.join(describe(p) for p in self.params)}); was it "
                "saved for a model with other layers?"
            )
        expected = ["optimizer", "num_parameters", *self._hyperparameters]
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
        cls = type(self)
        hyper = {name: getattr(cls, name).check(who, name, state_float(who, name, state[name]))
                 for name in self._hyperparameters}
        buffers: list[tuple[np.ndarray, np.ndarray]] = []
        counters: dict[str, list[int]] = {attribute: [] for attribute in self._counters.values()}
        for i, p in enumerate(self.params):
            keys = self._keys(i, p)
            for suffix, attribute in self._buffers.items():
                value = _state_value(f"{type(self).__name__} state {keys[suffix]!r} of parameter "
                                     f"{p.name or i}", state[keys[suffix]], p)
                buffers.append((getattr(self, attribute)[i], value))
            for suffix, attribute in self._counters.items():
                count = state_int(who, keys[suffix], state[keys[suffix]])
                if count < 0:
                    raise ArgumentError(
                        f"{who}: {keys[suffix]} = {count}, a step count must be >= 0")
                counters[attribute].append(count)
        for name, value in hyper.items():
            setattr(self, "_" + name, value)
        for target, value in buffers:
            target[...] = value
        for attribute, counts in counters.items():
            getattr(self, attribute)[:] = counts
        return self

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
