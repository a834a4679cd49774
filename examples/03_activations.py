# %% [markdown]
# # Activation functions and their derivatives (F2)
#
# The notes (seed 001 "Activation functions", seed 002, seed 003) list four activations:
#
# * sigmoid `a = 1/(1+e^-z)`, `a' = a(1-a)`, range (0, 1): "一般只用于二元分类" — mostly for the
#   output of a binary classifier;
# * tanh `a = (e^z - e^-z)/(e^z + e^-z)`, `a' = 1 - a²`, range (-1, 1): zero-centred, "表现优于
#   Sigmoid"; in fact a shifted and rescaled sigmoid, `tanh(z) = 2σ(2z) - 1` (seed 003);
# * ReLU `a = max(0, z)`: sigmoid and tanh have small gradients when |z| is large; ReLU does not;
# * leaky ReLU `a = max(0.01 z, z)`: a small slope for z < 0, so the gradient never dies.
#
# Here autodiff computes every derivative: for an element-wise `a = g(z)`, the gradient of
# `Σ a` with respect to `z` is `g'(z)` at every point. We compare it with the course's closed
# forms and draw all eight curves on one figure.

# %%
import numpy as np
from _common import SMOKE, output_dir, pyplot, saved

from tinygrad_edu import Tensor

OUT = output_dir("03_activations")
z_values = np.linspace(-5, 5, 101 if SMOKE else 1001)  # contains z = 0 exactly


def value_and_derivative(activation):
    """a = g(z) and g'(z), the latter by autodiff: d(Σ a)/dz = g'(z) element by element."""
    z = Tensor(z_values, requires_grad=True, name="z")
    a = activation(z)
    a.sum().backward()
    return a.data, z.grad


activations = {
    "sigmoid": lambda z: z.sigmoid(),
    "tanh": lambda z: z.tanh(),
    "ReLU": lambda z: z.relu(),
    "leaky ReLU (α = 0.01)": lambda z: z.leaky_relu(0.01),
}
curves = {name: value_and_derivative(f) for name, f in activations.items()}

# %% [markdown]
# ## Autodiff against the course's derivatives
#
# `a' = a(1-a)` for sigmoid, `1 - a²` for tanh, `1 if z > 0 else 0` for ReLU and
# `1 if z > 0 else 0.01` for leaky ReLU — and, independently, central differences
# `(g(z+ε) - g(z-ε)) / 2ε` away from the kink. At the kink z = 0 the notes allow either value;
# tinygrad_edu fixes `relu'(0) = 0` (as the course's `relu_backward`) and `leaky'(0) = α`.

# %%
closed_forms = {
    "sigmoid": lambda a: a * (1 - a),
    "tanh": lambda a: 1 - a**2,
    "ReLU": lambda a: (z_values > 0).astype(float),
    "leaky ReLU (α = 0.01)": lambda a: np.where(z_values > 0, 1.0, 0.01),
}
eps = 1e-4
away_from_kink = np.abs(z_values) > 10 * eps  # a central difference across z = 0 gives 0.5
print(f"{'activation':<24}{'vs closed form':>16}{'vs central difference':>24}")
for name, (a, derivative) in curves.items():
    error = np.max(np.abs(derivative - closed_forms[name](a)))
    g = activations[name]
    numeric = (g(Tensor(z_values + eps)).data - g(Tensor(z_values - eps)).data) / (2 * eps)
    numeric_error = np.max(np.abs(derivative - numeric)[away_from_kink])
    print(f"{name:<24}{error:>16.2e}{numeric_error:>24.2e}")
zero = np.flatnonzero(z_values == 0)[0]
print(f"at z = 0: relu'(0) = {curves['ReLU'][1][zero]:g}, "
      f"leaky'(0) = {curves['leaky ReLU (α = 0.01)'][1][zero]:g}")

# %% [markdown]
# ## tanh is a shifted, rescaled sigmoid (F2.3)
#
# `tanh(z) = 2σ(2z) - 1`: "穿过了(0,0)点，并且值域介于+1和-1之间" (seed 003). Numerically the two
# agree to rounding; tinygrad_edu still computes tanh with `np.tanh`, because `2σ(2z) - 1`
# loses relative precision near 0 (it subtracts two numbers close to 1).

# %%
z = Tensor(z_values)
via_sigmoid = 2 * (2 * z).sigmoid() - 1
identity_error = np.max(np.abs(z.tanh().data - via_sigmoid.data))
print(f"max |tanh(z) - (2σ(2z) - 1)| over z in [-5, 5]: {identity_error:.2e}")
tiny = Tensor([1e-12])
print(f"at z = 1e-12: tanh = {tiny.tanh().item():.6e}, "
      f"2σ(2z) - 1 = {(2 * (2 * tiny).sigmoid() - 1).item():.6e}")

# %% [markdown]
# ## The curves
#
# Top row: the activations; bottom row: their derivatives as autodiff computed them. Note how
# small the sigmoid's slope is (at most 0.25) and how both sigmoid and tanh flatten for
# large |z| — the slow learning the notes warn about — while ReLU keeps slope 1 for z > 0.

# %%
plt = pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, 4, figsize=(13, 5.6), sharex=True)
    for column, (name, (a, derivative)) in enumerate(curves.items()):
        top, bottom = axes[0, column], axes[1, column]
        top.plot(z_values, a, color="tab:blue", linewidth=2)
        top.set_title(name)
        bottom.plot(z_values, derivative, color="tab:red", linewidth=2)
        bottom.set_xlabel("z")
        for ax in (top, bottom):
            ax.axhline(0, color="gray", linewidth=0.6)
            ax.axvline(0, color="gray", linewidth=0.6)
            ax.grid(alpha=0.3)
        bottom.set_ylim(-0.1, 1.1)
    axes[1, 0].annotate("at most 0.25", (0, 0.25), (1.2, 0.45), arrowprops={"arrowstyle": "->"})
    axes[1, 2].annotate("relu'(0) = 0", (0, 0), (-4.5, 0.3), arrowprops={"arrowstyle": "->"})
    axes[1, 3].annotate("slope 0.01\nfor z < 0", (-2.5, 0.01), (-4.6, 0.3),
                        arrowprops={"arrowstyle": "->"})
    axes[0, 0].set_ylabel("a = g(z)")
    axes[1, 0].set_ylabel("g'(z)  (autodiff)")
    fig.suptitle("Activation functions (top) and their derivatives by autodiff (bottom)")
    fig.tight_layout()
    saved(fig, OUT / "activations.png")
