"""Optimising several goals in turn, for analyses (bargaining solutions, alternatives).

Like ``cfe_opt.solve.run`` each optimum is held for the later goals with a slack on the solver's
hold ladder; unlike it the optimal face is not fixed, and HiGHS's presolve is bypassed before any
hold is loosened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pulp

from cfe_opt.analysis.core import add_limit, optimise
from cfe_opt.errors import InfeasibleError, SolverError
from cfe_opt.model.core import Model
from cfe_opt.objectives import status_quo_ceilings, status_quo_holdings
from cfe_opt.scenario import Scenario
from cfe_opt.solve import HOLD_LADDER, SolverName, SolveStatus, make_solver, solve_once

_TROUBLE = (SolveStatus.INFEASIBLE, SolveStatus.NOT_SOLVED, SolveStatus.ERROR)


@dataclass(frozen=True)
class Goal:
    """One stage: an expression to minimise (or maximise), held for the stages after it."""

    name: str
    expr: pulp.LpAffineExpression
    maximise: bool = False


def optimise_in_turn(model: Model, goals: Sequence[Goal], solver: SolverName = "highs",
                     tie_break: bool = True) -> list[float]:
    """Optimise each goal in turn, each optimum v held for the later goals as the limit
    expr − h ≤ v (expr + h ≥ v when maximised), 0 ≤ h ≤ τ·max(|v|, 1), τ on the solver's hold
    ladder of ``cfe_opt.solve`` (10⁻¹¹ first; loosened one rung whenever a later goal comes out
    infeasible or unsolved even after a retry without HiGHS's presolve). Unlike
    ``cfe_opt.solve.run`` the optimal face is not fixed: the holds alone keep each optimum (to
    τ), and a later stage can never be made infeasible by fixings that are not loosened.
    With ``tie_break``
    (and the scenario's ``settings.tie_break: status_quo``) the two status-quo tie-break stages
    of ``cfe_opt.objectives`` follow. Returns each goal's optimum.

    Raises InfeasibleError if the first goal is infeasible (no package meets the hard limits),
    SolverError if any stage ends otherwise than optimal.
    """
    goals = list(goals)
    if tie_break and model.index.spec.settings.tie_break == "status_quo":
        goals += [Goal("tie_break_holdings", status_quo_holdings(model)),
                  Goal("tie_break_ceilings", status_quo_ceilings(model))]
    values: list[float] = []
    holds: list[tuple[pulp.LpVariable, float]] = []
    rung = 0
    for i, goal in enumerate(goals):
        status, value = solve_for(model, goal.expr, solver, goal.maximise)
        if status in _TROUBLE and solver == "highs":
            # HiGHS's presolve can call a problem with tight held optima (or tight analysis
            # limits) infeasible, or give up on it, when it is not; the same LP without
            # presolve is the arbiter before any hold is loosened.
            status, value = solve_for(model, goal.expr, solver, goal.maximise, presolve=False)
        while status in _TROUBLE and holds and rung < len(HOLD_LADDER) - 1:
            rung += 1
            for slack, held in holds:
                slack.upBound = HOLD_LADDER[rung] * max(abs(held), 1.0)
            status, value = solve_for(model, goal.expr, solver, goal.maximise,
                                      presolve=solver != "highs")
        if status is not SolveStatus.OPTIMAL or value is None:
            if i == 0 and status is SolveStatus.INFEASIBLE:
                raise infeasible(model.scenario)
            raise SolverError(f"{model.scenario.display}: stage {goal.name} ended "
                              f"{status.value}")
        values.append(value)
        if i < len(goals) - 1:
            tag = f"{len(model.variables.get('hold_slack', {}))}_{goal.name}"
            model.add_variables("hold_slack", [(tag,)], integer=False,
                                up={(tag,): HOLD_LADDER[rung] * max(abs(value), 1.0)})
            slack = model.var(("hold_slack", tag))
            if goal.maximise:
                add_limit(model, ("hold", tag), goal.expr + slack, ">=", value,
                          f"hold the {goal.name} optimum")
            else:
                add_limit(model, ("hold", tag), goal.expr - slack, "<=", value,
                          f"hold the {goal.name} optimum")
            holds.append((slack, value))
    return values


def solve_for(model: Model, expr: pulp.LpAffineExpression, solver: SolverName = "highs",
              maximise: bool = False, presolve: bool = True) -> tuple[SolveStatus, float | None]:
    """Minimise (or maximise) ``expr`` over the model as it stands (``optimise``), optionally
    with HiGHS's presolve off."""
    if presolve:
        return optimise(model, expr, solver, maximise=maximise)
    engine = make_solver(solver, integer=False)
    if solver == "highs":
        engine.optionsDict["presolve"] = "off"
    model.problem.setObjective(-expr if maximise else expr)
    status = solve_once(model, engine, solver)
    if status is not SolveStatus.OPTIMAL:
        return status, None
    value = expr.value()
    return status, float(value) if value is not None else 0.0


def infeasible(scenario: Scenario) -> InfeasibleError:
    """The one-line error for a scenario whose hard limits admit no package."""
    return InfeasibleError(f"{scenario.display}: the hard limits admit no package "
                           f"(cfe-opt solve reports the smallest concession)")


def package_slice(frame: pd.DataFrame, level: str, key: object) -> pd.DataFrame:
    """The rows of one solution/package, without that index level (empty tables too)."""
    if key in frame.index.get_level_values(level):
        return frame.xs(key, level=level)
    return frame.iloc[0:0].droplevel(level)
