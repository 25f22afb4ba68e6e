"""A stage's optimal bases, kept factorised and tried first on a variant's new numbers.

HiGHS's ``run`` costs about 0.25 ms even when the basis it starts from is already optimal (it
factorises, scales and checks anew). A study variant or a what-if change moves a few numbers,
and most of the time a basis an earlier run of the same stage ended on is still optimal. So
each stage keeps the last few optimal bases it ended on, each with the LU factors of its basis
matrix, and a new solve first tests them:

for the LP  min cᵀx  s.t.  L ≤ Ax ≤ U,  l ≤ x ≤ u  and a basis (basic columns ℬ; rows 𝒯 whose
activity is nonbasic, i.e. held at a bound; |ℬ| = |𝒯|), let x_N be the nonbasic columns at the
bound their status names and r_𝒯 the held rows' bounds. Then

    B = A[𝒯, ℬ],   B x_ℬ = r_𝒯 − A[𝒯, N] x_N,   Bᵀ y_𝒯 = c_ℬ,   y_i = 0 (i ∉ 𝒯),
    d = c − Aᵀ y   (reduced costs; a held row's own is y_i).

A row whose activity is basic drops out of B: its activity is A_i x, checked against its
bounds. The basis is optimal if x_ℬ and the free rows' activities are within their bounds
(``PRIMAL_TOL``, relative to the bound) and every nonbasic reduced cost has the sign its bound
allows (the stage's dual tolerance, as HiGHS's, on the scaled costs). Both tests are exactly
HiGHS's optimality conditions for that basis, made stricter, so an accepted basis gives the
solution HiGHS would return from it after no iteration; if none passes, HiGHS runs (and its
new basis is kept). The values and duals come out in HiGHS's conventions (``row_dual`` = y,
``col_dual`` = d), which ``tests/test_kept_basis.py`` checks against HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_matrix
from scipy.sparse.linalg import splu

try:  # SciPy's own kernels for a sparse matrix times a vector
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a SciPy that moved them: the operator still works
    _sparsetools = None

PRIMAL_TOL = 1e-9  # a basic value this far outside its bound, relative to max(1, |bound|)
KEPT = 6  # bases kept per stage
TRIED = 3  # bases tried before HiGHS runs
MAX_ROWS = 20_000  # larger LPs keep none: a factor's time and memory outweigh HiGHS's warm start

# HiGHS's basis statuses
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3


class Factor:
    """One basis (statuses of columns then rows) with the LU factors of B = A[𝒯, ℬ]."""

    def __init__(self, status: np.ndarray, lu: object, basic: np.ndarray, held: np.ndarray,
                 positions: np.ndarray, values: np.ndarray) -> None:
        self.status = status  # int8, columns then rows
        self.lu = lu
        self.basic = basic  # basic columns, in B's column order
        self.held = held  # rows held at a bound, in B's row order
        self.positions = positions  # where B's entries are in A.data
        self.values = values  # and their values when factorised
        self.at_upper = status == UPPER
        self.at_zero = np.flatnonzero((status == BASIC) | (status == ZERO))
        self.free = np.flatnonzero(status == BASIC)  # basic: columns, then rows (+ n)
        self.nonbasic = nonbasic(status)
        self.priced: Priced | None = None  # the duals for the last cost vector priced

    def current(self, data: np.ndarray) -> bool:
        """B's entries are as they were when factorised."""
        return bool(np.array_equal(data[self.positions], self.values))


def factorise(status: np.ndarray, a: csc_matrix) -> Factor | None:
    """Factorise the basis ``status`` names (None if B is singular)."""
    n = a.shape[1]
    basic = np.flatnonzero(status[:n] == BASIC)
    held = np.flatnonzero(status[n:] != BASIC)
    if len(basic) != len(held):
        return None
    row_of = np.full(a.shape[0], -1, dtype=np.int64)
    row_of[held] = np.arange(len(held))
    starts, ends = a.indptr[basic], a.indptr[basic + 1]
    lengths = ends - starts
    positions = (np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                 + np.arange(int(lengths.sum())))
    rows = row_of[a.indices[positions]]
    cols = np.repeat(np.arange(len(basic)), lengths)
    keep = rows >= 0
    positions, rows, cols = positions[keep], rows[keep], cols[keep]
    values = a.data[positions].copy()
    size = len(basic)
    if size == 0:
        return Factor(status, None, basic, held, positions, values)
    b = csc_matrix((values, (rows, cols)), shape=(size, size))
    try:
        lu = splu(b, permc_spec="COLAMD")
    except RuntimeError:  # singular
        return None
    return Factor(status, lu, basic, held, positions, values)


def matvec(a: csc_matrix, x: np.ndarray) -> np.ndarray:
    """``a @ x`` for a CSC or CSR matrix and a vector, both float64, by SciPy's own kernel
    without its operator's dispatch (at the talks LP's size about 25 µs a call against 3 µs for
    the product itself; three products a kept-basis solve)."""
    if (_sparsetools is None or a.dtype != np.float64 or x.dtype != np.float64
            or a.format not in ("csc", "csr") or x.ndim != 1):
        return a @ x
    m, n = a.shape
    out = np.zeros(m)
    kernel = _sparsetools.csc_matvec if a.format == "csc" else _sparsetools.csr_matvec
    kernel(m, n, a.indptr, a.indices, a.data, np.ascontiguousarray(x), out)
    return out


