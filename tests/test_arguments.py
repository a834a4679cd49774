"""Every public entry point checks what it is given (issue 11, §3-4).

One row per (function, argument, bad value): the call must raise the given class (always a
TinygradEduError, and the built-in a Python user expects), its message must name the
function and the argument, and it must change nothing: the parameters of the model the rows
share, and the file it was saved to, are compared bit for bit after every row.
"""

from __future__ import annotations

import math
import zipfile

import numpy as np
import pytest

from tinygrad_edu import (
    ArgumentError,
    ArgumentTypeError,
    BackwardError,
    DataError,
    DtypeError,
    SavedFileError,
    ShapeError,
    StateDictError,
    Tensor,
    TinygradEduError,
    cli,
    concatenate,
    data,
    explain,
    grad,
    gradcheck,
    nn,
    optim,
    stack,
    training,
    viz,
)
from tinygrad_edu import demo as demo_module
from tinygrad_edu.gradcheck import numerical_gradient, relative_difference
from tinygrad_edu.nn import functional as F

NAN = float("nan")


class World:
    """What the rows act on; rebuilt for every row (a row must not depend on another)."""

    def __init__(self, tmp_path):
        self.model = nn.Sequential(nn.Dense(2, 3, "tanh", seed=0), nn.Dense(3, 1, "sigmoid",
                                                                           seed=1))
        self.X, self.Y = data.load_planar_dataset()
        self.X, self.Y = self.X[:, :20], self.Y[:, :20]
        self.W = Tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True, name="W")
        self.J = (self.W * self.W).sum()
        self.A = self.model(self.X)  # sigmoid outputs (1, 20)
        self.path = self.model.save(tmp_path / "model.npz")
        self.tmp = tmp_path

    def snapshot(self):
        return ({k: v.copy() for k, v in self.model.state_dict().items()},
                self.W.data.copy(), self.path.read_bytes(),
                [None if p.grad is None else p.grad.copy() for p in self.model.parameters()])


def _wrong_loss_float(A, Y):
    return float(F.binary_cross_entropy(A, Y).item())


def _wrong_loss_array(A, Y):
    return np.asarray(A.data).mean()


