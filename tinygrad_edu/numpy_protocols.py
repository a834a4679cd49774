"""numpy's functions on Tensors: ``np.dot(W, X) + b`` records the graph, as the notes write it.

numpy hands a call that meets a Tensor to ``Tensor.__array_ufunc__`` (element-wise functions:
``np.exp``, ``np.multiply``, ``ndarray * Tensor``, ...) or ``Tensor.__array_function__``
(``np.dot``, ``np.sum``, ``np.where``, ...). Both land here, in two dispatch tables from the
numpy function to the Tensor op with the *existing* derivative rule: ``np.sum(Z, axis=1,
keepdims=True)`` is ``Z.sum(axis=1, keepdims=True)``, the same op and the same bits. There is
no second set of rules.

* ``RECORDED_UFUNCS`` / ``RECORDED_FUNCTIONS``: record the graph, return a Tensor. Arguments
  may be Tensors, arrays or numbers in any position; keywords as numpy takes them (``axis``,
  ``keepdims``); ``out=`` is refused (the result is a new Tensor; write ``Z = np.exp(Z)``).
* ``CONSTANT_UFUNCS`` / ``CONSTANT_FUNCTIONS``: results that carry no gradient — comparisons,
  ``np.isnan``, ``np.sign``, ``np.round``, ``np.argmax``, ... (their derivative is 0 wherever
  it exists, as in PyTorch): a constant Tensor that does not require grad.
* ``PLAIN_FUNCTIONS``: questions about the array (``np.shape``, ``np.ndim``, ``np.size``,
  ``np.allclose``, ...): numpy's plain answer.
* any other numpy function: refused with ``NoRuleError`` when a Tensor argument requires grad
  and grad mode is on (the graph would be lost); otherwise — no argument requires grad, or
  inside ``no_grad()`` — numpy runs on the values and returns its plain result (an ndarray).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .core import rules
from .core.modes import MODE
from .core.tensor import Tensor, _as_tensor, binary
from .errors import NoRuleError, describe
from .ops import elementwise, selection

_NO_VALUE = np._NoValue  # numpy's "argument not given" default


# ---------------------------------------------------------------------------------------------
# element-wise functions (__array_ufunc__)
# ---------------------------------------------------------------------------------------------


def _power(x: Any, y: Any) -> Tensor:
    """``np.power(x, y)`` = ``x ** y``: a number exponent is PowScalar, a tensor one Pow."""
    if type(x) is not Tensor:
        x = _as_tensor(x, y if type(y) is Tensor else None)
    if type(y) is np.ndarray and y.ndim == 0:
        y = y[()]  # np.power(Z, np.float64(2)) arrives as a 0-d array
    return x**y


RECORDED_UFUNCS: dict[Any, Callable[..., Tensor]] = {
    np.add: lambda x, y: binary(rules.Add, x, y),
    np.subtract: lambda x, y: binary(rules.Sub, x, y),
    np.multiply: lambda x, y: binary(rules.Mul, x, y),
    np.divide: lambda x, y: binary(rules.Div, x, y),  # np.true_divide is np.divide
    np.power: _power,
    np.matmul: lambda x, y: binary(rules.MatMul, x, y),
    np.maximum: lambda x, y: binary(elementwise.Maximum, x, y),
    np.minimum: lambda x, y: binary(elementwise.Minimum, x, y),
    np.negative: lambda x: -_as_tensor(x),
    np.positive: lambda x: _as_tensor(x),
    np.exp: lambda x: _as_tensor(x).exp(),
    np.log: lambda x: _as_tensor(x).log(),
    np.sqrt: lambda x: _as_tensor(x).sqrt(),
    np.tanh: lambda x: _as_tensor(x).tanh(),
    np.absolute: lambda x: abs(_as_tensor(x)),  # np.abs is np.absolute
    np.fabs: lambda x: abs(_as_tensor(x)),
    np.square: lambda x: _as_tensor(x) ** 2,
    np.reciprocal: lambda x: binary(rules.Div, 1.0, x),
}

CONSTANT_UFUNCS = frozenset({
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.invert,
    np.isnan, np.isinf, np.isfinite, np.signbit,
    np.sign, np.floor, np.ceil, np.rint, np.trunc,
})


def _values(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, list | tuple) and any(isinstance(i, Tensor) for i in x):
        return type(x)(_values(i) for i in x)
    return x


def _constant(data: Any) -> Tensor:
    return Tensor._from_op(data, None)


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: run the Tensor op that has ``ufunc``'s derivative rule."""
    if method == "__call__":
        if kwargs:
            _check_ufunc_keywords(ufunc, kwargs)
        rule = RECORDED_UFUNCS.get(ufunc)
        if rule is not None:
            return rule(*inputs)
        if ufunc in CONSTANT_UFUNCS:
            return _constant(ufunc(*[_values(x) for x in inputs], **kwargs))
    _refuse_if_recording(f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"),
                         inputs, _UFUNC_HINTS.get(ufunc.__name__, ""))
    return getattr(ufunc, method)(*[_values(x) for x in inputs], **_values_kwargs(kwargs))