def basis_values(factor: Factor, a: csc_matrix, lower: np.ndarray, upper: np.ndarray
                 ) -> np.ndarray | None:
    """The basis's vertex for these bounds (column values then row activities), if every value
    is within its bounds; else None."""
    n = a.shape[1]
    values = np.where(factor.at_upper, upper, lower)
    values[factor.at_zero] = 0.0
    if not np.isfinite(values).all():  # a nonbasic value at an infinite bound
        return None
    x = values[:n]
    held_at = values[n:][factor.held]
    if len(factor.basic):
        x[factor.basic] = factor.lu.solve(held_at - matvec(a, x)[factor.held])
    values[n:] = matvec(a, x)
    values[n:][factor.held] = held_at  # exactly at their bounds, as HiGHS reports them
    free = factor.free
    if not within_bounds(values[free], lower[free], upper[free]):
        return None
    return values


@dataclass
class Priced:
    """A basis's duals for one cost vector and dual tolerance, with the nonbasic entries whose
    reduced cost has a sign their bound forbids (at a lower bound: < −tol; at an upper one:
    > tol; free: |·| > tol). The basis is dual feasible for some bounds if no entry of
    ``wrong_lower`` or ``wrong_upper`` can move there (lower < upper) and ``wrong_free`` is
    empty: ``dual_feasible``'s test, kept for the variants that change no cost (a limit's
    number, a target), which then skip the Bᵀy = c_ℬ solve."""

    cost: np.ndarray
    tol: float
    duals: np.ndarray  # read-only: reduced costs, then row duals
    wrong_lower: np.ndarray
    wrong_upper: np.ndarray
    wrong_free: bool

    def feasible(self, lower: np.ndarray, upper: np.ndarray) -> bool:
        return not (self.wrong_free or (lower[self.wrong_lower] < upper[self.wrong_lower]).any()
                    or (lower[self.wrong_upper] < upper[self.wrong_upper]).any())


def priced(factor: Factor, at: object, cost: np.ndarray, dual_tol: float) -> Priced:
    """The basis's duals for ``cost`` (Bᵀ y_𝒯 = c_ℬ, d = c − Aᵀy), computed once per cost
    vector: the same numbers whenever the same costs come again."""
    found = factor.priced
    if found is not None and found.tol == dual_tol and (
            found.cost is cost or np.array_equal(found.cost, cost)):
        return found
    n = len(cost)
    m = len(factor.status) - n
    y = np.zeros(m)
    if len(factor.basic):
        y[factor.held] = factor.lu.solve(cost[factor.basic], trans="T")
    duals = np.empty(n + m)
    duals[:n] = cost - matvec(at, y)
    duals[n:] = y
    duals.flags.writeable = False
    at_lower, at_upper, at_zero = factor.nonbasic
    found = factor.priced = Priced(cost, dual_tol, duals, at_lower[duals[at_lower] < -dual_tol],
                                   at_upper[duals[at_upper] > dual_tol],
                                   bool((np.abs(duals[at_zero]) > dual_tol).any()))
    return found