# (id, call(world), error class, words the message must hold: the function and the argument)
ROWS = [
    # -- Tensor --------------------------------------------------------------------------
    ("Tensor name", lambda w: Tensor(1.0, name=3), ArgumentTypeError, ["Tensor", "name"]),
    ("Tensor requires_grad", lambda w: Tensor(1.0, requires_grad="yes"), ArgumentTypeError,
     ["Tensor", "requires_grad"]),
    ("Tensor dtype", lambda w: Tensor(1.0, dtype="nonsense"), ArgumentTypeError,
     ["Tensor", "dtype"]),
    ("requires_grad_", lambda w: Tensor(1.0).requires_grad_("no"), ArgumentTypeError,
     ["requires_grad_", "requires_grad"]),
    ("astype", lambda w: w.W.astype("nonsense"), ArgumentTypeError, ["astype", "dtype"]),
    ("find", lambda w: w.J.find(3), ArgumentTypeError, ["find", "name"]),
    ("reshape str", lambda w: w.W.reshape("a"), ArgumentTypeError, ["reshape", "shape", "'a'"]),
    ("reshape float", lambda w: w.W.reshape(2.0, 3), ArgumentTypeError, ["reshape", "shape"]),
    ("transpose str", lambda w: w.W.transpose("a", "b"), ArgumentTypeError,
     ["transpose", "axes"]),
    ("transpose float", lambda w: w.W.transpose(1.5, 0), ArgumentTypeError,
     ["transpose", "axes", "1.5"]),
    ("swapaxes", lambda w: w.W.swapaxes("a", 0), ArgumentTypeError, ["swapaxes", "axis1"]),
    ("broadcast_to", lambda w: w.W.broadcast_to("ab"), ArgumentTypeError,
     ["broadcast_to", "shape"]),
    ("clip low", lambda w: w.W.clip("a", 2), ArgumentTypeError, ["clip", "low"]),
    ("clip high", lambda w: w.W.clip(0, "b"), ArgumentTypeError, ["clip", "high"]),
    ("clip nan", lambda w: w.W.clip(NAN, 1), ArgumentError, ["clip", "low"]),
    ("clip order", lambda w: w.W.clip(2, 1), ArgumentError, ["clip", "low", "high"]),
    ("leaky_relu alpha", lambda w: w.W.leaky_relu(alpha="a"), ArgumentTypeError,
     ["leaky_relu", "alpha"]),
    ("leaky_relu nan", lambda w: w.W.leaky_relu(NAN), ArgumentError, ["leaky_relu", "alpha"]),
    ("F.leaky_relu alpha", lambda w: F.leaky_relu(w.W, "0.1"), ArgumentTypeError,
     ["leaky_relu", "alpha"]),
    ("sum axis str", lambda w: w.W.sum(axis="0"), ArgumentTypeError, ["sum", "axis"]),
    ("mean axis float", lambda w: w.W.mean(axis=1.0), ArgumentTypeError, ["mean", "axis"]),
    ("max axis list", lambda w: w.W.max(axis=[0, "1"]), ArgumentTypeError, ["max", "axis"]),
    ("sum keepdims", lambda w: w.W.sum(keepdims="yes"), ArgumentTypeError,
     ["sum", "keepdims"]),
    ("concatenate axis", lambda w: concatenate([w.W, w.W], axis="0"), ArgumentTypeError,
     ["concatenate", "axis"]),
    ("concatenate tensors", lambda w: concatenate(3), ArgumentTypeError,
     ["concatenate", "tensors"]),
    ("stack axis", lambda w: stack([w.W, w.W], axis=1.0), ArgumentTypeError,
     ["stack", "axis"]),
    # -- backward and grad -----------------------------------------------------------------
    ("backward complex", lambda w: (w.W * 2).backward(np.ones((2, 3)) + 1j), DtypeError,
     ["backward", "gradient", "complex"]),
    ("backward str", lambda w: (w.W * 2).backward("ab"), DtypeError, ["backward", "gradient"]),
    ("backward object", lambda w: (w.W * 2).backward(np.ones((2, 3), dtype=object)),
     DtypeError, ["backward", "gradient", "object"]),
    ("grad too few", lambda w: grad([w.J, w.J * 2], w.W, gradient=[None]), ArgumentError,
     ["grad", "2 outputs", "1 gradients"]),
    ("grad too many", lambda w: grad([w.J, w.J * 2], w.W, gradient=[None, None, None]),
     ArgumentError, ["grad", "3 gradients"]),
    ("grad not a list", lambda w: grad([w.J, w.J * 2], w.W, gradient=np.ones(2)),
     ArgumentTypeError, ["grad", "gradient"]),
    ("grad ndarray input", lambda w: grad(w.J, np.ones(2)), ArgumentTypeError,
     ["grad", "inputs", "ndarray"]),
    ("grad number output", lambda w: grad(3.0, w.W), ArgumentTypeError, ["grad", "outputs"]),
    ("grad no outputs", lambda w: grad([], w.W), ArgumentError, ["grad", "outputs", "empty"]),
    ("grad item", lambda w: grad([w.J, 3.0], w.W), ArgumentTypeError, ["grad", "outputs[1]"]),
    ("grad create_graph", lambda w: grad(w.J, w.W, create_graph="yes"), ArgumentTypeError,
     ["grad", "create_graph"]),
    # -- costs -----------------------------------------------------------------------------
    ("bce labels outside", lambda w: F.binary_cross_entropy(w.A, w.Y * 2 - 1), DataError,
     ["binary_cross_entropy", "labels", "[0, 1]", "(Y + 1) / 2"]),
    ("bce labels nan",
     lambda w: F.binary_cross_entropy(w.A, np.where(np.arange(20) == 3, NAN, w.Y)), DataError,
     ["binary_cross_entropy", "labels", "nan"]),
    ("bce logits", lambda w: F.binary_cross_entropy(w.model[0](w.X)[:1] * 9, w.Y),
     ArgumentError, ["binary_cross_entropy", "predictions", "binary_cross_entropy_with_logits"]),
    ("bce empty", lambda w: F.binary_cross_entropy(Tensor(np.zeros((1, 0)), requires_grad=True),
                                                   np.zeros((1, 0))),
     DataError, ["binary_cross_entropy", "empty", "m = 0"]),
    ("bce text labels", lambda w: F.binary_cross_entropy(w.A, [["yes"] * 20]), DtypeError,
     ["binary_cross_entropy", "labels"]),
    ("bce object labels", lambda w: F.binary_cross_entropy(w.A, w.Y.astype(object)), DtypeError,
     ["binary_cross_entropy", "labels", "object"]),
    ("bce reduction", lambda w: F.binary_cross_entropy(w.A, w.Y, reduction="avg"),
     ArgumentError, ["reduction", "'avg'"]),
    ("bce logits labels", lambda w: F.binary_cross_entropy_with_logits(w.A, w.Y + 2), DataError,
     ["binary_cross_entropy_with_logits", "labels"]),
    ("mse empty", lambda w: F.mse_loss(Tensor(np.zeros((1, 0)), requires_grad=True),
                                       np.zeros((1, 0))),
     DataError, ["mse_loss", "empty"]),
    ("mse text targets", lambda w: F.mse_loss(w.A, np.full((1, 20), "a")), DtypeError,
     ["mse_loss", "targets"]),
    ("l2 nan", lambda w: F.l2_penalty(w.model, NAN), ArgumentError, ["l2_penalty", "lam"]),
    ("l2 inf", lambda w: F.l2_penalty(w.model, math.inf), ArgumentError, ["l2_penalty", "lam"]),
    ("l2 negative", lambda w: F.l2_penalty(w.model, -0.1), ArgumentError,
     ["l2_penalty", "lam", ">= 0"]),
    ("l2 str", lambda w: F.l2_penalty(w.model, "0.7"), ArgumentTypeError,
     ["l2_penalty", "lam", "'0.7'"]),
    ("l2 no weights", lambda w: F.l2_penalty([], 0.1), ArgumentError, ["l2_penalty", "weights"]),
    # -- fit and its collaborators: refused before the first step ----------------------------
    ("fit class", lambda w: training.fit(nn.Sequential, w.X, w.Y, print_every=0),
     ArgumentTypeError, ["fit", "model", "class Sequential"]),
    ("fit optimizer str", lambda w: training.fit(w.model, w.X, w.Y, optimizer="sgd",
                                                 print_every=0),
     ArgumentTypeError, ["fit", "optimizer", "'sgd'"]),
    ("fit optimizer other model", lambda w: training.fit(
        w.model, w.X, w.Y, optimizer=optim.SGD(nn.deep_network([2, 1]).parameters(), lr=0.1),
        print_every=0), ArgumentError, ["fit", "optimizer", "none of the model's parameters"]),
    ("fit loss float", lambda w: training.fit(w.model, w.X, w.Y, loss=_wrong_loss_float,
                                              iterations=3, print_every=0),
     ArgumentTypeError, ["fit", "loss", "_wrong_loss_float", "not a Tensor"]),
    ("fit loss array", lambda w: training.fit(w.model, w.X, w.Y, loss=_wrong_loss_array,
                                              iterations=3, batch_size=5, print_every=0),
     ArgumentTypeError, ["fit", "loss", "not a Tensor"]),
    ("fit loss name", lambda w: training.fit(w.model, w.X, w.Y, loss="hinge"), ArgumentError,
     ["fit", "loss", "'hinge'"]),
    ("fit loss number", lambda w: training.fit(w.model, w.X, w.Y, loss=3), ArgumentTypeError,
     ["fit", "loss"]),
    ("fit callback", lambda w: training.fit(w.model, w.X, w.Y, callback=3, print_every=0),
     ArgumentTypeError, ["fit", "callback"]),
    ("fit iterations", lambda w: training.fit(w.model, w.X, w.Y, iterations="10"),
     ArgumentTypeError, ["fit", "iterations"]),
    ("fit print_every", lambda w: training.fit(w.model, w.X, w.Y, print_every=-1),
     ArgumentError, ["fit", "print_every"]),
    ("fit batch_size", lambda w: training.fit(w.model, w.X, w.Y, batch_size=0), ArgumentError,
     ["fit", "batch_size"]),
    ("fit progress", lambda w: training.fit(w.model, w.X, w.Y, progress="yes"),
     ArgumentTypeError, ["fit", "progress"]),
    ("fit seed", lambda w: training.fit(w.model, w.X, w.Y, batch_size=5, seed="x"),
     ArgumentTypeError, ["seed"]),
    ("predict model", lambda w: training.predict(nn.Sequential, w.X), ArgumentTypeError,
     ["predict", "model", "class"]),
    ("predict threshold", lambda w: training.predict(w.model, w.X, threshold="0.5"),
     ArgumentError, ["predict", "threshold"]),
    ("accuracy model", lambda w: training.accuracy(3, w.X, w.Y), ArgumentTypeError,
     ["accuracy", "model"]),
    # -- nn --------------------------------------------------------------------------------
    ("Dense n_in", lambda w: nn.Dense("2", 3), ArgumentTypeError, ["Dense", "n_in"]),
    ("Dense n_out", lambda w: nn.Dense(2, 0), ArgumentError, ["Dense", "n_out"]),
    ("Dense n_out float", lambda w: nn.Dense(2, 3.0), ArgumentTypeError, ["Dense", "n_out"]),
    ("Dense activation type", lambda w: nn.Dense(2, 3, activation=3), ArgumentTypeError,
     ["activation"]),
    ("Dense activation name", lambda w: nn.Dense(2, 3, activation="softplus"), ArgumentError,
     ["activation", "'softplus'"]),
    ("Dense init type", lambda w: nn.Dense(2, 3, init=3), ArgumentTypeError, ["Dense", "init"]),
    ("Dense init name", lambda w: nn.Dense(2, 3, init="glorot"), ArgumentError,
     ["Dense", "init", "'glorot'"]),
    ("Dense alpha", lambda w: nn.Dense(2, 3, alpha="a"), ArgumentTypeError, ["Dense", "alpha"]),
    ("Dense dtype int", lambda w: nn.Dense(2, 3, dtype="int64"), ArgumentError,
     ["Dense", "dtype"]),
    ("Dense dtype nonsense", lambda w: nn.Dense(2, 3, dtype="nonsense"), ArgumentTypeError,
     ["Dense", "dtype"]),
    ("Dense layer", lambda w: nn.Dense(2, 3, layer=0), ArgumentError, ["Dense", "layer"]),
    ("Dense seed", lambda w: nn.Dense(2, 3, seed="x"), ArgumentTypeError, ["seed"]),
    ("Sequential class", lambda w: nn.Sequential(nn.Dense), ArgumentTypeError,
     ["Sequential", "class Dense"]),
    ("Sequential empty", lambda w: nn.Sequential(), ArgumentError, ["Sequential"]),
    ("deep_network dims type", lambda w: nn.deep_network(5), ArgumentTypeError,
     ["deep_network", "layer_dims"]),
    ("deep_network dims", lambda w: nn.deep_network([2]), ArgumentError,
     ["deep_network", "layer_dims"]),
    ("deep_network hidden", lambda w: nn.deep_network([2, 3, 1], hidden="x"), ArgumentError,
     ["activation", "'x'"]),
    ("init n_out", lambda w: nn.init.course(0, 3), ArgumentError, ["course", "n_out"]),
    ("init n_in", lambda w: nn.init.he(2, "3"), ArgumentTypeError, ["he", "n_in"]),
    ("random_state", lambda w: nn.init.random_state(-1), ArgumentError, ["seed"]),
    ("Module.save path", lambda w: w.model.save(3), ArgumentTypeError, ["save", "path"]),
    ("Module.load path", lambda w: w.model.load(None), ArgumentTypeError, ["load", "path"]),
    # -- data ------------------------------------------------------------------------------
    ("planar seed", lambda w: data.load_planar_dataset(seed="x"), ArgumentTypeError, ["seed"]),
    ("circles factor", lambda w: data.noisy_circles(factor=1.5), ArgumentError,
     ["noisy_circles", "factor"]),
    ("circles noise", lambda w: data.noisy_circles(noise=-1), ArgumentError,
     ["noisy_circles", "noise"]),
    ("circles n_samples", lambda w: data.noisy_circles(n_samples=1), ArgumentError,
     ["noisy_circles", "n_samples"]),
    ("moons noise", lambda w: data.noisy_moons(noise=-1), ArgumentError,
     ["noisy_moons", "noise", ">= 0"]),
    ("moons noise str", lambda w: data.noisy_moons(noise="0.2"), ArgumentTypeError,
     ["noisy_moons", "noise"]),
    ("moons noise nan", lambda w: data.noisy_moons(noise=NAN), ArgumentError,
     ["noisy_moons", "noise"]),
    ("moons n_samples", lambda w: data.noisy_moons(n_samples=2.5), ArgumentTypeError,
     ["noisy_moons", "n_samples"]),
    ("blobs centers", lambda w: data.blobs(centers=1), ArgumentError, ["blobs", "centers"]),
    ("blobs centers str", lambda w: data.blobs(centers="6"), ArgumentTypeError,
     ["blobs", "centers"]),
    ("blobs cluster_std", lambda w: data.blobs(cluster_std=-1), ArgumentError,
     ["blobs", "cluster_std"]),
    ("quantiles n_classes", lambda w: data.gaussian_quantiles(n_classes=0), ArgumentError,
     ["gaussian_quantiles", "n_classes"]),
    ("quantiles cov", lambda w: data.gaussian_quantiles(cov=0), ArgumentError,
     ["gaussian_quantiles", "cov"]),
    ("no_structure n_samples", lambda w: data.no_structure(n_samples="200"), ArgumentTypeError,
     ["no_structure", "n_samples"]),
    ("extra seed", lambda w: data.load_extra_datasets(seed=1.5), ArgumentTypeError, ["seed"]),
    ("parity_bits 0", lambda w: data.parity_bits(0), ArgumentError, ["parity_bits", "n_bits"]),
    ("parity_bits 21", lambda w: data.parity_bits(21), ArgumentError, ["parity_bits", "n_bits"]),
    ("parity_bits float", lambda w: data.parity_bits(2.0), ArgumentTypeError,
     ["parity_bits", "n_bits"]),
    ("minibatches batch_size", lambda w: data.minibatches(w.X, w.Y, 0), ArgumentError,
     ["minibatches", "batch_size"]),
    ("minibatches shuffle", lambda w: data.minibatches(w.X, w.Y, 4, shuffle="yes"),
     ArgumentTypeError, ["minibatches", "shuffle"]),
    ("minibatches shapes", lambda w: data.minibatches(w.X, w.Y[:, :3], 4), ShapeError,
     ["minibatches", "columns"]),
    # -- gradcheck -------------------------------------------------------------------------
    ("gradcheck f ndarray", lambda w: gradcheck(lambda W: W.data * 2, w.W), ArgumentTypeError,
     ["gradcheck", "f returned", "ndarray"]),
    ("gradcheck f float", lambda w: gradcheck(lambda W: float(W.data.sum()), w.W),
     ArgumentTypeError, ["gradcheck", "f returned"]),
    ("gradcheck f", lambda w: gradcheck(3, w.W), ArgumentTypeError, ["gradcheck", "f"]),
    ("gradcheck eps 0", lambda w: gradcheck(lambda W: (W * W).sum(), w.W, eps=0),
     ArgumentError, ["gradcheck", "eps", "> 0"]),
    ("gradcheck eps negative", lambda w: gradcheck(lambda W: (W * W).sum(), w.W, eps=-1e-4),
     ArgumentError, ["gradcheck", "eps"]),
    ("gradcheck eps str", lambda w: gradcheck(lambda W: (W * W).sum(), w.W, eps="1e-4"),
     ArgumentTypeError, ["gradcheck", "eps"]),
    ("gradcheck no inputs", lambda w: gradcheck(lambda: Tensor(1.0), []), ArgumentError,
     ["gradcheck", "inputs", "empty"]),
    ("gradcheck ndarray", lambda w: gradcheck(lambda W: W.sum(), np.ones(3)),
     ArgumentTypeError, ["gradcheck", "inputs"]),
    ("gradcheck list of ndarray", lambda w: gradcheck(lambda W: W.sum(), [np.ones(3)]),
     ArgumentTypeError, ["gradcheck", "inputs[0]"]),
    ("gradcheck tol", lambda w: gradcheck(lambda W: (W * W).sum(), w.W, tol=-1), ArgumentError,
     ["gradcheck", "tol"]),
    ("gradcheck raise_on_fail", lambda w: gradcheck(lambda W: (W * W).sum(), w.W,
                                                    raise_on_fail="yes"),
     ArgumentTypeError, ["gradcheck", "raise_on_fail"]),
    ("numerical_gradient eps", lambda w: numerical_gradient(lambda: w.J, w.W, eps=0),
     ArgumentError, ["numerical_gradient", "eps"]),
    ("numerical_gradient x", lambda w: numerical_gradient(lambda: w.J, w.W.data),
     ArgumentTypeError, ["numerical_gradient", "x"]),
    ("relative_difference", lambda w: relative_difference(np.ones(2), np.ones(3)), ShapeError,
     ["relative_difference", "shape"]),
    # -- viz, explain, demo ----------------------------------------------------------------
    ("draw max_nodes", lambda w: viz.to_dot(w.J, max_nodes="5"), ArgumentTypeError,
     ["viz", "max_nodes"]),
    ("draw max_nodes 0", lambda w: viz.to_dot(w.J, max_nodes=0), ArgumentError,
     ["viz", "max_nodes"]),
    ("draw show_data", lambda w: viz.to_dot(w.J, show_data="yes"), ArgumentTypeError,
     ["viz", "show_data"]),
    ("draw collapse_layers", lambda w: viz.to_dot(w.J, collapse_layers=1), ArgumentTypeError,
     ["viz", "collapse_layers"]),
    ("draw rankdir", lambda w: viz.to_dot(w.J, rankdir=3), ArgumentTypeError,
     ["viz", "rankdir"]),
    ("draw root", lambda w: viz.to_dot(w.W.data), ArgumentTypeError, ["viz", "root"]),
    ("render path", lambda w: viz.render(w.J, 3), ArgumentTypeError, ["render", "path"]),
    ("render format", lambda w: viz.render(w.J, w.tmp / "g.svg", format=3), ArgumentTypeError,
     ["render", "format"]),
    ("draw renderer", lambda w: viz.draw(w.J, renderer=3), ArgumentTypeError,
     ["draw", "renderer"]),
    ("find_renderer", lambda w: viz.find_renderer(3), ArgumentTypeError,
     ["find_renderer", "renderer"]),
    ("explain notation", lambda w: explain(w.J, notation="latex"), ArgumentError,
     ["explain", "notation", "'latex'"]),
    ("explain tensor", lambda w: explain(w.J.data), ArgumentTypeError, ["explain", "tensor"]),
    ("boundary predict", lambda w: demo_module.plot_decision_boundary(3, w.X, w.Y,
                                                                      w.tmp / "b.png"),
     ArgumentTypeError, ["plot_decision_boundary", "predict"]),
    ("boundary step", lambda w: demo_module.plot_decision_boundary(
        lambda P: P[0] > 0, w.X, w.Y, w.tmp / "b.png", step=0), ArgumentError,
     ["plot_decision_boundary", "step"]),
    ("cli model", lambda w: cli.build_model_cost("cnn"), ArgumentError,
     ["build_model_cost", "model", "'two-layer'"]),
    ("plot_costs curves", lambda w: demo_module.plot_costs([1.0, 0.5], w.tmp / "c.png"),
     ArgumentTypeError, ["plot_costs", "curves"]),
]


