"""The compiled model: one LP re-solved warm must give what a fresh build gives.

* The arrays handed to HiGHS are the model as declared: staged through PuLP's own HiGHS
  interface (``to_pulp``), every stage's optimum is the same.
* A variant set in place (``CompiledModel.apply``) gives the same LP as building the changed
  scenario afresh — the same rows, bounds and coefficients by name — and the same tables,
  solved warm after other variants as solved cold; on every bundled scenario and on random
  scenarios with random changes to every tracked number.
* A variant that would branch the model or its validation differently is refused in place
  (and the fresh build then names the problem).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import make
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

from cfe_opt import load_scenario, verify
from cfe_opt.api import solve
from cfe_opt.errors import CfeOptError
from cfe_opt.io import csv_text
from cfe_opt.objectives import OBJECTIVE_MODES
from cfe_opt.results import allocation_table, equipment_table, positions_table
from cfe_opt.scenario import Scenario, get_field, with_changes
from cfe_opt.solve import CompiledModel, SolveStatus
from cfe_opt.solve.cbc import to_pulp

MODELS = Path(__file__).resolve().parent.parent / "models"
BUNDLED = sorted(p.name for p in MODELS.glob("*.yaml"))
# the cases of the talks file are scenarios of their own
CASES = ["not_durable", "crf_unsolved", "etd_accepted", "etd_refused"]
RANDOM = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])


def tables(cm: CompiledModel, mode: str) -> dict[str, str] | str:
    """The package's tables as CSV text (what a user reads), or the status if not optimal."""
    out = cm.solve(mode)
    if not out.optimal:
        return out.status.value
    m = cm.model
    return {"allocation": csv_text(allocation_table(m, out.x)),
            "equipment": csv_text(equipment_table(m, out.x)),
            "positions": csv_text(positions_table(m, out.x))}


def lp_by_name(cm: CompiledModel) -> dict[str, tuple]:
    """Every row of the scenario (not the solver's own) by name: bounds and coefficients by
    column name (the elastic columns of a concession left out: they are at 0 until used)."""
    m = cm.model
    entries: dict[int, dict[str, float]] = {}
    for i, j, v in zip(m.entry_row, m.entry_col, m.entry_value, strict=True):
        if v != 0 and m.col_keys[j][0] != "violation":
            entries.setdefault(i, {})[m.col_names[j]] = v
    return {row.name: (m.row_lower[row.index], m.row_upper[row.index],
                       tuple(sorted(entries.get(row.index, {}).items())))
            for row in m.row_list if row.info.kind != "objective"}


def changeable(scenario: Scenario, cm: CompiledModel) -> list[str]:
    """The tracked fields the scenario file writes (so ``with_changes`` can set them too)."""
    out = []
    for path in cm.model.params.paths:
        try:
            get_field(scenario.data, path)
        except KeyError:
            continue
        out.append(path)
    return out


def new_value(rng: random.Random, kind: str, base: float) -> float | int:
    if kind == "count":
        return max(0, round(base * rng.uniform(0.7, 1.3)) + rng.choice([0, 1, 7]))
    if kind in ("positive", "nonnegative"):
        return round(base * rng.uniform(0.5, 2.0), 3) or 0.5
    return round(base * rng.uniform(0.7, 1.3) + rng.uniform(-5, 5), 3)


def random_changes(rng: random.Random, scenario: Scenario, cm: CompiledModel,
                   count: int) -> dict[str, float | int]:
    params = cm.model.params
    paths = changeable(scenario, cm)
    if not paths:
        return {}
    chosen = rng.sample(paths, min(count, len(paths)))
    return {p: new_value(rng, params.kinds[params.slot_of[p]],
                         params.base[params.slot_of[p]]) for p in chosen}


def fresh(scenario: Scenario, changes: dict) -> CompiledModel | None:
    try:
        return CompiledModel(with_changes(scenario, changes))
    except CfeOptError:
        return None


# ---- the arrays are the model ------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLED)
def test_stages_through_pulp_highs_agree(name):
    """Each stage of the weighted mode, solved by PuLP's own in-process HiGHS on the model
    exported through PuLP (earlier optima held), has the optimum cfe-opt's engine found."""
    import pulp

    scenario = load_scenario(MODELS / name)
    cm = CompiledModel(scenario)
    out = cm.solve("weighted")
    if not out.optimal:
        pytest.skip(f"{name} is infeasible")
    steps = cm._plans["weighted"]
    m = cm.model
    for k, cost in enumerate(steps.costs):
        for j in range(k):  # the holds, in the model that is exported (a hold row is the
            value = out.stages[j].objective  # objective without its constant, the offset)
            m.set_row_bounds(steps.holds[j], -math.inf,
                             value - steps.costs[j].offset + 1e-9 * max(1.0, abs(value)))
        problem, _, _ = to_pulp(m, cost.vector(m))
        result = problem.solve(pulp.HiGHS(msg=False))
        # PuLP 3 returns the status code, PuLP 4 a result object with .status; 1 is optimal
        assert (result if isinstance(result, int) else result.status) == 1
        assert pulp.value(problem.objective) + cost.offset == pytest.approx(
            out.stages[k].objective, rel=1e-6, abs=1e-6)
        for j in range(k):
            m.set_row_bounds(steps.holds[j], -math.inf, math.inf)


