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
    TSC[p,a,c] ≤ TSC⁰[p,a,c] for each frozen area."""
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
                model.add_row((*prefix, p, a, c),
                              model.var(("territorial_subceiling", p, a, c)) + 0, "<=",
                              index.subceiling_now(p, a, c),
                              RowInfo(family="freeze", owner=owner, kind=kind,
                                      label=f"{described} [{p}.{a}, {c}]", keys=(p, a, c),
                                      field=f"parties.{p}.areas.{a}.territorial_subceiling.{c}"))
