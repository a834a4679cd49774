"""Gradient checking (F6.1, F6.2): autodiff against central differences.

For every element ``θ_i`` of every input, the numerical gradient is

    g_i ≈ (J(θ + ε e_i) − J(θ − ε e_i)) / (2ε),   ε = 1e-4          (F6.2)

and autodiff passes when the course's relative difference

    ‖g − g_num‖ / (‖g‖ + ‖g_num‖)

is at most ``tol`` (1e-6) *and* every element agrees within ``rtol``/``atol`` (1e-5 / 1e-7),
each allowing for the central difference's own error: it is off by about ε² f'''/6 plus the
rounding of f divided by ε, a large part of a small gradient (a cross-entropy with A ≈ Y:
2e-8 of a 3e-3 gradient). When the fixed tolerances alone are not met, that error is
estimated for every element, ``E = |D(2ε) − D(ε)| + 64 u |f| / ε`` (three times the
truncation error, plus the rounding; ``u`` = 2.2e-16), and added to them:
``|g − g_num| <= atol + rtol |g_num| + E`` and ``‖g − g_num‖ <= tol (‖g‖ + ‖g_num‖) + ‖E‖``.
A derivative off by a thousandth still fails, unless the gradient itself is below about 1e-5.
Float64 only: in float32 the central difference itself is off by about 1e-3.

Dropout off, as the course advises: a dropout op draws a new mask at every evaluation, so
``J(θ + ε)`` and ``J(θ - ε)`` would be different functions; ``gradcheck`` refuses a function
whose graph holds one (``ModeError``): call ``model.eval()`` first (or use ``keep_prob=1``).
Batch norm in training mode is deterministic and checks fine, but every evaluation of ``f``
updates its running averages (call ``model.eval()`` too to leave them alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import checks
from .autograd import grad, no_grad, topological_order
from .errors import ArgumentTypeError, DtypeError, GradcheckError, ModeError, ShapeError, describe
from .tensor import Tensor

_EPS_HINT = "The step of the central difference, e.g. 1e-4 (F6.2)."


@dataclass
class InputReport:
    """How autodiff and the central difference compare on one input tensor."""

    name: str
    shape: tuple
    analytic: np.ndarray
    numeric: np.ndarray
    worst_index: tuple
    worst_error: float

    @property
    def relative_difference(self) -> float:
        return relative_difference(self.analytic, self.numeric)


@dataclass
class GradcheckResult:
    """The outcome of ``gradcheck``: truthy when it passed; ``str()`` is a readable report."""

    passed: bool
    relative_difference: float
    tol: float
    inputs: list[InputReport] = field(default_factory=list)
    difference_error: float | None = None  # ‖E‖, when the fixed tolerances were not enough

    def __bool__(self) -> bool:
        return self.passed

    @property
    def worst(self) -> InputReport | None:
        """The input holding the element where autodiff and the numbers disagree most."""
        return max(self.inputs, key=lambda r: r.worst_error, default=None)

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        allowing = "" if self.difference_error is None else (
            f", plus the central difference's own error {self.difference_error:.1e}")
        lines = [
            f"gradcheck {verdict}: relative difference {self.relative_difference:.3e} "
            f"(tolerance {self.tol:.0e}{allowing})"
        ]
        for r in self.inputs:
            i = r.worst_index
            lines.append(
                f"  {r.name} {r.shape}: relative difference {r.relative_difference:.3e}; worst "
                f"element {i}: autodiff {r.analytic[i]:.10g} vs numerical {r.numeric[i]:.10g}"
            )
        return "\n".join(lines)

    __repr__ = __str__


def relative_difference(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """The course's ``‖g − g_num‖ / (‖g‖ + ‖g_num‖)`` (0 when both are zero)."""
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    if analytic.shape != numeric.shape:
        raise ShapeError(
            f"relative_difference: analytic {analytic.shape} and numeric {numeric.shape} must "
            "have the same shape (two gradients of the same tensor)"
        )
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)


