"""Grad mode and anomaly mode belong to the thread that sets them (as in PyTorch).

Every test runs real threads and forces the overlap it is about with barriers and events
(each wait has a timeout, so a broken engine fails instead of hanging): a ``no_grad()`` in
one thread while another records, ``no_grad``/``enable_grad`` overlapping in two threads,
``backward()`` in one thread while another records, two models trained at once, anomaly
mode in one thread only, and what a new thread starts with.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_edu.nn.functional as F
from tinygrad_edu import (
    AnomalyError,
    Tensor,
    data,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    nn,
    no_grad,
    optim,
)
from tinygrad_edu import functions as functions_module
from tinygrad_edu.autograd import MODE

TIMEOUT = 30  # seconds; only reached when something is broken


def run_threads(*targets) -> list:
    """Run each target in its own thread; re-raise the first exception a thread raised."""
    results: list = [None] * len(targets)
    errors: list = []

    def wrap(k, target):
        try:
            results[k] = target()
        except BaseException as error:  # handed to the main thread
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(k, t)) for k, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread hung"
    if errors:
        raise errors[0]
    return results


def recorded(x: Tensor) -> bool:
    """Whether an op on ``x`` records the graph here and now."""
    return (x * 2.0).requires_grad


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    x = Tensor(np.ones(3), requires_grad=True)
    inside, done = threading.Event(), threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            assert done.wait(TIMEOUT)
            return is_grad_enabled(), recorded(x)

    def trainer():
        assert inside.wait(TIMEOUT)  # the other thread is inside no_grad() now
        try:
            J = (x * x).sum()
            J.backward()  # raised "it has no graph: ... no_grad()" when the mode was global
            return is_grad_enabled(), x.grad.copy()
        finally:
            done.set()

    (grad_there, recorded_there), (grad_here, dx) = run_threads(evaluator, trainer)
    assert (grad_there, recorded_there) == (False, False)
    assert grad_here is True
    np.testing.assert_array_equal(dx, 2 * np.ones(3))


def test_overlapping_no_grad_and_enable_grad_in_two_threads_leave_grad_mode_on():
    """A enters no_grad, B enters enable_grad, A leaves, B leaves: with one global mode B
    restored the 'off' it found, for the rest of the process."""
    x = Tensor(np.ones(2), requires_grad=True)
    step = threading.Barrier(2, timeout=TIMEOUT)

    def a():
        with no_grad():
            step.wait()  # 1: A is inside no_grad
            step.wait()  # 2: B is inside enable_grad
            inside = is_grad_enabled()
        step.wait()  # 3: A has left
        step.wait()  # 4: B has left
        return inside, is_grad_enabled(), recorded(x)

    def b():
        step.wait()  # 1
        with no_grad(), enable_grad():
            step.wait()  # 2
            step.wait()  # 3
            inside = is_grad_enabled()
        step.wait()  # 4
        return inside, is_grad_enabled(), recorded(x)

    assert run_threads(a, b) == [(False, True, True), (True, True, True)]
    assert is_grad_enabled() and recorded(x)  # and the main thread was never touched


def test_backward_in_one_thread_does_not_switch_recording_off_in_another(monkeypatch):
    """backward() runs its rules with recording off — in its own thread only."""
    paused, recorded_meanwhile = threading.Event(), threading.Event()
    tanh_rule = functions_module.Tanh.backward

    def slow_rule(self, g, out, z):  # pauses the backward pass in the middle
        paused.set()
        assert recorded_meanwhile.wait(TIMEOUT)
        return tanh_rule(self, g, out, z)

    monkeypatch.setattr(functions_module.Tanh, "backward", slow_rule)
    W = Tensor(np.full((2, 2), 0.5), requires_grad=True)
    J = (W @ np.ones((2, 1))).tanh().sum()
    x = Tensor(np.ones(3), requires_grad=True)

    def backward_thread():
        J.backward()
        return is_grad_enabled()

    def recording_thread():
        assert paused.wait(TIMEOUT)  # the other thread is inside backward() now
        try:
            y = (x * x).sum()
            return is_grad_enabled(), y.requires_grad, y._ctx is not None
        finally:
            recorded_meanwhile.set()

    after_backward, meanwhile = run_threads(backward_thread, recording_thread)
    assert after_backward is True and meanwhile == (True, True, True)
    np.testing.assert_allclose(W.grad, np.full((2, 2), 1 - np.tanh(1.0) ** 2), rtol=1e-12)


def train_flower(seed: int, iterations: int, barrier: threading.Barrier | None = None) -> list:
    """The flower network trained with SGD (its updates under no_grad); the costs."""
    X, Y = data.load_planar_dataset()
    model = nn.deep_network([2, 4, 1], hidden="tanh", output="sigmoid", seed=seed)
    opt = optim.SGD(model.parameters(), lr=1.2)
    costs = []
    for _ in range(iterations):
        if barrier is not None:
            barrier.wait()  # both threads step in lockstep: each no_grad overlaps the other
        J = F.binary_cross_entropy(model(X), Y)
        opt.zero_grad()
        J.backward()
        opt.step()
        with no_grad():
            costs.append(float(F.binary_cross_entropy(model(X), Y).item()))
    return costs


def test_two_threads_train_two_models_at_once_as_each_trains_alone():
    alone = [train_flower(seed, 60) for seed in (1, 2)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    together = run_threads(lambda: train_flower(1, 60, barrier),
                           lambda: train_flower(2, 60, barrier))
    # the same arithmetic on the same machine: equal bit for bit
    assert together == alone
    assert together[0][-1] < together[0][0] and together[1][-1] < together[1][0]


def test_a_no_grad_decorated_function_called_from_two_threads_at_once():
    """One decorator object, entered by two threads that leave in the other order."""
    step = threading.Barrier(2, timeout=TIMEOUT)

    @no_grad()
    def evaluate(first: bool) -> bool:
        step.wait()  # both inside
        if not first:
            step.wait()  # the first leaves before the second
        enabled = is_grad_enabled()
        if first:
            step.wait()
        return enabled

    def call(first):
        inside = evaluate(first)
        return inside, is_grad_enabled()

    assert run_threads(lambda: call(True), lambda: call(False)) == [(False, True), (False, True)]


def test_anomaly_mode_belongs_to_its_thread():
    inside, done = threading.Event(), threading.Event()

    def hunting():
        x = Tensor([0.0], requires_grad=True)
        with detect_anomaly():
            inside.set()
            try:
                assert done.wait(TIMEOUT)
                with pytest.raises(AnomalyError, match="log"), np.errstate(divide="ignore"):
                    x.log()
            finally:
                inside.clear()
        return True

    def other():
        assert inside.wait(TIMEOUT)  # the other thread is in detect_anomaly() now
        try:
            with np.errstate(divide="ignore"):
                y = Tensor([0.0], requires_grad=True).log()  # not checked here
            return bool(np.isneginf(y.data[0]))
        finally:
            done.set()

    assert run_threads(hunting, other) == [True, True]


def test_a_new_thread_starts_with_grad_on_and_anomaly_off():
    x = Tensor([0.0], requires_grad=True)

    def fresh():
        with np.errstate(divide="ignore"):
            y = x.log()  # anomaly off: -inf, no error
        return is_grad_enabled(), y.requires_grad, bool(np.isneginf(y.data[0]))

    with detect_anomaly():
        with no_grad():
            assert run_threads(fresh) == [(True, True, True)]
            assert not is_grad_enabled()
        assert run_threads(fresh) == [(True, True, True)]
        with pytest.raises(AnomalyError), np.errstate(divide="ignore"):
            x.log()  # this thread's anomaly mode is still on
        assert MODE.anomaly  # this thread's checks, read by the hot path
    assert is_grad_enabled() and MODE.anomaly is False