@pytest.mark.parametrize(("call", "cls", "words"), [row[1:] for row in ROWS],
                         ids=[row[0] for row in ROWS])
def test_a_bad_argument_is_refused_by_name_and_changes_nothing(tmp_path, call, cls, words):
    world = World(tmp_path)
    before = world.snapshot()
    with pytest.raises(cls) as info:
        call(world)
    assert isinstance(info.value, TinygradEduError)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    after = world.snapshot()
    for name, values in before[0].items():
        np.testing.assert_array_equal(after[0][name], values, strict=True)
    np.testing.assert_array_equal(after[1], before[1], strict=True)
    assert after[2] == before[2]  # the saved file
    assert after[3] == before[3] or all(
        (a is None and b is None) or np.array_equal(a, b) for a, b in zip(after[3], before[3])
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # nothing written


def test_the_row_ids_are_unique_and_every_class_is_both_ours_and_the_builtin():
    assert len({row[0] for row in ROWS}) == len(ROWS)
    assert issubclass(ArgumentError, ValueError) and issubclass(ArgumentError, TinygradEduError)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError,
                                                                   ArgumentError)
    assert issubclass(SavedFileError, ValueError) and issubclass(SavedFileError, TinygradEduError)


# ---------------------------------------------------------------------------------------------
# the same calls with good arguments still work (the checks refuse only what they should)
# ---------------------------------------------------------------------------------------------


