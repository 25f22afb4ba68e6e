"""The stage runner: each objective stage minimised in turn, each optimum held for the next.

A stage's optimum z* is held for later stages by its hold row ``f ≤ z* + τ·max(|z*|, 1)``
(τ on ``HOLD_LADDER``) and, exactly, by restricting later stages to the stage's optimal face
(for its optimal dual: a column with a non-zero reduced cost stays at its bound, a row with a
non-zero dual stays tight). Both are bound changes on the one model the engine holds, undone
when the run ends, so the next run (another objective mode, a study variant) starts from the
same LP and the previous basis. If a later stage comes out infeasible because the optima were
held tighter than the solver's accuracy: HiGHS is tried without presolve, the faces are
released, then the holds loosened rung by rung.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import Lin
from cfe_opt.model.params import Num, compile_num
from cfe_opt.objectives import DISTANCE_ROWS, ObjectiveMode, Stage, stages
from cfe_opt.solve.highs import prepare_cost
from cfe_opt.solve.status import FACE_TOL, SolveRun, SolveStatus, StageResult

HOLD_LADDER = (1e-11, 1e-9, 1e-7, 1e-5)
# From this many rows on, the stages after the first start from scratch: HiGHS skips presolve
# when it has a basis, and after an earlier stage's face is fixed presolve removes most of the
# LP (3,000 parties: 7 s cold against 45 s warm; below ~300 parties warm is quicker).
COLD_LATER_STAGES = 10_000
# From this many rows on (the LP with the tie-breaks' rows), the later stages' own rows sleep in
# the first stage when the later stages start from scratch (``Asleep``). Measured on the
# synthetic scenarios, the first stage with and without: 500 parties (20,009 rows) 0.81–1.16 s
# against 0.18–0.29 s, slower; 700 (about 28,000) 0.18 against 0.51 s; 1,000 0.16 against
# 0.43; 2,000 0.51 against 1.40; 3,000 0.44 against 2.11 s.
SLEEP_FROM_ROWS = 25_000


def dense_cost(model: Model, expr: Lin) -> np.ndarray:
    """The expression's coefficients as a cost vector over every column (current numbers)."""
    cost = np.zeros(model.num_cols)
    for col, coef in expr.terms.items():
        cost[col] += model.number(coef)
    return cost


class CostVector:
    """An objective expression as arrays, its tracked coefficients re-evaluated when the
    model's numbers change (so a study variant's weights and scales take effect without
    rebuilding the expression), kept as the engine wants it (``prepare_cost``). Its constant
    (``offset``: the −Σ v⁰ of a tie-break's distance) is re-evaluated when a slot it reads
    changes."""

    def __init__(self, model: Model, expr: Lin) -> None:
        self.cols = np.fromiter(expr.terms, dtype=np.int64, count=len(expr.terms))
        coefs = list(expr.terms.values())
        self.values = np.array([model.number(c) for c in coefs], dtype=np.float64)
        # (position, slots it reads, the number): compiled when a variant first moves one
        self.tracked: list[tuple[int, Collection[int], Any]] = [
            (k, c.deps, c) for k, c in enumerate(coefs) if isinstance(c, Num)]
        self._compiled = False
        self._by_slot: dict[int, list[tuple[int, Any]]] = {}  # slot → its coefficients
        self.version = model.theta_version
        self._prepared: tuple[np.ndarray, float, float] | None = None
        self._cost: np.ndarray | None = None
        self._constant = expr.constant
        # (the slots the constant reads: a tracked number's own view of them, not a copy)
        self._constant_deps: Collection[int] = (expr.constant.deps
                                                if isinstance(expr.constant, Num) else ())
        self.offset = model.number(expr.constant)

    def _refresh(self, model: Model) -> None:
        if self.version != model.theta_version:
            # one change since the last evaluation: only what it touched; else everything
            touched = model.theta_touched if self.version == model.theta_version - 1 else None
            if self._constant_deps and (touched is None
                                        or not self._constant_deps.isdisjoint(touched)):
                self.offset = model.number(self._constant)
            theta = model.theta
            if touched is None:
                todo = [(k, fn) for k, _deps, fn in self.compiled()]
            else:
                self.compiled()
                todo = [entry for slot in touched for entry in self._by_slot.get(slot, ())]
            changed = False
            for k, fn in todo:  # (a coefficient read by two touched slots: twice, same value)
                value = fn(theta)
                if value != self.values[k]:
                    self.values[k] = value
                    changed = True
            self.version = model.theta_version
            if changed:
                self._prepared = self._cost = None
        if self._cost is not None and len(self._cost) != model.num_cols:
            self._prepared = self._cost = None

    def compiled(self) -> list[tuple[int, Collection[int], Any]]:
        """The tracked coefficients as (position, slots read, function of θ), compiled on
        first use (a single solve never needs them)."""
        if not self._compiled:
            self.tracked = [(k, deps, compile_num(c)) for k, deps, c in self.tracked]
            for k, deps, fn in self.tracked:
                for slot in deps:
                    self._by_slot.setdefault(slot, []).append((k, fn))
            self._compiled = True
        return self.tracked

    def value(self, model: Model, x: np.ndarray) -> float:
        """The objective's value at ``x``: cᵀx plus its constant (current numbers)."""
        cost = self.vector(model)
        return float(cost @ x) + self.offset

    def vector(self, model: Model, memo: dict[int, float] | None = None) -> np.ndarray:
        """The costs over every column, without the constant (current numbers)."""
        self._refresh(model)
        if self._cost is None:
            cost = np.zeros(model.num_cols)
            cost[self.cols] = self.values
            self._cost = cost
        return self._cost

    def prepared(self, model: Model) -> tuple[np.ndarray, float, float]:
        """The costs scaled for the engine, with their scale and dual tolerance."""
        cost = self.vector(model)
        if self._prepared is None:
            self._prepared = prepare_cost(cost)
        return self._prepared


