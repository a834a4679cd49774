"""data: the planar flower bit for bit (F10.1), its siblings, parity bits, mini-batches (F9.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor, data

FAST = settings(max_examples=40, deadline=None)


def course_load_planar_dataset():
    """planar_utils.load_planar_dataset as the course ships it (global np.random)."""
    np.random.seed(1)
    m = 400
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_dataset_is_the_course_flower_bit_for_bit():
    X, Y = data.load_planar_dataset()
    X_ref, Y_ref = course_load_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert X.tobytes() == X_ref.tobytes()
    np.testing.assert_array_equal(Y, Y_ref)
    assert Y.sum() == 200  # two classes of 200
    # petals: r = 4 sin(4t) + noise, so every point lies within a radius of about 4.6
    assert np.max(np.hypot(X[0], X[1])) < 5.0


def test_planar_dataset_leaves_the_global_stream_alone_and_takes_other_seeds():
    np.random.seed(123)
    expected_next = np.random.RandomState(123).randn()
    data.load_planar_dataset()
    assert np.random.randn() == expected_next
    X0, _ = data.load_planar_dataset(seed=0)
    X0b, _ = data.load_planar_dataset(seed=np.random.RandomState(0))
    assert X0.tobytes() == X0b.tobytes()
    assert not np.array_equal(X0, data.load_planar_dataset()[0])
    X_gen, _ = data.load_planar_dataset(seed=np.random.default_rng(0))
    assert X_gen.shape == (2, 400)


SIBLINGS = [data.noisy_circles, data.noisy_moons, data.blobs, data.gaussian_quantiles,
            data.no_structure]


@pytest.mark.parametrize("make", SIBLINGS)
@given(n=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=15, deadline=None)
def test_siblings_have_the_course_layout(make, n, seed):
    X, Y = make(n_samples=n, seed=seed)
    assert X.shape == (2, n) and Y.shape == (1, n)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) <= {0.0, 1.0}
    X2, Y2 = make(n_samples=n, seed=seed)
    assert X.tobytes() == X2.tobytes() and Y.tobytes() == Y2.tobytes()  # seeded: repeatable


@pytest.mark.parametrize("make", [data.noisy_circles, data.noisy_moons, data.gaussian_quantiles])
def test_balanced_classes(make):
    _, Y = make(n_samples=201, seed=0)
    assert Y.sum() in (100, 101)


def test_circles_and_moons_without_noise_lie_on_their_curves():
    X, Y = data.noisy_circles(n_samples=50, factor=0.3, noise=0.0, seed=0)
    radius = np.hypot(X[0], X[1])
    np.testing.assert_allclose(radius[Y[0] == 0], 1.0)
    np.testing.assert_allclose(radius[Y[0] == 1], 0.3)
    X, Y = data.noisy_moons(n_samples=50, noise=0.0, seed=0)
    outer, inner = X[:, Y[0] == 0], X[:, Y[0] == 1]
    np.testing.assert_allclose(np.hypot(outer[0], outer[1]), 1.0)
    np.testing.assert_allclose(np.hypot(inner[0] - 1, inner[1] - 0.5), 1.0)


def test_gaussian_quantiles_label_the_outer_ring_and_blobs_alternate():
    X, Y = data.gaussian_quantiles(n_samples=100, seed=0)
    radius = np.hypot(X[0], X[1])
    assert radius[Y[0] == 0].max() <= radius[Y[0] == 1].min()
    X, Y = data.blobs(n_samples=120, centers=6, cluster_std=0.0)  # the notebook's seed 5
    centres = {tuple(np.round(c, 9)): y for c, y in zip(X.T, Y[0])}
    assert len(centres) == 6 and sorted(centres.values()) == [0, 0, 0, 1, 1, 1]


def test_extra_datasets_by_name():
    sets = data.load_extra_datasets(seed=0)
    assert sorted(sets) == ["blobs", "gaussian_quantiles", "no_structure", "noisy_circles",
                            "noisy_moons"]
    assert all(X.shape == (2, 200) and Y.shape == (1, 200) for X, Y in sets.values())


@given(n_bits=st.integers(1, 10))
@FAST
def test_parity_bits_lists_every_input_once_with_its_parity(n_bits):
    X, Y = data.parity_bits(n_bits)
    assert X.shape == (n_bits, 2**n_bits) and Y.shape == (1, 2**n_bits)
    weights = 2 ** np.arange(n_bits - 1, -1, -1)
    np.testing.assert_array_equal(weights @ X, np.arange(2**n_bits))  # column k is k in binary
    np.testing.assert_array_equal(Y[0], [bin(k).count("1") % 2 for k in range(2**n_bits)])


def test_xor_and_parity_errors():
    X, Y = data.xor()
    np.testing.assert_array_equal(X, [[0, 0, 1, 1], [0, 1, 0, 1]])
    np.testing.assert_array_equal(Y, [[0, 1, 1, 0]])
    for bad in (0, 21, 2.0, True):
        with pytest.raises(ValueError, match="n_bits"):
            data.parity_bits(bad)
    with pytest.raises(ValueError, match="n_samples"):
        data.noisy_moons(n_samples=1)


@given(m=st.integers(1, 50), batch_size=st.integers(1, 60), seed=st.integers(0, 10_000),
       shuffle=st.booleans())
@FAST
def test_minibatches_partition_the_columns_and_keep_pairs_together(m, batch_size, seed, shuffle):
    """F9.2: every example in exactly one batch, full batches then one partial batch."""
    X = np.vstack([np.arange(m), -np.arange(m)]).astype(float)
    Y = np.arange(m, dtype=float).reshape(1, m) * 10
    batches = list(data.minibatches(X, Y, batch_size, shuffle=shuffle, seed=seed))
    sizes = [xb.shape[1] for xb, _ in batches]
    assert sizes == [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    order = np.concatenate([xb[0] for xb, _ in batches])
    assert sorted(order) == list(range(m))
    for xb, yb in batches:
        np.testing.assert_array_equal(yb[0], xb[0] * 10)  # each label stays with its example
        np.testing.assert_array_equal(xb[1], -xb[0])
    if not shuffle:
        np.testing.assert_array_equal(order, np.arange(m))


def test_minibatches_reproduce_random_mini_batches():
    """The course's random_mini_batches: np.random.seed(seed); permutation(m); slices."""
    X, Y = data.load_planar_dataset()
    np.random.seed(10)
    permutation = list(np.random.permutation(400))
    expected = X[:, permutation][:, 64:128]
    batches = list(data.minibatches(X, Y, 64, seed=10))
    np.testing.assert_array_equal(batches[1][0], expected)
    assert len(batches) == 7 and batches[-1][0].shape == (2, 16)
    from_tensors = list(data.minibatches(Tensor(X), Tensor(Y), 64, seed=10))
    np.testing.assert_array_equal(from_tensors[1][0], expected)


def test_minibatches_errors():
    X, Y = np.zeros((2, 5)), np.zeros((1, 4))
    with pytest.raises(ValueError, match="same number of columns"):
        list(data.minibatches(X, Y, 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(data.minibatches(X, np.zeros((1, 5)), 0))
