"""Equal treatment: a rule that applies alike to every member ("no separate rules")."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.scenario.quantities import status_quo
from cfe_opt.scenario.schema import EqualTreatmentLimit
from cfe_opt.scenario.sets import hard_limits


def add_equal_treatment(model: Model) -> None:
    """v[s,c]/v⁰[s,c] − v[r,c]/v⁰[r,c] ≥ 0 for each subject s, reference r ≠ s, category c.

    That is, no subject's cut share (1 − v/v⁰) exceeds any reference party's.
    """
    index = model.index
    for _path, name, limit, owner, kind in hard_limits(index.spec):
        if not isinstance(limit, EqualTreatmentLimit):
            continue
        prefix = (owner, name) if kind == "red_line" else (name,)
        cats = [c for c in index.categories_of(limit.categories)
                if limit.of != "territorial_ceiling" or c in index.ground]
        described = limit.description or name
        for s in index.parties_of(limit.subject):
            for r in index.parties_of(limit.reference):
                if r == s:
                    continue
                for c in cats:
                    subject, reference = (limit.of, s, c), (limit.of, r, c)
                    lhs = (model.var(subject) * (1 / status_quo(index, subject))
                           - model.var(reference) * (1 / status_quo(index, reference)))
                    model.add_row((*prefix, s, r, c), lhs, ">=", 0, RowInfo(
                        family="equal_treatment", owner=owner, kind=kind,
                        label=f"{described} [{s} vs {r}, {c}]", keys=(s, r, c)))
