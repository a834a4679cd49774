"""training: the flower exercise end to end (F10.2, F10.3), fit's options, divergence, predict."""

from __future__ import annotations

import importlib.util
import re
import warnings

import numpy as np
import pytest

import tinygrad_edu.nn.functional as F
from tinygrad_edu import (
    DtypeError,
    ShapeError,
    TrainingDivergedError,
    data,
    is_grad_enabled,
    nn,
    optim,
    training,
)
from tinygrad_edu.errors import DataError


@pytest.fixture(scope="module")
def flower():
    return data.load_planar_dataset()


def notebook_nn_model(X, Y, n_h=4, iterations=10_000, lr=1.2):
    """The course's nn_model in plain numpy (seed 002): returns the cost of every iteration."""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    np.random.seed(2)
    W1, b1 = np.random.randn(n_h, 2) * 0.01, np.zeros((n_h, 1))
    W2, b2 = np.random.randn(1, n_h) * 0.01, np.zeros((1, 1))
    m, costs = X.shape[1], []
    for _ in range(iterations):
        A1 = np.tanh(W1 @ X + b1)
        A2 = sigmoid(W2 @ A1 + b2)
        costs.append(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)
        dZ2 = A2 - Y
        dW2, db2 = dZ2 @ A1.T / m, np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = W2.T @ dZ2 * (1 - A1**2)
        dW1, db1 = dZ1 @ X.T / m, np.sum(dZ1, axis=1, keepdims=True) / m
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return costs


def test_the_issue_example_trains_the_flower_to_90_percent(flower, capsys):
    """F10.2 / F10.3: 2-4-1, tanh then sigmoid, randn * 0.01 after np.random.seed(2), lr 1.2,
    10 000 iterations: the course's printed costs and about 90 % training accuracy."""
    X, Y = flower
    np.random.seed(2)
    model = nn.Sequential(nn.Dense(2, 4, activation="tanh"), nn.Dense(4, 1, activation="sigmoid"))
    opt = optim.SGD(model.parameters(), lr=1.2)
    costs = []
    for i in range(10_000):
        A2 = model(X)
        J = F.binary_cross_entropy(A2, Y)
        opt.zero_grad()
        J.backward()
        opt.step()
        costs.append(J.item())
        if i % 1000 == 0:
            print(f"Cost after iteration {i}: {J.item():.6f}")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    # Up to iteration 7000 the run is determined: every BLAS kernel tried (SkylakeX, Haswell,
    # Zen, Sandybridge, Prescott) agrees with plain numpy to 2e-14, so the notebook's printed
    # lines are compared exactly and the costs to rtol 1e-9.
    assert lines[:8] == [
        "Cost after iteration 0: 0.693048",
        "Cost after iteration 1000: 0.288083",
        "Cost after iteration 2000: 0.254385",
        "Cost after iteration 3000: 0.233864",
        "Cost after iteration 4000: 0.226792",
        "Cost after iteration 5000: 0.222644",
        "Cost after iteration 6000: 0.219731",
        "Cost after iteration 7000: 0.217504",
    ]
    reference = notebook_nn_model(X, Y)
    np.testing.assert_allclose(costs[:7001], reference[:7001], rtol=1e-9)
    # Past it, chaos is not a spec: near iteration 7850 descent at lr 1.2 turns unstable and
    # amplifies the last bit of rounding, which depends on the BLAS kernel and the CPU's vector
    # width (8000 prints 0.219422, 0.219450, 0.219506 or 0.219578; engine and plain numpy
    # differ by up to 1.6 % at 7888). What holds on every machine is robust: the cost stays
    # in a band (measured 0.21595-0.21971 past 7000), the printed digits the README shows
    # (0.219… at 8000, 0.218… at 9000), the notebook's 0.2186 at 9000 to 1e-3, the accuracy.
    assert all(0.214 < c < 0.222 for c in costs[7000:]), (min(costs[7000:]), max(costs[7000:]))
    assert lines[8].startswith("Cost after iteration 8000: 0.219"), lines[8]
    assert lines[9].startswith("Cost after iteration 9000: 0.218"), lines[9]
    assert abs(costs[9000] - 0.2186) < 1e-3 and abs(reference[9000] - 0.2186) < 1e-3
    assert training.accuracy(model, X, Y) >= 90.0  # 90.5 or 90.75 %, depending on the kernel


