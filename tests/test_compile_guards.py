"""tinygrad_edu.compile's guards: one program per signature (shapes, dtypes), a graph that
changes between calls is detected, and wrong arguments are refused before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu
import tinygrad_edu.nn.functional as F
from tinygrad_edu import ArgumentError, ArgumentTypeError, CompileError, GraphChangedError, nn


def _net(dtype=np.float64):
    np.random.seed(0)
    model = nn.Sequential(nn.Dense(2, 3, activation="tanh", dtype=dtype),
                          nn.Dense(3, 1, activation="sigmoid", dtype=dtype))
    return model


def _data(m, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(2, m)).astype(dtype), (rng.random((1, m)) > 0.5).astype(dtype)


def _eager(model, X, Y):
    model.zero_grad()
    J = F.binary_cross_entropy(model(X), Y)
    J.backward()
    return J.item(), [p.grad for p in model.parameters()]


def test_another_batch_size_traces_again_and_each_program_is_kept():
    model = _net()
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    for m in (5, 8, 5, 8):
        X, Y = _data(m, seed=m)
        J, grads = step(X, Y)
        J_eager, grads_eager = _eager(model, X, Y)
        assert J == J_eager and all(np.array_equal(g, e) for g, e in zip(grads, grads_eager))
    assert len(step.programs) == 2


def test_another_dtype_traces_again_and_float32_stays_float32():
    model = _net(np.float32)
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    X, Y = _data(6, np.float32)
    step(X, Y)  # the first call returns its trace's (eager) result
    J, grads = step(X, Y)
    assert all(g.dtype == np.float32 for g in grads)
    J_eager, grads_eager = _eager(model, X, Y)
    assert J == J_eager and all(np.array_equal(g, e) for g, e in zip(grads, grads_eager))
    step(X.astype(np.float64), Y.astype(np.float64))  # float64 data: a second program
    assert len(step.programs) == 2


def test_value_dependent_control_flow_is_detected_at_the_second_call():
    model = _net()

    def cost(X, Y):
        A = model(X)
        if float(X.data.sum()) > 0:  # Python control flow on a value: traced as it ran
            return F.binary_cross_entropy(A, Y)
        return F.mse_loss(A, Y)

    step = tinygrad_edu.compile(cost, model.parameters())
    X, Y = _data(4)
    step(X if X.sum() > 0 else -X, Y)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(GraphChangedError, match="another graph"):
        step(-X if X.sum() > 0 else X, Y)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_a_closure_whose_array_changed_is_detected():
    model = _net()
    X, Y = _data(4)
    batch = {"X": X}
    step = tinygrad_edu.compile(lambda: F.binary_cross_entropy(model(batch["X"]), Y),
                                model.parameters())
    step()
    batch["X"] = X + 1.0  # a new mini-batch in the closure: not an argument
    with pytest.raises(GraphChangedError, match="constant"):
        step()


def test_check_always_checks_every_call_and_never_trusts_the_trace():
    model = _net()
    X, Y = _data(4)
    batch = {"X": X}
    cost = lambda: F.binary_cross_entropy(model(batch["X"]), Y)  # noqa: E731
    always = tinygrad_edu.compile(cost, model.parameters(), check="always")
    never = tinygrad_edu.compile(cost, model.parameters(), check="never")
    for _ in range(3):
        always()
        never()
    batch["X"] = X * 2.0
    with pytest.raises(GraphChangedError):
        always()
    J, _ = never()  # documented: the traced constants are used
    batch["X"] = X
    assert J == _eager(model, X, Y)[0]


def test_arguments_are_checked_before_anything_runs():
    model = _net()
    with pytest.raises(ArgumentTypeError, match="params must be leaf Tensors"):
        tinygrad_edu.compile(lambda X: model(X).sum(), [np.zeros(3)])
    with pytest.raises(ArgumentError, match="lr must be a positive number"):
        tinygrad_edu.compile(lambda X: model(X).sum(), model.parameters(), lr=-1)
    with pytest.raises(ArgumentError, match="check must be one of"):
        tinygrad_edu.compile(lambda X: model(X).sum(), model.parameters(), check="sometimes")
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    with pytest.raises(ArgumentError, match="takes 2 arguments"):
        step(np.zeros((2, 3)))
    with pytest.raises(ArgumentError, match="call step"):
        step.source  # noqa: B018


def test_a_parameter_left_out_of_params_is_named():
    model = _net()
    X, Y = _data(4)
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters()[:2])
    with pytest.raises(CompileError, match="not among the params"):
        step(X, Y)


def test_a_parameter_the_cost_does_not_use_gets_zeros():
    model = _net()
    extra = tinygrad_edu.Tensor(np.ones((2, 2)), requires_grad=True, name="V")
    X, Y = _data(4)
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                [*model.parameters(), extra])
    step(X, Y)  # the first call returns its trace's (eager) result
    _, grads = step(X, Y)
    assert np.array_equal(grads[-1], np.zeros((2, 2)))


def test_the_decorator_form_and_the_update():
    model = _net()
    X, Y = _data(4)

    @tinygrad_edu.compile(params=model.parameters(), lr=0.1)
    def train_step(X, Y):
        return F.binary_cross_entropy(model(X), Y)

    before = model.parameters()[0].data.copy()
    _, grads = train_step(X, Y)
    assert np.array_equal(model.parameters()[0].data, before - 0.1 * grads[0])
    assert "def train_step(X, Y, W1, b1, W2, b2, lr):" in train_step.source


def test_returned_gradients_are_never_views_of_the_programs_arrays():
    """A gradient that is a transpose or a reshape of a buffer (or a constant) is copied out:
    the next call must not change what the last one returned."""
    rng = np.random.default_rng(3)
    W = tinygrad_edu.Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="W")
    V = tinygrad_edu.Tensor(rng.normal(size=(6,)), requires_grad=True, name="V")
    ones = np.eye(3)[:, [0, 1, 2, 0]]
    step = tinygrad_edu.compile(
        lambda X: F.categorical_cross_entropy_with_logits(W.T * X, ones) + V.reshape(2, 3).sum(),
        [W, V])
    X = rng.normal(size=(3, 4))
    step(X)  # the first call returns its trace's (eager) result
    _, grads = step(X)
    kept = [g.copy() for g in grads]
    step(X * 2.0)
    assert all(np.array_equal(g, k) for g, k in zip(grads, kept))


def test_a_cost_that_is_not_finite_changes_no_parameter():
    """As backward() refuses a nan cost: the program stops before its gradients and its
    update (TrainingDivergedError), the parameters are as they were."""
    model = _net()
    X, Y = _data(4)
    step = tinygrad_edu.compile(lambda X, Y: F.mse_loss(model(X), Y), model.parameters(),
                                lr=0.1)
    step(X, Y)
    step(X, Y)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(tinygrad_edu.TrainingDivergedError, match="no parameter changed"), \
            np.errstate(invalid="ignore"):
        step(X, Y * np.nan)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_the_fast_entry_sends_every_other_call_to_the_general_path():
    """After the checked second call a program is entered by one tuple compare (caller.py);
    whatever differs from its signature takes the general path: a parameter array replaced
    by one of another dtype or shape, Tensors or lists as arguments, another batch size,
    a wrong number of arguments. Each result is the eager one."""
    model = _net()
    X, Y = _data(6)
    step = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                model.parameters())
    step(X, Y)
    step(X, Y)
    assert step._enter is not None  # armed
    cases = [
        (tinygrad_edu.Tensor(X), Y),  # a Tensor argument: its array
        (X.tolist(), Y.tolist()),  # nested lists: np.asarray
        _data(9, seed=1),  # another batch size: a second program
        (X, Y),
    ]
    for args in cases:
        J, grads = step(*args)
        J_eager, grads_eager = _eager(model, *[
            np.asarray(a.data if isinstance(a, tinygrad_edu.Tensor) else a) for a in args])
        assert J == J_eager and all(np.array_equal(g, e) for g, e in zip(grads, grads_eager))
    W1 = model.parameters()[0]
    W1.data = W1.data.astype(np.float32)  # the same shape, another dtype: another program
    n = len(step.programs)
    step(X, Y)
    assert len(step.programs) == n + 1
    with pytest.raises(ArgumentError, match="takes 2 arguments"):
        step(X)


def test_check_never_is_fast_from_the_first_call_and_always_checks_every_call():
    model = _net()
    X, Y = _data(5)
    never = tinygrad_edu.compile(lambda X, Y: F.binary_cross_entropy(model(X), Y),
                                 model.parameters(), check="never")
    never(X, Y)
    assert never._enter is not None
    batch = {"X": X}
    always = tinygrad_edu.compile(lambda Y: F.binary_cross_entropy(model(batch["X"]), Y),
                                  model.parameters(), check="always")
    for _ in range(4):
        always(Y)
        assert always._enter is None
    batch["X"] = X + 1.0
    with pytest.raises(GraphChangedError):
        always(Y)
