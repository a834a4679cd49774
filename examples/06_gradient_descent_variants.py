# %% [markdown]
# # Batch, mini-batch and stochastic gradient descent (seed 001 §1, seed 004, F9); momentum,
# # RMSprop, Adam, learning-rate decay and gradient clipping (F14)
#
# The cost is an average over the examples, `J = 1/m Σ_i J(i)`, so its gradient is the
# average of the per-example gradients: "dw(i) … for making only J(i) smaller, but could not
# make sure sum of J(i) is smaller → dw(i) average over m size training example, make sure
# J over m is becoming smaller" (seed 001). Batch gradient descent averages all m; stochastic
# gradient descent (SGD) uses one example per step; mini-batch gradient descent a few.
#
# ## Why not follow one example's gradient? The Zhihu answer's example (F9.1)
#
# "假设 ℓ_1(x) = (x+2)²，但 ℓ_2(x) = … = ℓ_10(x) = (x−1)²，很容易算出整个 f(x) 的最小值在
# x = 0.7 的位置取到。那么假设我现在在 x_0 = 0 出发想迭代求解这个问题，我应不应该按 −∇ℓ_1(x_0)
# 所指示的往负数方向走呢？" — with `f(x) = 1/10 Σ ℓ_i(x)`, the minimum is at 0.7; starting from
# 0, should we follow `-∇ℓ_1(0)`, the largest of the per-example gradients, toward the
# negative numbers?

# %%
import time

import numpy as np
from _common import iterations, output_dir, pyplot, saved

from tinygrad_edu import Tensor, data, grad, nn, no_grad, optim, training
from tinygrad_edu.demo import plot_costs
from tinygrad_edu.nn import functional as F

OUT = output_dir("06_gradient_descent_variants")


def losses(x: Tensor) -> list:
    """ℓ_1(x) = (x + 2)², ℓ_2(x) = … = ℓ_10(x) = (x - 1)²."""
    return [(x + 2) ** 2] + [(x - 1) ** 2 for _ in range(9)]


def f(x: Tensor) -> Tensor:
    ells = losses(x)
    return sum(ells[1:], ells[0]) / 10  # f(x) = 1/10 Σ ℓ_i(x)


x0 = Tensor(0.0, requires_grad=True, name="x")
per_example = [float(grad(ell, x0)) for ell in losses(x0)]
print(f"at x = 0: ∇ℓ_1 = {per_example[0]:+.1f}, ∇ℓ_2..10 = {per_example[1]:+.1f}, "
      f"∇f = {float(grad(f(x0), x0)):+.1f}")
print("-∇ℓ_1(0) points to the negative side, -∇f(0) to the positive side, where 0.7 is.")

# %% [markdown]
# Gradient descent on `f` (learning rate 0.1) walks straight to 0.7. Following, at every
# step, the per-example gradient of largest magnitude (the question's idea) does not: it
# goes left while `ℓ_1` shouts loudest and ends up bouncing between -2/3 and -1/3, around
# x = -0.5, where the two kinds of gradient are equally large. SGD picks one `ℓ_i` at random
# per step — mostly the nine that pull right — and, with a shrinking step, settles near 0.7.

# %%
steps = 60
lr = 0.1
x_gd, x_max, x_sgd = 0.0, 0.0, 0.0
rng = np.random.default_rng(1)
path = {"gradient descent on f": [0.0], "largest per-example gradient": [0.0],
        "SGD (one random ℓ_i, step 0.1/√t)": [0.0]}
for t in range(1, steps + 1):
    x = Tensor(x_gd, requires_grad=True)
    x_gd -= lr * float(grad(f(x), x))  # x := x - η ∇f(x)
    x = Tensor(x_max, requires_grad=True)
    gradients = [float(grad(ell, x)) for ell in losses(x)]
    x_max -= lr * max(gradients, key=abs)
    x = Tensor(x_sgd, requires_grad=True)
    i = rng.integers(10)
    x_sgd -= lr / np.sqrt(t) * float(grad(losses(x)[i], x))
    for label, value in zip(path, (x_gd, x_max, x_sgd)):
        path[label].append(value)

print(f"{'step':>5}" + "".join(f"{label:>36}" for label in path))
for t in (0, 1, 2, 5, 10, 20, 40, 59, 60):
    print(f"{t:>5}" + "".join(f"{values[t]:>36.4f}" for values in path.values()))

