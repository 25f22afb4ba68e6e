"""How the answer moves as one number moves: solve a scenario along a sweep of one field.

For each value of the field (any documented field, written in the file or left at its
default, by its dotted path: a figure, a limit's number, a position's target, a party's
``weight``; checked with ``cfe_opt.scenario.paths.check_path``, so a wrong path names the wrong
segment and the nearest name) the scenario is solved: on one compiled model whose number is set
in place and re-solved warm, or — when the value changes the model's shape or fails a check —
built afresh from the changed scenario. A value the scenario's validation refuses (a target
outside its stated range, a count that is not whole) is recorded as ``invalid`` with the
reason, and the sweep goes on.

Three tables (``Sweep``):

* ``points``: value → status (``optimal``, ``infeasible``: no package meets every hard limit,
  ``invalid``: the value fails validation, ``not_solved``: the solver stopped), reason,
  objective.
* ``table``: the long table (value, measure, item) → number, unit, for the solved values only:
  each party's ``deviation`` (weighted, normalised), each position's ``achieved`` value and
  ``concession`` (its deviation in the position's own units), every ``ceiling`` (national and
  territorial ceilings, sub-ceilings, temporary deployments) that moves along the sweep, and
  the ``binding`` hard limits (1).
* ``breakpoints``: where the active set — the binding hard limits, the conceded positions, and
  whether a package exists at all — changes. Between two swept values with different active
  sets the value is found by bisection: ``after`` is the last value with the old set, ``before``
  the first with the new, and ``at`` the value itself when the two meet within 10⁻⁷ (relative;
  for a whole-number field, when they are consecutive whole numbers the change lies between
  them and ``at`` is empty), with what ``entered`` and ``left`` the set.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import (
    TOTAL,
    allocation_table,
    clean,
    clean_ratio,
    is_binding,
    party_deviations,
    positions_table,
)
from cfe_opt.scenario import Scenario, with_changes
from cfe_opt.scenario.paths import PathError, check_path
from cfe_opt.solve import CompiledModel, SolverName, SolveRun, SolveStatus
from cfe_opt.text import SHORT, category_unit, figure_context, party_name

MAX_STEPS = 2001
MAX_REFINED = 60  # breakpoints located by bisection at most (the rest as intervals)
BISECT_TOL = 1e-7  # relative width at which a breakpoint is located
CONCEDED_TOL = 1e-9  # a position is conceded when its deviation exceeds this (units)
NO_PACKAGE = "<no feasible package>"
STATUSES = ("optimal", "infeasible", "invalid", "not_solved")
# allocation columns that are figures of the package, and how the long table names them
_FIGURES = {"national_ceiling": "NC", "territorial_ceiling": "TC",
            "territorial_subceiling": "TSC", "active_subceiling": "TSCa",
            "temporary_deployment": "TD", "temporary_deployment_exceptional": "ETD",
            "temporary_deployment_in_area": "TD", "temporary_deployment_exceptional_in_area": "ETD"}


def parse_vary(text: str) -> tuple[str, list[float]]:
    """``FIELD=FROM:TO:STEP`` → (field, values from FROM to TO inclusive)."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\[\]]+)\s*=\s*([^:]+):([^:]+):([^:]+)\s*", text)
    if not match:
        raise CfeOptError(f"--vary {text!r}: expected FIELD=FROM:TO:STEP, e.g. "
                          "parties.RUS.positions.flank_acv_active.target=580:3000:100")
    field = match.group(1)
    try:
        start, stop, step = (float(match.group(i)) for i in (2, 3, 4))
    except ValueError:
        raise CfeOptError(f"--vary {text!r}: FROM, TO and STEP must be numbers") from None
    if not all(math.isfinite(v) for v in (start, stop, step)) or step <= 0:
        raise CfeOptError(f"--vary {text!r}: STEP must be a positive number")
    if stop < start:
        raise CfeOptError(f"--vary {text!r}: TO must not be below FROM")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_STEPS:
        raise CfeOptError(f"--vary {text!r}: {count} steps; at most {MAX_STEPS}")
    values = [start + i * step for i in range(count)]
    return field, [int(v) if float(v).is_integer() else round(v, 12) for v in values]


@dataclass
class Sweep:
    """A sweep's three tables (see the module docstring); each carries ``attrs``: ``field``,
    ``objective``, ``field_label`` (the field in words, with its unit), the figure context."""

    points: pd.DataFrame
    table: pd.DataFrame
    breakpoints: pd.DataFrame

    @property
    def field(self) -> str:
        return str(self.table.attrs.get("field", ""))


