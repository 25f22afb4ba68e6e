"""The independent checker: verify a solution against every hard limit, straight from the scenario.

It reads only the scenario and the solution tables (``allocation``, ``equipment``: the same
tables ``solve`` writes as CSV), never the LP: each treaty rule, commitment and red line is
evaluated here by its own code, so an error in the model's construction shows up as a violation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cfe_opt.categories import GROUND, STATUSES
from cfe_opt.errors import CfeOptError, ScenarioError, ScenarioErrors
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.schema import (
    EqualTreatmentLimit,
    FreezeLimit,
    Quantity,
    ReciprocityLimit,
    SumLimit,
    Term,
)
from cfe_opt.scenario.sets import MAIN, ScenarioIndex, hard_limits

TOTAL = "total"
DEPLOYMENT_COLUMN = {"basic": "temporary_deployment",
                     "exceptional": "temporary_deployment_exceptional"}
ABS_TOL = 1e-4  # tables carry 6 decimals; sums of many of them drift by far less than this
REL_TOL = 1e-7
TABLE_TOL = 1e-8  # relative rounding of a table value (9 significant digits), with margin


@dataclass(frozen=True)
class Violation:
    limit: str  # what was violated (a family and its keys, or a scenario field path)
    owner: str
    detail: str
    lhs: float
    sense: str
    rhs: float

    def __str__(self) -> str:
        return (f"{self.limit} ({self.owner}): {self.detail}: {self.lhs:g} {self.sense} "
                f"{self.rhs:g} fails")


@dataclass
class CheckReport:
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        if self.ok:
            return f"all {self.checked} hard limits hold"
        lines = [f"{len(self.violations)} of {self.checked} hard limits fail:"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


class _Solution:
    """Read access to a solution's tables, by domain keys."""

    def __init__(self, index: ScenarioIndex, allocation: pd.DataFrame,
                 equipment: pd.DataFrame) -> None:
        self.index = index
        alloc = allocation.reset_index()
        national = alloc[alloc["area"] == TOTAL].set_index(["party", "category"])
        areas = alloc[alloc["area"] != TOTAL].set_index(["party", "area", "category"])
        # a row given twice is a violation of its own (_tables); read the first
        self.national = national[~national.index.duplicated()]
        self.areas = areas[~areas.index.duplicated()]
        self.equipment = equipment.reset_index()
        self.missing: list[str] = []
        self.rows = [(r.owner, r.party, r.area, r.category, r.status, float(r.after))
                     for r in self.equipment.itertuples(index=False)]
        self.by_owner: dict[tuple[str, str], float] = {}
        self.by_location: dict[tuple[str, str, str], float] = {}
        for owner, party, area, category, _status, after in self.rows:
            key = (owner, category)
            self.by_owner[key] = self.by_owner.get(key, 0.0) + after
            loc = (party, area, category)
            self.by_location[loc] = self.by_location.get(loc, 0.0) + after

    def national_value(self, column: str, party: str, category: str) -> float:
        return self._read(self.national, (party, category), column,
                          f"{column} of {party} {category}")

    def subceiling(self, party: str, area: str, category: str) -> float:
        return self._read(self.areas, (party, area, category), "territorial_subceiling",
                          f"territorial sub-ceiling of {party}.{area} {category}")

    def _read(self, frame: pd.DataFrame, key: tuple, column: str, what: str) -> float:
        """A value the solution must give: a missing one is recorded (and counts as 0)."""
        try:
            value = float(frame.at[key, column])
        except (KeyError, ValueError, TypeError):  # no such row, or not a number
            value = math.nan
        if math.isnan(value):
            self.missing.append(what)
            return 0.0
        return value

    def area_value(self, column: str, party: str, area: str, category: str) -> float:
        return self._read(self.areas, (party, area, category), column,
                          f"{column} of {party}.{area} {category}")

    def deployment(self, party: str, category: str, kind: str = "basic",
                   area: str = TOTAL) -> float:
        """The temporary deployment of a kind permitted on a territory (area total) or in an
        area; 0 where the table has none."""
        column = DEPLOYMENT_COLUMN[kind] + ("" if area == TOTAL else "_in_area")
        frame, key = ((self.national, (party, category)) if area == TOTAL
                      else (self.areas, (party, area, category)))
        try:
            value = float(frame.at[key, column])
        except KeyError:
            return 0.0
        return 0.0 if math.isnan(value) else value

    def equipment_sum(self, owners: set[str] | None = None,
                      locations: set[tuple[str, str]] | None = None,
                      categories: set[str] | None = None,
                      statuses: set[str] | None = None) -> float:
        return sum(after for owner, party, area, category, status, after in self.rows
                   if (owners is None or owner in owners)
                   and (locations is None or (party, area) in locations)
                   and (categories is None or category in categories)
                   and (statuses is None or status in statuses))


