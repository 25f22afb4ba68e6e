"""Solver adapter and stage runner.

HiGHS runs in-process through PuLP (``pulp.HiGHS``) and is the default; CBC is the fallback.
What each solver can give is data (``SOLVERS``). Everything PuLP-version specific about reading
a status or duals lives here, so the rest of cfe-opt sees one ``SolveStatus``.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import pulp

from cfe_opt.errors import SolverError
from cfe_opt.model.core import Model, RowInfo
from cfe_opt.objectives import ObjectiveMode, stages

SolverName = Literal["highs", "cbc"]


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"
    ERROR = "error"


@dataclass(frozen=True)
class SolverCapabilities:
    name: str
    duals: bool  # row duals for LPs
    iis: bool  # irreducible infeasible subsystem
    ranging: bool  # sensitivity ranges
    in_process: bool


_PULP_MAJOR = int(pulp.__version__.split(".")[0])
SOLVERS: dict[str, SolverCapabilities] = {
    "highs": SolverCapabilities("HiGHS", duals=True, iis=True, ranging=True, in_process=True),
    # PuLP 4 reads CBC's row duals back wrongly (x + y ≥ 10, x ≤ 4, min 2x + 3y gives duals
    # 2 and 0 instead of 3 and −1; tests/test_optima.py pins it), so they are not used there.
    "cbc": SolverCapabilities("CBC", duals=_PULP_MAJOR < 4, iis=False, ranging=False,
                              in_process=False),
}

# A stage's optimum z* is held for later stages as  f − h ≤ z*,  0 ≤ h ≤ τ·max(|z*|, 1): the
# slack h absorbs the solver's own tolerance. τ starts tight; if a later stage turns out
# infeasible (the hold was tighter than the solver's accuracy), every hold is loosened one rung.
HOLD_LADDER = (1e-11, 1e-9, 1e-7, 1e-5)


@dataclass(frozen=True)
class StageResult:
    name: str
    main: bool
    status: SolveStatus
    objective: float | None
    seconds: float
    hold_tolerance: float = 0.0  # relative slack the held optima had when this stage solved


@dataclass
class SolveRun:
    """What solving one model in stages produced."""

    status: SolveStatus
    stages: list[StageResult] = field(default_factory=list)
    duals: dict[str, float] | None = None  # row name → shadow price (defining stage; LP only)
    objective: float | None = None  # optimum of the defining (first) stage
    # row name → (lowest, highest) right-hand side over which its shadow price holds (HiGHS)
    ranging: dict[str, tuple[float, float]] | None = None
    solver: str = ""
    solver_version: str = ""
    solve_seconds: float = 0.0


class _QuietHiGHS(pulp.HiGHS):
    """pulp.HiGHS whose in-process solver does not print its banner on creation."""

    def createAndConfigureSolver(self, lp: Any) -> None:
        with _stdout_silenced():
            super().createAndConfigureSolver(lp)


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS writes its banner from C++)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def make_solver(name: SolverName, integer: bool, time_limit: float | None = None,
                **highs_options: Any) -> Any:
    """A PuLP solver object for ``name``; raises SolverError if it is not installed."""
    if name == "highs":
        options: dict[str, Any] = {"random_seed": 0, **highs_options}
        if integer:
            options.update(mip_rel_gap=1e-9, mip_abs_gap=1e-9)
        solver = _QuietHiGHS(msg=False, timeLimit=time_limit, **options)
    elif name == "cbc":
        # PuLP 4 finds CBC through the cbcbox wheel (COIN_CMD); PuLP 3.3 bundles it
        # (PULP_CBC_CMD, which warns that PuLP 4 drops it).
        gap = 1e-9 if integer else None
        solver = pulp.COIN_CMD(msg=False, timeLimit=time_limit, gapRel=gap)
        if not solver.available() and hasattr(pulp, "PULP_CBC_CMD"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap)
    else:
        raise SolverError(f"unknown solver '{name}' (choose highs or cbc)")
    if not solver.available():
        hint = "pip install 'cfe-opt[cbc]'" if name == "cbc" else "pip install highspy"
        raise SolverError(f"solver {name} is not available on this machine ({hint})")
    return solver


@cache
def solver_version(name: SolverName) -> str:
    if name == "highs":
        import highspy

        with _stdout_silenced():
            h = highspy.Highs()
        return f"HiGHS {h.version()}"
    try:
        solver = make_solver("cbc", integer=False)
        out = subprocess.run([solver.path, "-quit"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
        for line in out.splitlines():
            if line.strip().startswith("Version:"):
                return "CBC " + line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError, SolverError):
        pass
    return "CBC"


def _status(result: Any) -> int:
    """PuLP 3 returns an int from solve(); PuLP 4 returns LpSolveStats with .status."""
    return int(result) if isinstance(result, int) else int(result.status)


def solve_once(model: Model, solver: Any, solver_name: str) -> SolveStatus:
    """Solve the model as it stands, once. Mind: HiGHS's "unbounded or infeasible" is read as
    infeasible, which holds for minimising cfe-opt's objectives (bounded below by 0); an
    analysis that maximises must tell the two apart itself (e.g. by a feasibility solve)."""
    result = model.problem.solve(solver)
    code = _status(result)
    if code == 1 and not _proven_optimal(model, result, solver_name):
        return SolveStatus.NOT_SOLVED  # stopped early (time limit) with a solution, or none
    if code == 1:
        return SolveStatus.OPTIMAL
    if code == -1:
        return SolveStatus.INFEASIBLE
    if code == -2:
        return SolveStatus.UNBOUNDED
    if code == -3 and solver_name == "highs":
        # HiGHS may stop at "unbounded or infeasible"; every cfe-opt objective is bounded
        # below (a sum of non-negative terms), so that means infeasible.
        import highspy

        status = model.problem.solverModel.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnboundedOrInfeasible,
                      highspy.HighsModelStatus.kInfeasible):
            return SolveStatus.INFEASIBLE
    return SolveStatus.ERROR if code == -3 else SolveStatus.NOT_SOLVED


def _proven_optimal(model: Model, result: Any, solver_name: str) -> bool:
    """PuLP 3 reports "optimal" for a solver stopped at its time limit with a solution in hand
    (its sol_status then says 2, "solution found"); ask the solver itself where we can."""
    if solver_name == "highs":
        import highspy

        return (model.problem.solverModel.getModelStatus()
                == highspy.HighsModelStatus.kOptimal)
    sol_status = getattr(model.problem, "sol_status", None)
    if isinstance(result, int):  # PuLP 3
        return sol_status in (None, 1)
    return getattr(result, "has_solution", True) and int(result.status) == 1


def _rows(problem: pulp.LpProblem) -> list[Any]:
    rows = problem.constraints() if callable(problem.constraints) else problem.constraints
    return list(rows.values()) if hasattr(rows, "values") else list(rows)


def highs_row_positions(problem: pulp.LpProblem) -> dict[str, int]:
    """Row name → row index in the in-process HiGHS model PuLP built (PuLP 3 and 4)."""
    out = {}
    for i, row in enumerate(_rows(problem)):
        position = getattr(row, "index", None)  # PuLP 3 sets .index when it builds the rows
        if position is None:
            position = getattr(row, "id", i)  # PuLP 4: .id is the row index
        out[row.name] = int(position)
    return out


def highs_column_positions(problem: pulp.LpProblem) -> dict[str, int]:
    """Variable name → column index in the in-process HiGHS model (PuLP 3 and 4)."""
    if hasattr(problem, "exported_variables"):  # PuLP 4
        return {v.name: j for j, v in enumerate(problem.exported_variables())}
    return {v.name: int(v.index) for v in problem.variables() if getattr(v, "index", None)
            is not None}


def row_ranging(model: Model, duals: dict[str, float]) -> dict[str, tuple[float, float]]:
    """For each row, the interval of its right-hand side over which its shadow price holds.

    Binding rows: HiGHS's ranging (the bound values at which the optimal basis changes).
    Rows with a zero price: from the row's activity to infinity on its slack side (the price
    stays 0 until the row binds).
    """
    status, ranging = model.problem.solverModel.getRanging()
    import highspy

    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return {}
    positions = highs_row_positions(model.problem)
    low_values, high_values = ranging.row_bound_dn.value_, ranging.row_bound_up.value_
    out = {}
    for name, row in model.rows.items():
        i = positions.get(name)
        if i is None:
            continue
        price = duals.get(name, math.nan)
        if math.isnan(price) or abs(price) > FACE_TOL or row.sense == "==":
            out[name] = (float(low_values[i]), float(high_values[i]))
            continue
        activity = float(row.lhs.value() or 0.0)
        out[name] = (activity, math.inf) if row.sense == "<=" else (-math.inf, activity)
    return out


def constraint_duals(problem: pulp.LpProblem) -> dict[str, float]:
    """Row name → dual value as PuLP reports it after a solve (PuLP 3 and 4)."""
    rows = problem.constraints() if callable(problem.constraints) else problem.constraints
    items = rows.items() if hasattr(rows, "items") else ((r.name, r) for r in rows)
    return {name: (row.pi if row.pi is not None else math.nan) for name, row in items}


FACE_TOL = 1e-9  # a reduced cost or dual this small counts as zero
FACE_AT = 1e-7  # a value this close to its bound (or a row to its number) is at it


@dataclass
class Face:
    """The restrictions one stage placed on later ones, so they can be released."""

    bounds: list[tuple[pulp.LpVariable, float | None, float | None]]  # var, old low, old up
    slack: pulp.LpVariable | None  # the tight rows' shared slack, fixed at 0 while in force

    def release(self) -> None:
        for var, low, up in self.bounds:
            var.lowBound, var.upBound = low, up
        if self.slack is not None:
            self.slack.upBound = None


def keep_to_optimal_face(model: Model, stage: str, duals: dict[str, float]) -> Face:
    """Restrict later stages to the optimal face of this stage's LP, exactly.

    For an optimal dual, the optimal solutions are the feasible points complementary to it:
    a variable with a non-zero reduced cost stays at its bound, and a row with a non-zero dual
    stays tight. Fixing those keeps every later stage optimal for this one, whatever the size of
    its objective (the hold row stays as the documented limit). Only what the current solution
    already satisfies is fixed, so the current solution stays feasible; the tight rows share one
    slack (fixed at 0) and every change is recorded, so ``Face.release`` can undo it should the
    solver's own tolerances make a later stage infeasible.
    """
    face = Face(bounds=[], slack=None)
    for family in list(model.variables.values()):
        for var in family.values():
            d, value = var.dj, var.value()
            if d is None or value is None or abs(d) <= FACE_TOL:
                continue
            if d > 0 and var.lowBound is not None and abs(value - var.lowBound) <= FACE_AT:
                face.bounds.append((var, var.lowBound, var.upBound))
                var.upBound = var.lowBound
            elif d < 0 and var.upBound is not None and abs(value - var.upBound) <= FACE_AT:
                face.bounds.append((var, var.lowBound, var.upBound))
                var.lowBound = var.upBound
    tight = []
    for name, row in list(model.rows.items()):
        pi = duals.get(name)
        if row.sense == "==" or pi is None or math.isnan(pi) or abs(pi) <= FACE_TOL:
            continue
        activity = row.lhs.value()
        if activity is None or abs(activity - row.rhs) > FACE_AT * max(1.0, abs(row.rhs)):
            continue
        tight.append((name, row))
    if tight:
        model.add_variables("face_slack", [(stage,)], integer=False, up={(stage,): 0.0})
        face.slack = model.var(("face_slack", stage))
        for name, row in tight:
            # a ≤ row made tight: lhs ≥ rhs − s;  a ≥ row: lhs ≤ rhs + s
            lhs = row.lhs + face.slack if row.sense == "<=" else row.lhs - face.slack
            model.add_row(("face", stage, name), lhs, ">=" if row.sense == "<=" else "<=",
                          row.rhs, RowInfo(family="objective", owner="model", kind="objective",
                                           label=f"{name} stays tight (optimal face of "
                                                 f"{stage})"))
    return face


@dataclass
class _Hold:
    slack: pulp.LpVariable
    optimum: float


def run(model: Model, mode: ObjectiveMode = "weighted", solver_name: SolverName = "highs",
        time_limit: float | None = None, ranging: bool = False) -> SolveRun:
    """Solve the model stage by stage; stop at the first stage that is not optimal.

    With ``ranging`` (HiGHS, LP), also read each row's right-hand-side range at the defining
    stage, where the shadow prices are read."""
    solver = make_solver(solver_name, model.integer, time_limit)
    out = SolveRun(status=SolveStatus.NOT_SOLVED, solver=SOLVERS[solver_name].name,
                   solver_version=solver_version(solver_name))
    plan = stages(mode, model)
    holds: list[_Hold] = []
    faces: list[Face] = []
    rung = 0
    start_all = time.perf_counter()
    for i, stage in enumerate(plan):
        objective = stage.build(model)
        model.problem.setObjective(objective)
        start = time.perf_counter()
        status = solve_once(model, solver, solver_name)
        if status is SolveStatus.INFEASIBLE and holds and solver_name == "highs":
            # HiGHS's presolve can misjudge an LP whose held optimum is tight: try without it
            status = solve_once(model, make_solver("highs", model.integer, time_limit,
                                                   presolve="off"), solver_name)
        if status is SolveStatus.INFEASIBLE and faces:
            # the earlier stages' optima were held too exactly for the solver: release the
            # optimal faces (the hold rows remain), then loosen the holds rung by rung
            for face in faces:
                face.release()
            faces.clear()
            status = solve_once(model, solver, solver_name)
        while status is SolveStatus.INFEASIBLE and holds and rung < len(HOLD_LADDER) - 1:
            rung += 1
            for hold in holds:
                hold.slack.upBound = HOLD_LADDER[rung] * max(abs(hold.optimum), 1.0)
            status = solve_once(model, solver, solver_name)
        seconds = time.perf_counter() - start
        value = objective.value() if status is SolveStatus.OPTIMAL else None
        value = float(value) if value is not None else (0.0 if status is SolveStatus.OPTIMAL
                                                         else None)
        out.stages.append(StageResult(stage.name, stage.main, status, value, seconds,
                                      HOLD_LADDER[rung] if holds else 0.0))
        if status is not SolveStatus.OPTIMAL:
            out.status = status
            break
        trusted = SOLVERS[solver_name].duals and not model.integer
        duals = constraint_duals(model.problem) if trusted else None
        if stage.main and out.objective is None:
            out.objective = value
            out.duals = duals
            if ranging and duals is not None and solver_name == "highs":
                out.ranging = row_ranging(model, duals)
        if i < len(plan) - 1:
            if duals is not None:
                faces.append(keep_to_optimal_face(model, stage.name, duals))
            model.add_variables("hold_slack", [(stage.name,)], integer=False,
                                up={(stage.name,): HOLD_LADDER[rung] * max(abs(value), 1.0)})
            slack = model.var(("hold_slack", stage.name))
            model.add_row(("hold", stage.name), objective - slack, "<=", value, RowInfo(
                family="objective", owner="model", kind="objective",
                label=f"hold the {stage.name} optimum"))
            holds.append(_Hold(slack, value))
    else:
        out.status = SolveStatus.OPTIMAL
    out.solve_seconds = time.perf_counter() - start_all
    return out

