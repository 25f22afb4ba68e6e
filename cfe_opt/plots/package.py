"""The package figure: who concedes what, one bar per position, redrawn in place.

Each position of the scenario is one horizontal bar, in scenario order and coloured by its
party: the length is the position's normalised deviation (its deviation over its scale; 1 is the
edge of its acceptable range where it states one — the axis says "1 = the edge of the acceptable
range" only when every position's scale comes from a stated range, and says which when some do
and when none does: ``scale_label``), the label says it in the position's own terms
(``620 short of 2,000 → 1,380``). ``PackageChart.update`` sets new lengths and labels on the
same artists (the what-if panel redraws this way: no new axes, no new bars), so a re-solve costs
one canvas draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes, context, label, party_colours

DEVIATION_TOL = 1e-6


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 10 else f"{value:.4g}"


def package_size(positions: int) -> tuple[float, float]:
    """The figure's size (inches) for a number of positions."""
    return (7.5, max(2.5, 0.32 * positions + 1.3))


def deviation_label(row: Any) -> str:
    """A position's outcome in its own terms: met, or how far short/over of its target."""
    unit = row.get("unit") if hasattr(row, "get") else None
    unit = f" {unit}" if isinstance(unit, str) and unit else ""
    deviation, target, achieved = float(row["deviation"]), float(row["target"]), float(
        row["achieved"])
    if math.isnan(achieved):
        return "no package"
    if deviation <= DEVIATION_TOL:
        return f"met ({_number(achieved)}{unit})"
    word = "short of" if achieved < target else "over"
    return f"{_number(deviation)}{unit} {word} {_number(target)} → {_number(achieved)}"


AXIS = "normalised deviation (over each position's scale)"
AXIS_ALL_RANGES = "normalised deviation (1 = the edge of the acceptable range)"
AXIS_NO_RANGE = "normalised deviation (over each position's scale; no acceptable range stated)"
AXIS_SOME_RANGES = ("normalised deviation (over each position's scale; 1 = the edge of the "
                    "acceptable range for the {n} of {total} positions that state one)")


def scale_label(positions: pd.DataFrame) -> str:
    """The x axis in words: what 1 means. A position's scale comes from its stated range when
    its ``scale_under_source`` / ``scale_over_source`` (each side it is measured on) is
    ``range``; without those columns (no package yet) the neutral wording."""
    flat = positions.reset_index()
    sides = [c for c in ("scale_under_source", "scale_over_source") if c in flat.columns]
    if len(sides) < 2 or flat.empty:
        return AXIS
    ranged = 0
    for under, over in zip(flat[sides[0]], flat[sides[1]], strict=True):
        used = [str(v) for v in (under, over) if isinstance(v, str) and v]
        ranged += bool(used) and all(v == "range" for v in used)
    if ranged == len(flat):
        return AXIS_ALL_RANGES
    if ranged == 0:
        return AXIS_NO_RANGE
    return AXIS_SOME_RANGES.format(n=ranged, total=len(flat))


