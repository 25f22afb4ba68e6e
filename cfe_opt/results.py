"""Results as tidy DataFrames with named indexes: the public result format.

Values are reported as solved: fractions are shown, never rounded to whole units. Solver noise
is removed by writing every number to 6 decimal places (and -0 as 0).

A solved ``Result``'s tables (``allocation``, ``equipment``, ``positions``, ``constraints``), its
named ``outcomes``, its ``assumptions`` and ``later_stand_ins`` are built on first read
(``LAZY_FIELDS``), each from what the solve left — the solution arrays and the numbers the model
had then (``AtSolve``) — so a reader who needs one table (the what-if panel needs
``positions``) does not pay for the others, and a table read later equals the one read at once
even after the compiled model has moved on to other numbers. The tables' format is unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from cfe_opt.categories import STATUSES
from cfe_opt.model.core import Model
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.quantities import quantity_label
from cfe_opt.scenario.sets import MAIN
from cfe_opt.scenario.sets import TOTAL as _TOTAL
from cfe_opt.solve import SolveRun, SolveStatus, StageResult
from cfe_opt.text import form_categories, unit_of

if TYPE_CHECKING:  # pandas is imported by the tables' builders, when a table is first read
    import pandas as pd

Solution = np.ndarray  # column values, by column index

TOTAL = _TOTAL  # the area label of a party's whole-state row in the allocation table
DECIMALS = 6
SIGNIFICANT = 9
RATIO_ZERO = 1e-12
# a deviation below half the counts' last decimal reports as 0 units, and counts as 0: two
# optimal solutions the solver cannot tell apart (its tolerances, the stage holds) differ by
# ~10⁻⁹ units, which divided by a scale would otherwise show as a normalised 10⁻¹¹
DEVIATION_ZERO = 0.5 * 10.0 ** -DECIMALS
BINDING_TOL = 1e-6


def clean(value: float | None) -> float:
    """A count (units of equipment) without solver noise: 6 decimals, then 9 significant
    digits (and -0 as 0)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    value = float(f"{round(float(value), DECIMALS):.{SIGNIFICANT}g}")
    return 0.0 if value == 0 else value


