"""The allocation figure ``solve`` writes: each party's ceilings and holdings by category, before
and after, against the positions that name them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from cfe_opt.plots._common import (
    A4_WIDTH,
    NEUTRAL,
    context,
    grid,
    label,
    party_colours,
    thousands,
    title,
    wrap,
)
from cfe_opt.text import category_unit, fmt

MAX_ROWS = 24  # rows per category panel (the largest changes first, then the rest named)
_FIGURES = (("national ceiling", "national_ceiling_before", "national_ceiling"),
            ("territorial ceiling", "territorial_ceiling_before", "territorial_ceiling"),
            ("temporary deployment", None, "temporary_deployment"),
            ("holdings", "holdings_before", "holdings_after"))
_MARKERS = {"at_least": "^", "at_most": "v", "exactly": "D"}
_KEY_ROW = {"national_ceiling": "national ceiling", "territorial_ceiling": "territorial ceiling",
            "temporary_deployment": "temporary deployment", "holdings": "holdings"}


def plot_allocation(result: Any, ax: Axes | None = None) -> Axes:
    """One panel per category (in its units): a row per party and figure (national ceiling,
    territorial ceiling, an area's sub-ceiling, temporary deployment, holdings) that changes
    or that a position names — before (hollow) and after (filled, in the party's colour), the
    value written beside — and on it the target of each position on exactly that figure, in
    the colour of the party that holds it (▲ at least, ▼ at most, ◆ exactly). Rows where
    nothing changes and no position points are left out. Returns the first panel."""
    allocation = result.allocation
    model = getattr(result, "model", None)
    ctx = context(getattr(result, "allocation", None))
    if model is not None:
        from cfe_opt.text import figure_context

        ctx = figure_context(model.scenario)
    targets = _targets(model, result.positions) if model is not None else {}
    panels = _rows(allocation, targets)
    categories = [c for c in dict.fromkeys(allocation.index.get_level_values("category"))
                  if panels.get(c)]
    colours = party_colours(ctx["party_order"])
    if ax is not None:
        axes_list = [ax]
        categories = categories[:1]
    else:
        heights = [max(1.2, 0.32 * len(panels[c]) + 0.8) for c in categories] or [2.0]
        _fig, grid_axes = grid(max(len(categories), 1), 1, (A4_WIDTH, sum(heights) + 1.0),
                               gridspec_kw={"height_ratios": heights})
        axes_list = [row[0] for row in grid_axes]
    first = axes_list[0]
    title(first, "Who holds what after the package? Ceilings and holdings by party, against "
                 "the positions", ctx, f"{getattr(result, 'objective_mode', '')} objective")
    if not categories:
        first.text(0.5, 0.5, "nothing changes and no position names a single figure",
                   ha="center", va="center", transform=first.transAxes, fontsize=9)
        first.set_xticks([])
        first.set_yticks([])
        return first
    for panel, category in zip(axes_list, categories, strict=False):
        rows = panels[category]
        y = np.arange(len(rows))[::-1]
        for yi, row in zip(y, rows, strict=True):
            colour = colours.get(row["party"], NEUTRAL["line"])
            before, after = row["before"], row["after"]
            if not math.isnan(before):
                panel.plot([before, after], [yi, yi], color=NEUTRAL["light"], linewidth=2,
                           zorder=1)
                panel.plot([before], [yi], marker="o", markersize=6, markerfacecolor="white",
                           markeredgecolor=colour, color=colour, linestyle="none", zorder=2)
            panel.plot([after], [yi], marker="o", markersize=6, color=colour,
                       linestyle="none", zorder=3)
            text = fmt(after) if math.isnan(before) or abs(after - before) < 1e-6 else \
                f"{fmt(before)} → {fmt(after)}"
            panel.annotate(text, (max(after, before if not math.isnan(before) else after), yi),
                           textcoords="offset points", xytext=(6, -3), fontsize=8)
            for holder, direction, target in row["targets"]:
                panel.plot([target], [yi], marker=_MARKERS.get(direction, "D"), markersize=7,
                           linestyle="none", color=colours.get(holder, NEUTRAL["mark"]),
                           markeredgecolor=NEUTRAL["mark"], markeredgewidth=0.5, zorder=4)
        panel.set_yticks(y, [wrap(f"{label(r['party'], ctx)}: {r['figure']}", 30)
                             for r in rows], fontsize=8)
        panel.set_ylim(-0.7, len(rows) - 0.3)
        values = [v for r in rows for v in (r["before"], r["after"], *(t[2] for t in
                                                                         r["targets"]))
                  if not math.isnan(v)]
        low, high = min([*values, 0.0]), max([*values, 1.0])
        panel.set_xlim(low - 0.02 * (high - low), high + 0.22 * (high - low))
        panel.set_xlabel(category_unit(category))
        thousands(panel, "x", ticks=4)
    # the legend once, under the panels: before/after and the markers of positions
    handles = [Line2D([], [], marker="o", markerfacecolor="white", color=NEUTRAL["line"],
                      markeredgecolor=NEUTRAL["line"], linestyle="none", label="before"),
               Line2D([], [], marker="o", color=NEUTRAL["line"], linestyle="none",
                      label="after (in the party's colour)")]
    handles += [Line2D([], [], marker=marker, color=NEUTRAL["zone"], linestyle="none",
                       label=f"position: {direction.replace('_', ' ')} (holder's colour)")
                for direction, marker in _MARKERS.items()]
    first.figure.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8,
                        frameon=False)
    return first


def _targets(model: Any, positions: Any) -> dict[tuple, list[tuple[str, str, float]]]:
    """(party, area, category, figure) → the positions on exactly that figure: (holder,
    direction, target)."""
    out: dict[tuple, list[tuple[str, str, float]]] = {}
    for t in model.positions:
        form = {k: c for k, c in t.form.items() if c != 0}
        if len(form) != 1:
            continue
        (key, coef), = form.items()
        if coef != 1:
            continue
        family, party, *rest = key
        if family == "territorial_subceiling":
            where = (party, rest[0], rest[1], f"{rest[0]} sub-ceiling")
        elif family in _KEY_ROW:
            where = (party, "total", rest[-1], _KEY_ROW[family])
        else:
            continue
        out.setdefault(where, []).append((t.party, t.position.direction,
                                          float(model.number(t.position.target))))
    return out


def _rows(allocation: Any, targets: dict) -> dict[str, list[dict[str, Any]]]:
    panels: dict[str, list[dict[str, Any]]] = {}
    for (party, area, category), row in allocation.iterrows():
        figures = _FIGURES if area == "total" else (
            (f"{area} sub-ceiling", "territorial_subceiling_before",
             "territorial_subceiling"),)
        for name, before_column, after_column in figures:
            after = float(row.get(after_column, math.nan))
            if math.isnan(after):
                continue
            before = 0.0 if before_column is None else float(row.get(before_column, math.nan))
            aimed = targets.get((party, area, category, name), [])
            changed = math.isnan(before) or abs(after - before) > 1e-6 * max(1.0, abs(before))
            if not (changed or aimed):
                continue
            panels.setdefault(str(category), []).append({
                "party": str(party), "figure": name, "before": before, "after": after,
                "targets": aimed,
                "size": abs(after - before) if not math.isnan(before) else abs(after)})
    for category, rows in panels.items():
        if len(rows) > MAX_ROWS:
            rows.sort(key=lambda r: (not r["targets"], -r["size"]))
            panels[category] = rows[:MAX_ROWS]
    return panels

