"""Pieces every analysis shares: party deviations as LP expressions, one-shot optimisation."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pulp

from cfe_opt.model.build import build_model
from cfe_opt.model.constraints.positions import PositionTerm
from cfe_opt.model.core import Model, Row, RowInfo, Sense
from cfe_opt.results import positions_table
from cfe_opt.scenario import Scenario
from cfe_opt.solve import SolverName, SolveStatus, make_solver, solve_once


def fresh_model(scenario: Scenario) -> Model:
    """The scenario's LP with no objective yet."""
    return build_model(scenario, integer=False)


def party_terms(model: Model, parties: Iterable[str]) -> list[PositionTerm]:
    wanted = set(parties)
    return [t for t in model.positions if t.party in wanted]


def party_deviation(model: Model, parties: Iterable[str]) -> pulp.LpAffineExpression:
    """D_P = Σ_{n of parties P} w_n (U_n/s⁻_n + V_n/s⁺_n): what P gives up, in one number."""
    return pulp.lpSum(t.normalised() * t.weight for t in party_terms(model, parties))


def optimise(model: Model, objective: pulp.LpAffineExpression, solver: SolverName = "highs",
             maximise: bool = False) -> tuple[SolveStatus, float | None]:
    """Minimise (or maximise) one expression over the model as it stands."""
    model.problem.setObjective(-objective if maximise else objective)
    status = solve_once(model, make_solver(solver, integer=False), solver)
    if status is not SolveStatus.OPTIMAL:
        return status, None
    value = objective.value()
    return status, float(value) if value is not None else 0.0


def add_limit(model: Model, name: tuple, expr: pulp.LpAffineExpression, sense: Sense,
              rhs: float, label: str) -> Row:
    """A limit an analysis adds (an ε-constraint, a held optimum); kind 'objective'."""
    return model.add_row(("analysis", *name), expr, sense, rhs, RowInfo(
        family="objective", owner="analysis", kind="objective", label=label))


def party_outcomes(model: Model) -> pd.Series:
    """Each party's weighted normalised deviation at the current solution (from achieved values,
    not from the deviation variables, which only bound it when they are not minimised)."""
    table = positions_table(model)
    if table.empty:
        return pd.Series(dtype=float, name="deviation")
    out = table.groupby(level="party", sort=False)["weighted_deviation"].sum()
    out.name = "deviation"
    return out


def parties_with_positions(model: Model) -> list[str]:
    seen: list[str] = []
    for t in model.positions:
        if t.party not in seen:
            seen.append(t.party)
    return seen
