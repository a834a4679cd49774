"""benchmarks/compare.py pairs what ran in the same block, and times each tree's own code.

The logic tests feed fake times through ``run.time_blocks`` (nothing is timed); the smoke
test runs the comparison of this checkout with itself, one block of two iterations.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package

from benchmarks import compare
from benchmarks import run as harness
from benchmarks.workloads import deep

HERE = Path(__file__).resolve().parent.parent
# µs per iteration in the timed blocks 1, 2, 3 (block 0, the warm-up, reads 1e9: discarded)
FAKE = {
    "numpy": [100.0, 200.0, 100.0],
    "tinygrad_edu@before": [150.0, 300.0, 200.0],
    "tinygrad_edu@after": [120.0, 330.0, 100.0],
}


def _fake_times() -> dict:
    calls: dict = {name: 0 for name in FAKE}

    def launch(name: str, workload: str, mode: str, iterations: int) -> dict:
        block, calls[name] = calls[name], calls[name] + 1
        return {"us_per_iteration": 1e9 if block == 0 else FAKE[name][block - 1]}

    return harness.time_blocks(deep(), list(FAKE), 3, launch)


def test_after_before_is_paired_block_by_block() -> None:
    (row,) = compare.rows(_fake_times(), ["tinygrad_edu"])
    assert row["before_us"] == 200.0 and row["after_us"] == 120.0  # the medians
    # after / before per block: 0.8, 1.1, 0.5 (the ratio of the medians would be 0.6)
    assert row["change"] == pytest.approx(0.8, rel=1e-12)
    assert row["change_range"] == pytest.approx((0.5, 1.1), rel=1e-12)
    # to numpy of the same block: before 1.5, 1.5, 2.0; after 1.2, 1.65, 1.0
    assert row["before_ratio"] == pytest.approx(1.5, rel=1e-12)
    assert row["after_ratio"] == pytest.approx(1.2, rel=1e-12)


def test_the_table_shows_the_paired_numbers() -> None:
    lines = compare.markdown("deep", _fake_times(), ["tinygrad_edu"])
    assert lines[0] == "**deep** (numpy, after tree: 100.0 µs, blocks 100–200)"
    assert "| tinygrad_edu | 200.0 | 120.0 | 1.50× | 1.20× | 0.800× | 0.500–1.100× |" in lines


def test_numpy_runs_in_the_after_tree_and_each_system_in_its_own(monkeypatch) -> None:
    started = []

    def fake_tree_worker(root, system, workload, mode, iterations):
        started.append((root, system))
        return {"cost": 0.5}, {}

    monkeypatch.setattr(compare, "tree_worker", fake_tree_worker)
    launch = compare.launcher({"before": Path("/b"), "after": Path("/a")})
    for name in ("numpy", "tinygrad_edu@before", "tinygrad_edu_compiled@after"):
        assert launch(name, "deep", "cost", 1) == {"cost": 0.5}
    assert started == [(Path("/a"), "numpy"), (Path("/b"), "tinygrad_edu"),
                       (Path("/a"), "tinygrad_edu_compiled")]


def test_a_package_from_outside_the_tree_is_refused(tmp_path) -> None:
    inside = {"tinygrad_edu": str(tmp_path / "tinygrad_edu" / "__init__.py")}
    compare.check_own_packages(inside, tmp_path, "tinygrad_edu")
    with pytest.raises(compare.WrongTreeError, match="imported tinygrad_edu from"):
        compare.check_own_packages({"tinygrad_edu": str(HERE / "tinygrad_edu" / "__init__.py")},
                                   tmp_path, "tinygrad_edu")
    with pytest.raises(compare.WrongTreeError, match="without importing tinygrad_edu"):
        compare.check_own_packages({}, tmp_path, "tinygrad_edu")


def test_a_worker_that_imports_another_trees_package_stops_the_run(tmp_path,
                                                                   monkeypatch) -> None:
    # a checkout with a worker but no tinygrad_edu of its own: it finds this one on the path
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "worker.py").write_text(
        "import json\nimport tinygrad_edu\nprint(json.dumps({'cost': 0.5}))\n")
    monkeypatch.setenv("PYTHONPATH", str(HERE))
    with pytest.raises(compare.WrongTreeError, match=str(HERE / "tinygrad_edu")):
        compare.tree_worker(tmp_path, "tinygrad_edu", "deep", "cost", 1)


def test_the_note_goes_to_the_top_of_the_notes(tmp_path) -> None:
    results = tmp_path / "RESULTS.md"
    head = "# Benchmarks\n\n| table |\n\n"
    results.write_text(head + harness.NOTES_MARKER
                       + "\n\n## Notes (kept across runs)\n\n### older note\n\ntext\n")
    compare.write_note("### new note\n\n| a |\n", results)
    assert results.read_text() == (head + harness.NOTES_MARKER + "\n\n## Notes (kept across "
                                   "runs)\n\n### new note\n\n| a |\n\n### older note\n\ntext\n")
    results.write_text(head + harness.NOTES_MARKER + "\n")  # no notes yet
    compare.write_note("### new note\n", results)
    assert results.read_text() == head + harness.NOTES_MARKER + "\n\n### new note\n\n"
    results.write_text("no marker\n")
    with pytest.raises(ValueError, match="has no line"):
        compare.write_note("### new note\n", results)


def test_this_checkout_against_itself(capsys) -> None:
    compare.main(["--before", str(HERE), "--blocks", "1", "--workloads", "deep",
                  "--iterations", "2"])
    out = capsys.readouterr().out
    assert out.count(f"tinygrad_edu from {HERE / 'tinygrad_edu' / '__init__.py'}") == 2
    (row,) = [line for line in out.splitlines() if line.startswith("| tinygrad_edu |")]
    assert len(row.split("|")) == 9 and row.endswith("× |")
