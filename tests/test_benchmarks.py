"""The benchmarks compute what they claim, and a training loop keeps no memory.

No timing here (that is ``python -m benchmarks.run``): these tests check that every system
of the benchmark computes the same cost as the hand-written numpy reference, that the
harness refuses a system that disagrees, and that tinygrad_edu frees the graph of an
iteration as soon as the cost is dropped (no reference cycles: it works with the garbage
collector switched off), so memory stays flat over 10 000 iterations.
"""

from __future__ import annotations

import gc
import os
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package

from benchmarks import run as harness
from benchmarks.systems import available, build, runs_on
from benchmarks.workloads import WORKLOADS, planar
from tinygrad_edu import Tensor, autograd

TINY_RUN = {"planar": 4, "mlp": 2, "deep": 4}


CASES = [
    (system, name)
    for name, make in WORKLOADS.items()
    for system in ("tinygrad_edu", "tinygrad_edu_compiled", "torch", "micrograd", "jax_jit",
                   "tangent")
    if runs_on(system, make())
]


@pytest.mark.parametrize(("system", "workload_name"), CASES)
def test_every_system_computes_the_reference_cost(system: str, workload_name: str) -> None:
    if not available(system):
        pytest.skip(f"{system} is optional and not installed")
    workload = WORKLOADS[workload_name]()
    n = 2 if system == "micrograd" else TINY_RUN[workload_name]
    reference, other = build("numpy", workload), build(system, workload)
    expected = [reference() for _ in range(n)]
    got = [other() for _ in range(n)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert expected[-1] != expected[0]  # the weights moved: the runs really train


def test_harness_refuses_a_system_that_computes_something_else(monkeypatch) -> None:
    def fake_worker(system: str, workload: str, mode: str, iterations: int) -> dict:
        return {"cost": 0.5 if system == "numpy" else 0.5 * (1 + 1e-5)}

    monkeypatch.setattr(harness, "worker", fake_worker)
    with pytest.raises(harness.DisagreementError, match="tinygrad_edu"):
        harness.check_agreement(planar(), ["numpy", "tinygrad_edu"])


def _graph_of(cost: Tensor) -> list:
    return [t for t in autograd.topological_order(cost, only_requires_grad=False) if t._ctx]


def test_the_graph_of_an_iteration_is_freed_when_the_cost_is_dropped() -> None:
    step = build("tinygrad_edu", planar())
    step()
    gc.collect()
    gc.disable()
    try:
        from tinygrad_edu import nn, optim
        from tinygrad_edu.nn import functional as F

        model = nn.Sequential(nn.Dense(2, 4, activation="tanh"),
                              nn.Dense(4, 1, activation="sigmoid"))
        opt = optim.SGD(model.parameters(), lr=1.2)
        X, Y = planar().X, planar().Y
        cost = F.binary_cross_entropy(model(X), Y)
        opt.zero_grad()
        cost.backward()
        opt.step()
        intermediates = _graph_of(cost)
        assert len(intermediates) >= 6  # Z1, A1, Z2, A2, the matmuls' outputs, the cost
        refs = [weakref.ref(t) for t in intermediates]
        del intermediates, cost
        alive = [r() for r in refs if r() is not None]
        assert alive == [], f"still alive without the garbage collector: {alive}"
        for p in model.parameters():
            assert p.grad is not None and p.grad.base is None  # the grads are the leaves' own
    finally:
        gc.enable()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_over_10000_iterations_without_the_garbage_collector() -> None:
    step = build("tinygrad_edu", planar())
    gc.collect()
    gc.disable()
    try:
        for _ in range(1000):
            step()
        before = _rss_bytes()
        for _ in range(9000):
            step()
        grown = _rss_bytes() - before
    finally:
        gc.enable()
    # one leaked planar graph is ~40 KiB, so a leak per iteration would be ~350 MiB here
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 9000 iterations"
