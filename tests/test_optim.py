"""optim: SGD (F1.7), Momentum and Adam against plain-numpy references; in-place updates; errors;
the optimizer's state saved and loaded so that training resumes bit for bit."""

from __future__ import annotations

import os

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor, data, nn, optim
from tinygrad_edu.errors import ShapeError, StateDictError
from tinygrad_edu.nn import functional as F

NUMERIC = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
learning_rates = st.floats(1e-4, 2.0)


def _params_with_grads(shape, seed, count=2):
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=shape), requires_grad=True) for _ in range(count)]
    return params, rng


@given(shape=shapes, seed=seeds, lr=learning_rates)
@NUMERIC
def test_sgd_is_w_minus_alpha_dw_in_place(shape, seed, lr):
    """F1.7: w := w - α dw, on the parameter's own array (no new Tensor, no new array)."""
    params, rng = _params_with_grads(shape, seed)
    opt = optim.SGD(params, lr=lr)
    for _ in range(3):
        arrays = [p.data for p in params]
        expected = []
        for p in params:
            p.grad = rng.normal(size=shape)
            expected.append(p.data - lr * p.grad)
        opt.step()
        for p, array, want in zip(params, arrays, expected):
            assert p.data is array
            np.testing.assert_array_equal(p.data, want)


def test_step_skips_parameters_without_grad_and_zero_grad_clears():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    for opt in (optim.SGD([a, b], lr=0.5), optim.Momentum([a, b], lr=0.5),
                optim.RMSprop([a, b], lr=0.5), optim.Adam([a, b], lr=0.5)):
        a.grad, b.grad = np.array([1.0]), None
        before_b = b.data.copy()
        opt.step()
        np.testing.assert_array_equal(b.data, before_b)
        opt.zero_grad()
        assert a.grad is None and b.grad is None
    assert optim.Adam([a, b]).steps == [0, 0]


@given(shape=shapes, seed=seeds, lr=learning_rates, beta=st.floats(0.0, 0.99))
@NUMERIC
def test_momentum_is_the_course_exponential_average(shape, seed, lr, beta):
    """v := β v + (1 - β) dW; W := W - α v (v starts at 0)."""
    (p,), rng = _params_with_grads(shape, seed, count=1)
    W, v = p.data.copy(), np.zeros(shape)
    opt = optim.Momentum([p], lr=lr, beta=beta)
    for _ in range(4):
        g = rng.normal(size=shape)
        p.grad = g.copy()
        v = beta * v + (1 - beta) * g
        W = W - lr * v
        opt.step()
        np.testing.assert_allclose(p.data, W, rtol=1e-12, atol=1e-14)


def test_momentum_with_beta_zero_is_sgd():
    a, b = Tensor([[1.0, -2.0]], requires_grad=True), Tensor([[1.0, -2.0]], requires_grad=True)
    sgd, mom = optim.SGD([a], lr=0.3), optim.Momentum([b], lr=0.3, beta=0.0)
    for g in ([[0.5, 1.0]], [[-2.0, 0.25]]):
        a.grad, b.grad = np.array(g), np.array(g)
        sgd.step()
        mom.step()
    np.testing.assert_array_equal(a.data, b.data)


@given(shape=shapes, seed=seeds, lr=st.floats(1e-4, 0.1))
@NUMERIC
def test_adam_matches_the_bias_corrected_update(shape, seed, lr):
    (p,), rng = _params_with_grads(shape, seed, count=1)
    b1, b2, eps = 0.9, 0.999, 1e-8
    W, v, s = p.data.copy(), np.zeros(shape), np.zeros(shape)
    opt = optim.Adam([p], lr=lr)
    for t in range(1, 5):
        g = rng.normal(size=shape)
        p.grad = g.copy()
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        W = W - lr * (v / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        opt.step()
        np.testing.assert_allclose(p.data, W, rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_each_weight_by_about_lr():
    p = Tensor([[3.0, -3.0, 0.0]], requires_grad=True)
    p.grad = np.array([[100.0, -0.01, 5.0]])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [[2.99, -2.99, -0.01]], rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.Momentum(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.1),
])
def test_every_optimizer_minimises_a_quadratic(make):
    """J = ½‖W - T‖²: each optimizer brings W to T."""
    target = np.array([[1.0, -2.0], [0.5, 3.0]])
    W = Tensor(np.zeros((2, 2)), requires_grad=True)
    opt = make([W])
    for _ in range(500):
        D = W - target
        J = (D * D).sum() * 0.5
        opt.zero_grad()
        J.backward()
        opt.step()
    np.testing.assert_allclose(W.data, target, atol=1e-3)


