"""HiGHS in-process, fed from the model's arrays and kept in step with it.

One ``highspy.Highs`` object per engine. The model's columns and rows are handed over in two
calls (``addVars``, ``addRows`` with the whole CSR matrix); later changes — rows or columns an
analysis adds, bounds a stage or an analysis moves, numbers a study variant sets — are pushed
as they are, so every solve after the first starts from the previous basis (warm). A stage's
solve first tries the optimal bases earlier runs of that stage ended on
(``cfe_opt.solve.kept_basis``): if one is still optimal for the new numbers, HiGHS does not run.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

import highspy
import numpy as np

from cfe_opt.model.core import Model
from cfe_opt.solve.kept_basis import (
    BASIC,
    KeptBases,
    status_from_solution,
    within_bounds,
)
from cfe_opt.solve.kept_basis import MAX_ROWS as KEPT_MAX_ROWS
from cfe_opt.solve.status import FACE_AT, SolveStatus

INF = highspy.kHighsInf
DUAL_TOLERANCE = 1e-7  # HiGHS's default
MIN_TOLERANCE = 1e-10  # the smallest HiGHS accepts
THREADS = 1  # one value for the whole process: HiGHS misbehaves if it changes after a run

_STATUS = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.INFEASIBLE,
    # every cfe-opt minimisation is bounded below; a maximising analysis tells the two apart
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.UNBOUNDED,
    highspy.HighsModelStatus.kTimeLimit: SolveStatus.NOT_SOLVED,
    highspy.HighsModelStatus.kIterationLimit: SolveStatus.NOT_SOLVED,
    highspy.HighsModelStatus.kInterrupt: SolveStatus.NOT_SOLVED,
    highspy.HighsModelStatus.kUnknown: SolveStatus.NOT_SOLVED,
    highspy.HighsModelStatus.kModelEmpty: SolveStatus.OPTIMAL,
}
_OPTIMAL = highspy.HighsModelStatus.kOptimal


@contextlib.contextmanager
def stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS writes its banner from C++)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


@cache
def highs_version() -> str:
    return f"HiGHS {new_highs().version()}"


def new_highs() -> highspy.Highs:
    """A quiet HiGHS object with cfe-opt's fixed options."""
    with stdout_silenced():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", THREADS)
    return h


def prepare_cost(cost: np.ndarray) -> tuple[np.ndarray, float, float]:
    """A cost vector as HiGHS should get it: scaled so the largest |cost| is 1, with the dual
    feasibility tolerance set below the smallest (HiGHS's is absolute, 10⁻⁷: a weight of 0.001
    on a target of 13,300, 7.5·10⁻⁸ a unit, would otherwise count as no cost at all).
    Returns (scaled costs, the scale, the tolerance)."""
    size = np.abs(cost)
    nonzero = size[size > 0]
    if not len(nonzero):
        return cost, 1.0, DUAL_TOLERANCE
    scale = float(nonzero.max())
    smallest = float(nonzero.min()) / scale
    tolerance = float(min(DUAL_TOLERANCE, max(MIN_TOLERANCE, 1e-3 * smallest)))
    return (cost / scale if scale != 1.0 else cost.copy()), scale, tolerance


def _ok(status: object, what: str) -> None:
    """A change HiGHS refused (a repeated index, a bad bound) must not pass unnoticed: the
    next solve would be of another LP."""
    if status != highspy.HighsStatus.kOk and status != highspy.HighsStatus.kWarning:
        from cfe_opt.errors import SolverError

        raise SolverError(f"HiGHS refused {what} ({status})")


def _option_value(h: highspy.Highs, name: str) -> object:
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def _joined(cols: list[float], rows: list[float], n: int) -> np.ndarray:
    """A column list then a row list as one float array (filled in place: quicker than
    converting the two lists joined)."""
    out = np.empty(n + len(rows))
    out[:n] = cols
    out[n:] = rows
    return out


def _i32(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.int32)