def check(scenario: Scenario, allocation: pd.DataFrame, equipment: pd.DataFrame,
          integer: bool = False) -> CheckReport:
    """Check a solution's tables against every hard limit of the scenario."""
    index = scenario.index
    sol = _Solution(index, allocation, equipment)
    report = CheckReport()
    _tables(index, sol, allocation, equipment, report)
    _definitions(index, sol, report, integer)
    _deployments(index, sol, report, integer)
    for path, _name, limit, owner, _kind in hard_limits(index.spec):
        where = ".".join(path)
        if isinstance(limit, SumLimit):
            _sum_limit(index, sol, report, where, owner, limit)
        elif isinstance(limit, FreezeLimit):
            _freeze(index, sol, report, where, owner, limit)
        elif isinstance(limit, ReciprocityLimit):
            _reciprocity(index, sol, report, where, owner, limit)
        elif isinstance(limit, EqualTreatmentLimit):
            _equal_treatment(index, sol, report, where, owner, limit)
    for item in dict.fromkeys(sol.missing):
        report.violations.append(Violation("solution", "-", f"no value for {item}",
                                           math.nan, "=", math.nan))
    return report


def _tables(index: ScenarioIndex, sol: _Solution, allocation: pd.DataFrame,
            equipment: pd.DataFrame, report: CheckReport) -> None:
    """The tables themselves: no row twice, only known statuses, and equipment only in the
    categories its owner is modelled in (anything else would go uncounted)."""
    for name, frame in (("allocation", allocation), ("equipment", equipment)):
        twice = frame.index[frame.index.duplicated()].unique()
        for key in twice:
            report.violations.append(Violation(name, "-", f"row {key} appears twice",
                                               math.nan, "=", math.nan))
    places = {(p, a) for p in index.parties for (_, a) in index.territory[p]}
    for party, area, category in allocation.index:
        if party not in index.parties or category not in index.categories or (
                area != TOTAL and ((party, area) not in places or category not in GROUND)):
            report.violations.append(Violation(  # a row not read would pass unchecked
                "allocation", str(party), f"row {party} {area} {category}: not a party, area "
                "and category of the scenario", math.nan, "=", math.nan))
    for owner, party, area, category, status, after in sol.rows:
        report.checked += 1
        if status not in STATUSES or owner not in index.party_categories or (
                category not in index.party_categories[owner]) or category not in GROUND:
            report.violations.append(Violation(
                "equipment", owner, f"row {owner}@{party}.{area} {category} {status}: not a "
                "modelled owner, ground category and status (active, storage)", after, "=",
                math.nan))


def _test(report: CheckReport, limit: str, owner: str, detail: str, lhs: float, sense: str,
          rhs: float, scale: float = 1.0, magnitude: float = 0.0) -> None:
    """lhs sense rhs, within ABS_TOL + REL_TOL·|rhs|, times ``scale`` where the two sides are
    built from table values multiplied by a factor (so their rounding is magnified by it), plus
    TABLE_TOL·magnitude, the size of the terms summed (the tables keep 9 significant digits)."""
    report.checked += 1
    tol = (ABS_TOL + REL_TOL * abs(rhs)) * max(1.0, scale) + TABLE_TOL * magnitude
    ok = (lhs <= rhs + tol if sense == "<=" else lhs >= rhs - tol if sense == ">="
          else abs(lhs - rhs) <= tol)
    if not ok or math.isnan(lhs):
        report.violations.append(Violation(limit, owner, detail, lhs, sense, rhs))


