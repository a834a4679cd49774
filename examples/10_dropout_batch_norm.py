# %% [markdown]
# # Dropout and batch norm: training curves with and without (F12, F13)
#
# Two lessons after the notes, each with its formula proven in the test suite:
#
# * **batch norm** (F13) normalises each unit over the m examples of the mini-batch,
#   `Z_norm = (Z - μ) / √(σ² + ε)`, `Z̃ = γ Z_norm + β`, before the activation. The notes
#   say it "could help the sigmoid/tanh saturation … makes weight initialisation less
#   important": a 5-layer tanh network with the course's `randn * 0.01` does not learn at
#   all without it, and learns the flower with it.
# * **inverted dropout** (F12) switches each hidden unit off with probability
#   `1 - keep_prob` during training, `A = A * D / keep_prob`: a regularisation. A wide
#   network on 120 noisy points learns them by heart; with dropout it generalises better.
#
# Both layers act only in training mode; `training.fit` trains in training mode and
# `training.predict` / `accuracy` evaluate in eval mode (no dropout, batch norm's running
# averages).

# %%
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import data, explain, nn, no_grad, optim, training
from tinygrad_edu.nn import functional as F

OUT = output_dir("10_dropout_batch_norm")

# %% [markdown]
# ## Batch norm on a deep tanh network with the course's initialisation
#
# `Dense(..., batch_norm=True)` computes `Z = W A_prev` (no `b`: `β` takes its place), then
# `Z̃ = γ Z_norm + β`, then `A = tanh(Z̃)`. Its backward is one op, the course's closed form:

# %%
X, Y = data.load_planar_dataset()
DIMS = [2, 10, 10, 10, 10, 1]


def deep_tanh(batch_norm):
    L = len(DIMS) - 1
    return nn.Sequential(*[
        nn.Dense(DIMS[l - 1], DIMS[l], "tanh" if l < L else "sigmoid", seed=l,
                 batch_norm=batch_norm and l < L)
        for l in range(1, L + 1)
    ])


model = deep_tanh(batch_norm=True)
J = F.binary_cross_entropy(model(X), Y)
for line in explain(J).lines():
    if line.startswith(("dZ1 =", "dgamma1 =", "dbeta1 =")):
        print(line)

curves_bn = {}
for batch_norm in (False, True):
    net = deep_tanh(batch_norm)
    label = "with batch norm" if batch_norm else "without batch norm"
    curves_bn[label] = training.fit(net, X, Y, lr=0.1, iterations=iterations(2000, 20),
                                    print_every=0)
    print(f"{label}: cost at iteration 0: {curves_bn[label][0]:.4f}")
    if not SMOKE:  # full runs only; a last-digit difference on another CPU is possible
        # (no accuracy without batch norm: every output is 0.5 give or take rounding noise)
        accuracy = f", accuracy {training.accuracy(net, X, Y):.0f} %" if batch_norm else ""
        print(f"{label}: cost after 2000 iterations {curves_bn[label][-1]:.2f}{accuracy}")

# %% [markdown]
# ## Dropout against overfitting
#
# 120 noisy "moons" to train on, 1000 others to test on; two hidden layers of 64 ReLU units
# (far more than the data need), Adam. The test cost is computed in eval mode every 50
# iterations.

# %%
X_train, Y_train = data.noisy_moons(n_samples=120, noise=0.35, seed=1)
X_test, Y_test = data.noisy_moons(n_samples=1000, noise=0.35, seed=2)


def wide_net(keep_prob):
    layers = [nn.Dense(2, 64, "relu", init="he", seed=1)]
    layers += [nn.Dropout(keep_prob, seed=0)] if keep_prob < 1 else []
    layers += [nn.Dense(64, 64, "relu", init="he", seed=2)]
    layers += [nn.Dropout(keep_prob, seed=1)] if keep_prob < 1 else []
    layers += [nn.Dense(64, 1, "sigmoid", init="xavier", seed=3)]
    return nn.Sequential(*layers)


curves_dropout = {}
for keep_prob in (1.0, 0.6):
    net = wide_net(keep_prob)
    test_costs = []

    def record_test_cost(i, cost, model, test_costs=test_costs):
        if i % 50 == 0:
            with no_grad():
                model.eval()  # fit puts training mode back after the callback's eval
                test_costs.append(F.binary_cross_entropy(model(X_test), Y_test).item())
                model.train()

    train_costs = training.fit(net, X_train, Y_train, optimizer=optim.Adam(net.parameters(),
                               lr=0.005), iterations=iterations(2000, 20), print_every=0,
                               callback=record_test_cost)
    label = f"keep_prob = {keep_prob:g}"
    curves_dropout[label] = (train_costs, test_costs)
    print(f"{label}: {len(net)} layers, dropout {'off' if keep_prob == 1 else 'on'} in training")
    if not SMOKE:  # full runs only
        print(f"{label}: train accuracy {training.accuracy(net, X_train, Y_train):.0f} %, "
              f"test accuracy {training.accuracy(net, X_test, Y_test):.0f} %")

# %% [markdown]
# ## The curves

# %%
plt = pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, costs in curves_bn.items():
        ax.plot(costs, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title("5-layer tanh network, W = randn * 0.01, on the flower")
    ax.legend()
    saved(fig, OUT / "batch_norm.png")

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (label, (train_costs, test_costs)), colour in zip(curves_dropout.items(),
                                                           ("tab:red", "tab:blue")):
        ax.plot(train_costs, color=colour, alpha=0.6, label=f"train, {label}")
        ax.plot(range(0, 50 * len(test_costs), 50), test_costs, color=colour, linestyle="--",
                linewidth=2, label=f"test, {label}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_yscale("log")
    ax.set_title("120 noisy moons, 2 × 64 ReLU units: dropout against overfitting")
    ax.legend()
    saved(fig, OUT / "dropout.png")
