"""The three workloads: the same data and initial weights for every system.

Full-batch gradient descent in float64, examples as columns (``X`` is ``(n_x, m)``), a
sigmoid output unit and the binary cross-entropy cost, computed at every iteration.

* ``planar``: the course's flower (m = 400), 2-4-1 tanh/sigmoid, lr 1.2, the course's
  initialization (``np.random.seed(2)``, ``randn * 0.01``), 10 000 iterations.
* ``mlp``: ``X`` standard normal ``(784, 512)``, labels from a random linear rule,
  784-256-128-1 ReLU/sigmoid, lr 0.1, He initialization, 200 iterations.
* ``deep``: ``X (16, 64)``, 20 tanh layers of width 16 and a sigmoid unit, lr 0.1, Xavier
  initialization, 2000 iterations: tiny matrices, so the time is the per-op overhead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tinygrad_edu.data import load_planar_dataset


@dataclass(frozen=True)
class Workload:
    """One benchmark problem; ``weights[l], biases[l]`` are ``W[l+1] (n_out, n_in)``, ``b[l+1]``."""

    name: str
    X: np.ndarray
    Y: np.ndarray
    weights: tuple
    biases: tuple
    activations: tuple  # one per layer: "tanh", "relu" or "sigmoid"
    lr: float
    iterations: int  # the length of a full training run
    checkpoint: int  # every system's cost after this many iterations must match the reference
    block: int  # iterations per timed block (scaled to µs per iteration)
    micrograd_block: int = 0  # iterations per block for micrograd (0: not run)

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]


def planar() -> Workload:
    """The flower network of the course's week 3 notebook."""
    X, Y = load_planar_dataset()  # np.random.seed(1) recipe: X (2, 400), Y (1, 400)
    np.random.seed(2)  # the notebook's initialize_parameters
    W1 = np.random.randn(4, 2) * 0.01
    b1 = np.zeros((4, 1))
    W2 = np.random.randn(1, 4) * 0.01
    b2 = np.zeros((1, 1))
    return Workload(
        "planar", X, Y, (W1, W2), (b1, b2), ("tanh", "sigmoid"), lr=1.2,
        iterations=10_000, checkpoint=5000, block=2000, micrograd_block=2,
    )


def _layers(sizes: list[int], scale_numerator: float, rng: np.random.RandomState) -> tuple:
    """W[l] = randn(n[l], n[l-1]) * sqrt(scale_numerator / n[l-1]), b[l] = 0 (F8)."""
    weights = tuple(
        rng.randn(n_out, n_in) * np.sqrt(scale_numerator / n_in)
        for n_in, n_out in itertools.pairwise(sizes)
    )
    biases = tuple(np.zeros((n_out, 1)) for n_out in sizes[1:])
    return weights, biases


def _linear_rule_data(n_x: int, m: int, rng: np.random.RandomState) -> tuple:
    X = rng.randn(n_x, m)
    w = rng.randn(1, n_x)
    Y = (w @ X > 0).astype(np.float64)  # labels from a random linear rule
    return X, Y


def mlp() -> Workload:
    """A wide ReLU network: the time goes to the matrix products (BLAS)."""
    rng = np.random.RandomState(0)
    X, Y = _linear_rule_data(784, 512, rng)
    weights, biases = _layers([784, 256, 128, 1], 2.0, rng)  # He: sqrt(2 / n[l-1])
    return Workload(
        "mlp", X, Y, weights, biases, ("relu", "relu", "sigmoid"), lr=0.1,
        iterations=200, checkpoint=50, block=20,
    )


def deep() -> Workload:
    """20 tanh layers of width 16: ~130 small ops per iteration, the per-op overhead test."""
    rng = np.random.RandomState(1)
    X, Y = _linear_rule_data(16, 64, rng)
    weights, biases = _layers([16] * 21 + [1], 1.0, rng)  # Xavier: sqrt(1 / n[l-1])
    return Workload(
        "deep", X, Y, weights, biases, ("tanh",) * 20 + ("sigmoid",), lr=0.1,
        iterations=2000, checkpoint=25, block=300,
    )
    # The checkpoint is early on purpose: plain GD through 21 tanh layers amplifies a
    # difference in the last bit (1e-16) by ~e^0.6 per iteration from iteration ~25 on (1e-13
    # at 30, 1e-5 at 50, 2 % at 1000 -- numpy, PyTorch and tinygrad_edu all part ways), so a
    # later comparison would test rounding, not the computation.


WORKLOADS = {"planar": planar, "mlp": mlp, "deep": deep}