@dataclass
class _Point:
    status: str
    reason: str = ""
    objective: float = math.nan
    active: frozenset[str] = frozenset()
    records: tuple[dict[str, Any], ...] = ()
    ceilings: dict[str, tuple[float, str]] | None = None
    full: bool = False  # records and ceilings read (not only the active set)


class _Solver:
    """Solves the scenario at one value of the field: in place where it can, else rebuilt."""

    def __init__(self, scenario: Scenario, field: str, objective: ObjectiveMode,
                 solver: SolverName) -> None:
        self.scenario, self.field, self.objective, self.solver = scenario, field, objective, solver
        self.compiled = CompiledModel(scenario, solver=solver, variants=True)
        self.cache: dict[float, _Point] = {}

    def at(self, value: float, full: bool = True) -> _Point:
        found = self.cache.get(value)
        if found is not None and (found.full or not full or found.status != "optimal"):
            return found
        target = self.compiled
        if not self.compiled.apply({self.field: value}).in_place:
            try:
                target = CompiledModel(with_changes(self.scenario, {self.field: value}),
                                       solver=self.solver)
            except CfeOptError as exc:
                point = _Point("invalid", reason=_reason(exc))
                self.cache[value] = point
                return point
        outcome = target.solve(self.objective)
        point = _read(target.model, outcome, value, full)
        self.cache[value] = point
        return point


def sweep(scenario: Scenario, field: str, values: Sequence[float],
          objective: ObjectiveMode = "weighted", solver: SolverName = "highs") -> Sweep:
    """Solve at each value of ``field`` (see the module docstring for the three tables)."""
    info = _check_field(scenario, field)
    engine = _Solver(scenario, field, objective, solver)
    points = {value: engine.at(value) for value in values}
    breakpoints = _breakpoints(engine, list(values), points, info.integer)

    point_rows = [{"value": v, "status": p.status, "reason": p.reason,
                   "objective": clean_ratio(p.objective) if p.status == "optimal" else math.nan}
                  for v, p in points.items()]
    point_frame = pd.DataFrame(point_rows, columns=["value", "status", "reason", "objective"])
    point_frame = point_frame.set_index("value")

    records: list[dict[str, Any]] = []
    for value, point in points.items():
        records.extend({**r, "value": value} for r in point.records)
    records.extend(_moving_ceilings(points))
    frame = pd.DataFrame(records, columns=["value", "measure", "item", "number", "unit"])
    order = {"deviation": 0, "concession": 1, "achieved": 2, "ceiling": 3, "binding": 4}
    frame = frame.assign(_m=frame["measure"].map(order)).sort_values(
        ["value", "_m"], kind="stable").drop(columns="_m").set_index(["value", "measure", "item"])

    attrs = {"field": field, "objective": objective,
             "field_label": field_label(scenario, field), **figure_context(scenario)}
    for table in (point_frame, frame, breakpoints):
        table.attrs.update(attrs)
    return Sweep(points=point_frame, table=frame, breakpoints=breakpoints)


def _check_field(scenario: Scenario, field: str) -> Any:
    try:
        info = check_path(scenario.data, field)
    except PathError as exc:
        raise CfeOptError(f"{scenario.display}: --vary {field}: {exc}") from None
    if not info.numeric:
        raise CfeOptError(f"{scenario.display}: --vary {field}: not a number field, so it "
                          "cannot be swept")
    return info


def _reason(exc: CfeOptError) -> str:
    """The validation message of an invalid value, in one line: the field and the reason (the
    first, if several)."""
    from cfe_opt.errors import ScenarioError, ScenarioErrors

    first = exc.errors[0] if isinstance(exc, ScenarioErrors) and exc.errors else exc
    if isinstance(first, ScenarioError):
        text = f"{first.field}: {first.reason}" if first.field else first.reason
    else:
        text = str(first)
    return " ".join(text.split())


