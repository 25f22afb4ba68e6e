"""Sweep figure: what each party concedes, in units, and the ceilings that move, as one number
moves; breakpoints marked, values with no package (or refused) as gaps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import (
    NEUTRAL,
    context,
    grid,
    label,
    legend,
    no_data,
    pad_limits,
    party_colours,
    thousands,
    title,
    wrap,
)

ZERO = 1e-9
_STYLES = ("-", "--", "-.", ":")


def plot_sweep(found: Any, ax: Axes | None = None) -> Axes:
    """Two panels against the swept value: above, each conceded position's concession in its
    own units (one colour per party: its shortfall below or excess above the target); below,
    every ceiling or temporary deployment that moves, in units. Dashed vertical lines mark the
    breakpoints (a band where only an interval is known); values with no feasible package, or
    refused by the scenario's validation, are gaps, shaded and named in the legend. With
    ``ax`` only the upper panel is drawn (into it). Returns the upper axes."""
    points, table, breaks = found.points, found.table, found.breakpoints
    ctx = context(table, points)
    values = np.array([float(v) for v in points.index])
    measures = set(table.index.get_level_values("measure")) if len(table) else set()
    concessions = _wide(table, "concession", values) if "concession" in measures else None
    if concessions is not None:
        concessions = concessions.loc[:, concessions.abs().max() > ZERO]
    ceilings = _wide(table, "ceiling", values) if "ceiling" in measures else None
    has_ceilings = ceilings is not None and len(ceilings.columns) > 0
    if ax is None:
        rows = 2 if has_ceilings else 1
        _fig, grid_axes = grid(rows, 1, (7.0, 3.2 * rows + 0.8), sharex=True)
        top = grid_axes[0][0]
        bottom = grid_axes[1][0] if has_ceilings else None
    else:
        top, bottom = ax, None
    colours = party_colours(ctx["party_order"])
    field = table.attrs.get("field_label") or table.attrs.get("field", "value")
    title(top, f"How does the package move as {field} moves?", ctx,
          f"{table.attrs.get('objective', '')} objective")

    if concessions is None or not len(concessions.columns):
        top.plot(values, np.zeros_like(values), color=NEUTRAL["line"], linewidth=1.2,
                 label="nobody concedes anything")
        pad_limits(top, [0.0])
        top.set_ylabel("concession (units)")
    else:
        units = _units(table, "concession")
        count: dict[str, int] = {}
        drawn: list[np.ndarray] = []
        for item in concessions.columns:
            party = str(item).split(".", 1)[0]
            k = count[party] = count.get(party, -1) + 1
            series = concessions[item].to_numpy(dtype=float)
            # a line on top of an earlier one is dashed, so both show
            same = sum(np.allclose(series, d, equal_nan=True) for d in drawn)
            drawn.append(series)
            style = (0, (4, 2 + 2 * same)) if same else _STYLES[k % len(_STYLES)]
            top.plot(values, series, marker="o",
                     markersize=3, linewidth=1.6, color=colours.get(party, NEUTRAL["line"]),
                     linestyle=style,
                     label=wrap(f"{label(party, ctx)}: {str(item).split('.', 1)[1]} "
                                f"({units.get(item, '')})", 40))
        unit_set = set(units[c] for c in concessions.columns)
        top.set_ylabel(f"concession ({unit_set.pop()})" if len(unit_set) == 1
                       else "concession (each position's units)")
        pad_limits(top, [0.0, *concessions.to_numpy(dtype=float).ravel()])
    thousands(top)
    if bottom is not None and ceilings is not None:
        units = _units(table, "ceiling")
        for i, item in enumerate(ceilings.columns):
            party = str(item).split(" ")[1].split(".")[0]
            bottom.plot(values, ceilings[item].to_numpy(dtype=float), marker="o",
                        markersize=3, linewidth=1.4, color=colours.get(party, NEUTRAL["line"]),
                        linestyle=_STYLES[i % len(_STYLES)],
                        label=wrap(_ceiling_label(str(item), units.get(item, ""), ctx), 40))
        unit_set = set(units.values())
        bottom.set_ylabel(f"ceiling ({unit_set.pop()})" if len(unit_set) == 1
                          else "ceiling (each figure's units)")
        pad_limits(bottom, ceilings.to_numpy(dtype=float).ravel())
        thousands(bottom)
        bottom.set_xlabel(field)
        panels = [top, bottom]
    else:
        top.set_xlabel(field)
        panels = [top]
    step = float(np.min(np.diff(values))) if len(values) > 1 else 1.0
    for panel in panels:
        _gaps(panel, points, breaks, step)
        _breaks(panel, breaks)
        thousands(panel, "x")
        legend(panel, outside=True)
    if len(values) == 0:
        no_data(top, "no values")
    return top


def _wide(table: pd.DataFrame, measure: str, values: np.ndarray) -> pd.DataFrame:
    part = table.xs(measure, level="measure")["number"]
    order = list(dict.fromkeys(part.index.get_level_values("item")))
    wide = part.unstack("item").reindex(columns=order)
    return wide.reindex([v for v in values])  # missing values (no package) are gaps


def _units(table: pd.DataFrame, measure: str) -> dict[str, str]:
    part = table.xs(measure, level="measure")
    return {str(k[1]): str(u) for k, u in part["unit"].items()}


def _ceiling_label(item: str, unit: str, ctx: dict) -> str:
    kind, where, _category = item.split(" ", 2)
    party, _, area = where.partition(".")
    names = {"NC": "national ceiling", "TC": "territorial ceiling",
             "TSC": f"{area} sub-ceiling", "TD": "temporary deployment"}
    return f"{label(party, ctx)}: {names.get(kind, kind)} ({unit})"


_GAPS = {"infeasible": ("no feasible package (gap)", None),
         "invalid": ("value refused by the scenario's validation (gap)", "xx"),
         "not_solved": ("the solver stopped (gap)", "..")}


def _gaps(ax: Axes, points: pd.DataFrame, breaks: pd.DataFrame, step: float) -> None:
    """Shade each value with no package (or refused, or unsolved), out to the breakpoint
    where that begins where one was located (else half-way to the neighbouring value); one
    legend entry for each kind."""
    values = [float(v) for v in points.index]
    marks = [_position(row) for _, row in breaks.iterrows()]
    shown = set()
    for i, (value, status) in enumerate(zip(values, points["status"], strict=True)):
        if status == "optimal":
            continue
        before = values[i - 1] if i > 0 else value - step
        after = values[i + 1] if i + 1 < len(values) else value + step
        left = max([m for m in marks if before < m <= value], default=(before + value) / 2)
        right = min([m for m in marks if value <= m < after], default=(value + after) / 2)
        text, hatch = _GAPS.get(status, _GAPS["not_solved"])
        ax.axvspan(left, right, facecolor=NEUTRAL["gap"], edgecolor=NEUTRAL["zone"],
                   hatch=hatch, linewidth=0, label=None if status in shown else text)
        shown.add(status)


def _position(row: Any) -> float:
    at = float(row["at"])
    return at if not math.isnan(at) else (float(row["after"]) + float(row["before"])) / 2


def _breaks(ax: Axes, breaks: pd.DataFrame) -> None:
    """A dashed line at each breakpoint (between the two whole numbers for a whole-number
    field); a hatched band where only an interval is known."""
    first = True
    for _, row in breaks.iterrows():
        kwargs: dict[str, Any] = {"label": "breakpoint (active set changes)" if first
                                  else None}
        if row.get("kind") == "interval":
            ax.axvspan(float(row["after"]), float(row["before"]), facecolor="none",
                       edgecolor=NEUTRAL["mark"], hatch="//", linewidth=0, **kwargs)
        else:
            ax.axvline(_position(row), color=NEUTRAL["mark"], linestyle="--", linewidth=0.9,
                       **kwargs)
        first = False
