"""The zone of possible agreement over the stated ranges, as negotiation theory means it: the
values of a quantity that lie inside every party's acceptable range, under the hard limits.

A position's ``range`` is what its party can accept (its ``min`` and ``max``, on the position's
own quantity). Each stated edge is a limit here — F_n ≥ min or F_n ≤ max — together with every
hard limit; the zone of a quantity Q is then [min Q, max Q] over the packages meeting them all
(two LPs; ±inf where nothing stops Q). Positions without a range narrow nothing. The
hard-limits-only range (``quantity_range``) is reported beside it.

When no package lies inside every stated range the ranges clash. Each edge gets a widening
w ≥ 0 (F_n + w ≥ min, F_n − w ≤ max), fixed at 0 except when sought:

* **which ranges clash**: every minimal set of edges that cannot all hold with the hard limits
  (``minimal_sets`` over the test min Σ_{kept} w > 0, the other edges free), and **by how
  much**: for each set, the least total widening of its own edges that lets them hold
  together (the others let go) — "Russia's minimum 1,700 against Turkey's maximum 1,600: 100
  ACVs apart";
* **the smallest widening that opens a zone**: min Σ w over every edge (in the edges' own
  units), the edges it moves and their new values, and the zone of Q once they are moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.analysis import zopa as _zopa
from cfe_opt.analysis.core import optimise
from cfe_opt.analysis.minimal_sets import minimal_sets
from cfe_opt.analysis.zopa import QuantityLike, quantity_form, region_on, resolve_quantity
from cfe_opt.errors import CfeOptError, InfeasibleError
from cfe_opt.model.linear import Lin
from cfe_opt.results import clean
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.quantities import linear_form
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus
from cfe_opt.text import figure_context, form_categories, unit_of

WIDEN_TOL = 1e-7  # a widening below this (× max(1, |edge|)) is none
EDGE_COLUMNS = ["party", "position", "edge", "value", "unit", "on_quantity", "bounds",
                "widening", "widened_value"]


@dataclass(frozen=True)
class _Edge:
    party: str
    position: str
    edge: str  # min | max
    value: float
    form: dict
    unit: str

    @property
    def name(self) -> str:
        return f"{self.party}.{self.position}.{self.edge}"

    def phrase(self, names: dict[str, str]) -> str:
        from cfe_opt.text import fmt, party_name

        what = "minimum" if self.edge == "min" else "maximum"
        return f"{party_name(self.party, names)}'s {what} {fmt(self.value)} ({self.position})"


@dataclass
class Zone:
    """The zone of one quantity (see the module docstring).

    * ``ranges``: basis (``hard limits``, ``stated ranges``, and ``once widened`` when they
      clash) → minimum, maximum, status (``zone``, ``point``, ``empty``); ``attrs``:
      ``quantity``, ``unit``.
    * ``edges``: (party, position, edge) → the stated value, unit, whether it is on the
      quantity itself (``on_quantity``), which end of the zone it sets (``bounds``: min, max
      or empty), and where they clash the ``widening`` of the smallest opening and the
      ``widened_value``.
    * ``clashes``: (clash, party, position, edge) → value, unit, and ``apart``: the least total
      widening of that set's own edges that lets them hold together.
    """

    ranges: pd.DataFrame
    edges: pd.DataFrame
    clashes: pd.DataFrame

    @property
    def empty(self) -> bool:
        return bool((self.ranges.loc["stated ranges", "status"]) == "empty")


def stated_edges(scenario: Scenario) -> list[_Edge]:
    """Every stated range edge of every position, in scenario order."""
    index = scenario.index
    out = []
    for code, party in scenario.spec.parties.items():
        for name, position in party.positions.items():
            if position.range is None:
                continue
            form = {k: c for k, c in linear_form(index, position.quantity).items() if c != 0}
            unit = unit_of(form_categories(form))
            for edge in ("min", "max"):
                value = getattr(position.range, edge)
                if value is not None:
                    out.append(_Edge(code, name, edge, float(value), form, unit))
    return out


class _Ranges:
    """The stated edges as limits on one compiled model, each with its widening column."""

    def __init__(self, cm: CompiledModel, edges: list[_Edge]) -> None:
        self.cm, self.edges = cm, edges
        model = cm.model
        keys = [("range", e.party, e.position, e.edge) for e in edges]
        new = [k for k in keys if not model.has_var(("violation", *k))]
        if new:
            model.add_variables("violation", new, up=dict.fromkeys(new, 0.0), integer=False)
        self.cols = {e.name: model.col(("violation", *k)) for e, k in zip(edges, keys,
                                                                          strict=True)}
        for e in edges:
            expr = model.expression(e.form)
            w = Lin({self.cols[e.name]: 1.0})
            if e.edge == "min":
                cm.set_limit(("range", e.name), expr + w, ">=", e.value,
                             f"{e.party} {e.position}: acceptable range min")
            else:
                cm.set_limit(("range", e.name), expr - w, "<=", e.value,
                             f"{e.party} {e.position}: acceptable range max")

    def release(self) -> None:
        for e in self.edges:
            self.cm.free_limit(("range", e.name))
            self.cm.model.set_col_bounds(self.cols[e.name], 0.0, 0.0)

    def widening(self, costly: set[str], free: set[str]) -> float | None:
        """min Σ_{costly} w with the edges in ``free`` let go (w unbounded at no cost), the
        rest held (w = 0); None if no package then exists (the hard limits alone clash)."""
        model = self.cm.model
        for e in self.edges:
            up = math.inf if e.name in costly or e.name in free else 0.0
            model.set_col_bounds(self.cols[e.name], 0.0, up)
        try:
            status, value = optimise(self.cm, Lin({self.cols[n]: 1.0 for n in costly}))
        finally:
            for e in self.edges:
                model.set_col_bounds(self.cols[e.name], 0.0, 0.0)
        return value if status is SolveStatus.OPTIMAL else None

    def open_all(self) -> None:
        for col in self.cols.values():
            self.cm.model.set_col_bounds(col, 0.0, math.inf)


def agreement_zone(scenario: Scenario, quantity: QuantityLike,
                   solver: SolverName = "highs") -> Zone:
    """The zone of possible agreement of ``quantity`` over the stated ranges, beside its
    hard-limits-only range; where the ranges clash, which clash and by how much and the
    smallest widening that opens a zone (see the module docstring)."""
    q, label = resolve_quantity(scenario, quantity)
    form = quantity_form(scenario, q, label)
    unit = unit_of(form_categories(form))
    hard = _zopa.quantity_range(scenario, q, solver=solver)  # InfeasibleError: no package
    names = {code: p.name or code for code, p in scenario.spec.parties.items()}
    edges = stated_edges(scenario)
    cm = CompiledModel(scenario, solver=solver)
    ranges = _Ranges(cm, edges)
    expr = cm.model.expression(form)
    rows = [_range_row("hard limits", float(hard["minimum"].iloc[0]),
                       float(hard["maximum"].iloc[0]))]
    widening: dict[str, float] = {}
    clashes: list[tuple[list[str], float]] = []
    complete = True
    try:
        zone = _extent(cm, expr)
        if zone is not None:
            rows.append(_range_row("stated ranges", *zone))
        else:
            rows.append({"basis": "stated ranges", "minimum": math.nan, "maximum": math.nan,
                         "status": "empty"})
            names_all = [e.name for e in edges]

            def conflicting(kept: set[str]) -> bool:
                value = ranges.widening(kept, set(names_all) - kept)
                return value is not None and value > WIDEN_TOL

            found = minimal_sets(names_all, conflicting)
            complete = found.complete
            for members in found.sets:
                apart = ranges.widening(set(members), set(names_all) - set(members))
                clashes.append((members, clean(apart or 0.0)))
            total = ranges.widening(set(names_all), set())
            if total is not None:
                x = cm.x
                widening = {e.name: clean(float(x[ranges.cols[e.name]])) for e in edges}
                ranges.open_all()
                widened = _widened_extent(cm, expr, ranges, widening)
                rows.append(_range_row("once widened", *widened))
    finally:
        ranges.release()
    frame = pd.DataFrame(rows, columns=["basis", "minimum", "maximum", "status"])
    frame = frame.set_index("basis")
    context = figure_context(scenario)
    frame.attrs.update(quantity=label, unit=unit, complete_clashes=complete, **context)
    edge_frame = _edge_table(edges, form, frame, widening)
    edge_frame.attrs.update(frame.attrs)
    clash_frame = _clash_table(edges, clashes)
    clash_frame.attrs.update(frame.attrs)
    clash_frame.attrs["phrases"] = [_clash_phrase(edges, m, a, names) for m, a in clashes]
    return Zone(ranges=frame, edges=edge_frame, clashes=clash_frame)


def agreement_region(scenario: Scenario, quantity_x: QuantityLike, quantity_y: QuantityLike,
                     solver: SolverName = "highs") -> pd.DataFrame | None:
    """The polygon of two quantities over the packages inside every stated range (under the
    hard limits), as ``feasible_region`` gives it; None when the ranges clash (no package)."""
    cm = CompiledModel(scenario, solver=solver)
    ranges = _Ranges(cm, stated_edges(scenario))
    try:
        if optimise(cm, Lin())[0] is SolveStatus.INFEASIBLE:
            return None
        return region_on(cm, quantity_x, quantity_y)
    finally:
        ranges.release()


def _range_row(basis: str, low: float, high: float) -> dict[str, Any]:
    status = "point" if math.isfinite(low) and abs(high - low) <= 1e-9 * max(1.0, abs(low)) \
        else "zone"
    return {"basis": basis, "minimum": clean(low) if math.isfinite(low) else low,
            "maximum": clean(high) if math.isfinite(high) else high, "status": status}


def _extent(cm: CompiledModel, expr: Lin) -> tuple[float, float] | None:
    """(min, max) of ``expr`` on the model as it stands (±inf where unbounded); None if no
    package meets it."""
    out = []
    for sign in (1.0, -1.0):
        status, value = optimise(cm, expr * sign)
        if status is SolveStatus.OPTIMAL and value is not None:
            out.append(sign * value)
            continue
        status, _ = optimise(cm, Lin())
        if status is SolveStatus.OPTIMAL:  # feasible, so this direction is unbounded
            out.append(-sign * math.inf)
            continue
        if status is SolveStatus.INFEASIBLE:
            return None
        raise CfeOptError(f"{cm.scenario.display}: zone of possible agreement: the solver "
                          f"stopped with status {status.value}")
    return out[0], out[1]


def _widened_extent(cm: CompiledModel, expr: Lin, ranges: _Ranges,
                    widening: dict[str, float]) -> tuple[float, float]:
    """The zone with each edge moved by its widening (the smallest opening)."""
    model = cm.model
    for e in ranges.edges:
        w = widening.get(e.name, 0.0)
        model.set_col_bounds(ranges.cols[e.name], w, w)
    extent = _extent(cm, expr)
    if extent is None:  # the solver's accuracy: allow the widening a hair more
        for e in ranges.edges:
            w = widening.get(e.name, 0.0)
            model.set_col_bounds(ranges.cols[e.name], 0.0, w * (1 + 1e-7) + 1e-7)
        extent = _extent(cm, expr)
    if extent is None:
        raise InfeasibleError(f"{cm.scenario.display}: the widened ranges still admit no "
                              "package (numerical trouble?)")
    return extent


def _edge_table(edges: list[_Edge], form: dict, ranges: pd.DataFrame,
                widening: dict[str, float]) -> pd.DataFrame:
    zone = ranges.loc["stated ranges"]
    rows = []
    for e in edges:
        on = _zopa.form_ratio(e.form, form)
        bounds = ""
        if on is not None and zone["status"] != "empty":
            end = e.value / on
            if (e.edge == "min") == (on > 0) and _close(end, zone["minimum"]):
                bounds = "min"
            elif (e.edge == "max") == (on > 0) and _close(end, zone["maximum"]):
                bounds = "max"
        w = widening.get(e.name, math.nan) if widening else math.nan
        moved = math.nan if math.isnan(w) else clean(e.value - w if e.edge == "min"
                                                     else e.value + w)
        rows.append({"party": e.party, "position": e.position, "edge": e.edge,
                     "value": e.value, "unit": e.unit, "on_quantity": on is not None,
                     "bounds": bounds, "widening": w, "widened_value": moved})
    return pd.DataFrame(rows, columns=EDGE_COLUMNS).set_index(["party", "position", "edge"])


def _clash_table(edges: list[_Edge], clashes: list[tuple[list[str], float]]) -> pd.DataFrame:
    by_name = {e.name: e for e in edges}
    rows = []
    for number, (members, apart) in enumerate(clashes, start=1):
        for name in members:
            e = by_name[name]
            rows.append({"clash": number, "party": e.party, "position": e.position,
                         "edge": e.edge, "value": e.value, "unit": e.unit, "apart": apart})
    frame = pd.DataFrame(rows, columns=["clash", "party", "position", "edge", "value", "unit",
                                        "apart"])
    return frame.set_index(["clash", "party", "position", "edge"])


def _clash_phrase(edges: list[_Edge], members: list[str], apart: float,
                  names: dict[str, str]) -> str:
    """``Russia's minimum 1,700 (flank_acv) against Turkey's maximum 1,600
    (flank_acv_no_rise): 100 ACVs apart``."""
    from cfe_opt.text import with_unit

    by_name = {e.name: e for e in edges}
    chosen = [by_name[n] for n in members]
    lows = [e for e in chosen if e.edge == "min"]
    highs = [e for e in chosen if e.edge == "max"]
    units = {e.unit for e in chosen}
    amount = with_unit(apart, units.pop()) if len(units) == 1 else f"{apart:g} (in the " \
        "edges' own units)"
    if lows and highs:
        text = (" and ".join(e.phrase(names) for e in lows) + " against "
                + " and ".join(e.phrase(names) for e in highs))
    else:
        text = " with ".join(e.phrase(names) for e in chosen) + " (with the hard limits)"
    return f"{text}: {amount} apart"


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-6 * max(1.0, abs(b))
