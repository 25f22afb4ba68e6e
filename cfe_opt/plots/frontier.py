"""Pareto-frontier figure: the trade-off between two sides' deviations, with each objective
mode's answer marked."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes

_MODE_MARKERS = {"weighted": "s", "minimax": "D", "lexicographic": "^"}


def plot_frontier(frontier: pd.DataFrame, modes: pd.DataFrame | None = None,
                  ax: Axes | None = None) -> Axes:
    """The frontier as a line through its breakpoints (each breakpoint marked), D_A across and
    D_B up (axis labels from ``frontier.attrs``); the packages above and to the right of it are
    the feasible, dominated ones, shaded. With ``modes`` (``mode_points``), each objective
    mode's answer is marked and labelled."""
    ax = axes(ax, size=(6.5, 5.0))
    side_a = frontier.attrs.get("side_a", "side A")
    side_b = frontier.attrs.get("side_b", "side B")
    x = frontier["deviation_a"].to_numpy(dtype=float)
    y = frontier["deviation_b"].to_numpy(dtype=float)
    if len(x):
        span_x = max(float(x.max() - x.min()), 0.1)
        span_y = max(float(y.max() - y.min()), 0.1)
        right, top = float(x.max()) + 0.15 * span_x, float(y.max()) + 0.15 * span_y
        # dominated region: everything up and to the right of the frontier
        ax.fill([x[0], *x, right, right, x[0]], [top, *y, y[-1], top, top],
                color="#1b9e77", alpha=0.12, linewidth=0, label="worse for both than the frontier")
        ax.plot(x, y, color="#1b9e77", linewidth=2, marker="o", markersize=6,
                label="Pareto frontier (breakpoints)")
        for i, (a, b) in enumerate(zip(x, y, strict=True)):
            ax.annotate(str(i), (a, b), textcoords="offset points", xytext=(-10, -10),
                        fontsize=7, color="#1b9e77")
    if modes is not None:
        labels: dict[tuple[float, float], list[str]] = {}
        for mode, row in modes.iterrows():
            point = (float(row["deviation_a"]), float(row["deviation_b"]))
            ax.plot([point[0]], [point[1]], linestyle="none",
                    marker=_MODE_MARKERS.get(str(mode), "*"), markersize=8,
                    markerfacecolor="none", markeredgewidth=1.5, label=f"{mode} answer")
            labels.setdefault((round(point[0], 6), round(point[1], 6)), []).append(str(mode))
        for (a, b), names in labels.items():
            ax.annotate(", ".join(names), (a, b), textcoords="offset points", xytext=(6, 6),
                        fontsize=8)
    ax.set_xlabel(f"deviation of {side_a} (weighted, normalised)")
    ax.set_ylabel(f"deviation of {side_b} (weighted, normalised)")
    ax.set_title(f"Pareto frontier: {side_a} against {side_b}")
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(fontsize=8)
    return ax
