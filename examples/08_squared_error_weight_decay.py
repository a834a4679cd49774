# %% [markdown]
# # Squared error, weight decay and the δ form of backprop (seed 004, F5)
#
# The Peking University lecture (seed 004) writes backprop in the UFLDL style: `W^(l)` joins
# layer `l` to layer `l+1`, every unit uses the same `f` (here the sigmoid), and the cost is
# the squared error plus a weight-decay term:
#
#     J(W,b) = [1/m Σ_i ½‖h(x⁽ⁱ⁾) - y⁽ⁱ⁾‖²] + λ/2 Σ_l Σ_i Σ_j (W_ji^(l))²        (F5.1)
#
# Its algorithm ("残差", the residual δ):
#
# 1. forward: `z^(l+1) = W^(l) a^(l) + b^(l)`, `a^(l+1) = f(z^(l+1))`;
# 2. output layer: `δ^(nl) = -(y - a^(nl)) · f'(z^(nl))`                           (F5.2)
# 3. hidden layers: `δ^(l) = ((W^(l))ᵀ δ^(l+1)) · f'(z^(l))`                      (F5.3)
# 4. `∇_W^(l) J = δ^(l+1) (a^(l))ᵀ`, `∇_b^(l) J = δ^(l+1)` per example            (F5.4)
# 5. `∂J/∂W^(l) = [1/m Σ_i ∇_W^(l) J] + λ W^(l)`, `∂J/∂b^(l) = 1/m Σ_i ∇_b^(l) J`  (F5.5)
#
# We run those steps by hand in numpy beside autodiff on the same network, then train with
# and without weight decay to see what `λ` does to the weights:
# "目的是减小权重的幅度，防止过度拟合" (to shrink the weights and prevent over-fitting).

# %%
import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import Tensor, data, nn, optim, training
from tinygrad_edu.demo import draw_decision_boundary
from tinygrad_edu.nn import functional as F

OUT = output_dir("08_squared_error_weight_decay")
rng = np.random.default_rng(4)
n1, n2, n3, m, lam = 3, 4, 2, 5, 0.1  # layer sizes s_1, s_2, s_3; examples; λ

x = rng.normal(size=(n1, m))  # one example per column
y = rng.uniform(size=(n3, m))  # targets in (0, 1), as a sigmoid output can reach
W1 = Tensor(rng.normal(size=(n2, n1)) * 0.5, requires_grad=True, name="W1")  # layer 1 → 2
b1 = Tensor(np.zeros((n2, 1)), requires_grad=True, name="b1")
W2 = Tensor(rng.normal(size=(n3, n2)) * 0.5, requires_grad=True, name="W2")  # layer 2 → 3
b2 = Tensor(np.zeros((n3, 1)), requires_grad=True, name="b2")

# %% [markdown]
# ## Autodiff
#
# The forward pass in the lecture's names (`z2`, `a2`, `z3`, `a3 = h(x)`), the cost F5.1, one
# `backward()`.

# %%
z2 = W1 @ x + b1
a2 = z2.sigmoid()
z3 = W2 @ a2 + b2
a3 = z3.sigmoid()
J = F.mse_loss(a3, y) + F.l2_penalty([W1, W2], lam)
J.backward()
print(f"J = {J.item():.6f}")

# %% [markdown]
# ## The same gradients by hand: the δ form, one example at a time
#
# This is the lecture's loop (`for i=1:m, delta3 = -(y(:,i) - h(:,i)) .* fprime(z3(:,i)); ...`)
# in numpy, with `f'(z) = f(z)(1 - f(z))` for the sigmoid.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


grad_W1, grad_b1 = np.zeros((n2, n1)), np.zeros((n2, 1))
grad_W2, grad_b2 = np.zeros((n3, n2)), np.zeros((n3, 1))
for i in range(m):
    a1_i = x[:, [i]]  # a^(1) = x
    z2_i = W1.data @ a1_i + b1.data
    a2_i = sigmoid(z2_i)
    z3_i = W2.data @ a2_i + b2.data
    a3_i = sigmoid(z3_i)
    delta3 = -(y[:, [i]] - a3_i) * a3_i * (1 - a3_i)  # δ^(nl) = -(y - a)·f'(z)      F5.2
    delta2 = (W2.data.T @ delta3) * a2_i * (1 - a2_i)  # δ^(l) = (Wᵀ δ^(l+1))·f'(z)  F5.3
    grad_W2 += delta3 @ a2_i.T  # ∇_W^(2) J = δ^(3) (a^(2))ᵀ                          F5.4
    grad_b2 += delta3  # ∇_b^(2) J = δ^(3)
    grad_W1 += delta2 @ a1_i.T
    grad_b1 += delta2
