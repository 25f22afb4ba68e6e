"""cfe-opt: search the space of conventional-force reduction options (CFE Treaty adaptation).

    >>> from cfe_opt import load_scenario, solve, verify
    >>> scenario = load_scenario("models/talks_1998.yaml")
    >>> result = solve(scenario, objective="minimax")
    >>> result.positions        # who concedes what
    >>> verify(scenario, result).ok

The names below are imported when first used (PEP 562), so ``cfe-opt validate`` loads the
scenario layer only, not pandas, HiGHS or the analyses.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CfeOptError": "cfe_opt.errors",
    "CheckReport": "cfe_opt.check",
    "InfeasibleError": "cfe_opt.errors",
    "Result": "cfe_opt.results",
    "Scenario": "cfe_opt.scenario",
    "ScenarioError": "cfe_opt.errors",
    "SolveStatus": "cfe_opt.solve",
    "SolverError": "cfe_opt.errors",
    "check": "cfe_opt.check",
    "load_scenario": "cfe_opt.scenario",
    "scenario_from_dict": "cfe_opt.scenario",
    "solve": "cfe_opt.api",
    "verify": "cfe_opt.api",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'cfe_opt' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
