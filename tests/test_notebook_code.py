"""The course's notebook functions, as the notes write them (numpy calls), run on Tensors.

Each forward pass below is the notebook's own code — ``np.dot(W, X) + b``, ``np.tanh``,
``np.maximum(0, Z)``, ``np.multiply(np.log(A2), Y)``, ``np.squeeze`` — unchanged. Run on
plain arrays it is the notebook; run on Tensors it records the graph, and every parameter's
``.grad`` must equal what the same notebook's hand-written ``backward_propagation`` computes
from the arrays' run (tier 1 of tests/README.md: the two are algebraically equal, computed in a
different order). Hypothesis draws the sizes and a seed; the seed draws the values.

Week 2: logistic regression's ``propagate``; week 3: the planar network's
``forward_propagation``/``compute_cost``; week 4: ``L_model_forward``/``compute_cost`` with
the ReLU written ``np.maximum(0, Z)``. Then the week-3 training loop in the course's style
reaching the notebook's accuracy.
"""

from __future__ import annotations

import numpy as np
from formula_helpers import assert_tier1
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import numeric_settings, seeds

from tinygrad_edu import Tensor, data, no_grad

sizes = st.integers(min_value=1, max_value=5)


def to_tensors(parameters: dict) -> dict:
    return {k: Tensor(v, requires_grad=True, name=k) for k, v in parameters.items()}


def labels(rng: np.random.Generator, m: int) -> np.ndarray:
    return (rng.random((1, m)) < 0.5).astype(np.float64)


# -- week 2: logistic regression ----------------------------------------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def propagate_forward(w, b, X, Y):
    """The forward half of the notebook's ``propagate``: ``A`` and the cost. (The notebook
    ends with ``np.squeeze(np.array(cost))``; ``np.array`` of a Tensor that requires grad is
    refused, since it would drop the graph, so the cost is squeezed directly.)"""
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    return np.squeeze(cost)


def propagate_backward(w, b, X, Y):
    """The backward half of the notebook's ``propagate``, by hand."""
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)
    return {"dw": dw, "db": db}


@given(n_x=sizes, m=sizes, seed=seeds)
@numeric_settings(50)
def test_week2_propagate_on_tensors_gives_the_notebooks_dw_and_db(n_x, m, seed):
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=(n_x, 1)), float(rng.normal())
    X, Y = rng.normal(size=(n_x, m)), labels(rng, m)
    T = to_tensors({"w": w, "b": np.array(b)})
    cost = propagate_forward(T["w"], T["b"], X, Y)
    assert type(cost) is Tensor and cost.shape == ()
    np.testing.assert_allclose(float(cost), propagate_forward(w, b, X, Y), rtol=1e-12)
    cost.backward()
    grads = propagate_backward(w, b, X, Y)
    assert_tier1(T["w"].grad, grads["dw"], "dw")
    assert_tier1(T["b"].grad, np.asarray(grads["db"]), "db")


# -- week 3: the planar network ------------------------------------------------------------------


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(1 - Y, np.log(1 - A2))
    return np.squeeze(-np.sum(logprobs) / m)


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def planar_parameters(rng, n_x, n_h, n_y, scale=0.5):
    return {"W1": rng.normal(size=(n_h, n_x)) * scale, "b1": rng.normal(size=(n_h, 1)) * 0.1,
            "W2": rng.normal(size=(n_y, n_h)) * scale, "b2": rng.normal(size=(n_y, 1)) * 0.1}


@given(n_x=sizes, n_h=sizes, m=sizes, seed=seeds)
@numeric_settings(50)
def test_week3_forward_propagation_on_tensors_gives_the_notebooks_gradients(n_x, n_h, m, seed):
    rng = np.random.default_rng(seed)
    parameters = planar_parameters(rng, n_x, n_h, 1)
    X, Y = rng.normal(size=(n_x, m)), labels(rng, m)
    params = to_tensors(parameters)
    A2, _ = forward_propagation(X, params)
    cost = compute_cost(A2, Y)
    cost.backward()
    A2_np, cache = forward_propagation(X, parameters)  # the same function on the arrays
    np.testing.assert_allclose(float(cost), compute_cost(A2_np, Y), rtol=1e-12)
    grads = backward_propagation(parameters, cache, X, Y)
    for name in parameters:
        assert_tier1(params[name].grad, grads["d" + name], "d" + name)