def test_good_arguments_pass_the_checks(tmp_path):
    W = Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    assert W.reshape(np.int64(3), 2).shape == (3, 2) and W.transpose(np.int64(1), 0).shape == (
        3, 2)
    assert W.clip(-np.inf, np.float32(0.5)).data.max() == 0.5
    assert W.sum(axis=np.int64(1), keepdims=np.bool_(True)).shape == (2, 1)
    assert concatenate((t for t in [W, W]), axis=np.int64(1)).shape == (2, 6)
    J1, J2 = (W * 2).sum(), (W * 3).sum()
    np.testing.assert_array_equal(grad([J1, J2], W, gradient=[None, np.array(1.0)]),
                                  np.full((2, 3), 5.0))
    assert grad(J1, (p for p in [W]))[0].shape == (2, 3)  # any iterable of tensors
    (W * 2).backward(np.ones((2, 3), dtype=np.int64))  # integer gradients are real numbers
    assert F.l2_penalty([W], 0).item() == 0.0 and F.l2_penalty([W], np.float32(0.5)).item() == 1.5
    A = Tensor(np.array([[0.0, 0.5, 1.0]]), requires_grad=True)
    assert math.isfinite(F.binary_cross_entropy(A, np.array([[0, 0.5, True]])).item())
    assert data.noisy_moons(n_samples=np.int64(10), noise=0, seed=0)[0].shape == (2, 10)
    assert data.blobs(n_samples=3, centers=6)[1].shape == (1, 3)  # empty clusters are fine
    assert isinstance(data.minibatches(np.ones((2, 4)), np.ones((1, 4)), 2), object)
    model = nn.Dense(np.int64(2), 3, activation="leaky_relu", alpha=np.float64(0.1),
                     dtype="float32")
    assert model.W.dtype == np.float32
    assert bool(gradcheck(lambda W: (W * W).sum(), Tensor(np.ones(2), requires_grad=True)))


