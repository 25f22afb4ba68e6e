"""Pareto-frontier figure: the trade-off between two sides' deviations, each breakpoint with
its package, and each objective mode's answer marked."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.analysis.packages import package_view
from cfe_opt.plots._common import NEUTRAL, axes, context, legend, title, wrap
from cfe_opt.text import fmt, side_name

_MODE_MARKERS = {"weighted": "s", "minimax": "D", "lexicographic": "^"}


def plot_frontier(frontier: Any, modes: pd.DataFrame | None = None,
                  ax: Axes | None = None, mode_positions: pd.DataFrame | None = None) -> Axes:
    """The frontier as a line through its breakpoints, D_A across and D_B up (the sides by
    their parties' names); each breakpoint labelled with its package — the positions'
    quantities that differ along the frontier, in their units — when ``frontier`` is a
    ``solve_frontier`` result (a ``pareto_frontier`` table alone has no packages). The packages
    above and to the right of it are the feasible, dominated ones, shaded. With ``modes``
    (``mode_points``), each objective mode's answer is marked and labelled (with its package,
    given ``mode_positions`` from ``mode_packages``)."""
    points: pd.DataFrame = frontier.points if hasattr(frontier, "points") else frontier
    positions = getattr(frontier, "positions", None)
    ctx = context(points)
    names = ctx.get("party_names", {})
    ax = axes(ax, size=(7.0, 5.2))
    side_a = side_name(points.attrs.get("side_a", "side A"), names)
    side_b = side_name(points.attrs.get("side_b", "side B"), names)
    x = points["deviation_a"].to_numpy(dtype=float)
    y = points["deviation_b"].to_numpy(dtype=float)
    line = NEUTRAL["line"]
    view = (package_view(positions, "point", names)[0] if positions is not None
            else pd.DataFrame())
    mode_view = (package_view(mode_positions, "objective", names)[0]
                 if mode_positions is not None else pd.DataFrame())
    at_point: dict[int, list[str]] = {}  # objective modes whose answer is a breakpoint
    elsewhere: dict[tuple[float, float], list[str]] = {}
    if modes is not None:
        for mode, row in modes.iterrows():
            point = (float(row["deviation_a"]), float(row["deviation_b"]))
            ax.plot([point[0]], [point[1]], linestyle="none",
                    marker=_MODE_MARKERS.get(str(mode), "*"), markersize=9,
                    markerfacecolor="none", markeredgewidth=1.5, color=NEUTRAL["mark"],
                    label=f"{mode} answer")
            hit = [i for i in range(len(x)) if abs(x[i] - point[0]) <= 1e-7 * max(1, x[i])
                   and abs(y[i] - point[1]) <= 1e-7 * max(1, y[i])]
            if hit:
                at_point.setdefault(hit[0], []).append(str(mode))
            else:
                elsewhere.setdefault((round(point[0], 6), round(point[1], 6)),
                                     []).append(str(mode))
    if len(x):
        span_x = max(float(x.max() - x.min()), 0.1)
        span_y = max(float(y.max() - y.min()), 0.1)
        right, top = float(x.max()) + 0.15 * span_x, float(y.max()) + 0.15 * span_y
        # dominated region: everything up and to the right of the frontier
        ax.fill([x[0], *x, right, right, x[0]], [top, *y, y[-1], top, top],
                color=NEUTRAL["light"], alpha=0.35, linewidth=0,
                label="worse for both sides than the frontier")
        ax.plot(x, y, color=line, linewidth=2, marker="o", markersize=6,
                label="Pareto frontier (breakpoints)")
        middle = (float(x.min()) + float(x.max())) / 2
        for i, (a, b) in enumerate(zip(x, y, strict=True)):
            head = f"breakpoint {i}"
            if i in at_point:
                head += f" = the {', '.join(at_point[i])} answer"
            text = [wrap(head, 40), *_package_text(view, i)]
            right_side = a > middle and len(x) > 1
            ax.annotate("\n".join(text), (a, b), textcoords="offset points",
                        xytext=(-8, 8) if right_side else (8, 4),
                        ha="right" if right_side else "left", va="bottom", fontsize=8,
                        color=line)
    for (a, b), found in elsewhere.items():
        text = [f"the {', '.join(found)} answer", *_package_text(mode_view, found[0])]
        ax.annotate("\n".join(text), (a, b), textcoords="offset points", xytext=(-10, -10),
                    fontsize=8, ha="right", va="top")
    ax.set_xlabel(f"deviation of {side_a} (weighted, normalised; lower is better)")
    ax.set_ylabel(f"deviation of {side_b} (weighted, normalised)")
    title(ax, f"What must {side_b} give up so that {side_a} gives up less?", ctx)
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    legend(ax, loc="upper right")
    return ax


def _package_text(view: pd.DataFrame, point: Any) -> list[str]:
    if view.empty or point not in view.index:
        return []
    out = []
    for column in view.columns:
        name, _, unit = str(column).rpartition(" (")
        out.append(wrap(f"{name}: {fmt(float(view.loc[point, column]))} {unit.rstrip(')')}",
                        40))
    return out
