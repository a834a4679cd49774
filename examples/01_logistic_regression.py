# %% [markdown]
# # Logistic regression: a single neuron (seed 000, seed 001, F1)
#
# "Logistic regression: just one node of neural network" (seed 001). For examples stacked as
# columns of `X (n_x, m)` with labels `Y (1, m)`:
#
#     Z = wᵀX + b,   A = σ(Z),   J(w, b) = -1/m Σ [y log a + (1-y) log(1-a)]
#
# and the notes derive, for one example, `dz = (-y/a + (1-y)/(1-a)) · a(1-a) = a - y`, then
# vectorized over the m examples (seed 000 §7):
#
#     dZ = A - Y,   dw = 1/m X dZᵀ,   db = 1/m np.sum(dZ)
#
# Here autodiff computes the gradients and we hold it to those formulas. One detail: `Z.grad`
# is `∂J/∂Z` for the *mean* cost, so it carries the `1/m`: the course's `dZ = A - Y` is
# `m * Z.grad`.

# %%
import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot

from tinygrad_edu import Tensor, data, nn, no_grad, training
from tinygrad_edu.demo import plot_costs, plot_decision_boundary
from tinygrad_edu.nn import functional as F

OUT = output_dir("01_logistic_regression")
X, Y = data.blobs(n_samples=200, centers=2, cluster_std=3.0, seed=1)  # two clusters
n_x, m = X.shape
print(f"X {X.shape}, Y {Y.shape}: m = {m} examples, n_x = {n_x} features")

# %% [markdown]
# ## One forward and backward pass, checked against the formulas
#
# "在逻辑回归的问题中，把权重参数初始化为零是可行的" (seed 002): with a single unit there is no
# symmetry to break, so `w` and `b` start at zero.

# %%
w = Tensor(np.zeros((n_x, 1)), requires_grad=True, name="w")  # w (n_x, 1), as in the notes
b = Tensor(0.0, requires_grad=True, name="b")
Z = w.T @ X + b  # Z = wᵀX + b, (1, m)
A = Z.sigmoid()  # A = σ(Z)
J = F.binary_cross_entropy(A, Y)
J.backward()

dZ = A.data - Y  # the course's dZ = A - Y
print(f"J = {J.item():.6f}  (log 2 = {np.log(2):.6f}: with w = 0 every a is 0.5)")
print(f"max |m * Z.grad - (A - Y)|      = {np.max(np.abs(m * Z.grad - dZ)):.1e}")
print(f"max |w.grad - 1/m X dZᵀ|        = {np.max(np.abs(w.grad - X @ dZ.T / m)):.1e}")
print(f"|b.grad - 1/m np.sum(dZ)|       = {abs(b.grad - np.sum(dZ) / m):.1e}")

# %% [markdown]
# ## Gradient descent: `w := w - α dw`, `b := b - α db` (F1.7)
#
# The whole algorithm, vectorized, in a few lines — the cost falls.

# %%
def train_logistic_regression(X, Y, learning_rate=0.5, num_iterations=2000, print_every=500):
    w = Tensor(np.zeros((X.shape[0], 1)), requires_grad=True, name="w")
    b = Tensor(0.0, requires_grad=True, name="b")
    costs = []
    for i in range(num_iterations):
        J = F.binary_cross_entropy((w.T @ X + b).sigmoid(), Y)
        w.zero_grad()
        b.zero_grad()
        J.backward()
        with no_grad():
            w.data -= learning_rate * w.grad  # w := w - α dw
            b.data -= learning_rate * b.grad  # b := b - α db
        costs.append(J.item())
        if print_every and i % print_every == 0:
            print(f"Cost after iteration {i}: {J.item():.6f}")
    return w, b, costs


def predict(w, b, X):
    return ((w.T @ X + b).sigmoid().data > 0.5).astype(int)


w, b, costs = train_logistic_regression(X, Y, num_iterations=iterations(2000, 20))
print(f"w = {w.data.ravel()}, b = {b.item():.4f}")
print(f"Accuracy on the two clusters: {np.mean(predict(w, b, X) == Y) * 100:.2f} %")

# %% [markdown]
# The same model as the framework's one-unit layer: `nn.Dense(2, 1, activation="sigmoid")`
# holds `W = wᵀ (1, n_x)` and `b (1, 1)`; trained the same way it ends at the same numbers.

# %%
neuron = nn.Dense(n_x, 1, activation="sigmoid", init="zeros")
training.fit(neuron, X, Y, lr=0.5, iterations=iterations(2000, 20), print_every=None)
print(f"Dense: W = {neuron.W.data.ravel()}, b = {neuron.b.data.item():.4f}; "
      f"max |W - wᵀ| = {np.max(np.abs(neuron.W.data - w.data.T)):.1e}")

# %% [markdown]
# ## How it fares on the flower (seed 002, "3 - Simple Logistic Regression")
#
# "The dataset is not linearly separable, so logistic regression doesn't perform well": the
# notebook's scikit-learn classifier scores 47 %. A straight line cannot follow the petals;
# ours, trained by gradient descent, does no better than that either.

# %%
X_flower, Y_flower = data.load_planar_dataset()
w_f, b_f, flower_costs = train_logistic_regression(
    X_flower, Y_flower, learning_rate=1.2, num_iterations=iterations(2000, 20), print_every=0
)
flower_accuracy = np.mean(predict(w_f, b_f, X_flower) == Y_flower) * 100
print(f"Accuracy of logistic regression on the flower: {flower_accuracy:.2f} % "
      f"(the notes: 47 %); the cost stalls at {flower_costs[-1]:.4f} (log 2 = 0.6931)")

# %%
if pyplot() is not None:
    step = 0.05 if SMOKE else 0.02
    print("wrote", plot_costs({"two clusters": costs, "flower": flower_costs},
                              OUT / "cost.png", "Logistic regression: cost J per iteration"))
    print("wrote", plot_decision_boundary(lambda P: predict(w_f, b_f, P), X_flower, Y_flower,
                                          OUT / "flower_boundary.png",
                                          f"Logistic Regression ({flower_accuracy:.0f} %)", step))
    print("wrote", plot_decision_boundary(lambda P: predict(w, b, P), X, Y,
                                          OUT / "clusters_boundary.png",
                                          "Logistic regression on two clusters", step))