# ---- definitions of the regime ----------------------------------------------------------------
def _definitions(index: ScenarioIndex, sol: _Solution, report: CheckReport,
                 integer: bool) -> None:
    may_rise = index.spec.settings.holdings_may_rise
    eq = sol.equipment
    for row in eq.itertuples(index=False):
        allowed = (row.party, row.area) in set(index.owner_locations.get(row.owner, ()))
        if not allowed and row.after > ABS_TOL:
            _test(report, "location", row.owner, f"{row.owner} has {row.category} in "
                  f"{row.party}.{row.area}, where it may not station equipment", row.after,
                  "==", 0.0)
        _test(report, "non_negative", row.owner,
              f"equipment {row.owner}@{row.party}.{row.area} {row.category} {row.status}",
              float(row.after), ">=", 0.0)
        if integer:
            _whole(report, f"equipment {row.owner}@{row.party}.{row.area} {row.category}",
                   float(row.after))
    for p in index.parties:
        party = index.spec.parties[p]
        for c in index.party_categories[p]:
            held = sol.national_value("holdings_after", p, c)
            cut = sol.national_value("reduction", p, c)
            ceiling = sol.national_value("national_ceiling", p, c)
            before = party.holdings[c].value
            _test(report, "holdings_balance", p, f"{p} {c}: holdings after + reduction = "
                  "holdings before", held + cut, "==", before)
            if not may_rise:
                _test(report, "no_rise", p, f"{p} {c}: reduction is not negative", cut, ">=", 0)
            _test(report, "non_negative", p, f"{p} {c}: holdings", held, ">=", 0)
            _test(report, "non_negative", p, f"{p} {c}: national ceiling", ceiling, ">=", 0)
            _test(report, "national_ceiling", p, f"{p} {c}: holdings within national ceiling",
                  held, "<=", ceiling)
            if integer:
                for what, value in (("holdings", held), ("national ceiling", ceiling)):
                    _whole(report, f"{p} {c} {what}", value)
            if c in GROUND:
                placed = sol.by_owner.get((p, c), 0.0)
                _test(report, "location_balance", p, f"{p} {c}: equipment by location adds up "
                      "to holdings", placed, "==", held)
        if not party.territory:
            continue
        own = {(p, a) for a in party.areas} | {(p, MAIN)}
        for c in index.ground:
            on_territory = sum(sol.by_location.get((q, a, c), 0.0) for (q, a) in own)
            if (p, c) not in index.territorial_set:
                _test(report, "territorial_ceiling", p, f"{p} {c}: no TLE on a territory whose "
                      "ceiling is not modelled", on_territory, "<=", 0.0)
                continue
            tc = sol.national_value("territorial_ceiling", p, c)
            _test(report, "non_negative", p, f"{p} {c}: territorial ceiling", tc, ">=", 0)
            _test(report, "territorial_ceiling", p, f"{p} {c}: TLE on territory within its "
                  "territorial ceiling (a temporary deployment is no room for permanent TLE)",
                  on_territory, "<=", tc)
            if integer:
                _whole(report, f"{p} {c} territorial ceiling", tc)
        for a, area in party.areas.items():
            if not (area.subceiling or area.territorial_subceiling):
                continue
            for c in index.ground:
                in_area = sol.by_location.get((p, a, c), 0.0)
                sub_ceiling = sol.subceiling(p, a, c)
                _test(report, "territorial_subceiling", p, f"{p}.{a} {c}: TLE in the area "
                      "within its sub-ceiling", in_area, "<=", sub_ceiling)
                _test(report, "non_negative", p, f"{p}.{a} {c}: sub-ceiling", sub_ceiling, ">=",
                      0)
                if integer:
                    _whole(report, f"{p}.{a} {c} sub-ceiling", sub_ceiling)
                if not area.has_active_subceiling:
                    continue
                active = sol.area_value("active_subceiling", p, a, c)
                in_active = sol.equipment_sum(locations={(p, a)}, categories={c},
                                              statuses={"active"})
                _test(report, "active_subceiling", p, f"{p}.{a} {c}: TLE in active units "
                      "within the active sub-ceiling", in_active, "<=", active)
                _test(report, "subceiling_split", p, f"{p}.{a} {c}: active sub-ceiling within "
                      "the sub-ceiling", active, "<=", sub_ceiling)
                _test(report, "non_negative", p, f"{p}.{a} {c}: active sub-ceiling", active,
                      ">=", 0)
                if integer:
                    _whole(report, f"{p}.{a} {c} active sub-ceiling", active)
        for ceiling in party.cuts:
            _cuts(index, sol, report, p, ceiling, integer)


def _cuts(index: ScenarioIndex, sol: _Solution, report: CheckReport, p: str, ceiling: str,
          integer: bool) -> None:
    """A ceiling cut by form: v⁰ − v = national cut + mandated cut, both ≥ 0."""
    for (v, q, c) in index.cut_keys:
        if v != ceiling or q != p:
            continue
        now = float(index.ceiling_now(v, p, c))
        value = sol.national_value(v, p, c)
        national = sol.national_value(f"{v}_cut_national", p, c)
        mandated = sol.national_value(f"{v}_cut_mandated", p, c)
        _test(report, "cut_by_form", p, f"{p} {c}: {v} + national cut + mandated cut = "
              "current figure", value + national + mandated, "==", now,
              magnitude=abs(value) + abs(national) + abs(mandated))
        for form, cut in (("national", national), ("mandated", mandated)):
            _test(report, "non_negative", p, f"{p} {c}: {form} cut of the {v}", cut, ">=", 0)
            if integer:
                _whole(report, f"{p} {c} {form} cut of the {v}", cut)


