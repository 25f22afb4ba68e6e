"""One scenario's LP compiled once and re-solved warm: the one solve path.

``CompiledModel`` holds the model (arrays, built once by the constraint families) and an engine
(HiGHS in-process, or CBC through PuLP). ``solve`` runs an objective mode's stages on it;
analyses add their limits and minimise their own expressions on it; a study variant or the
what-if panel sets new numbers with ``apply`` and solves again from the previous basis.

``apply`` changes numbers in place only when that is exactly what rebuilding would give: every
changed field must be a tracked number (``model.tracked``), its new value must pass the field's
own validation, no number the model or the scenario's validation branched on may branch the
other way (the guards), and no changed number may have left tracking. Otherwise it refuses and
says why; the caller then builds the variant afresh (``cfe_opt.scenario.with_changes``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError

from cfe_opt.collector import objects_not_collected
from cfe_opt.model.build import build_model
from cfe_opt.model.core import Model, Row, RowInfo, Sense, _name, sense_bounds
from cfe_opt.model.linear import Lin
from cfe_opt.model.params import compile_num, holds, recording
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.schema import Count, NonNegativeNumber, Number, PositiveNumber
from cfe_opt.solve.stages import StagePlan, dense_cost, plan, run
from cfe_opt.solve.status import SolverName, SolveRun, SolveStatus

_VALIDATORS = {"count": TypeAdapter(Count), "number": TypeAdapter(Number),
               "positive": TypeAdapter(PositiveNumber),
               "nonnegative": TypeAdapter(NonNegativeNumber)}


def make_engine(solver: SolverName, model: Model) -> Any:
    if solver == "highs":
        from cfe_opt.solve.highs import HighsEngine

        return HighsEngine(model)
    if solver == "cbc":
        from cfe_opt.solve.cbc import CbcEngine

        return CbcEngine(model)
    from cfe_opt.errors import SolverError

    raise SolverError(f"unknown solver '{solver}' (choose highs or cbc)")


def solver_version(solver: SolverName) -> str:
    if solver == "highs":
        from cfe_opt.solve.highs import highs_version

        return highs_version()
    from cfe_opt.solve.cbc import cbc_version

    return cbc_version()


@dataclass(frozen=True)
class Applied:
    """The outcome of ``apply``: in place, or why the variant needs a rebuild."""

    in_place: bool
    reason: str = ""


class CompiledModel:
    """A scenario's LP in a solver, kept warm across solves, analyses and variants."""

    def __init__(self, scenario: Scenario, solver: SolverName = "highs",
                 integer: bool = False, variants: bool = False) -> None:
        self.scenario = scenario
        self.solver = solver
        self.model = build_model(scenario, integer=integer, guard_validation=variants)
        self.engine = make_engine(solver, self.model)
        self.changed: set[int] = set()  # slots that differ from the scenario's own values
        self._by_slot: dict[int, list[tuple[str, int, Any]]] = defaultdict(list)
        self._guards_by_slot: dict[int, list[Any]] = defaultdict(list)
        self._indexed = (0, 0, 0)  # tracked rhs, tracked coefficients, guards indexed so far
        self._limit_entries: dict[int, dict[int, int]] = {}  # analysis row → {col: entry}
        self._plans: dict[str, StagePlan] = {}  # each objective mode's stages, built once
        self.solver_version = solver_version(solver)

    # ---- solving ------------------------------------------------------------------------------
    def solve(self, mode: ObjectiveMode = "weighted", time_limit: float | None = None,
              ranging: bool = False, cold: bool = False) -> SolveRun:
        """The objective mode's stages, from the previous basis (``cold``: every stage from
        scratch instead)."""
        with objects_not_collected():
            steps = self.stage_plan(mode)
            out = run(self.model, self.engine, mode, time_limit=time_limit, ranging=ranging,
                      steps=steps, cold=cold)
        out.solver_version = self.solver_version
        return out

    def stage_plan(self, mode: ObjectiveMode) -> StagePlan:
        """The mode's stages (objectives as cost vectors, hold rows), built once."""
        steps = self._plans.get(mode)
        if steps is None:
            with recording(self.model.recorder), objects_not_collected():
                steps = self._plans[mode] = plan(self.model, mode)
        return steps

    def rows_moved_by(self, path: str) -> list[str]:
        """The rows whose number or coefficients a tracked field sets (objective costs are not
        rows: a weight in the weighted mode moves only its stage's hold row)."""
        slot = self.model.params.slot_of.get(path)
        if slot is None:
            raise KeyError(path)
        self._index()
        model = self.model
        names = []
        for kind, where, _fn in self._by_slot.get(slot, ()):
            row = model.row_list[where if kind == "rhs" else model.entry_row[where]]
            names.append(row.name)
        return sorted(set(names))

    def unit_prices(self, mode: ObjectiveMode, objective: float, names: list[str]
                    ) -> dict[str, tuple[float | None, float | None]]:
        """For each named row: the change in the defining stage's optimum ``objective`` (as a
        run of ``mode`` gave it) per unit of the row's number, when the number is raised by one
        and when it is lowered by one — (up, down), each Δobjective/Δnumber, re-solved warm.

        The LP's shadow price lies between the two (at a degenerate optimum it can be any value
        between, depending on the basis the solver ends on); the two are properties of the
        scenario alone. They are equal, and equal the shadow price, unless the price changes
        within a unit (a breakpoint: the limit is exactly where it starts or stops costing).
        None where the re-solve is not optimal (lowering a floor past what is feasible).
        """
        steps = self._plans[mode]
        cost = steps.costs[0]
        prepared = cost.prepared(self.model)
        vector = cost.vector(self.model)
        out: dict[str, tuple[float | None, float | None]] = {}
        for name in names:
            row = self.model.rows.get(name)
            if row is None:
                out[name] = (None, None)
                continue
            i = row.index
            low, up = self.model.row_lower[i], self.model.row_upper[i]
            slopes: list[float | None] = []
            for step in (1.0, -1.0):
                self.engine.set_row_bounds(i, low + step, up + step)  # ±inf stay infinite
                try:
                    status = self.engine.solve_prepared(prepared, duals=False)
                    moved = (float(vector @ self.engine.x) if status is SolveStatus.OPTIMAL
                             else None)
                finally:
                    self.engine.set_row_bounds(i, low, up)
                slopes.append(None if moved is None else (moved - objective) / step)
            out[name] = (slopes[0], slopes[1])
        return out

    def minimise(self, expr: Lin, maximise: bool = False, presolve: bool = True
                 ) -> tuple[SolveStatus, float | None]:
        """Minimise (or maximise) one expression over the model as it stands."""
        cost = dense_cost(self.model, expr)
        status = self.engine.solve(cost, maximise=maximise, presolve=presolve)
        if status is not SolveStatus.OPTIMAL:
            return status, None
        return status, float(cost @ self.engine.x) + self.model.number(expr.constant)

    @property
    def x(self) -> np.ndarray:
        """The column values of the last optimal solve."""
        if self.engine.x is None:
            raise RuntimeError("no solution: the last solve was not optimal")
        return self.engine.x

    def value(self, expr: Lin) -> float:
        """An expression's value at the last optimal solve."""
        x = self.x
        return float(sum(self.model.number(c) * x[j] for j, c in expr.terms.items())
                     + self.model.number(expr.constant))

    def set_limit(self, tag: tuple, expr: Lin, sense: Sense, rhs: float, label: str) -> Row:
        """A limit an analysis adds (an ε-constraint, a held optimum; kind 'objective'), or —
        if one with this tag exists — the same row with new coefficients and number. Its
        numbers are plain (evaluated now): an analysis limit is not part of a variant."""
        model = self.model
        plain = {col: model.number(c) for col, c in expr.terms.items()}
        rhs = float(rhs) - model.number(expr.constant)
        row = model.rows.get(_limit_name(tag))
        if row is None:
            first = len(model.entry_value)
            row = model.add_row(("analysis", *tag), Lin(plain), sense, rhs, RowInfo(
                family="objective", owner="analysis", kind="objective", label=label))
            self._limit_entries[row.index] = {
                model.entry_col[e]: e for e in range(first, len(model.entry_value))}
            return row
        entries = self._limit_entries[row.index]
        for col, e in entries.items():
            value = plain.get(col, 0.0)
            if model.entry_value[e] != value:
                model.entry_value[e] = value
                model.changed_entries.add(e)
        for col, value in plain.items():
            if col not in entries and value != 0:
                entries[col] = model.add_entry(row.index, col, value)
        row.sense = sense
        model.set_rhs(row, rhs)
        return row

    def free_limit(self, tag: tuple) -> None:
        """Let an analysis limit go (its row stays, with no bounds, for reuse)."""
        row = self.model.rows.get(_limit_name(tag))
        if row is not None:
            self.model.set_row_bounds(row.index, -math.inf, math.inf)

    # ---- variants -----------------------------------------------------------------------------
    def apply(self, changes: Mapping[str, Any]) -> Applied:
        """Set the variant's numbers (field path → value) in place of the scenario's; fields not
        named return to the scenario's own values. Nothing changes if it refuses."""
        model = self.model
        params = model.params
        theta = list(params.base)
        now: set[int] = set()
        for path, value in changes.items():
            slot = params.slot_of.get(path)
            if slot is None and path.endswith(".value"):
                slot = params.slot_of.get(path[: -len(".value")])
            if slot is None:
                return Applied(False, f"{path} is not a number the model tracks")
            if slot in model.recorder.escaped:
                return Applied(False, f"{path} shapes the model beyond its numbers")
            try:
                checked = _VALIDATORS[params.kinds[slot]].validate_python(value)
            except ValidationError:
                return Applied(False, f"{path}: the value {value!r} fails its field's check")
            theta[slot] = float(checked)
            if theta[slot] != params.base[slot]:
                now.add(slot)
        self._index()
        memo: dict[int, float] = {}
        for slot in now:
            for guard in self._guards_by_slot.get(slot, ()):
                if not holds(guard, theta, memo):
                    return Applied(False, f"{params.paths[slot]}: the new value changes a "
                                          "branch of the model or of its validation")
        touched = now | self.changed
        model.theta = theta
        model.theta_version += 1
        model.theta_touched = frozenset(touched)
        seen: set[tuple[str, int]] = set()
        for slot in touched:
            for kind, where, fn in self._by_slot.get(slot, ()):
                if (kind, where) in seen:
                    continue
                seen.add((kind, where))
                value = fn(theta)
                if kind == "rhs":
                    row = model.row_list[where]
                    row.rhs = value
                    if not _is_hold(row):
                        model.set_row_bounds(where, *sense_bounds(row.sense, value))
                else:
                    model.entry_value[where] = value
                    model.changed_entries.add(where)
        self.changed = now
        return Applied(True)

    def _index(self) -> None:
        """Index the tracked numbers and guards recorded since the last call by slot."""
        model = self.model
        n_rhs, n_coef, n_guard = self._indexed
        for i, num in model.tracked_rhs[n_rhs:]:
            fn = compile_num(num)
            for slot in num.deps:
                self._by_slot[slot].append(("rhs", i, fn))
        for e, num in model.tracked_coef[n_coef:]:
            fn = compile_num(num)
            for slot in num.deps:
                self._by_slot[slot].append(("coef", e, fn))
        for guard in model.recorder.guards[n_guard:]:
            deps = set()
            for side in (guard.left, guard.right):
                deps |= getattr(side, "deps", frozenset())
            for slot in deps:
                self._guards_by_slot[slot].append(guard)
        self._indexed = (len(model.tracked_rhs), len(model.tracked_coef),
                         len(model.recorder.guards))


def _is_hold(row: Row) -> bool:
    return row.info.family == "objective" and row.name.startswith("objective.hold.")


def _limit_name(tag: tuple) -> str:
    return _name("objective", ("analysis", *tag))
