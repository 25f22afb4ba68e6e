"""What each limit costs, and whom: shadow prices with their ranges, and per-party effects.

The shadow price of a hard limit is the change in the objective (the defining stage's optimum,
in weighted normalised deviation) per unit increase of its number. It holds over an interval of
that number (ranging: until the set of binding limits changes); beyond it the price changes. For
each binding limit the cost is split by party with a re-solve one unit inside that interval: how
much each party's own deviation moves.
"""

from __future__ import annotations

import math

import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.model.core import HARD_KINDS
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import (
    clean,
    clean_ratio,
    is_binding,
    party_deviations,
    positions_table,
    row_units,
)
from cfe_opt.scenario import Scenario, get_field, with_changes
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus
from cfe_opt.text import category_one, figure_context

PRICE_TOL = 1e-9
COLUMNS = ["name", "owner", "kind", "family", "label", "sense", "rhs", "lhs", "unit",
           "binding", "shadow_price", "price_unit", "valid_from", "valid_to", "cost_down",
           "cost_up", "raise_one", "lower_one", "field"]


def shadow_prices(scenario: Scenario, objective: ObjectiveMode = "weighted",
                  solver: SolverName = "highs", hard_only: bool = True) -> pd.DataFrame:
    """Every (hard) limit's shadow price and the interval of its number over which it holds.

    Sorted by cost: binding limits first, by |price| (largest first), then by name. ``unit`` is
    the unit of the limit's number (ACVs, tanks, …) and ``price_unit`` the price's (normalised
    units of the objective per one of it). ``cost_down`` and ``cost_up`` are the objective's
    change if the number moves to the ends of that interval (infinite ends give NaN);
    ``raise_one`` and ``lower_one`` its change when the number is raised or lowered by one
    unit, re-solved (``CompiledModel.unit_prices``; NaN where that is not feasible): the bars of
    the tornado figure, comparable between limits.
    """
    compiled = CompiledModel(scenario, solver=solver)
    outcome = compiled.solve(objective, ranging=(solver == "highs"))
    if outcome.status is not SolveStatus.OPTIMAL:
        raise _not_optimal(scenario, outcome.status)
    model = compiled.model
    units = row_units(model)
    records = []
    for row in model.row_list:
        if hard_only and row.info.kind not in HARD_KINDS:
            continue
        if row.info.family == "objective":
            continue
        i = row.index
        price = float(outcome.row_dual[i]) if outcome.row_dual is not None else math.nan
        if outcome.range_low is not None and outcome.range_high is not None:
            low, high = float(outcome.range_low[i]), float(outcome.range_high[i])
        else:
            low = high = math.nan
        lhs = float(outcome.activity[i])
        binding = is_binding(row, lhs)
        records.append({
            "name": row.name, "owner": row.info.owner, "kind": row.info.kind,
            "family": row.info.family, "label": row.info.label, "sense": row.sense,
            "rhs": row.rhs, "lhs": clean(lhs), "unit": units[i], "binding": binding,
            "shadow_price": clean_ratio(price),
            "price_unit": f"normalised units per {category_one(units[i])}",
            "valid_from": clean(low), "valid_to": clean(high),
            "cost_down": _cost(price, low - row.rhs), "cost_up": _cost(price, high - row.rhs),
            "raise_one": 0.0, "lower_one": 0.0, "field": row.info.field,
        })
    moved = [r["name"] for r in records if r["binding"]]
    if moved and outcome.objective is not None:
        slopes = compiled.unit_prices(objective, outcome.objective, moved)
        for r in records:
            if r["name"] in slopes:
                up, down = slopes[r["name"]]
                r["raise_one"] = math.nan if up is None else clean_ratio(up)
                r["lower_one"] = math.nan if down is None else clean_ratio(-down)
    frame = pd.DataFrame(records, columns=COLUMNS)
    order = frame.assign(_b=~frame["binding"], _p=-frame["shadow_price"].abs().fillna(0))
    frame = order.sort_values(["_b", "_p", "name"]).drop(columns=["_b", "_p"])
    frame.attrs["objective"] = objective
    frame.attrs["objective_value"] = outcome.objective
    frame.attrs.update(figure_context(scenario))
    return frame.set_index("name")


