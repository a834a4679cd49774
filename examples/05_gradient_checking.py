# %% [markdown]
# # Gradient checking (seed 004 "初步梯度检验方法", F6)
#
# How do we know backprop is right? The lecture's answer: compare it with the definition of the
# derivative. For every parameter `θ_i`, nudge it by `±ε` and watch the cost:
#
#     g_i(θ) ≈ (J(θ^(i+)) - J(θ^(i-))) / (2ε),   θ^(i±) = θ ± ε e_i,   ε = 1e-4     (F6.2)
#
# "取EPSILON为10-4则上式结果大致相同" — with ε = 1e-4 both agree to about 1e-4 or better. The
# course measures the agreement with the relative difference
#
#     ‖g - g_num‖ / (‖g‖ + ‖g_num‖)
#
# which is scale-free: about 1e-7 or less means correct, 1e-3 or more means a bug.
# `tinygrad_edu.gradcheck` does exactly this for every element of every input (in float64:
# in float32 the central difference itself is off by about 1e-3).

# %%
import numpy as np
from _common import output_dir

from tinygrad_edu import Tensor, functions, gradcheck, nn
from tinygrad_edu.nn import functional as F

output_dir("05_gradient_checking")  # this example prints only
rng = np.random.default_rng(5)
X = rng.normal(size=(3, 10))  # 10 examples with 3 features, as columns
Y = (rng.uniform(size=(1, 10)) > 0.5).astype(float)

# layer_dims of a deep network: 3 inputs, three hidden layers of 5, 4, 3 tanh units, 1 output
model = nn.deep_network([3, 5, 4, 3, 1], hidden="tanh", output="sigmoid", init="xavier", seed=1)
params = model.parameters()
print("parameters:", ", ".join(f"{p.name} {p.shape}" for p in params))


def cost(*parameters):
    """J(θ): the mean cross-entropy of the network on (X, Y); gradcheck nudges θ in place."""
    return F.binary_cross_entropy(model(X), Y)


# %% [markdown]
# ## A correct backward pass
#
# The report gives the relative difference over all parameters, then, per parameter, its own
# relative difference and the element where autodiff and the numbers are furthest apart.

# %%
result = gradcheck(cost, params)
print(result)

# %% [markdown]
# ## What a bug looks like
#
# Now we plant the most common mistake in the tanh rule: forgetting the square in
# `g'(z) = 1 - a²` (writing `dZ = dA * (1 - A)`). We replace the op's derivative rule for a
# moment and run the same check. Every parameter *below* a tanh layer now gets a wrong
# gradient; the output layer's `W4`, `b4` (after the sigmoid, which we did not touch) stay
# right — so the report points at where the bug lives.

# %%
correct_rule = functions.Tanh.backward


def buggy_tanh_backward(self, g, out, z):
    return (g * (1.0 - out),)  # BUG: should be 1 - out²


functions.Tanh.backward = buggy_tanh_backward
try:
    buggy = gradcheck(cost, params)
finally:
    functions.Tanh.backward = correct_rule
print(buggy)
print()
worst = buggy.worst
print(f"verdict: {'passed' if buggy else 'FAILED'}; worst element {worst.name}{worst.worst_index}: "
      f"autodiff {worst.analytic[worst.worst_index]:.6f}, "
      f"numerical {worst.numeric[worst.worst_index]:.6f}")

# %% [markdown]
# ## A subtler bug: a gradient 0.1 % off
#
# A derivative scaled by 1.001 (say a wrong constant) gives a relative difference of about
# 5e-4: far above 1e-7, so still caught, although every number "looks right".

# %%
correct_sigmoid = functions.Sigmoid.backward


def slightly_wrong_sigmoid(self, g, out, z):
    return (g * out * (1.0 - out) * 1.001,)


functions.Sigmoid.backward = slightly_wrong_sigmoid
try:
    slightly_off = gradcheck(cost, params)
finally:
    functions.Sigmoid.backward = correct_sigmoid
print(f"gradient 0.1 % off: relative difference {slightly_off.relative_difference:.1e} "
      f"-> {'passed' if slightly_off else 'FAILED'}")

# %% [markdown]
# ## One component by hand
#
# What gradcheck does, for one weight: nudge it by ±ε, recompute `J`, divide.

# %%
W1 = params[0]
J = cost()
for p in params:
    p.zero_grad()
J.backward()
eps = 1e-4
original = W1.data[0, 0]
W1.data[0, 0] = original + eps
J_plus = cost().item()
W1.data[0, 0] = original - eps
J_minus = cost().item()
W1.data[0, 0] = original
numeric = (J_plus - J_minus) / (2 * eps)
print(f"dJ/dW1[0,0]: autodiff {W1.grad[0, 0]:.10f}, (J(θ+ε) - J(θ-ε))/2ε = {numeric:.10f}")

# %% [markdown]
# ## Why float64
#
# The same check in float32 cannot tell right from wrong: rounding in `J(θ ± ε)` is about
# 1e-7 · |J|, divided by 2ε = 2e-4 that is an error near 1e-3 in every numerical derivative.
# gradcheck refuses float32 inputs and says so:

# %%
try:
    gradcheck(lambda w: (w * w).sum(), Tensor(np.ones(3), requires_grad=True, dtype="float32"))
except TypeError as error:
    print(f"{type(error).__name__}: {error}")
