"""A central difference and its own error: the tolerance of a tier-2 check follows it.

The course's central difference ``D(ε) = (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε`` (F6.2) is not
the derivative: by Taylor,

    D(h) = J' + J''' h²/6 + J⁽⁵⁾ h⁴/120 + …,   so   D(2ε) − D(ε) = J''' ε²/2 + … ,

three times the truncation error of ``D(ε)``; and each value of ``J`` carries its rounding,
about ``k u |J|`` (``u`` = 2.2e-16, ``k`` a few dozen operations), which the division by
``2ε`` magnifies. The error estimate of ``D(ε)`` used here is

    E = |D(2ε) − D(ε)| + 64 u (|J(θ + ε)| + |J(θ − ε)|) / 2ε

(the truncation estimate with a safety factor of 3, plus the rounding bound; both tiny where
the function is smooth: 1e-8 for a cross-entropy near A ≈ Y, 1e-10 for the rounding of an
order-1 cost). A fixed relative tolerance on the gradient alone fails on a correct engine
when the gradient is small (the cross-entropy with A ≈ Y: 3e-3 against a truncation error of
2e-8); so every tier-2 comparison is

    |g − D| <= rtol |D| + atol + E             (each element)
    ‖g − D‖ <= tol (‖g‖ + ‖D‖) + ‖E‖           (the course's relative difference)

``E`` costs two more evaluations of ``J`` per element, so it is computed only when the fixed
tolerance alone is not met (the check is the same either way: ``E`` only widens it). A wrong
derivative rule still fails: ``E`` follows the function, not the autodiff, and a rule off by
a thousandth is off by far more than ``E`` unless the gradient itself is below 1e-5.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

ROUNDING = float(np.finfo(np.float64).eps)  # u
OPS_PER_COST = 64  # k: the rounding of one evaluation of J is at most about k u |J|


def central_differences(
    J: Callable[[tuple, float], float], shape: tuple, eps: float
) -> tuple[np.ndarray, Callable[[], np.ndarray]]:
    """``D(ε)`` for every element of an input of ``shape``, and a function giving ``E``.

    ``J(i, h)`` is the cost with element ``i`` (an index of ``shape``) moved by ``h``.
    """
    D = np.zeros(shape, dtype=np.float64)
    rounding = np.zeros(shape, dtype=np.float64)
    for i in np.ndindex(shape):
        plus, minus = J(i, eps), J(i, -eps)
        D[i] = (plus - minus) / (2 * eps)  # (J(θ+ε) − J(θ−ε)) / 2ε
        rounding[i] = OPS_PER_COST * ROUNDING * (abs(plus) + abs(minus)) / (2 * eps)

    def error() -> np.ndarray:
        D2 = np.zeros(shape, dtype=np.float64)
        for i in np.ndindex(shape):
            D2[i] = (J(i, 2 * eps) - J(i, -2 * eps)) / (4 * eps)
        return np.abs(D2 - D) + rounding

    return D, error


def _norm(arrays: Sequence[np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(np.square(a)) for a in arrays)))


def assert_matches_central_differences(
    analytic: Sequence[np.ndarray],
    numeric: Sequence[np.ndarray],
    errors: Sequence[Callable[[], np.ndarray]],
    *,
    rtol: float,
    atol: float,
    relative_tol: float,
    what: str = "",
) -> None:
    """Every element within ``rtol |D| + atol + E`` and ``‖g − D‖ <= tol (‖g‖ + ‖D‖) + ‖E‖``
    over all the inputs together (the course's relative difference on the whole θ)."""
    analytic = [np.asarray(a, dtype=np.float64) for a in analytic]
    numeric = [np.asarray(d, dtype=np.float64) for d in numeric]
    for k, (g, D) in enumerate(zip(analytic, numeric)):
        assert g.shape == D.shape, f"{what} input {k}: gradient {g.shape}, difference {D.shape}"

    def within(E: list) -> bool:
        elementwise = all(
            np.all(np.abs(g - D) <= rtol * np.abs(D) + atol + e)
            for g, D, e in zip(analytic, numeric, E)
        )
        gap = _norm([g - D for g, D in zip(analytic, numeric)])
        return elementwise and gap <= relative_tol * (_norm(analytic) + _norm(numeric)) + _norm(E)

    if within([0.0] * len(numeric)):
        return
    E = [e() for e in errors]
    if within(E):
        return
    worst = []
    for k, (g, D, e) in enumerate(zip(analytic, numeric, E)):
        excess = np.abs(g - D) - (rtol * np.abs(D) + atol + e)
        i = np.unravel_index(int(np.argmax(excess)), g.shape) if g.size else ()
        if g.size:
            worst.append(f"input {k} {tuple(int(j) for j in i)}: autodiff {g[i]!r}, central "
                         f"difference {D[i]!r}, its error estimate {e[i]:.2e}")
    gap = _norm([g - D for g, D in zip(analytic, numeric)])
    scale = _norm(analytic) + _norm(numeric)
    raise AssertionError(
        f"{what}: autodiff and central differences disagree beyond the difference's own error: "
        f"‖g − D‖ = {gap:.3e}, ‖g‖ + ‖D‖ = {scale:.3e}, ‖E‖ = {_norm(E):.3e}; "
        + "; ".join(worst)
    )