def _whole(report: CheckReport, what: str, value: float) -> None:
    _test(report, "integer", "-", f"{what} is a whole number", abs(value - round(value)),
          "<=", 0.0)


def _deployments(index: ScenarioIndex, sol: _Solution, report: CheckReport,
                 integer: bool = False) -> None:
    """Each temporary deployment within its entry's allowance, not negative; none of a kind
    where no entry allows one."""
    allowed: set[tuple[str, str, str, str]] = set()
    for name, entry in index.spec.temporary_deployments.items():
        for ref in entry.hosts:
            if "." in ref:
                hosts = [tuple(ref.split(".", 1))]
            else:
                hosts = [(p, TOTAL) for p in index.parties_of([ref])]
            for p, a in hosts:
                where = p if a == TOTAL else f"{p}.{a}"
                for c in index.ground:
                    if c not in entry.allowance:
                        continue
                    allowed.add((entry.kind, p, a, c))
                    value = sol.deployment(p, c, entry.kind, a)
                    _test(report, f"temporary_deployments.{name}", entry.owner or "treaty",
                          f"{where} {c}: {entry.kind} temporary deployment within the "
                          "allowance", value, "<=", entry.allowance[c].value)
                    _test(report, "non_negative", p, f"{where} {c}: {entry.kind} temporary "
                          "deployment", value, ">=", 0)
                    if integer:
                        _whole(report, f"{where} {c} {entry.kind} temporary deployment", value)
    for p in index.parties:
        areas = (TOTAL, *index.spec.parties[p].areas) if index.spec.parties[p].territory else ()
        for a in areas:
            for c in index.ground:
                for kind in DEPLOYMENT_COLUMN:
                    if (kind, p, a, c) not in allowed:
                        where = p if a == TOTAL else f"{p}.{a}"
                        _test(report, "temporary_deployments", "treaty",
                              f"{where} {c}: no {kind} temporary deployment without an "
                              "allowance", abs(sol.deployment(p, c, kind, a)), "<=", 0.0)


# ---- scenario limits, evaluated from the tables ----------------------------------------------
def _term_value(index: ScenarioIndex, sol: _Solution, term: Term) -> float:
    cats = index.categories_of(term.categories)
    ground = [c for c in cats if c in index.ground]
    coef = float(term.coefficient)
    if term.of in ("holdings", "national_ceiling", "reduction"):
        column = {"holdings": "holdings_after", "national_ceiling": "national_ceiling",
                  "reduction": "reduction"}[term.of]
        return coef * sum(sol.national_value(column, p, c)
                          for p in index.parties_of(term.parties) for c in cats
                          if index.holds(p, c))
    if term.of == "territorial_ceiling":
        if term.areas is not None:
            return coef * sum(_area_ceiling(index, sol, term.status, p, a, c)
                              for (p, a) in index.locations_of(term.areas)
                              if (p, a) in index.subceiling_set for c in ground)
        return coef * sum(sol.national_value("territorial_ceiling", p, c)
                          for p in index.parties_of(term.parties) for c in ground
                          if (p, c) in index.territorial_set)
    if term.of == "temporary_deployment":
        kinds = term.kinds if term.kinds is not None else list(DEPLOYMENT_COLUMN)
        places = (index.locations_of(term.areas) if term.areas is not None
                  else [(p, TOTAL) for p in index.parties_of(term.parties)])
        return coef * sum(sol.deployment(p, c, kind, a) for (p, a) in places for c in ground
                          for kind in kinds)
    if term.of == "ceiling_cut":
        forms = ("national", "mandated") if term.form == "any" else (term.form,)
        return coef * sum(sol.national_value(f"{term.ceiling}_cut_{f}", p, c)
                          for p in index.parties_of(term.parties)
                          if term.ceiling in index.spec.parties[p].cuts
                          for c in cats if (term.ceiling, p, c) in set(index.cut_keys)
                          for f in forms)
    if term.of == "equipment":
        if term.areas is not None:
            locations = set(index.locations_of(term.areas))
        elif term.parties is not None:
            locations = {loc for p in index.parties_of(term.parties)
                         for loc in index.territory[p]}
        else:
            locations = None
        owners = set(index.parties_of(term.owners)) if term.owners is not None else None
        statuses = None if term.status == "any" else {term.status}
        return coef * sol.equipment_sum(owners, locations, set(ground), statuses)
    raise CfeOptError(f"unknown quantity kind {term.of}")


