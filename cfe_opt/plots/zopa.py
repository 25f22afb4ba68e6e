"""Zone-of-possible-agreement figures: what the hard limits allow, each party's acceptable range
and target, and the zone where they overlap (or the gap where they clash); for two quantities,
the polygons."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import (
    NEUTRAL,
    axes,
    context,
    label,
    legend,
    named,
    party_colours,
    thousands,
    title,
)
from cfe_opt.text import fmt

_DIRECTION_MARKERS = {"at_least": "^", "at_most": "v", "exactly": "o", "": "o"}


def plot_range(found: Any, preferred: pd.DataFrame | None = None,
               ax: Axes | None = None) -> Axes:
    """One quantity along the x axis, in its units: on the top row the values every hard limit
    allows (an open end, where no hard limit stops it, fades out with an arrow); below, one row
    per party with a position on it — its acceptable range as a bar in its colour (where one is
    stated) and its target (▲ at least, ▼ at most, ● exactly); the zone of possible agreement
    (inside every stated range) shaded across all rows, or, where the ranges clash, the gap
    hatched. ``found`` is an ``agreement_zone`` (or a ``quantity_range`` table: the hard limits
    alone)."""
    ranges = found.ranges if hasattr(found, "ranges") else None
    hard_frame = found if ranges is None else None
    ctx = context(ranges if ranges is not None else found, preferred)
    if ranges is not None:
        hard = ranges.loc["hard limits"]
        low, high = float(hard["minimum"]), float(hard["maximum"])
        quantity = named(ranges.attrs.get("quantity", ""), ctx)
        unit = ranges.attrs.get("unit", "")
    else:
        row = hard_frame.iloc[0]
        low, high = float(row["minimum"]), float(row["maximum"])
        quantity = named(hard_frame.attrs.get("quantity", str(hard_frame.index[0])), ctx)
        unit = hard_frame.attrs.get("unit", "")
    parties = [] if preferred is None else [
        (str(p), r) for p, r in preferred.iterrows() if not math.isnan(float(r["x"]))]
    ax = axes(ax, size=(7.4, 1.6 + 0.45 * (len(parties) + 1)))
    finite = [v for v in (low, high) if math.isfinite(v)]
    for _p, r in parties:
        finite += [float(r["x"])]
        finite += [float(r[c]) for c in ("range_min_x", "range_max_x")
                   if c in r and not math.isnan(float(r[c]))]
    if ranges is not None and "once widened" in ranges.index:
        finite += [float(ranges.loc["once widened", c]) for c in ("minimum", "maximum")]
    lo_f, hi_f = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = max(0.25 * (hi_f - lo_f), 0.05 * max(abs(lo_f), abs(hi_f)), 1.0)
    start = low if math.isfinite(low) else lo_f - pad
    end = high if math.isfinite(high) else hi_f + pad
    rows = len(parties) + 1
    top = rows - 1
    ax.barh(top, end - start, left=start, height=0.5, color=NEUTRAL["light"],
            label="allowed by every hard limit")
    for _value, edge, open_end in ((low, start, not math.isfinite(low)),
                                  (high, end, not math.isfinite(high))):
        if open_end:
            ax.annotate("", xy=(edge + (pad if edge == end else -pad) * 0.3, top),
                        xytext=(edge, top), arrowprops={"arrowstyle": "->",
                                                        "color": NEUTRAL["line"]})
    colours = party_colours(ctx["party_order"], [p for p, _ in parties])
    names = []
    for i, (party, r) in enumerate(parties):
        y = top - 1 - i
        names.append((y, label(party, ctx)))
        colour = colours[party]
        lo_r = float(r.get("range_min_x", math.nan))
        hi_r = float(r.get("range_max_x", math.nan))
        if not (math.isnan(lo_r) and math.isnan(hi_r)):
            a = lo_r if not math.isnan(lo_r) else lo_f - pad
            b = hi_r if not math.isnan(hi_r) else hi_f + pad
            ax.barh(y, b - a, left=a, height=0.35, color=colour, alpha=0.45,
                    label=f"{label(party, ctx)}: acceptable range "
                          f"{fmt(lo_r) if not math.isnan(lo_r) else ''}.."
                          f"{fmt(hi_r) if not math.isnan(hi_r) else ''}")
        direction = str(r.get("direction_x", ""))
        ax.plot([float(r["x"])], [y], linestyle="none",
                marker=_DIRECTION_MARKERS.get(direction, "o"), markersize=9, color=colour,
                label=f"{label(party, ctx)}: {direction.replace('_', ' ')} "
                      f"{fmt(float(r['x']))}")
    if ranges is not None:
        stated = ranges.loc["stated ranges"]
        if stated["status"] != "empty":
            a, b = float(stated["minimum"]), float(stated["maximum"])
            a = a if math.isfinite(a) else lo_f - pad
            b = b if math.isfinite(b) else hi_f + pad
            width = max(b - a, 1e-9 * max(1.0, abs(a)))
            ax.axvspan(a, a + width, color=NEUTRAL["zone"], alpha=0.25, linewidth=0,
                       label=f"zone of possible agreement {fmt(float(stated['minimum']))}.."
                             f"{fmt(float(stated['maximum']))}")
            if width <= 1e-6 * max(1.0, abs(a)):
                ax.axvline(a, color=NEUTRAL["zone"], linewidth=2)
        else:
            gap = _gap(found)
            if gap is not None:
                ax.axvspan(gap[0], gap[1], facecolor="none", edgecolor=NEUTRAL["mark"],
                           hatch="xx", linewidth=0,
                           label=f"the ranges clash: {fmt(gap[1] - gap[0])} {unit} apart")
    ax.set_yticks([top, *(y for y, _ in names)],
                  ["hard limits", *(n for _, n in names)])
    ax.set_ylim(-0.7, rows - 0.3)
    ax.set_xlim(min(start, lo_f) - 0.1 * pad, max(end, hi_f) + 0.3 * pad)
    ax.set_xlabel(f"{quantity} ({unit})" if unit else quantity)
    thousands(ax, "x")
    title(ax, f"Which values of {quantity} could every party accept?", ctx)
    legend(ax, outside=True)
    return ax


def _gap(found: Any) -> tuple[float, float] | None:
    """Where two edges on the quantity clash: from the highest maximum to the lowest minimum
    of the first clash (when its edges are on the quantity itself)."""
    clashes, edges = found.clashes, found.edges
    if clashes.empty:
        return None
    first = clashes.xs(clashes.index.get_level_values("clash")[0], level="clash")
    lows, highs = [], []
    for (party, position, edge), _row in first.iterrows():
        key = (party, position, edge)
        if key not in edges.index or not bool(edges.loc[key, "on_quantity"]):
            return None
        (lows if edge == "min" else highs).append(float(edges.loc[key, "value"]))
    if not lows or not highs:
        return None
    a, b = max(highs), min(lows)
    return (a, b) if b > a else None


def plot_region(polygon: pd.DataFrame, preferred: pd.DataFrame | None = None,
                ax: Axes | None = None, zone: pd.DataFrame | None = None) -> Axes:
    """The polygon of two quantities every hard limit allows, filled light (a segment or a
    point when degenerate), and inside it, given ``zone`` (``agreement_region``), the part
    inside every stated range, darker; each party's preferred point in its colour — a party
    with a target on one axis only as a dashed line across the other."""
    ctx = context(polygon, preferred)
    ax = axes(ax, size=(7.0, 5.5))
    for shape, colour, alpha, text in (
            (polygon, NEUTRAL["light"], 0.6, "allowed by every hard limit"),
            (zone, NEUTRAL["zone"], 0.5, "inside every stated range too")):
        if shape is None:
            continue
        x = shape["x"].to_numpy(dtype=float)
        y = shape["y"].to_numpy(dtype=float)
        if len(x) >= 3:
            ax.fill(x, y, color=colour, alpha=alpha, label=text)
            ax.plot([*x, x[0]], [*y, y[0]], color=NEUTRAL["line"], linewidth=1, marker="o",
                    markersize=3)
        elif len(x):
            ax.plot(x, y, color=colour, linewidth=3, marker="o", markersize=6, label=text)
    if preferred is not None:
        colours = party_colours(ctx["party_order"], [str(p) for p in preferred.index])
        for party, row in preferred.iterrows():
            px = float(row["x"])
            py = float(row["y"]) if "y" in row else math.nan
            colour = colours[str(party)]
            name = label(str(party), ctx)
            if not math.isnan(px) and not math.isnan(py):
                ax.plot([px], [py], linestyle="none", marker="*", markersize=12, color=colour,
                        label=f"{name}: ({fmt(px)}, {fmt(py)})")
                ax.annotate(name, (px, py), textcoords="offset points", xytext=(6, 6),
                            fontsize=8)
            elif not math.isnan(px):
                ax.axvline(px, color=colour, linestyle="--", linewidth=1,
                           label=f"{name}: x {str(row.get('direction_x', '')).replace('_', ' ')}"
                                 f" {fmt(px)}")
            elif not math.isnan(py):
                ax.axhline(py, color=colour, linestyle="--", linewidth=1,
                           label=f"{name}: y {str(row.get('direction_y', '')).replace('_', ' ')}"
                                 f" {fmt(py)}")
    ux, uy = polygon.attrs.get("unit_x", ""), polygon.attrs.get("unit_y", "")
    x_label = named(polygon.attrs.get("x", "x"), ctx)
    y_label = named(polygon.attrs.get("y", "y"), ctx)
    ax.set_xlabel(f"{x_label} ({ux})" if ux else x_label)
    ax.set_ylabel(f"{y_label} ({uy})" if uy else y_label)
    thousands(ax, "x")
    thousands(ax, "y")
    title(ax, f"Which combinations of {x_label} and {y_label} could every party accept?", ctx)
    legend(ax, outside=True)
    return ax
