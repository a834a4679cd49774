# %% [markdown]
# # Random initialization breaks the symmetry (F8)
#
# The notes (seed 001 §9, seed 002 "随机初始化", seed 003, seed 004) all warn: "如果将神经元的 W
# 全部设置相同，那么每个神经元所计算出的梯度也相同。因此无论经过多少次迭代，它们仍然是对称的" — if
# every hidden unit starts with the same weights, every unit gets the same gradient, so after
# any number of iterations they are still identical: the layer behaves like a single unit.
# Initializing `b` to zero is fine; `W` must be random: `np.random.randn(...) * 0.01`.
#
# We train the flower network (2 → 3 tanh → 1 sigmoid, learning rate 1.2) three times:
# with all weights 0, with all weights equal to 0.5, and with the course's random weights,
# and print the rows of `W1` (one row per hidden unit) as training goes.

# %%
import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import data, nn, optim, training
from tinygrad_edu.demo import draw_decision_boundary
from tinygrad_edu.nn import functional as F

OUT = output_dir("04_random_initialization")
X, Y = data.load_planar_dataset()
n_h = 3
checkpoints = [0, 1, 10, 100, 1000, 5000]
steps = iterations(5000, 10)


def flower_network(init: str, hidden: str = "tanh") -> nn.Sequential:
    rng = np.random.RandomState(2)
    return nn.Sequential(
        nn.Dense(2, n_h, activation=hidden, init="zeros" if init == "equal" else init, seed=rng),
        nn.Dense(n_h, 1, activation="sigmoid", init="zeros" if init == "equal" else init,
                 seed=rng),
    )


def show_rows(W1) -> str:
    return "  ".join(f"[{row[0]:+.4f} {row[1]:+.4f}]" for row in W1.data)


def train(init: str) -> nn.Sequential:
    model = flower_network(init)
    if init == "equal":
        for W in model.weights():
            W.data[...] = 0.5  # every weight the same (not zero)
    W1 = model.weights()[0]
    optimizer = optim.SGD(model.parameters(), lr=1.2)
    print(f"\n{init} initialization: rows of W1 (one per hidden unit)")
    for i in range(steps + 1):
        if i in checkpoints or i == steps:
            print(f"  iteration {i:>5}: {show_rows(W1)}")
        if i == steps:
            break
        J = F.binary_cross_entropy(model(X), Y)
        optimizer.zero_grad()
        J.backward()
        optimizer.step()
    return model


def accuracy(model) -> float:
    return training.accuracy(model, X, Y)


models = {init: train(init) for init in ["zeros", "equal", "course"]}

# %% [markdown]
# With zeros, nothing in `W1` ever moves: `A1 = tanh(0) = 0`, so `dW2 = dZ2 A1ᵀ = 0`, and
# `dZ1 = W2ᵀ dZ2 * (1 - A1²) = 0` because `W2 = 0`. With equal weights the rows move, but
# together: three hidden units computing one function. Only random weights give three
# different units — and the flower. (The "equal" rows end up differing in the 8th decimal:
# rounding inside the matrix products is a tiny symmetry breaker, far too small to matter.)

# %%
print(f"\n{'initialization':<16}{'accuracy %':>11}{'max |row_i - row_1| of W1':>28}")
for init, model in models.items():
    W1 = model.weights()[0].data
    spread = np.max(np.abs(W1 - W1[0]))
    print(f"{init:<16}{accuracy(model):>11.2f}{spread:>28.2e}")

# %% [markdown]
# ## The first step from all zeros with sigmoid hidden units (seed 001's worked example, F8.3)
#
# With `W1 = W2 = b1 = b2 = 0` and a hidden activation that is not 0 at 0 (the sigmoid gives
# 0.5), the notes work out one step by hand: `dW1 = 0` and `db1 = 0` — "error could not
# transfer to previous layer", because it has to pass through `W2 = 0` — while `dW2` is not 0
# but has equal entries, so the hidden units stay symmetric. (We take the first 300 flower
# points, 200 red and 100 blue: on the balanced 400, `A2 - Y` averages to 0 and so does `dW2`.)

# %%
model = flower_network("zeros", hidden="sigmoid")
F.binary_cross_entropy(model(X[:, :300]), Y[:, :300]).backward()
for p in model.parameters():
    print(f"d{p.name} = {np.array2string(p.grad.ravel(), precision=6)}")

# %% [markdown]
# ## The three decision boundaries

# %%
plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    for ax, (init, model) in zip(axes, models.items()):
        draw_decision_boundary(ax, lambda P, model=model: training.predict(model, P), X, Y,
                               f"W init: {init} ({accuracy(model):.1f} %)",
                               step=0.05 if SMOKE else 0.02)
    fig.tight_layout()
    saved(fig, OUT / "symmetry.png")
