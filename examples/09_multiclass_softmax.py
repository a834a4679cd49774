# %% [markdown]
# # Many classes: softmax and the categorical cross-entropy (F11)
#
# The notes end with "the output uses sigmoid **or softmax**". For C classes the output
# layer has C units, one row per class of `Z (C, m)`, and
#
#     A = softmax(Z),   A_k = e^{Z_k} / Σ_j e^{Z_j}         (each column sums to 1)
#     J = -1/m Σ_i Σ_k Y_ki log A_ki                          (Y one-hot, (C, m))
#     dZ = (A - Y) / m                                         (as for two classes, F1.4)
#
# The engine computes softmax stably (the column max subtracted) and fuses it with the
# cost, so `Z.grad` is exactly `(A - Y) / m` whatever Z is. The predicted class is
# `argmax_k A_k`.

# %%
import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import data, explain, nn, training
from tinygrad_edu.nn import functional as F

OUT = output_dir("09_multiclass_softmax")
X_blobs, labels_blobs = data.blobs(n_samples=400, centers=4, cluster_std=1.5, seed=3,
                                   parity=False)
X_rings, labels_rings = data.gaussian_quantiles(n_samples=400, n_classes=3, seed=1,
                                                parity=False)
C_blobs, C_rings = 4, 3
Y_blobs = F.one_hot(labels_blobs, C_blobs)  # (C, m): one 1 per column
Y_rings = F.one_hot(labels_rings, C_rings)
print(f"blobs: X {X_blobs.shape}, labels {labels_blobs.shape} -> one-hot Y {Y_blobs.shape}")
print(f"rings: X {X_rings.shape}, labels {labels_rings.shape} -> one-hot Y {Y_rings.shape}")

# %% [markdown]
# ## One forward and backward pass, checked against `dZ = (A - Y) / m`

# %%
model = nn.Sequential(nn.Dense(2, 8, "tanh", seed=1), nn.Dense(8, C_blobs, "softmax", seed=2))
A2 = model(X_blobs)
J = F.categorical_cross_entropy(A2, Y_blobs)
J.backward()
Z2 = J.find("Z2")
m = X_blobs.shape[1]
print(f"every column of A2 sums to 1 (to 1e-15): {np.abs(A2.data.sum(axis=0) - 1).max() < 1e-15}")
print(f"max |Z2.grad - (A2 - Y) / m| = {np.abs(Z2.grad - (A2.data - Y_blobs) * (1 / m)).max():.1e}")
print("\n".join(explain(J).lines()[:4]))

# %% [markdown]
# ## Softmax regression (no hidden layer) and a hidden layer, on both data sets
#
# A softmax regression draws straight boundaries between the classes: enough for the
# blobs, not for the rings, which need a hidden layer.

# %%
def train(X, Y, hidden, seed=0):
    C = Y.shape[0]
    layers = [nn.Dense(2, hidden, "tanh", init="xavier", seed=seed)] if hidden else []
    layers.append(nn.Dense(hidden or 2, C, "softmax", init="xavier", seed=seed + 1))
    net = nn.Sequential(*layers)
    costs = training.fit(net, X, Y, loss="categorical_cross_entropy", lr=1.0,
                         iterations=iterations(3000, 30), print_every=0)
    return net, costs


runs = {}
for name, X, Y in (("blobs", X_blobs, Y_blobs), ("rings", X_rings, Y_rings)):
    for hidden in (0, 10):
        net, costs = train(X, Y, hidden)
        runs[name, hidden] = (net, costs)
        kind = "softmax regression" if not hidden else f"{hidden} tanh units"
        if not SMOKE:  # accuracy after a full run (not printed in smoke mode: 30 steps)
            print(f"{name}, {kind}: accuracy {training.accuracy(net, X, Y):.0f} %")

# %% [markdown]
# ## Decision regions: the class `argmax_k A_k` at every point of the plane

# %%
plt = pyplot()
if plt is not None:
    colours = plt.cm.tab10(np.arange(10))
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.5))
    step = 0.1 if SMOKE else 0.03
    for ax, ((name, hidden), (net, _)) in zip(axes.ravel(), runs.items()):
        X, labels = (X_blobs, labels_blobs) if name == "blobs" else (X_rings, labels_rings)
        C = C_blobs if name == "blobs" else C_rings
        xx, yy = np.meshgrid(np.arange(X[0].min() - 1, X[0].max() + 1, step),
                             np.arange(X[1].min() - 1, X[1].max() + 1, step))
        grid = np.stack([xx.ravel(), yy.ravel()])  # every grid point is a column
        classes = training.predict(net, grid).reshape(xx.shape)  # argmax_k A_k
        ax.contourf(xx, yy, classes, levels=np.arange(C + 1) - 0.5, colors=colours[:C],
                    alpha=0.35, antialiased=False)
        ax.scatter(X[0], X[1], c=colours[labels.ravel().astype(int)], s=14, edgecolors="k",
                   linewidths=0.3)
        kind = "softmax regression" if not hidden else f"{hidden} tanh units → softmax"
        accuracy = training.accuracy(net, X, labels)
        ax.set_title(f"{name} ({C} classes): {kind}, {accuracy:.0f} %")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    fig.tight_layout()
    saved(fig, OUT / "decision_regions.png")

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (name, hidden), (_, costs) in runs.items():
        ax.plot(costs, label=f"{name}, {'no hidden layer' if not hidden else f'{hidden} units'}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title("categorical cross-entropy")
    ax.legend()
    saved(fig, OUT / "cost.png")
