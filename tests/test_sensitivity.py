"""What each limit costs: shadow prices checked by finite difference, ranges checked at their
ends, per-party costs adding up to the price."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import make, solve_checked

from cfe_opt import load_scenario
from cfe_opt.analysis.sensitivity import limit_costs, shadow_prices
from cfe_opt.scenario import get_field, with_changes

MODELS = Path(__file__).resolve().parent.parent / "models"


def zone(cap: int = 800) -> dict:
    """Three holders of 600/300/100 tanks, each wanting to keep them (relative scale), and a
    zone cap on their total: weighted, the whole cut falls on the largest (cheapest per unit:
    1/600), so the cap's price is −1/600 per tank, valid while the largest alone absorbs the
    cut: cap from 400 (AAA down to 0) to 1000 (no cut)."""
    keep = {"direction": "at_least"}
    parties = {code: {"name": code, "holdings": {"tanks": n},
                      "positions": {"keep": {**keep, "target": n, "quantity": {
                          "of": "holdings", "parties": [code], "categories": ["tanks"]}}}}
               for code, n in (("AAA", 600), ("BBB", 300), ("CCC", 100))}
    return {"name": "zone", "categories": ["tanks"], "parties": parties,
            "limits": {"cap": {"quantity": {"of": "holdings"}, "sense": "<=", "value": cap}}}


def test_price_and_range_hand_derived():
    table = shadow_prices(make(zone()))
    row = table.loc["limit.cap"]
    assert row.binding
    assert row.shadow_price == pytest.approx(-1 / 600)
    assert (row.valid_from, row.valid_to) == pytest.approx((400, 1000))
    assert row.cost_down == pytest.approx(400 / 600)  # cap 800 → 400 costs 400 more tanks of AAA
    assert row.cost_up == pytest.approx(-200 / 600)


def test_price_changes_beyond_its_range():
    """Below 400 the largest is at zero and the next cheapest (BBB, 1/300) takes the cut."""
    below = shadow_prices(make(zone(300))).loc["limit.cap"]
    assert below.shadow_price == pytest.approx(-1 / 300)


def _objective(scenario, objective):
    result = solve_checked(scenario, objective=objective)
    assert result.optimal
    return result.objective


@pytest.mark.parametrize(("name", "case", "objective"), [
    ("talks_1998.yaml", "base", "weighted"), ("talks_1998.yaml", "base", "minimax"),
    ("talks_1998.yaml", "etd_refused", "weighted"),
    ("talks_1998.yaml", "crf_unsolved", "weighted"),
    ("talks_1998_comparable_restraint.yaml", None, "weighted"),
    ("talks_1998_uniform_cut.yaml", None, "weighted"),
    ("talks_1998_moscow_figure.yaml", None, "minimax"), ("adapted_1999.yaml", None, "weighted"),
])
def test_prices_match_finite_differences_on_real_scenarios(name, case, objective):
    """Move each binding limit's number by one unit inside the range where its price holds:
    the re-solved objective moves by exactly the price. A figure that feeds several rows (an
    allowance every host of an entry takes) moves all of them: then the objective moves by the
    sum of their prices, provided the unit move lies inside every one of their ranges."""
    scenario = load_scenario(MODELS / name, case=case)
    table = shadow_prices(scenario, objective=objective)
    base = _objective(scenario, objective)
    checked = 0
    for field in table.loc[table["binding"] & (table["field"] != ""), "field"].unique():
        current = get_field(scenario.data, field)
        value = current.get("value") if isinstance(current, dict) else current
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        rows = table[table["field"] == field]
        for step in (1, -1):
            inside = all((row.valid_to >= row.rhs + 1) if step > 0
                         else (row.valid_from <= row.rhs - 1) for row in rows.itertuples())
            if not inside or value + step < 0:
                continue
            moved = _objective(with_changes(scenario, {field: value + step}), objective)
            assert moved - base == pytest.approx(step * rows["shadow_price"].sum(), abs=1e-6), (
                field, step)
            checked += 1
    assert checked > 0 or table["binding"].sum() == 0


def test_prices_match_finite_differences_on_hand_built_case():
    scenario = make(zone())
    base = _objective(scenario, "weighted")
    for cap in (799, 801, 450, 950):
        moved = _objective(with_changes(scenario, {"limits.cap.value": cap}), "weighted")
        assert moved - base == pytest.approx((cap - 800) * (-1 / 600), abs=1e-9)


def test_costs_by_party_add_up_to_the_price():
    scenario = make(zone())
    table = shadow_prices(scenario)
    costs = limit_costs(scenario, table)
    per_party = costs.loc["limit.cap", "per_unit"]
    assert per_party["AAA"] == pytest.approx(-1 / 600)
    assert per_party["BBB"] == pytest.approx(0) and per_party["CCC"] == pytest.approx(0)
    assert per_party.sum() == pytest.approx(table.loc["limit.cap", "shadow_price"])


def test_nonbinding_limits_are_free_until_they_bind():
    table = shadow_prices(make(zone(2000)))
    row = table.loc["limit.cap"]
    assert not row.binding and row.shadow_price == 0
    assert row.valid_from == pytest.approx(1000) and math.isinf(row.valid_to)


# ---- random scenarios ----------------------------------------------------------------------
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from strategies import scenarios  # noqa: E402

from cfe_opt import scenario_from_dict  # noqa: E402
from cfe_opt.errors import CfeOptError  # noqa: E402


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(scenarios())
def test_prices_match_finite_differences_on_random_scenarios(data):
    """On random scenarios: every binding sum limit or deployment allowance whose number is one
    scenario figure used by that row alone, moved by one unit inside the range where its price
    holds, moves the weighted optimum by exactly the price."""
    scenario = scenario_from_dict(data)
    try:
        table = shadow_prices(scenario)
    except CfeOptError:
        assume(False)  # infeasible: no prices
    base = table.attrs["objective_value"]
    single = table["field"].map(table["field"].value_counts()) == 1
    # limits whose right-hand side is the figure itself (a reciprocity's ratio, say, also
    # changes the row's coefficients, so a unit move of it is not a unit move of the number)
    direct = table["family"].isin(["limit", "temporary_deployment"])
    candidates = table[table["binding"] & single & direct & (table["field"] != "")]
    for name, row in candidates.iterrows():
        try:
            current = get_field(scenario.data, row.field)
        except KeyError:
            continue
        value = current.get("value") if isinstance(current, dict) else current
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        for step in (1, -1):
            inside = (row.valid_to >= row.rhs + 1) if step > 0 else (row.valid_from <= row.rhs - 1)
            if not inside or value + step < 0:
                continue
            try:
                moved = solve_checked(with_changes(scenario, {row.field: value + step}))
            except CfeOptError:
                continue  # the moved figure is no longer valid (e.g. a target outside its range)
            assert moved.optimal, (name, step)
            tol = 1e-6 * max(1.0, abs(base))
            assert moved.objective - base == pytest.approx(step * row.shadow_price, abs=tol), (
                name, step, row.shadow_price)


def test_costs_skip_figures_shared_by_several_rows():
    """A per-party cap written once (value 80) feeds one row per party: moving the figure moves
    them all, so it cannot tell whom one row costs — no split is given rather than a wrong one."""
    data = zone()
    data["limits"] = {"cap": {"quantity": {"of": "holdings"}, "per": ["party"], "sense": "<=",
                              "value": 250}}
    scenario = make(data)
    table = shadow_prices(scenario)
    assert table.loc["limit.cap.AAA", "binding"] and table.loc["limit.cap.BBB", "binding"]
    assert limit_costs(scenario, table).empty


# ---- what the analyst reads -------------------------------------------------------------------
def test_prices_carry_their_units_and_one_unit_moves():
    """The zone cap (tanks): price −1/600 per tank both ways inside 400..1000, so one tank more
    lowers the total by 1/600 and one less raises it by as much; the same in the per-party
    table, whose unit is tanks too."""
    scenario = make(zone())
    table = shadow_prices(scenario)
    row = table.loc["limit.cap"]
    assert row.unit == "tanks" and row.price_unit == "normalised units per tank"
    assert row.raise_one == pytest.approx(-1 / 600) and row.lower_one == pytest.approx(1 / 600)
    assert set(limit_costs(scenario, table)["unit"]) == {"tanks"}


def test_a_price_that_holds_one_way_only_is_said_so():
    """At the cap 1,000 (exactly the holdings) the cap binds degenerately: one tank more
    changes nothing, one less costs AAA 1/600. The sentence says both, not the LP's price."""
    from cfe_opt.report import price_sentence

    row = shadow_prices(make(zone(1000))).loc["limit.cap"]
    assert row.raise_one == pytest.approx(0) and row.lower_one == pytest.approx(1 / 600)
    text = price_sentence(row, {"ZONE": "zone"})
    assert text == ("one more tank on 'cap' (a treaty rule, ≤ 1,000) changes nothing; "
                    "one less raises the total concession by 0.001667 normalised units")