def test_fit_prints_the_course_lines_and_logistic_regression_stays_near_47(flower, capsys):
    X, Y = flower
    model = nn.Dense(2, 1, activation="sigmoid", seed=0)  # logistic regression
    costs = training.fit(model, X, Y, lr=1.2, iterations=2000, print_every=500)
    out = capsys.readouterr().out.splitlines()
    assert [int(re.match(r"Cost after iteration (\d+): \d\.\d{6}$", l).group(1)) for l in out] == [
        0, 500, 1000, 1500
    ]
    assert len(costs) == 2000 and costs[-1] < costs[0]
    assert 44.0 <= training.accuracy(model, X, Y) <= 50.0  # the notebook: 47 %


def test_fit_equals_the_hand_written_loop_and_small_hidden_layers_underfit(flower):
    X, Y = flower
    np.random.seed(2)
    model = nn.Sequential(nn.Dense(2, 4, "tanh"), nn.Dense(4, 1, "sigmoid"))
    costs = training.fit(model, X, Y, iterations=300, print_every=0)
    np.testing.assert_allclose(costs, notebook_nn_model(X, Y, iterations=300), rtol=1e-9)
    np.random.seed(2)
    one_unit = nn.Sequential(nn.Dense(2, 1, "tanh"), nn.Dense(1, 1, "sigmoid"))
    training.fit(one_unit, X, Y, iterations=5000, print_every=None)
    # the notebook's sweep; one tanh unit at lr 1.2 converges smoothly (no unstable phase), so
    # the accuracy, a count of 400 points, is the same with every BLAS kernel tried
    assert training.accuracy(one_unit, X, Y) == pytest.approx(67.5)


def test_mini_batches_one_batch_of_m_is_batch_descent(flower):
    """F9.2: one pass over mini-batches of size m is one batch step."""
    X, Y = flower
    full = nn.deep_network([2, 3, 1], hidden="tanh", seed=4)
    batched = nn.deep_network([2, 3, 1], hidden="tanh", seed=4)
    a = training.fit(full, X, Y, iterations=20, print_every=0)
    b = training.fit(batched, X, Y, iterations=20, batch_size=400, print_every=0, seed=0)
    assert a == b


def test_mini_batch_training_is_seeded_and_learns(flower):
    X, Y = flower
    runs = []
    for _ in range(2):
        model = nn.deep_network([2, 5, 1], hidden="tanh", init="xavier", seed=1)
        runs.append(training.fit(model, X, Y, lr=0.5, iterations=30, batch_size=64,
                                 print_every=0, seed=7))
    assert runs[0] == runs[1]
    assert runs[0][-1] < runs[0][0]


def test_fit_options_loss_optimizer_callback_progress(flower):
    X, Y = flower
    model = nn.deep_network([2, 4, 1], hidden="tanh", output="linear", init="xavier", seed=0)
    seen = []

    def stop_after_three(i, cost, m):
        seen.append((i, cost, m))
        return i == 2

    has_tqdm = importlib.util.find_spec("tqdm") is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        costs = training.fit(model, X, Y, loss="binary_cross_entropy_with_logits",
                             optimizer=optim.Adam(model.parameters(), lr=0.05), iterations=50,
                             print_every=0, callback=stop_after_three, progress=True)
    missing_tqdm = [w for w in caught if "tqdm" in str(w.message)]
    assert len(missing_tqdm) == (0 if has_tqdm else 1)  # no bar: said once, with the extra
    assert has_tqdm or "tinygrad_edu[progress]" in str(missing_tqdm[0].message)
    assert len(costs) == 3 and [s[0] for s in seen] == [0, 1, 2] and seen[0][2] is model
    assert [s[1] for s in seen] == costs
    custom = training.fit(model, X, Y, loss=lambda A, Y: F.mse_loss(A, Y), lr=0.01,
                          iterations=5, print_every=0)
    assert len(custom) == 5
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        training.fit(model, X, Y, loss="hinge")
    with pytest.raises(ValueError, match="iterations"):
        training.fit(model, X, Y, iterations=-1)
    with pytest.raises(ValueError, match="same number of columns"):
        training.fit(model, X, Y[:, :10])


