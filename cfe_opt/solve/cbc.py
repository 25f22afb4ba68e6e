"""CBC through PuLP: the model's arrays written out as a PuLP problem, solved, read back.

PuLP is how the model is handed to CBC and how it is written to a file (``--write-model``).
Each solve exports the model as it stands (CBC runs as a separate program, so there is no
basis to keep); the stage logic above is the same as for HiGHS.
"""

from __future__ import annotations

import math
import subprocess
import warnings
from functools import cache
from typing import Any

import numpy as np

from cfe_opt.errors import SolverError
from cfe_opt.model.core import Model
from cfe_opt.solve.status import FACE_AT, SOLVERS, SolveStatus


def make_cbc(integer: bool, time_limit: float | None = None) -> Any:
    """A PuLP CBC solver object; raises SolverError if CBC is not installed."""
    import pulp

    # PuLP 4 finds CBC through the cbcbox wheel (COIN_CMD); PuLP 3.3 bundles it
    # (PULP_CBC_CMD, which warns that PuLP 4 drops it).
    gap = 1e-9 if integer else None
    solver = pulp.COIN_CMD(msg=False, timeLimit=time_limit, gapRel=gap)
    if not solver.available() and hasattr(pulp, "PULP_CBC_CMD"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap)
    if not solver.available():
        raise SolverError("solver cbc is not available on this machine "
                          "(pip install 'cfe-opt[cbc]')")
    return solver


@cache
def cbc_version() -> str:
    try:
        solver = make_cbc(integer=False)
        out = subprocess.run([solver.path, "-quit"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
        for line in out.splitlines():
            if line.strip().startswith("Version:"):
                return "CBC " + line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError, SolverError):
        pass
    return "CBC"


def to_pulp(model: Model, cost: np.ndarray | None = None) -> Any:
    """The model as it stands as a ``pulp.LpProblem`` (names as in the model) minimising
    ``cost · x``. Returns (problem, variables by column, constraints by row)."""
    import pulp

    problem = pulp.LpProblem(_problem_name(model), pulp.LpMinimize)
    variables = []
    for j, name in enumerate(model.col_names):
        low, up = model.col_lower[j], model.col_upper[j]
        variables.append(problem.add_variable(
            name, lowBound=None if math.isinf(low) else low,
            upBound=None if math.isinf(up) else up,
            cat="Integer" if model.col_integer[j] else "Continuous"))
    by_row: list[list[tuple[Any, float]]] = [[] for _ in range(model.num_rows)]
    for i, j, value in zip(model.entry_row, model.entry_col, model.entry_value, strict=True):
        by_row[i].append((variables[j], value))
    constraints: dict[int, list[tuple[Any, int]]] = {}
    for row in model.row_list:
        i = row.index
        low, up = model.row_lower[i], model.row_upper[i]
        expr = pulp.lpSum(coef * var for var, coef in by_row[i])
        parts = []
        if not math.isinf(low) and low == up:
            parts.append((expr == low, row.name, 0))
        else:
            if not math.isinf(low):
                parts.append((expr >= low, row.name if math.isinf(up) else f"{row.name}.lo",
                              1))
            if not math.isinf(up):
                parts.append((expr <= up, row.name if math.isinf(low) else f"{row.name}.up",
                              -1))
        for constraint, name, side in parts:
            problem.addConstraint(constraint, name=name)
            constraints.setdefault(i, []).append((constraint, side))
    if cost is not None:
        problem.setObjective(pulp.lpSum(float(cost[j]) * variables[j]
                                        for j in np.flatnonzero(cost)))
    return problem, variables, constraints


def mps_text(model: Model, cost: np.ndarray | None) -> str:
    """The model with ``cost`` as its objective, as MPS text (written by PuLP)."""
    import os
    import tempfile

    problem, _, _ = to_pulp(model, cost)
    fd, tmp = tempfile.mkstemp(suffix=".mps")
    os.close(fd)
    try:
        problem.writeMPS(tmp)
        with open(tmp, encoding="utf-8") as handle:
            return handle.read()
    finally:
        os.unlink(tmp)


def _problem_name(model: Model) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_]", "_", model.scenario.name)[:60] or "cfe_opt"


def _status_code(result: Any) -> int:
    """PuLP 3 returns an int from solve(); PuLP 4 returns LpSolveStats with .status."""
    return int(result) if isinstance(result, int) else int(result.status)


def _proven_optimal(problem: Any, result: Any) -> bool:
    """PuLP 3 reports "optimal" for a solver stopped at its time limit with a solution in hand
    (its sol_status then says 2, "solution found")."""
    sol_status = getattr(problem, "sol_status", None)
    if isinstance(result, int):  # PuLP 3
        return sol_status in (None, 1)
    return getattr(result, "has_solution", True) and int(result.status) == 1


