# %% [markdown]
# # Planar data classification with one hidden layer (seed 002, F10)
#
# The course's week-3 programming exercise, with autodiff doing the backward pass. The data:
# a "flower" of 400 points, red (y = 0) and blue (y = 1) petals. Logistic regression only
# reaches 47 % on it (see `01_logistic_regression.py`): "The dataset is not linearly
# separable". A network with one hidden layer of tanh units learns the petals:
#
#     z[1](i) = W[1] x(i) + b[1]      a[1](i) = tanh(z[1](i))
#     z[2](i) = W[2] a[1](i) + b[2]   ŷ(i) = a[2](i) = σ(z[2](i))
#     J = -1/m Σ (y(i) log a[2](i) + (1 - y(i)) log(1 - a[2](i)))
#
# "The general methodology to build a Neural Network is to: 1. Define the neural network
# structure. 2. Initialize the model's parameters. 3. Loop: forward propagation, compute loss,
# backward propagation to get the gradients, update parameters (gradient descent)."

# %%
import time

import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import data, nn, training
from tinygrad_edu.demo import draw_decision_boundary, plot_costs, plot_decision_boundary
from tinygrad_edu.nn import functional as F

OUT = output_dir("02_planar_flower")
STEP = 0.05 if SMOKE else 0.02  # grid spacing of the decision-boundary plots

# %% [markdown]
# ## 2 - Dataset

# %%
X, Y = data.load_planar_dataset()
m = X.shape[1]
print(f"The shape of X is: {X.shape}")
print(f"The shape of Y is: {Y.shape}")
print(f"I have m = {m} training examples!")

# %% [markdown]
# ## 4.1 - The structure, 4.2 - the parameters
#
# `n_x` from X, `n_y` from Y, `n_h = 4`. "Use `np.random.randn(a,b) * 0.01` to randomly
# initialize a matrix of shape (a,b)", biases at zero (F8.1). The notebook seeds numpy with
# `np.random.seed(2)` and draws W1 then W2; one `RandomState(2)` shared by both layers gives
# exactly its numbers.

# %%
n_x, n_h, n_y = X.shape[0], 4, Y.shape[0]


def initialize(n_h: int) -> nn.Sequential:
    rng = np.random.RandomState(2)  # np.random.seed(2), as initialize_parameters
    return nn.Sequential(
        nn.Dense(n_x, n_h, activation="tanh", init="course", seed=rng),  # W1 (n_h, n_x), b1
        nn.Dense(n_h, n_y, activation="sigmoid", init="course", seed=rng),  # W2 (n_y, n_h), b2
    )


model = initialize(n_h)
for p in model.parameters():
    print(f"{p.name} = {np.array2string(p.data, precision=8, prefix=p.name + ' = ')}")

# %% [markdown]
# ## 4.3 - The loop, once, by hand and by autodiff
#
# Forward propagation and the cost are one call each. Then, instead of writing
# `backward_propagation()`, we call `J.backward()` and compare what autodiff found with "the
# six equations on the right of this slide":
#
#     dZ2 = A2 - Y                 dW2 = 1/m dZ2 A1ᵀ    db2 = 1/m np.sum(dZ2, axis=1, keepdims=True)
#     dZ1 = W2ᵀ dZ2 * (1 - A1²)    dW1 = 1/m dZ1 Xᵀ     db1 = 1/m np.sum(dZ1, axis=1, keepdims=True)

# %%
A1 = model[0](X)  # layer 1: Z1 = W1 X + b1, A1 = tanh(Z1)
A2 = model[1](A1)  # layer 2: Z2 = W2 A1 + b2, A2 = σ(Z2)   (model(X) does both)
J = F.binary_cross_entropy(A2, Y)
J.backward()
print(f"cost = {J.item():.6f}   ({A1.name} {A1.shape}, {A2.name} {A2.shape})")

