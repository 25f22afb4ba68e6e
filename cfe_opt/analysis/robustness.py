"""How the key outcomes move when each party's weight and scales vary over a band.

A position's normalised deviation divides its miss by a scale: stated (``scale``), the distance
to the edge of a stated acceptable range, or the default max(|T|, 1). The weight multiplies it.
Where no scale or range is stated the default decides how a miss weighs against another party's,
so the answer can rest on a convention rather than on a position. This table shows how much.

For each party with positions, one factor at a time: its party weight × m, then the scales of
all its positions × m (s⁻ and s⁺ together, whatever their origin), for each multiplier m of the
band (default ½ and 2). Each variant is solved in the same objective mode; the outcomes are the
scenario's named outcomes (``outcomes:``), or, if it names none, every position's achieved value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import pandas as pd

from cfe_opt.errors import InfeasibleError, SolverError
from cfe_opt.model.constraints.positions import PositionTerm
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import clean, outcome_values, positions_table
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.scales import DEFAULT_BAND
from cfe_opt.solve import CompiledModel, SolverName, SolveRun, SolveStatus

__all__ = ["DEFAULT_BAND", "robustness", "scales_decide"]

FACTORS = ("weight", "scale")
COLUMNS = ["party", "factor", "multiplier", "outcome", "base", "value", "change"]
MOVE_TOL = 1e-6


def robustness(scenario: Scenario, objective: ObjectiveMode = "weighted",
               band: Sequence[float] = DEFAULT_BAND, solver: SolverName = "highs"
               ) -> pd.DataFrame:
    """The outcomes under each party's weight and scales multiplied by each value of ``band``.

    Indexed by (party, factor, multiplier, outcome), with the ``base`` value, the varied
    ``value`` and their ``change``. ``attrs``: ``band``, ``objective``. Raises
    ``InfeasibleError`` if the scenario has no feasible package (weights cannot change that).
    """
    multipliers = [float(m) for m in band]
    if not multipliers or any(not (m > 0 and math.isfinite(m)) for m in multipliers):
        raise ValueError("a robustness band is a list of positive multipliers")
    base = _outcomes(scenario, objective, solver, None)
    parties = list(dict.fromkeys(t.party for t in CompiledModel(scenario, solver=solver)
                                 .model.positions))
    rows = []
    for party in parties:
        for factor in FACTORS:
            for m in multipliers:
                values = _outcomes(scenario, objective, solver, (party, factor, m))
                for name, value in values.items():
                    rows.append({"party": party, "factor": factor, "multiplier": m,
                                 "outcome": name, "base": base[name], "value": value,
                                 "change": clean(value - base[name])})
    frame = pd.DataFrame(rows, columns=COLUMNS).set_index(
        ["party", "factor", "multiplier", "outcome"])
    frame.attrs["band"] = tuple(multipliers)
    frame.attrs["objective"] = objective
    return frame


def scales_decide(table: pd.DataFrame) -> list[str]:
    """The parties whose scales move an outcome over the band."""
    if table.empty:
        return []
    scale = table.xs("scale", level="factor")
    moved = scale[scale["change"].abs() > MOVE_TOL]
    return list(dict.fromkeys(moved.index.get_level_values("party")))


def _outcomes(scenario: Scenario, objective: ObjectiveMode, solver: SolverName,
              vary: tuple[str, str, float] | None) -> dict[str, float]:
    cm = CompiledModel(scenario, solver=solver)
    model = cm.model
    if vary is not None:
        party, factor, m = vary
        model.positions[:] = [_varied(t, factor, m) if t.party == party else t
                              for t in model.positions]
    out = cm.solve(objective)
    if out.status is not SolveStatus.OPTIMAL:
        raise _not_optimal(scenario, out)
    if scenario.spec.outcomes:
        return outcome_values(model, out.x)
    table = positions_table(model, out.x)
    return {f"{p}.{n}": clean(v) for (p, n), v in table["achieved"].items()}


def _varied(term: PositionTerm, factor: str, m: float) -> PositionTerm:
    if factor == "weight":
        return dataclasses.replace(term, weight=term.weight * m)
    return dataclasses.replace(term, scale_under=term.scale_under * m,
                               scale_over=term.scale_over * m)


def _not_optimal(scenario: Scenario, out: SolveRun) -> Exception:
    if out.status is SolveStatus.INFEASIBLE:
        return InfeasibleError(f"{scenario.display}: no package meets every hard limit, so "
                               "there is nothing to vary")
    return SolverError(f"{scenario.display}: the solver stopped with status {out.status.value}")
