"""A stage's kept optimal bases (``cfe_opt.solve.kept_basis``): the solution a kept basis gives
is HiGHS's own for that basis (values and duals, in HiGHS's conventions), a basis that is no
longer optimal is refused, and a re-solve answered from a kept basis equals a solve from
scratch."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest
from scipy.sparse import csc_matrix

from cfe_opt.scenario import load_scenario, with_changes
from cfe_opt.solve import CompiledModel
from cfe_opt.solve.highs import new_highs
from cfe_opt.solve.kept_basis import (
    basis_solution,
    dual_feasible,
    factorise,
    priced,
    status_from_solution,
)

MODELS = Path(__file__).resolve().parent.parent / "models"


def _small_lp() -> tuple[csc_matrix, np.ndarray, np.ndarray]:
    """max x + y  s.t.  x + 2y ≤ 4,  3x + y ≤ 6,  x, y ≥ 0 (as min −x − y): the optimum is
    where both rows bind, x = 8/5, y = 6/5; the rows' duals are −2/5 and −1/5."""
    a = csc_matrix(np.array([[1.0, 2.0], [3.0, 1.0]]))
    lower = np.array([0.0, 0.0, -np.inf, -np.inf])
    upper = np.array([np.inf, np.inf, 4.0, 6.0])
    return a, lower, upper


def _optimal_status(a, lower, upper, cost):
    h = new_highs()  # cfe-opt's options: HiGHS misbehaves if `threads` changes after a run
    h.passModel(_lp(a, lower, upper, cost))
    h.run()
    solution = h.getSolution()
    values = np.concatenate([solution.col_value, solution.row_value])
    duals = np.concatenate([solution.col_dual, solution.row_dual])
    status = status_from_solution(np.asarray(h.getBasicVariables()[1]), values, lower, upper,
                                  a.shape[1])
    return status, values, duals


def _lp(a, lower, upper, cost):
    n = a.shape[1]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = lower[:n], upper[:n]
    lp.row_lower_, lp.row_upper_ = lower[n:], upper[n:]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr, a.indices
    lp.a_matrix_.value_ = a.data
    return lp


def test_a_kept_basis_gives_the_hand_derived_vertex_and_highs_duals():
    a, lower, upper = _small_lp()
    cost = np.array([-1.0, -1.0])
    status, values, duals = _optimal_status(a, lower, upper, cost)
    factor = factorise(status, a)
    got = basis_solution(factor, a, a.T, lower, upper, cost, 1e-9)
    assert got is not None
    mine_values, mine_duals = got
    assert mine_values == pytest.approx([8 / 5, 6 / 5, 4.0, 6.0], abs=1e-12)
    assert mine_duals[2:] == pytest.approx([-2 / 5, -1 / 5], abs=1e-12)
    np.testing.assert_allclose(mine_values, values, atol=1e-12)
    np.testing.assert_allclose(mine_duals, duals, atol=1e-12)


def test_a_basis_no_longer_optimal_is_refused_and_a_moved_number_is_followed():
    a, lower, upper = _small_lp()
    cost = np.array([-1.0, -1.0])
    status, _, _ = _optimal_status(a, lower, upper, cost)
    factor = factorise(status, a)
    # a cost that makes y worth three times x: the optimum moves to (0, 2)
    assert basis_solution(factor, a, a.T, lower, upper, np.array([-1.0, -3.0]), 1e-9) is None
    # the first row's bound 4 → 20: the rows would cross at x = −8/5, infeasible
    far = upper.copy()
    far[2] = 20.0
    assert basis_solution(factor, a, a.T, lower, far, cost, 1e-9) is None
    # 4 → 5: both still bind, at x = 7/5, y = 9/5 (hand-derived), and the basis says so
    near = upper.copy()
    near[2] = 5.0
    values, _ = basis_solution(factor, a, a.T, lower, near, cost, 1e-9)
    assert values[:2] == pytest.approx([7 / 5, 9 / 5], abs=1e-12)