# ---------------------------------------------------------------------------------------------
# the costs' checks: cheap on the training path, never fooled by a changed label array
# ---------------------------------------------------------------------------------------------


def test_labels_are_checked_again_when_the_array_changes():
    A = Tensor(np.full((1, 4), 0.5), requires_grad=True)
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    F.binary_cross_entropy(A, Y)
    Y[0, 0] = 2.0  # a writeable array is checked at every call
    with pytest.raises(DataError, match="labels"):
        F.binary_cross_entropy(A, Y)
    Y[0, 0] = 0.0
    Y.flags.writeable = False  # a read-only array found in range is remembered ...
    F.binary_cross_entropy(A, Y)
    Y.flags.writeable = True  # ... only while it stays read-only
    Y[0, 1] = -1.0
    with pytest.raises(DataError, match="labels"):
        F.binary_cross_entropy(A, Y)
    base = np.array([[0.0, 1.0, 1.0, 0.0]])
    view = base[:, :]
    view.flags.writeable = False  # a read-only view of a writeable base: never remembered
    F.binary_cross_entropy(A, view)
    base[0, 2] = 5.0
    with pytest.raises(DataError, match="labels"):
        F.binary_cross_entropy(A, view)


def test_nan_predictions_still_reach_the_divergence_report():
    """The range check on predictions lets nan through: the cost is nan and fit reports a
    divergence (TrainingDivergedError), as before."""
    A = Tensor(np.array([[0.5, np.nan]]), requires_grad=True)
    assert math.isnan(F.binary_cross_entropy(A, np.array([[0.0, 1.0]])).item())


