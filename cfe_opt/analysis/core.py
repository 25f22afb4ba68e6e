"""Pieces every analysis shares: party deviations as expressions, one-shot optimisation.

Each analysis compiles its scenario once (``compiled``) and solves every LP it needs on that
one model, warm, adding and releasing its own limits.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cfe_opt.model.constraints.positions import PositionTerm
from cfe_opt.model.core import Model, Row, Sense
from cfe_opt.model.linear import Lin, lin_sum
from cfe_opt.results import party_deviations, positions_table
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus


def compiled(scenario: Scenario, solver: SolverName = "highs") -> CompiledModel:
    """The scenario's LP, compiled, with no objective yet."""
    return CompiledModel(scenario, solver=solver)


def party_terms(model: Model, parties: Iterable[str]) -> list[PositionTerm]:
    """The positions any of the parties holds (its own, or held jointly), each once."""
    wanted = set(parties)
    return [t for t in model.positions if wanted.intersection(t.holders or (t.party,))]


def party_deviation(model: Model, parties: Iterable[str]) -> Lin:
    """D_P = Σ_{n of parties P} w_n (U_n/s⁻_n + V_n/s⁺_n): what P gives up, in one number."""
    return lin_sum(t.weighted() for t in party_terms(model, parties))


def optimise(cm: CompiledModel, objective: Lin, maximise: bool = False,
             presolve: bool = True) -> tuple[SolveStatus, float | None]:
    """Minimise (or maximise) one expression over the model as it stands."""
    return cm.minimise(objective, maximise=maximise, presolve=presolve)


def add_limit(cm: CompiledModel, name: tuple, expr: Lin, sense: Sense, rhs: float,
              label: str) -> Row:
    """A limit an analysis adds (an ε-constraint, a held optimum); kind 'objective'."""
    return cm.set_limit(name, expr, sense, rhs, label)


def party_outcomes(cm: CompiledModel) -> pd.Series:
    """Each party's weighted normalised deviation at the current solution (from achieved values,
    not from the deviation variables, which only bound it when they are not minimised)."""
    return party_deviations(positions_table(cm.model, cm.x))


def parties_with_positions(model: Model) -> list[str]:
    seen: list[str] = []
    for t in model.positions:
        for holder in t.holders or (t.party,):
            if holder not in seen:
                seen.append(holder)
    return seen
