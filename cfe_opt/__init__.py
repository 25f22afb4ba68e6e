"""cfe-opt: search the space of conventional-force reduction options (CFE Treaty adaptation).

    >>> from cfe_opt import load_scenario, solve, verify
    >>> scenario = load_scenario("models/talks_1998.yaml")
    >>> result = solve(scenario, objective="minimax")
    >>> result.positions        # who concedes what
    >>> verify(scenario, result).ok
"""

from cfe_opt.api import solve, verify
from cfe_opt.check import CheckReport, check
from cfe_opt.errors import CfeOptError, InfeasibleError, ScenarioError, SolverError
from cfe_opt.results import Result
from cfe_opt.scenario import Scenario, load_scenario, scenario_from_dict
from cfe_opt.solve import SolveStatus

__all__ = [
    "CfeOptError",
    "CheckReport",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "SolveStatus",
    "SolverError",
    "check",
    "load_scenario",
    "scenario_from_dict",
    "solve",
    "verify",
]
