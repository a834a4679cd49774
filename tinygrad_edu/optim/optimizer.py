"""The optimizers' base class: the parameters, the checked hyper-parameters, the gradients
checked before anything changes, and the state that saving and resuming need.

Every argument is checked when the optimizer is built (and a hyper-parameter again whenever it
is assigned, ``opt.lr = 0.1``), and every ``step()`` checks all the gradients first: a step
that raises has changed no parameter and no buffer (validate first, then update).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    DtypeError,
    GradientError,
    ShapeError,
    StateDictError,
    describe,
)
from ..nn.module import _state_value, load_npz, save_npz
from ..tensor import Tensor

__all__ = ["Hyperparameter", "Optimizer", "checked_gradients", "parameter_list"]


# -- argument checks (shared by the optimizers, the schedules and clip_grad_norm_) -------------


def _number(who: str, name: str, value: Any, expected: str) -> float:
    """``value`` as a float if it is a real number (not a bool), else ``ArgumentTypeError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ArgumentTypeError(f"{who}: {name} must be a number ({expected}), not {value!r}")
    return float(value)


def check_lr(who: str, name: str, value: Any) -> float:
    """A learning rate: a positive finite number."""
    lr = _number(who, name, value, "a positive learning rate such as 0.01")
    if not (math.isfinite(lr) and lr > 0):
        raise ArgumentError(
            f"{who}: the learning rate {name} must be a positive finite number, not {value!r} "
            "(the course's flower network uses 1.2)"
        )
    return lr


def check_beta(who: str, name: str, value: Any) -> float:
    """The weight of an exponential average: in [0, 1)."""
    beta = _number(who, name, value, "in [0, 1), e.g. 0.9")
    if not 0.0 <= beta < 1.0:  # false for nan too
        raise ArgumentError(
            f"{who}: {name} must be in [0, 1) (an exponential average keeps a fraction β of "
            f"the past; 0.9 averages about 10 steps), not {value!r}"
        )
    return beta


def check_eps(who: str, name: str, value: Any) -> float:
    """The ε that keeps a division away from 0: positive and finite."""
    eps = _number(who, name, value, "a small positive number such as 1e-8")
    if not (math.isfinite(eps) and eps > 0):
        raise ArgumentError(
            f"{who}: {name} must be a positive finite number (it keeps dW / (√s + ε) finite "
            f"where s = 0), not {value!r}; the usual value is 1e-8"
        )
    return eps


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


def parameter_list(who: str, params: Any) -> list[Tensor]:
    """The parameters as a list, each once, in order: leaf Tensors that require grad."""
    if isinstance(params, Tensor):
        params = [params]
    expected = ("an iterable of parameters (leaf Tensors that require grad), such as "
                "model.parameters()")
    if hasattr(params, "parameters") and callable(params.parameters):
        raise ArgumentTypeError(
            f"{who}: params is the model {type(params).__name__} itself; pass "
            "model.parameters()"
        )
    if params is None or isinstance(params, str | bytes | np.ndarray | Mapping) or \
            not isinstance(params, Iterable):
        what = "a numpy array (parameters are Tensors with requires_grad=True)" \
            if isinstance(params, np.ndarray) else \
            "a dict (parameter groups are not supported: one optimizer per group)" \
            if isinstance(params, Mapping) else repr(params)
        raise ArgumentTypeError(f"{who}: params must be {expected}, not {what}")
    unique: list[Tensor] = []
    seen: set[int] = set()
    for position, p in enumerate(params):
        if not isinstance(p, Tensor):
            hint = (" (did you pass the model itself? use model.parameters())"
                    if hasattr(p, "parameters") else "")
            raise ArgumentTypeError(
                f"{who}: item {position} of params is a {type(p).__name__}, not a Tensor{hint}"
            )
        if not p.requires_grad or not p.is_leaf:
            raise ArgumentError(
                f"{who}: the parameter {describe(p)} (item {position} of params) "
                + ("does not require grad, so it never gets a gradient to follow. Create "
                   "it with Tensor(..., requires_grad=True)." if not p.requires_grad
                   else "was computed by an op; only leaf tensors can be parameters.")
            )
        if id(p) not in seen:  # a parameter listed twice is stepped once
            seen.add(id(p))
            unique.append(p)
    if not unique:
        raise ArgumentError(
            f"{who}: the parameter list is empty (was model.parameters() already used up, "
            "or does the model have no layers?)"
        )
    return unique


# -- the gradients, checked before anything changes ------------------------------------------


