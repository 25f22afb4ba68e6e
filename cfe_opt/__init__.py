"""cfe-opt: search the space of conventional-force reduction options (CFE Treaty adaptation).

    >>> from cfe_opt import load_scenario, solve, verify
    >>> scenario = load_scenario("models/talks_1998.yaml")
    >>> result = solve(scenario, objective="minimax")
    >>> result.positions        # who concedes what
    >>> verify(scenario, result).ok

The names below are imported when first used (PEP 562), so ``cfe-opt validate`` loads neither
pandas, HiGHS nor the analyses. ``solve`` and ``check`` are the functions, though modules of
those names exist too (``cfe_opt/solve/``, ``cfe_opt/check.py``): import from the modules with
``from cfe_opt.solve import …``.
"""

from __future__ import annotations

import importlib
import sys
import types
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
_FUNCTIONS = ("solve", "check")  # names a submodule shares with a function

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


class _Package(types.ModuleType):
    """The package module: importing the submodule ``cfe_opt.solve`` (or ``cfe_opt.check``)
    does not put the module where the function of that name belongs."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