def _check_ufunc_keywords(ufunc: Any, kwargs: dict) -> None:
    name = f"np.{ufunc.__name__}"
    out = kwargs.pop("out", None)
    if out is not None:
        _refuse_out(name)
    for key, default in (("dtype", None), ("where", True), ("casting", "same_kind"),
                         ("order", "K"), ("subok", True)):
        if key in kwargs and (kwargs[key] is default or kwargs[key] == default):
            del kwargs[key]
    if kwargs:
        raise NoRuleError(
            f"{name}(..., {', '.join(f'{k}=' for k in kwargs)}) on a Tensor: tinygrad_edu's "
            f"{name} takes its inputs only (no {', '.join(kwargs)}); call it without, and "
            "convert the result with .astype(...) if you need another dtype."
        )


def _refuse_out(name: str) -> None:
    raise NoRuleError(
        f"{name}(..., out=...) on a Tensor: out= is not supported; the result is a new Tensor "
        "(writing into an existing one would change values the graph may still need). Assign "
        f"the result instead, e.g. Z = {name}(Z)."
    )


_UFUNC_HINTS = {
    "log1p": "np.log(1 + x)", "expm1": "np.exp(x) - 1", "float_power": "np.power(x, p)",
    "exp2": "np.power(2.0, x)", "log2": "np.log(x) / np.log(2)", "log10": "np.log(x) / np.log(10)",
    "cbrt": "np.power(x, 1 / 3)", "fmax": "np.maximum", "fmin": "np.minimum",
}


# ---------------------------------------------------------------------------------------------
# numpy functions (__array_function__)
# ---------------------------------------------------------------------------------------------


def _given(name: str, **options: Any) -> None:
    """Refuse numpy options that tinygrad_edu's op does not have (``out``, ``where``, ...)."""
    for key, value in options.items():
        if value is _NO_VALUE or value is None or (key == "where" and value is True):
            continue
        if key == "out":
            _refuse_out(name)
        raise NoRuleError(
            f"{name}(..., {key}={value!r}) on a Tensor: tinygrad_edu's {name} has no {key}= "
            f"option; leave it out (numpy's default), or work on t.numpy() for plain values."
        )


def _keepdims(keepdims: Any) -> bool:
    return False if keepdims is _NO_VALUE else bool(keepdims)


def _sum(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE,
         where=_NO_VALUE):
    if dtype is not None or out is not None or initial is not _NO_VALUE or where is not _NO_VALUE:
        _given("np.sum", dtype=dtype, out=out, initial=initial, where=where)
    return _as_tensor(a).sum(axis, keepdims is not _NO_VALUE and bool(keepdims))


def _mean(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, *, where=_NO_VALUE):
    if dtype is not None or out is not None or where is not _NO_VALUE:
        _given("np.mean", dtype=dtype, out=out, where=where)
    return _as_tensor(a).mean(axis, keepdims is not _NO_VALUE and bool(keepdims))


def _max(a, axis=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE, where=_NO_VALUE):
    _given("np.max", out=out, initial=initial, where=where)
    return _as_tensor(a).max(axis, _keepdims(keepdims))


def _min(a, axis=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE, where=_NO_VALUE):
    _given("np.min", out=out, initial=initial, where=where)
    return _as_tensor(a).min(axis, _keepdims(keepdims))


def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *, where=_NO_VALUE,
         mean=_NO_VALUE, correction=_NO_VALUE):
    _given("np.var", dtype=dtype, out=out, where=where, mean=mean, correction=correction)
    return _as_tensor(a).var(axis, ddof=ddof, keepdims=_keepdims(keepdims))


