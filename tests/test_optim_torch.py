"""The optimizers, schedules and clipping agree with PyTorch's (float64), where torch is
importable: RMSprop(β) is torch's RMSprop(alpha=β), Adam is torch's Adam (its bias correction
written as lr / (1 − β1^t) · v / (√s / √(1 − β2^t) + ε), the same formula), SGD is SGD,
clip_grad_norm_ is torch.nn.utils.clip_grad_norm_, StepDecay is StepLR, ExponentialDecay is
ExponentialLR and LambdaDecay is LambdaLR. (Momentum has no exact torch twin: torch's SGD
momentum starts its buffer at dW, not at (1 − β) dW as the course's v = 0 start gives.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle (pip install torch)")

from tinygrad_edu import Tensor, optim  # noqa: E402

ORACLE = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2**32 - 1)

PAIRS = {
    "RMSprop": (lambda ps, lr, b: optim.RMSprop(ps, lr=lr, beta=b, eps=1e-8),
                lambda ps, lr, b: torch.optim.RMSprop(ps, lr=lr, alpha=b, eps=1e-8)),
    "Adam": (lambda ps, lr, b: optim.Adam(ps, lr=lr, beta1=b, beta2=0.999),
             lambda ps, lr, b: torch.optim.Adam(ps, lr=lr, betas=(b, 0.999))),
    "SGD": (lambda ps, lr, b: optim.SGD(ps, lr=lr),
            lambda ps, lr, b: torch.optim.SGD(ps, lr=lr)),
}


@given(kind=st.sampled_from(list(PAIRS)), seed=seeds, lr=st.floats(1e-3, 0.5),
       beta=st.floats(0.0, 0.99))
@ORACLE
def test_each_optimizer_takes_torchs_steps(kind, seed, lr, beta):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=(3, 2)), rng.normal(size=(3, 1))]
    ours = [Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    make_ours, make_theirs = PAIRS[kind]
    opt, opt_torch = make_ours(ours, lr, beta), make_theirs(theirs, lr, beta)
    for _ in range(6):
        for p, q in zip(ours, theirs):
            g = rng.normal(size=p.shape) * 10.0 ** rng.uniform(-2, 2)
            p.grad = g.copy()
            q.grad = torch.tensor(g.copy())
        opt.step()
        opt_torch.step()
        for p, q in zip(ours, theirs):
            # the same formula in another order of operations: a few ulps apart
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


@given(seed=seeds, max_norm=st.floats(1e-2, 10.0), scale=st.sampled_from([1e-2, 1.0, 100.0]))
@ORACLE
def test_clip_grad_norm_is_torchs(seed, max_norm, scale):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s) * scale for s in ((4, 3), (4, 1), (1, 4))]
    ours = [Tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g.copy())
    norm = optim.clip_grad_norm_(ours, max_norm)
    norm_torch = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert norm == pytest.approx(norm_torch.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda o: optim.StepDecay(o, step_size=3, factor=0.3),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.3)),
    (lambda o: optim.ExponentialDecay(o, base=0.95),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.95)),
    (lambda o: optim.LambdaDecay(o, fn=lambda e: 1 / (1 + 0.5 * e)),
     lambda o: torch.optim.lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + 0.5 * e))),
])
def test_schedules_give_torchs_learning_rates(ours, theirs):
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.2)
    opt_torch = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    schedule, schedule_torch = ours(opt), theirs(opt_torch)
    for _ in range(12):
        assert opt.lr == pytest.approx(opt_torch.param_groups[0]["lr"], rel=1e-12)
        opt_torch.step()  # torch wants a step before the schedule's
        schedule.step()
        schedule_torch.step()
