"""Schedules and clipping in training: resumable bit for bit (save model, optimizer and
schedule; a fresh model, optimizer and schedule load them; the continued run equals the
uninterrupted one exactly), with training.fit through its callback, and the repr/state of
each schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import data, nn, optim, training
from tinygrad_edu.errors import ArgumentError, StateDictError
from tinygrad_edu.nn import functional as F

SCHEDULES = {
    "inverse_time": lambda opt: optim.InverseTimeDecay(opt, decay_rate=0.5),
    "exponential": lambda opt: optim.ExponentialDecay(opt, base=0.9),
    "staircase": lambda opt: optim.StepDecay(opt, step_size=2, factor=0.5),
    "lambda": lambda opt: optim.LambdaDecay(opt, fn=lambda e: 1.0 / math.sqrt(e + 1)),
}
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=1.2),
    "Momentum": lambda ps: optim.Momentum(ps, lr=0.5),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.02),
    "Adam": lambda ps: optim.Adam(ps, lr=0.05),
}


def _flower():
    X, Y = data.load_planar_dataset()
    return X[:, ::4], Y[:, ::4]


def _epochs(model, opt, schedule, X, Y, epochs, clip):
    """Mini-batch epochs (batches of 25, a fixed order per epoch), clipping, a decay step per
    epoch."""
    for _ in range(epochs):
        order = np.random.default_rng(schedule.epoch).permutation(X.shape[1])
        for start in range(0, X.shape[1], 25):
            cols = order[start:start + 25]
            J = F.binary_cross_entropy(model(X[:, cols]), Y[:, cols])
            opt.zero_grad()
            J.backward()
            if clip:
                optim.clip_grad_norm_(model.parameters(), max_norm=0.05)  # active
            opt.step()
        schedule.step()


def _model(seed):
    return nn.deep_network([2, 4, 1], hidden="tanh", seed=seed)


def _resume(kind, schedule_kind, folder, load_schedule=True, clip=True, k=3, n=4):
    X, Y = _flower()
    make_opt, make_schedule = OPTIMIZERS[kind], SCHEDULES[schedule_kind]
    whole = _model(3)
    opt = make_opt(whole.parameters())
    _epochs(whole, opt, make_schedule(opt), X, Y, k + n, clip)

    model = _model(3)
    opt = make_opt(model.parameters())
    schedule = make_schedule(opt)
    _epochs(model, opt, schedule, X, Y, k, clip)
    model.save(folder / "model")
    opt.save(folder / "opt")
    schedule.save(folder / "schedule")

    fresh = _model(11)
    fresh_opt = make_opt(fresh.parameters())
    fresh_schedule = make_schedule(fresh_opt)
    fresh.load(folder / "model")
    if load_schedule:
        assert fresh_schedule.load(folder / "schedule") is fresh_schedule
    fresh_opt.load(folder / "opt")
    _epochs(fresh, fresh_opt, fresh_schedule, X, Y, n, clip)
    return whole, fresh, fresh_schedule


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
@pytest.mark.parametrize("schedule_kind", list(SCHEDULES))
def test_training_with_a_schedule_and_clipping_resumes_bit_for_bit(kind, schedule_kind,
                                                                   tmp_path):
    whole, resumed, schedule = _resume(kind, schedule_kind, tmp_path)
    assert schedule.epoch == 7
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert a.tobytes() == b.tobytes(), name


@pytest.mark.parametrize("schedule_kind", list(SCHEDULES))
def test_the_resume_test_sees_a_schedule_that_was_not_loaded(schedule_kind, tmp_path):
    """By construction: without the schedule's epoch the continued run takes other learning
    rates and lands elsewhere, so the test above would see a load that loses it."""
    whole, resumed, _ = _resume("SGD", schedule_kind, tmp_path, load_schedule=False)
    assert any(not np.array_equal(a, b) for a, b in zip(whole.state_dict().values(),
                                                         resumed.state_dict().values()))


def test_clipping_changes_the_run_so_the_resume_test_covers_it(tmp_path):
    whole, _, _ = _resume("SGD", "inverse_time", tmp_path, clip=True)
    unclipped, _, _ = _resume("SGD", "inverse_time", tmp_path, clip=False)
    assert any(not np.array_equal(a, b) for a, b in zip(whole.state_dict().values(),
                                                         unclipped.state_dict().values()))


def test_fit_takes_a_schedule_through_its_callback():
    """One fit iteration is one epoch: the callback steps the schedule, and the run is the
    hand-written loop with α = α0 / (1 + decay_rate · epoch)."""
    X, Y = _flower()
    model = _model(3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.InverseTimeDecay(opt, decay_rate=0.1)
    training.fit(model, X, Y, optimizer=opt, iterations=5, print_every=0,
                 callback=lambda i, cost, model: schedule.step())
    assert schedule.epoch == 5 and opt.lr == 1.0 / (1 + 0.1 * 5)
    by_hand = _model(3)
    for epoch in range(5):
        J = F.binary_cross_entropy(by_hand(X), Y)
        by_hand.zero_grad()
        J.backward()
        for p in by_hand.parameters():
            p.data -= 1.0 / (1 + 0.1 * epoch) * p.grad
    for a, b in zip(model.state_dict().values(), by_hand.state_dict().values()):
        assert a.tobytes() == b.tobytes()


def test_schedule_state_repr_and_refused_loads():
    opt = optim.SGD(_model(0).parameters(), lr=0.2)
    schedule = optim.StepDecay(opt, step_size=2, factor=0.5)
    for _ in range(3):
        schedule.step()
    assert repr(schedule) == "StepDecay(base_lr=0.2, step_size=2, factor=0.5, epoch=3, lr=0.1)"
    state = schedule.state_dict()
    assert str(state["schedule"]) == "StepDecay" and int(state["epoch"]) == 3
    other = optim.StepDecay(optim.SGD(_model(0).parameters(), lr=0.7), step_size=2)
    before = other.state_dict()
    with pytest.raises(StateDictError, match=r"saved by StepDecay, not by InverseTimeDecay"):
        optim.InverseTimeDecay(opt).load_state_dict(state)
    with pytest.raises(StateDictError, match=r"missing \['factor'\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "factor"})
    with pytest.raises(ArgumentError, match=r"epoch = -1, it must be >= 0"):
        other.load_state_dict({**state, "epoch": np.int64(-1)})
    with pytest.raises(ArgumentError, match=r"factor must be in \(0, 1\]"):
        other.load_state_dict({**state, "factor": np.float64(2.0)})
    with pytest.raises(ArgumentError, match=r"base_lr is nan"):
        other.load_state_dict({**state, "base_lr": np.float64("nan")})
    assert {k: np.asarray(v).tobytes() for k, v in other.state_dict().items()} == \
        {k: np.asarray(v).tobytes() for k, v in before.items()}
    assert other.optimizer.lr == 0.7
    other.load_state_dict(state)  # and the good one sets the optimizer's lr of epoch 3
    assert other.epoch == 3 and other.optimizer.lr == 0.1
