"""One system on one workload in a process of its own; prints one JSON line.

``python -m benchmarks.worker SYSTEM WORKLOAD MODE ITERATIONS``, MODE one of

* ``time``: a few warm-up iterations, then up to ``ITERATIONS`` timed ones, stopping early
  once ``TIME_BUDGET`` seconds have passed (a slow system runs fewer) → µs per iteration;
* ``cost``: ``ITERATIONS`` iterations from the initial weights → the cost of the last one;
* ``memory``: warm-up, then the tracemalloc peak of each of ``ITERATIONS`` iterations above
  the memory held before it (the largest is reported).
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc

from .systems import build
from .workloads import WORKLOADS

WARMUP_ITERATIONS = 3
TIME_BUDGET = 0.5  # seconds per timed block and system


def run(system: str, workload_name: str, mode: str, iterations: int) -> dict:
    step = build(system, WORKLOADS[workload_name]())
    if mode == "cost":
        cost = float("nan")
        for _ in range(iterations):
            cost = step()
        return {"cost": cost, "iterations": iterations}
    for _ in range(WARMUP_ITERATIONS):
        step()
    if mode == "time":
        clock = time.perf_counter
        start = clock()
        done = 0
        while done < iterations:
            step()
            done += 1
            if clock() - start > TIME_BUDGET:
                break
        elapsed = clock() - start
        return {"us_per_iteration": elapsed / done * 1e6, "iterations": done}
    if mode == "memory":
        tracemalloc.start()
        peak = 0
        for _ in range(iterations):
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            step()
            peak = max(peak, tracemalloc.get_traced_memory()[1] - before)
        tracemalloc.stop()
        return {"peak_bytes": peak, "iterations": iterations}
    raise ValueError(f"unknown mode {mode!r}: use time, cost or memory")


def main(argv: list[str]) -> None:
    system, workload_name, mode, iterations = argv
    print(json.dumps(run(system, workload_name, mode, int(iterations))))


if __name__ == "__main__":
    main(sys.argv[1:])
