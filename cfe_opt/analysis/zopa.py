"""Zone of possible agreement: what values of a quantity (or of two) the hard limits allow.

Positions are ignored: their deviation variables make them always satisfiable, so the feasible
packages are exactly those meeting every treaty rule, commitment and red line.

* ``quantity_range``: min and max of one quantity F over the feasible packages, two LPs.
* ``feasible_region``: the set {(F_x, F_y)} over the feasible packages is the projection of a
  polytope onto two linear functions, a convex polygon. Its vertices come from support
  functions: the extreme vertex in each axis direction (max x then, held, max y; max y then
  min x; min x then min y; min y then max x — lexicographic, so each is a true vertex), then
  between adjacent vertices p, q (counter-clockwise) max of the outward normal n·(x, y) and,
  with it held, of the edge direction (so again a vertex, one end of the optimal face); a point
  strictly outside pq is a new vertex and both halves are searched again.
* ``preferred_points``: each party's targets on the axes, from its positions on the same
  quantities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import ValidationError

from cfe_opt.analysis.core import optimise
from cfe_opt.analysis.frontier import LexOutcome, lexicographic_minimum, not_optimal
from cfe_opt.errors import CfeOptError, SolverError
from cfe_opt.model.linear import Lin
from cfe_opt.results import clean
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.quantities import LinearForm, linear_form, quantity_label
from cfe_opt.scenario.schema import Quantity, Term
from cfe_opt.scenario.validate import quantity_problems
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus
from cfe_opt.text import figure_context, form_categories, unit_of

QuantityLike = Quantity | Mapping[str, Any] | str
TOLERANCE = 1e-7  # a point must lie this far (× max(1, |coordinates|)) outside an edge to count
MAX_VERTICES = 2000  # a guard against a numerically looping search

_FLIP = {"at_least": "at_most", "at_most": "at_least", "exactly": "exactly"}


# ---- quantities -------------------------------------------------------------------------------
def resolve_quantity(scenario: Scenario, quantity: QuantityLike) -> tuple[Quantity, str]:
    """The quantity and a label for it. ``quantity`` is a ``Quantity``, a mapping in the
    scenario's quantity format (one term inline or ``terms: [...]``), or ``PARTY.position``
    naming a position whose quantity to use. References are checked as in a scenario file."""
    where = scenario.display
    if isinstance(quantity, str):
        party, _, name = quantity.partition(".")
        if not name:
            raise CfeOptError(f"{where}: '{quantity}': expected PARTY.position (a party's "
                              "position whose quantity to use)")
        spec = scenario.spec.parties.get(party)
        if spec is None:
            raise CfeOptError(f"{where}: '{quantity}': '{party}' is not a party of the scenario")
        if name not in spec.positions:
            known = ", ".join(spec.positions) or "none"
            raise CfeOptError(f"{where}: '{quantity}': {party} has no position '{name}' "
                              f"(its positions: {known})")
        return spec.positions[name].quantity, quantity
    if isinstance(quantity, Mapping):
        try:
            quantity = Quantity.model_validate(dict(quantity))
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise CfeOptError(f"{where}: quantity{'.' + path if path else ''}: "
                              f"{first['msg']}") from None
    if not isinstance(quantity, Quantity):
        raise CfeOptError(f"{where}: a quantity must be a mapping, a Quantity or PARTY.position, "
                          f"not {type(quantity).__name__}")
    for path, reason in quantity_problems(scenario.spec, quantity, ("quantity",)):
        raise CfeOptError(f"{where}: {'.'.join(str(p) for p in path)}: {reason}")
    return quantity, quantity_label(quantity)


def quantity_form(scenario: Scenario, quantity: Quantity, label: str) -> LinearForm:
    """The quantity's linear form over the model's variables; an error if it names nothing the
    model includes, or a territorial ceiling that is not in play (not modelled)."""
    index = scenario.index
    missing = [f"{p}/{c}" for term in quantity.terms for p, c in _unmodelled(scenario, term)]
    if missing:
        raise CfeOptError(f"{scenario.display}: {label}: territorial ceiling(s) "
                          f"{', '.join(missing)} are not in play in this scenario (no current "
                          "figure, equipment, allowance, limit or position names them)")
    form = {k: c for k, c in linear_form(index, quantity).items() if c != 0}
    if not form:
        raise CfeOptError(f"{scenario.display}: {label}: the quantity selects nothing the model "
                          "includes (e.g. holdings of a party whose equipment is not modelled)")
    return form


def _unmodelled(scenario: Scenario, term: Term) -> list[tuple[str, str]]:
    index = scenario.index
    if term.of != "territorial_ceiling" or term.areas is not None:
        return []
    ground = [c for c in index.categories_of(term.categories) if c in index.ground]
    return [(p, c) for p in index.parties_of(term.parties)
            if index.spec.parties[p].territory for c in ground
            if (p, c) not in index.territorial_pairs]


def _feasible(cm: CompiledModel) -> SolveStatus:
    status, _ = optimise(cm, Lin())
    return status


# ---- one quantity: its range ------------------------------------------------------------------
def quantity_range(scenario: Scenario, quantity: QuantityLike,
                   solver: SolverName = "highs") -> pd.DataFrame:
    """The interval of values of ``quantity`` compatible with every hard limit: min F and max F
    over the feasible packages, each by one LP (positions ignored). A direction in which no hard
    limit stops F gives −inf / inf.

    One row indexed by ``quantity`` (its label) with ``minimum`` and ``maximum``; ``attrs``:
    ``quantity`` (the label). Raises ``InfeasibleError`` if no package meets the hard limits.
    """
    q, label = resolve_quantity(scenario, quantity)
    form = quantity_form(scenario, q, label)
    bounds = []
    cm = CompiledModel(scenario, solver=solver)
    for sign in (1.0, -1.0):
        expr = cm.model.expression({k: sign * c for k, c in form.items()})
        status, value = optimise(cm, expr)
        if status is SolveStatus.OPTIMAL and value is not None:
            bounds.append(clean(sign * value))
            continue
        if status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
            # HiGHS may report "infeasible or unbounded"; a feasibility solve tells them apart
            feasible = _feasible(cm)
            if feasible is SolveStatus.OPTIMAL:
                bounds.append(-sign * math.inf)
                continue
            status = feasible
        raise not_optimal(scenario, status, f"range of {label}")
    frame = pd.DataFrame({"minimum": [bounds[0]], "maximum": [bounds[1]]},
                         index=pd.Index([label], name="quantity"))
    frame.attrs["quantity"] = label
    frame.attrs["unit"] = unit_of(form_categories(form))
    frame.attrs.update(figure_context(scenario))
    return frame


# ---- two quantities: the feasible polygon -----------------------------------------------------
Point = tuple[float, float]


def feasible_region(scenario: Scenario, quantity_x: QuantityLike, quantity_y: QuantityLike,
                    solver: SolverName = "highs") -> pd.DataFrame:
    """The exact polygon of (F_x, F_y) over the packages that meet every hard limit.

    Method (see the module docstring): the four axis-extreme vertices by lexicographic
    maximisation, then between adjacent vertices p, q the support function in the outward
    normal n = (q_y − p_y, p_x − q_x), tie broken along the edge so the answer is a vertex; a
    point strictly outside pq is a new vertex and both halves are searched again.

    Returns the vertices counter-clockwise from the lowest-left one (smallest x, then y),
    indexed by ``vertex`` with columns ``x``, ``y``; one row for a point, two for a segment.
    ``attrs``: ``x``, ``y`` (the labels). Raises ``CfeOptError`` (one line) if a direction is
    unbounded (no hard limit stops the quantity), ``InfeasibleError`` if no package is feasible.
    """
    return region_on(CompiledModel(scenario, solver=solver), quantity_x, quantity_y)


def region_on(cm: CompiledModel, quantity_x: QuantityLike, quantity_y: QuantityLike
              ) -> pd.DataFrame:
    """``feasible_region`` on a compiled model as it stands (with any limits an analysis has
    added, such as the stated ranges of ``cfe_opt.analysis.agreement``)."""
    scenario = cm.scenario
    qx, label_x = resolve_quantity(scenario, quantity_x)
    qy, label_y = resolve_quantity(scenario, quantity_y)
    fx = quantity_form(scenario, qx, label_x)
    fy = quantity_form(scenario, qy, label_y)
    labels = (label_x, label_y)

    def support(first: Point, second: Point) -> Point:
        """The vertex maximising first·(x, y), then second·(x, y) with the first held."""
        def objective(d: Point) -> Any:
            return lambda m: m.expression(_combine(fx, fy, -d[0], -d[1]))

        outcome = lexicographic_minimum(cm, [objective(first), objective(second)])
        if not outcome.optimal:
            _raise(cm, outcome, (first, second), labels)
        return _point(cm, fx, fy)

    # counter-clockwise: right (upper end), top (left end), left (lower end), bottom (right end)
    extremes = [support((1, 0), (0, 1)), support((0, 1), (-1, 0)),
                support((-1, 0), (0, -1)), support((0, -1), (1, 0))]
    ring: list[Point] = []
    for p in extremes:
        if not any(_same(p, v) for v in ring):
            ring.append(p)
    if len(ring) > 1:
        edges = [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]
        found: list[tuple[Point, Point, Point]] = []  # (p, q, new vertex between them)
        pending = list(reversed(edges))
        while pending:
            p, q = pending.pop()
            nx, ny = q[1] - p[1], p[0] - q[0]
            norm = math.hypot(nx, ny)
            if norm <= _tol(p, q):
                continue
            nx, ny = nx / norm, ny / norm
            r = support((nx, ny), (q[0] - p[0], q[1] - p[1]))
            if (nx * r[0] + ny * r[1]) - (nx * p[0] + ny * p[1]) > _tol(p, q, r) and not (
                    _same(r, p) or _same(r, q)):
                found.append((p, q, r))
                if len(found) > MAX_VERTICES:
                    raise SolverError(f"{scenario.display}: feasible region: more than "
                                      f"{MAX_VERTICES} vertices (numerical trouble?)")
                pending.extend([(r, q), (p, r)])
        ring = _insert(ring, found)
    ring = _clean_ring(ring)
    frame = pd.DataFrame({"x": [p[0] for p in ring], "y": [p[1] for p in ring]},
                         index=pd.RangeIndex(len(ring), name="vertex"))
    frame.attrs.update(x=label_x, y=label_y, unit_x=unit_of(form_categories(fx)),
                       unit_y=unit_of(form_categories(fy)), **figure_context(scenario))
    return frame


def _combine(fx: LinearForm, fy: LinearForm, a: float, b: float) -> LinearForm:
    out: dict = {}
    for form, weight in ((fx, a), (fy, b)):
        if weight == 0:
            continue
        for key, coef in form.items():
            out[key] = out.get(key, 0.0) + weight * coef
    return out


def _point(cm: CompiledModel, fx: LinearForm, fy: LinearForm) -> Point:
    return cm.value(cm.model.expression(fx)), cm.value(cm.model.expression(fy))


def _raise(cm: CompiledModel, outcome: LexOutcome, directions: tuple[Point, Point],
           labels: tuple[str, str]) -> None:
    scenario = cm.scenario
    status = outcome.status
    if status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
        feasible = _feasible(cm) if outcome.stage == 0 else SolveStatus.OPTIMAL
        if feasible is SolveStatus.OPTIMAL:
            dx, dy = directions[outcome.stage]
            axis, sign = (labels[0], dx) if dx != 0 else (labels[1], dy)
            side = "above" if sign > 0 else "below"
            raise CfeOptError(f"{scenario.display}: feasible region: {axis} is unbounded {side} "
                              "(no hard limit stops it), so the region is not a polygon; use "
                              "quantity_range, or add a limit")
        status = feasible
    raise not_optimal(scenario, status, "feasible region")


def _tol(*points: Point) -> float:
    return TOLERANCE * max(1.0, *(abs(c) for p in points for c in p))


def _same(p: Point, q: Point) -> bool:
    return abs(p[0] - q[0]) <= _tol(p, q) and abs(p[1] - q[1]) <= _tol(p, q)


def _insert(ring: list[Point], found: list[tuple[Point, Point, Point]]) -> list[Point]:
    """Put each new vertex between the two it was found between, recursively."""
    between = {(p, q): r for p, q, r in found}

    def expand(p: Point, q: Point) -> list[Point]:
        r = between.get((p, q))
        return [p] if r is None else expand(p, r) + expand(r, q)

    out: list[Point] = []
    for i, p in enumerate(ring):
        out.extend(expand(p, ring[(i + 1) % len(ring)]))
    return out


def _clean_ring(ring: list[Point]) -> list[Point]:
    """Drop repeated and collinear points (a safeguard); clean the numbers; start at the
    smallest (x, y)."""
    out = [p for i, p in enumerate(ring) if i == 0 or not _same(p, ring[i - 1])]
    while len(out) > 1 and _same(out[0], out[-1]):
        out.pop()
    changed = True
    while changed and len(out) > 2:
        changed = False
        for i in range(len(out)):
            p, r, q = out[i - 1], out[i], out[(i + 1) % len(out)]
            cross = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
            length = math.hypot(q[0] - p[0], q[1] - p[1])
            if length > 0 and abs(cross) / length <= _tol(p, q, r):
                del out[i]
                changed = True
                break
    out = [(clean(x), clean(y)) for x, y in out]
    start = min(range(len(out)), key=lambda i: out[i])
    return out[start:] + out[:start]


# ---- the parties' preferred points ------------------------------------------------------------
def preferred_points(scenario: Scenario, quantity_x: QuantityLike,
                     quantity_y: QuantityLike | None = None) -> pd.DataFrame:
    """Each party's target on each axis, from its positions on the same quantity.

    A position matches an axis when its linear form is k times the axis's (k ≠ 0; k = 1 when the
    quantities are the same): its target on the axis is T/k (direction reversed if k < 0). A
    party with several positions on one axis is given the first, in scenario order (its own,
    then those it holds jointly with another party, named ``OWNER.position``).
    Indexed by ``party`` (parties with a position on either axis, in scenario order); columns
    ``x``, ``position_x``, ``direction_x``, ``range_min_x``, ``range_max_x`` (the position's
    acceptable range on the axis; and the same for ``y`` when ``quantity_y`` is given), NaN /
    empty where the party states no target or no range on that axis.
    """
    index = scenario.index
    axes = {"x": quantity_x} if quantity_y is None else {"x": quantity_x, "y": quantity_y}
    forms, labels = {}, {}
    for axis, quantity in axes.items():
        q, labels[axis] = resolve_quantity(scenario, quantity)
        forms[axis] = quantity_form(scenario, q, labels[axis])
    rows = []
    held: dict[str, list[tuple[str, Any]]] = {code: list(party.positions.items())
                                              for code, party in scenario.spec.parties.items()}
    for owner, party in scenario.spec.parties.items():
        for name, position in party.positions.items():
            for holder in index.parties_of(position.joint_with):
                if holder != owner:
                    held[holder].append((f"{owner}.{name}", position))
    for code in scenario.spec.parties:
        row: dict[str, Any] = {"party": code}
        for axis, axis_form in forms.items():
            row.update({axis: math.nan, f"position_{axis}": "", f"direction_{axis}": "",
                        f"range_min_{axis}": math.nan, f"range_max_{axis}": math.nan})
            for name, position in held[code]:
                k = form_ratio(linear_form(index, position.quantity), axis_form)
                if k is None:
                    continue
                low, high = _range_on_axis(position, k)
                row.update({axis: clean(float(position.target) / k), f"position_{axis}": name,
                            f"direction_{axis}": position.direction if k > 0
                            else _FLIP[position.direction],
                            f"range_min_{axis}": low, f"range_max_{axis}": high})
                break
        if any(row[f"position_{axis}"] for axis in forms):
            rows.append(row)
    columns = ["party"] + [c for axis in forms
                           for c in (axis, f"position_{axis}", f"direction_{axis}",
                                     f"range_min_{axis}", f"range_max_{axis}")]
    frame = pd.DataFrame(rows, columns=columns).set_index("party")
    frame.attrs.update(labels)
    frame.attrs.update(figure_context(scenario))
    return frame


def _range_on_axis(position: Any, k: float) -> tuple[float, float]:
    """The position's acceptable range in the axis's terms (divided by k, ends swapped if
    k < 0); NaN where an end is not stated."""
    rng = position.range
    if rng is None:
        return math.nan, math.nan
    ends = [math.nan if v is None else clean(float(v) / k) for v in (rng.min, rng.max)]
    return (ends[0], ends[1]) if k > 0 else (ends[1], ends[0])


def form_ratio(form: LinearForm, axis: LinearForm) -> float | None:
    """k with form = k·axis, or None (the zone of agreement matches positions to axes by it)."""
    form = {key: c for key, c in form.items() if c != 0}
    if not form or set(form) != set(axis):
        return None
    key = next(iter(axis))
    k = form[key] / axis[key]
    if k == 0 or any(abs(form[key] - k * c) > 1e-12 * max(1.0, abs(form[key]))
                     for key, c in axis.items()):
        return None
    return k