class PackageChart:
    """The package figure on ``ax`` (a new figure when None), kept to be updated in place."""

    def __init__(self, positions: pd.DataFrame, ax: Axes | None = None,
                 title: str = "Who concedes what", keep_limits: bool = False,
                 ctx: Mapping[str, Any] | None = None) -> None:
        self.keep_limits = keep_limits  # live use: widen the axis when needed, never narrow it
        self.limit = 0.0
        rows = positions.reset_index()
        self.keys = list(zip(rows["party"], rows["position"], strict=True))
        self.ax = axes(ax, size=package_size(len(self.keys)))
        # each party in its colour of every other figure (its place in the scenario's order)
        # ``ctx``: the scenario's figure context (``text.figure_context``), else the table's
        ctx = ctx if ctx is not None else context(positions)
        colours = party_colours(ctx["party_order"], list(dict.fromkeys(rows["party"])))
        heights = range(len(self.keys))[::-1]  # first position on top
        self.bars = self.ax.barh(list(heights), [0.0] * len(self.keys),
                                 color=[colours[p] for p, _ in self.keys], height=0.7)
        self.ax.set_yticks(list(heights), [f"{label(p, ctx)} · {n}" for p, n in self.keys],
                           fontsize=8)
        self.labels = [self.ax.text(0, h, "", va="center", fontsize=8) for h in heights]
        self.ax.set_xlabel(AXIS)
        self.zero = self.ax.axvline(0, color="#404040", linewidth=0.8)
        self.heading = title
        self.title = self.ax.set_title(title, loc="left", fontsize=10)
        self.update(positions)

    def update(self, positions: pd.DataFrame, subtitle: str = "") -> bool:
        """New lengths and labels for the same positions (a re-solved package); whether the
        axis limits or the axis's wording changed (then the whole figure must be drawn again,
        not only the bars)."""
        wording = scale_label(positions)
        reworded = wording != AXIS and wording != self.ax.get_xlabel()
        if reworded:
            self.ax.set_xlabel(wording)
        columns = [c for c in ("normalised_deviation", "deviation", "target", "achieved",
                               "unit") if c in positions.columns]
        rows = {key: dict(zip(columns, values, strict=True)) for key, *values in zip(
            positions.index.tolist(), *(positions[c].tolist() for c in columns), strict=True)}
        longest = 0.0
        for key, bar, text in zip(self.keys, self.bars, self.labels, strict=True):
            row = rows[key]
            value = float(row["normalised_deviation"])
            value = 0.0 if math.isnan(value) else value
            bar.set_width(value)
            text.set_x(value)
            text.set_text(f"  {deviation_label(row)}")
            longest = max(longest, value)
        needed = max(1.0, longest) * 1.6
        moved = needed > self.limit or (needed < self.limit and not self.keep_limits)
        if moved:
            self.limit = needed
            self.ax.set_xlim(0, needed)
        moved = moved or reworded
        self.title.set_text(self.heading + (f"\n{subtitle}" if subtitle else ""))
        return moved

    @property
    def moving(self) -> list[Any]:
        """The artists an update changes: the bars, their labels and the title (the left one,
        where ``set_title(loc="left")`` puts it)."""
        return [*self.bars, *self.labels, self.title]

    @property
    def figure(self) -> Any:
        return self.ax.figure


def plot_package(positions: pd.DataFrame, ax: Axes | None = None,
                 title: str = "Who concedes what", ctx: Mapping[str, Any] | None = None
                 ) -> Axes:
    """The package figure (see the module docstring); returns the axes. ``ctx``: the
    scenario's figure context (``cfe_opt.text.figure_context``: party order and names, so
    each party has its colour of every other figure)."""
    return PackageChart(positions, ax, title, ctx=ctx).ax


def plot_binding_prices(constraints: pd.DataFrame, top: int = 12,
                        ax: Axes | None = None) -> Axes:
    """The binding hard limits (treaty rules, commitments, red lines) with a price: the change
    in the objective per unit increase of each one's number, largest first."""
    hard = constraints[constraints["kind"].isin(["treaty_rule", "commitment", "red_line"])
                       & constraints["binding"].astype(bool)
                       & (constraints["shadow_price"].abs() > 1e-12)]
    hard = hard.reindex(hard["shadow_price"].abs().sort_values(ascending=False).index)[:top]
    ax = axes(ax, size=(7.5, max(2.0, 0.4 * len(hard) + 1.2)))
    if hard.empty:
        ax.text(0.5, 0.5, "no binding hard limit has a price", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    heights = list(range(len(hard)))[::-1]
    ax.barh(heights, hard["shadow_price"], color="#404040", height=0.6)
    ax.set_yticks(heights, [f"{label[:50]} ({owner})" for label, owner in
                            zip(hard["label"], hard["owner"], strict=True)], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("change in the objective per unit more of the limit's number")
    ax.set_title("What the binding limits cost", loc="left", fontsize=10)
    return ax
