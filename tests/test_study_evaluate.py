"""The reference evaluator's rows, checked against hand-derived values; variant keys; the
design's order."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cfe_opt.study import variant as variant_module
from cfe_opt.study.design import Design
from cfe_opt.study.evaluate import ReferenceEvaluator, Variant, variant_key
from cfe_opt.study.layout import RUN_COLUMNS
from cfe_opt.study.load import load_study
from tests.study_support import make_tree, write_study

TARGETS = """\
name: RUS flank target
base: ../models/talks_1998.yaml
axes:
  rus_target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 2000, 2400]
keep:
  shadow_prices: ["temporary_deployment.POL.*", "freeze.*"]
"""

DEADLOCK = """\
name: flank floor
base: ../models/talks_1998_flank_deadlock.yaml
axes:
  floor:
    field: parties.RUS.red_lines.flank_acv_floor.value
    values: [1380, 1500, 2000]
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("evaluate"))


def rows_of(study_path):
    study = load_study(study_path)
    design = Design.of(study)
    variants = [v for _, _, v in design.points()]
    rows = ReferenceEvaluator(study).evaluate(variants)
    return study, variants, rows


def test_position_rows_by_hand(tree):
    # Turkey's and Norway's caps (1,380) hold Russia's flank ACVs at 1,380 whatever its target:
    # deviation T − 1380 in units, (T − 1380)/T normalised (scale = target), weight 1.
    study, _variants, rows = rows_of(write_study(tree, TARGETS))
    assert [r["status"] for r in rows] == ["optimal"] * 3
    for target, row in zip((1380, 2000, 2400), rows, strict=True):
        assert row["achieved.RUS.flank_acv"] == 1380
        assert row["deviation.RUS.flank_acv"] == target - 1380
        assert row["normalised_deviation.RUS.flank_acv"] == pytest.approx((target - 1380) /
                                                                          target, abs=1e-9)
        assert row["party_deviation.RUS"] == row["normalised_deviation.RUS.flank_acv"]
        assert row["objective"] == row["party_deviation.RUS"]
        assert row["party_deviation.TUR"] == 0 and row["party_deviation.NOR"] == 0
        assert row["TSC.RUS.flank.acv"] == 1380
        assert row["TD.POL.tanks"] == 153  # NATO's basic deployment, at its allowance
        assert row["binding"] == ["temporary_deployment.POL.tanks"]
        # a tank less of allowance leaves NATO's basic-deployment position (target 153,
        # scale 153) one tank short: the objective moves by 1/153 per unit of the number;
        # a tank more buys nothing (the position is met): a breakpoint, up 0 and down −1/153
        assert row["price_down.temporary_deployment.POL.tanks"] == pytest.approx(-1 / 153,
                                                                                  rel=1e-6)
        assert row["price_up.temporary_deployment.POL.tanks"] == 0
        assert row["price_up.freeze.poland_freeze.POL.tanks"] == 0
        assert row["price_down.freeze.poland_freeze.POL.tanks"] == 0
        assert row["concession_total"] is None and row["conflict"] is None
        assert row["reason"] is None
        assert row["base_sha256"] == study.base.sha256
        assert row["solver"] == "HiGHS" and row["solver_version"].startswith("HiGHS ")
        assert row["run.rebuilt"] is True and row["run.evaluator"] == "reference"
    assert rows[1]["deviation.RUS.flank_acv"] == 620
    assert rows[2]["normalised_deviation.RUS.flank_acv"] == 0.425


def test_infeasible_rows_carry_the_concession_and_the_conflict(tree):
    # Russia's floor F against Turkey's and Norway's caps of 1,380: feasible at F = 1380; else
    # the cheapest move lowers the one floor by F − 1380 (raising both caps would cost twice).
    _, _, rows = rows_of(write_study(tree, DEADLOCK))
    assert [r["status"] for r in rows] == ["optimal", "infeasible", "infeasible"]
    for floor, row in zip((1500, 2000), rows[1:], strict=True):
        assert row["concession_total"] == floor - 1380
        assert row["concession"] == [{"name": "limit.RUS.flank_acv_floor", "owner": "RUS",
                                      "change": float(1380 - floor)}]
        names = {c["name"]: c["owner"] for c in row["conflict"]}
        assert len(names) == 2 and names["limit.RUS.flank_acv_floor"] == "RUS"
        other = (set(names) - {"limit.RUS.flank_acv_floor"}).pop()
        assert other in ("limit.TUR.flank_acv_cap", "limit.NOR.flank_acv_cap")
        assert names[other] == other.split(".")[1]
        assert all(c["kind"] == "red_line" for c in row["conflict"])
        assert row["reason"].startswith("no package meets every hard limit; conflict: "
                                        "limit.RUS.flank_acv_floor (RUS), ")
        assert row["objective"] is None and row["party_deviation.RUS"] is None
        assert row["binding"] is None
    assert rows[0]["achieved.RUS.flank_acv"] == 1380


