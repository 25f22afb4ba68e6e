"""Sum limits: a quantity against a number, optionally one limit per party and/or category.

Treaty rules, commitments and red lines all take this form (and the forms in ``freeze``,
``reciprocity`` and ``equal_treatment``); each row carries its owner and kind.
"""

from __future__ import annotations

from typing import Any

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.quantities import linear_form
from cfe_opt.scenario.schema import Quantity, SumLimit
from cfe_opt.scenario.sets import ScenarioIndex, hard_limits


def add_sum_limits(model: Model) -> None:
    """Σ_t coef_t · Σ_{keys of t} v  (≤ | ≥ | =)  b   for each limit (and each per-key)."""
    index = model.index
    for path, name, limit, owner, kind in hard_limits(index.spec):
        if not isinstance(limit, SumLimit):
            continue
        prefix = (owner, name) if kind == "red_line" else (name,)
        for keys, quantity, rhs, rhs_field in expand_sum_limit(index, limit, ".".join(path)):
            form = linear_form(index, quantity)
            if not form and _holds(0.0, limit.sense, rhs):
                continue  # nothing to limit here (e.g. a party with no deployments)
            described = limit.description or name
            model.add_row((*prefix, *keys), model.expression(form), limit.sense, rhs, RowInfo(
                family="limit", owner=owner, kind=kind,
                label=f"{described}{' [' + ', '.join(keys) + ']' if keys else ''}",
                keys=keys, field=rhs_field))


def expand_sum_limit(index: ScenarioIndex, limit: SumLimit, path: str
                     ) -> list[tuple[tuple[str, ...], Quantity, float, str]]:
    """One (keys, quantity, rhs, rhs field) per party and/or category named in ``per``."""
    terms = limit.quantity.terms
    per_party = "party" in limit.per
    per_category = "category" in limit.per
    parties = [p for p in index.parties
               if any(p in index.parties_of(t.parties) for t in terms)] if per_party else [None]
    categories = [c for c in index.categories
                  if any(c in index.categories_of(t.categories) for t in terms)
                  ] if per_category else [None]
    out = []
    for p in parties:
        for c in categories:
            update: dict[str, Any] = {}
            if p is not None:
                update["parties"] = [p]
            restricted = []
            for t in terms:
                if c is not None and c not in index.categories_of(t.categories):
                    continue
                if p is not None and p not in index.parties_of(t.parties):
                    continue
                term_update = dict(update)
                if c is not None:
                    term_update["categories"] = [c]
                restricted.append(t.model_copy(update=term_update))
            if not restricted:
                continue
            if limit.values is not None:
                rhs, rhs_field = limit.values[c].value, f"{path}.values.{c}"
            else:
                rhs, rhs_field = limit.value.value, f"{path}.value"
            keys = tuple(k for k in (p, c) if k is not None)
            out.append((keys, Quantity(terms=restricted), float(rhs), rhs_field))
    return out


def _holds(lhs: float, sense: str, rhs: float) -> bool:
    if sense == "<=":
        return lhs <= rhs
    if sense == ">=":
        return lhs >= rhs
    return lhs == rhs
