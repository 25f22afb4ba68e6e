"""Accounting identities: holdings, reductions and where equipment stands."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import lin_sum


def add_holdings_balance(model: Model) -> None:
    """H[p,c] + R[p,c] = H⁰[p,c] for every party p and category c.

    H⁰ is the party's holdings before the change; R ≥ 0 unless ``holdings_may_rise``.
    """
    index = model.index
    for p in index.parties:
        for c in index.party_categories[p]:
            lhs = model.var(("holdings", p, c)) + model.var(("reduction", p, c))
            model.add_row((p, c), lhs, "==", index.holdings_before(p, c), RowInfo(
                family="holdings_balance", owner=p, kind="definition",
                label=f"{p} {c}: holdings after + reduction = holdings before",
                keys=(p, c), field=f"parties.{p}.holdings.{c}"))


def add_location_balance(model: Model) -> None:
    """Σ_{(q,a) ∈ L(p), k} X[p,q,a,c,k] − H[p,c] = 0 for every party p and ground category c.

    L(p) is where p's equipment may stand: its own areas and where it has forces stationed.
    """
    index = model.index
    by_owner: dict[tuple[str, str], list] = {}
    for key in index.equipment_keys():
        by_owner.setdefault((key[0], key[3]), []).append(model.var(("equipment", *key)))
    for p in index.parties:
        for c in (c for c in index.ground if index.holds(p, c)):
            lhs = lin_sum(by_owner.get((p, c), [])) - model.var(("holdings", p, c))
            model.add_row((p, c), lhs, "==", 0, RowInfo(
                family="location_balance", owner=p, kind="definition",
                label=f"{p} {c}: equipment by location adds up to holdings", keys=(p, c)))
