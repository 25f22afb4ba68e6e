"""Declare the variable families (each one block, keyed by domain names).

Counts (ceilings, holdings, reductions, deployments, equipment) are integer with ``--integer``
and continuous otherwise; deviations are always continuous.
"""

from __future__ import annotations

from cfe_opt.model.core import Model
from cfe_opt.scenario.schema import CUT_FORMS
from cfe_opt.scenario.sets import TOTAL


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
    TSC[p,a,c] ≥ 0 for areas with a sub-ceiling; TSCa[p,a,c] ≥ 0 for areas with an active-unit
    sub-ceiling."""
    index = model.index
    model.add_variables("territorial_ceiling", list(index.territorial_pairs))
    model.add_variables("territorial_subceiling",
                        [(p, a, c) for (p, a) in index.subceiling_areas for c in index.ground])
    model.add_variables("active_subceiling",
                        [(p, a, c) for (p, a) in index.active_areas for c in index.ground])


def add_cut_variables(model: Model) -> None:
    """CUT[f,v,p,c] ≥ 0 for each form f ∈ {national, mandated} and each ceiling v a party p
    cuts (``cuts``), in each category c where v is modelled."""
    model.add_variables("ceiling_cut", [(f, v, p, c) for (v, p, c) in model.index.cut_keys
                                        for f in CUT_FORMS])


def add_deployment_variables(model: Model) -> None:
    """TD[k,p,a,c] ≥ 0 for each kind k of temporary deployment host p takes on its territory
    (a = total) or in its area a, in each category c of the allowance."""
    index = model.index
    areas = {p: (TOTAL, *index.spec.parties[p].areas) for p in index.parties}
    model.add_variables("temporary_deployment", sorted(
        index.td_allowance, key=lambda k: (index.parties.index(k[1]), areas[k[1]].index(k[2]),
                                           k[0], index.categories.index(k[3]))))


def add_equipment_variables(model: Model) -> None:
    """X[o,p,a,c,k] ≥ 0: o's ground TLE in area a of p, category c, status k."""
    model.add_variables("equipment", model.index.equipment_keys())