def _std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *, where=_NO_VALUE,
         mean=_NO_VALUE, correction=_NO_VALUE):
    _given("np.std", dtype=dtype, out=out, where=where, mean=mean, correction=correction)
    return _as_tensor(a).var(axis, ddof=ddof, keepdims=_keepdims(keepdims)).sqrt()


def _dot(a, b, out=None):
    """``np.dot``: a matrix product for vectors and matrices, ``*`` when one is a scalar."""
    if out is not None:
        _refuse_out("np.dot")
    a_ndim = a.data.ndim if type(a) is Tensor else np.ndim(a)
    b_ndim = b.data.ndim if type(b) is Tensor else np.ndim(b)
    if a_ndim == 2 and b_ndim == 2:  # the course's case: W @ A_prev
        return binary(rules.MatMul, a, b)
    if a_ndim == 0 or b_ndim == 0:
        return binary(rules.Mul, a, b)
    if a_ndim > 2 or b_ndim > 2:
        raise NoRuleError(
            f"np.dot of arrays with {a_ndim} and {b_ndim} axes on a Tensor: numpy's dot of "
            "stacked arrays is not a matrix product of the stacks, and tinygrad_edu has no rule "
            "for it; use np.matmul(a, b) (a @ b), which multiplies stacks of matrices."
        )
    return binary(rules.MatMul, a, b)


def _outer(a, b, out=None):
    """``np.outer(a, b)`` = a.reshape(-1, 1) * b.reshape(1, -1) (reshape and mul rules)."""
    _given("np.outer", out=out)
    a, b = _as_tensor(a), _as_tensor(b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _squeeze(a, axis=None):
    return _as_tensor(a).squeeze(axis)


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if shape is None:
        shape = newshape
    if order != "C":
        _given("np.reshape", order=order)
    return _as_tensor(a).reshape(shape)


def _transpose(a, axes=None):
    return _as_tensor(a).transpose(axes) if axes is not None else _as_tensor(a).transpose()


def _ravel(a, order="C"):
    if order != "C":
        _given("np.ravel", order=order)
    return _as_tensor(a).flatten()


def _concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _given("np.concatenate", out=out, dtype=dtype)
    if axis is None:
        return selection.concatenate([_as_tensor(t).flatten() for t in arrays], 0)
    return selection.concatenate([_as_tensor(t) for t in arrays], axis)


def _stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _given("np.stack", out=out, dtype=dtype)
    return selection.stack([_as_tensor(t) for t in arrays], axis)


def _where(condition, x=_NO_VALUE, y=_NO_VALUE):
    if x is _NO_VALUE and y is _NO_VALUE:  # np.where(C): the indices, no values involved
        return np.where(_values(condition))
    if x is _NO_VALUE or y is _NO_VALUE:
        raise ValueError("np.where: give both x and y, or neither (numpy's rule)")
    if isinstance(condition, Tensor) and condition.requires_grad:
        raise NoRuleError(
            f"np.where(C, x, y): the condition {describe(condition)} requires grad, but a "
            "condition only selects (it has no gradient); pass a comparison such as Z > 0, or "
            "C.detach()."
        )
    return elementwise.Where.apply(condition, x, y)


def _clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE,
          **kwargs):
    _given("np.clip", out=out, **kwargs)
    low = a_min if a_min is not _NO_VALUE else min
    high = a_max if a_max is not _NO_VALUE else max
    bounds = []
    for bound in (low, high):
        if bound is _NO_VALUE:
            bound = None
        if isinstance(bound, Tensor):
            if bound.requires_grad and MODE.grad:
                raise NoRuleError(
                    f"np.clip: the bound {describe(bound)} requires grad, and clip has no rule "
                    "for the gradient of its bounds; use np.maximum(a, low) and "
                    "np.minimum(a, high), which have one."
                )
            bound = bound.data
        bounds.append(bound)
    return _as_tensor(a).clip(*bounds)


def _constant_of(func: Any) -> Callable[..., Tensor]:
    def run(*args: Any, **kwargs: Any) -> Tensor:
        return _constant(func(*[_values(a) for a in args], **_values_kwargs(kwargs)))

    return run


def _plain(func: Any) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return func(*[_values(a) for a in args], **_values_kwargs(kwargs))

    return run


def _values_kwargs(kwargs: dict) -> dict:
    return {k: _values(v) for k, v in kwargs.items()} if kwargs else kwargs