def checked_gradients(who: str, params: list[Tensor], shapes: list[tuple],
                      dtypes: list[np.dtype]) -> tuple[list[np.ndarray | None], float]:
    """Each parameter's ``.grad`` (None where it has none) and ``Σ ‖dW‖²`` over all of them,
    after checking that every gradient is an array of its parameter's shape and dtype, with no
    nan or inf, and that at least one parameter has a gradient.

    ``shapes``/``dtypes`` are the parameters' shapes and dtypes when the optimizer was built
    (its buffers have them). Cost: two tuple comparisons and one ``np.vdot(g, g)`` per
    gradient; the full scan for nan/inf runs only when the sum of squares is not finite.
    """
    grads: list[np.ndarray | None] = []
    total = 0.0
    ndarray, vdot = np.ndarray, np.vdot
    for p, shape, dtype in zip(params, shapes, dtypes):
        g = p.grad
        if g is not None:
            data = p.data
            if (type(g) is not ndarray or g.dtype is not dtype or data.dtype is not dtype
                    or g.shape != shape or data.shape != shape):
                _diagnose(who, p, g, shape, dtype)  # the slow path: raises, or accepts
            total += float(vdot(g, g))  # ‖dW‖²: nan or inf if any entry is
        grads.append(g)
    if not math.isfinite(total):
        _refuse_non_finite(who, params, grads)
    if total == 0.0 and all(g is None for g in grads):
        raise GradientError(
            f"{who}: none of the {len(params)} parameters has a gradient (every .grad is "
            "None), so there is nothing to step. Call J.backward() between zero_grad() and "
            "step()."
        )
    return grads, total


def _diagnose(who: str, p: Tensor, g: Any, shape: tuple, dtype: np.dtype) -> None:
    """Raise the error for a gradient the fast check did not accept (returns if it is fine)."""
    name = describe(p)
    grad = f"{p.name}.grad" if p.name else f"the .grad of {name}"
    if not isinstance(p.data, np.ndarray) or p.data.shape != shape or p.data.dtype != dtype:
        raise ShapeError(
            f"{who}: the parameter {name} is {p.data.dtype} {p.data.shape} now but was "
            f"{dtype} {shape} when the optimizer was built (its buffers have that shape): "
            "its .data was replaced. Build a new optimizer for the new parameter."
        )
    if not isinstance(g, np.ndarray):
        raise DtypeError(
            f"{who}: {grad} is a {type(g).__name__}, not a numpy array; backward() "
            f"fills .grad with an array (to set one by hand: p.grad = np.asarray(..., "
            f"dtype=np.{dtype})). Nothing was changed."
        )
    if g.shape != shape:
        raise ShapeError(
            f"{who}: {grad} has shape {g.shape} but {p.name or 'the parameter'} is {shape}: a "
            "gradient has its parameter's shape (dW is the shape of W). Was .grad set by hand or "
            "swapped between parameters? Nothing was changed."
        )
    if g.dtype != dtype:
        raise DtypeError(
            f"{who}: {grad} is {g.dtype} but {p.name or 'the parameter'} is {dtype}; "
            "backward() gives each gradient its parameter's dtype (convert: p.grad = "
            f"p.grad.astype(np.{dtype})). Nothing was changed."
        )


def _refuse_non_finite(who: str, params: list[Tensor], grads: list) -> None:
    for p, g in zip(params, grads):
        if g is not None and not np.isfinite(g).all():
            bad = int(g.size - np.count_nonzero(np.isfinite(g)))
            raise GradientError(
                f"{who}: {f'{p.name}.grad' if p.name else 'the .grad of ' + describe(p)} "
                f"({g.shape}) holds {bad} nan/inf value(s) of {g.size}; "
                "stepping would write them into the parameter. Nothing was changed. In "
                "training this usually means the learning rate is too large (the weights blew "
                "up; try lr / 10) or the cost overflowed; optim.clip_grad_norm_ bounds the "
                "step, detect_anomaly() finds the op that made the nan."
            )
    # every entry is finite, only the sum of squares overflowed: the gradients are fine


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


def state_float(who: str, key: str, value: Any) -> float:
    """A real finite number from a state dict entry (a Python or numpy scalar, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iuf":
        raise ArgumentError(f"{who}: {key} must be one real number, not {value!r}")
    if not np.isfinite(array):
        raise ArgumentError(
            f"{who}: {key} is {float(array)}; was the state saved after training diverged? "
            "(Nothing was loaded.)"
        )
    return float(array)


def state_int(who: str, key: str, value: Any) -> int:
    """An integer from a state dict entry (a Python or numpy int, a 0-d array)."""
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "iu":
        raise ArgumentError(f"{who}: {key} must be one integer, not {value!r}")
    return int(array)