# %% [markdown]
# ## The mini-batch gradient is the mean of the per-example gradients (F9.2)
#
# On the flower data with the course's network: the gradient of the cost of a batch of 8
# examples equals the average of the 8 one-example gradients, and the gradient over all 400
# is the batch-gradient-descent step.

# %%
X, Y = data.load_planar_dataset()
model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=2)
W1 = model.weights()[0]
batch = slice(0, 8)
g_batch = grad(F.binary_cross_entropy(model(X[:, batch]), Y[:, batch]), W1)
g_each = [grad(F.binary_cross_entropy(model(X[:, [i]]), Y[:, [i]]), W1) for i in range(8)]
print(f"max |dW1(batch of 8) - mean of 8 one-example dW1| = "
      f"{np.max(np.abs(g_batch - np.mean(g_each, axis=0))):.1e}")

# %% [markdown]
# ## The three on the same data and the same budget
#
# Budget: the same number of passes over the 400 examples ("epochs"), from the same initial
# weights, `np.random.seed(2)`-style. Per epoch batch gradient descent takes 1 step,
# mini-batches of 64 take 7 steps, SGD takes 400. Batch and mini-batch use the course's
# learning rate 1.2; one example's gradient is much noisier, so SGD gets 0.05 (with 1.2 it
# jumps around). We record the cost on all 400 examples after every epoch.

# %%
epochs = iterations(30, 3)
variants = {  # label: (batch size, learning rate)
    "batch (m = 400)": (None, 1.2),
    "mini-batch (64)": (64, 1.2),
    "stochastic (1)": (1, 0.05),
}
curves, seconds, accuracies = {}, {}, {}
for label, (batch_size, learning_rate) in variants.items():
    model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=2)
    full_costs = []

    def record(i, cost, model, full_costs=full_costs):
        with no_grad():
            full_costs.append(F.binary_cross_entropy(model(X), Y).item())

    start = time.perf_counter()
    training.fit(model, X, Y, lr=learning_rate, iterations=epochs, batch_size=batch_size,
                 seed=0, print_every=None, callback=record)
    seconds[label] = time.perf_counter() - start
    curves[label] = full_costs
    accuracies[label] = training.accuracy(model, X, Y)

print(f"{'variant':<18}{'steps/epoch':>12}{'cost after 1, 10, all epochs':>34}{'accuracy':>10}"
      f"{'seconds':>9}")
