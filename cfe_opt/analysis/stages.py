"""Optimising several goals in turn, for analyses (bargaining solutions, alternatives).

Like ``cfe_opt.solve.run`` each optimum is held for the later goals with a slack on the solver's
hold ladder; unlike it the optimal face is not fixed, and HiGHS's presolve is bypassed before any
hold is loosened. The holds are released when the goals are done (the solution stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cfe_opt.analysis.core import optimise
from cfe_opt.errors import InfeasibleError, SolverError
from cfe_opt.model.linear import Lin
from cfe_opt.objectives import status_quo_ceilings, status_quo_holdings
from cfe_opt.scenario import Scenario
from cfe_opt.solve import HOLD_LADDER, CompiledModel, SolveStatus

_TROUBLE = (SolveStatus.INFEASIBLE, SolveStatus.NOT_SOLVED, SolveStatus.ERROR)


@dataclass(frozen=True)
class Goal:
    """One stage: an expression to minimise (or maximise), held for the stages after it."""

    name: str
    expr: Lin
    maximise: bool = False


def optimise_in_turn(cm: CompiledModel, goals: Sequence[Goal], tie_break: bool = True,
                     tag: str = "turn") -> list[float]:
    """Optimise each goal in turn, each optimum v held for the later goals as the limit
    expr ≤ v + τ·max(|v|, 1) (expr ≥ v − … when maximised), τ on the solver's hold ladder of
    ``cfe_opt.solve`` (10⁻¹¹ first; loosened one rung whenever a later goal comes out
    infeasible or unsolved even after a retry without HiGHS's presolve). Unlike
    ``cfe_opt.solve.run`` the optimal face is not fixed: the holds alone keep each optimum (to
    τ). With ``tie_break`` (and the scenario's ``settings.tie_break: status_quo``) the two
    status-quo tie-break stages of ``cfe_opt.objectives`` follow. Returns each goal's optimum;
    the holds are released at the end (the last solution stays in ``cm``).

    Raises InfeasibleError if the first goal is infeasible (no package meets the hard limits),
    SolverError if any stage ends otherwise than optimal.
    """
    model = cm.model
    goals = list(goals)
    if tie_break and model.index.spec.settings.tie_break == "status_quo":
        goals += [Goal("tie_break_holdings", status_quo_holdings(model)),
                  Goal("tie_break_ceilings", status_quo_ceilings(model))]
    values: list[float] = []
    holds: list[tuple[tuple, Goal, float]] = []
    rung = 0

    def hold(limit: tuple, goal: Goal, value: float, tau: float) -> None:
        slack = tau * max(abs(value), 1.0)
        if goal.maximise:
            cm.set_limit(limit, goal.expr, ">=", value - slack, f"hold the {goal.name} optimum")
        else:
            cm.set_limit(limit, goal.expr, "<=", value + slack, f"hold the {goal.name} optimum")

    try:
        for i, goal in enumerate(goals):
            status, value = optimise(cm, goal.expr, goal.maximise)
            if status in _TROUBLE and cm.solver == "highs":
                # HiGHS's presolve can call a problem with tight held optima (or tight analysis
                # limits) infeasible, or give up on it, when it is not; the same LP without
                # presolve is the arbiter before any hold is loosened.
                status, value = optimise(cm, goal.expr, goal.maximise, presolve=False)
            while status in _TROUBLE and holds and rung < len(HOLD_LADDER) - 1:
                rung += 1
                for limit, held_goal, held in holds:
                    hold(limit, held_goal, held, HOLD_LADDER[rung])
                status, value = optimise(cm, goal.expr, goal.maximise,
                                         presolve=cm.solver != "highs")
            if status is not SolveStatus.OPTIMAL or value is None:
                if i == 0 and status is SolveStatus.INFEASIBLE:
                    raise infeasible(cm.scenario)
                raise SolverError(f"{cm.scenario.display}: stage {goal.name} ended "
                                  f"{status.value}")
            values.append(value)
            if i < len(goals) - 1:
                limit = (tag, "hold", i)
                hold(limit, goal, value, HOLD_LADDER[rung])
                holds.append((limit, goal, value))
    finally:
        for limit, _goal, _value in holds:
            cm.free_limit(limit)
    return values


def solve_for(cm: CompiledModel, expr: Lin, maximise: bool = False,
              presolve: bool = True) -> tuple[SolveStatus, float | None]:
    """Minimise (or maximise) ``expr`` over the model as it stands, optionally with HiGHS's
    presolve off."""
    return optimise(cm, expr, maximise=maximise, presolve=presolve)


def infeasible(scenario: Scenario) -> InfeasibleError:
    """The one-line error for a scenario whose hard limits admit no package."""
    return InfeasibleError(f"{scenario.display}: the hard limits admit no package "
                           f"(cfe-opt solve reports the smallest concession)")


def package_slice(frame: pd.DataFrame, level: str, key: object) -> pd.DataFrame:
    """The rows of one solution/package, without that index level (empty tables too)."""
    if key in frame.index.get_level_values(level):
        return frame.xs(key, level=level)
    return frame.iloc[0:0].droplevel(level)
