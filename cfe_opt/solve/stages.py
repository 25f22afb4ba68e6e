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
from dataclasses import dataclass
from typing import Any

import numpy as np

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import Lin
from cfe_opt.model.params import Num, compile_num
from cfe_opt.objectives import ObjectiveMode, Stage, stages
from cfe_opt.solve.status import SolveRun, SolveStatus, StageResult

HOLD_LADDER = (1e-11, 1e-9, 1e-7, 1e-5)
FACE_TOL = 1e-9  # a reduced cost or dual this small counts as zero
FACE_AT = 1e-7  # a value this close to its bound (or a row to its number) is at it


def dense_cost(model: Model, expr: Lin) -> np.ndarray:
    """The expression's coefficients as a cost vector over every column (current numbers)."""
    cost = np.zeros(model.num_cols)
    for col, coef in expr.terms.items():
        cost[col] += model.number(coef)
    return cost


class CostVector:
    """An objective expression as arrays, its tracked coefficients re-evaluated when the
    model's numbers change (so a study variant's weights and scales take effect without
    rebuilding the expression)."""

    def __init__(self, model: Model, expr: Lin) -> None:
        self.cols = np.fromiter(expr.terms, dtype=np.int64, count=len(expr.terms))
        coefs = list(expr.terms.values())
        self.values = np.array([model.number(c) for c in coefs], dtype=np.float64)
        self.tracked = [(k, c.deps, compile_num(c)) for k, c in enumerate(coefs)
                        if isinstance(c, Num)]
        self.version = model.theta_version

    def vector(self, model: Model, memo: dict[int, float] | None = None) -> np.ndarray:
        if self.version != model.theta_version:
            # one change since the last evaluation: only what it touched; else everything
            touched = model.theta_touched if self.version == model.theta_version - 1 else None
            theta = model.theta
            for k, deps, fn in self.tracked:
                if touched is None or not deps.isdisjoint(touched):
                    self.values[k] = fn(theta)
            self.version = model.theta_version
        cost = np.zeros(model.num_cols)
        cost[self.cols] = self.values
        return cost


@dataclass
class Face:
    """The bounds one stage's optimal face fixed in the engine, with what they were."""

    cols: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    rows: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray

    def release(self, engine: Any) -> None:
        engine.set_bounds(self.cols, self.col_lower, self.col_upper, self.rows,
                          self.row_lower, self.row_upper)


def keep_to_optimal_face(model: Model, engine: Any) -> Face:
    """Restrict later solves to the optimal face of the last solve, exactly.

    For an optimal dual, the optimal solutions are the feasible points complementary to it: a
    column with a non-zero reduced cost stays at its bound, and a row with a non-zero dual stays
    tight. Only what the current solution already satisfies is fixed, so it stays feasible. The
    bounds move in the engine only (``Face.release`` puts them back); the model is unchanged.
    """
    empty = np.zeros(0, dtype=np.int64)
    x, d = engine.x, engine.col_dual
    activity, pi = engine.activity, engine.row_dual
    if x is None or d is None or pi is None:
        return Face(empty, np.zeros(0), np.zeros(0), empty, np.zeros(0), np.zeros(0))
    engine.sync()
    low, up = engine.col_lower, engine.col_upper
    with np.errstate(invalid="ignore"):
        at_low = (d > FACE_TOL) & np.isfinite(low) & (np.abs(x - low) <= FACE_AT) & (low < up)
        at_up = (d < -FACE_TOL) & np.isfinite(up) & (np.abs(x - up) <= FACE_AT) & (low < up)
    cols = np.flatnonzero(at_low | at_up)
    fixed = np.where(at_low[cols], low[cols], up[cols])
    rlow, rup = engine.row_lower, engine.row_upper
    with np.errstate(invalid="ignore"):
        near_low = np.abs(activity - rlow) <= FACE_AT * np.maximum(1.0, np.abs(rlow))
        near_up = np.abs(activity - rup) <= FACE_AT * np.maximum(1.0, np.abs(rup))
        tight_low = (pi > FACE_TOL) & np.isfinite(rlow) & near_low & (rlow < rup)
        tight_up = (pi < -FACE_TOL) & np.isfinite(rup) & near_up & (rlow < rup)
    rows = np.flatnonzero(tight_low | tight_up)
    tight = np.where(tight_low[rows], rlow[rows], rup[rows])
    face = Face(cols, low[cols], up[cols], rows, rlow[rows], rup[rows])
    engine.set_bounds(cols, fixed, fixed, rows, tight, tight)
    return face


