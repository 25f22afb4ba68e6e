"""Shared test helpers: build scenarios from plain data, solve, and always run the checker."""

from __future__ import annotations

from typing import Any

import pytest

from cfe_opt import Result, Scenario, scenario_from_dict, solve, verify


def make(data: dict[str, Any]) -> Scenario:
    return scenario_from_dict(data, name="<test>")


def solve_checked(data: dict[str, Any] | Scenario, **kwargs: Any) -> Result:
    """Solve and assert the independent checker accepts the solution."""
    scenario = data if isinstance(data, Scenario) else make(data)
    result = solve(scenario, **kwargs)
    if result.optimal:
        report = verify(scenario, result)
        assert report.ok, report.summary()
    return result


@pytest.fixture
def models_dir(tmp_path):
    """A fresh models/ tree for file-based tests."""
    path = tmp_path / "models"
    path.mkdir()
    return path