def test_fit_refuses_a_float_loss_before_any_step(tmp_path):
    model = nn.deep_network([2, 3, 1], seed=0)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    X, Y = data.load_planar_dataset()
    with pytest.raises(ArgumentTypeError, match="not a Tensor"):
        training.fit(model, X, Y, loss=_wrong_loss_float, iterations=5, print_every=0)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], strict=True)
    assert all(p.grad is None for p in model.parameters())


def test_fit_leaves_the_callers_labels_writeable_and_unchanged():
    model = nn.deep_network([2, 3, 1], seed=0)
    X, Y = data.load_planar_dataset()
    copy = Y.copy()
    training.fit(model, X, Y, iterations=3, print_every=0)
    assert Y.flags.writeable
    np.testing.assert_array_equal(Y, copy, strict=True)


# ---------------------------------------------------------------------------------------------
# damaged and foreign .npz files
# ---------------------------------------------------------------------------------------------


def _assert_untouched(model, before):
    for name, values in model.state_dict().items():
        np.testing.assert_array_equal(values, before[name], strict=True)


def test_every_single_byte_corruption_loads_identically_or_is_refused_naming_the_file(tmp_path):
    """A flip anywhere in a small saved model: either a clean load with the very same arrays
    (the byte was in a field no reader uses: a timestamp, an "extra" field) or the project's
    error naming the file; never a raw zipfile/NotImplementedError/ValueError, and the model
    that was loaded into is unchanged. Every byte with all its bits flipped, every other byte
    with its lowest bit flipped, and every truncation."""
    saved = nn.deep_network([2, 3, 1], seed=0)
    good = saved.save(tmp_path / "good.npz").read_bytes()
    target = nn.deep_network([2, 3, 1], seed=1)
    before = target.state_dict()
    corrupt = tmp_path / "corrupt.npz"
    outcomes = {"identical": 0, "refused": 0}
    flips = [(i, 0xFF) for i in range(len(good))] + [(i, 0x01) for i in range(0, len(good), 2)]
    damaged = [good[:i] + bytes([good[i] ^ mask]) + good[i + 1:] for i, mask in flips]
    damaged += [good[:n] for n in range(len(good))]  # truncated
    for content in damaged:
        corrupt.write_bytes(content)
        try:
            target.load(corrupt)
        except (SavedFileError, StateDictError) as error:  # a renamed entry: StateDictError
            assert str(corrupt) in str(error)
            _assert_untouched(target, before)
            outcomes["refused"] += 1
        else:
            _assert_untouched(target, saved.state_dict())
            target.load_state_dict(before)
            outcomes["identical"] += 1
    assert outcomes["refused"] > len(good)  # most corruptions are caught: the CRC-32s
    assert sum(outcomes.values()) == len(damaged)


