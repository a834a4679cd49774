# %% [markdown]
# # Deep networks: layer_dims, shapes, and why depth (seed 001, seed 002, F4)
#
# An L-layer network repeats the two steps of every layer (F4.1):
#
#     Z[l] = W[l] A[l-1] + b[l],   A[l] = g[l](Z[l]),   A[0] = X,   A[L] = ŷ
#
# and the notes insist on checking the dimensions ("one tech. tip is to check matrix
# dimension mapping in computation"):
#
#     W[l], dW[l]: (n[l], n[l-1])    b[l], db[l]: (n[l], 1)    Z[l], A[l], dZ[l], dA[l]: (n[l], m)
#
# "W[l] dimension no change … dimension no influence by example size m"; b is broadcast over
# the m columns.

# %%
import numpy as np
from _common import SMOKE, iterations, output_dir, pyplot, saved

from tinygrad_edu import autograd, data, nn, optim, training
from tinygrad_edu.nn import functional as F

OUT = output_dir("07_deep_network")

# %% [markdown]
# ## The shapes, as the framework records them
#
# The course's 4-layer image model: 64×64×3 = 12288 inputs, then 20, 7, 5 units and one
# output; m = 209 images (random pixels here: only the shapes matter). After one forward and
# backward pass we walk the recorded graph and print the shape of every named tensor and of
# its gradient.

# %%
layer_dims = [12288, 20, 7, 5, 1]
model = nn.deep_network(layer_dims, hidden="relu", output="sigmoid", init="course", seed=1)
print(model)
m = 209
rng = np.random.default_rng(0)
X = rng.uniform(size=(layer_dims[0], m))
Y = (rng.uniform(size=(1, m)) > 0.5).astype(float)
J = F.binary_cross_entropy(model(X), Y)
J.backward()

named = {t.name: t for t in autograd.topological_order(J, only_requires_grad=False) if t.name}
print(f"\n{'l':>2}  {'W[l]':>12}{'b[l]':>9}{'Z[l]':>11}{'A[l]':>11}{'dW[l]':>13}{'dZ[l]':>11}")
for l in range(1, len(layer_dims)):
    W, b, Z, A = (named[f"{k}{l}"] for k in "WbZA")
    print(f"{l:>2}  {W.shape!s:>12}{b.shape!s:>9}{Z.shape!s:>11}{A.shape!s:>11}"
          f"{W.grad.shape!s:>13}{Z.grad.shape!s:>11}")
    assert W.shape == (layer_dims[l], layer_dims[l - 1]) and b.shape == (layer_dims[l], 1)
    assert Z.shape == A.shape == (layer_dims[l], m) and W.grad.shape == W.shape

# %% [markdown]
# ## Why deep? The circuit-theory remark
#
# "There are functions you can compute with a 'small' L-layer deep neural network that
# shallower networks require exponentially more hidden units to compute." The notes' example
# is the parity `y = x1 XOR x2 XOR … XOR xn`: a tree of XOR gates has depth O(log n) and
# n − 1 gates, while one layer of AND/OR gates needs about 2^(n−1) units (one per odd input
# pattern).
#
# Does that show up when we *train* networks? We take all 256 inputs of n = 8 bits (as ±1),
# and train, with Adam, a deep narrow network shaped like the XOR tree (8 → 8 → 4 → 2 → 1,
# 14 hidden tanh units) against one-hidden-layer networks with as many, fewer, and more
# units — three random initializations each — and report the training accuracy (the task
# is to represent parity on every input, so all 256 are the training set).

# %%
n = 8
X_bits, Y_bits = data.parity_bits(n)
X_bits = 2 * X_bits - 1  # bits as ±1: zero-centred inputs for tanh
print(f"parity of {n} bits: X {X_bits.shape}, Y {Y_bits.shape}, "
      f"{int(Y_bits.sum())} of {Y_bits.shape[1]} inputs have odd parity")

shapes = {
    "deep, XOR-tree shaped": [n, 8, 4, 2, 1],
    "shallow, same 14 units": [n, 14, 1],
    "shallow, 8 units": [n, 8, 1],
    "shallow, 4 units": [n, 4, 1],
}
seeds = [0] if SMOKE else [0, 1, 2]
steps = iterations(1500, 20)
histories = {}
print(f"\n{'network':<24}{'layer_dims':<18}{'parameters':>10}  accuracy % per seed"
      "      final cost per seed")
for label, dims in shapes.items():
    accuracies, final_costs = [], []
    for seed in seeds:
        net = nn.deep_network(dims, hidden="tanh", output="sigmoid", init="xavier", seed=seed)
        costs = training.fit(net, X_bits, Y_bits, optimizer=optim.Adam(net.parameters(), lr=0.02),
                             iterations=steps, print_every=None)
        accuracies.append(training.accuracy(net, X_bits, Y_bits))
        final_costs.append(costs[-1])
        histories.setdefault(label, costs)
    print(f"{label:<24}{dims!s:<18}{net.num_parameters():>10}  "
          f"{', '.join(f'{a:6.2f}' for a in accuracies):<24}"
          f"{', '.join(f'{c:.1e}' for c in final_costs)}")

# %% [markdown]
# What happens, honestly: the deep narrow network learns 8-bit parity, but so does a single
# hidden layer with the same number of units; only the smaller shallow networks fall short.
# The deep one tends to drive the cost lower in the same number of steps (by far for the
# seed in the figure, barely for another: see the last column), but there is no exponential
# gap in what can be represented, and the reason is instructive: the circuit argument counts
# AND/OR gates, while a tanh unit thresholds a *weighted sum*. Parity depends only on how
# many bits are 1, so about n such units in one layer can represent it (one threshold per
# count), not 2^(n−1). Depth still helps in the sense of the notes (composing simple
# features into complex ones), and there are functions where the gap is provably
# exponential even for threshold units, but n-bit parity is not the example that shows it
# with smooth units. And representable is not the same as learnable: which network gets to
# 100 % also depends on the initialization and the optimizer.

# %%
plt = pyplot()
if plt is not None:
    print("plotting the cost of the first seed of each network")
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, costs in histories.items():
        ax.plot(costs, label=f"{label} {shapes[label]}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration (Adam, lr 0.02)")
    ax.set_ylabel("cost J")
    ax.set_title(f"Learning the parity of {n} bits")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    saved(fig, OUT / "parity_cost.png")
