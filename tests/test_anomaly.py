"""detect_anomaly(): nan/inf in the forward or backward pass is traced to the op that made
it; outside the context nothing is checked (and nothing is raised)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import AnomalyError, Tensor, detect_anomaly
from tinygrad_edu.errors import TinygradEduError


def test_forward_anomaly_names_the_op_and_its_inputs():
    A = Tensor([[0.5, 0.0, 2.0]], requires_grad=True, name="A1")
    with pytest.raises(AnomalyError) as info, np.errstate(divide="ignore"), detect_anomaly():
        (A.log() * 2.0).sum()
    message = str(info.value)
    assert "log" in message and "A1 (1, 3)" in message and "inf" in message
    assert isinstance(info.value, TinygradEduError) and isinstance(info.value, FloatingPointError)


def test_forward_anomaly_of_zero_times_infinity_names_mul():
    x = Tensor([0.0, 1.0], requires_grad=True, name="x")
    big = Tensor([np.inf, 1.0], name="big")
    with np.errstate(invalid="ignore"):
        with pytest.raises(AnomalyError, match="mul") as info, detect_anomaly():
            x * big
    # big is data that already holds an inf: reported at the first op that uses it
    message = str(info.value)
    assert "1 nan" in message and "big (2,) already holds 1 inf" in message and "x (2,)" in message


def test_a_nan_coming_from_an_earlier_op_is_reported_only_there():
    x = Tensor([0.0, 1.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = x.log()  # made outside the context: -inf, not reported
        with detect_anomaly():
            y = logged * 2.0  # the inf came from log's output, not from this mul
    assert np.isneginf(y.data[0])


def test_division_by_zero_is_reported_as_div():
    x = Tensor([1.0, 2.0], requires_grad=True, name="numerator")
    y = Tensor([1.0, 0.0], name="denominator")
    with np.errstate(divide="ignore"):
        with pytest.raises(AnomalyError, match="div") as info, detect_anomaly():
            x / y
    assert "denominator (2,)" in str(info.value) and "numerator (2,)" in str(info.value)


def test_backward_anomaly_names_the_op_whose_rule_made_it():
    x = Tensor([0.0, 4.0], requires_grad=True, name="x")
    with detect_anomaly():
        y = x.sqrt()  # forward is finite: sqrt(0) = 0
        J = y.sum()
        with pytest.raises(AnomalyError) as info, np.errstate(divide="ignore"):
            J.backward()  # d sqrt/dx = 1 / (2 sqrt x) is inf at 0
    message = str(info.value)
    assert "sqrt" in message and "x (2,)" in message and "backward" in message


def test_nothing_is_checked_outside_the_context():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        J = x.sqrt().sum()
        J.backward()
        assert np.isinf(x.grad[0])
        y = Tensor([0.0], requires_grad=True).log()
    assert np.isneginf(y.data[0])


def test_anomaly_mode_is_restored_after_an_error():
    from tinygrad_edu.autograd import MODE

    with pytest.raises(AnomalyError), np.errstate(divide="ignore"), detect_anomaly():
        Tensor([0.0], requires_grad=True).log()
    assert MODE.anomaly is False