def _read(model: Model, outcome: SolveRun, value: float, full: bool) -> _Point:
    if outcome.status is SolveStatus.INFEASIBLE:
        return _Point("infeasible", reason="no package meets every hard limit",
                      active=frozenset({NO_PACKAGE}))
    if outcome.status is not SolveStatus.OPTIMAL or outcome.x is None:
        return _Point("not_solved", reason=f"the solver stopped ({outcome.status.value})",
                      active=frozenset({"<not solved>"}))
    positions = positions_table(model, outcome.x)
    binding = [row.name for row in model.row_list if row.info.kind in HARD_KINDS
               and is_binding(row, float(outcome.activity[row.index]))]
    conceded = [f"{p}.{n}" for (p, n), dev in positions["deviation"].items()
                if dev > CONCEDED_TOL]
    active = frozenset(binding) | frozenset(f"position {c}" for c in conceded)
    if not full:
        return _Point("optimal", objective=float(outcome.objective or 0.0), active=active)
    records: list[dict[str, Any]] = []
    records += [{"measure": "deviation", "item": p, "number": clean_ratio(d),
                 "unit": "weighted normalised"}
                for p, d in party_deviations(positions).items()]
    for (party, name), row in positions.iterrows():
        item = f"{party}.{name}"
        records.append({"measure": "concession", "item": item,
                        "number": clean(float(row["deviation"])), "unit": row["unit"]})
        records.append({"measure": "achieved", "item": item,
                        "number": clean(float(row["achieved"])), "unit": row["unit"]})
    records += [{"measure": "binding", "item": name, "number": 1.0, "unit": ""}
                for name in sorted(binding)]
    return _Point("optimal", objective=float(outcome.objective or 0.0), active=active,
                  records=tuple(records), ceilings=_ceilings(model, outcome), full=True)


def _ceilings(model: Model, outcome: SolveRun) -> dict[str, tuple[float, str]]:
    """Every figure of the package (national and territorial ceilings, sub-ceilings, temporary
    deployments) by name: ``NC USA tanks``, ``TSC RUS.flank acv``."""
    table = allocation_table(model, outcome.x).reset_index()
    out = {}
    for row in table.to_dict("records"):
        for column, short in _FIGURES.items():
            number = row.get(column, math.nan)
            if number is None or (isinstance(number, float) and math.isnan(number)):
                continue
            area = row["area"]
            name = short
            where = row["party"] if area == TOTAL else f"{row['party']}.{area}"
            out[f"{name} {where} {row['category']}"] = (float(number),
                                                        category_unit(row["category"]))
    return out


def _moving_ceilings(points: dict[float, _Point]) -> list[dict[str, Any]]:
    """The figures whose value differs between solved values, at every solved value."""
    solved = {v: p.ceilings for v, p in points.items() if p.ceilings is not None}
    names: list[str] = []
    for figures in solved.values():
        names.extend(n for n in figures if n not in names)
    moving = [n for n in names
              if len({round(f[n][0], 6) if n in f else None for f in solved.values()}) > 1]
    return [{"value": v, "measure": "ceiling", "item": n, "number": clean(f[n][0]),
             "unit": f[n][1]} for v, f in solved.items() for n in moving if n in f]


# ---- breakpoints ------------------------------------------------------------------------------
def _breakpoints(engine: _Solver, values: list[float], points: dict[float, _Point],
                 integer: bool) -> pd.DataFrame:
    """Where the active set changes between adjacent values (invalid values skipped): each
    change located by bisection (up to ``MAX_REFINED``), and every further change between the
    one found and the next swept value too."""
    rows: list[dict[str, Any]] = []
    valid = [v for v in values if points[v].status != "invalid"]
    for a, b in itertools.pairwise(valid):
        start, old = a, points[a].active
        while old != points[b].active:
            if len(rows) < MAX_REFINED:
                after, before, at, kind = _bisect(engine, start, b, old, integer)
            else:
                after, before, at, kind = start, b, math.nan, "interval"
            new = points[b].active if before == b else engine.at(before, full=False).active
            entered, left = sorted(new - old), sorted(old - new)
            if NO_PACKAGE in new:  # what stops binding when nothing is feasible is moot
                entered, left = [NO_PACKAGE], []
            elif NO_PACKAGE in old:
                entered, left = ["<a package again>", *entered], []
            rows.append({"after": clean(after), "before": clean(before), "at": at,
                         "kind": kind,
                         "entered": "; ".join(describe_active(engine, entered)),
                         "left": "; ".join(describe_active(engine, left))})
            if before == b or kind == "interval":
                break
            start, old = before, new
    frame = pd.DataFrame(rows, columns=["after", "before", "at", "kind", "entered", "left"])
    frame.index.name = "breakpoint"
    return frame