def numerical_gradient(f: Callable[[], Tensor], x: Tensor, eps: float = 1e-4) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every element of ``x`` (F6.2).

    ``x.data`` is nudged in place and restored after every element.
    """
    checks.function(f, "numerical_gradient", "f", "a function of no arguments returning a Tensor")
    checks.tensor(x, "numerical_gradient", "x")
    eps = checks.real(eps, "numerical_gradient", "eps", above=0.0, hint=_EPS_HINT)
    result = np.zeros_like(x.data)
    flat = x.data.reshape(-1)  # a view: writing it writes x.data
    with no_grad():
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = float(np.sum(f().data))
            flat[i] = original - eps
            minus = float(np.sum(f().data))
            flat[i] = original
            result.reshape(-1)[i] = (plus - minus) / (2 * eps)  # (J(θ+ε) − J(θ−ε)) / 2ε
    return result


def _refuse_random_ops(out: Tensor) -> None:
    """``ModeError`` when the graph of ``out`` holds an op that declares ``random = True``."""
    for t in topological_order(out, False):
        ctx = t._ctx
        if ctx is not None and getattr(ctx, "random", False):
            settings = ", ".join(f"{k}={v!r}" for k, v in ctx.attributes().items())
            raise ModeError(
                f"gradcheck: the function uses {ctx.name} ({settings}) on "
                f"{describe(ctx.parents[0])}, which draws a new random mask at every call, so "
                "the central differences would compare different functions. Check gradients "
                "with dropout off, as the course advises: call model.eval() first (or build "
                "the layer with keep_prob=1)."
            )


_ROUNDING = 64 * float(np.finfo(np.float64).eps)  # k u: the rounding of one value of f


def difference_error(f: Callable[[], Tensor], x: Tensor, numeric: np.ndarray,
                     eps: float = 1e-4) -> np.ndarray:
    """An estimate of the error of ``numeric`` (``numerical_gradient(f, x, eps)``), element by
    element: ``|D(2ε) − D(ε)| + 64 u |f| / ε`` (see the module's docstring)."""
    with no_grad():
        rounding = _ROUNDING * abs(float(np.sum(f().data))) / eps
    return np.abs(numerical_gradient(f, x, 2 * eps) - numeric) + rounding


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-4,
    tol: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    raise_on_fail: bool = False,
) -> GradcheckResult:
    """Compare the gradient autodiff gives for ``f(*inputs)`` with central differences.

    ``f`` returns a tensor; if it has more than one element, a fixed random weighting
    ``Σ u ⊙ f`` is checked instead (it covers every output). ``inputs`` must be float64 tensors
    that require grad. Returns a ``GradcheckResult`` (truthy when it passed) that names the
    input and the element that disagree most; with ``raise_on_fail`` a failure raises
    ``GradcheckError`` carrying that report.
    """
    checks.function(f, "gradcheck", "f", "a function of the inputs returning a Tensor")
    tensors, _ = checks.tensor_list(inputs, "gradcheck", "inputs",
                                    hint="e.g. gradcheck(f, [W, b]) with float64 tensors.")
    eps = checks.real(eps, "gradcheck", "eps", above=0.0, hint=_EPS_HINT)
    for arg, value in (("tol", tol), ("rtol", rtol), ("atol", atol)):
        checks.real(value, "gradcheck", arg, minimum=0.0)
    checks.boolean(raise_on_fail, "gradcheck", "raise_on_fail")
    for t in tensors:
        if not t.requires_grad:
            raise DtypeError(f"gradcheck: {describe(t)} must be a Tensor with requires_grad=True")
        if t.dtype != np.float64:
            raise DtypeError(
                f"gradcheck: {describe(t)} is {t.dtype}; central differences need float64 (in "
                "float32 with ε = 1e-4 the numerical gradient is off by about 1e-3)."
            )
    first = f(*tensors)
    if not isinstance(first, Tensor):
        raise ArgumentTypeError(
            f"gradcheck: f returned {checks.describe_value(first)}, not a Tensor; f must compute "
            "its result with Tensor operations on its inputs (no .numpy(), float() or np.* "
            "functions), or there is no gradient to check."
        )
    _refuse_random_ops(first)
    weights = None
    if first.data.size != 1:
        weights = np.random.default_rng(0).normal(size=first.shape)

    def scalar_cost() -> Tensor:
        out = f(*tensors)
        return (out * weights).sum() if weights is not None else out

    analytic = grad(scalar_cost(), tensors)
    if isinstance(analytic, np.ndarray):
        analytic = (analytic,)
    reports = []
    for t, g in zip(tensors, analytic):
        numeric = numerical_gradient(scalar_cost, t, eps)
        error = np.abs(g - numeric) - (atol + rtol * np.abs(numeric))
        worst = np.unravel_index(int(np.argmax(error)), g.shape) if g.size else ()
        reports.append(
            InputReport(
                name=t.name or f"input {len(reports)}",
                shape=t.shape,
                analytic=g,
                numeric=numeric,
                worst_index=tuple(int(i) for i in worst),
                worst_error=float(np.abs(g - numeric)[worst]) if g.size else 0.0,
            )
        )
    all_analytic = np.concatenate([r.analytic.ravel() for r in reports])
    all_numeric = np.concatenate([r.numeric.ravel() for r in reports])
    difference = relative_difference(all_analytic, all_numeric)

    def within(errors: list) -> bool:
        gap = np.linalg.norm(all_analytic - all_numeric)
        scale = np.linalg.norm(all_analytic) + np.linalg.norm(all_numeric)
        allowed = np.linalg.norm(np.concatenate([np.ravel(e) for e in errors]))
        return bool(gap <= tol * scale + allowed) and all(
            bool(np.all(np.abs(r.analytic - r.numeric) <= atol + rtol * np.abs(r.numeric) + e))
            for r, e in zip(reports, errors))

    passed, estimated = within([np.zeros(1)] * len(reports)), None
    if not passed:  # allow for the central difference's own error (two more f per element)
        errors = [difference_error(scalar_cost, t, r.numeric, eps)
                  for t, r in zip(tensors, reports)]
        passed = within(errors)
        estimated = float(np.linalg.norm(np.concatenate([e.ravel() for e in errors])))
    result = GradcheckResult(passed, difference, tol, reports, estimated)
    if raise_on_fail and not result.passed:
        raise GradcheckError(str(result))
    return result
