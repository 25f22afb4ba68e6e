"""The documentation stays in step with the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from cfe_opt import scenario_from_dict, solve, verify
from cfe_opt.scenario.loader import _all_field_names

ROOT = Path(__file__).resolve().parent.parent
FORMULATION = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _calls_with_family() -> set[str]:
    """Every constraint family named in a RowInfo(family=...) in the code."""
    families = set()
    for path in (ROOT / "cfe_opt").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "RowInfo":
                for kw in node.keywords:
                    if kw.arg == "family" and isinstance(kw.value, ast.Constant):
                        families.add(kw.value.value)
    return families


def _builder_functions() -> set[str]:
    names = set()
    for path in [*(ROOT / "cfe_opt" / "model" / "constraints").glob("*.py"),
                 ROOT / "cfe_opt" / "model" / "variables.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in tree.body
                  if isinstance(n, ast.FunctionDef) and n.name.startswith("add_")}
    return names


def test_every_constraint_family_is_documented():
    families = _calls_with_family()
    assert {"holdings_balance", "national_ceiling", "limit", "position"} <= families
    missing = sorted(f for f in families if f"`{f}`" not in FORMULATION and f != "objective")
    assert not missing, f"families missing from docs/formulation.md: {missing}"


def test_every_builder_function_is_documented_with_its_formula():
    for name in sorted(_builder_functions()):
        assert f"`{name}`" in FORMULATION, f"{name} is not in docs/formulation.md"
    for path in (ROOT / "cfe_opt" / "model" / "constraints").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("add_"):
                doc = ast.get_docstring(node) or ""
                assert re.search(r"[≤≥=]", doc), f"{node.name}: docstring must state its formula"


def test_every_objective_stage_function_is_documented():
    for name in ("weighted_sum", "minimax_level", "_priority_sum", "status_quo_holdings",
                 "status_quo_ceilings", "position_scales"):
        assert f"`{name}`" in FORMULATION


def test_every_schema_field_is_in_the_format_reference():
    missing = [f for f in _all_field_names() if f"`{f}`" not in FORMAT and f not in {
        "value", "values", "type"}]
    assert not missing, f"fields missing from docs/scenario-format.md: {missing}"


def _quickstart_commands() -> list[str]:
    section = re.search(r"^## Quickstart\s*$(.*?)^## ", README, re.S | re.M)
    assert section, "README has no Quickstart section"
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section.group(1), re.S)
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_quickstart_has_exactly_two_commands():
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert "cfe-opt solve models/talks_1998.yaml" in commands[0]
    assert "pytest" in commands[1]


def test_readme_tour_example_validates_and_solves():
    block = re.search(r"## A tour of the scenario format.*?```yaml\n(.*?)```", README, re.S)
    data = yaml.safe_load(block.group(1))
    scenario = scenario_from_dict(data)
    result = solve(scenario)
    assert result.optimal
    assert verify(scenario, result).ok


@pytest.mark.parametrize("example", re.findall(r"```yaml\n(.*?)```", FORMAT, re.S))
def test_format_reference_examples_are_yaml(example):
    assert yaml.safe_load(example) is not None
