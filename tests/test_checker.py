"""The independent checker: no false alarms from the tables' rounding, no blind spots in the
tables themselves."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make, solve_checked

from cfe_opt import check
from cfe_opt.cli import main


def big_ratio() -> dict:
    """7·NC[AAA] = NC[BBB] with NC[BBB] exactly 9,999,999: NC[AAA] = 1,428,571.2857…, which
    the tables keep to 9 significant digits; the checker must allow for that rounding times 7."""
    return {"name": "ratio", "categories": ["tanks"], "parties": {
        "AAA": {"name": "A", "holdings": {"tanks": 0}},
        "BBB": {"name": "B", "holdings": {"tanks": 0}, "positions": {"big": {
            "quantity": {"of": "national_ceiling", "parties": ["BBB"]}, "direction": "exactly",
            "target": 9999999}}}},
        "limits": {"tie": {"quantity": {"terms": [
            {"of": "national_ceiling", "parties": ["AAA"], "coefficient": 7},
            {"of": "national_ceiling", "parties": ["BBB"], "coefficient": -1}]},
            "sense": "==", "value": 0}}}


def test_rounding_of_large_values_is_no_violation():
    result = solve_checked(big_ratio())  # asserts the checker accepts it
    assert result.allocation.loc[("AAA", "total", "tanks"), "national_ceiling"] == \
        pytest.approx(9999999 / 7, rel=1e-8)  # tables keep 9 significant digits


def _tables(tmp_path, capsys):
    out = tmp_path / "out"
    models = tmp_path / "models"
    models.mkdir()
    path = models / "s.yaml"
    path.write_text("name: s\ncategories: [tanks]\nparties:\n  AAA:\n    name: A\n"
                    "    holdings: {tanks: 100}\n    red_lines:\n      active:\n"
                    "        quantity: {of: equipment, status: active}\n"
                    "        sense: '<='\n        value: 50\n")
    assert main(["solve", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    return path, out


def test_unknown_status_is_caught(tmp_path, capsys):
    """Moving tanks to a made-up status would dodge the active-units red line."""
    path, out = _tables(tmp_path, capsys)
    equipment = pd.read_csv(out / "equipment.csv")
    equipment.loc[equipment["status"] == "storage", "status"] = "reserve"
    equipment.to_csv(out / "equipment.csv", index=False)
    # a corrupted table is bad input (issue 8): exit 2, naming the file, line and field
    assert main(["check", str(path), "--solution", str(out)]) == 2
    assert "equipment.csv:3: status: 'reserve' is not a status" in capsys.readouterr().err


def test_duplicate_rows_are_caught(tmp_path, capsys):
    path, out = _tables(tmp_path, capsys)
    equipment = pd.read_csv(out / "equipment.csv")
    pd.concat([equipment, equipment.iloc[[0]]]).to_csv(out / "equipment.csv", index=False)
    assert main(["check", str(path), "--solution", str(out)]) == 2
    assert "appears twice (lines 2 and 4)" in capsys.readouterr().err


def test_non_numeric_tables_are_bad_input(tmp_path, capsys):
    path, out = _tables(tmp_path, capsys)
    equipment = pd.read_csv(out / "equipment.csv")
    equipment["after"] = equipment["after"].astype(object)
    equipment.loc[0, "after"] = "abc"
    equipment.to_csv(out / "equipment.csv", index=False)
    assert main(["check", str(path), "--solution", str(out)]) == 2
    err = capsys.readouterr().err
    assert "equipment.csv:2: after: 'abc' is not a number" in err
    assert len(err.strip().splitlines()) == 1


def test_checker_api_on_a_right_and_a_wrong_package():
    scenario = make(big_ratio())
    result = solve_checked(scenario)
    assert check(scenario, result.allocation, result.equipment).ok
    wrong = result.allocation.copy()
    wrong.loc[("AAA", "total", "tanks"), "national_ceiling"] += 1
    report = check(scenario, wrong, result.equipment)
    assert [v.limit for v in report.violations] == ["limits.tie"]