class CbcEngine:
    """The model solved by CBC: exported through PuLP at every solve."""

    name = "cbc"

    def __init__(self, model: Model) -> None:
        self.model = model
        make_cbc(model.integer)  # fail early if CBC is missing
        self.x: np.ndarray | None = None
        self.activity: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None
        self.col_dual: np.ndarray | None = None

    def sync(self) -> None:
        """Nothing to keep in step: every solve exports the model as it stands."""
        m = self.model
        m.changed_entries.clear()
        m.changed_cols.clear()
        m.changed_rows.clear()


    def set_bounds(self, cols: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray,
                   rows: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
        """Move bounds for the length of a run: here in the model itself, which every solve
        exports. The same call with the old bounds undoes it."""
        m = self.model
        for j, low, up in zip(cols, col_lower, col_upper, strict=True):
            m.col_lower[j], m.col_upper[j] = float(low), float(up)
        for i, low, up in zip(rows, row_lower, row_upper, strict=True):
            m.row_lower[i], m.row_upper[i] = float(low), float(up)
        self.sync()

    def set_bounds_at(self, where: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """``set_bounds`` for entries given as columns, then rows as n + row."""
        cols = where < self.model.num_cols
        rows = ~cols
        self.set_bounds(where[cols], lower[cols], upper[cols],
                        where[rows] - self.model.num_cols, lower[rows], upper[rows])

    def model_row_bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model's own bounds of ``rows`` (outside a run)."""
        m = self.model
        return (np.array([m.row_lower[i] for i in rows], dtype=np.float64),
                np.array([m.row_upper[i] for i in rows], dtype=np.float64))

    def polish(self, rows: np.ndarray | None = None) -> bool:
        """CBC hands back no basis: its solution stands as it came (see ``HighsEngine``)."""
        return False

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        self.model.row_lower[row], self.model.row_upper[row] = lower, upper

    def values_and_duals(self) -> tuple[np.ndarray, np.ndarray]:
        assert self.x is not None and self.activity is not None
        assert self.col_dual is not None and self.row_dual is not None
        return (np.concatenate((self.x, self.activity)),
                np.concatenate((self.col_dual, self.row_dual)))

    def face_bounds(self) -> tuple[np.ndarray, ...]:
        m = self.model
        low = np.asarray(m.col_lower + m.row_lower)
        up = np.asarray(m.col_upper + m.row_upper)
        near_low = np.full(len(low), FACE_AT)
        near_up = near_low.copy()
        near_low[m.num_cols:] *= np.maximum(1.0, np.abs(low[m.num_cols:]))
        near_up[m.num_cols:] *= np.maximum(1.0, np.abs(up[m.num_cols:]))
        return (low, up, np.where(np.isfinite(low), near_low, -1.0),
                np.where(np.isfinite(up), near_up, -1.0), low < up)

    def solve_prepared(self, prepared: tuple[np.ndarray, float, float], presolve: bool = True,
                       time_limit: float | None = None, cold: bool = False,
                       options: dict[str, object] | None = None,
                       duals: bool = True) -> SolveStatus:
        """As ``solve``, for a cost vector prepared by ``highs.prepare_cost``."""
        cost, scale, _ = prepared
        return self.solve(cost * scale, time_limit=time_limit)

    def solve(self, cost: np.ndarray, maximise: bool = False, presolve: bool = True,
              time_limit: float | None = None, cold: bool = False,
              options: dict[str, object] | None = None, duals: bool = True) -> SolveStatus:
        self.sync()
        problem, variables, constraints = to_pulp(self.model, -cost if maximise else cost)
        result = problem.solve(make_cbc(self.model.integer, time_limit))
        code = _status_code(result)
        self.x = self.activity = self.row_dual = self.col_dual = None
        if code == 1 and not _proven_optimal(problem, result):
            return SolveStatus.NOT_SOLVED
        if code == -1:
            return SolveStatus.INFEASIBLE
        if code == -2:
            return SolveStatus.UNBOUNDED
        if code != 1:
            return SolveStatus.ERROR if code == -3 else SolveStatus.NOT_SOLVED
        self.x = np.array([float(v.value() or 0.0) for v in variables])
        m = self.model
        activity = np.zeros(m.num_rows)
        np.add.at(activity, np.asarray(m.entry_row, dtype=np.int64),
                  np.asarray(m.entry_value) * self.x[np.asarray(m.entry_col, dtype=np.int64)])
        self.activity = activity
        if SOLVERS["cbc"].duals and not m.integer:
            duals = np.zeros(m.num_rows)  # of the minimisation solved (−cost when maximising)
            for i, parts in constraints.items():
                duals[i] = sum(float(c.pi or 0.0) for c, _ in parts)
            self.row_dual = duals
            self.col_dual = np.array([float(v.dj or 0.0) for v in variables])
        return SolveStatus.OPTIMAL

    def ranging(self) -> None:
        return None

    def iis(self, strategy: int) -> None:
        return None