def test_divergence_names_the_iteration_and_the_learning_rate():
    X = np.linspace(-10, 10, 50).reshape(1, 50)
    Y = 3 * X
    model = nn.Dense(1, 1, seed=0)  # linear regression with squared error
    with pytest.raises(TrainingDivergedError,
                       match=r"iteration \d+.*last finite cost .* at iteration \d+.*lr=50.0"):
        training.fit(model, X, Y, loss="mse", lr=50.0, iterations=1000, print_every=0)
    bad_X = X.copy()
    bad_X[0, 3] = np.nan  # bad data is named as such, before any step (not blamed on lr)
    with pytest.raises(DataError, match=r"X \(1, 50\) holds 1 nan/inf .* X\[0, 3\] = nan"):
        training.fit(nn.Dense(1, 1, seed=0), bad_X, Y, loss="mse", print_every=0)


def test_predict_and_accuracy():
    X, Y = data.xor()
    model = nn.Dense(2, 1, activation="sigmoid", init="zeros")
    model.W.data[...] = [[10.0, 10.0]]
    model.b.data[...] = [[-15.0]]  # an AND gate
    P = training.predict(model, X)
    assert P.shape == (1, 4) and P.dtype.kind == "i"
    np.testing.assert_array_equal(P, [[0, 0, 0, 1]])
    assert is_grad_enabled() and model.W.grad is None
    np.testing.assert_array_equal(training.predict(model, X, threshold=0.001), [[0, 1, 1, 1]])
    assert training.accuracy(model, X, Y) == 25.0  # AND agrees with XOR on input (0, 0) only
    with pytest.raises(ValueError, match="same shape"):
        training.accuracy(model, X, Y.T)


def test_xor_is_learned_by_a_small_tanh_network():
    X, Y = data.xor()
    model = nn.deep_network([2, 4, 1], hidden="tanh", init="xavier", seed=0)
    training.fit(model, X, Y, lr=1.0, iterations=2000, print_every=0)
    assert training.accuracy(model, X, Y) == 100.0


# ---------------------------------------------------------------------------------------------
# bad data and runaway learning rates: named before the first step, never a silent result
# ---------------------------------------------------------------------------------------------


def test_fit_checks_the_data_before_the_first_step(flower):
    X, Y = flower
    model = nn.deep_network([2, 3, 1], hidden="tanh", seed=0)
    before = model.state_dict()
    bad_Y = Y.copy()
    bad_Y[0, 7] = np.nan
    with pytest.raises(DataError, match=r"Y \(1, 400\) holds 1 nan/inf .* Y\[0, 7\] = nan"):
        training.fit(model, X, bad_Y, iterations=1, print_every=0)
    with pytest.raises(DataError, match=r"labels Y in \[0, 1\].*200 value.*\(Y \+ 1\) / 2"):
        training.fit(model, X, 2 * Y - 1, iterations=1, print_every=0)
    with pytest.raises(DataError, match="no examples"):
        training.fit(model, np.zeros((2, 0)), np.zeros((1, 0)), iterations=1, print_every=0)
    with pytest.raises(ShapeError, match=r"pass X\.T \(2, 400\)"):
        training.fit(model, X.T, Y, iterations=1, print_every=0)
    with pytest.raises(ShapeError, match=r"Y\.reshape\(1, -1\)"):
        training.fit(model, X, Y.ravel(), iterations=1, print_every=0)
    with pytest.raises(DtypeError, match="X has dtype <U"):
        training.fit(model, X.astype(str), Y, iterations=1, print_every=0)
    with pytest.raises(ValueError, match="print_every must be an int >= 0"):
        training.fit(model, X, Y, iterations=1, print_every=-1)
    for name, value in model.state_dict().items():  # no step was taken
        assert value.tobytes() == before[name].tobytes()
    # mse takes any real targets
    training.fit(nn.Dense(2, 1, seed=0), X, 3 * Y - 1, loss="mse", lr=0.01, iterations=2,
                 print_every=0)


