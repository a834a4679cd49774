"""The README tells the truth: its examples print what it says, and CI runs its test command.

Every ```python block preceded by a ``<!-- readme-test`` comment is run, in order, in one
namespace (later blocks continue the earlier ones, as a reader in a notebook would), and what
it prints must equal the ```text block that follows it, line for line.

A line of the text block that ends in ``…`` shows only the digits that every machine prints:
the printed line must start with the text before the ``…``. The README uses it for the last
lines of the flower run, where the result depends on the CPU and its BLAS kernel (see
``tests/README.md``, "A suite that passes on every machine"); every other line is exact.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

_BLOCK = re.compile(
    r"<!-- readme-test[^>]*-->\s*```python\n(?P<code>.*?)```\s*```text\n(?P<output>.*?)```",
    re.DOTALL,
)


def readme_examples() -> list[tuple[str, str]]:
    return [(m["code"], m["output"]) for m in _BLOCK.finditer(README)]


MACHINE_DEPENDENT = "…"


def line_matches(printed: str, expected: str) -> bool:
    """Exact, except that a line ending in ``…`` must only start with what precedes it."""
    if expected.endswith(MACHINE_DEPENDENT):
        return printed.startswith(expected[: -len(MACHINE_DEPENDENT)])
    return printed == expected


def test_a_line_ending_in_an_ellipsis_fixes_only_its_leading_digits():
    assert line_matches("Cost after iteration 8000: 0.219506", "Cost after iteration 8000: 0.219…")
    assert not line_matches("Cost after iteration 8000: 0.220506",
                            "Cost after iteration 8000: 0.219…")
    assert not line_matches("Cost after iteration 8000: 0.219506",
                            "Cost after iteration 8000: 0.219")  # no …: the whole line


def test_the_readme_has_its_examples_marked():
    assert README.count("<!-- readme-test") == len(readme_examples()) >= 4
    # loose lines stay the exception: only the flower run's last two (past iteration 7000)
    loose = [l for _, out in readme_examples() for l in out.splitlines() if l.endswith("…")]
    assert loose == ["Cost after iteration 8000: 0.219…", "Cost after iteration 9000: 0.218…"]


def test_every_readme_example_prints_what_the_readme_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "readme"}
    for number, (code, expected) in enumerate(readme_examples(), start=1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"README.md example {number}", "exec"), namespace)
        got = printed.getvalue().rstrip("\n").splitlines()
        want = expected.rstrip("\n").splitlines()
        assert len(got) == len(want) and all(map(line_matches, got, want)), (
            f"README example {number} printed something else:\n{printed.getvalue()}"
        )


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL)
    assert block, "the README must open with a bash block of the two set-up commands"
    return [line.strip() for line in block[1].splitlines() if line.strip()]


def test_the_readme_opens_with_two_commands_demo_then_tests():
    demo, tests = _readme_commands()
    assert demo.endswith("python -m tinygrad_edu demo") and "pip install" in demo
    assert tests.endswith("python -m pytest") and "pip install" in tests
    assert README.index("```bash") < README.index("## ")  # before the first section


def test_ci_runs_the_readme_test_command_exactly():
    _, tests = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines(), f"{tests!r} must be a line of .ci/run, as written"


# relative links to files (a path with a dot or a slash; not `g[l](Z[l])` in code)
@pytest.mark.parametrize(
    "link",
    re.findall(r"\]\(((?!https?:|#)[\w-]*[./][\w./-]*)\)", README)
    + re.findall(r'<img src="([^"]+)"', README),
)
def test_the_readme_links_to_files_that_exist(link):
    assert (ROOT / link).exists(), f"README links to {link}, which is not in the repository"


def test_the_readme_formula_table_is_the_one_tests_readme_keeps_honest():
    """tests/test_formula_index.py checks tests/README.md against the tests; the README's
    copy of the table must be the same rows."""
    tests_readme = (ROOT / "tests" / "README.md").read_text(encoding="utf-8")

    def rows(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("| F")]

    assert rows(README) == rows(tests_readme) and len(rows(README)) >= 40