@dataclass
class Face:
    """The bounds one stage's optimal face fixed in the engine, with what they were: the
    entries (``where``: columns, then rows as n + row) and their old lower and upper bounds."""

    where: np.ndarray  # int64
    lower: np.ndarray
    upper: np.ndarray

    def release(self, engine: Any) -> None:
        engine.set_bounds_at(self.where, self.lower, self.upper)


def release(engine: Any, faces: list[Face]) -> None:
    """Undo several faces, the last first: a bound two faces fixed ends with the oldest
    value, the first face's."""
    for face in reversed(faces):
        face.release(engine)


def keep_to_optimal_face(model: Model, engine: Any) -> Face:
    """Restrict later solves to the optimal face of the last solve, exactly.

    For an optimal dual, the optimal solutions are the feasible points complementary to it: a
    column with a non-zero reduced cost stays at its bound, and a row with a non-zero dual stays
    tight. Only what the current solution already satisfies is fixed (a column within 10⁻⁷ of
    its bound, a row within 10⁻⁷·max(1, |bound|)), so it stays feasible. The bounds move in the
    engine only (``Face.release`` puts them back); the model is unchanged.
    """
    if engine.x is None or engine.col_dual is None or engine.row_dual is None:
        return Face(_NONE.astype(np.int64), _EMPTY, _EMPTY)
    value, dual = engine.values_and_duals()
    low, up, near_low, near_up, free = engine.face_bounds()
    # only the few columns and rows with a non-zero dual can be fixed: test those alone
    where, positive, negative = nonzero_duals(dual)
    v, lo, hi = value[where], low[where], up[where]
    at_low = positive & (np.abs(v - lo) <= near_low[where]) & free[where]
    at_up = negative & (np.abs(v - hi) <= near_up[where]) & free[where]
    keep = at_low | at_up
    where, lo, hi = where[keep], lo[keep], hi[keep]
    fixed = np.where(at_low[keep], lo, hi)
    face = Face(where, lo, hi)
    engine.set_bounds_at(where, fixed, fixed)
    return face


