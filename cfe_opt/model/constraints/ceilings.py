"""National ceilings, territorial ceilings and territorial sub-ceilings."""

from __future__ import annotations

from collections import defaultdict

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import lin_sum


def add_national_ceilings(model: Model) -> None:
    """H[p,c] − NC[p,c] ≤ 0: a party holds no more than its national ceiling, anywhere."""
    index = model.index
    for p in index.parties:
        for c in index.party_categories[p]:
            lhs = model.var(("holdings", p, c)) - model.var(("national_ceiling", p, c))
            model.add_row((p, c), lhs, "<=", 0, RowInfo(
                family="national_ceiling", owner=p, kind="definition",
                label=f"{p} {c}: holdings within the national ceiling", keys=(p, c)))


def add_territorial_ceilings(model: Model) -> None:
    """Σ_{o,(p,a),k} X[o,p,a,c,k] − TC[p,c] − TD[p,c] ≤ 0 for each (p,c) in play.

    Counts all ground TLE on p's territory, its own and foreign stationed forces together;
    TD is the temporary deployment above the ceiling (zero where p hosts none).
    """
    index = model.index
    on_territory = defaultdict(list)
    for key in index.equipment_keys():
        on_territory[(key[1], key[3])].append(model.var(("equipment", *key)))
    for (p, c) in index.territorial_pairs:
        lhs = lin_sum(on_territory.get((p, c), [])) - model.var(("territorial_ceiling", p, c))
        if model.has_var(("temporary_deployment", p, c)):
            lhs = lhs - model.var(("temporary_deployment", p, c))
        model.add_row((p, c), lhs, "<=", 0, RowInfo(
            family="territorial_ceiling", owner=p, kind="definition",
            label=f"{p} {c}: TLE on territory within TC + temporary deployment", keys=(p, c)))


def add_territorial_subceilings(model: Model) -> None:
    """Σ_{o,k} X[o,p,a,c,k] − TSC[p,a,c] ≤ 0 for each area (p,a) with a sub-ceiling."""
    index = model.index
    in_area = defaultdict(list)
    for key in index.equipment_keys():
        in_area[(key[1], key[2], key[3])].append(model.var(("equipment", *key)))
    for (p, a) in index.subceiling_areas:
        for c in index.ground:
            lhs = lin_sum(in_area.get((p, a, c), [])) - model.var(
                ("territorial_subceiling", p, a, c))
            model.add_row((p, a, c), lhs, "<=", 0, RowInfo(
                family="territorial_subceiling", owner=p, kind="definition",
                label=f"{p}.{a} {c}: TLE in the area within its sub-ceiling", keys=(p, a, c)))
