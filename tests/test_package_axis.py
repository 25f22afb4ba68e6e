"""The package figure's x axis says what 1 means only where it is true: "1 = the edge of the
acceptable range" when every position's scale comes from a stated range, and otherwise that
no range is stated (or for how many positions one is)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import make, solve_checked

import cfe_opt.plots  # noqa: F401  (headless backend first)
from cfe_opt import load_scenario, solve
from cfe_opt.plots.package import (
    AXIS,
    AXIS_ALL_RANGES,
    AXIS_NO_RANGE,
    PackageChart,
    plot_package,
)

TALKS = Path(__file__).resolve().parent.parent / "models" / "talks_1998.yaml"
NC_TANKS = {"of": "national_ceiling", "parties": ["AAA"], "categories": ["tanks"]}


def two_positions(low_range: dict[str, Any] | None, high_range: dict[str, Any] | None
                  ) -> dict[str, Any]:
    """A wants NC(AAA, tanks) ≤ 100, B wants it ≥ 200, each with the range given (or none)."""
    low = {"quantity": NC_TANKS, "direction": "at_most", "target": 100}
    high = {"quantity": NC_TANKS, "direction": "at_least", "target": 200}
    if low_range:
        low["range"] = low_range
    if high_range:
        high["range"] = high_range
    return {"name": "axis", "categories": ["tanks"], "parties": {
        "AAA": {"name": "A", "holdings": {"tanks": 80}, "national_ceiling": {"tanks": 150},
                "positions": {"low": low}},
        "BBB": {"name": "B", "holdings": {"tanks": 50}, "positions": {"high": high}}}}


def test_no_range_stated_in_the_talks():
    """Every position of the 1998 talks is scaled by its default (no range is stated)."""
    positions = solve(load_scenario(TALKS)).positions
    assert set(positions["scale_under_source"]) | set(positions["scale_over_source"]) <= {
        "default", ""}
    assert plot_package(positions).get_xlabel() == AXIS_NO_RANGE
    assert "edge" not in AXIS_NO_RANGE


def test_every_position_with_a_range_says_one_is_the_edge():
    """A's range max 150 (excess scale 150 − 100), B's range min 120 (shortfall scale 80)."""
    positions = solve_checked(make(two_positions({"max": 150}, {"min": 120}))).positions
    assert positions.at[("AAA", "low"), "scale_over_source"] == "range"
    assert positions.at[("BBB", "high"), "scale_under_source"] == "range"
    assert plot_package(positions).get_xlabel() == AXIS_ALL_RANGES


def test_some_positions_with_a_range_are_counted():
    positions = solve_checked(make(two_positions({"max": 150}, None))).positions
    assert plot_package(positions).get_xlabel() == (
        "normalised deviation (over each position's scale; 1 = the edge of the acceptable "
        "range for the 1 of 2 positions that state one)")


def test_the_live_chart_rewords_the_axis_and_asks_for_a_full_draw():
    """The what-if view builds the chart with no package (neutral wording), then updates it: a
    change of wording returns True (the whole figure is drawn again, not only the bars)."""
    ranged = solve_checked(make(two_positions({"max": 150}, {"min": 120}))).positions
    plain = solve_checked(make(two_positions(None, None))).positions
    skeleton = ranged[["normalised_deviation", "deviation", "target", "achieved"]] * 0
    chart = PackageChart(skeleton, keep_limits=True)
    assert chart.ax.get_xlabel() == AXIS
    assert chart.update(ranged) is True and chart.ax.get_xlabel() == AXIS_ALL_RANGES
    assert chart.update(ranged) is False
    assert chart.update(plain) is True and chart.ax.get_xlabel() == AXIS_NO_RANGE


def test_each_party_keeps_its_colour_of_every_other_figure():
    """The package figure colours a party by its place in the scenario's order (the colour it
    has in every other figure), and names it, when given the scenario's figure context."""
    from matplotlib.colors import to_hex

    from cfe_opt.plots._common import party_colours
    from cfe_opt.text import figure_context

    scenario = load_scenario(TALKS)
    positions = solve(scenario).positions
    ctx = figure_context(scenario)
    ax = plot_package(positions, ctx=ctx)
    want = party_colours(ctx["party_order"])
    got = [to_hex(bar.get_facecolor()) for bar in ax.patches][:len(positions)]
    heights = list(range(len(positions)))[::-1]
    by_height = dict(zip(heights, got, strict=True))
    for k, (party, _name) in enumerate(positions.index):
        assert by_height[heights[k]] == want[party].lower(), party
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("Russia · ") for label in labels), labels
