"""The shortcuts that let a large scenario (thousands of parties) be built, solved and reported
quickly must give exactly what the plain definitions give.

* ``Model.number`` returns a tracked number's build-time value while no variant has set the
  slots, and evaluates it on the slots once one has.
* ``row_units`` (vectorised) gives each row the unit of its categories in the order its
  entries declare them, as the per-entry definition does.
* The cyclic collector is paused only for the blocks that build or read a model.
"""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import pytest
from conftest import make

from cfe_opt import load_scenario, solve
from cfe_opt.collector import objects_not_collected
from cfe_opt.model.params import evaluate
from cfe_opt.results import row_units
from cfe_opt.solve import CompiledModel
from cfe_opt.text import unit_of

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


def synthetic(parties: int) -> dict:
    spec = importlib.util.spec_from_file_location("bench_solve", ROOT / "benchmarks" /
                                                  "bench_solve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic(parties)


def tracked_numbers(model) -> list:  # type: ignore[no-untyped-def]
    nums = [num for _, num in model.tracked_rhs] + [num for _, num in model.tracked_coef]
    for t in model.positions:
        nums += [t.position.target, t.scale_under, t.scale_over, t.weight]
    return nums


@pytest.mark.parametrize("name", ["talks_1998.yaml", "adapted_1999.yaml"])
def test_number_is_the_evaluation_at_the_slots(name):
    compiled = CompiledModel(load_scenario(MODELS / name), variants=True)
    model = compiled.model
    nums = tracked_numbers(model)
    assert len(nums) > 20
    assert model.theta_version == 0
    for num in nums:
        assert model.number(num) == evaluate(num, model.theta)  # exactly, not approximately
    # a variant sets the slots: the numbers follow them, not their build-time values
    path = next(p for p, slot in model.params.slot_of.items()
                if any(slot in getattr(n, "deps", ()) for n in nums)
                and model.params.kinds[slot] == "positive")
    slot = model.params.slot_of[path]
    assert compiled.apply({path: model.params.base[slot] * 2 + 1}).in_place
    moved = [n for n in nums if slot in getattr(n, "deps", ())]
    assert any(model.number(n) != n.value for n in moved)
    for num in nums:
        assert model.number(num) == evaluate(num, model.theta)
    compiled.apply({})  # back to the scenario's own values (version > 0: evaluated)
    for num in nums:
        assert model.number(num) == evaluate(num, model.theta) == num.value


def units_by_entry(model) -> list[str]:  # type: ignore[no-untyped-def]
    """The definition: each row's categories in the order of its entries, skipping the
    solver's own columns."""
    skip = ("deviation_under", "deviation_over", "stage_level", "distance", "violation")
    categories: list[list[str]] = [[] for _ in range(model.num_rows)]
    for r, c in zip(model.entry_row, model.entry_col, strict=True):
        key = model.col_keys[c]
        if key[0] in skip:
            continue
        category = str(key[4] if key[0] == "equipment" else key[-1])
        if category not in categories[r]:
            categories[r].append(category)
    out = []
    for row in model.row_list:
        if row.info.family in ("reciprocity", "equal_treatment"):
            out.append("share of holdings")
        elif row.info.kind == "objective":
            out.append("")
        else:
            out.append(unit_of(categories[row.index]))
    return out


@pytest.mark.parametrize("source", ["talks_1998.yaml", "talks_1998_uniform_cut.yaml",
                                    "synthetic"])
def test_row_units_follow_the_entries(source):
    scenario = make(synthetic(12)) if source == "synthetic" else load_scenario(MODELS / source)
    compiled = CompiledModel(scenario)
    compiled.solve()  # the stages add their own rows and columns
    model = compiled.model
    assert row_units(model) == units_by_entry(model)


def test_row_units_by_hand():
    result = solve(make(synthetic(4)))
    units = result.constraints["unit"]
    # S00's tank target counts tanks; the group limit on ACVs counts ACVs; the stage's own
    # rows are not in the table
    assert units["position.under.S00.keep_tanks"] == unit_of(["tanks"])
    assert units["limit.group_east.acv"] == unit_of(["acv"])
    assert not any(name.startswith("objective.") for name in units.index)


def test_the_collector_is_paused_only_inside_the_block():
    assert gc.isenabled()
    with objects_not_collected():
        assert not gc.isenabled()
        with objects_not_collected():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()
    gc.disable()
    try:
        with objects_not_collected():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
    with pytest.raises(ValueError), objects_not_collected():
        raise ValueError("an error inside the block")
    assert gc.isenabled()
    solve(make(synthetic(3)))
    assert gc.isenabled()


def test_objects_made_in_the_block_skip_the_young_passes_and_cycles_are_still_collected():
    import weakref

    class Node:
        pass

    gc.collect()
    with objects_not_collected():
        made = [[] for _ in range(1000)]
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle, garbage once the names go
        gone = weakref.ref(a)
        del a, b
    # straight to the oldest generation: no young pass will scan them
    oldest = {id(x) for x in gc.get_objects(generation=2)}
    assert all(id(x) in oldest for x in made)
    assert all(id(x) not in oldest for x in gc.get_objects(generation=0))
    assert gone() is not None  # the cycle is still there …
    gc.collect(0)
    assert gone() is not None  # … a young pass does not see it …
    gc.collect()
    assert gone() is None  # … a full collection frees it


def test_a_family_is_declared_in_one_block_and_a_duplicate_is_refused_whole():
    """``add_variables`` gives each key the next column, named and bounded as declared; a key
    declared twice (in one call or across calls) is refused by name, and nothing of that call
    is added."""
    from cfe_opt.model.core import INF, Model

    model = Model(scenario=None, integer=False, index=None)  # the declarations need neither
    model.add_variables("holdings", [("RUS", "tanks"), ("UKR", "acv")],
                        up={("UKR", "acv"): 5})
    model.add_variables("reduction", [("RUS", "tanks")], low=None)
    assert model.col_names == ["holdings.RUS.tanks", "holdings.UKR.acv", "reduction.RUS.tanks"]
    assert model.col_keys == [("holdings", "RUS", "tanks"), ("holdings", "UKR", "acv"),
                              ("reduction", "RUS", "tanks")]
    assert list(model.col_lower) == [0.0, 0.0, -INF] and list(model.col_upper) == [INF, 5.0, INF]
    assert model.col(("holdings", "UKR", "acv")) == 1
    assert model.col(("reduction", "RUS", "tanks")) == 2
    for keys in ([("BLR", "tanks"), ("BLR", "tanks")], [("BLR", "acv"), ("RUS", "tanks")]):
        with pytest.raises(ValueError, match=r"^duplicate variable holdings\.(BLR|RUS)\.tanks$"):
            model.add_variables("holdings", keys)
        assert model.num_cols == 3 and len(model.variables["holdings"]) == 2
