"""Reciprocity: a cut tied to others' cuts ("comparable restraint from neighbours")."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.scenario.quantities import linear_form, status_quo_value
from cfe_opt.scenario.schema import ReciprocityLimit
from cfe_opt.scenario.sets import hard_limits


def add_reciprocity(model: Model) -> None:
    """cut(S)/S⁰ ≤ ρ · cut(R)/R⁰  (share)   or   cut(S) ≤ ρ · cut(R)  (absolute),

    where cut(Q) = Q⁰ − Q and Q⁰ is the quantity's current value. As a row (share):
    −S/S⁰ + ρ·R/R⁰ ≤ ρ − 1;  (absolute): −S + ρ·R ≤ ρ·R⁰ − S⁰.
    """
    index = model.index
    for _path, name, limit, owner, kind in hard_limits(index.spec):
        if not isinstance(limit, ReciprocityLimit):
            continue
        prefix = (owner, name) if kind == "red_line" else (name,)
        # validation (check_selections) guarantees both sides select something and, for a
        # share, that their current values are positive
        subject = linear_form(index, limit.subject)
        reference = linear_form(index, limit.reference)
        s0 = status_quo_value(index, subject)
        r0 = status_quo_value(index, reference)
        rho = limit.ratio
        if limit.measure == "share":
            lhs = model.expression({k: -v / s0 for k, v in subject.items()}) + model.expression(
                {k: rho * v / r0 for k, v in reference.items()})
            rhs = rho - 1
        else:
            lhs = model.expression({k: -v for k, v in subject.items()}) + model.expression(
                {k: rho * v for k, v in reference.items()})
            rhs = rho * r0 - s0
        # the right-hand side is not a scenario figure (it is ρ − 1, or ρ·R⁰ − S⁰): no field
        model.add_row(prefix, lhs, "<=", rhs, RowInfo(
            family="reciprocity", owner=owner, kind=kind, label=limit.description or name))
