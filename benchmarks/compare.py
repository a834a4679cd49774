"""Time two checkouts of this repository in one run: before and after, paired block by block.

``python -m benchmarks.compare --before PATH [--after PATH] [--blocks 7]
[--workloads planar,mlp,deep] [--systems tinygrad_edu,tinygrad_edu_compiled] [--write]``

``PATH`` is another checkout of this repository (a git worktree, e.g. an issue's baseline);
``--after`` defaults to this checkout. Every worker is a fresh process started inside its
tree (working directory and ``PYTHONPATH``), so each tree times its own ``tinygrad_edu``
with its own ``benchmarks/systems.py``. The worker is the tree's own command line,
``python -m benchmarks.worker SYSTEM WORKLOAD MODE ITERATIONS`` (one JSON line out), run
through ``BOOTSTRAP``, which then prints where ``tinygrad_edu`` and ``benchmarks`` were
imported from: the run stops if a tree's worker imported anything from outside its tree.
Any checkout whose worker has that command line works; one without it fails loudly.

1. Agreement (``run.check_agreement``): each tree's systems must reach the hand-written numpy
   reference's cost at the checkpoint, so both trees train the same network.
2. Timing (``run.time_blocks``): a warm-up block, then ``--blocks`` blocks; in each block
   numpy (from the after tree only) and every system once from each tree, each in a fresh
   process, the order rotated from block to block.

The table, per workload and system: before µs and after µs, the median over the blocks of
µs per iteration; the paired ratio to numpy of each tree, the median over the blocks of
(time / numpy's time in the same block), as in RESULTS.md; after/before (paired), the median
over the blocks of (after's time / before's time in the same block), < 1 is faster, with its
min–max over the blocks: a change inside that range is within this machine's noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import run
from .systems import SYSTEMS
from .workloads import WORKLOADS

HERE = Path(__file__).resolve().parent.parent  # this checkout: the default after tree
TREES = ("before", "after")
# the tree's worker exactly as its command line runs it, then where its packages came from
BOOTSTRAP = (
    "import json, runpy, sys\n"
    "runpy.run_module('benchmarks.worker', run_name='__main__', alter_sys=True)\n"
    "print(json.dumps({m: sys.modules[m].__file__ for m in ('tinygrad_edu', 'benchmarks')\n"
    "                  if m in sys.modules}))\n"
)
PYCACHE = Path(tempfile.gettempdir()) / "benchmarks_compare_pycache"  # never inside a tree


class WrongTreeError(RuntimeError):
    """A tree's worker imported a package from outside that tree: it would time other code."""


def tree_worker(root: Path, system: str, workload: str, mode: str, iterations: int) -> tuple:
    """One worker of the tree ``root`` in a fresh process → (its JSON, {package: __file__})."""
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    command = [sys.executable, "-c", BOOTSTRAP, system, workload, mode, str(iterations)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{root}: benchmarks.worker {' '.join(command[3:])} failed:\n"
                           f"{done.stderr}")
    *_, result, imported = done.stdout.strip().splitlines()
    imported = json.loads(imported)
    check_own_packages(imported, root, system)
    return json.loads(result), imported


def check_own_packages(imported: dict, root: Path, system: str) -> None:
    """Raise WrongTreeError unless every package's ``__file__`` lies inside ``root`` (and a
    tinygrad_edu system did import tinygrad_edu)."""
    if system.startswith("tinygrad_edu") and "tinygrad_edu" not in imported:
        raise WrongTreeError(f"the worker of {root} ran {system} without importing tinygrad_edu")
    for package, file in imported.items():
        if not Path(file).resolve().is_relative_to(root.resolve()):
            raise WrongTreeError(f"the worker of {root} imported {package} from {file}")


def launcher(roots: dict):
    """``launch(name, ...)`` for run.py: ``SYSTEM@TREE`` runs in that tree, ``numpy`` in after."""
    def launch(name: str, workload: str, mode: str, iterations: int) -> dict:
        system, _, tree = name.partition("@")
        return tree_worker(roots[tree or "after"], system, workload, mode, iterations)[0]

    return launch


def rows(times: dict, systems: list[str]) -> list[dict]:
    """One row per system from run.time_blocks's times of numpy and each SYSTEM@TREE."""
    table = []
    for system in systems:
        before, after = f"{system}@before", f"{system}@after"
        change = run.block_ratios(times, after, base=before)  # after / before, block by block
        table.append({
            "system": system, "before_us": times[before][0], "after_us": times[after][0],
            "before_ratio": run.paired_ratio(times, before),
            "after_ratio": run.paired_ratio(times, after),
            "change": statistics.median(change), "change_range": (min(change), max(change)),
        })
    return table