def hold_row(model: Model, tag: str, expr: Lin, label: str) -> int:
    """The row ``expr ≤ ·`` that holds a stage's optimum (free until a run sets it); added once
    per stage and reused by every later run."""
    name = f"objective.hold.{tag}"
    row = model.rows.get(name)
    if row is None:
        row = model.add_row(("hold", tag), expr, "<=", math.inf, RowInfo(
            family="objective", owner="model", kind="objective", label=label))
    return row.index


def set_hold(model: Model, row: int, value: float, tau: float) -> None:
    model.set_row_bounds(row, -math.inf, value + tau * max(abs(value), 1.0))


def free_hold(model: Model, row: int) -> None:
    model.set_row_bounds(row, -math.inf, math.inf)


@dataclass
class StagePlan:
    """A mode's stages with their objectives (as cost vectors) and hold rows, built once and
    reused by every run of that mode on the same model."""

    stages: list[Stage]
    objectives: list[Lin]
    costs: list[CostVector]
    holds: list[int]


def plan(model: Model, mode: ObjectiveMode) -> StagePlan:
    chosen = stages(mode, model)
    objectives = [stage.build(model) for stage in chosen]
    holds = [hold_row(model, f"{mode}.{stage.name}", expr, f"hold the {stage.name} optimum")
             for stage, expr in zip(chosen[:-1], objectives, strict=False)]
    return StagePlan(chosen, objectives, [CostVector(model, e) for e in objectives], holds)


def solve_stage(engine: Any, cost: np.ndarray, time_limit: float | None,
                retry_presolve: bool) -> SolveStatus:
    """One solve, retried the ways HiGHS can recover: without presolve (when asked, or when it
    stopped without an answer), and from scratch (a basis left by an earlier solve can stall)."""
    status = engine.solve(cost, time_limit=time_limit)
    if engine.name != "highs":
        return status
    if status is SolveStatus.INFEASIBLE and retry_presolve:
        status = engine.solve(cost, presolve=False, time_limit=time_limit)
    if status in (SolveStatus.NOT_SOLVED, SolveStatus.ERROR) and _recoverable(engine):
        for presolve in (True, False):
            status = engine.solve(cost, presolve=presolve, time_limit=time_limit, cold=True)
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
        steps: StagePlan | None = None) -> SolveRun:
    """Solve the model stage by stage; stop at the first stage that is not optimal.

    The defining (first main) stage gives the reported objective and the shadow prices (row
    duals, LP only) and, with ``ranging`` (HiGHS), each row's right-hand-side range. The final
    package is the last stage's solution. Every bound a run sets is undone before it returns.
    """
    from cfe_opt.solve.status import SOLVERS

    steps = steps or plan(model, mode)
    memo: dict[int, float] = {}
    out = SolveRun(status=SolveStatus.NOT_SOLVED, solver=SOLVERS[engine.name].name)
    held: list[tuple[int, float]] = []
    faces: list[Face] = []
    rung = 0
    start_all = time.perf_counter()
    try:
        for i, (stage, objective) in enumerate(zip(steps.stages, steps.costs, strict=True)):
            cost = objective.vector(model, memo)
            out.cost = cost
            start = time.perf_counter()
            status = solve_stage(engine, cost, time_limit, retry_presolve=bool(held))
            if status is SolveStatus.INFEASIBLE and faces:
                # the earlier optima were held too exactly for the solver: release the faces
                # (the hold rows remain), then loosen the holds rung by rung
                for face in reversed(faces):
                    face.release(engine)
                faces.clear()
                status = solve_stage(engine, cost, time_limit, retry_presolve=True)
            while status is SolveStatus.INFEASIBLE and held and rung < len(HOLD_LADDER) - 1:
                rung += 1
                for row, value in held:
                    set_hold(model, row, value, HOLD_LADDER[rung])
                status = solve_stage(engine, cost, time_limit, retry_presolve=True)
            seconds = time.perf_counter() - start
            value = float(cost @ engine.x) if status is SolveStatus.OPTIMAL else None
            out.stages.append(StageResult(stage.name, stage.main, status, value, seconds,
                                          HOLD_LADDER[rung] if held else 0.0))
            if status is not SolveStatus.OPTIMAL:
                out.status = status
                break
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
                set_hold(model, steps.holds[i], value, HOLD_LADDER[rung])
                held.append((steps.holds[i], value))
        else:
            out.status = SolveStatus.OPTIMAL
            out.x = engine.x.copy()
            out.activity = engine.activity.copy()
    finally:
        for face in reversed(faces):
            face.release(engine)
        for row, _ in held:
            free_hold(model, row)
    out.solve_seconds = time.perf_counter() - start_all
    return out


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