# ---- variants in place equal fresh builds ----------------------------------------------------
@pytest.mark.parametrize(("name", "case"), [(n, None) for n in BUNDLED]
                         + [("talks_1998.yaml", c) for c in CASES])
def test_bundled_variants_in_place_equal_fresh_builds(name, case):
    """Twelve random variants of each bundled scenario (and case), each set in place on one
    compiled model (warm, after the others): the LP equals a fresh build's row by row, the
    tables are byte-identical under every objective mode, and the checker accepts the
    package."""
    rng = random.Random(f"{name}{case or ''}")
    scenario = load_scenario(MODELS / name, case=case)
    cm = CompiledModel(scenario, variants=True)
    done = 0
    for _ in range(12):
        changes = random_changes(rng, scenario, cm, rng.choice([1, 2, 3]))
        other = fresh(scenario, changes)
        applied = cm.apply(changes)
        if other is None:  # an invalid variant is never accepted in place
            assert not applied.in_place, changes
            continue
        if not applied.in_place:
            continue
        done += 1
        assert lp_by_name(cm) == lp_by_name(other), changes
        for mode in OBJECTIVE_MODES:
            assert tables(cm, mode) == tables(other, mode), (changes, mode)
        result = solve(cm)
        if result.optimal:
            assert verify(other.scenario, result).ok
    assert done >= 6, f"only {done} of 12 variants were set in place"


@RANDOM
@given(data=scenarios(max_parties=4), seed=__import__("hypothesis").strategies.integers(0, 999))
def test_random_variants_in_place_equal_fresh_builds(data, seed):
    rng = random.Random(seed)
    try:
        scenario = make(data)
    except CfeOptError:
        return
    cm = CompiledModel(scenario, variants=True)
    for _ in range(3):
        changes = random_changes(rng, scenario, cm, rng.choice([1, 2, 4]))
        if not changes:
            return
        other = fresh(scenario, changes)
        applied = cm.apply(changes)
        if other is None:
            assert not applied.in_place, changes
            continue
        if not applied.in_place:
            continue
        assert lp_by_name(cm) == lp_by_name(other), changes
        mode = rng.choice(OBJECTIVE_MODES)
        assert tables(cm, mode) == tables(other, mode), (changes, mode)


def test_back_to_the_base_scenario_after_variants():
    """Variants leave nothing behind: after several, the empty change set gives the base
    scenario's tables again, warm."""
    scenario = load_scenario(MODELS / "talks_1998.yaml")
    cm = CompiledModel(scenario, variants=True)
    base = tables(cm, "minimax")
    for target in (1500, 2400, 3000):
        assert cm.apply({"parties.RUS.positions.flank_acv_active.target": target}).in_place
        cm.solve("weighted")
    assert cm.apply({}).in_place
    assert tables(cm, "minimax") == base


def test_cost_vectors_follow_each_change_of_the_weights_they_read():
    """A stage's cost vector re-evaluates only the coefficients the last change touched: after
    each of a run of changes (one party's weight, another's, both, a position's weight, back to
    the base), every stage's costs equal the objective's coefficients evaluated afresh
    (``dense_cost``), and the weighted stage's moved where a weight moved."""
    from cfe_opt.solve.stages import dense_cost

    cm = CompiledModel(load_scenario(MODELS / "talks_1998.yaml"), variants=True)
    cm.solve("weighted")
    steps = cm.stage_plan("weighted")
    base = steps.costs[0].vector(cm.model).copy()
    runs = [{"parties.TUR.weight": 1.7}, {"parties.RUS.weight": 0.4},
            {"parties.TUR.weight": 0.6, "parties.RUS.weight": 2.5},
            {"parties.RUS.positions.flank_acv_active.weight": 3.0}, {}]
    for changes in runs:
        assert cm.apply(changes).in_place, changes
        for cost, expr in zip(steps.costs, steps.objectives, strict=True):
            assert np.array_equal(cost.vector(cm.model), dense_cost(cm.model, expr)), changes
        moved = not np.array_equal(steps.costs[0].vector(cm.model), base)
        assert moved == bool(changes), changes