def test_an_invalid_value_is_a_row_with_its_reason(tree):
    study = load_study(write_study(tree, TARGETS))
    evaluator = ReferenceEvaluator(study)
    changes = {"parties.NATO_OTHERS.holdings.tanks": -5}
    bad = Variant(key=variant_key(study.base.sha256, changes, "weighted"), changes=changes,
                  mode="weighted")
    [row] = evaluator.evaluate([bad])
    assert row["status"] == "invalid"
    assert row["reason"] == ("parties.NATO_OTHERS.holdings.tanks.value: input should be greater "
                             "than or equal to 0 (got -5)")
    assert row["objective"] is None and row["achieved.RUS.flank_acv"] is None
    assert row["key"] == bad.key and row["mode"] == "weighted"


def test_a_structural_change_leaves_its_columns_empty(tree):
    study = load_study(write_study(tree, TARGETS))
    changes = {"limits.poland_freeze": None}
    variant = Variant(key=variant_key(study.base.sha256, changes, "weighted"), changes=changes,
                      mode="weighted")
    [row] = ReferenceEvaluator(study).evaluate([variant])
    assert row["status"] == "optimal"
    assert row["price_up.freeze.poland_freeze.POL.tanks"] is None
    assert row["price_down.freeze.poland_freeze.POL.tanks"] is None
    assert row["price_up.temporary_deployment.POL.tanks"] is not None


def test_rows_fit_the_schema_exactly(tree):
    study, _, rows = rows_of(write_study(tree, TARGETS))
    schema = study.layout.schema()
    assert [set(r) for r in rows] == [set(schema.names)] * len(rows)
    table = pa.Table.from_pylist(rows, schema=schema)
    assert table.num_rows == 3
    assert not set(RUN_COLUMNS) & set(study.layout.canonical_columns())


def test_variant_keys():
    base = "ab" * 32
    key = variant_key(base, {"a.b": 2000}, "weighted")
    from cfe_opt.study.variant import normalise

    assert variant_key(base, {"a.b": normalise(2000.0)}, "weighted") == key
    assert normalise(-0.0) == 0 and normalise(1.5) == 1.5 and normalise(True) is True
    two = {"a.b": 1, "c.d": 2}
    assert variant_key(base, two, "weighted") == variant_key(base, dict(reversed(two.items())),
                                                             "weighted")
    assert variant_key(base, {"a.b": 2000}, "minimax") != key
    assert variant_key("cd" * 32, {"a.b": 2000}, "weighted") != key
    assert variant_key(base, {"a.b": True}, "weighted") != variant_key(base, {"a.b": 1},
                                                                       "weighted")


def test_the_model_version_is_in_the_key(monkeypatch):
    key = variant_key("ab" * 32, {}, "weighted")
    monkeypatch.setattr(variant_module, "MODEL_VERSION", "999")
    assert variant_key("ab" * 32, {}, "weighted") != key


def test_changes_equal_to_the_base_are_dropped(tree):
    path = write_study(tree, """\
        name: base values
        base: ../models/talks_1998.yaml
        objectives: [weighted, minimax]
        axes:
          w:
            field: parties.TUR.weight
            values: [1.0, 2]
          t:
            field: parties.RUS.positions.flank_acv.target
            values: [2000.0, 2400]
        """, "base_values.yaml")
    study = load_study(path)
    points = list(Design.of(study).points())
    assert len(points) == 8
    first = points[0][2]
    assert first.changes == {}  # weight 1.0 and target 2000.0 are the base's values
    assert first.key == variant_key(study.base.sha256, {}, "weighted")
    assert points[1][2].mode == "minimax"  # the mode varies fastest …
    assert [p[1]["t"] for p in points[::2]] == [2000, 2400, 2000, 2400]  # … then the last axis
    assert points[2][2].changes == {"parties.RUS.positions.flank_acv.target": 2400}