def test_a_cost_that_goes_up_without_becoming_nan_is_reported(flower):
    X, Y = flower  # lr = 100 on the flower: the cost climbs to about 40 and stays finite
    model = nn.Sequential(nn.Dense(2, 4, "tanh", seed=2), nn.Dense(4, 1, "sigmoid", seed=3))
    with pytest.warns(RuntimeWarning, match=r"cost went up, from 0\.693.*lr=100"):
        costs = training.fit(model, X, Y, lr=100.0, iterations=300, print_every=0)
    assert len(costs) == 300 and costs[-1] > costs[0]


def test_divergence_keeps_the_costs_and_names_broken_parameters():
    X = np.linspace(-10, 10, 50).reshape(1, 50)
    with pytest.raises(TrainingDivergedError) as raised:
        training.fit(nn.Dense(1, 1, seed=0), X, 3 * X, loss="mse", lr=50.0, iterations=1000,
                     print_every=0)
    error = raised.value
    assert error.iteration > 0 and len(error.costs) == error.iteration
    assert all(np.isfinite(error.costs)) and error.costs[-1] > error.costs[0]
    model = nn.Dense(1, 1, seed=0)
    model.W.data[...] = np.nan  # e.g. loaded by hand from a diverged run
    with pytest.raises(TrainingDivergedError, match=r"cannot start.*parameters W hold nan"):
        training.fit(model, X, 3 * X, loss="mse", print_every=0)


def test_divergence_within_the_first_pass_of_mini_batches_blames_the_learning_rate():
    """Steps were taken in iteration 0 (one per mini-batch) before the cost blew up: that is
    divergence, not a model that 'cannot start' (the message said so, blaming the model)."""
    X = np.linspace(-10, 10, 400).reshape(1, 400)  # 400 steps of lr * x² ≈ 10³ in one pass
    with pytest.raises(TrainingDivergedError) as raised:
        training.fit(nn.Dense(1, 1, seed=0), X, 3 * X, loss="mse", lr=50.0, iterations=1,
                     batch_size=1, print_every=0, seed=0)
    message = str(raised.value)
    assert "cannot start" not in message and "before any step" not in message
    assert re.search(r"training diverged at iteration 0.*first pass over the mini-batches"
                     r".*lr=50\.0", message)
    assert raised.value.iteration == 0 and raised.value.costs == []


def test_predict_needs_a_finite_threshold():
    X, _ = data.xor()
    model = nn.Dense(2, 1, activation="sigmoid", seed=0)
    for bad in (float("nan"), "0.5", None):
        with pytest.raises(ValueError, match="threshold must be a finite number"):
            training.predict(model, X, threshold=bad)


def test_a_cost_that_only_rounds_upward_is_not_reported(recwarn):
    rng = np.random.default_rng(406324)  # zero weights: the cost stays at log 2 up to a rounding
    X, Y = rng.uniform(-2, 2, size=(3, 6)), (rng.random((1, 6)) < 0.5).astype(np.float64)
    model = nn.Sequential(nn.Dense(3, 2, "tanh", init="zeros"),
                          nn.Dense(2, 1, "sigmoid", init="zeros"))
    costs = training.fit(model, X, Y, lr=0.5, iterations=5, print_every=0)
    assert 0 < costs[-1] - costs[0] < 1e-9  # went up, by a rounding
    assert not [w for w in recwarn if "cost went up" in str(w.message)]