# ---- refusals ------------------------------------------------------------------------------------
def test_a_target_outside_its_range_is_refused_in_place():
    """The validation's branch (target within range) is a guard: moving the target past the
    range's edge is not set in place, and the fresh build names the problem."""
    from cfe_opt import scenario_from_dict

    data = load_scenario(MODELS / "talks_1998.yaml", case="base").data
    data["parties"]["RUS"]["positions"]["flank_acv_active"]["range"] = {"min": 1000,
                                                                        "max": 2400}
    scenario = scenario_from_dict(data)
    cm = CompiledModel(scenario, variants=True)
    path = "parties.RUS.positions.flank_acv_active.target"
    assert cm.apply({path: 2300}).in_place
    applied = cm.apply({path: 2500})  # above the range's max of 2,400
    assert not applied.in_place
    assert "branch" in applied.reason
    with pytest.raises(CfeOptError, match="above the acceptable range's max 2400"):
        with_changes(scenario, {path: 2500})


def test_invalid_values_and_unknown_fields_are_refused_in_place():
    scenario = load_scenario(MODELS / "talks_1998.yaml")
    cm = CompiledModel(scenario, variants=True)
    assert not cm.apply({"parties.POL.holdings.tanks": -5}).in_place
    assert not cm.apply({"parties.POL.holdings.tanks": 846.5}).in_place  # a count is whole
    assert not cm.apply({"parties.POL.holdings.tanks": True}).in_place
    assert not cm.apply({"parties.RUS.positions.flank_acv_active.priority": 2}).in_place
    assert not cm.apply({"parties.NOPE.weight": 2}).in_place
    assert cm.apply({"parties.POL.holdings.tanks.value": 1700}).in_place  # its value


def test_a_holding_moving_the_split_of_equipment_is_set_in_place():
    """Russia's tanks all stand in its flank area: its holdings may not fall below what its
    areas hold (validation). Lowering the holdings alone breaks that branch (refused in place),
    lowering both keeps it (in place, equal to the fresh build)."""
    scenario = load_scenario(MODELS / "talks_1998.yaml")
    cm = CompiledModel(scenario, variants=True)
    assert not cm.apply({"parties.RUS.holdings.tanks": 1800}).in_place
    changes = {"parties.RUS.holdings.tanks": 1800,
               "parties.RUS.areas.flank.holdings.tanks": 1800}
    assert cm.apply(changes).in_place
    other = fresh(scenario, changes)
    assert other is not None
    assert lp_by_name(cm) == lp_by_name(other)
    assert tables(cm, "weighted") == tables(other, "weighted")


# ---- traps found when measuring ----------------------------------------------------------------
def test_a_tiny_weight_is_still_honoured():
    """A weight of 0.001 on a target of 13,300 gives the cost 7.5e-8 per unit, below HiGHS's
    default dual feasibility tolerance (1e-7): the engine scales costs and tightens the
    tolerance, so the unbounded ceiling still meets the target in full."""
    data = {"name": "tiny", "categories": ["tanks"], "parties": {"AAA": {
        "name": "A", "holdings": {"tanks": 4000},
        "positions": {"nc": {"quantity": {"of": "national_ceiling", "parties": ["AAA"]},
                             "direction": "at_least", "target": 13300, "weight": 0.001}}}}}
    result = solve(make(data))
    assert result.optimal
    assert result.positions.loc[("AAA", "nc"), "achieved"] == pytest.approx(13300)
    assert result.objective == pytest.approx(0)


def test_infeasible_variant_in_place_then_feasible_again():
    """Moving a red line into conflict gives an infeasible stage in place; moving it back
    solves again from the same compiled model."""
    scenario = load_scenario(MODELS / "talks_1998_flank_deadlock.yaml")
    cm = CompiledModel(scenario, variants=True)
    assert cm.solve("weighted").status is SolveStatus.INFEASIBLE
    path = "parties.RUS.red_lines.flank_acv_active_floor.value"
    assert cm.apply({path: 580}).in_place
    out = cm.solve("weighted")
    assert out.optimal
    other = fresh(scenario, {path: 580})
    assert other is not None
    assert tables(cm, "weighted") == tables(other, "weighted")
    assert cm.apply({path: 600}).in_place
    assert cm.solve("weighted").status is SolveStatus.INFEASIBLE
    assert np.isfinite(cm.model.row_upper).any()


def test_an_unknown_status_is_retried_from_scratch_not_reported():
    """HiGHS may stop with status "unknown" on a feasible LP (seen with presolve off): the
    stage is solved again from scratch before anything is reported, so the answer is optimal
    and the same as without the hiccup."""
    import highspy

    scenario = load_scenario(MODELS / "talks_1998.yaml")
    plain = tables(CompiledModel(scenario), "weighted")
    cm = CompiledModel(scenario)
    engine = cm.engine
    real = engine.h
    calls = {"n": 0}

    class Flaky:
        def __getattr__(self, name):
            return getattr(real, name)

        def getModelStatus(self):
            calls["n"] += 1
            if calls["n"] == 2:  # the second stage's first answer
                return highspy.HighsModelStatus.kUnknown
            return real.getModelStatus()

    engine.h = Flaky()
    assert tables(cm, "weighted") == plain
    assert calls["n"] > 4  # the stage was solved again
