"""Quantities as linear forms over variable keys: which variables a quantity selects.

This is data resolution (no LP): the model turns the keys into variables, and validation uses
it to refuse a quantity that selects nothing.

A scenario quantity is a sum of terms; each term sums one variable family over parties or
locations, categories and (for equipment) owners and status. ``linear_form`` turns it into
``{variable key: coefficient}``; ``status_quo_value`` gives its value before any change.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cfe_opt.categories import STATUSES, Category
from cfe_opt.scenario.schema import CUT_FORMS, Quantity, Term
from cfe_opt.scenario.sets import TOTAL, ScenarioIndex

VarKey = tuple[Any, ...]  # (family, *domain keys), e.g. ("national_ceiling", "RUS", "tanks")
LinearForm = dict[VarKey, float]


def linear_form(index: ScenarioIndex, quantity: Quantity | Term) -> LinearForm:
    form: LinearForm = defaultdict(float)
    terms = quantity.terms if isinstance(quantity, Quantity) else [quantity]
    for term in terms:
        for key, sign in term_entries(index, term):
            form[key] += sign * float(term.coefficient)
    return dict(form)


def term_keys(index: ScenarioIndex, term: Term) -> list[VarKey]:
    """The variable keys one term sums, in a fixed order."""
    return [key for key, _sign in term_entries(index, term)]


def term_entries(index: ScenarioIndex, term: Term) -> list[tuple[VarKey, float]]:
    """The variable keys one term sums, each with its sign (+1, or −1 for the active part of a
    sub-ceiling taken off its total to give the storage part), in a fixed order."""
    of = term.of
    if of in ("holdings", "national_ceiling", "reduction"):
        return [((of, p, c), 1.0) for p in index.parties_of(term.parties)
                for c in index.categories_of(term.categories) if index.holds(p, c)]
    ground = _ground(index, term.categories)
    if of == "territorial_ceiling":
        if term.areas is not None:
            return _subceiling_entries(index, term, ground)
        return [((of, p, c), 1.0) for p in index.parties_of(term.parties) for c in ground
                if (p, c) in index.territorial_set]
    if of == "temporary_deployment":
        kinds = set(term.kinds) if term.kinds is not None else None
        if term.areas is not None:
            places = set(index.locations_of(term.areas))
        else:
            places = {(p, TOTAL) for p in index.parties_of(term.parties)}
        return [(("temporary_deployment", *key), 1.0) for key in index.td_allowance
                if (key[1], key[2]) in places and key[3] in ground
                and (kinds is None or key[0] in kinds)]
    if of == "ceiling_cut":
        forms = CUT_FORMS if term.form == "any" else (term.form,)
        parties = set(index.parties_of(term.parties))
        cats = set(index.categories_of(term.categories))
        return [(("ceiling_cut", f, v, p, c), 1.0) for (v, p, c) in index.cut_keys
                if v == term.ceiling and p in parties and c in cats for f in forms]
    if of == "equipment":
        if term.areas is not None:
            locations = set(index.locations_of(term.areas))
        elif term.parties is not None:
            locations = {loc for p in index.parties_of(term.parties) for loc in index.territory[p]}
        else:
            locations = set(index.all_locations)
        owners = set(index.parties_of(term.owners))
        statuses = STATUSES if term.status == "any" else (term.status,)
        return [(("equipment", o, p, a, c, k), 1.0) for (o, p, a, c, k) in index.equipment_keys()
                if o in owners and (p, a) in locations and c in ground and k in statuses]
    raise ValueError(f"unknown quantity kind {of}")


def _subceiling_entries(index: ScenarioIndex, term: Term, ground: tuple[Category, ...]
                        ) -> list[tuple[VarKey, float]]:
    """A sub-ceiling term over areas: the total (status any), its active-unit part (active:
    TSCa) or its storage part (storage: TSC − TSCa)."""
    out: list[tuple[VarKey, float]] = []
    for (p, a) in index.locations_of(term.areas or []):
        if (p, a) not in index.subceiling_set:
            continue
        active = (p, a) in index.active_set
        for c in ground:
            if term.status == "any":
                out.append((("territorial_subceiling", p, a, c), 1.0))
            elif active and term.status == "active":
                out.append((("active_subceiling", p, a, c), 1.0))
            elif active:
                out.append((("territorial_subceiling", p, a, c), 1.0))
                out.append((("active_subceiling", p, a, c), -1.0))
    return out


def _ground(index: ScenarioIndex, refs: list[str] | None) -> tuple[Category, ...]:
    return tuple(c for c in index.categories_of(refs) if c in index.ground)


def status_quo(index: ScenarioIndex, key: VarKey) -> float | None:
    """A variable's value before any change, or None where the scenario gives no figure."""
    family = key[0]
    if family == "holdings":
        return index.holdings_before(key[1], key[2])
    if family == "national_ceiling":
        return index.national_ceiling_now(key[1], key[2])
    if family == "territorial_ceiling":
        return index.territorial_ceiling_now(key[1], key[2])
    if family == "territorial_subceiling":
        return index.subceiling_now(key[1], key[2], key[3])
    if family == "active_subceiling":
        return index.active_subceiling_now(key[1], key[2], key[3])
    if family == "equipment":
        return index.equipment_before[tuple(key[1:])]
    if family in ("reduction", "temporary_deployment", "ceiling_cut"):
        return 0
    return None


def status_quo_value(index: ScenarioIndex, form: LinearForm) -> float | None:
    """The form's value before any change; None if any variable in it has no figure."""
    total = 0.0
    for key, coef in form.items():
        value = status_quo(index, key)
        if value is None:
            return None
        total += coef * value
    return total


def quantity_label(quantity: Quantity) -> str:
    """A short text for a quantity: ``territorial_ceiling RUS.flank acv``, terms joined by +."""
    text = ""
    for term in quantity.terms:
        coefficient = float(term.coefficient)
        part = term.of
        scope = term.areas if term.areas is not None else term.parties
        if scope is not None:
            part += " " + ",".join(scope)
        if term.owners is not None:
            part += " of " + ",".join(term.owners)
        if term.categories is not None:
            part += " " + ",".join(term.categories)
        if term.status != "any":
            part += " " + term.status
        if abs(coefficient) != 1:
            part = f"{abs(coefficient):g}·{part}"
        if not text:
            text = f"−{part}" if coefficient < 0 else part
        else:
            text += f" − {part}" if coefficient < 0 else f" + {part}"
    return text
