"""Sweep figure: each party's deviation as one number moves, breakpoints marked."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes


def plot_sweep(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """One line per party (its weighted normalised deviation) against the swept value; dashed
    vertical lines at the breakpoints (the first swept value after the active set changed);
    values with no feasible package marked x. Parties that concede nothing anywhere are listed
    in the legend instead of drawn."""
    ax = axes(ax)
    measures = table.index.get_level_values("measure")
    if "deviation" not in measures:
        ax.text(0.5, 0.5, "no party has positions, or no value had a feasible package",
                ha="center", va="center", transform=ax.transAxes)
        return ax
    deviations = table.xs("deviation", level="measure")["number"].unstack("item")
    styles = ["-", "--", ":", "-."]
    quiet = [p for p in deviations.columns if deviations[p].abs().max() <= 1e-9]
    for i, party in enumerate(p for p in deviations.columns if p not in quiet):
        ax.plot(deviations.index, deviations[party], marker="o", markersize=3, label=party,
                linestyle=styles[i % len(styles)], linewidth=1.6)
    status = table.xs("status", level="measure")["number"].droplevel("item")
    for value, ok in status.items():
        if ok == 0:
            ax.axvspan(value, value, color="grey", alpha=0.3)
            ax.plot([value], [0], marker="x", color="black")
    for point in table.attrs.get("breakpoints", []):
        ax.axvline(point, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(table.attrs.get("field", "value"))
    ax.set_ylabel("deviation (weighted, normalised)")
    ax.set_title("How each party's concession moves (dashed: breakpoints)")
    if quiet:
        ax.plot([], [], " ", label=f"no concession: {', '.join(quiet)}")
    ax.legend(fontsize=8)
    return ax