grad_W1 = grad_W1 / m + lam * W1.data  # [1/m Σ_i ∇_W J] + λW                         F5.5
grad_W2 = grad_W2 / m + lam * W2.data
grad_b1, grad_b2 = grad_b1 / m, grad_b2 / m  # biases are not decayed

print(f"{'parameter':<10}{'shape':>8}{'max |autodiff - δ form|':>26}")
for name, tensor, by_hand in [("W1", W1, grad_W1), ("b1", b1, grad_b1),
                              ("W2", W2, grad_W2), ("b2", b2, grad_b2)]:
    error = np.max(np.abs(tensor.grad - by_hand))
    print(f"{name:<10}{tensor.shape!s:>8}{error:>26.2e}")

# %% [markdown]
# Autodiff also kept the gradient of every intermediate. `z3.grad` is `∂J/∂z^(3)` for the
# whole batch — the lecture's `δ^(3)` of each example, divided by `m` (the cost averages):

# %%
deltas3 = -(y - a3.data) * a3.data * (1 - a3.data)  # all examples at once (vectorized)
print("max |m · z3.grad - δ^(3)| =", f"{np.max(np.abs(m * z3.grad - deltas3)):.2e}")
deltas2 = (W2.data.T @ deltas3) * a2.data * (1 - a2.data)
print("max |m · z2.grad - δ^(2)| =", f"{np.max(np.abs(m * z2.grad - deltas2)):.2e}")

# %% [markdown]
# ## What weight decay does
#
# Weight decay adds `λ W` to every weight gradient, so each step shrinks `W` a little toward 0
# ("decay") before the data pulls it back. To see over-fitting we need a model that can
# memorize: a 2 → 50 → 1 network (tanh hidden units, sigmoid output, squared-error cost) on
# only 60 noisy "moons" points, judged on 340 held-out ones. Same initial weights for every
# `λ`.

# %%
X_all, Y_all = data.noisy_moons(n_samples=400, noise=0.3, seed=0)
X_train, Y_train, X_test, Y_test = X_all[:, :60], Y_all[:, :60], X_all[:, 60:], Y_all[:, 60:]
steps = iterations(4000, 30)


accuracy = training.accuracy  # the percentage of examples predicted right


def train_with(lam: float):
    rng = np.random.RandomState(1)  # the same initial weights for every λ
    model = nn.Sequential(
        nn.Dense(2, 50, activation="tanh", init="xavier", seed=rng),
        nn.Dense(50, 1, activation="sigmoid", init="xavier", seed=rng),
    )
    optimizer = optim.SGD(model.parameters(), lr=2.0)
    weights = model.weights()
    norms = []
    for _ in range(steps):
        cost = F.mse_loss(model(X_train), Y_train)
        if lam:
            cost = cost + F.l2_penalty(weights, lam)  # J + λ/2 Σ W²
        optimizer.zero_grad()
        cost.backward()
        optimizer.step()
        norms.append(sum(float(np.sum(W.data**2)) for W in weights))
    return model, norms


lambdas = [0.0, 1e-4, 1e-3, 1e-2]
runs = {lam: train_with(lam) for lam in lambdas}
print(f"{'λ':>8}{'Σ W² (W1, W2)':>24}{'train acc %':>13}{'test acc %':>12}")
for lam, (model, _) in runs.items():
    W_first, W_second = model.weights()
    squares = f"{np.sum(W_first.data**2):.1f}, {np.sum(W_second.data**2):.1f}"
    print(f"{lam:>8g}{squares:>24}{accuracy(model, X_train, Y_train):>13.1f}"
          f"{accuracy(model, X_test, Y_test):>12.1f}")

# %% [markdown]
# The larger `λ`, the smaller the weights (the sums of squares above) and the smoother the
# boundary. Without decay the network fits the 60 training points almost perfectly and does
# worse on the held-out ones; a small `λ` trades a little training accuracy for a little
# held-out accuracy; a `λ` too large pulls the weights so small that the boundary is too
# simple (under-fitting). The gains are modest on this data — an honest picture of what
# weight decay does: it limits the size of the weights, and through it the wiggles.

# %%
plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.6))
    for lam, (_, norms) in runs.items():
        axes[0].plot(norms, label=f"λ = {lam:g}")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("Σ W²  (all weights)")
    axes[0].set_title("Weight decay keeps the weights small")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    for ax, lam in zip(axes[1:], [0.0, 1e-3]):
        model = runs[lam][0]

        draw_decision_boundary(ax, lambda P, model=model: training.predict(model, P),
                               X_train, Y_train,
                               f"λ = {lam:g}: train {accuracy(model, X_train, Y_train):.0f} %, "
                               f"held-out {accuracy(model, X_test, Y_test):.1f} %",
                               step=0.05 if SMOKE else 0.01)
    fig.tight_layout()
    saved(fig, OUT / "weight_decay.png")
