"""F10: the planar "flower" exercise of seed 002, trained with the nn API.

The data set is compared bit for bit with the notebook's ``load_planar_dataset`` (written
out below with ``np.random.seed(1)``, as planar_utils does), the 2-4-1 network is trained
with the course's settings, and the accuracies the notebook reports are checked: logistic
regression near 47 %, the 4-unit network about 90 %, and the hidden-size sweep for 1 and 5
units (within one percentage point: the exact count of right points depends on float
rounding in a long training run; 2, 3 and 4 units also match and are left out for time).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_edu import data, nn, training


def notebook_load_planar_dataset():
    """planar_utils.load_planar_dataset of the course, verbatim apart from the style."""
    np.random.seed(1)
    m = 400  # number of examples
    N = int(m / 2)  # number of points per class
    D = 2  # dimensionality
    X = np.zeros((m, D))  # data matrix where each row is a single example
    Y = np.zeros((m, 1), dtype="uint8")  # labels vector (0 for red, 1 for blue)
    a = 4  # maximum ray of the flower
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_F10_1_the_flower_data_set():
    X, Y = data.load_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400)  # 400 points, 2 features, columns
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) == {0.0, 1.0} and Y.sum() == 200  # two classes of 200
    X_course, Y_course = notebook_load_planar_dataset()
    np.testing.assert_array_equal(X, X_course)  # the recipe, bit for bit
    np.testing.assert_array_equal(Y, Y_course.astype(np.float64))
    radius = np.hypot(X[0], X[1])  # |r| = |a sin(4θ) + noise| <= a + a few noise σ
    assert radius.max() < 4 + 5 * 0.2


@pytest.fixture(scope="module")
def flower():
    return data.load_planar_dataset()


def test_F10_2_and_F10_3_the_2_4_1_network_reaches_90_percent(flower, capsys):
    X, Y = flower
    model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=2)  # randn * 0.01
    for layer in model:
        np.testing.assert_array_equal(layer.b.data, np.zeros((layer.n_out, 1)))  # b = 0
    costs = training.fit(model, X, Y, lr=1.2, iterations=10_000, print_every=1000)
    printed = re.findall(r"Cost after iteration (\d+): ([0-9.]+)", capsys.readouterr().out)
    assert [int(i) for i, _ in printed] == list(range(0, 10_000, 1000))
    assert printed[0][1] == "0.693048"  # the notebook's first line, to six digits
    assert len(costs) == 10_000 and costs[-1] < costs[0]
    assert training.accuracy(model, X, Y) >= 90.0


def test_F10_3_logistic_regression_stays_near_47_percent(flower):
    X, Y = flower
    logistic = nn.Sequential(nn.Dense(2, 1, activation="sigmoid", seed=0))
    training.fit(logistic, X, Y, lr=1.2, iterations=1000, print_every=0)
    assert abs(training.accuracy(logistic, X, Y) - 47.0) <= 3.0  # not linearly separable


@pytest.mark.parametrize(
    ("n_h", "reported"), [(1, 67.5), (5, 91.25)]  # 2, 3, 4 (67.25, 90.75, 90.5) pass too: slow
)
def test_F10_3_hidden_layer_size_sweep(flower, n_h, reported):
    X, Y = flower
    model = nn.deep_network([2, n_h, 1], hidden="tanh", output="sigmoid", seed=2)
    training.fit(model, X, Y, lr=1.2, iterations=5000, print_every=0)  # the notebook's sweep
    assert abs(training.accuracy(model, X, Y) - reported) <= 1.0