# the last read-only duals given (by id, with the array itself), with their nonzero_duals
_NONZERO: dict[int, tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
NONZERO_KEPT = 32  # a few stages' kept bases, of a few models


def nonzero_duals(dual: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries with a non-zero dual (|d| > ``FACE_TOL``), and which of them are positive
    and negative. Read-only duals (a kept basis's, the same array for the same costs: see
    ``kept_basis.Priced``) are worked out once."""
    known = _NONZERO.get(id(dual))
    if known is not None and known[0] is dual:
        return known[1]
    where = np.flatnonzero(np.abs(dual) > FACE_TOL)
    d = dual[where]
    found = (where, d > 0, d < 0)
    if not dual.flags.writeable:
        if len(_NONZERO) >= NONZERO_KEPT:
            del _NONZERO[next(iter(_NONZERO))]
        _NONZERO[id(dual)] = (dual, found)
    return found


def hold_row(model: Model, tag: str, expr: Lin, label: str) -> int:
    """The row ``expr ≤ ·`` that holds a stage's optimum (free until a run sets it); added once
    per stage and reused by every later run."""
    name = f"objective.hold.{tag}"
    row = model.rows.get(name)
    if row is None:
        # (the terms alone: the constant is the hold's ``offset``, see ``set_hold``)
        row = model.add_row(("hold", tag), Lin(expr.terms), "<=", math.inf, RowInfo(
            family="objective", owner="model", kind="objective", label=label))
    return row.index


def set_hold(engine: Any, row: int, value: float, tau: float, offset: float = 0.0) -> None:
    """Hold a stage's optimum: its hold row ≤ z* + τ·max(|z*|, 1), in the engine only. The
    row is the objective without its constant (``offset``): its bound is z* − offset + …"""
    engine.set_row_bounds(row, -math.inf, value - offset + tau * max(abs(value), 1.0))


def free_hold(engine: Any, row: int) -> None:
    engine.set_row_bounds(row, -math.inf, math.inf)


_NONE = np.zeros(0, dtype=np.int32)
_EMPTY = np.zeros(0)


@dataclass
class StagePlan:
    """A mode's stages with their objectives (as cost vectors) and hold rows, built once and
    reused by every run of that mode on the same model."""

    stages: list[Stage]
    objectives: list[Lin]
    costs: list[CostVector]
    holds: list[int]
    # by stage: the rows that stage is the first to need (``own_rows``; see ``Asleep``)
    wakes: list[np.ndarray] = field(default_factory=list)


def plan(model: Model, mode: ObjectiveMode) -> StagePlan:
    chosen = stages(mode, model)
    objectives = [stage.build(model) for stage in chosen]
    holds = [hold_row(model, f"{mode}.{stage.name}", expr, f"hold the {stage.name} optimum")
             for stage, expr in zip(chosen[:-1], objectives, strict=False)]
    return StagePlan(chosen, objectives, [CostVector(model, e) for e in objectives], holds,
                     wakes(model, objectives))


def own_rows(model: Model, objective: Lin) -> np.ndarray:
    """The rows that define an objective's distance columns (``v − P_v + N_v = v⁰``): they
    bind nothing but those columns, which no earlier stage's objective or hold contains."""
    cols = [c for c in objective.terms if model.col_keys[c][0] == "distance"]
    if not cols:
        return _NONE
    entry_col = np.asarray(model.entry_col, dtype=np.int64)
    rows = np.unique(np.asarray(model.entry_row, dtype=np.int64)[np.isin(entry_col, cols)])
    # not the hold rows that contain them (free until a run sets them)
    return np.array([r for r in rows.tolist()
                     if model.row_list[r].name.startswith(DISTANCE_ROWS)], dtype=np.int32)


def wakes(model: Model, objectives: list[Lin]) -> list[np.ndarray]:
    """For each stage, the own rows of its objective that no earlier stage has woken."""
    seen: set[int] = set()
    out = []
    for objective in objectives:
        rows = [r for r in own_rows(model, objective).tolist() if r not in seen]
        seen.update(rows)
        out.append(np.asarray(rows, dtype=np.int32))
    return out


@dataclass
class Asleep:
    """The later stages' own rows left free (−∞ ≤ row ≤ ∞) in the first stage, with the
    model's bounds to give back from the second stage on: the first stage's LP holds no row
    it has no use for (at 3,000 parties, 44,103 distance rows). Only when the later stages
    start from scratch: a row woken into a warm basis cost the next stage more than it saved,
    and rows asleep beyond the first stage made HiGHS's presolve stall (docs/formulation.md).
    """

    rows: np.ndarray  # int32; empty once awake
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def put(cls, engine: Any, steps: StagePlan, cold: bool) -> Asleep:
        """The later stages' own rows free for the first stage, if the stages after it start
        from scratch (``cold``); else none (see ``run``)."""
        rows = (np.concatenate([_NONE, *steps.wakes[1:]]).astype(np.int32) if cold
                else _NONE)
        if not len(rows):
            return cls(_NONE, _EMPTY, _EMPTY)
        lower, upper = engine.model_row_bounds(rows)
        free = np.full(len(rows), math.inf)
        engine.set_bounds(_NONE, _EMPTY, _EMPTY, rows, -free, free)
        return cls(rows, lower, upper)

    def wake(self, engine: Any) -> None:
        """Give the rows their model bounds again."""
        if len(self.rows):
            engine.set_bounds(_NONE, _EMPTY, _EMPTY, self.rows, self.lower, self.upper)
            self.rows = _NONE


def solve_stage(engine: Any, cost: tuple[np.ndarray, float, float], time_limit: float | None,
                retry_presolve: bool, duals: bool = True, cold: bool = False,
                stage: object = None) -> SolveStatus:
    """One solve, retried the ways HiGHS can recover: without presolve (when asked, or when it
    stopped without an answer), and from scratch (a basis left by an earlier solve can stall).
    ``cold``: from scratch at once, so HiGHS presolves (see ``COLD_LATER_STAGES``).
    ``stage``: the key under which HiGHS keeps the stage's optimal bases to try first."""
    if engine.name != "highs":
        return engine.solve_prepared(cost, time_limit=time_limit, duals=duals, cold=cold)
    status = engine.solve_prepared(cost, time_limit=time_limit, duals=duals, cold=cold,
                                   stage=stage)
    if status is SolveStatus.INFEASIBLE and retry_presolve:
        status = engine.solve_prepared(cost, presolve=False, time_limit=time_limit, duals=duals)
    if status in (SolveStatus.NOT_SOLVED, SolveStatus.ERROR) and _recoverable(engine):
        for presolve in (True, False):
            status = engine.solve_prepared(cost, presolve=presolve, time_limit=time_limit,
                                           cold=True, duals=duals)
            if status not in (SolveStatus.NOT_SOLVED, SolveStatus.ERROR):
                break
    return status


def _recoverable(engine: Any) -> bool:
    """HiGHS stopped with "unknown" or a solve error, not at a limit the user set."""
    import highspy

    return engine.model_status not in (highspy.HighsModelStatus.kTimeLimit,
                                       highspy.HighsModelStatus.kIterationLimit,
                                       highspy.HighsModelStatus.kInterrupt)


def run(model: Model, engine: Any, mode: ObjectiveMode = "weighted",
        time_limit: float | None = None, ranging: bool = False,
        steps: StagePlan | None = None, cold: bool = False) -> SolveRun:
    """Solve the model stage by stage; stop at the first stage that is not optimal.
    ``cold``: every stage from scratch (no basis kept from an earlier solve or stage).

    The defining (first main) stage gives the reported objective and the shadow prices (row
    duals, LP only) and, with ``ranging`` (HiGHS), each row's right-hand-side range. The final
    package is the last stage's solution. Every bound a run sets is undone before it returns.
    """
    from cfe_opt.solve.status import SOLVERS

    steps = steps or plan(model, mode)
    out = SolveRun(status=SolveStatus.NOT_SOLVED, solver=SOLVERS[engine.name].name)
    held: list[tuple[int, float, float]] = []  # (hold row, optimum, objective's constant)
    faces: list[Face] = []
    last_good: tuple[np.ndarray, np.ndarray] | None = None
    cold_later = model.num_rows >= COLD_LATER_STAGES
    rung = 0
    start_all = time.perf_counter()
    asleep: Asleep | None = None
    try:
        asleep = Asleep.put(engine, steps,
                            (cold or cold_later) and model.num_rows >= SLEEP_FROM_ROWS)
        last = len(steps.stages) - 1
        for i, (stage, objective) in enumerate(zip(steps.stages, steps.costs, strict=True)):
            if i == 1:
                asleep.wake(engine)
            cost = objective.vector(model)
            prepared = objective.prepared(model)
            # duals: for the next stage's face, and the defining stage's shadow prices
            duals = i < last or (stage.main and out.objective is None)
            out.cost = cost
            start = time.perf_counter()
            status = solve_stage(engine, prepared, time_limit, retry_presolve=bool(held),
                                 duals=duals, cold=cold or (i > 0 and cold_later),
                                 stage=None if ranging else (mode, i))
            if status is SolveStatus.INFEASIBLE and faces:
                # the earlier optima were held too exactly for the solver: release the faces
                # (the hold rows remain), then loosen the holds rung by rung
                release(engine, faces)
                faces.clear()
                status = solve_stage(engine, prepared, time_limit, retry_presolve=True,
                                     duals=duals)
            while status is SolveStatus.INFEASIBLE and held and rung < len(HOLD_LADDER) - 1:
                rung += 1
                for row, value, offset in held:
                    set_hold(engine, row, value, HOLD_LADDER[rung], offset)
                status = solve_stage(engine, prepared, time_limit, retry_presolve=True,
                                     duals=duals)
            seconds = time.perf_counter() - start
            value = (objective.value(model, engine.x) if status is SolveStatus.OPTIMAL
                     else None)
            out.stages.append(StageResult(stage.name, stage.main, status, value, seconds,
                                          HOLD_LADDER[rung] if held else 0.0))
            if status is not SolveStatus.OPTIMAL:
                if i == last and not stage.main and last_good is not None:
                    # the last tie-break only picks among packages already optimal in every
                    # stage before it; should the solver fail on it, keep the one in hand
                    out.status, (out.x, out.activity) = SolveStatus.OPTIMAL, last_good
                    break
                out.status = status
                break
            if i == last - 1:
                last_good = (engine.x.copy(), engine.activity.copy())
            trusted = SOLVERS[engine.name].duals and not model.integer
            if stage.main and out.objective is None:
                out.objective = value
                if trusted and engine.row_dual is not None:
                    out.row_dual = engine.row_dual.copy()
                    if ranging:
                        _ranging(model, engine, out)
            if i < len(steps.stages) - 1:
                if trusted:
                    faces.append(keep_to_optimal_face(model, engine))
                set_hold(engine, steps.holds[i], value, HOLD_LADDER[rung], objective.offset)
                held.append((steps.holds[i], value, objective.offset))
        else:
            out.status = SolveStatus.OPTIMAL
            polish(engine, held)
            out.x = engine.x.copy()
            out.activity = engine.activity.copy()
    finally:
        release(engine, faces)
        if asleep is not None:
            asleep.wake(engine)
        for row, _, _ in held:
            free_hold(engine, row)
    out.solve_seconds = time.perf_counter() - start_all
    return out


def polish(engine: Any, held: list[tuple[int, float, float]]) -> bool:
    """The final package at the vertex of the last stage's basis with every earlier optimum
    held exactly (``f ≤ z*``, no slack), if that vertex is within every bound (HiGHS, LPs with
    a known basis). A hold's slack lets a later stage drift by up to it from the exact package
    (about 10⁻⁸ units): then two runs that end on the same basis from different starts (warm,
    cold, another worker) could give numbers that differ in the ninth digit."""
    if not held:
        return False
    for row, value, offset in held:
        set_hold(engine, row, value, 0.0, offset)
    return engine.polish(np.array([row for row, _, _ in held], dtype=np.int64))


def _ranging(model: Model, engine: Any, out: SolveRun) -> None:
    """Each row's right-hand-side range at the defining stage: HiGHS's ranging for rows with a
    non-zero price; from the row's activity to infinity on its slack side for the others (the
    price stays 0 until the row binds)."""
    got = engine.ranging()
    if got is None:
        return
    low_values, high_values = got
    low, high = low_values.copy(), high_values.copy()
    for row in model.row_list:
        i = row.index
        price = out.row_dual[i] if out.row_dual is not None else math.nan
        if math.isnan(price) or abs(price) > FACE_TOL or row.sense == "==":
            continue
        activity = float(engine.activity[i])
        if row.sense == "<=":
            low[i], high[i] = activity, math.inf
        else:
            low[i], high[i] = -math.inf, activity
    out.range_low, out.range_high = low, high