def _area_ceiling(index: ScenarioIndex, sol: _Solution, status: str, p: str, a: str,
                  c: str) -> float:
    """An area's sub-ceiling (status any), its active-unit part, or its storage part."""
    if status == "any":
        return sol.subceiling(p, a, c)
    if (p, a) not in index.active_set:
        return 0.0
    active = sol.area_value("active_subceiling", p, a, c)
    return active if status == "active" else sol.subceiling(p, a, c) - active


def _selects(index: ScenarioIndex, sol: _Solution, term: Term) -> bool:
    """Whether the term names anything that exists in this scenario (read from the tables)."""
    cats = index.categories_of(term.categories)
    ground = [c for c in cats if c in index.ground]
    parties = index.parties_of(term.parties)
    if term.of in ("holdings", "national_ceiling", "reduction"):
        return any((p, c) in sol.national.index and index.holds(p, c)
                   for p in parties for c in cats)
    if term.of == "territorial_ceiling":
        if term.areas is not None:
            wanted = index.subceiling_areas if term.status == "any" else index.active_areas
            return any((p, a) in wanted and c in ground
                       for (p, a) in index.locations_of(term.areas) for c in ground)
        return any((p, c) in index.territorial_set for p in parties for c in ground)
    if term.of == "temporary_deployment":
        places = (set(index.locations_of(term.areas)) if term.areas is not None
                  else {(p, TOTAL) for p in parties})
        return any((k[1], k[2]) in places and k[3] in ground
                   and (term.kinds is None or k[0] in term.kinds) for k in index.td_allowance)
    if term.of == "ceiling_cut":
        return any(v == term.ceiling and p in parties and c in cats
                   for (v, p, c) in index.cut_keys)
    eq = sol.equipment
    if term.areas is not None:
        locations = set(index.locations_of(term.areas))
    else:
        locations = {loc for p in parties for loc in index.territory[p]}
    owners = set(index.parties_of(term.owners))
    return any(row.owner in owners and (row.party, row.area) in locations
               and row.category in ground for row in eq.itertuples(index=False))


def _quantity_value(index: ScenarioIndex, sol: _Solution, quantity: Quantity) -> float:
    return sum(_term_value(index, sol, t) for t in quantity.terms)


def _sum_limit(index: ScenarioIndex, sol: _Solution, report: CheckReport, where: str,
               owner: str, limit: SumLimit) -> None:
    terms = limit.quantity.terms
    parties = ([p for p in index.parties if any(p in index.parties_of(t.parties) for t in terms)]
               if "party" in limit.per else [None])
    cats = ([c for c in index.categories
             if any(c in index.categories_of(t.categories) for t in terms)]
            if "category" in limit.per else [None])
    for p in parties:
        for c in cats:
            total = 0.0
            magnitude = 0.0
            covered = False
            for t in terms:
                if p is not None and p not in index.parties_of(t.parties):
                    continue
                if c is not None and c not in index.categories_of(t.categories):
                    continue
                narrowed = t.model_copy(update={
                    **({"parties": [p]} if p is not None else {}),
                    **({"categories": [c]} if c is not None else {})})
                covered = covered or _selects(index, sol, narrowed)
                total += _term_value(index, sol, narrowed)
                magnitude += abs(float(t.coefficient)) * abs(_term_value(
                    index, sol, narrowed.model_copy(update={"coefficient": 1})))
            if not covered:
                continue  # the quantity holds nothing for this party and category
            rhs = (limit.values[c].value if limit.values is not None else limit.value.value)
            keys = ", ".join(k for k in (p, c) if k)
            _test(report, where, owner, limit.description or where + (f" [{keys}]" if keys
                                                                       else ""),
                  total, limit.sense, float(rhs), magnitude=magnitude)


def _current(index: ScenarioIndex, of: str, party: str, category: str) -> float:
    p = index.spec.parties[party]
    figures = {"national_ceiling": p.national_ceiling, "territorial_ceiling":
               p.territorial_ceiling, "holdings": p.holdings}[of]
    return float(figures[category].value)


_COLUMN = {"national_ceiling": "national_ceiling", "territorial_ceiling": "territorial_ceiling",
           "holdings": "holdings_after"}


def _freeze(index: ScenarioIndex, sol: _Solution, report: CheckReport, where: str,
            owner: str, limit: FreezeLimit) -> None:
    cats = [c for c in index.categories_of(limit.categories)
            if limit.of != "territorial_ceiling" or c in GROUND]
    for p in index.parties_of(limit.parties):
        for c in cats:
            _test(report, where, owner, f"{p} {c}: {limit.of} frozen",
                  sol.national_value(_COLUMN[limit.of], p, c), "<=",
                  _current(index, limit.of, p, c))
    for ref in limit.areas or []:
        p, a = ref.split(".", 1)
        area = index.spec.parties[p].areas[a]
        for c in cats:
            total = float(area.territorial_subceiling[c].value) if limit.status != "active" else 0
            active = float(area.active_figures[c].value) if limit.status != "any" else 0
            now = {"any": total, "active": active, "storage": total - active}[limit.status]
            part = "" if limit.status == "any" else f" ({limit.status} part)"
            _test(report, where, owner, f"{ref} {c}: sub-ceiling{part} frozen",
                  _area_ceiling(index, sol, limit.status, p, a, c), "<=", now)


