"""The course's data sets, in numpy only, and mini-batches.

Every loader returns ``X (2, m)`` float64 and ``Y (1, m)`` float64 labels 0/1 (``blobs`` and
``gaussian_quantiles`` with ``parity=False``: class indices 0..C-1): examples are columns,
as in the notes. ``seed`` is None (numpy's legacy global stream, like the course's
``np.random``), an int (a ``RandomState(int)``: the same numbers as ``np.random.seed(int)``,
without touching the global stream), a Generator or a RandomState.

* ``load_planar_dataset``: the "flower" of the planar-data exercise (F10.1), bit for bit.
* ``noisy_circles``, ``noisy_moons``, ``blobs``, ``gaussian_quantiles``, ``no_structure``: the
  siblings of the exercise's part 5 (scikit-learn's ``make_circles``, ``make_moons``,
  ``make_blobs``, ``make_gaussian_quantiles`` rewritten in numpy with the same recipes and the
  notebook's settings; same distributions, not the same random numbers as scikit-learn).
* ``xor`` and ``parity_bits``: every n-bit input and its parity (XOR is the 2-bit case).
* ``minibatches``: shuffled column batches for batch / mini-batch / stochastic descent (F9.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import checks
from .errors import ShapeError
from .nn.init import random_state

__all__ = [
    "blobs",
    "gaussian_quantiles",
    "load_extra_datasets",
    "load_planar_dataset",
    "minibatches",
    "no_structure",
    "noisy_circles",
    "noisy_moons",
    "parity_bits",
    "xor",
]


def load_planar_dataset(seed: Any = 1) -> tuple[np.ndarray, np.ndarray]:
    """The flower (F10.1): ``X (2, 400)``, ``Y (1, 400)``, 200 points of each class.

    The course's ``planar_utils.load_planar_dataset`` step by step (it calls
    ``np.random.seed(1)``; the default ``seed=1`` draws the same numbers from a
    ``RandomState(1)``, so the global stream is left alone). The labels are float64 (the
    course's are uint8, where ``-Y`` would wrap around).
    """
    rng = random_state(seed)
    m = 400  # number of examples
    N = m // 2  # number of points per class
    a = 4  # maximum ray of the flower
    X = np.zeros((m, 2))  # one example per row, transposed at the end
    Y = np.zeros((m, 1))
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.standard_normal(N) * 0.2  # theta
        r = a * np.sin(4 * t) + rng.standard_normal(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T.copy(), Y.T.copy()


def _check_count(n_samples: int, who: str) -> int:
    return checks.integer(n_samples, who, "n_samples", minimum=2, hint="Two classes need at "
                          "least two examples.")


def _noise(noise: float, who: str, arg: str = "noise") -> float:
    return checks.real(noise, who, arg, minimum=0.0,
                       hint="It is a standard deviation (0: no noise).")


def _columns(X: np.ndarray, labels: np.ndarray, rng: Any, shuffle: bool = True) -> tuple:
    """Rows-of-examples ``X (m, 2)`` and ``labels (m,)`` → shuffled ``(2, m)``, ``(1, m)``."""
    if shuffle:
        order = rng.permutation(len(labels))
        X, labels = X[order], labels[order]
    return np.ascontiguousarray(X.T, dtype=np.float64), labels.reshape(1, -1).astype(np.float64)


def noisy_circles(
    n_samples: int = 200, factor: float = 0.5, noise: float = 0.3, seed: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (radius 1 → label 0, radius ``factor`` → label 1) plus Gaussian
    noise of standard deviation ``noise`` on both coordinates (``make_circles``)."""
    n_samples = _check_count(n_samples, "noisy_circles")
    factor = checks.real(factor, "noisy_circles", "factor", minimum=0.0, below=1.0,
                         hint="The inner circle's radius, the outer's being 1.")
    noise = _noise(noise, "noisy_circles")
    rng = random_state(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.vstack([
        np.c_[np.cos(outer), np.sin(outer)],
        np.c_[np.cos(inner) * factor, np.sin(inner) * factor],
    ])
    labels = np.r_[np.zeros(n_outer), np.ones(n_inner)]
    X, Y = _columns(X, labels, rng)
    return X + rng.normal(0.0, noise, size=X.shape), Y


def noisy_moons(
    n_samples: int = 200, noise: float = 0.2, seed: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (``make_moons``) with Gaussian noise ``noise``."""
    n_samples = _check_count(n_samples, "noisy_moons")
    noise = _noise(noise, "noisy_moons")
    rng = random_state(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    X = np.vstack([
        np.c_[np.cos(outer), np.sin(outer)],
        np.c_[1 - np.cos(inner), 1 - np.sin(inner) - 0.5],
    ])
    labels = np.r_[np.zeros(n_outer), np.ones(n_inner)]
    X, Y = _columns(X, labels, rng)
    return X + rng.normal(0.0, noise, size=X.shape), Y


def blobs(
    n_samples: int = 200, centers: int = 6, cluster_std: float = 1.0, seed: Any = 5,
    parity: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``centers`` Gaussian clusters with centres uniform in [-10, 10]², labelled by the
    parity of the cluster index (the notebook's ``Y = Y % 2``), so two classes of three
    clusters each by default. The notebook uses ``random_state=5``, hence ``seed=5``.
    ``parity=False`` keeps the cluster index as the label: ``centers`` classes 0..C-1 for a
    softmax (``Y (1, m)``; ``nn.functional.one_hot(Y, centers)`` makes it one-hot)."""
    n_samples = _check_count(n_samples, "blobs")
    centers = checks.integer(centers, "blobs", "centers", minimum=2,
                             hint="Two classes (or, with parity=False, C classes) need two.")
    cluster_std = _noise(cluster_std, "blobs", "cluster_std")
    parity = checks.boolean(parity, "blobs", "parity")
    rng = random_state(seed)
    centres = rng.uniform(-10.0, 10.0, size=(centers, 2))
    per_centre = [n_samples // centers + (1 if k < n_samples % centers else 0)
                  for k in range(centers)]
    X = np.vstack([rng.normal(centres[k], cluster_std, size=(n, 2))
                   for k, n in enumerate(per_centre)])
    labels = np.concatenate([np.full(n, k % 2 if parity else k)
                             for k, n in enumerate(per_centre)])
    return _columns(X, labels, rng)


def gaussian_quantiles(
    n_samples: int = 200, cov: float = 0.5, n_classes: int = 2, seed: Any = None,
    parity: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D Gaussian (variance ``cov`` per axis) cut into ``n_classes`` rings of equal
    count by distance from the centre (``make_gaussian_quantiles``): label 0 inside. The
    labels are the parity of the ring (two classes, as the notebook); ``parity=False`` keeps
    the ring index, ``n_classes`` classes 0..C-1 for a softmax."""
    n_samples = _check_count(n_samples, "gaussian_quantiles")
    cov = checks.real(cov, "gaussian_quantiles", "cov", above=0.0,
                      hint="It is the variance of each coordinate.")
    n_classes = checks.integer(n_classes, "gaussian_quantiles", "n_classes", minimum=2,
                               hint="Two classes (rings alternate 0/1 with parity) need two.")
    parity = checks.boolean(parity, "gaussian_quantiles", "parity")
    rng = random_state(seed)
    X = rng.normal(0.0, np.sqrt(cov), size=(n_samples, 2))
    X = X[np.argsort(np.sum(X * X, axis=1), kind="stable")]
    labels = np.concatenate([
        np.full(n_samples // n_classes + (1 if k < n_samples % n_classes else 0), k)
        for k in range(n_classes)
    ])
    return _columns(X, labels % 2 if parity else labels, rng)


def no_structure(n_samples: int = 200, seed: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [0, 1]² with labels drawn at random: nothing to learn (a model that
    scores well here is memorizing)."""
    n_samples = _check_count(n_samples, "no_structure")
    rng = random_state(seed)
    X = rng.uniform(0.0, 1.0, size=(2, n_samples))
    Y = (rng.uniform(0.0, 1.0, size=(1, n_samples)) < 0.5).astype(np.float64)
    return X, Y


def load_extra_datasets(seed: Any = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The notebook's part 5 sets by name, 200 examples each, with its settings."""
    rng = random_state(seed)
    return {
        "noisy_circles": noisy_circles(seed=rng),
        "noisy_moons": noisy_moons(seed=rng),
        "blobs": blobs(seed=5 if seed is None else rng),
        "gaussian_quantiles": gaussian_quantiles(seed=rng),
        "no_structure": no_structure(seed=rng),
    }


def parity_bits(n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``2**n_bits`` inputs of ``n_bits`` bits as columns ``X (n_bits, 2**n_bits)`` (column
    k is k in binary, most significant bit in row 0) and their parity ``Y (1, 2**n_bits)``:
    1 when the number of ones is odd. Not linearly separable for n_bits >= 2."""
    n_bits = checks.integer(n_bits, "parity_bits", "n_bits", minimum=1, maximum=20,
                            hint="(2**20 examples is already a million.)")
    k = np.arange(2**n_bits)
    X = ((k[None, :] >> np.arange(n_bits - 1, -1, -1)[:, None]) & 1).astype(np.float64)
    Y = (X.sum(axis=0, keepdims=True) % 2).astype(np.float64)
    return X, Y


def xor() -> tuple[np.ndarray, np.ndarray]:
    """XOR: ``X = [[0, 0, 1, 1], [0, 1, 0, 1]]``, ``Y = [[0, 1, 1, 0]]``."""
    return parity_bits(2)


def minibatches(
    X: Any, Y: Any, batch_size: int, shuffle: bool = True, seed: Any = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, Y_batch)`` column batches of ``batch_size`` examples (F9.2).

    The course's ``random_mini_batches``: shuffle the columns of X and Y with one permutation
    (``shuffle=False`` keeps the order), cut complete batches, then the last partial batch if
    ``m`` is not a multiple of ``batch_size``. ``batch_size = m`` is batch gradient descent,
    ``1`` stochastic gradient descent. Tensors are accepted (their values are used).

    The arguments are checked when ``minibatches`` is called, not at the first batch.
    """
    X = np.asarray(getattr(X, "data", X))
    Y = np.asarray(getattr(Y, "data", Y))
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ShapeError(
            f"minibatches: X {X.shape} and Y {Y.shape} must be matrices with the same number "
            "of columns m (examples are columns)"
        )
    batch_size = checks.integer(batch_size, "minibatches", "batch_size", minimum=1)
    shuffle = checks.boolean(shuffle, "minibatches", "shuffle")
    m = X.shape[1]
    if shuffle:
        order = random_state(seed).permutation(m)
        X, Y = X[:, order], Y[:, order]
    return _batches(X, Y, m, batch_size)


def _batches(X: np.ndarray, Y: np.ndarray, m: int,
             batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, m, batch_size):
        yield X[:, start:start + batch_size], Y[:, start:start + batch_size]
