"""The stage runner's exactness and its sleeping rows (``cfe_opt.solve.stages``).

* Rows only a later stage needs (the status-quo distance rows) are free in the first stage when
  the later stages start from scratch, and have their own bounds from the second stage on;
  after a run every bound is the model's.
* The final package meets every earlier stage's optimum with no slack (``polish``): a package
  reached warm after other variants, one solved cold and one from a fresh build agree to
  10⁻⁹ units, not only to the nine digits a study row keeps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cfe_opt.scenario import load_scenario, with_changes
from cfe_opt.solve import CompiledModel
from cfe_opt.solve.stages import own_rows

MODELS = Path(__file__).resolve().parent.parent / "models"


def _bounds_at_each_solve(cm: CompiledModel, rows: np.ndarray) -> list[tuple]:
    """Spy on the engine: the bounds HiGHS is to hold for ``rows`` at each solve."""
    engine = cm.engine
    seen = []
    solve = engine.solve_prepared

    def spy(*args, **kwargs):
        engine.sync()  # the plan's rows reach the engine first
        k = engine.cols + rows
        seen.append((engine.lower_now[k].copy(), engine.upper_now[k].copy()))
        return solve(*args, **kwargs)

    engine.solve_prepared = spy
    return seen


def test_distance_rows_sleep_until_their_stage_and_every_bound_comes_back(monkeypatch):
    import importlib

    stages = importlib.import_module("cfe_opt.solve.stages")
    # the talks LP is small: let its rows sleep as a large LP's do (SLEEP_FROM_ROWS)
    monkeypatch.setattr(stages, "SLEEP_FROM_ROWS", 0)
    cm = CompiledModel(load_scenario(MODELS / "talks_1998.yaml"))
    steps = cm.stage_plan("weighted")
    names = [s.name for s in steps.stages]
    assert names == ["weighted", "tie_break_holdings", "tie_break_ceilings",
                     "tie_break_unique"]
    holdings = own_rows(cm.model, steps.objectives[1])
    ceilings = own_rows(cm.model, steps.objectives[2])
    assert len(holdings) and len(ceilings)
    model = cm.model
    assert {model.row_list[i].name.split(".")[2] for i in holdings} == {"holdings"}
    assert {model.row_list[i].name.split(".")[2] for i in ceilings} == {"ceilings"}
    # every distance row: v + B ≥ v⁰
    assert all(model.row_upper[i] == np.inf and np.isfinite(model.row_lower[i])
               for i in [*holdings, *ceilings])
    assert steps.wakes[1].tolist() == holdings.tolist()
    assert steps.wakes[2].tolist() == ceilings.tolist()
    assert len(steps.wakes[0]) == len(steps.wakes[3]) == 0

    rows = np.concatenate([holdings, ceilings])
    seen = _bounds_at_each_solve(cm, rows)
    lower = np.array([model.row_lower[i] for i in rows])
    asleep = np.full(len(rows), np.inf)
    # later stages warm (an LP under COLD_LATER_STAGES rows): no row sleeps, since a row
    # woken into the basis the first stage left costs the next stage more than it saved
    out = cm.solve("weighted")
    assert out.status.value == "optimal"
    assert len(seen) == 4
    for stage in range(4):
        np.testing.assert_array_equal(seen[stage][0], lower)
    # every stage from scratch (a cold run; large LPs always): the later stages' rows free
    # in the first stage, and all awake from the second on
    seen.clear()
    cold = cm.solve("weighted", cold=True)
    assert len(seen) == 4
    np.testing.assert_array_equal(seen[0][0], -asleep)
    np.testing.assert_array_equal(seen[0][1], asleep)
    for stage in (1, 2, 3):
        np.testing.assert_array_equal(seen[stage][0], lower)
        # (a row a stage's optimal face holds tight has its upper bound at its lower)
        upper = seen[stage][1]
        assert np.all((upper == np.inf) | (upper == lower)), stage
    np.testing.assert_allclose(cold.x, out.x, atol=1e-9)
    # below SLEEP_FROM_ROWS, a cold run lets no row sleep
    monkeypatch.setattr(stages, "SLEEP_FROM_ROWS", cm.model.num_rows + 1)
    seen.clear()
    cm.solve("weighted", cold=True)
    for stage in range(4):
        np.testing.assert_array_equal(seen[stage][0], lower)
    # after the run, HiGHS is to hold the model's own bounds again, everywhere
    engine = cm.engine
    np.testing.assert_array_equal(engine.lower_now[engine.cols:], np.array(model.row_lower))
    np.testing.assert_array_equal(engine.upper_now[engine.cols:], np.array(model.row_upper))
    np.testing.assert_array_equal(engine.lower_now[:engine.cols], np.array(model.col_lower))
    # and the package is the one a fresh build gives, through the checker's eyes too
    fresh = CompiledModel(load_scenario(MODELS / "talks_1998.yaml")).solve("weighted")
    np.testing.assert_allclose(out.x, fresh.x, atol=1e-9)


# the variants after which a warm package once differed from a fresh build's in the ninth
# digit (a hold's slack of 10⁻¹¹·|z*| let the last stages drift by 5·10⁻⁸ units)
_SEQUENCE = [({"parties.POL.national_ceiling.tanks": tanks,
               "parties.POL.positions.readiness_artillery.target": target}, mode)
             for tanks in (1423, 2182) for target in (1380.500604923352, 1394.6430882035363)
             for mode in ("lexicographic", "minimax")]


def _by_name(cm: CompiledModel, x: np.ndarray) -> dict[str, float]:
    return dict(zip(cm.model.col_names, x.tolist(), strict=True))


@pytest.mark.parametrize("upto", [5, 7])
def test_warm_cold_and_fresh_packages_agree_to_a_billionth(upto):
    base = load_scenario(MODELS / "talks_1998_moscow_figure.yaml")
    cm = CompiledModel(base, variants=True)
    for changes, mode in _SEQUENCE[:upto + 1]:
        assert cm.apply(changes).in_place
        warm = cm.solve(mode)
    changes, mode = _SEQUENCE[upto]
    assert warm.status.value == "optimal"
    warm_x = _by_name(cm, warm.x)
    cold_x = _by_name(cm, cm.solve(mode, cold=True).x)
    fresh_cm = CompiledModel(with_changes(base, changes))
    fresh_x = _by_name(fresh_cm, fresh_cm.solve(mode).x)
    assert set(warm_x) == set(fresh_x)
    for name, value in warm_x.items():
        assert abs(value - fresh_x[name]) <= 1e-9, (name, value, fresh_x[name])
        assert abs(value - cold_x[name]) <= 1e-9, (name, value, cold_x[name])
    # the figure that drifted: RUS's active ACV in the flank, which a fresh build gives as
    # 960 + 160/169 (to 10⁻¹²)
    flank = "equipment.RUS.RUS.flank.acv.active"
    assert warm_x[flank] == pytest.approx(960 + 160 / 169, abs=1e-9)


@pytest.mark.parametrize("mode", ["weighted", "minimax", "lexicographic"])
def test_the_final_package_meets_every_earlier_optimum_without_slack(mode):
    cm = CompiledModel(load_scenario(MODELS / "talks_1998.yaml"), variants=True)
    for share in (1.0, 0.9, 1.1):
        changes = {"parties.RUS.positions.flank_acv_active.target": round(2000 * share)}
        assert cm.apply(changes).in_place
        out = cm.solve(mode)
        assert out.status.value == "optimal"
        steps = cm.stage_plan(mode)
        for stage, cost in zip(out.stages[:-1], steps.costs[:-1], strict=True):
            z = stage.objective
            assert cost.value(cm.model, out.x) - z <= 1e-12 * max(1.0, abs(z)), stage.name


def test_distance_rows_and_columns_are_named_as_one_by_one_declaration_names_them():
    from cfe_opt.model.core import _name

    cm = CompiledModel(load_scenario(MODELS / "talks_1998.yaml"))
    cm.stage_plan("weighted")
    model = cm.model
    distance = model.variables["distance"]
    assert len(distance) == sum(1 for r in model.row_list
                                if r.name.startswith("objective.distance."))
    for key, col in distance.items():
        assert model.col_names[col] == _name("distance", key)
        assert model.col_keys[col] == ("distance", *key)
        tag, side, *var = key
        assert side == "below"
        row = model.rows[_name("objective", ("distance", tag, *var))]
        assert row.sense == ">=" and row.info.kind == "objective"
        # v + B_v ≥ v⁰: the figure, then its shortfall
        entries = [(c, v) for r, c, v in zip(model.entry_row, model.entry_col,
                                             model.entry_value, strict=True) if r == row.index]
        assert entries == [(model.col(tuple(var)), 1.0), (col, 1.0)]