def test_a_changed_coefficient_refactorises_the_basis():
    a, lower, upper = _small_lp()
    cost = np.array([-1.0, -1.0])
    status, _, _ = _optimal_status(a, lower, upper, cost)
    factor = factorise(status, a)
    assert factor.current(a.data)
    moved = a.copy()
    moved[0, 1] = 4.0  # x + 4y ≤ 4, 3x + y ≤ 6: x = 20/11, y = 6/11
    assert not factor.current(moved.data)
    renewed = factorise(factor.status, moved)
    values, _ = basis_solution(renewed, moved, moved.T, lower, upper, cost, 1e-9)
    assert values[:2] == pytest.approx([20 / 11, 6 / 11], abs=1e-12)


def test_a_basis_prices_a_cost_vector_once_and_its_sign_test_is_dual_feasible():
    """The duals of a cost vector are computed once per basis (the same numbers when the same
    costs come again, new ones when a cost moves), and the kept test of their signs answers
    as ``dual_feasible`` does, whatever the bounds."""
    a, lower, upper = _small_lp()
    cost = np.array([-1.0, -1.0])
    status, _, duals = _optimal_status(a, lower, upper, cost)
    factor = factorise(status, a)
    first = priced(factor, a.T, cost, 1e-9)
    assert priced(factor, a.T, cost, 1e-9) is first
    assert priced(factor, a.T, cost.copy(), 1e-9) is first  # equal costs, another array
    np.testing.assert_allclose(first.duals, duals, atol=1e-12)
    assert not first.duals.flags.writeable  # shared by every answer from this basis
    assert first.feasible(lower, upper)
    # y worth three times x: Bᵀy = (−1, −3) gives the rows' duals −8/5 and +1/5 (hand-derived);
    # the second row is at its upper bound, where a dual must be ≤ 0: no longer optimal
    moved = priced(factor, a.T, np.array([-1.0, -3.0]), 1e-9)
    assert moved is not first
    assert moved.duals[2:] == pytest.approx([-8 / 5, 1 / 5], abs=1e-12)
    assert not moved.feasible(lower, upper)
    assert priced(factor, a.T, np.array([-1.0, -3.0]), 1e-7) is not moved  # another tolerance
    rng = np.random.default_rng(5)
    for costs in (cost, np.array([-1.0, -3.0]), np.array([1.0, -1.0]), np.array([0.0, 0.0])):
        got = priced(factor, a.T, costs, 1e-9)
        for _ in range(50):
            low = np.where(rng.random(4) < 0.3, upper, lower)  # some entries fixed
            expected = bool(dual_feasible(factor.nonbasic, got.duals, low, upper, 1e-9))
            assert got.feasible(low, upper) is expected


@pytest.mark.parametrize("mode", ["weighted", "minimax", "lexicographic"])
def test_re_solves_answered_from_kept_bases_equal_solves_from_scratch(mode):
    """Russia's flank target moved over 40 values, each re-solved on one compiled model: most
    stages are answered from a kept basis, and every answer is the cold solve's."""
    scenario = load_scenario(MODELS / "talks_1998.yaml")
    cm = CompiledModel(scenario, variants=True)
    path = "parties.RUS.positions.flank_acv_active.target"
    engine = cm.engine
    for k in range(40):
        target = 600 + 37 * ((k * 7) % 40)
        assert cm.apply({path: target}).in_place
        warm = cm.solve(mode)
        assert warm.x is not None, (k, target, warm.status)
        x = warm.x.copy()
        cold = cm.solve(mode, cold=True)
        assert warm.status == cold.status
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(x, cold.x, rtol=1e-9, atol=1e-7)
        fresh = CompiledModel(with_changes(scenario, {path: target})).solve(mode)
        assert fresh.objective == pytest.approx(warm.objective, rel=1e-9, abs=1e-12)
    assert engine.kept.hits > engine.kept.misses


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_matvec_is_the_sparse_product(fmt):
    from scipy.sparse import random as sparse_random

    from cfe_opt.solve.kept_basis import matvec

    rng = np.random.default_rng(3)
    a = sparse_random(40, 25, density=0.2, format=fmt, random_state=rng)
    x = rng.normal(size=25)
    np.testing.assert_array_equal(matvec(a, x), a @ x)
    y = rng.normal(size=40)
    np.testing.assert_array_equal(matvec(a.T, y), a.T @ y)  # the transpose: the other format
    view = np.concatenate([x, x])[:25]  # a view, as the solver's column values are
    np.testing.assert_array_equal(matvec(a, view), a @ view)


