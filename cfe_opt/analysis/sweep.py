"""How the answer moves as one number moves: solve a scenario along a sweep of one field.

For each value of the field (any figure, limit number or position target, named by its dotted
path, e.g. ``parties.RUS.positions.flank_acv_active.target``) the scenario is solved: on one
compiled model whose number is set in place and re-solved warm, or — when the value changes the
model's shape or fails a check — built afresh from the changed scenario (which also gives the
error message of an invalid value).
The result is one long table: at each value, the objective, each party's deviation, every
ceiling or temporary deployment that changes along the sweep, and the binding hard limits.
A breakpoint is a value where the active set changes: the binding hard limits, or the positions
that are conceded (not fully met).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import (
    allocation_table,
    clean,
    clean_ratio,
    is_binding,
    party_deviations,
    positions_table,
)
from cfe_opt.scenario import Scenario, get_field, with_changes
from cfe_opt.solve import CompiledModel, SolverName, SolveRun

MAX_STEPS = 2001
_CEILINGS = ("national_ceiling", "territorial_ceiling", "active_subceiling",
             "temporary_deployment", "temporary_deployment_exceptional")


def parse_vary(text: str) -> tuple[str, list[float]]:
    """``FIELD=FROM:TO:STEP`` → (field, values from FROM to TO inclusive)."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.]+)\s*=\s*([^:]+):([^:]+):([^:]+)\s*", text)
    if not match:
        raise CfeOptError(f"--vary {text!r}: expected FIELD=FROM:TO:STEP, e.g. "
                          "parties.RUS.positions.flank_acv_active.target=580:3000:100")
    field = match.group(1)
    try:
        start, stop, step = (float(match.group(i)) for i in (2, 3, 4))
    except ValueError:
        raise CfeOptError(f"--vary {text!r}: FROM, TO and STEP must be numbers") from None
    if not all(math.isfinite(v) for v in (start, stop, step)) or step <= 0:
        raise CfeOptError(f"--vary {text!r}: STEP must be a positive number")
    if stop < start:
        raise CfeOptError(f"--vary {text!r}: TO must not be below FROM")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_STEPS:
        raise CfeOptError(f"--vary {text!r}: {count} steps; at most {MAX_STEPS}")
    values = [start + i * step for i in range(count)]
    return field, [int(v) if float(v).is_integer() else round(v, 12) for v in values]


def sweep(scenario: Scenario, field: str, values: Sequence[float],
          objective: ObjectiveMode = "weighted", solver: SolverName = "highs") -> pd.DataFrame:
    """Solve at each value of ``field``; a long table indexed by (value, measure, item).

    Measures: ``status`` (1 optimal, 0 no feasible package), ``objective``, ``deviation`` (per
    party), ``ceiling`` (NC, TC, TSC, TD by party.area.category, only those that change along
    the sweep), ``binding`` (1 for each binding hard limit). ``attrs["breakpoints"]`` lists the
    values where the active set (binding hard limits and conceded positions) changes;
    ``attrs["field"]`` the field.
    """
    try:
        get_field(scenario.data, field)
    except KeyError:
        raise CfeOptError(f"{scenario.display}: {field}: no such field to vary") from None
    records: list[dict] = []
    ceilings: dict[float, dict[str, float]] = {}
    binding_sets: list[tuple[float, frozenset[str]]] = []
    compiled = CompiledModel(scenario, solver=solver, variants=True)
    for value in values:
        target = compiled
        if not compiled.apply({field: value}).in_place:
            target = CompiledModel(with_changes(scenario, {field: value}), solver=solver)
        outcome = target.solve(objective)
        ok = outcome.optimal
        records.append(_record(value, "status", "optimal", 1.0 if ok else 0.0))
        if not ok:
            binding_sets.append((value, frozenset({"<no feasible package>"})))
            continue
        model = target.model
        records.append(_record(value, "objective", objective, outcome.objective))
        positions = positions_table(model, outcome.x)
        by_party = party_deviations(positions)
        for party, deviation in by_party.items():
            records.append(_record(value, "deviation", party, deviation))
        ceilings[value] = _ceilings(model, outcome)
        binding = frozenset(_binding_rows(model, outcome))
        conceding = frozenset(f"{p}.{n}" for (p, n), dev in positions["deviation"].items()
                              if dev > 1e-9)
        binding_sets.append((value, binding | conceding))
        records.extend(_record(value, "binding", name, 1.0) for name in sorted(binding))
    records.extend(_changing(ceilings))
    frame = pd.DataFrame(records, columns=["value", "measure", "item", "number"])
    order = {"status": 0, "objective": 1, "deviation": 2, "ceiling": 3, "binding": 4}
    frame = frame.assign(_m=frame["measure"].map(order)).sort_values(
        ["value", "_m"], kind="stable").drop(columns="_m").set_index(["value", "measure", "item"])
    frame.attrs["field"] = field
    frame.attrs["objective"] = objective
    frame.attrs["breakpoints"] = [b for (_, prev), (b, cur) in itertools.pairwise(binding_sets)
                                  if cur != prev]
    return frame


def _record(value: float, measure: str, item: str, number: float | None) -> dict:
    tidy = clean if measure == "ceiling" else clean_ratio
    return {"value": value, "measure": measure, "item": item,
            "number": tidy(number) if number is not None else math.nan}


def _binding_rows(model: Model, outcome: SolveRun) -> list[str]:
    """The hard limits that bind at the solution (equalities always do)."""
    return [row.name for row in model.row_list if row.info.kind in HARD_KINDS
            and is_binding(row, float(outcome.activity[row.index]))]


def _ceilings(model: Model, outcome: SolveRun) -> dict[str, float]:
    table = allocation_table(model, outcome.x).reset_index()
    out = {}
    for row in table.itertuples(index=False):
        for column in _CEILINGS:
            number = getattr(row, column, math.nan)
            if not math.isnan(number):
                name = {"national_ceiling": "NC", "territorial_ceiling": "TC" if row.area ==
                        "total" else "TSC", "active_subceiling": "TSCa",
                        "temporary_deployment": "TD", "temporary_deployment_exceptional":
                        "ETD"}[column]
                where = row.party if row.area == "total" else f"{row.party}.{row.area}"
                out[f"{name} {where} {row.category}"] = number
    return out


def _changing(ceilings: dict[float, dict[str, float]]) -> list[dict]:
    names: list[str] = []
    for values in ceilings.values():
        names.extend(n for n in values if n not in names)
    moving = [n for n in names
              if len({round(v.get(n, math.nan), 6) for v in ceilings.values()}) > 1]
    return [_record(value, "ceiling", name, numbers.get(name))
            for value, numbers in ceilings.items() for name in moving]