def clean_ratio(value: float | None) -> float:
    """A ratio (normalised deviation, objective, shadow price) without solver noise: 9
    significant digits, and magnitudes below 1e-12 as 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if math.isinf(value):
        return float(value)
    if abs(value) < RATIO_ZERO:
        return 0.0
    return float(f"{float(value):.{SIGNIFICANT}g}")


@dataclass
class Result:
    """One solve of one scenario: status, objective, timings and the result tables."""

    scenario: str
    scenario_sha256: str
    objective_mode: str
    status: SolveStatus
    objective: float | None
    stages: list[StageResult]
    solver: str
    solver_version: str
    integer: bool
    build_seconds: float
    solve_seconds: float
    duals_available: bool
    allocation: pd.DataFrame | None = None
    equipment: pd.DataFrame | None = None
    positions: pd.DataFrame | None = None
    constraints: pd.DataFrame | None = None
    concession: pd.DataFrame | None = None  # infeasible only: the smallest concession
    assumptions: list[str] = field(default_factory=list)
    outcomes: dict[str, float] = field(default_factory=dict)  # named outcomes at the package
    as_of: str | None = None  # the scenario's date, if it has one
    case: str | None = None  # the case of the scenario file solved (None: the file as written)
    later_stand_ins: list[dict[str, str]] = field(default_factory=list)  # inputs after as_of
    robustness: pd.DataFrame | None = None  # with --robustness: outcomes over the band
    notes: list[str] = field(default_factory=list)
    model: Model | None = field(default=None, repr=False, compare=False)
    run: SolveRun | None = field(default=None, repr=False, compare=False)

    @property
    def optimal(self) -> bool:
        return self.status is SolveStatus.OPTIMAL

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"allocation": self.allocation, "equipment": self.equipment,
               "positions": self.positions, "constraints": self.constraints,
               "concession": self.concession, "robustness_band": self.robustness}
        return {k: v for k, v in out.items() if v is not None}

    def defer(self, **builders: Callable[[], Any]) -> None:
        """Fields (of ``LAZY_FIELDS``) to build on first read, each by its builder."""
        unknown = set(builders) - set(LAZY_FIELDS)
        if unknown:
            raise ValueError(f"not a lazy field of Result: {', '.join(sorted(unknown))}")
        self.__dict__.setdefault("_pending", {}).update(builders)

    def materialise(self) -> Result:
        """Build every field still pending (a copy or a pickle then holds no builders)."""
        for name in LAZY_FIELDS:
            getattr(self, name)
        return self

    def __getstate__(self) -> dict[str, Any]:
        self.materialise()
        return {k: v for k, v in self.__dict__.items() if k != "_pending"}


LAZY_FIELDS = ("allocation", "equipment", "positions", "constraints", "outcomes", "assumptions",
               "later_stand_ins")


class _Lazy:
    """A field of ``Result`` built on first read when a builder is pending for it (``defer``);
    setting it drops the builder."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        values = obj.__dict__
        pending = values.get("_pending")
        if pending and self.name in pending:
            values[self.name] = pending[self.name]()
            del pending[self.name]  # after the build: a builder that fails stays pending
        return values[self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        pending = obj.__dict__.get("_pending")
        if pending:
            pending.pop(self.name, None)
        obj.__dict__[self.name] = value


for _name in LAZY_FIELDS:  # after @dataclass: its __init__ sets each field through these
    setattr(Result, _name, _Lazy(_name))


class AtSolve:
    """The model as a solve left it, for building tables later: the parameter values and the
    rows' numbers then (``CompiledModel.apply`` sets new ones in place), the rows and matrix
    entries there were (analyses add their own later). Reads everything else from the model,
    whose structure does not change."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self.theta = list(model.theta)
        self.rhs = [row.rhs for row in model.row_list]
        self._rows, self._entries = len(model.row_list), len(model.entry_row)
        # what the table builders read most, bound once
        self.index, self.positions, self.integer = model.index, model.positions, model.integer
        self.has_var, self.col, self.col_keys = model.has_var, model.col, model.col_keys

    def number(self, x: Any) -> float:
        return Model.number(self, x)  # type: ignore[arg-type]  # with this theta

    @property
    def row_list(self) -> list[Any]:
        return self._model.row_list[: self._rows]

    @property
    def num_rows(self) -> int:
        return self._rows

    @property
    def entry_row(self) -> list[int]:
        return self._model.entry_row[: self._entries]

    @property
    def entry_col(self) -> list[int]:
        return self._model.entry_col[: self._entries]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def assemble(model: Model, run: SolveRun, mode: str, build_seconds: float) -> Result:
    """The ``Result`` of a run on ``model``: status, objective and timings now, the tables,
    outcomes and assumptions on first read (see the module docstring)."""
    scenario = model.scenario
    result = Result(
        scenario=scenario.name, scenario_sha256=scenario.sha256, objective_mode=mode,
        status=run.status,
        objective=clean_ratio(run.objective) if run.objective is not None else None,
        stages=run.stages, solver=run.solver, solver_version=run.solver_version,
        integer=model.integer, build_seconds=build_seconds, solve_seconds=run.solve_seconds,
        duals_available=run.row_dual is not None, as_of=scenario.spec.as_of,
        case=scenario.case, model=model, run=run,
    )
    if model.integer:
        result.notes.append("solved as a MILP (--integer): whole-number values, no shadow "
                            "prices")
    elif run.status is SolveStatus.OPTIMAL and run.row_dual is None:
        result.notes.append(f"{run.solver} gives no reliable duals here: no shadow prices")
    result.defer(later_stand_ins=lambda: later_stand_ins(scenario))
    if run.status is not SolveStatus.OPTIMAL:
        result.defer(assumptions=lambda: assumption_list(scenario))
        return result
    assert run.x is not None and run.activity is not None
    at, x, activity, dual = AtSolve(model), run.x, run.activity, run.row_dual
    result.defer(
        allocation=lambda: allocation_table(at, x),  # type: ignore[arg-type]
        equipment=lambda: equipment_table(at, x),  # type: ignore[arg-type]
        positions=lambda: positions_table(at, x),  # type: ignore[arg-type]
        constraints=lambda: constraints_table(at, activity, dual,  # type: ignore[arg-type]
                                              rhs=at.rhs),
        outcomes=lambda: outcome_values(at, x),  # type: ignore[arg-type]
        assumptions=lambda: assumption_list(scenario) + default_scale_assumptions(
            result.positions, result.constraints))
    return result


def outcome_values(model: Model, x: Solution) -> dict[str, float]:
    """Each named outcome (``outcomes``) at the package: its quantity's value."""
    from cfe_opt.scenario.quantities import linear_form

    out = {}
    for name, outcome in model.index.spec.outcomes.items():
        form = linear_form(model.index, outcome.quantity)
        out[name] = clean(sum(model.number(c) * _value(model, x, k) for k, c in form.items()))
    return out


def default_scale_assumptions(positions: pd.DataFrame | None,
                              constraints: pd.DataFrame | None = None) -> list[str]:
    """Each side of a position normalised by the default scale max(|T|, 1) where it decides the
    answer: the position is missed on that side, or it is met exactly and holds the answer back
    (its row binds with a non-zero shadow price: the trade-off against the positions it holds
    back is weighed with that scale). The robustness table (``cfe_opt.analysis.robustness``)
    shows how far the answer moves with the scales."""
    if positions is None:
        return []
    found = []
    holding_back: set[str] = set()  # position rows that bind with a non-zero price
    if constraints is not None:
        price = constraints["shadow_price"].to_numpy(dtype=float)
        binding = constraints["binding"].to_numpy(dtype=bool)
        with np.errstate(invalid="ignore"):
            back = binding & ~np.isnan(price) & (np.abs(price) > RATIO_ZERO)
        holding_back = {str(constraints.index[i]) for i in np.flatnonzero(back)}
    columns = {name: positions[name].tolist() for name in (
        "deviation", "achieved", "target", "scale_under", "scale_over", "scale_under_source",
        "scale_over_source")}
    for k, (party, name) in enumerate(positions.index):
        row = {column: values[k] for column, values in columns.items()}
        sides = []
        if row["deviation"] > BINDING_TOL:
            sides.append(("under" if row["achieved"] < row["target"] else "over", "missed"))
        elif constraints is not None:
            for side in ("under", "over"):
                if f"position.{side}.{party}.{name}" in holding_back:
                    sides.append((side, "holds back"))
        for side, how in sides:
            if row[f"scale_{side}_source"] != "default":
                continue
            what = "shortfall below" if side == "under" else "excess above"
            found.append(f"parties.{party}.positions.{name}: the default scale "
                         f"{_fmt_number(row[f'scale_{side}'])} (max(|target|, 1); no range or "
                         f"scale stated) weighs its {what} the target, and the position "
                         f"{'is missed' if how == 'missed' else 'holds the answer back'}: "
                         "the default decides the answer")
    return found


def _fmt_number(value: float) -> str:
    return f"{value:,.6g}"


def later_stand_ins(scenario: Scenario) -> list[dict[str, str]]:
    """Every input flagged as a later stand-in (dated after the scenario's ``as_of``)."""
    from cfe_opt.scenario.validate import dated_inputs
    from cfe_opt.scenario.yaml_safe import format_path

    return [{"field": format_path(path), "date": item.date or "",
             "note": getattr(item, "note", "") or ""}
            for path, item in dated_inputs(scenario.spec) if getattr(item, "stand_in", False)]


def _value(model: Model, x: Solution, key: tuple) -> float:
    col = model.variables.get(key[0], _NO_COLUMNS).get(key[1:])
    return math.nan if col is None else float(x[col])


_NO_COLUMNS: dict[tuple, int] = {}


STATE_COLUMNS = ["national_ceiling_before", "national_ceiling", "territorial_ceiling_before",
                 "territorial_ceiling", "temporary_deployment",
                 "temporary_deployment_exceptional",
                 *(f"{v}_cut_{f}" for v in ("national_ceiling", "territorial_ceiling")
                   for f in ("national", "mandated")),
                 "holdings_before", "holdings_after", "reduction", "on_territory_before",
                 "on_territory_after", "active_after", "storage_after"]
AREA_COLUMNS = ["territorial_subceiling_before", "territorial_subceiling",
                "active_subceiling_before", "active_subceiling", "temporary_deployment_in_area",
                "temporary_deployment_exceptional_in_area", "in_area_before", "in_area_after",
                "active_in_area_after", "storage_in_area_after"]
ALLOCATION_COLUMNS = ["party", "area", "category", *STATE_COLUMNS, *AREA_COLUMNS]


def allocation_table(model: Model, x: Solution) -> pd.DataFrame:
    """(party, area, category) → ceilings, holdings before/after, reduction, equipment on
    territory. Area ``total`` is the whole state; other areas are its declared areas and
    ``main`` (the rest of its territory).

    Each level has columns of its own, so no sum over a column mixes a state's figure with its
    areas': the state rows fill ``STATE_COLUMNS`` (national and territorial ceiling, temporary
    deployment, holdings, reduction, equipment on the whole territory), the area rows
    ``AREA_COLUMNS`` (the area's sub-ceiling and the equipment in it; an area's equipment adds
    up, over the areas of a state, to the state's). A value that is not modelled — no equipment
    of anyone's is modelled on that territory, no current figure exists — is empty (NaN),
    never 0."""
    index = model.index
    number = model.number
    on_before: dict[tuple, float] = {}
    on_after: dict[tuple, float] = {}
    by_status: dict[tuple, float] = {}
    for key in index.equipment_keys():
        _owner, p, a, c, k = key
        after = _value(model, x, ("equipment", *key))
        for loc in ((p, a, c), (p, TOTAL, c)):
            on_before[loc] = on_before.get(loc, 0.0) + number(index.equipment_before[key])
            on_after[loc] = on_after.get(loc, 0.0) + after
            for status in STATUSES:
                by_status.setdefault((*loc, status), 0.0)
            by_status[(*loc, k)] += after
    rows = []
    for p in index.parties:
        has_territory = index.spec.parties[p].territory
        for c in index.categories:
            ground = c in index.ground
            held = index.holds(p, c)
            if not held and (p, c) not in index.territorial_set:
                continue
            on_land = ground and has_territory
            rows.append({
                "party": p, "area": TOTAL, "category": c,
                "national_ceiling_before": _num(model, index.national_ceiling_now(p, c)),
                "national_ceiling": _value(model, x, ("national_ceiling", p, c)),
                "territorial_ceiling_before": _num(model, index.territorial_ceiling_now(p, c))
                if on_land else math.nan,
                "territorial_ceiling": _value(model, x, ("territorial_ceiling", p, c)),
                "temporary_deployment": _value(model, x, (
                    "temporary_deployment", "basic", p, TOTAL, c)),
                "temporary_deployment_exceptional": _value(model, x, (
                    "temporary_deployment", "exceptional", p, TOTAL, c)),
                **_cuts(model, x, p, c),
                "holdings_before": number(index.holdings_before(p, c)) if held else math.nan,
                "holdings_after": _value(model, x, ("holdings", p, c)),
                "reduction": _value(model, x, ("reduction", p, c)),
                "on_territory_before": on_before.get((p, TOTAL, c), math.nan)
                if on_land else math.nan,
                "on_territory_after": on_after.get((p, TOTAL, c), math.nan)
                if on_land else math.nan,
                "active_after": by_status.get((p, TOTAL, c, "active"), math.nan)
                if on_land else math.nan,
                "storage_after": by_status.get((p, TOTAL, c, "storage"), math.nan)
                if on_land else math.nan,
            })
        for (_, a) in index.territory[p]:
            for c in index.ground:
                rows.append({
                    "party": p, "area": a, "category": c,
                    "territorial_subceiling_before": _num(model, index.subceiling_now(p, a, c))
                    if a != MAIN and (p, a) in index.subceiling_set else math.nan,
                    "territorial_subceiling": _value(model, x, (
                        "territorial_subceiling", p, a, c)),
                    "active_subceiling_before": _num(model, index.active_subceiling_now(p, a, c))
                    if (p, a) in index.active_set else math.nan,
                    "active_subceiling": _value(model, x, ("active_subceiling", p, a, c)),
                    "temporary_deployment_in_area": _value(model, x, (
                        "temporary_deployment", "basic", p, a, c)),
                    "temporary_deployment_exceptional_in_area": _value(model, x, (
                        "temporary_deployment", "exceptional", p, a, c)),
                    # empty, not 0, where nobody's equipment is modelled in the area
                    "in_area_before": on_before.get((p, a, c), math.nan),
                    "in_area_after": on_after.get((p, a, c), math.nan),
                    "active_in_area_after": by_status.get((p, a, c, "active"), math.nan),
                    "storage_in_area_after": by_status.get((p, a, c, "storage"), math.nan),
                })
    return _table(rows, ALLOCATION_COLUMNS, ["party", "area", "category"])


def _cuts(model: Model, x: Solution, p: str, c: str) -> dict[str, float]:
    """The cut of each ceiling the party cuts by form, national and mandated (NaN elsewhere)."""
    return {f"{v}_cut_{f}": _value(model, x, ("ceiling_cut", f, v, p, c))
            for v in ("national_ceiling", "territorial_ceiling") for f in ("national", "mandated")}


def equipment_table(model: Model, x: Solution) -> pd.DataFrame:
    """(owner, party, area, category, status) → ground TLE before and after."""
    index = model.index
    rows = [{"owner": o, "party": p, "area": a, "category": c, "status": k,
             "before": model.number(index.equipment_before[(o, p, a, c, k)]),
             "after": _value(model, x, ("equipment", o, p, a, c, k))}
            for (o, p, a, c, k) in index.equipment_keys()]
    return _table(rows, ["owner", "party", "area", "category", "status", "before", "after"],
                  ["owner", "party", "area", "category", "status"])


POSITION_COLUMNS = ["party", "position", "quantity", "direction", "target", "achieved",
                    "deviation", "unit", "normalised_deviation", "weighted_deviation", "weight",
                    "priority", "scale_under", "scale_over", "range_min", "range_max",
                    "within_range", "scale_under_source", "scale_over_source", "joint_with"]
POSITION_RATIOS = ("normalised_deviation", "weighted_deviation", "weight", "scale_under",
                   "scale_over")


def misses(target: Any, achieved: Any, below: Any, above: Any) -> tuple[Any, Any]:
    """A position's shortfall max(0, T − F) where it counts one (``below``) and excess
    max(0, F − T) where it counts one (``above``), each 0 below ``DEVIATION_ZERO``; numbers or
    numpy arrays (a study row reads every position at once)."""
    under = np.where(below, np.subtract(target, achieved), 0.0)
    over = np.where(above, np.subtract(achieved, target), 0.0)
    return (np.where(under >= DEVIATION_ZERO, under, 0.0),
            np.where(over >= DEVIATION_ZERO, over, 0.0))


def position_record(model: Model, t: Any, x: Solution) -> dict[str, Any]:
    """One position's row of the positions table, before cleaning (see ``positions_table``);
    a study row reads the same record, so both show the same numbers."""
    number = model.number
    achieved = sum(number(coef) * float(x[col]) for col, coef in t.columns)
    target = number(t.position.target)
    scale_under, scale_over = number(t.scale_under), number(t.scale_over)
    weight = number(t.weight)
    under, over = (float(v) for v in misses(target, achieved, t.under is not None,
                                            t.over is not None))
    normalised = under / scale_under + over / scale_over
    rng = t.position.range
    low = number(rng.min) if rng is not None and rng.min is not None else math.nan
    high = number(rng.max) if rng is not None and rng.max is not None else math.nan
    return {
        "party": t.party, "position": t.name, "quantity": quantity_label(t.position.quantity),
        "direction": t.position.direction,
        "target": target, "achieved": achieved, "deviation": under + over,
        "unit": unit_of(form_categories(t.form)),
        "normalised_deviation": normalised, "weighted_deviation": normalised * weight,
        "weight": weight, "priority": t.position.priority,
        "scale_under": scale_under, "scale_over": scale_over,
        "range_min": float(low), "range_max": float(high),
        "within_range": within_range(achieved, low, high),
        "scale_under_source": t.scale_sources[0] if t.under is not None else "",
        "scale_over_source": t.scale_sources[1] if t.over is not None else "",
        "joint_with": "+".join(t.joint_with),
    }


def within_range(achieved: float, low: float, high: float) -> bool | None:
    """Whether the achieved value lies in the stated acceptable range (to 10⁻⁶); None — no
    answer, an empty field — where the position states no range (nothing to be within)."""
    if math.isnan(low) and math.isnan(high):
        return None
    return bool((math.isnan(low) or achieved >= low - BINDING_TOL)
                and (math.isnan(high) or achieved <= high + BINDING_TOL))


def positions_table(model: Model, x: Solution) -> pd.DataFrame:
    """(party, position) → target, achieved, deviation, normalised deviation, and its terms.

    The deviation is computed from the achieved value: max(0, T − F) for at_least,
    max(0, F − T) for at_most, |F − T| for exactly."""
    rows = [position_record(model, t, x) for t in model.positions]
    return _table(rows, POSITION_COLUMNS, ["party", "position"], ratios=POSITION_RATIOS,
                  boolean=("within_range",))  # within_range empty: no range stated


def is_binding(row: Any, lhs: float, rhs: float | None = None) -> bool:
    """A row binds when it holds with equality (to 10⁻⁶ relative); an equality always does.
    ``rhs``: the row's number as solved (its own number when None)."""
    if row.sense == "==":
        return True
    number = row.rhs if rhs is None else rhs
    slack = number - lhs if row.sense == "<=" else lhs - number
    return abs(slack) <= BINDING_TOL * max(1.0, abs(number))


def party_deviations(positions: pd.DataFrame) -> pd.Series:
    """Each party's weighted normalised deviation from a positions table: the sum over the
    positions it holds, a joint position counted for its owner and for every co-holder."""
    import pandas as pd

    if positions.empty:
        return pd.Series(dtype=float, name="deviation")
    totals: dict[str, float] = {}
    for (party, _name), row in positions.iterrows():
        holders = [party, *(p for p in str(row.get("joint_with", "") or "").split("+") if p)]
        for holder in holders:
            totals[holder] = totals.get(holder, 0.0) + float(row["weighted_deviation"])
    out = pd.Series(totals, dtype=float, name="deviation")
    out.index.name = "party"
    return out


def constraints_table(model: Model, activity: np.ndarray, row_dual: np.ndarray | None,
                      rhs: Sequence[float] | None = None) -> pd.DataFrame:
    """name → family, owner, kind, lhs, sense, rhs, slack, shadow price, binding.

    The scenario's rows only (definitions, hard limits, positions): the solver's own rows
    (stage holds, tie-break distances, the minimax level) are not part of the package. The
    shadow price is the change in the defining stage's objective per unit increase of the
    right-hand side, read from that stage's LP; NaN for a MILP. ``rhs``: each row's number (by
    row index) as solved, when the model has moved on since (the rows' own numbers otherwise)."""
    rows = []
    units = row_units(model)
    for row in model.row_list:
        if row.info.kind == "objective":
            continue
        lhs = float(activity[row.index])
        number = row.rhs if rhs is None else rhs[row.index]
        if row.sense == "<=":
            slack = number - lhs
        elif row.sense == ">=":
            slack = lhs - number
        else:
            slack = -abs(lhs - number)
        binding = is_binding(row, lhs, number)
        price = float(row_dual[row.index]) if row_dual is not None else math.nan
        rows.append({
            "name": row.name, "family": row.info.family, "owner": row.info.owner,
            "kind": row.info.kind, "label": row.info.label, "lhs": lhs, "sense": row.sense,
            "rhs": number, "unit": units[row.index], "slack": slack, "shadow_price": price,
            "binding": binding, "field": row.info.field,
        })
    return _table(rows, ["name", "family", "owner", "kind", "label", "lhs", "sense", "rhs",
                         "unit", "slack", "shadow_price", "binding", "field"],
                  ["name"], ratios=("shadow_price",))


RATIO_FAMILIES = ("reciprocity", "equal_treatment")  # rows whose number is a share, not a count
_NOT_COUNTS = ("deviation_under", "deviation_over", "stage_level", "distance", "violation")


def row_units(model: Model) -> list[str]:
    """The unit of each row's number: the categories its equipment columns count (``ACVs``;
    ``tanks + artillery`` for several), ``share of holdings`` for a rule between cut shares,
    empty for the solver's own rows."""
    n_rows = model.num_rows
    names: dict[str, int] = {}  # category → code, by first appearance
    col_code = np.full(model.num_cols, -1, dtype=np.int64)  # -1: not a count
    for c, key in enumerate(model.col_keys):
        if key[0] not in _NOT_COUNTS:
            col_code[c] = names.setdefault(str(key[4] if key[0] == "equipment" else key[-1]),
                                           len(names))
    rows = np.asarray(model.entry_row, dtype=np.int64)
    codes = col_code[np.asarray(model.entry_col, dtype=np.int64)] if len(rows) else rows
    keep = (codes >= 0) & (rows < n_rows)
    rows, codes = rows[keep], codes[keep]
    # each (row, category) once, at its first entry; then by row, in the order of entries
    _, first = np.unique(rows * max(len(names), 1) + codes, return_index=True)
    first = first[np.lexsort((first, rows[first]))]
    by_code = list(names)
    categories: list[list[str]] = [[] for _ in range(n_rows)]
    for r, code in zip(rows[first].tolist(), codes[first].tolist(), strict=True):
        categories[r].append(by_code[code])
    units: dict[tuple[str, ...], str] = {}
    out = []
    for row in model.row_list:
        if row.info.family in RATIO_FAMILIES:
            out.append("share of holdings")
        elif row.info.kind == "objective":
            out.append("")
        else:
            found = tuple(categories[row.index])
            unit = units.get(found)
            if unit is None:
                unit = units[found] = unit_of(found)
            out.append(unit)
    return out


def _num(model: Model, value: Any) -> float:
    return math.nan if value is None else model.number(value)


def _table(rows: list[dict[str, Any]], columns: list[str], index: list[str],
           ratios: tuple[str, ...] = (), boolean: tuple[str, ...] = ()) -> pd.DataFrame:
    """The table of ``rows`` (records; a key a record leaves out is empty, NaN), indexed by
    ``index``: every float column cleaned (``clean``, or ``clean_ratio`` for ``ratios``), the
    ``boolean`` columns as pandas' nullable booleans (None empty). Built in one construction,
    column by column from the records, with the dtypes a frame of the records would infer (a
    frame of records and then one of its cleaned columns would cost two constructions, which
    a what-if re-solve cannot afford)."""
    import pandas as pd

    data: dict[str, Any] = {}
    for column in columns:
        values = [row.get(column, math.nan) for row in rows]
        if column in boolean:
            data[column] = pd.array(values, dtype="boolean")
        elif values and all(type(v) is float for v in values):
            fn = clean_ratio if column in ratios else clean
            data[column] = np.array([fn(v) for v in values], dtype=float)
        elif values and all(type(v) is str for v in values):
            data[column] = values  # the frame infers its string dtype
        else:
            array = pd.Series(values, dtype=None if values else object).array
            if array.dtype.kind == "f":  # floats among numpy numbers
                fn = clean_ratio if column in ratios else clean
                array = np.array([fn(v) for v in array.tolist()], dtype=float)
            data[column] = array
    keys = [data.pop(name) for name in index]
    return pd.DataFrame(data, index=_index(keys, index))


def _index(keys: list[Any], names: list[str]) -> pd.Index:
    """The index of a table on its key columns: what ``pd.MultiIndex.from_arrays`` gives
    (levels sorted), built directly when every key is a string (from_arrays factorises
    through categoricals, which costs more than the rest of a small table)."""
    import pandas as pd

    if len(names) == 1:
        return pd.Index(keys[0], name=names[0])
    if not all(isinstance(k, list) and all(type(v) is str for v in k) for k in keys):
        return pd.MultiIndex.from_arrays(keys, names=names)
    levels, codes = [], []
    for values in keys:
        unique = sorted(set(values))
        position = {value: i for i, value in enumerate(unique)}
        levels.append(pd.Index(unique, dtype="str"))
        codes.append(np.array([position[v] for v in values], dtype=np.intp))
    return pd.MultiIndex(levels=levels, codes=codes, names=names, verify_integrity=False)


def assumption_list(scenario: Scenario) -> list[str]:
    """Every figure, limit or position marked ``assumption: true``, by field path and note."""
    found: list[str] = []
    leaves = (str, int, float, type(None))  # nothing to mark inside these
    fields: dict[type, tuple[str, ...]] = {}  # each model class's fields, read once

    def walk(node: Any, path: str) -> None:
        if isinstance(node, BaseModel):
            names = fields.get(type(node))
            if names is None:
                names = fields[type(node)] = tuple(type(node).model_fields)
            if "assumption" in names and node.assumption:
                found.append(f"{path}: {getattr(node, 'note', '') or ''}".rstrip(": "))
            for name in names:
                value = getattr(node, name)
                if not isinstance(value, leaves):
                    walk(value, f"{path}.{name}" if path else name)
        elif isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(value, leaves):
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if not isinstance(value, leaves):
                    walk(value, f"{path}[{i}]")

    walk(scenario.spec, "")
    return found