RECORDED_FUNCTIONS: dict[Any, Callable[..., Tensor]] = {
    np.dot: _dot,
    np.sum: _sum,
    np.mean: _mean,
    np.max: _max,
    np.amax: _max,
    np.min: _min,
    np.amin: _min,
    np.var: _var,
    np.std: _std,
    np.squeeze: _squeeze,
    np.reshape: _reshape,
    np.ravel: _ravel,
    np.transpose: _transpose,
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.where: _where,
    np.clip: _clip,
    np.outer: _outer,
}

CONSTANT_FUNCTIONS = frozenset({
    np.round, np.around, np.argmax, np.argmin, np.nonzero, np.count_nonzero, np.any, np.all,
    np.array_equal, np.isclose, np.zeros_like, np.ones_like,
})

PLAIN_FUNCTIONS = frozenset({np.shape, np.ndim, np.size, np.allclose, np.result_type})


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: the recorded op for ``func``, or a constant, or a refusal."""
    rule = RECORDED_FUNCTIONS.get(func)
    if rule is not None:
        return rule(*args, **kwargs)
    if func in CONSTANT_FUNCTIONS:
        result = func(*[_values(a) for a in args], **_values_kwargs(kwargs))
        return _constant(result) if isinstance(result, np.ndarray | np.generic) else result
    if func in PLAIN_FUNCTIONS:
        return func(*[_values(a) for a in args], **_values_kwargs(kwargs))
    name = f"np.{func.__name__}"
    _refuse_if_recording(name, (*args, *kwargs.values()), _FUNCTION_HINTS.get(func.__name__, ""))
    return func(*[_values(a) for a in args], **_values_kwargs(kwargs))


_FUNCTION_HINTS = {
    "tensordot": "np.matmul (a @ b)", "einsum": "np.matmul (a @ b) and reshape",
    "prod": "np.exp(np.sum(np.log(x)))  for positive x", "cumsum": "indexing and np.stack",
    "split": "indexing (Z[:k], Z[k:])", "vstack": "np.concatenate(..., axis=0)",
    "hstack": "np.concatenate(..., axis=1)", "expand_dims": "t.reshape(...)",
    "broadcast_to": "t.broadcast_to(shape)", "swapaxes": "t.swapaxes(a, b)",
    "linalg.norm": "np.sqrt(np.sum(np.square(x)))", "norm": "np.sqrt(np.sum(np.square(x)))",
    "average": "np.mean", "nansum": "np.sum", "log1p": "np.log(1 + x)",
}


def _tensors_in(items: Any) -> list:
    found = []
    for item in items:
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, list | tuple):
            found.extend(_tensors_in(item))
    return found


def _refuse_if_recording(name: str, items: Any, hint: str) -> None:
    """The graph must not be lost silently: no rule + an input that requires grad = an error."""
    if not MODE.grad:
        return
    for t in _tensors_in(items):
        if t.requires_grad:
            instead = (
                f"use {hint}, which records the gradient" if hint else
                "write it with ops that have rules (the README lists them under 'Your notebook "
                "code, on Tensors')"
            )
            raise NoRuleError(
                f"{name} on {describe(t)}, which requires grad: tinygrad_edu has no derivative "
                f"rule for {name}, so its result could not carry a gradient and the graph "
                f"would be lost. To differentiate, {instead}; for plain values (no gradient), "
                f"call {name} on t.numpy() or inside no_grad()."
            )


# -- the two numpy hooks of Tensor ----------------------------------------------------------------


def _tensor_array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``np.exp(t)``, ``np_array * t``, ``np.maximum(0, Z)`` run the tensor op (recorded)."""
    if method == "__call__" and not kwargs:
        rule = RECORDED_UFUNCS.get(ufunc)
        if rule is not None:
            return rule(*inputs)
    return array_ufunc(ufunc, method, inputs, kwargs)


def _tensor_array_function(self: Tensor, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    """``np.dot(W, X)``, ``np.sum(Z, axis=1, keepdims=True)``, ``np.where(...)``: the op."""
    rule = RECORDED_FUNCTIONS.get(func)
    if rule is not None:
        return rule(*args, **kwargs)
    return array_function(func, types, args, kwargs)


Tensor.__array_ufunc__ = _tensor_array_ufunc
Tensor.__array_function__ = _tensor_array_function