def _status_quo_of(index: ScenarioIndex, quantity: Quantity) -> float:
    """The quantity's value before any change, evaluated from the scenario's own figures."""
    before = _Solution(index, _status_quo_allocation(index), _status_quo_equipment(index))
    return _quantity_value(index, before, quantity)


def _status_quo_allocation(index: ScenarioIndex) -> pd.DataFrame:
    rows = []
    for p in index.parties:
        for c in index.categories:
            if not index.holds(p, c) and c not in index.ground:
                continue
            held = index.holds(p, c)
            rows.append({"party": p, "area": TOTAL, "category": c,
                         "national_ceiling": _or_nan(index.national_ceiling_now(p, c)),
                         "territorial_ceiling": _or_nan(index.territorial_ceiling_now(p, c)),
                         "temporary_deployment": 0.0, "temporary_deployment_exceptional": 0.0,
                         **dict.fromkeys(_CUT_COLUMNS, 0.0),
                         "holdings_after": float(index.holdings_before(p, c)) if held
                         else math.nan,
                         "reduction": 0.0 if held else math.nan})
        for (_, a) in index.territory[p]:
            for c in index.ground:
                now = (index.subceiling_now(p, a, c) if (p, a) in index.subceiling_set
                       else None)
                active = (index.active_subceiling_now(p, a, c) if (p, a) in index.active_set
                          else None)
                rows.append({"party": p, "area": a, "category": c,
                             "territorial_subceiling": _or_nan(now),
                             "active_subceiling": _or_nan(active),
                             "temporary_deployment_in_area": 0.0,
                             "temporary_deployment_exceptional_in_area": 0.0})
    columns = ["party", "area", "category", "national_ceiling", "territorial_ceiling",
               "temporary_deployment", "temporary_deployment_exceptional", *_CUT_COLUMNS,
               "holdings_after", "reduction", "territorial_subceiling", "active_subceiling",
               "temporary_deployment_in_area", "temporary_deployment_exceptional_in_area"]
    return pd.DataFrame(rows, columns=columns).set_index(["party", "area", "category"])


_CUT_COLUMNS = [f"{v}_cut_{f}" for v in ("national_ceiling", "territorial_ceiling")
                for f in ("national", "mandated")]


def _status_quo_equipment(index: ScenarioIndex) -> pd.DataFrame:
    rows = [{"owner": o, "party": p, "area": a, "category": c, "status": k, "after": float(v)}
            for (o, p, a, c, k), v in index.equipment_before.items()]
    frame = pd.DataFrame(rows, columns=["owner", "party", "area", "category", "status", "after"])
    return frame.set_index(["owner", "party", "area", "category", "status"])


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _reciprocity(index: ScenarioIndex, sol: _Solution, report: CheckReport, where: str,
                 owner: str, limit: ReciprocityLimit) -> None:
    s_now = _status_quo_of(index, limit.subject)
    r_now = _status_quo_of(index, limit.reference)
    s_cut = s_now - _quantity_value(index, sol, limit.subject)
    r_cut = r_now - _quantity_value(index, sol, limit.reference)
    rho = float(limit.ratio)
    if limit.measure == "share":  # compared in the subject's units: cut ≤ ρ·share_R·S⁰
        _test(report, where, owner, "subject's cut share within ratio × reference's cut share",
              s_cut, "<=", rho * r_cut / r_now * s_now, scale=rho * abs(s_now / r_now))
    else:
        _test(report, where, owner, "subject's cut within ratio × reference's cut",
              s_cut, "<=", rho * r_cut, scale=rho)


def _equal_treatment(index: ScenarioIndex, sol: _Solution, report: CheckReport, where: str,
                     owner: str, limit: EqualTreatmentLimit) -> None:
    cats = [c for c in index.categories_of(limit.categories)
            if limit.of != "territorial_ceiling" or c in GROUND]
    for s in index.parties_of(limit.subject):
        for r in index.parties_of(limit.reference):
            if r == s:
                continue
            for c in cats:
                # cut share of s ≤ cut share of r  ⟺  v_s ≥ v⁰_s · v_r / v⁰_r (in s's units)
                v_s = sol.national_value(_COLUMN[limit.of], s, c)
                v_r = sol.national_value(_COLUMN[limit.of], r, c)
                factor = _current(index, limit.of, s, c) / _current(index, limit.of, r, c)
                _test(report, where, owner, f"{s} cut share ≤ {r} cut share ({c})", v_s, ">=",
                      factor * v_r, scale=factor)