def test_parameters_are_deduplicated_and_models_are_accepted_via_parameters():
    W = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([W, W], lr=1.0)
    W.grad = np.array([1.0])
    opt.step()
    assert W.data[0] == 0.0  # stepped once, not twice
    model = nn.deep_network([2, 3, 1], seed=0)
    assert len(optim.SGD(model.parameters(), lr=1.0).params) == 4
    assert len(optim.SGD(W, lr=1.0).params) == 1  # a lone tensor
    assert repr(opt) == "SGD(lr=1.0, 1 parameters)"
    assert repr(optim.Momentum(model.parameters(), lr=0.5)) == (
        "Momentum(lr=0.5, beta=0.9, 4 parameters)")
    assert (repr(optim.Adam(model.parameters(), beta2=0.99))
            == "Adam(lr=0.001, beta1=0.9, beta2=0.99, eps=1e-08, 4 parameters)")


def test_errors_are_explained():
    W = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        optim.SGD(nn.deep_network([2, 1]), lr=0.1)  # iterating a Sequential gives layers
    with pytest.raises(ValueError, match="does not require grad"):
        optim.Adam([Tensor([1.0])])
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([W * 2.0], lr=0.1)
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive finite"):
            optim.SGD([W], lr=bad)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([W], lr=True)
    opt = optim.SGD([W], lr=0.1)
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError):
        opt.lr = -0.05
    with pytest.raises(ValueError, match="beta must be in"):
        optim.Momentum([W], lr=0.1, beta=1.0)
    with pytest.raises(ValueError, match="beta2 must be in"):
        optim.Adam([W], beta2=-0.1)
    with pytest.raises(ValueError, match="eps"):
        optim.Adam([W], eps=0.0)


# ---------------------------------------------------------------------------------------------
# saving and resuming: the optimizer's state is part of where training is
# ---------------------------------------------------------------------------------------------

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=1.2),
    "Momentum": lambda ps: optim.Momentum(ps, lr=0.5, beta=0.9),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, beta=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.02, beta1=0.8, beta2=0.99),
}


def _flower():
    X, Y = data.load_planar_dataset()
    return X[:, ::4], Y[:, ::4]  # 100 examples are enough and quick


def _model(seed):
    return nn.deep_network([2, 4, 1], hidden="tanh", seed=seed)


def _train(model, opt, X, Y, steps):
    for _ in range(steps):
        J = F.binary_cross_entropy(model(X), Y)
        opt.zero_grad()
        J.backward()
        opt.step()