def basis_solution(factor: Factor, a: csc_matrix, at: object, lower: np.ndarray,
                   upper: np.ndarray, cost: np.ndarray, dual_tol: float
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """If the basis is optimal for these bounds (columns then rows) and costs: the values
    (column values then row activities) and duals (reduced costs then row duals, read-only);
    else None. ``at``: Aᵀ (``a.T``, made once)."""
    dual = priced(factor, at, cost, dual_tol)
    if not dual.feasible(lower, upper):
        return None
    values = basis_values(factor, a, lower, upper)
    if values is None:
        return None
    return values, dual.duals


def within_bounds(values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Every value within its bounds, to ``PRIMAL_TOL``·max(1, |bound|). Most values are
    within their bounds exactly: that is tested first, in four array operations; a NaN fails
    both tests."""
    if (lower <= values).all() and (values <= upper).all():
        return True
    with np.errstate(invalid="ignore"):
        below = lower - values > PRIMAL_TOL * np.maximum(1.0, np.abs(lower))
        above = values - upper > PRIMAL_TOL * np.maximum(1.0, np.abs(upper))
    return not (below | above | np.isnan(values)).any()


def nonbasic(status: np.ndarray) -> list[np.ndarray]:
    """The indexes of a basis's nonbasic entries at a lower bound, at an upper one, and free."""
    return [np.flatnonzero(status == s) for s in (LOWER, UPPER, ZERO)]


def dual_feasible(nonbasic: list[np.ndarray], duals: np.ndarray, lower: np.ndarray,
                  upper: np.ndarray, tol: float | np.ndarray) -> np.ndarray:
    """Every nonbasic reduced cost (a held row's: its dual) has the sign its bound allows: ≥ −tol
    at a lower bound, ≤ tol at an upper one, |·| ≤ tol for a free nonbasic; any at a fixed bound.
    ``nonbasic``: the indexes (columns, then rows + n) at lower, at upper and free; ``duals``
    (columns then rows) may have a second axis, one cost vector each: one answer each."""
    at_lower, at_upper, at_zero = nonbasic

    def moves(where: np.ndarray) -> np.ndarray:
        free = lower[where] < upper[where]
        return free[:, None] if duals.ndim == 2 else free

    wrong = (((duals[at_lower] < -tol) & moves(at_lower)).any(axis=0)
             | ((duals[at_upper] > tol) & moves(at_upper)).any(axis=0)
             | (np.abs(duals[at_zero]) > tol).any(axis=0))
    return ~wrong


def status_from_solution(basic_variables: np.ndarray, values: np.ndarray, lower: np.ndarray,
                         upper: np.ndarray, n: int) -> np.ndarray | None:
    """The basis's statuses (columns then rows) from HiGHS's basic variables (a column's index,
    or −1 − a row's) and the solution: a nonbasic value sits on the bound it is at (to
    ``PRIMAL_TOL``: HiGHS unscales it), a free one at 0. None if one sits on neither."""
    with np.errstate(invalid="ignore"):
        off_lower = np.abs(values - lower)
        off_upper = np.abs(values - upper)
    off_lower[~np.isfinite(lower)] = np.inf
    off_upper[~np.isfinite(upper)] = np.inf
    status = np.where(off_lower <= off_upper, LOWER, UPPER).astype(np.int8)
    off = np.minimum(off_lower, off_upper)
    unbounded = np.isinf(off)
    status[unbounded] = ZERO
    off[unbounded] = np.abs(values[unbounded])
    basic = np.where(basic_variables >= 0, basic_variables, n - 1 - basic_variables)
    status[basic] = BASIC
    bound = np.where(status == LOWER, lower, upper)
    bound[unbounded] = 0.0
    near = off <= PRIMAL_TOL * np.maximum(1.0, np.abs(bound))
    near[basic] = True
    return status if near.all() else None


@dataclass
class Kept:
    """A kept basis: its statuses, factorised when first tried (a solve that is never followed
    by another of the same stage costs no factorisation)."""

    status: np.ndarray
    key: bytes
    factor: Factor | None = None

    def stale(self, a: csc_matrix) -> bool:
        """Not factorised yet, or B's numbers changed since."""
        return self.factor is None or not self.factor.current(a.data)


class KeptBases:
    """Each stage's last few optimal bases, newest (or last used) first."""

    def __init__(self) -> None:
        self.by_stage: dict[object, list[Kept]] = {}
        self.shape: tuple[int, ...] = (0, 0, 0)
        self.hits = self.misses = 0
        self.last: Kept | None = None  # the basis the last solve ended on, if known

    def reset(self, shape: tuple[int, ...]) -> None:
        """Forget every basis when the LP gains rows, columns or entries."""
        if shape != self.shape:
            self.by_stage.clear()
            self.shape = shape

    def solution(self, stage: object, a: csc_matrix, at: object, lower: np.ndarray,
                 upper: np.ndarray, cost: np.ndarray, dual_tol: float
                 ) -> tuple[np.ndarray, np.ndarray] | None:
        """The optimal solution from a kept basis of the stage, if one is optimal."""
        kept = self.by_stage.get(stage, [])
        factorised = False  # at most one factorisation a solve: a miss must stay cheap
        for k, entry in enumerate(kept[:TRIED]):
            if entry.stale(a):
                if factorised:
                    continue
                factorised = True
                entry.factor = factorise(entry.status, a)  # new, or B's numbers changed
                if entry.factor is None:
                    continue
            got = basis_solution(entry.factor, a, at, lower, upper, cost, dual_tol)
            if got is not None:
                if k:
                    kept.insert(0, kept.pop(k))
                self.hits += 1
                self.last = entry
                return got
        self.misses += 1
        return None

    def keep(self, stage: object, status: np.ndarray) -> None:
        """Keep the basis a HiGHS run of the stage ended on (first, if already kept); with no
        stage (None), only know it as the last (for ``vertex``)."""
        key = status.tobytes()
        if stage is None:
            self.last = Kept(status, key)
            return
        kept = self.by_stage.setdefault(stage, [])
        for k, entry in enumerate(kept):
            if entry.key == key:
                kept.insert(0, kept.pop(k))
                self.last = entry
                return
        self.last = Kept(status, key)
        kept.insert(0, self.last)
        del kept[KEPT:]

    def vertex(self, a: csc_matrix, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """The vertex of the basis the last solve ended on, for these bounds (None if unknown
        or outside them)."""
        entry = self.last
        if entry is None:
            return None
        if entry.stale(a):
            entry.factor = factorise(entry.status, a)
            if entry.factor is None:
                return None
        return basis_values(entry.factor, a, lower, upper)
