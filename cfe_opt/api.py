"""The Python API: load a scenario, solve it, check the answer."""

from __future__ import annotations

import time
from pathlib import Path

from cfe_opt.check import CheckReport, check
from cfe_opt.concession import smallest_concession
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import Result, assemble
from cfe_opt.scenario import Scenario, load_scenario
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus


def solve(scenario: Scenario | CompiledModel | str | Path, objective: ObjectiveMode = "weighted",
          solver: SolverName = "highs", integer: bool = False,
          time_limit: float | None = None) -> Result:
    """Solve a scenario: the package that meets every hard limit and departs least from the
    stated positions under ``objective``. An infeasible scenario gives a Result whose status
    says so and whose ``concession`` table names the limits that must move.

    A ``CompiledModel`` is solved as it stands, from its previous basis (``solver`` and
    ``integer`` are its own then).
    """
    start = time.perf_counter()
    if isinstance(scenario, CompiledModel):
        compiled = scenario
    else:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        compiled = CompiledModel(scenario, solver=solver, integer=integer)
    build_seconds = time.perf_counter() - start
    outcome = compiled.solve(objective, time_limit=time_limit)
    result = assemble(compiled.model, outcome, objective, build_seconds)
    if outcome.status is SolveStatus.INFEASIBLE:
        result.concession = smallest_concession(compiled)
    return result


def verify(scenario: Scenario, result: Result) -> CheckReport:
    """Run the independent checker on a result's tables."""
    if result.allocation is None or result.equipment is None:
        raise ValueError("the result has no solution to check")
    return check(scenario, result.allocation, result.equipment, integer=result.integer)
