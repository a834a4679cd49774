"""Time every system on every workload and write benchmarks/RESULTS.md.

``python -m benchmarks.run [--blocks 7] [--workloads planar,mlp,deep]``

1. Agreement: each system trains from the shared initial weights up to the workload's
   checkpoint; its cost must equal the hand-written numpy reference's (rtol 1e-6), otherwise
   the run stops: a benchmark that computes something else is a bug.
2. Timing: one warm-up block, then ``--blocks`` blocks; in each block every system runs once
   in a fresh process (order rotated from block to block, so slow drifts of the machine hit
   all systems alike). The median block gives µs per iteration. The ratio is the median over
   the blocks of (the system's time / numpy's time *in the same block*): this VM switches
   between a fast and a slow state for seconds at a time, and a block's systems run back to
   back, so pairing them within a block cancels that state where a ratio of two medians
   (possibly taken in different states) does not. Both are in the table.
3. Memory: the tracemalloc peak of one iteration above what was held before it.

Systems that are not installed are reported as skipped. The environment (OPENBLAS_* and
all) is inherited unchanged by every system's process, so numpy and PyTorch run under the
same conditions; PyTorch gets as many threads as numpy's BLAS.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from .systems import SYSTEMS, available, blas_threads, runs_on
from .workloads import WORKLOADS

RESULTS = Path(__file__).with_name("RESULTS.md")
NOTES_MARKER = "<!-- everything below this line is kept by benchmarks/run.py -->"
COST_RTOL = 1e-6
TARGETS = {"planar": 1.5, "deep": 1.5, "mlp": 1.05}  # tinygrad_edu / numpy
COMPILED_TARGETS = {"planar": 1.0, "deep": 1.0, "mlp": 0.9}  # tinygrad_edu_compiled / numpy
MEMORY_TARGET = 1.5  # tinygrad_edu peak per iteration / numpy's, on mlp


class DisagreementError(AssertionError):
    """A system's cost differs from the reference: it is not computing the same thing."""


def worker(system: str, workload: str, mode: str, iterations: int) -> dict:
    command = [sys.executable, "-m", "benchmarks.worker", system, workload, mode, str(iterations)]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_agreement(workload, systems: list[str], launch=None) -> dict:
    """The cost after the checkpoint for every system; raises if one disagrees.

    ``launch(system, workload_name, mode, iterations) -> dict`` starts one worker (default:
    ``worker``, this checkout's; benchmarks/compare.py passes one that picks the tree)."""
    launch = launch or worker
    costs = {}
    references: dict = {}
    for system in systems:
        n = workload.micrograd_block if system == "micrograd" else workload.checkpoint
        if n not in references:
            references[n] = launch("numpy", workload.name, "cost", n)["cost"]
        reference = references[n]
        cost = launch(system, workload.name, "cost", n)["cost"] if system != "numpy" else reference
        if not abs(cost - reference) <= COST_RTOL * abs(reference):
            raise DisagreementError(
                f"{workload.name}: {system}'s cost after {n} iterations is {cost!r}, the "
                f"hand-written numpy reference's is {reference!r} (rtol {COST_RTOL})"
            )
        costs[system] = (n, cost, reference)
        print(f"  {workload.name:7s} {system:13s} cost after {n} iterations {cost:.12f} "
              f"(reference {reference:.12f})", flush=True)
    return costs


def time_blocks(workload, systems: list[str], blocks: int, launch=None) -> dict:
    """Median µs per iteration over ``blocks`` timed blocks (after one warm-up block):
    ``{system: (median, min, max, [µs of each block])}``; ``launch`` as in check_agreement."""
    launch = launch or worker
    times: dict = {s: [] for s in systems}
    for block in range(blocks + 1):
        order = systems[block % len(systems):] + systems[:block % len(systems)]
        for system in order:
            n = workload.micrograd_block if system == "micrograd" else workload.block
            us = launch(system, workload.name, "time", n)["us_per_iteration"]
            if block > 0:  # block 0 is the warm-up
                times[system].append(us)
        print(f"  {workload.name:7s} block {block}/{blocks} "
              + " ".join(f"{s}={times[s][-1]:.0f}µs" for s in systems if times[s]), flush=True)
    return {s: (statistics.median(v), min(v), max(v), v) for s, v in times.items()}


def block_ratios(times: dict, system: str, base: str = "numpy") -> list[float]:
    """system time / base time in each block (the same block: the same state of the machine)."""
    return [t / b for t, b in zip(times[system][3], times[base][3], strict=True)]


def paired_ratio(times: dict, system: str, base: str = "numpy") -> float:
    """Median over the blocks of system time / base time in the same block."""
    return statistics.median(block_ratios(times, system, base))


def peak_memory(workload, systems: list[str]) -> dict:
    peaks = {}
    for system in systems:
        if system == "torch":
            continue  # PyTorch's C++ allocator is invisible to tracemalloc
        n = 1 if system == "micrograd" else 3
        peaks[system] = worker(system, workload.name, "memory", n)["peak_bytes"]
    return peaks


