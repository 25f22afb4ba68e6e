"""Freezes: a ceiling (or holdings) may not rise above its current figure."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.scenario.quantities import status_quo
from cfe_opt.scenario.schema import FreezeLimit
from cfe_opt.scenario.sets import hard_limits

_FIGURE_FIELD = {"national_ceiling": "national_ceiling",
                 "territorial_ceiling": "territorial_ceiling", "holdings": "holdings"}


def add_freezes(model: Model) -> None:
    """v[p,c] ≤ v⁰[p,c] for each frozen party p and category c (v⁰: the current figure);
    for each frozen area, TSC[p,a,c] ≤ TSC⁰[p,a,c] (status any), TSCa[p,a,c] ≤ TSCa⁰[p,a,c]
    (active) or TSC[p,a,c] − TSCa[p,a,c] ≤ TSC⁰[p,a,c] − TSCa⁰[p,a,c] (storage)."""
    index = model.index
    for _path, name, limit, owner, kind in hard_limits(index.spec):
        if not isinstance(limit, FreezeLimit):
            continue
        prefix = (owner, name) if kind == "red_line" else (name,)
        cats = [c for c in index.categories_of(limit.categories)
                if limit.of != "territorial_ceiling" or c in index.ground]
        described = limit.description or name
        for p in index.parties_of(limit.parties):
            for c in cats:
                now = status_quo(index, (limit.of, p, c))
                model.add_row((*prefix, p, c), model.var((limit.of, p, c)) + 0, "<=", now,
                              RowInfo(family="freeze", owner=owner, kind=kind,
                                      label=f"{described} [{p}, {c}]", keys=(p, c),
                                      field=f"parties.{p}.{_FIGURE_FIELD[limit.of]}.{c}"))
        for ref in limit.areas or []:
            p, a = ref.split(".", 1)
            for c in cats:
                total = model.var(("territorial_subceiling", p, a, c))
                field = f"parties.{p}.areas.{a}.territorial_subceiling.{c}"
                if limit.status == "any":
                    lhs, now = total + 0, index.subceiling_now(p, a, c)
                elif limit.status == "active":
                    lhs = model.var(("active_subceiling", p, a, c)) + 0
                    now = index.active_subceiling_now(p, a, c)
                    field = f"parties.{p}.areas.{a}.active_subceiling.{c}"
                else:
                    lhs = total - model.var(("active_subceiling", p, a, c))
                    now = index.subceiling_now(p, a, c) - index.active_subceiling_now(p, a, c)
                    field = ""  # a difference of two figures, not one of them
                part = "" if limit.status == "any" else f" {limit.status}"
                model.add_row((*prefix, p, a, *(() if limit.status == "any" else (
                    limit.status,)), c), lhs, "<=", now,
                              RowInfo(family="freeze", owner=owner, kind=kind,
                                      label=f"{described} [{p}.{a}{part}, {c}]", keys=(p, a, c),
                                      field=field))
