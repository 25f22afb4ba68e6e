"""Sum limits: a quantity against a number, optionally one limit per party and/or category.

Treaty rules, commitments and red lines all take this form (and the forms in ``freeze``,
``reciprocity`` and ``equal_treatment``); each row carries its owner and kind.
"""

from __future__ import annotations

from typing import Any

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.scenario.quantities import linear_form
from cfe_opt.scenario.schema import Quantity, SumLimit
from cfe_opt.scenario.sets import ScenarioIndex, hard_limits


def add_sum_limits(model: Model) -> None:
    """Σ_t coef_t · Σ_{keys of t} v  (≤ | ≥ | =)  b   for each limit (and each per-key).

    With ``per``, a party/category pair the narrowed quantity selects nothing of is skipped (a
    rule for each party's tanks says nothing of a party holding none); a quantity that selects
    nothing at all is refused by validation (``check_selections``).
    """
    index = model.index
    for path, name, limit, owner, kind in hard_limits(index.spec):
        if not isinstance(limit, SumLimit):
            continue
        prefix = (owner, name) if kind == "red_line" else (name,)
        where = ".".join(path)
        for keys, quantity, category in expand_sum_limit(index, limit):
            form = linear_form(index, quantity)
            if not form:
                continue  # a per pair holding nothing (validation refuses an empty whole)
            if limit.values is not None:
                rhs, rhs_field = limit.values[category].value, f"{where}.values.{category}"
            else:
                rhs, rhs_field = limit.value.value, f"{where}.value"
            described = limit.description or name
            model.add_row((*prefix, *keys), model.expression(form), limit.sense, rhs, RowInfo(
                family="limit", owner=owner, kind=kind,
                label=f"{described}{' [' + ', '.join(keys) + ']' if keys else ''}",
                keys=keys, field=rhs_field))


def expand_sum_limit(index: ScenarioIndex, limit: SumLimit
                     ) -> list[tuple[tuple[str, ...], Quantity, str | None]]:
    """One (keys, narrowed quantity, category) per party and/or category named in ``per``."""
    terms = limit.quantity.terms
    per_party = "party" in limit.per
    per_category = "category" in limit.per
    # each term's parties and categories as sets, resolved once (thousands of parties)
    term_parties = [frozenset(index.parties_of(t.parties)) for t in terms]
    term_categories = [frozenset(index.categories_of(t.categories)) for t in terms]
    parties = [p for p in index.parties
               if any(p in named for named in term_parties)] if per_party else [None]
    categories = [c for c in index.categories
                  if any(c in named for named in term_categories)
                  ] if per_category else [None]
    out = []
    for p in parties:
        for c in categories:
            restricted = []
            for t, named_parties, named_categories in zip(terms, term_parties,
                                                          term_categories, strict=True):
                if c is not None and c not in named_categories:
                    continue
                if p is not None and p not in named_parties:
                    continue
                update: dict[str, Any] = {}
                if p is not None:
                    update["parties"] = [p]
                if c is not None:
                    update["categories"] = [c]
                restricted.append(t.model_copy(update=update))
            if restricted:
                keys = tuple(k for k in (p, c) if k is not None)
                out.append((keys, Quantity(terms=restricted), c))
    return out
