"""Zone-of-possible-agreement figures: the range of one quantity, the polygon of two, and where
each party would like them."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.plots._common import axes

_DIRECTION_MARKERS = {"at_least": "^", "at_most": "v", "exactly": "o", "": "o"}


def plot_range(range_df: pd.DataFrame, preferred: pd.DataFrame | None = None,
               ax: Axes | None = None) -> Axes:
    """The interval of values the hard limits allow, as a bar (an open end, where no hard limit
    stops the quantity, fades out with an arrow); with ``preferred`` (``preferred_points``), each
    party's target as a marker on the line (▲ at least, ▼ at most, ● exactly), labelled."""
    ax = axes(ax, size=(7.5, 2.8))
    row = range_df.iloc[0]
    low, high = float(row["minimum"]), float(row["maximum"])
    targets = [] if preferred is None else [
        (str(party), float(r["x"]), str(r.get("direction_x", "")))
        for party, r in preferred.iterrows() if not math.isnan(float(r["x"]))]
    finite = [v for v in (low, high, *(t[1] for t in targets)) if math.isfinite(v)]
    lo_f, hi_f = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = max(0.25 * (hi_f - lo_f), 0.05 * max(abs(lo_f), abs(hi_f)), 1.0)
    start = low if math.isfinite(low) else lo_f - pad
    end = high if math.isfinite(high) else hi_f + pad
    ax.barh(0, end - start, left=start, height=0.3, color="#1b9e77", alpha=0.5,
            label="allowed by every hard limit")
    for value, edge, open_end in ((low, start, not math.isfinite(low)),
                                  (high, end, not math.isfinite(high))):
        if open_end:
            ax.annotate("", xy=(edge + (pad if edge == end else -pad) * 0.3, 0),
                        xytext=(edge, 0), arrowprops={"arrowstyle": "->", "color": "#1b9e77"})
            ax.text(edge, 0.2, "no limit", ha="center", fontsize=8)
        else:
            ax.text(edge, -0.3, f"{value:g}", ha="center", va="top", fontsize=8)
    for i, (party, target, direction) in enumerate(targets):
        ax.plot([target], [0], linestyle="none", marker=_DIRECTION_MARKERS.get(direction, "o"),
                markersize=9, color=f"C{i % 10}", label=f"{party}: {direction} {target:g}")
        ax.annotate(party, (target, 0), textcoords="offset points", xytext=(0, 10 + 9 * (i % 3)),
                    ha="center", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.7, 0.8)
    ax.set_xlim(min(start, lo_f) - 0.1 * pad, max(end, hi_f) + 0.45 * pad)
    ax.set_xlabel(range_df.attrs.get("quantity", str(range_df.index[0])))
    ax.set_title("Zone of possible agreement (hard limits only)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_region(polygon: pd.DataFrame, preferred: pd.DataFrame | None = None,
                ax: Axes | None = None) -> Axes:
    """The feasible polygon of two quantities, filled (a segment or a point when degenerate),
    vertices marked; with ``preferred`` (``preferred_points``), each party's preferred point,
    labelled — a party with a target on one axis only is drawn as a dashed line across the
    other."""
    ax = axes(ax, size=(6.5, 5.5))
    x = polygon["x"].to_numpy(dtype=float)
    y = polygon["y"].to_numpy(dtype=float)
    if len(x) >= 3:
        ax.fill(x, y, color="#1b9e77", alpha=0.3, label="allowed by every hard limit")
        ax.plot([*x, x[0]], [*y, y[0]], color="#1b9e77", linewidth=1.5, marker="o",
                markersize=4)
    elif len(x):
        ax.plot(x, y, color="#1b9e77", linewidth=3, marker="o", markersize=6,
                label="allowed by every hard limit")
    if preferred is not None:
        for i, (party, row) in enumerate(preferred.iterrows()):
            px = float(row["x"])
            py = float(row["y"]) if "y" in row else math.nan
            color = f"C{i % 10}"
            if not math.isnan(px) and not math.isnan(py):
                ax.plot([px], [py], linestyle="none", marker="*", markersize=12, color=color,
                        label=f"{party}: ({px:g}, {py:g})")
                ax.annotate(str(party), (px, py), textcoords="offset points", xytext=(6, 6),
                            fontsize=8)
            elif not math.isnan(px):
                ax.axvline(px, color=color, linestyle="--", linewidth=1,
                           label=f"{party}: x {row.get('direction_x', '')} {px:g}")
            elif not math.isnan(py):
                ax.axhline(py, color=color, linestyle="--", linewidth=1,
                           label=f"{party}: y {row.get('direction_y', '')} {py:g}")
    ax.set_xlabel(polygon.attrs.get("x", "x"))
    ax.set_ylabel(polygon.attrs.get("y", "y"))
    ax.set_title("Zone of possible agreement (hard limits only)")
    ax.legend(fontsize=7)
    return ax
