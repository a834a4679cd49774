"""The source is the textbook: the package's layout is checked like its behaviour.

* no import cycle between the package's modules (imports inside functions count; imports
  under ``if TYPE_CHECKING:`` do not, they never run);
* no import below the first function or class of a module (no bottom-of-file imports);
* imports run one way: errors ← core ← ops ← costs/nn/optim/gradcheck ← explain/viz ←
  training/data ← demo/cli (a module imports only modules of its own layer or below);
* every file is readable in one sitting (≤ ~400 lines), with the exceptions listed here;
* the core stays within its line budget.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_edu"

# files over the size limit, with the reason; remove them as they shrink
TOO_LONG_FOR_NOW: set = set()
# imports inside a function that close a cycle: a method of a lower layer that hands over to
# an optional layer above it, loaded only when called
LATE_EDGES_FOR_NOW = {
    ("nn.module", "nn.torch_bridge"),  # Module.to_torch (loads torch)
    ("nn.sequential", "nn.torch_bridge"),  # Sequential.from_torch (loads torch)
    ("viz", "backprop_view"),  # viz.backprop(J)
}
MAX_LINES = 450  # "≤ ~400 lines": 400 and a margin for a docstring or two
# the core's line budget: it stops the engine from growing back (1,990 lines before issue 12,
# 1,238 at the start of its redesign, 750 after its first pass, 584 after its second)
CORE_BUDGET = 460

# the layers, lowest first: a module may import its own layer and the layers below
LAYERS = [
    {"errors", "checks", "advice", "notebook", "messages", "tensor_checks", "grad_store",
     "core.modes"},
    {"core.function", "core.rules", "core.engine", "core.tensor", "core", "tensor_python",
     "anomaly"},
    {"ops", "ops.elementwise", "ops.matmul", "ops.notation", "ops.selection", "numpy_protocols",
     "higher_order"},
    {"costs", "softmax", "normalization", "dropout", "functions", "tensor", "autograd",
     "gradcheck", "nn", "optim"},
    {"explain", "viz", "backprop_view", "backprop_html", "compile"},
    {"training", "training_checks", "evaluation", "data"},
    {"demo", "cli", "__main__", ""},
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _runtime_imports(tree: ast.Module) -> list[ast.stmt]:
    """Every import statement that runs (not those under ``if TYPE_CHECKING:``)."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _imported(module: str, path: Path, node: ast.stmt, modules: dict) -> set[str]:
    """The package's modules an import statement loads."""
    is_package = path.name == "__init__.py"
    names = set()
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
        targets = [t.removeprefix("tinygrad_edu").lstrip(".") for t in targets
                   if t == "tinygrad_edu" or t.startswith("tinygrad_edu.")]
        return {t for t in targets if t in modules}
    if node.level == 0:
        if not (node.module or "").startswith("tinygrad_edu"):
            return set()
        base = node.module.removeprefix("tinygrad_edu").lstrip(".")
    else:
        parts = module.split(".") if module else []
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join([*parts, node.module] if node.module else parts)
    for alias in node.names:  # `from . import functions`: a module, not a name
        candidate = f"{base}.{alias.name}" if base else alias.name
        if candidate in modules:
            names.add(candidate)
        elif base in modules:  # a name defined in the module ``base``
            names.add(base)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in _runtime_imports(tree):
            edges |= _imported(module, path, node, modules)
        graph[module] = {e for e in edges - {module} if (module, e) not in LATE_EDGES_FOR_NOW}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [*path, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if module in layer or (module.split(".")[0] in layer and module.split(".")[0] != "core"):
            return rank
    raise AssertionError(f"tinygrad_edu.{module} is in no layer of tests/test_layout.py")


def test_the_import_graph_has_no_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_core_imports_nothing_above_it():
    graph = _graph()
    wrong = {m: sorted(d for d in deps if _layer(d) > _layer(m))
             for m, deps in graph.items() if _layer(m) <= 2}
    assert not {m: d for m, d in wrong.items() if d}, wrong


def test_no_import_below_the_first_function_or_class():
    late = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        seen_definition = False
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                seen_definition = True
            elif isinstance(node, ast.Import | ast.ImportFrom) and seen_definition:
                late.append(f"{module}:{node.lineno}")
    assert not late, late


def test_every_file_is_readable_in_one_sitting():
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in TOO_LONG_FOR_NOW:
            too_long[name] = lines
    assert not too_long, too_long


def test_the_core_stays_within_its_budget():
    total = sum(len(p.read_text(encoding="utf-8").splitlines())
                for p in (PACKAGE / "core").glob("*.py"))
    assert total <= CORE_BUDGET, total


def test_the_readme_reading_guide_counts_what_is_there():
    import re

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    counts = {p.name: len(p.read_text(encoding="utf-8").splitlines())
              for p in (PACKAGE / "core").glob("*.py")}
    stated = re.search(r"## How it works: the engine in core/, (\d+) lines", readme)
    assert stated and int(stated.group(1)) == sum(counts.values())
    listed = re.findall(r"`core/(\w+\.py)` \((\d+)(?: lines)?\)", readme)
    assert {name for name, _ in listed} == set(counts) - {"__init__.py"}
    for name, lines in listed:
        assert counts[name] == int(lines), (name, lines, counts[name])
    grad_store = re.search(r"`grad_store\.py` \((\d+) lines\)", readme)
    assert grad_store and int(grad_store.group(1)) == len(
        (PACKAGE / "grad_store.py").read_text(encoding="utf-8").splitlines())