def _cost(price: float, move: float) -> float:
    if math.isnan(price) or math.isnan(move) or math.isinf(move):
        return math.nan
    return clean_ratio(price * move)


def limit_costs(scenario: Scenario, prices: pd.DataFrame, objective: ObjectiveMode = "weighted",
                solver: SolverName = "highs", top: int = 10) -> pd.DataFrame:
    """Whom each binding limit costs: per party, the change in its deviation per unit increase of
    the limit's number (a re-solve with the number moved by one unit — up where the price holds
    upwards, else down — or by the room left in the price's interval if that is less). Limits
    whose number is not one figure of their own (shared with other rows, or a ratio that also
    sets coefficients) are skipped. Indexed by (limit, party)."""
    compiled = CompiledModel(scenario, solver=solver, variants=True)
    base = _outcomes(compiled, objective)
    # a figure that feeds several rows (a per-party limit, an allowance shared by hosts) cannot
    # be moved for one row alone; nor can one that also sets coefficients (a ratio)
    alone = prices["field"].map(prices["field"].value_counts()) == 1
    direct = prices["family"].isin(["limit", "temporary_deployment"])
    binding = prices[prices["binding"] & (prices["shadow_price"].abs() > PRICE_TOL)
                     & (prices["field"] != "") & alone & direct].head(top)
    rows = []
    for name, row in binding.iterrows():
        # move one unit (or less) in a direction where the price holds: up if it can
        room_up = row.valid_to - row.rhs if not math.isnan(row.valid_to) else 1.0
        room_down = row.rhs - row.valid_from if not math.isnan(row.valid_from) else 1.0
        step = min(1.0, room_up) if room_up > 1e-9 else -min(1.0, room_down)
        if abs(step) <= 1e-9:
            continue
        try:
            current = get_field(scenario.data, row.field)
        except KeyError:
            continue
        current_value = current.get("value") if isinstance(current, dict) else current
        if not isinstance(current_value, int | float) or isinstance(current_value, bool):
            continue  # the limit's number is not one figure (e.g. a rule between parties)
        moved = current_value + step
        if isinstance(current_value, int) and float(moved).is_integer():
            moved = int(moved)
        try:
            target = compiled
            if not compiled.apply({row.field: moved}).in_place:
                target = CompiledModel(with_changes(scenario, {row.field: moved}),
                                       solver=solver)
            after = _outcomes(target, objective)
        except CfeOptError:  # the moved figure is invalid or infeasible: no cost to show
            continue
        for party in base.index:
            rows.append({"limit": name, "owner": row.owner, "party": party,
                         "per_unit": clean_ratio((after.get(party, math.nan) - base[party])
                                                 / step), "unit": row.get("unit", "")})
    frame = pd.DataFrame(rows, columns=["limit", "owner", "party", "per_unit", "unit"])
    frame = frame.set_index(["limit", "party"])
    frame.attrs.update(prices.attrs)
    return frame


def _outcomes(compiled: CompiledModel, objective: ObjectiveMode) -> pd.Series:
    outcome = compiled.solve(objective)
    if outcome.status is not SolveStatus.OPTIMAL:
        raise _not_optimal(compiled.scenario, outcome.status)
    return party_deviations(positions_table(compiled.model, outcome.x))


def _not_optimal(scenario: Scenario, status: SolveStatus) -> Exception:
    from cfe_opt.errors import InfeasibleError, SolverError

    if status is SolveStatus.INFEASIBLE:
        return InfeasibleError(f"{scenario.display}: no package meets every hard limit, so no "
                               "limit has a price (run cfe-opt diagnose)")
    return SolverError(f"{scenario.display}: the solver stopped with status {status.value}")