def _f64(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


class HighsEngine:
    """The model in HiGHS. ``solve`` minimises (or maximises) a cost vector over it."""

    name = "highs"

    def __init__(self, model: Model) -> None:
        self.model = model
        self.h = new_highs()
        if model.integer:
            self.h.setOptionValue("mip_rel_gap", 1e-9)
            self.h.setOptionValue("mip_abs_gap", 1e-9)
        self.cols = 0  # columns, rows and matrix entries HiGHS has been given
        self.rows = 0
        self.entries = 0
        self.cost = np.zeros(0)
        self.col_lower = self.col_upper = self.row_lower = self.row_upper = np.zeros(0)
        self._face: tuple[np.ndarray, ...] | None = None
        self._values: np.ndarray | None = None
        self._duals: np.ndarray | None = None
        self._kept_vertex: object = None  # the kept basis whose vertex ``_values`` is, if one
        self._last_unscaled: tuple[np.ndarray, float, np.ndarray] | None = None
        self._all = np.zeros(0, dtype=np.int32)  # every column index, for a full cost vector
        self._options: dict[str, object] = {}
        self.model_status: object = None
        self.kept = KeptBases()
        self._matrix: tuple[Any, Any, np.ndarray] | None = None  # A (CSC), Aᵀ, entry → slot
        # the bounds of this run (a stage's face and holds): columns then rows, and those not
        # yet handed to HiGHS (they are when HiGHS next runs: a kept basis may answer first)
        self.lower_now = self.upper_now = np.zeros(0)
        self._pending = np.zeros(0, dtype=bool)
        self.x: np.ndarray | None = None
        self.activity: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None
        self.col_dual: np.ndarray | None = None
        self.sync()

    # ---- keeping in step ------------------------------------------------------------------
    def sync(self) -> None:
        """Hand HiGHS whatever the model gained or changed since the last call."""
        m = self.model
        if not (m.changed_entries or m.changed_cols or m.changed_rows) and (
                len(m.entry_value) == self.entries and len(m.col_names) == self.cols
                and len(m.row_list) == self.rows):
            return  # (the model's own lists: its properties cost a call each, many a solve)
        h = self.h
        c0, r0, e0 = self.cols, self.rows, self.entries
        c1, r1, e1 = m.num_cols, m.num_rows, len(m.entry_value)
        if e1 > e0 or c1 > c0 or r1 > r0:
            self._grow(c0, c1, r0, r1, e0, e1)
        changed = [e for e in m.changed_entries if e < e0]
        for e in changed:
            _ok(h.changeCoeff(m.entry_row[e], m.entry_col[e], m.entry_value[e]), "changeCoeff")
        if e1 > e0:
            self._matrix = None
        if self._matrix is not None and changed:
            matrix, _, slot = self._matrix
            matrix.data[slot[changed]] = [m.entry_value[e] for e in changed]
        cols = [j for j in m.changed_cols if j < c0]
        rows_changed = [i for i in m.changed_rows if i < r0]
        self._mirror_bounds(c0, c1, cols, r0, r1, rows_changed)
        if self._face is not None and c1 == c0 and r1 == r0 and not cols:
            self._refresh_face(rows_changed)
        else:
            self._face = None
        m.changed_entries.clear()
        m.changed_cols.clear()
        m.changed_rows.clear()
        self.cols, self.rows, self.entries = c1, r1, e1

    def _grow(self, c0: int, c1: int, r0: int, r1: int, e0: int, e1: int) -> None:
        """New columns (with their entries in existing rows), new rows, new entries."""
        m, h = self.model, self.h
        erow, ecol = _i32(m.entry_row[e0:e1]), _i32(m.entry_col[e0:e1])
        evalue = _f64(m.entry_value[e0:e1])
        old_rows = erow < r0
        if c1 > c0:
            pick = old_rows & (ecol >= c0)
            order = np.argsort(ecol[pick], kind="stable")
            cols, rows, values = ecol[pick][order] - c0, erow[pick][order], evalue[pick][order]
            starts = np.searchsorted(cols, np.arange(c1 - c0)).astype(np.int32)
            _ok(h.addCols(c1 - c0, np.zeros(c1 - c0), _f64(m.col_lower[c0:c1]),
                          _f64(m.col_upper[c0:c1]), len(values), starts, rows, values), "addCols")
            self.cost = np.concatenate([self.cost, np.zeros(c1 - c0)])
            whole = [j for j in range(c0, c1) if m.col_integer[j]]
            if whole:
                _ok(h.changeColsIntegrality(len(whole), _i32(whole),
                                            np.ones(len(whole), dtype=np.uint8)),
                    "changeColsIntegrality")
        if r1 > r0:
            pick = ~old_rows
            order = np.argsort(erow[pick], kind="stable")
            rows, cols, values = erow[pick][order] - r0, ecol[pick][order], evalue[pick][order]
            starts = np.searchsorted(rows, np.arange(r1 - r0)).astype(np.int32)
            _ok(h.addRows(r1 - r0, _f64(m.row_lower[r0:r1]), _f64(m.row_upper[r0:r1]),
                          len(values), starts, cols, values), "addRows")
        for k in np.flatnonzero(old_rows & (ecol < c0)):  # a new entry in an old row and column
            _ok(h.changeCoeff(int(erow[k]), int(ecol[k]), float(evalue[k])), "changeCoeff")

    def _mirror_bounds(self, c0: int, c1: int, cols: list[int], r0: int, r1: int,
                       rows: list[int]) -> None:
        """Keep numpy copies of the model's bounds (what HiGHS holds outside a run), and put
        the changed ones among the bounds HiGHS is to get before it next runs."""
        m = self.model
        if c1 > c0:
            self.col_lower = np.concatenate([self.col_lower, _f64(m.col_lower[c0:c1])])
            self.col_upper = np.concatenate([self.col_upper, _f64(m.col_upper[c0:c1])])
        for j in cols:
            self.col_lower[j], self.col_upper[j] = m.col_lower[j], m.col_upper[j]
        if r1 > r0:
            self.row_lower = np.concatenate([self.row_lower, _f64(m.row_lower[r0:r1])])
            self.row_upper = np.concatenate([self.row_upper, _f64(m.row_upper[r0:r1])])
        for i in rows:
            self.row_lower[i], self.row_upper[i] = m.row_lower[i], m.row_upper[i]
        if c1 > c0 or r1 > r0:  # new parts (HiGHS has them); the old keep what a run moved
            self.lower_now = np.concatenate((self.lower_now[:c0], self.col_lower[c0:],
                                             self.lower_now[c0:], self.row_lower[r0:]))
            self.upper_now = np.concatenate((self.upper_now[:c0], self.col_upper[c0:],
                                             self.upper_now[c0:], self.row_upper[r0:]))
            self._pending = np.concatenate((self._pending[:c0], np.zeros(c1 - c0, dtype=bool),
                                            self._pending[c0:], np.zeros(r1 - r0, dtype=bool)))
            self._matrix = None
        for j in cols:
            self.lower_now[j], self.upper_now[j] = m.col_lower[j], m.col_upper[j]
            self._pending[j] = True
        for i in rows:
            self.lower_now[c1 + i], self.upper_now[c1 + i] = m.row_lower[i], m.row_upper[i]
            self._pending[c1 + i] = True

    def set_bounds(self, cols: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray,
                   rows: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
        """Move bounds in HiGHS only, for the length of a run (the model keeps its own): the
        optimal faces of earlier stages (``cols``, ``rows``: int32 indexes). The same call with
        the old bounds undoes it."""
        self.sync()
        rows = self.cols + rows
        self.lower_now[cols], self.upper_now[cols] = col_lower, col_upper
        self.lower_now[rows], self.upper_now[rows] = row_lower, row_upper
        self._pending[cols] = self._pending[rows] = True

    def set_bounds_at(self, where: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """``set_bounds`` for entries given as columns, then rows as n + row."""
        self.sync()
        self.lower_now[where], self.upper_now[where] = lower, upper
        self._pending[where] = True

    def model_row_bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model's own bounds of ``rows`` (what HiGHS holds outside a run)."""
        self.sync()
        return self.row_lower[rows], self.row_upper[rows]

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """One row's bounds in HiGHS only, for the length of a run (a stage's hold)."""
        self.sync()
        k = self.cols + row
        self.lower_now[k], self.upper_now[k] = lower, upper
        self._pending[k] = True

    def _flush(self) -> None:
        """Hand HiGHS the bounds moved since it last ran."""
        if not len(self._pending) or not self._pending.any():
            return
        where = np.flatnonzero(self._pending)
        self._pending[where] = False
        n = self.cols
        split = int(np.searchsorted(where, n))
        cols, rows = where[:split], where[split:]
        if len(cols):
            _ok(self.h.changeColsBounds(len(cols), cols.astype(np.int32), self.lower_now[cols],
                                        self.upper_now[cols]), "changeColsBounds")
        if len(rows):
            _ok(self.h.changeRowsBounds(len(rows), (rows - n).astype(np.int32),
                                        self.lower_now[rows], self.upper_now[rows]),
                "changeRowsBounds")

    def values_and_duals(self) -> tuple[np.ndarray, np.ndarray]:
        """The last solution's column values then row activities, and their duals."""
        assert self._values is not None and self._duals is not None
        return self._values, self._duals

    def face_bounds(self) -> tuple[np.ndarray, ...]:
        """The model's bounds, columns then rows, with how close a value must be to count as
        at each (10⁻⁷; relative for rows; never at an infinite bound), and which can move."""
        self.sync()
        if self._face is None:
            low = np.concatenate((self.col_lower, self.row_lower))
            up = np.concatenate((self.col_upper, self.row_upper))
            near = np.full(len(low), FACE_AT)
            near[self.cols:] = FACE_AT * np.maximum(1.0, np.abs(self.row_lower))
            near_low = np.where(np.isfinite(low), near, -1.0)
            near[self.cols:] = FACE_AT * np.maximum(1.0, np.abs(self.row_upper))
            near_up = np.where(np.isfinite(up), near, -1.0)
            self._face = (low, up, near_low, near_up, low < up)
        return self._face

    def _refresh_face(self, rows: list[int]) -> None:
        """Update the face arrays for rows whose bounds changed (a variant's numbers)."""
        assert self._face is not None
        low, up, near_low, near_up, free = self._face
        for i in rows:
            k = self.cols + i
            lo, hi = self.row_lower[i], self.row_upper[i]
            low[k], up[k], free[k] = lo, hi, lo < hi
            near_low[k] = FACE_AT * max(1.0, abs(lo)) if math.isfinite(lo) else -1.0
            near_up[k] = FACE_AT * max(1.0, abs(hi)) if math.isfinite(hi) else -1.0

    def _option(self, name: str, value: object) -> None:
        if self._options.get(name) != value:
            self.h.setOptionValue(name, value)
            self._options[name] = value

    # ---- solving ----------------------------------------------------------------------------
    def solve(self, cost: np.ndarray, maximise: bool = False, presolve: bool = True,
              time_limit: float | None = None, cold: bool = False,
              options: dict[str, object] | None = None, duals: bool = True) -> SolveStatus:
        """Minimise (maximise) ``cost · x`` over the model as it stands."""
        return self.solve_prepared(prepare_cost(-cost if maximise else cost), presolve,
                                   time_limit, cold, options, duals)

    def solve_prepared(self, prepared: tuple[np.ndarray, float, float], presolve: bool = True,
                       time_limit: float | None = None, cold: bool = False,
                       options: dict[str, object] | None = None,
                       duals: bool = True, stage: object = None) -> SolveStatus:
        """Minimise a cost vector given as ``prepare_cost`` gives it (scaled, scale, the dual
        tolerance); without ``duals`` the duals are not read back (a last stage). ``stage``
        (any key): try that stage's kept optimal bases first, and keep the basis HiGHS ends
        on (never with ``cold``, ``options`` or an integer model)."""
        self.sync()
        h = self.h
        self._kept_vertex = None
        wanted, scale, tolerance = prepared
        stage = None if (cold or options or self.model.integer or not presolve
                         or self.rows > KEPT_MAX_ROWS) else stage
        self.kept.last = None
        if stage is not None:
            self.kept.reset((self.cols, self.rows, self.entries))
            matrix = self.matrix()
            got = self.kept.solution(stage, matrix, self._matrix[1], self.lower_now,
                                     self.upper_now, wanted, 0.5 * tolerance)
            if got is not None:
                self._take(got, scale, duals)
                return SolveStatus.OPTIMAL
        self._option("dual_feasibility_tolerance", tolerance)
        if wanted is not self.cost:
            if len(self._all) != len(wanted):
                self._all = np.arange(len(wanted), dtype=np.int32)
            _ok(h.changeColsCost(len(wanted), self._all, wanted), "changeColsCost")
            self.cost = wanted
        self._option("presolve", "choose" if presolve else "off")
        self._option("time_limit", float(time_limit) if time_limit else INF)
        if options:
            for name, value in options.items():
                self._option(name, value)
        if cold:
            h.clearSolver()
        self._flush()
        h.run()
        self.model_status = h.getModelStatus()
        status = (SolveStatus.OPTIMAL if self.model_status == _OPTIMAL
                  else _STATUS.get(self.model_status, SolveStatus.ERROR))
        self.x = self.activity = self.row_dual = self.col_dual = None
        self._values = self._duals = None
        if status is SolveStatus.OPTIMAL:
            solution = h.getSolution()
            n = self.cols
            # columns then rows in one array (the face reads them so), the parts as views;
            # each read of a vector of the solution converts it anew: read each once
            self._values = _joined(solution.col_value, solution.row_value, n)
            self.x, self.activity = self._values[:n], self._values[n:]
            if duals and solution.dual_valid and not self.model.integer:
                self._duals = _joined(solution.col_dual, solution.row_dual, n)
                if scale != 1.0:
                    self._duals *= scale
                self.col_dual, self.row_dual = self._duals[:n], self._duals[n:]
            if not self.model.integer and self.rows <= KEPT_MAX_ROWS:
                # the basis it ended on: kept for the stage, and known for ``polish``
                found, basic = h.getBasicVariables()
                if found == highspy.HighsStatus.kOk:
                    basis = status_from_solution(np.asarray(basic), self._values,
                                                 self.lower_now, self.upper_now, n)
                    if basis is not None:
                        self.kept.keep(stage, basis)
        return status

    def _take(self, got: tuple[np.ndarray, np.ndarray], scale: float, duals: bool) -> None:
        """A solution from a kept basis, as a HiGHS run would leave it (duals unscaled)."""
        values, scaled_duals = got
        n = self.cols
        self.model_status = _OPTIMAL
        self._values = values
        self._kept_vertex = self.kept.last  # the values are that basis's vertex
        self.x, self.activity = values[:n], values[n:]
        self._duals = self.col_dual = self.row_dual = None
        if duals:
            self._duals = self._unscaled(scaled_duals, scale)
            self.col_dual, self.row_dual = self._duals[:n], self._duals[n:]

    def _unscaled(self, scaled_duals: np.ndarray, scale: float) -> np.ndarray:
        """A kept basis's duals in the costs' own units, read-only: the same array again for
        the same duals and scale (so what is worked out from them can be kept, see
        ``stages.nonzero_duals``)."""
        if scale == 1.0:
            return scaled_duals
        last = self._last_unscaled
        if last is not None and last[0] is scaled_duals and last[1] == scale:
            return last[2]
        duals = scaled_duals * scale
        duals.flags.writeable = False
        self._last_unscaled = (scaled_duals, scale, duals)
        return duals

    def polish(self, rows: np.ndarray | None = None) -> bool:
        """Recompute the last solution exactly at the vertex of its basis, for the bounds as
        they are now (a stage's holds set to their optima without slack): True if that vertex
        is within every bound, and is then the solution; else the solution stays as it was.

        ``rows``: the rows whose bounds moved since the last solve, if known. When that
        solution is a kept basis's vertex and each of them is basic there, its values are the
        vertex for the new bounds too (the same numbers into the same solve): only those rows'
        activities are checked against their new bounds."""
        if self.x is None or self.kept.last is None:
            return False
        if rows is not None and self._kept_vertex is self.kept.last:
            at = self.cols + rows
            status = self.kept.last.status
            if (status[at] == BASIC).all():
                return within_bounds(self._values[at], self.lower_now[at], self.upper_now[at])
        values = self.kept.vertex(self.matrix(), self.lower_now, self.upper_now)
        if values is None:
            return False
        n = self.cols
        self._values = values
        self.x, self.activity = values[:n], values[n:]
        return True

    def matrix(self) -> Any:
        """The constraint matrix HiGHS holds, as a SciPy CSC matrix (kept in step by ``sync``)."""
        if self._matrix is None:
            from scipy.sparse import csc_matrix

            m, e = self.model, self.entries
            rows = _i32(m.entry_row[:e])
            cols = _i32(m.entry_col[:e])
            order = np.lexsort((rows, cols))
            indptr = np.searchsorted(cols[order], np.arange(self.cols + 1)).astype(np.int32)
            matrix = csc_matrix((_f64(m.entry_value[:e])[order], rows[order], indptr),
                                shape=(self.rows, self.cols))
            slot = np.empty(e, dtype=np.int64)
            slot[order] = np.arange(e)
            self._matrix = (matrix, matrix.T, slot)  # Aᵀ shares A's data
        return self._matrix[0]

    def ranging(self) -> tuple[np.ndarray, np.ndarray] | None:
        """For each row, the interval of its bound over which the current basis stays optimal
        (HiGHS ranging), or None if HiGHS cannot give it."""
        status, ranging = self.h.getRanging()
        if status != highspy.HighsStatus.kOk or not ranging.valid:
            return None
        return np.array(ranging.row_bound_dn.value_), np.array(ranging.row_bound_up.value_)

    def iis(self, strategy: int) -> tuple[list[int], list[tuple[int, int]]] | None:
        """An irreducible infeasible subsystem of the model as it stands (zero objective):
        (rows, [(column, bound status)]), or None if HiGHS gives none."""
        default = _option_value(self.h, "iis_strategy")
        try:
            status = self.solve(np.zeros(self.model.num_cols),
                                options={"iis_strategy": strategy})
            if status is SolveStatus.OPTIMAL:
                return [], []
            result, iis = self.h.getIis()
        finally:
            self._option("iis_strategy", default)
        if result != highspy.HighsStatus.kOk or not iis.valid_ or not len(iis.row_index_):
            return None
        return ([int(i) for i in iis.row_index_],
                [(int(j), int(b)) for j, b in zip(iis.col_index_, iis.col_bound_, strict=False)])
