"""Tornado figure: what moving each binding limit to the ends of its price's range is worth."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes


def plot_tornado(prices: pd.DataFrame, top: int = 12, ax: Axes | None = None) -> Axes:
    """Horizontal bars per binding limit: the objective's change if its number moves down to the
    start (left of zero when that helps) or up to the end of the interval where its shadow price
    holds; limits sorted by the larger of the two. Open-ended intervals are drawn to a unit move
    and hatched."""
    binding = prices[prices["binding"] & (prices["shadow_price"].abs() > 1e-12)].copy()
    ax = axes(ax, size=(8.0, max(2.5, 0.45 * min(len(binding), top) + 1.2)))
    if binding.empty:
        ax.text(0.5, 0.5, "no binding limit has a price", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax

    def bar(cost: float, price: float, sign: int) -> tuple[float, bool]:
        if math.isnan(cost):
            return sign * price, True  # open-ended: show one unit's worth
        return cost, False

    rows = []
    for name, row in binding.iterrows():
        down, open_down = bar(row.cost_down, row.shadow_price, -1)
        up, open_up = bar(row.cost_up, row.shadow_price, 1)
        rows.append((name, row.label, down, up, open_down, open_up))
    rows.sort(key=lambda r: max(abs(r[2]), abs(r[3])), reverse=True)
    rows = rows[:top][::-1]
    for i, (_, _label, down, up, open_down, open_up) in enumerate(rows):
        ax.barh(i, down, color="#d95f02", hatch="//" if open_down else None, alpha=0.85)
        ax.barh(i, up, color="#1b9e77", hatch="//" if open_up else None, alpha=0.85)
    ax.set_yticks(range(len(rows)), [r[1][:55] for r in rows], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("change in the objective (weighted normalised deviation)")
    ax.set_title("What each binding limit costs")
    ax.legend(handles=[ax.patches[0], ax.patches[1]], labels=["number lowered", "number raised"],
              loc="lower right", fontsize=8)
    return ax