def test_prices_command_speaks_in_words_and_units(tmp_path, capsys, models_dir):
    """'one more tank on … lowers the total concession by 0.001667 normalised units; one less,
    the reverse', the table with its unit, whom it costs by name."""
    import yaml

    from cfe_opt.cli import main

    path = models_dir / "zone.yaml"
    path.write_text(yaml.safe_dump(zone()))
    assert main(["prices", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ("one more tank on 'cap' (a treaty rule, ≤ 800) lowers the total concession "
            "by 0.001667 normalised units; one less, the reverse (it holds for numbers from "
            "400 to 1,000)") in out
    lines = [line.split() for line in out.splitlines()]
    assert ["owner", "limit", "sense", "number", "unit", "price", "from", "to", "one", "more",
            "one", "less"] in lines
    assert ["treaty", "cap", "<=", "800", "tanks", "-0.001667", "400", "1,000", "-0.001667",
            "0.001667"] in lines
    assert ["limit", "unit", "AAA"] in lines and ["cap", "tanks", "-0.001667"] in lines


def test_tornado_bars_are_per_unit_with_the_owner_and_whole_words():
    """One pair of bars per costly binding limit: raised by one (−1/600) and lowered by one
    (+1/600), comparable; the label names the owner and is broken between words only."""
    import matplotlib.pyplot as plt

    from cfe_opt.plots.sensitivity import plot_tornado

    data = zone()
    data["limits"]["cap"]["description"] = "a very long description of the zone cap on tanks"
    ax = plot_tornado(shadow_prices(make(data)))
    widths = sorted(round(p.get_width(), 9) for p in ax.patches)
    assert widths == [round(-1 / 600, 9), round(1 / 600, 9)]
    label = ax.get_yticklabels()[0].get_text()
    text = "treaty: a very long description of the zone cap on tanks (per tank)"
    assert " ".join(label.split()) == text  # every word whole, in order
    assert "\n" in label
    plt.close(ax.figure)