# ---- reading a written solution ---------------------------------------------------------------
MAX_TABLE_BYTES = 256 * 1024 * 1024
MAX_REPORTED = 20  # problems listed per table before "… and N more"

_TABLES = {
    "allocation.csv": (("party", "area", "category"),
                       ("national_ceiling", "territorial_ceiling", "temporary_deployment",
                        "holdings_after", "reduction", "territorial_subceiling")),
    "equipment.csv": (("owner", "party", "area", "category", "status"), ("after",)),
}


def read_solution(directory: Path, scenario: Scenario | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``allocation.csv`` and ``equipment.csv`` written by ``cfe-opt solve``, strictly.

    Each file must be UTF-8 CSV text ending in a line break, with a header holding the key
    columns and the value columns the checker reads, every row as many fields as the header, no
    key twice, and every value a finite number or empty. Given the ``scenario``, every row must
    name its parties, areas, categories and statuses, and every value the checker needs must be
    there. Any problem is bad input (``ScenarioErrors``, exit 2), one line each naming the file,
    the line and the column — never a check that silently skips what it cannot read."""
    import csv
    import io

    directory = Path(directory)
    if not directory.is_dir():
        reason = "does not exist" if not directory.exists() else "is not a folder"
        raise ScenarioError(str(directory), "", f"--solution: {reason} (give the folder "
                            "'cfe-opt solve' wrote, holding allocation.csv and equipment.csv)")
    frames = []
    for name, (keys, values) in _TABLES.items():
        path = directory / name
        shown = str(path)
        text = _table_text(path, shown)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        problems: list[ScenarioError] = []
        header = rows[0] if rows else []
        if not header:
            raise ScenarioError(shown, "", "no header row")
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise ScenarioError(shown, "", f"column(s) {', '.join(twice)} appear twice in the "
                                "header", line=1)
        missing = [c for c in (*keys, *values) if c not in header]
        if missing:
            raise ScenarioError(shown, "", f"missing column(s) {', '.join(missing)} (is this the "
                                f"{name} 'cfe-opt solve' writes?)", line=1)
        if len(rows) == 1:
            raise ScenarioError(shown, "", "has a header but no rows")
        numbers = [c for c in header if c not in keys]
        records: list[dict[str, object]] = []
        first_line: dict[tuple[str, ...], int] = {}
        for line, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                problems.append(ScenarioError(shown, "", f"{len(row)} fields, the header has "
                                              f"{len(header)} (a truncated or damaged file?)",
                                              line=line))
                continue
            record: dict[str, object] = dict(zip(header, row, strict=True))
            key = tuple(str(record[k]) for k in keys)
            empty = [k for k in keys if not record[k]]
            if empty:
                problems.append(ScenarioError(shown, empty[0], "empty key field", line=line))
                continue
            if key in first_line:
                problems.append(ScenarioError(shown, "", f"the row ({', '.join(key)}) appears "
                                              f"twice (lines {first_line[key]} and {line})",
                                              line=line))
                continue
            first_line[key] = line
            for column in numbers:
                cell = str(record[column]).strip()
                if cell == "":
                    record[column] = math.nan
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    value = math.nan
                    problems.append(ScenarioError(shown, column, f"{cell[:40]!r} is not a "
                                                  "number", line=line))
                else:
                    if not math.isfinite(value):  # inf, 1e400, nan: no package has them
                        problems.append(ScenarioError(
                            shown, column, f"{cell[:40]!r} is not a finite number (an empty "
                            "field means no value)", line=line))
                record[column] = value
            records.append({**record, "_line": line})
        if scenario is not None and not problems:
            problems.extend(_unrecognised_rows(scenario.index, name, shown, records))
        if problems:
            raise ScenarioErrors(_capped(problems, shown))
        frame = pd.DataFrame(records, columns=[*header, "_line"])
        for column in numbers:
            frame[column] = pd.to_numeric(frame[column])
        frames.append(frame.set_index(list(keys)))
    allocation, equipment = frames
    if scenario is not None:
        problems = _missing_values(scenario.index, allocation, equipment, directory)
        if problems:
            raise ScenarioErrors(_capped(problems, str(directory)))
    return allocation.drop(columns="_line"), equipment.drop(columns="_line")


def _table_text(path: Path, shown: str) -> str:
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ScenarioError(shown, "", f"cannot read file ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(shown, "", "not a regular file")
        if info.st_size > MAX_TABLE_BYTES:
            raise ScenarioError(shown, "", f"file is {info.st_size:,} bytes; the limit is "
                                f"{MAX_TABLE_BYTES:,}")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(shown, "", f"cannot read file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if not data:
        raise ScenarioError(shown, "", "file is empty")
    if b"\x00" in data:
        raise ScenarioError(shown, "", "binary data (NUL bytes): not a CSV table")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(shown, "", "not UTF-8 text: not a CSV table", line=line) from None
    if not text.endswith("\n"):
        raise ScenarioError(shown, "", "the last line has no line break (a truncated file?)",
                            line=text.count("\n") + 1)
    return text


def _capped(problems: list[ScenarioError], shown: str) -> list[ScenarioError]:
    if len(problems) <= MAX_REPORTED:
        return problems
    return [*problems[:MAX_REPORTED],
            ScenarioError(shown, "", f"… and {len(problems) - MAX_REPORTED} more problems")]


def _unrecognised_rows(index: ScenarioIndex, name: str, shown: str,
                       records: list[dict[str, object]]) -> list[ScenarioError]:
    """Rows naming a party, area, category or status the scenario does not have."""
    problems = []
    places = {(p, a) for p in index.parties for (_, a) in index.territory[p]}
    for record in records:
        line = int(record["_line"])  # type: ignore[call-overload]
        reason = _row_problem(index, name, record, places)
        if reason:
            problems.append(ScenarioError(shown, reason[0], reason[1], line=line))
    return problems


def _row_problem(index: ScenarioIndex, name: str, record: dict[str, object],
                 places: set[tuple[str, str]]) -> tuple[str, str] | None:
    party, area, category = str(record["party"]), str(record["area"]), str(record["category"])
    if name == "equipment.csv":
        owner, status = str(record["owner"]), str(record["status"])
        if owner not in index.parties:
            return "owner", f"'{owner}' is not a party of the scenario"
        if status not in STATUSES:
            return "status", f"'{status}' is not a status ({', '.join(STATUSES)})"
    if party not in index.parties:
        return "party", f"'{party}' is not a party of the scenario"
    if category not in index.categories:
        return "category", (f"'{category}' is not a category of the scenario "
                            f"({', '.join(index.categories)})")
    if name == "allocation.csv" and area == TOTAL:
        if not index.holds(party, category) and (party, category) not in (
                index.territorial_pairs):
            return "category", f"{party}'s {category} is not modelled in the scenario"
        return None
    if (party, area) not in places:
        known = ", ".join(a for (_, a) in index.territory[party]) or "none"
        return "area", f"'{area}' is not an area of {party} (its areas: {known})"
    if category not in index.ground:
        return "category", f"'{category}' is not a ground category (rows by area are ground)"
    return None


def _missing_values(index: ScenarioIndex, allocation: pd.DataFrame, equipment: pd.DataFrame,
                    directory: Path) -> list[ScenarioError]:
    """Rows and values the checker needs that the tables do not give."""
    problems = []
    alloc_file, eq_file = str(directory / "allocation.csv"), str(directory / "equipment.csv")

    def need(frame: pd.DataFrame, key: tuple, column: str, shown: str, what: str) -> None:
        if key not in frame.index:
            problems.append(ScenarioError(shown, "", f"no row for {what} (the table is "
                                          "incomplete)"))
            return
        value = frame.at[key, column]
        if isinstance(value, float) and math.isnan(value):
            line = int(frame.at[key, "_line"])
            problems.append(ScenarioError(shown, column, f"no value for {what}", line=line))

    for p in index.parties:
        for c in index.party_categories[p]:
            for column in ("holdings_after", "reduction", "national_ceiling"):
                need(allocation, (p, TOTAL, c), column, alloc_file, f"{p} {TOTAL} {c}")
    for p, c in index.territorial_pairs:
        need(allocation, (p, TOTAL, c), "territorial_ceiling", alloc_file, f"{p} {TOTAL} {c}")
    for p, a in index.subceiling_areas:
        for c in index.ground:
            need(allocation, (p, a, c), "territorial_subceiling", alloc_file, f"{p} {a} {c}")
    for key in index.equipment_keys():
        need(equipment, key, "after", eq_file, " ".join(key))
    return problems


def solution_case(directory: Path) -> str | None:
    """The case of the scenario file a written solution is for, from its ``summary.json``
    (None if it names none, or there is no readable summary)."""
    import json

    try:
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    scenario = summary.get("scenario") if isinstance(summary, dict) else None
    case = scenario.get("case") if isinstance(scenario, dict) else None
    return case if isinstance(case, str) else None