def markdown(workload: str, times: dict, systems: list[str]) -> list[str]:
    """The workload's table (markdown lines) from run.time_blocks's times."""
    numpy_us, fastest, slowest, _ = times["numpy"]
    lines = [f"**{workload}** (numpy, after tree: {numpy_us:,.1f} µs, blocks "
             f"{fastest:,.0f}–{slowest:,.0f})", "",
             "| system | before µs | after µs | before / numpy (paired) | after / numpy (paired) "
             "| after / before (paired) | after / before, blocks min–max |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows(times, systems):
        lines.append(f"| {r['system']} | {r['before_us']:,.1f} | {r['after_us']:,.1f} | "
                     f"{r['before_ratio']:.2f}× | {r['after_ratio']:.2f}× | {r['change']:.3f}× | "
                     "{:.3f}–{:.3f}× |".format(*r["change_range"]))
    return [*lines, ""]


def commit(root: Path) -> str:
    """The tree's commit, marked when its tracked files have uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=False).stdout.strip()
    changed = " + uncommitted changes" if git("status", "--porcelain", "-uno") else ""
    return (git("rev-parse", "--short", "HEAD") or "?") + changed


def write_note(note: str, results: Path = run.RESULTS) -> None:
    """Put ``note`` at the top of the notes below run.py's marker (under their heading)."""
    head, marker, notes = results.read_text().partition(run.NOTES_MARKER)
    if not marker:
        raise ValueError(f"{results} has no line {run.NOTES_MARKER!r}")
    heading, notes = "## Notes (kept across runs)\n", notes.lstrip("\n")
    if notes.startswith(heading):
        heading, notes = heading + "\n", notes[len(heading):].lstrip("\n")
    else:
        heading = ""
    notes = "\n\n" + heading + note.rstrip("\n") + "\n\n" + notes
    results.write_text(head + marker + notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the baseline checkout")
    parser.add_argument("--after", type=Path, default=HERE, help="default: this checkout")
    parser.add_argument("--blocks", type=int, default=7, help="timed blocks (default 7)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument("--systems", default="tinygrad_edu", help="comma-separated")
    parser.add_argument("--iterations", type=int, help="per block and cost check instead of "
                        "the workload's own (a small number is for a smoke test only)")
    parser.add_argument("--write", action="store_true", help="add the tables to RESULTS.md")
    args = parser.parse_args(argv)
    roots = {"before": args.before.resolve(), "after": args.after.resolve()}
    for tree, root in roots.items():
        if not (root / "benchmarks" / "worker.py").is_file():
            parser.error(f"--{tree} {root} has no benchmarks/worker.py")
    systems = args.systems.split(",")
    allowed = [s for s in SYSTEMS if s not in ("numpy", "micrograd")]  # numpy runs anyway
    for system in systems:
        if system not in allowed:
            parser.error(f"--systems: {system!r} is not one of {', '.join(allowed)}")
    start = datetime.datetime.now(datetime.timezone.utc)
    info = run.machine()
    lines = []
    for tree, root in roots.items():
        imported = tree_worker(root, "tinygrad_edu", "deep", "cost", 1)[1]
        lines.append(f"- {tree}: {root} at {commit(root)}; its worker imports "
                     + ", ".join(f"{p} from {f}" for p, f in imported.items()))
    labels = ["numpy"] + [f"{s}@{tree}" for s in systems for tree in TREES]
    launch, tables = launcher(roots), []
    for name in args.workloads.split(","):
        workload = WORKLOADS[name]()
        if args.iterations:
            workload = dataclasses.replace(workload, block=args.iterations,
                                           checkpoint=args.iterations)
        print(f"{name}: checking costs", flush=True)
        run.check_agreement(workload, labels, launch)
        tables += markdown(name, run.time_blocks(workload, labels, args.blocks, launch), systems)
    elapsed = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds()
    note = "\n".join([
        f"### {start:%Y-%m-%d %H:%M} UTC: before/after, paired (`python -m benchmarks.compare`)",
        "", *lines,
        f"- {args.blocks} blocks after a warm-up block; run took {elapsed:.0f} s; load average "
        f"at start {' '.join(f'{x:.1f}' for x in info['load'])}, at end "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- machine: {info['cpu']}; BLAS: {info['blas']}; OPENBLAS_* environment: "
        f"{info['openblas_env'] or 'none set'}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        "", *tables])
    print(note)
    if args.write:
        write_note(note)


if __name__ == "__main__":
    main()