def test_foreign_files_are_refused_naming_the_file(tmp_path):
    model = nn.deep_network([2, 3, 1], seed=0)
    before = model.state_dict()
    cases = {}
    (tmp_path / "text.npz").write_text("hello")
    cases["text.npz"] = "cannot read"
    np.save(tmp_path / "one.npy", np.zeros(3))
    cases["one.npy"] = "holds one ndarray"
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("notes.txt", "not an array")
    cases["other.zip"] = "StateDictError"
    np.savez(tmp_path / "objects.npz", W1=np.array([{"a": 1}], dtype=object))
    cases["objects.npz"] = "Python objects"
    np.savez(tmp_path / "renamed.npz", **{k.lower(): v for k, v in before.items()})
    cases["renamed.npz"] = "missing"
    np.savez(tmp_path / "shapes.npz", **{k: v.T for k, v in before.items()})
    cases["shapes.npz"] = "shape"
    for name, words in cases.items():
        with pytest.raises(TinygradEduError) as info:
            model.load(tmp_path / name)
        assert str(tmp_path / name) in str(info.value), info.value
        if words != "StateDictError":
            assert words in str(info.value), info.value
        else:
            assert isinstance(info.value, StateDictError | SavedFileError)
        _assert_untouched(model, before)


def test_an_optimizer_load_of_a_damaged_file_is_refused_too(tmp_path):
    model = nn.deep_network([2, 3, 1], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    good = opt.save(tmp_path / "adam.npz").read_bytes()
    (tmp_path / "bad.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(SavedFileError, match=r"bad\.npz"):
        opt.load(tmp_path / "bad.npz")


def test_backward_refuses_non_real_gradients_before_touching_grad():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    out = W * 2
    for gradient in (np.ones((2, 2)) + 0j, [["a", "b"], ["c", "d"]], np.ones((2, 2),
                                                                           dtype=object)):
        with pytest.raises(DtypeError, match="gradient"):
            out.backward(gradient)
        assert W.grad is None


def test_grad_with_mismatched_counts_changes_no_grad():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    J1, J2 = (W * 2).sum(), (W * 3).sum()
    with pytest.raises(ArgumentError):
        grad([J1, J2], W, gradient=[None])
    assert W.grad is None
    with pytest.raises(BackwardError):  # what grad said before for an input without grad
        grad(J1, Tensor(np.ones(2)))