for label, (batch_size, _) in variants.items():
    c = curves[label]
    per_epoch = -(-X.shape[1] // (batch_size or X.shape[1]))
    marks = ", ".join(f"{c[k]:.3f}" for k in sorted({0, min(9, len(c) - 1), len(c) - 1}))
    print(f"{label:<18}{per_epoch:>12}{marks:>34}{accuracies[label]:>9.2f}%"
          f"{seconds[label]:>9.2f}")

# %% [markdown]
# Per epoch, the more steps the faster the cost falls: SGD and mini-batches are far ahead of
# batch gradient descent, which needs thousands of epochs here (see `02_planar_flower.py`).
# Per second the picture changes: SGD pays Python's overhead 400 times per epoch, and
# mini-batches — many steps, each still vectorized — are the usual compromise.

# %%
if pyplot() is not None:
    print("wrote", plot_costs(curves, OUT / "cost_per_epoch.png",
                              "Cost on all 400 examples after each epoch", xlabel="epoch"))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, values in path.items():
        ax.plot(values, label=label, marker=".", linewidth=1)
    ax.axhline(0.7, color="gray", linestyle="--", linewidth=0.8)
    ax.set_ylim(-0.8, 0.9)
    ax.text(steps, 0.72, "minimum of f: 0.7", ha="right", va="bottom", color="gray")
    ax.set_xlabel("step")
    ax.set_ylabel("x")
    ax.set_title("f(x) = 1/10 [(x+2)² + 9 (x-1)²], starting at x = 0")
    ax.grid(alpha=0.3)
    ax.legend()
    saved(fig, OUT / "zhihu_example.png")

# %% [markdown]
# ## Momentum, RMSprop, Adam and learning-rate decay (F14)
#
# The same network, mini-batches of 64, the same initial weights, one optimizer each:
#
# * gradient descent: `W := W − α dW`;
# * momentum: `v = β v + (1 − β) dW`, `W := W − α v`;
# * RMSprop: `s = β s + (1 − β) dW²`, `W := W − α dW / (√s + ε)` — each weight's step is
#   divided by the root mean square of its recent gradients;
# * Adam: both, with the bias correction `v̂ = v / (1 − β1^t)`, `ŝ = s / (1 − β2^t)`,
#   `W := W − α v̂ / (√ŝ + ε)`;
# * Adam with a larger α0 that decays: `α = α0 / (1 + decay_rate · epoch)`, one
#   `schedule.step()` per epoch (with `fit`, through its callback).
#
# RMSprop and Adam take steps of about α per weight whatever the gradient's scale, so their
# learning rates are of another order than gradient descent's 1.2.

# %%
optimizer_epochs = iterations(150, 3)
choices = {  # label: (make the optimizer, make the schedule or None)
    "gradient descent (α = 1.2)": (lambda ps: optim.SGD(ps, lr=1.2), None),
    "momentum (α = 1.2, β = 0.9)": (lambda ps: optim.Momentum(ps, lr=1.2, beta=0.9), None),
    "RMSprop (α = 0.01, β = 0.9)": (lambda ps: optim.RMSprop(ps, lr=0.01, beta=0.9), None),
    "Adam (α = 0.01)": (lambda ps: optim.Adam(ps, lr=0.01), None),
    "Adam, α = 0.05 / (1 + 0.05 epoch)": (
        lambda ps: optim.Adam(ps, lr=0.05),
        lambda opt: optim.InverseTimeDecay(opt, decay_rate=0.05),
    ),
}
optimizer_curves, optimizer_accuracy, schedules = {}, {}, {}
for label, (make_optimizer, make_schedule) in choices.items():
    model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=2)
    opt = make_optimizer(model.parameters())
    schedule = make_schedule(opt) if make_schedule else None
    full_costs = []

    def after_epoch(i, cost, model, full_costs=full_costs, schedule=schedule):
        with no_grad():
            full_costs.append(F.binary_cross_entropy(model(X), Y).item())
        if schedule is not None:
            schedule.step()  # α for the next epoch

    training.fit(model, X, Y, optimizer=opt, iterations=optimizer_epochs, batch_size=64,
                 seed=0, print_every=None, callback=after_epoch)
    optimizer_curves[label] = full_costs
    optimizer_accuracy[label] = training.accuracy(model, X, Y)
    if schedule is not None:
        schedules[label] = schedule

print(f"{'optimizer':<36}{'cost after 1 epoch':>19}{'at the end':>12}{'accuracy':>10}")
for label, curve in optimizer_curves.items():
    print(f"{label:<36}{curve[0]:>19.3f}{curve[-1]:>12.3f}{optimizer_accuracy[label]:>9.2f}%")
for label, schedule in schedules.items():
    print(f"{label}: α at epochs 0, 10, 50, 100 = "
          + ", ".join(f"{schedule.lr_at(e):.4f}" for e in (0, 10, 50, 100)))

# %% [markdown]
# One learning rate does not suit every optimizer: with the α of gradient descent, momentum
# settles on a plateau here within this budget (its averaged steps carried it to another
# region of the cost), while RMSprop and Adam, with their own α, reach gradient descent's
# accuracy with smooth curves, where gradient descent's large steps on mini-batches make it
# spike; the decaying α starts fast and then steadies. Try other α and β: each run takes
# about a second.
#
# Gradient clipping bounds a step without changing its direction: all the gradients are
# scaled by one factor, `g := g · min(1, c / ‖g‖)`, `‖g‖` over every parameter together.

# %%
model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=2)
F.binary_cross_entropy(model(X), Y).backward()
norm = optim.clip_grad_norm_(model.parameters(), max_norm=0.001)
clipped = np.sqrt(sum(np.sum(p.grad**2) for p in model.parameters()))
print(f"clip_grad_norm_: ‖g‖ = {norm:.4f} before, {clipped:.4f} after (c = 0.001)")

# %%
if pyplot() is not None:
    print("wrote", plot_costs(optimizer_curves, OUT / "optimizers.png",
                              "Cost on all 400 examples after each epoch (mini-batches of 64)",
                              xlabel="epoch"))
