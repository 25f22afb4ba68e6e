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
    """Σ_{o,(p,a),k} X[o,p,a,c,k] − TC[p,c] ≤ 0 for each (p,c) in play.

    Counts all ground TLE permanently on p's territory, its own and foreign stationed forces
    together. A temporary deployment is not room for permanent equipment: TD is a permitted
    level above the ceiling, read by quantities, and enters no row here.
    """
    index = model.index
    on_territory = defaultdict(list)
    for key in index.equipment_keys():
        on_territory[(key[1], key[3])].append(model.var(("equipment", *key)))
    for (p, c) in index.territorial_pairs:
        lhs = lin_sum(on_territory.get((p, c), [])) - model.var(("territorial_ceiling", p, c))
        model.add_row((p, c), lhs, "<=", 0, RowInfo(
            family="territorial_ceiling", owner=p, kind="definition",
            label=f"{p} {c}: TLE on territory within its territorial ceiling", keys=(p, c)))


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


def add_active_subceilings(model: Model) -> None:
    """Σ_o X[o,p,a,c,active] − TSCa[p,a,c] ≤ 0 and TSCa[p,a,c] − TSC[p,a,c] ≤ 0 for each area
    (p,a) with an active-unit sub-ceiling: equipment in active units within the active part,
    which is part of the total (TSC − TSCa is the room left for equipment in storage)."""
    index = model.index
    active = defaultdict(list)
    for key in index.equipment_keys():
        if key[4] == "active":
            active[(key[1], key[2], key[3])].append(model.var(("equipment", *key)))
    for (p, a) in index.active_areas:
        for c in index.ground:
            part = model.var(("active_subceiling", p, a, c))
            model.add_row((p, a, c), lin_sum(active.get((p, a, c), [])) - part, "<=", 0,
                          RowInfo(family="active_subceiling", owner=p, kind="definition",
                                  label=f"{p}.{a} {c}: TLE in active units within the active "
                                        "sub-ceiling", keys=(p, a, c)))
            model.add_row((p, a, c), part - model.var(("territorial_subceiling", p, a, c)),
                          "<=", 0, RowInfo(
                              family="subceiling_split", owner=p, kind="definition",
                              label=f"{p}.{a} {c}: active sub-ceiling within the sub-ceiling",
                              keys=(p, a, c)))