def machine() -> dict:
    import numpy

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "?"
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{p['internal_api']} {p['version']} ({p.get('architecture', '?')} kernel, "
            f"{p['num_threads']} threads)"
            for p in threadpool_info() if p["user_api"] == "blas"
        )
    except ImportError:
        blas = "threadpoolctl not installed"
    versions = {"python": platform.python_version(), "numpy": numpy.__version__}
    distributions = {"torch": "torch", "micrograd": "micrograd", "jax_jit": "jax",
                     "tangent": "tangent-ad"}  # system -> the package that provides it
    for name, package in distributions.items():
        if available(name):
            from importlib.metadata import PackageNotFoundError, version

            try:
                versions[package] = version(package)
            except PackageNotFoundError:  # importable, but not installed by pip
                versions[package] = "?"
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores, {platform.machine()}, {platform.system()}",
        "blas": blas,
        "threads": blas_threads(),
        "versions": versions,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "load": os.getloadavg(),
    }


def _format_bytes(n: float) -> str:
    return f"{n / 1024:.0f} KiB" if n < 1024 ** 2 else f"{n / 1024 ** 2:.1f} MiB"


def write_results(info: dict, rows: dict, systems: list[str], skipped: list[str],
                  blocks: int, elapsed: float) -> None:
    notes = ""
    if RESULTS.exists() and NOTES_MARKER in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARKER, 1)[1]
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m benchmarks.run` (do not edit above the marker line). Full-batch",
        "gradient descent, float64, examples as columns, the same data and initial weights for",
        "every system, the cost computed at every iteration. µs per iteration: median of "
        f"{blocks} blocks",
        "after a warm-up block, each system in its own process, interleaved. Ratio to numpy",
        "(paired) = the median over the blocks of the system's time / hand-written numpy's in",
        "the same block; ratio of medians = the two medians' ratio (lower is better for both).",
        "",
        f"- date: {info['date']} (run took {elapsed:.0f} s)",
        f"- machine: {info['cpu']}; load average at start {info['load_start']}, at end "
        f"{info['load_end']}",
        f"- BLAS: {info['blas']}; PyTorch threads: {info['threads']}",
        f"- OPENBLAS_* environment: {info['openblas_env'] or 'none set'}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- skipped (not installed): {', '.join(skipped) or 'none'}",
        "",
        "| workload | system | µs / iteration | blocks min–max | ratio to numpy (paired) "
        "| ratio of medians | target "
        "| peak memory / iteration | memory ratio | cost at checkpoint (iteration) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in rows.items():
        base_time = row["times"]["numpy"][0]
        base_peak = row["peaks"].get("numpy")
        for system in systems:
            if system not in row["times"]:
                continue
            us, fastest, slowest, _ = row["times"][system]
            paired = paired_ratio(row["times"], system)
            target = f"≤ {TARGETS[name]}×" if system == "tinygrad_edu" else \
                f"≤ {COMPILED_TARGETS[name]}×" if system == "tinygrad_edu_compiled" else ""
            if system == "tinygrad_edu" and name == "mlp":
                target += f", memory ≤ {MEMORY_TARGET}×"
            peak = row["peaks"].get(system)
            peak_text = _format_bytes(peak) if peak is not None else "n/a (C++ allocator)"
            peak_ratio = f"{peak / base_peak:.2f}×" if peak is not None and base_peak else ""
            n, cost, _ = row["costs"][system]
            lines.append(
                f"| {name} | {system} | {us:,.1f} | {fastest:,.0f}–{slowest:,.0f} | "
                f"{paired:,.2f}× | {us / base_time:,.2f}× | {target} | "
                f"{peak_text} | {peak_ratio} | {cost:.10f} ({n}) |"
            )
    lines += [
        "",
        "micrograd runs the planar workload only, a few iterations per block (one Value per",
        "number); tanh, sigmoid and log are added to its Value the way its own ops are written.",
        "Peak memory is tracemalloc's (numpy arrays and Python objects).",
        "",
        NOTES_MARKER,
    ]
    RESULTS.write_text("\n".join(lines) + (notes if notes else "\n"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=7, help="timed blocks (default 7)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    args = parser.parse_args(argv)
    start = datetime.datetime.now(datetime.timezone.utc)
    info = machine()
    info["load_start"] = " ".join(f"{x:.1f}" for x in info.pop("load"))
    skipped = [s for s in SYSTEMS if not available(s)]
    present = [s for s in SYSTEMS if available(s)]
    rows = {}
    for name in args.workloads.split(","):
        workload = WORKLOADS[name]()
        systems = [s for s in present if runs_on(s, workload)]
        print(f"{name}: checking costs", flush=True)
        costs = check_agreement(workload, systems)
        times = time_blocks(workload, systems, args.blocks)
        peaks = peak_memory(workload, systems)
        rows[name] = {"times": times, "peaks": peaks, "costs": costs}
    info["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    info["date"] = start.strftime("%Y-%m-%d %H:%M UTC")
    elapsed = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds()
    write_results(info, rows, present, skipped, args.blocks, elapsed)
    print(RESULTS.read_text().split(NOTES_MARKER)[0])


if __name__ == "__main__":
    main()