# -- week 4: the L-layer network, relu as np.maximum(0, Z) ---------------------------------------


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def sigmoid_(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(0, Z), Z


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = sigmoid_(Z) if activation == "sigmoid" else relu(Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)],
                                          "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost_deep(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return np.squeeze(cost)


def linear_backward(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def relu_backward(dA, Z):
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, Z):
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    linear_cache, Z = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(
        sigmoid_backward(dAL, Z), linear_cache)
    for l in reversed(range(L - 1)):
        linear_cache, Z = caches[l]
        dA_prev, dW, db = linear_backward(relu_backward(grads["dA" + str(l + 1)], Z),
                                          linear_cache)
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads


@given(dims=st.lists(sizes, min_size=2, max_size=4), m=sizes, seed=seeds)
@numeric_settings(50)
def test_week4_L_model_forward_on_tensors_gives_the_notebooks_gradients(dims, m, seed):
    rng = np.random.default_rng(seed)
    layer_dims = [*dims, 1]
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.normal(size=(layer_dims[l], layer_dims[l - 1])) / \
            np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = rng.normal(size=(layer_dims[l], 1)) * 0.1
    X, Y = rng.normal(size=(layer_dims[0], m)), labels(rng, m)
    AL_np, caches = L_model_forward(X, parameters)
    # relu'(0) = 0 in both, but a Z within rounding of 0 could fall on either side
    assume(all(np.min(np.abs(Z)) > 1e-9 for _, Z in caches))
    params = to_tensors(parameters)
    AL, _ = L_model_forward(X, params)
    cost = compute_cost_deep(AL, Y)
    cost.backward()
    np.testing.assert_allclose(float(cost), compute_cost_deep(AL_np, Y), rtol=1e-12)
    grads = L_model_backward(AL_np, Y, caches)
    for name in parameters:
        assert_tier1(params[name].grad, grads["d" + name], "d" + name)


# -- week 3's whole training loop, in the course's style, on Tensors -----------------------------


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)  # the notebook's seed
    return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}


def update_parameters(parameters, learning_rate=1.2):
    """W := W - α dW for every parameter, in place, as PyTorch writes it (the notebook's
    ``W1 = W1 - learning_rate * dW1`` outside no_grad() would chain the iterations' graphs;
    tinygrad_edu warns about that)."""
    with no_grad():
        for W in parameters.values():
            W -= learning_rate * W.grad
            W.zero_grad()


def predict(parameters, X):
    A2, _ = forward_propagation(X, parameters)
    return A2 > 0.5


def nn_model_costs(X, Y, n_h, num_iterations, on_tensors):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    costs = []
    if on_tensors:
        parameters = to_tensors(parameters)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        if on_tensors:
            cost.backward()
            update_parameters(parameters)
        else:
            grads = backward_propagation(parameters, cache, X, Y)
            for name in parameters:
                parameters[name] = parameters[name] - 1.2 * grads["d" + name]
        if i % 1000 == 0:
            costs.append(float(cost))
    return parameters, costs


def test_week3_training_in_the_course_style_reaches_the_notebooks_accuracy():
    X, Y = data.load_planar_dataset()
    params, costs = nn_model_costs(X, Y, 4, 10_000, on_tensors=True)
    _, reference_costs = nn_model_costs(X, Y, 4, 8_000, on_tensors=False)
    # up to iteration 7000 the trajectory is determined (tests/README.md): the two runs compute
    # the same numbers in a different order, so they agree closely; past ~7850 plain gradient
    # descent at lr 1.2 turns chaotic and the last bits (BLAS-dependent) decide the costs
    np.testing.assert_allclose(costs[:8], reference_costs[:8], rtol=1e-6)
    predictions = predict(params, X)
    accuracy = float((np.dot(Y, predictions.T) + np.dot(1 - Y, 1 - predictions.T))
                     / float(Y.size) * 100)  # the notebook's own line, on Tensors
    assert accuracy >= 89.0, accuracy  # the notebook: 90 %; a robust band, not chaotic bits
    assert all(p.is_leaf and p.requires_grad for p in params.values())