def test_within_bounds_holds_to_the_tolerance_and_refuses_what_is_outside_or_nan():
    """A value exactly within its bounds passes at once; one just outside passes only within
    ``PRIMAL_TOL``·max(1, |bound|) (here 10⁻⁹ at a bound of 1, 10⁻³ at a bound of 10⁶); a NaN
    fails."""
    from cfe_opt.solve.kept_basis import PRIMAL_TOL, within_bounds

    lower = np.array([0.0, -np.inf, 1e6])
    upper = np.array([1.0, 5.0, np.inf])
    assert within_bounds(np.array([0.5, -1e300, 1e6]), lower, upper)
    assert within_bounds(np.array([1.0 + 0.5 * PRIMAL_TOL, 5.0, 1e6 - 0.5e-3]), lower, upper)
    assert not within_bounds(np.array([1.0 + 2 * PRIMAL_TOL, 5.0, 1e6]), lower, upper)
    assert not within_bounds(np.array([0.5, 5.0, 1e6 - 2e-3]), lower, upper)
    assert not within_bounds(np.array([0.5, np.nan, 1e6]), lower, upper)


def test_a_polish_that_moves_only_basic_rows_keeps_the_vertex_it_would_recompute(monkeypatch):
    """The final polish sets the holds to their optima exactly. When the last stage's answer is
    a kept basis's vertex and every hold row is basic in it, the polish keeps those values and
    checks the holds' activities: the same answer, bit for bit, as recomputing the vertex for
    the new bounds — over 30 variants of Russia's flank target and Turkey's weight, in every
    objective mode."""
    from cfe_opt.solve.highs import HighsEngine

    calls = {"kept": 0, "all": 0}
    original = HighsEngine.polish

    def checked(self, rows=None):
        took = rows is not None and self._kept_vertex is self.kept.last
        kept = original(self, rows)
        values = self._values.copy()
        again = self.kept.vertex(self.matrix(), self.lower_now, self.upper_now)
        assert kept == (again is not None)
        if kept:
            assert np.array_equal(values, again)
        calls["all"] += 1
        calls["kept"] += took and kept
        return kept

    monkeypatch.setattr(HighsEngine, "polish", checked)
    cm = CompiledModel(load_scenario(MODELS / "talks_1998.yaml"), variants=True)
    for k in range(30):
        assert cm.apply({"parties.RUS.positions.flank_acv_active.target": 600 + 53 * (k % 9),
                         "parties.TUR.weight": 0.5 + (k % 4) / 3}).in_place
        for mode in ("weighted", "minimax", "lexicographic"):
            assert cm.solve(mode).optimal
    assert calls["all"] == 90
    assert calls["kept"] >= 20  # the values kept, not recomputed (35 of 90 when written)


def test_nonzero_duals_are_worked_out_once_for_read_only_duals():
    """The face's entries with a non-zero dual: the same answer for a writable array (worked
    out each time: it may change) and a read-only one (a kept basis's: kept)."""
    from cfe_opt.solve.stages import nonzero_duals
    from cfe_opt.solve.status import FACE_TOL

    dual = np.array([0.0, 2.0, -3.0, FACE_TOL / 2, -FACE_TOL * 2])
    where, positive, negative = nonzero_duals(dual)
    assert where.tolist() == [1, 2, 4]
    assert positive.tolist() == [True, False, False]
    assert negative.tolist() == [False, True, True]
    dual[1] = 0.0  # writable: nothing kept
    assert nonzero_duals(dual)[0].tolist() == [2, 4]
    frozen = dual.copy()
    frozen.flags.writeable = False
    first = nonzero_duals(frozen)
    assert nonzero_duals(frozen) is first
    assert first[0].tolist() == [2, 4]
    assert nonzero_duals(dual) is not first
