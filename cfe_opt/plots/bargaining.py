"""Bargaining solutions side by side: each party's deviation under each solution."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes

LABELS = {"utilitarian": "utilitarian", "kalai_smorodinsky": "Kalai–Smorodinsky",
          "nash": "Nash", "weighted": "weighted (the scenario's answer)"}


def plot_bargaining(df: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Grouped bar chart of a ``bargaining_solutions`` table: parties on x, one bar per
    solution, the party's deviation D_p on y; a dash marks each party's worst outcome W_p
    (the disagreement point) and its ideal I_p."""
    ax = axes(ax, size=(9.0, 4.5))
    table = df.reset_index()
    parties = list(dict.fromkeys(table["party"]))
    solutions = list(dict.fromkeys(table["solution"]))
    values = table.pivot(index="party", columns="solution", values="deviation")
    values = values.reindex(index=parties, columns=solutions)
    x = np.arange(len(parties))
    width = 0.8 / max(len(solutions), 1)
    for i, solution in enumerate(solutions):
        ax.bar(x - 0.4 + width * (i + 0.5), values[solution].to_numpy(dtype=float), width,
               label=LABELS.get(solution, solution))
    bounds = table.groupby("party", sort=False)[["ideal", "worst"]].first().reindex(parties)
    ax.hlines(bounds["worst"].to_numpy(dtype=float), x - 0.45, x + 0.45, colors="black",
              linestyles="dashed", linewidth=1, label="worst (disagreement point)")
    ax.hlines(bounds["ideal"].to_numpy(dtype=float), x - 0.45, x + 0.45, colors="grey",
              linestyles="dotted", linewidth=1, label="ideal")
    ax.set_xticks(x, parties)
    ax.set_xlabel("party")
    ax.set_ylabel("deviation D_p (weighted, normalised)")
    bound = df.attrs.get("nash_error_bound")
    title = "Bargaining solutions: what each party gives up"
    if bound is not None:
        title += f"\n(Nash product within a factor e^-{bound:.2g} of the optimum)"
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
