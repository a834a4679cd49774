"""The formula table of tests/README.md stays in step with the formula tests.

* every ID of the catalogue (F1.1 … F13.4) has a row in the table;
* every test a row lists exists and carries the row's ID in its name (F3.2 ↔ ``F3_2``);
* every test function in ``test_formulas_*.py`` is listed, on the row of each ID in its name;
* every ID in the table has at least one test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).parent
README = TESTS / "README.md"

# the catalogue: how many formulas each group F1 … F14 has (F11-F14: the next lessons)
CATALOGUE = {1: 7, 2: 6, 3: 7, 4: 6, 5: 5, 6: 2, 7: 4, 8: 4, 9: 2, 10: 3,
             11: 3, 12: 2, 13: 4, 14: 4}
ALL_IDS = {f"F{group}.{i}" for group, count in CATALOGUE.items() for i in range(1, count + 1)}

ROW = re.compile(r"^\|\s*(F\d+\.\d+)\s*\|(.*)\|(.*)\|\s*$")
LISTED_TEST = re.compile(r"`(test_formulas_\w+)::(test_\w+)`")
ID_IN_NAME = re.compile(r"F(\d+)_(\d+)(?=_|$)")


def table() -> dict:
    """``{ID: [(module, test name), ...]}`` from the README's formula table."""
    rows: dict = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            formula_id, _, tests = match.groups()
            assert formula_id not in rows, f"{formula_id} has two rows in tests/README.md"
            rows[formula_id] = LISTED_TEST.findall(tests)
    return rows


def formula_tests() -> dict:
    """``{(module, test name): [IDs in the name]}`` for every test in test_formulas_*.py."""
    found = {}
    for path in sorted(TESTS.glob("test_formulas_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = [f"F{group}.{i}" for group, i in ID_IN_NAME.findall(node.name)]
                found[(path.stem, node.name)] = ids
    return found


def ids_in_name(name: str) -> set:
    return {f"F{group}.{i}" for group, i in ID_IN_NAME.findall(name)}


def test_every_catalogue_id_has_a_row():
    missing = sorted(ALL_IDS - set(table()), key=lambda i: tuple(map(int, i[1:].split("."))))
    assert not missing, f"tests/README.md has no row for {missing}"
    unknown = set(table()) - ALL_IDS
    assert not unknown, f"tests/README.md lists IDs that are not in the catalogue: {unknown}"


def test_every_id_in_the_table_has_a_test_that_carries_it():
    tests = formula_tests()
    for formula_id, listed in table().items():
        assert listed, f"{formula_id}: the README row lists no test"
        for module, name in listed:
            assert (module, name) in tests, f"{formula_id}: {module}::{name} does not exist"
            assert formula_id in ids_in_name(name), (
                f"{formula_id}: {name} does not carry {formula_id.replace('.', '_')} in its name"
            )
        carriers = [name for name, ids in tests.items() if formula_id in ids]
        assert carriers, f"{formula_id}: no test function has {formula_id} in its name"


def test_every_formula_test_is_listed_under_each_of_its_ids():
    rows = table()
    for (module, name), ids in formula_tests().items():
        assert ids, f"{module}::{name} is a formula test whose name carries no ID (F3_2, ...)"
        for formula_id in ids:
            assert (module, name) in rows.get(formula_id, []), (
                f"{module}::{name} is not listed in the README row of {formula_id}"
            )


def test_the_parser_sees_the_ids_the_names_carry():
    assert ids_in_name("test_F3_2_output_delta_is_A_minus_Y") == {"F3.2"}
    assert ids_in_name("test_F10_2_and_F10_3_network") == {"F10.2", "F10.3"}
    assert ids_in_name("test_F1_10_x") == {"F1.10"} and "F1.1" not in ids_in_name("test_F1_10")