W1, b1, W2, b2 = model.parameters()
dZ2 = A2.data - Y
dW2 = dZ2 @ A1.data.T / m
db2 = np.sum(dZ2, axis=1, keepdims=True) / m
dZ1 = W2.data.T @ dZ2 * (1 - A1.data**2)
dW1 = dZ1 @ X.T / m
db1 = np.sum(dZ1, axis=1, keepdims=True) / m
for p, by_hand in [(W1, dW1), (b1, db1), (W2, dW2), (b2, db2)]:
    print(f"d{p.name}: max |autodiff - course formula| = {np.max(np.abs(p.grad - by_hand)):.1e}")

# %% [markdown]
# ## 4.4 - `nn_model()`
#
# The notebook's `nn_model` on top of the framework. `training.fit` runs the loop above
# `num_iterations` times — forward, cost, `backward()`, and `W := W - α dW` for every
# parameter (F1.7) with learning rate 1.2 — and prints the notebook's cost line every 1000.

# %%
def nn_model(n_h: int, num_iterations: int = 10000, print_cost: bool = False):
    model = initialize(n_h)
    costs = training.fit(model, X, Y, loss="binary_cross_entropy", lr=1.2,
                         iterations=num_iterations, print_every=1000 if print_cost else None)
    return model, costs


def predict(model, X):
    """y_prediction = 1 if a[2] > 0.5 else 0."""
    return training.predict(model, X)


def accuracy(model) -> float:
    return training.accuracy(model, X, Y)


start = time.perf_counter()
model, costs = nn_model(n_h=4, num_iterations=iterations(10000, 50), print_cost=True)
print(f"({time.perf_counter() - start:.1f} s)")
for p in model.parameters():
    print(f"{p.name} = {np.array2string(p.data, precision=8, prefix=p.name + ' = ')}")

# %% [markdown]
# ## 4.5 - Predictions
#
# "Accuracy is really high compared to Logistic Regression. The model has learnt the leaf
# patterns of the flower!" The notes report 90 %; the notebook prints the accuracy with
# `'%d'`, which truncates: 90.75 % prints there as "90%".

# %%
print(f"Accuracy: {accuracy(model):.2f} %  (the notes: 90 %)")
if pyplot() is not None:
    print("wrote", plot_decision_boundary(lambda P: predict(model, P), X, Y,
                                          OUT / "decision_boundary.png",
                                          "Decision Boundary for hidden layer size 4", STEP))
    print("wrote", plot_costs({"n_h = 4": costs}, OUT / "cost.png", "Cost J per iteration"))

# %% [markdown]
# ## 4.6 - Tuning hidden layer size
#
# "You will observe different behaviors of the model for various hidden layer sizes." The
# notebook trained each size for 5000 iterations. Its interpretation: "The larger models
# (with more hidden units) are able to fit the training set better, until eventually the
# largest models overfit the data. The best hidden layer size seems to be around n_h = 5."
# (These are training accuracies: the notebook has no held-out set.)

# %%
notes = {1: 67.5, 2: 67.25, 3: 90.75, 4: 90.5, 5: 91.25, 20: 90.0, 50: 90.25}
sweep = {}
print(f"{'hidden units':>12}{'accuracy %':>12}{'the notes %':>13}")
for size, reported in notes.items():
    sweep[size], _ = nn_model(n_h=size, num_iterations=iterations(5000, 20))
    print(f"{size:>12}{accuracy(sweep[size]):>12.2f}{reported:>13.2f}")

plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, 4, figsize=(18, 8))
    for ax, (size, trained) in zip(axes.flat, sweep.items()):
        draw_decision_boundary(ax, lambda P, t=trained: predict(t, P), X, Y,
                               f"Hidden layer of size {size}: {accuracy(trained):.2f} %", STEP)
    axes.flat[-1].axis("off")
    fig.tight_layout()
    saved(fig, OUT / "hidden_layer_sizes.png")