def _bisect(engine: _Solver, a: float, b: float, old: frozenset[str],
            integer: bool) -> tuple[float, float, float, str]:
    """(the last value with the ``old`` active set, the first with another, the value itself,
    and how it is known): ``exact`` when the two meet within the tolerance (the value is their
    meeting point), ``whole`` for a whole-number field when they are consecutive whole numbers
    (the change lies between them), ``interval`` when a value between them is refused."""
    width = BISECT_TOL * max(1.0, abs(a), abs(b))
    for _ in range(200):
        if integer:
            if b - a <= 1:
                return a, b, math.nan, "whole"
            mid: float = math.floor((a + b) / 2)
        else:
            if b - a <= width:
                break
            mid = (a + b) / 2
        point = engine.at(mid, full=False)
        if point.status == "invalid":  # a value in between the scenario refuses
            return a, b, math.nan, "interval"
        if point.active == old:
            a = mid
        else:
            b = mid
    return a, b, _round_to(a + (b - a) / 2, b - a), "exact"


def _round_to(value: float, width: float) -> float:
    """``value`` to the decimals ``width`` allows (1380.00000004 → 1380)."""
    if width <= 0:
        return clean(value)
    decimals = max(0, -math.floor(math.log10(width * 10)))
    return clean(round(value, decimals))


def describe_active(engine: _Solver, items: list[str]) -> list[str]:
    """Active-set members in words: a position conceded, a limit binding (by its label and
    owner), no package."""
    scenario = engine.scenario
    rows = engine.compiled.model.rows
    names = {code: p.name or code for code, p in scenario.spec.parties.items()}
    out = []
    for item in items:
        if item.startswith("position "):
            party, _, position = item[len("position "):].partition(".")
            out.append(f"{party_name(party, names)} concedes on {position}")
        elif item == NO_PACKAGE:
            out.append("no package meets every hard limit")
        elif item == "<a package again>":
            out.append("a package meets every hard limit again")
        elif item in rows:
            info = rows[item].info
            out.append(f"'{info.label}' ({party_name(info.owner, names)}) binds")
        else:
            out.append(f"{item} binds")
    return out


def field_label(scenario: Scenario, field: str) -> str:
    """The swept field in words with its unit: ``Russia's flank_acv target (ACVs)``; a limit by
    the name the analyst gave it, its owner where that is a party, and its unit:
    ``limit flank_document_removed_oblasts_acv (ACVs)``, ``Russia's limit
    crf_no_rise_tanks_artillery, tanks (tanks)``."""
    from cfe_opt.scenario.quantities import linear_form
    from cfe_opt.text import form_categories, unit_of

    parts = field.split(".")
    names = {code: p.name or code for code, p in scenario.spec.parties.items()}
    if len(parts) >= 2 and parts[0] == "parties" and parts[1] in scenario.spec.parties:
        party = scenario.spec.parties[parts[1]]
        who = party_name(parts[1], names)
        if len(parts) == 5 and parts[2] == "positions" and parts[3] in party.positions:
            position = party.positions[parts[3]]
            unit = unit_of(form_categories(linear_form(scenario.index, position.quantity)))
            if parts[4] in ("target", "scale"):
                return f"{who}'s {parts[3]} {parts[4]} ({unit})"
            return f"{who}'s {parts[3]} {parts[4]}"
        if len(parts) >= 5 and parts[2] == "red_lines" and parts[3] in party.red_lines:
            quantity = getattr(party.red_lines[parts[3]], "quantity", None)
            if quantity is not None and parts[4] == "value":
                unit = unit_of(form_categories(linear_form(scenario.index, quantity)))
                return f"{who}'s red line {parts[3]} ({unit})"
        if len(parts) == 3 and parts[2] == "weight":
            return f"{who}'s weight"
        if len(parts) >= 4 and parts[-1] in SHORT:
            return f"{who}'s {' '.join(parts[2:-1])}, {category_unit(parts[-1])}"
    if len(parts) >= 3 and parts[0] == "limits" and parts[1] in scenario.spec.limits:
        limit = scenario.spec.limits[parts[1]]
        owner = getattr(limit, "owner", None)
        who = (f"{party_name(owner, names)}'s limit" if owner in scenario.spec.parties
               else "limit")
        quantity = getattr(limit, "quantity", None)
        if parts[2:] == ["value"] and quantity is not None:
            unit = unit_of(form_categories(linear_form(scenario.index, quantity)))
            return f"{who} {parts[1]} ({unit})"
        if len(parts) == 4 and parts[2] == "values":
            return f"{who} {parts[1]}, {parts[3]} ({category_unit(parts[3])})"
        return f"{who} {parts[1]}: {'.'.join(parts[2:])}"
    if parts[-1] in SHORT:
        return f"{'.'.join(parts[:-1])} ({category_unit(parts[-1])})"
    return field
