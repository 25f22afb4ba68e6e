"""The Python API: load a scenario, solve it, check the answer.

pandas, the checker and the analyses are imported where they are first used: a solve whose
tables are not read (a batch, a benchmark) never loads them, and its peak memory is the
solver's (about 60 MB less at 3,000 parties)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from cfe_opt.collector import objects_not_collected
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import Result, assemble
from cfe_opt.scenario import Scenario, load_scenario, scenario_cases
from cfe_opt.scenario.scales import DEFAULT_BAND
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus

if TYPE_CHECKING:
    import pandas as pd

    from cfe_opt.check import CheckReport


def solve(scenario: Scenario | CompiledModel | str | Path, objective: ObjectiveMode = "weighted",
          solver: SolverName = "highs", integer: bool = False,
          time_limit: float | None = None, robustness: bool = False) -> Result:
    """Solve a scenario: the package that meets every hard limit and departs least from the
    stated positions under ``objective``. An infeasible scenario gives a Result whose status
    says so and whose ``concession`` table names the limits that must move. With
    ``robustness``, the result also carries the robustness table (``robustness``, below) and
    lists the default scales it shows deciding an outcome among its assumptions.

    A ``CompiledModel`` is solved as it stands, from its previous basis (``solver`` and
    ``integer`` are its own then).
    """
    with objects_not_collected():  # many small objects, no cycles (cfe_opt.collector)
        result, compiled = _solve(scenario, objective, solver, integer, time_limit)
    if robustness and result.optimal:
        _add_robustness(compiled.scenario, result, objective, compiled.solver)
    return result


def _solve(scenario: Scenario | CompiledModel | str | Path, objective: ObjectiveMode,
           solver: SolverName, integer: bool, time_limit: float | None
           ) -> tuple[Result, CompiledModel]:
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
        from cfe_opt.concession import smallest_concession

        result.concession = smallest_concession(compiled)
    return result, compiled


def solve_cases(scenario: Scenario | str | Path, objective: ObjectiveMode = "weighted",
                solver: SolverName = "highs", integer: bool = False,
                time_limit: float | None = None, robustness: bool = False
                ) -> dict[str, Result]:
    """Solve every case of a scenario file (``cases:``), by case name in the order written; a
    file without cases gives its one result under the name ``as_written``."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    cases = scenario_cases(scenario) or {"as_written": scenario}
    return {name: solve(case, objective=objective, solver=solver, integer=integer,
                        time_limit=time_limit, robustness=robustness)
            for name, case in cases.items()}


def cases_table(results: dict[str, Result], scenario: Scenario | None = None) -> pd.DataFrame:
    """One row per case: status, objective, each named outcome, each party's deviation."""
    from cfe_opt.results import party_deviations

    rows = []
    for name, result in results.items():
        description = ""
        if scenario is not None and name in scenario.spec.cases:
            description = scenario.spec.cases[name].description or ""
        row: dict[str, object] = {"case": name, "description": description,
                                  "status": result.status.value,
                                  "objective": result.objective}
        row.update(result.outcomes)
        if result.positions is not None:
            for party, value in party_deviations(result.positions).items():
                row[f"deviation_{party}"] = value
        rows.append(row)
    import pandas as pd

    return pd.DataFrame(rows).set_index("case")


def robustness(scenario: Scenario | str | Path, objective: ObjectiveMode = "weighted",
               band: tuple[float, ...] = DEFAULT_BAND, solver: SolverName = "highs"
               ) -> pd.DataFrame:
    """How the named outcomes (or every position's achieved value) move when each party's
    weight, then its positions' scales, are multiplied by each value of ``band``."""
    from cfe_opt.analysis.robustness import robustness as robustness_table

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return robustness_table(scenario, objective=objective, band=band, solver=solver)


def _add_robustness(scenario: Scenario, result: Result, objective: ObjectiveMode,
                    solver: SolverName) -> None:
    from cfe_opt.analysis.robustness import robustness as robustness_table
    from cfe_opt.analysis.robustness import scales_decide

    table = robustness_table(scenario, objective=objective, solver=solver)
    result.robustness = table
    listed = set(result.assumptions)
    for party in scales_decide(table):
        for (owner, name), row in result.positions.iterrows():
            if owner != party:
                continue
            for side in ("under", "over"):
                if row[f"scale_{side}_source"] != "default":
                    continue
                line = (f"parties.{owner}.positions.{name}: the default scale "
                        f"{row[f'scale_{side}']:,.6g} ({side} side) moves an outcome over the "
                        "robustness band: the default decides the answer")
                if line not in listed:
                    result.assumptions.append(line)
                    listed.add(line)


def verify(scenario: Scenario, result: Result) -> CheckReport:
    """Run the independent checker on a result's tables."""
    from cfe_opt.check import check

    if result.allocation is None or result.equipment is None:
        raise ValueError("the result has no solution to check")
    return check(scenario, result.allocation, result.equipment, integer=result.integer)
