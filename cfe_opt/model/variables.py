"""Declare the variable families (each one block, keyed by domain names).

Counts (ceilings, holdings, reductions, deployments, equipment) are integer with ``--integer``
and continuous otherwise; deviations are always continuous.
"""

from __future__ import annotations

from cfe_opt.model.core import Model


def add_national_variables(model: Model) -> None:
    """NC[p,c] ≥ 0, H[p,c] ≥ 0, R[p,c] ≥ 0 (R free when holdings may rise), for each party p
    and each category c its equipment is modelled in."""
    index = model.index
    keys = [(p, c) for p in index.parties for c in index.party_categories[p]]
    model.add_variables("national_ceiling", keys)
    model.add_variables("holdings", keys)
    may_rise = index.spec.settings.holdings_may_rise
    model.add_variables("reduction", keys, low=None if may_rise else 0)


def add_territorial_variables(model: Model) -> None:
    """TC[p,c] ≥ 0 where a territorial ceiling is in play (``territorial_pairs``);
    TSC[p,a,c] ≥ 0 for areas with a sub-ceiling."""
    index = model.index
    model.add_variables("territorial_ceiling", list(index.territorial_pairs))
    model.add_variables("territorial_subceiling",
                        [(p, a, c) for (p, a) in index.subceiling_areas for c in index.ground])


def add_deployment_variables(model: Model) -> None:
    """TD[p,c] ≥ 0 for each host p with a temporary-deployment allowance in category c."""
    model.add_variables("temporary_deployment", sorted(
        model.index.td_allowance, key=lambda k: (model.index.parties.index(k[0]),
                                                 model.index.categories.index(k[1]))))


def add_equipment_variables(model: Model) -> None:
    """X[o,p,a,c,k] ≥ 0: o's ground TLE in area a of p, category c, status k."""
    model.add_variables("equipment", model.index.equipment_keys())