def _assert_same_parameters(model, other):
    for (name, a), (name_b, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert name == name_b
        np.testing.assert_array_equal(a, b, err_msg=name)


def _uninterrupted_and_resumed(kind, folder, k=6, n=6, resume=None):
    """The model after k + n steps in one go, and after k steps, save, a fresh model and
    optimizer (other initial weights; other lr before the load), load, n more steps.
    ``resume(fresh_opt, saved_path)`` replaces the optimizer's load (to show what a missing
    part would change)."""
    X, Y = _flower()
    make = OPTIMIZERS[kind]
    whole = _model(3)
    _train(whole, make(whole.parameters()), X, Y, k + n)

    model = _model(3)
    opt = make(model.parameters())
    _train(model, opt, X, Y, k)
    model.save(os.path.join(folder, "model"))
    opt_path = opt.save(os.path.join(folder, "optimizer"))
    assert opt_path.name == "optimizer.npz"

    fresh = _model(99)
    fresh_opt = make(fresh.parameters())
    fresh.load(os.path.join(folder, "model"))
    if resume is None:
        fresh_opt.lr = 0.001  # the saved lr must win
        assert fresh_opt.load(opt_path) is fresh_opt
        assert fresh_opt.hyperparameters() == opt.hyperparameters()
    else:
        resume(fresh_opt, opt_path)
    _train(fresh, fresh_opt, X, Y, n)
    return whole, fresh


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_save_load_and_continue_equals_the_uninterrupted_run_bit_for_bit(kind, tmp_path):
    whole, resumed = _uninterrupted_and_resumed(kind, str(tmp_path))
    _assert_same_parameters(whole, resumed)


def _load_then(change):
    def resume(opt, path):
        opt.load(path)
        change(opt)
    return resume


def _skip_load(opt, path):
    pass


def _forget_steps(opt):
    opt.steps[:] = [0] * len(opt.steps)


def _forget_buffers(opt):
    for attribute in opt._buffers.values():
        for buffer in getattr(opt, attribute):
            buffer[...] = 0.0


@pytest.mark.parametrize("kind, resume", [
    ("Momentum", _skip_load),  # the optimizer not loaded at all
    ("Adam", _skip_load),
    ("Momentum", _load_then(_forget_buffers)),  # v lost
    ("RMSprop", _skip_load),
    ("RMSprop", _load_then(_forget_buffers)),  # s lost
    ("Adam", _load_then(_forget_buffers)),  # v and s lost, t kept
    ("Adam", _load_then(_forget_steps)),  # only Adam's step counts t lost
    ("Adam", _load_then(lambda opt: setattr(opt, "lr", 0.001))),  # lr not restored
], ids=["momentum-not-loaded", "adam-not-loaded", "momentum-v-lost", "rmsprop-not-loaded",
        "rmsprop-s-lost", "adam-moments-lost",
        "adam-t-lost", "adam-lr-lost"])
def test_the_resume_test_sees_every_missing_part_of_the_state(kind, resume, tmp_path):
    """By construction: a resume that loses any part of the optimizer's state (everything, the
    buffers, Adam's t alone, lr) lands on other parameters, so the bit-for-bit test above
    would fail if load_state_dict skipped it."""
    whole, resumed = _uninterrupted_and_resumed(kind, str(tmp_path), resume=resume)
    differ = [name for (name, a), (_, b) in zip(whole.state_dict().items(),
                                                 resumed.state_dict().items())
              if not np.array_equal(a, b)]
    assert differ, "a resume without the full optimizer state should change the parameters"


def test_adam_step_counts_are_per_parameter_and_restored():
    """A parameter without a gradient in a step keeps its own t: the counts differ and both
    come back."""
    a, b = Tensor([[1.0, -1.0]], requires_grad=True), Tensor([0.5], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    rng = np.random.default_rng(0)
    for i in range(5):
        a.grad, b.grad = rng.normal(size=(1, 2)), (rng.normal(size=1) if i % 2 else None)
        opt.step()
    assert opt.steps == [5, 2]
    state = opt.state_dict()
    assert int(state["0.param.t"]) == 5 and int(state["1.param.t"]) == 2
    a2, b2 = Tensor(a.data.copy(), requires_grad=True), Tensor(b.data.copy(), requires_grad=True)
    other = optim.Adam([a2, b2]).load_state_dict(state)
    assert other.steps == [5, 2]
    g = rng.normal(size=(1, 2)), rng.normal(size=1)
    (a.grad, b.grad), (a2.grad, b2.grad) = g, g
    opt.step()
    other.step()
    np.testing.assert_array_equal(a.data, a2.data)
    np.testing.assert_array_equal(b.data, b2.data)


@pytest.mark.parametrize("kind", ["Momentum", "RMSprop", "Adam"])
def test_state_dict_is_a_copy_and_round_trips_through_npz_bit_for_bit(kind, tmp_path):
    model = nn.Sequential(nn.Dense(2, 3, activation="tanh", seed=0, dtype=np.float32),
                          nn.Dense(3, 1, activation="sigmoid", seed=1, dtype=np.float32))
    opt = OPTIMIZERS[kind](model.parameters())
    X, Y = _flower()
    _train(model, opt, X.astype(np.float32), Y.astype(np.float32), 3)
    state = opt.state_dict()
    assert state["optimizer"] == kind and int(state["num_parameters"]) == 4
    assert state["lr"] == opt.lr
    suffix = next(iter(opt._buffers))  # v (Momentum, Adam) or s (RMSprop)
    state[f"0.W1.{suffix}"][...] = 7.0  # a copy: the optimizer's buffer is untouched
    assert not np.any(opt.state_dict()[f"0.W1.{suffix}"] == 7.0)
    state = opt.state_dict()
    other = OPTIMIZERS[kind](model.parameters())
    first = getattr(other, other._buffers[suffix])[0]
    other.load(opt.save(tmp_path / "opt"))
    assert getattr(other, other._buffers[suffix])[0] is first  # copied into, in place
    loaded = other.state_dict()
    assert list(loaded) == list(state)
    for key, value in state.items():
        assert np.asarray(loaded[key]).dtype == np.asarray(value).dtype, key
        assert np.asarray(loaded[key]).tobytes() == np.asarray(value).tobytes(), key


def _trained_adam():
    model = _model(3)
    opt = optim.Adam(model.parameters(), lr=0.02)
    X, Y = _flower()
    _train(model, opt, X, Y, 2)
    return model, opt


def test_load_state_dict_refuses_another_optimizer_model_or_bad_values(tmp_path):
    model, opt = _trained_adam()
    state = opt.state_dict()
    target = optim.Adam(_model(5).parameters(), lr=0.5)
    before = target.state_dict()

    with pytest.raises(StateDictError, match=r"saved by Adam, not by Momentum"):
        optim.Momentum(model.parameters(), lr=0.1).load_state_dict(state)
    with pytest.raises(StateDictError, match=r"saved by SGD, not by Adam"):
        target.load_state_dict(optim.SGD(model.parameters(), lr=0.1).state_dict())
    with pytest.raises(StateDictError, match=r"model's state dict"):
        target.load_state_dict(model.state_dict())
    with pytest.raises(StateDictError, match=r"state is for 4 parameters, this optimizer has 6"):
        optim.Adam(nn.deep_network([2, 4, 3, 1], seed=0).parameters()).load_state_dict(state)
    with pytest.raises(ShapeError, match=r"'0\.W1\.v' of parameter W1 has shape \(5, 2\) in "
                                         r"the model but \(4, 2\) in the state dict"):
        optim.Adam(nn.deep_network([2, 5, 1], seed=0).parameters()).load_state_dict(state)
    renamed = {key.replace("W1", "W"): value for key, value in state.items()}
    with pytest.raises(StateDictError, match=r"missing \['0\.W1\.v', '0\.W1\.s', '0\.W1\.t'\]"
                                             r"; unexpected \['0\.W\.v'"):
        target.load_state_dict(renamed)
    with pytest.raises(StateDictError, match=r"missing \['eps'\]"):
        target.load_state_dict({k: v for k, v in state.items() if k != "eps"})
    nan_moment = {**state, "2.W2.s": np.full((1, 4), np.nan)}
    with pytest.raises(ValueError, match=r"'2\.W2\.s' of parameter W2 \(1, 4\) holds 4 nan"):
        target.load_state_dict(nan_moment)
    with pytest.raises(ValueError, match=r"lr is nan"):
        target.load_state_dict({**state, "lr": np.float64("nan")})
    with pytest.raises(ValueError, match=r"beta2 must be in"):
        target.load_state_dict({**state, "beta2": 1.0})
    with pytest.raises(ValueError, match=r"step count must be >= 0"):
        target.load_state_dict({**state, "1.b1.t": np.int64(-1)})
    with pytest.raises(ValueError, match=r"1\.b1\.t must be one integer"):
        target.load_state_dict({**state, "1.b1.t": 2.5})
    with pytest.raises(TypeError, match=r"expected a dict"):
        target.load_state_dict([("lr", 0.1)])
    with pytest.raises(StateDictError, match=r"model's state dict"):
        target.load(model.save(tmp_path / "model"))  # the model's file, not the optimizer's
    with pytest.raises(FileNotFoundError, match=r"Adam\.save\(path\) writes one"):
        target.load(tmp_path / "nothing")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"not a file written by Adam\.save"):
        target.load(tmp_path / "junk.npz")

    after = target.state_dict()  # every refused load changed nothing
    assert list(after) == list(before)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)
    target.load_state_dict(state)  # and the good state still loads
    assert target.lr == 0.02 and target.steps == [2, 2, 2, 2]
