"""Tornado figure: what one unit more or less of each binding limit's number is worth, per
unit, so the bars compare."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from cfe_opt.plots._common import (
    NEUTRAL,
    axes,
    context,
    label,
    named,
    party_colours,
    thousands,
    title,
    wrap,
)
from cfe_opt.text import category_one

ZERO = 1e-12


def plot_tornado(prices: pd.DataFrame, top: int = 12, ax: Axes | None = None) -> Axes:
    """Two horizontal bars per binding limit that costs something: the change in the
    objective when its number is raised by one unit (solid) and when it is lowered by one
    (hatched), re-solved — per unit of the limit's own number, so the bars compare — in the
    colour of the limit's owner (neutral for a treaty's own rules); labelled with the owner and
    the limit, broken between words; the limits sorted by the larger of the two (at most
    ``top``). A move that leaves no package is marked "no package"."""
    ctx = context(prices)
    frame = prices[prices["binding"]].copy()
    for column in ("raise_one", "lower_one"):
        if column not in frame:
            frame[column] = math.nan
    effect = frame[["raise_one", "lower_one"]].abs().max(axis=1).fillna(0)
    frame = frame[(effect > ZERO) | frame["raise_one"].isna() | frame["lower_one"].isna()]
    frame = frame.assign(_size=effect.reindex(frame.index)).sort_values(
        "_size", ascending=False).head(top)
    count = len(frame)
    ax = axes(ax, size=(7.4, max(2.6, 0.62 * count + 1.6)))
    title(ax, "What does one unit more or less of each binding limit cost?", ctx,
          f"{prices.attrs.get('objective', '')} objective")
    if frame.empty:
        ax.text(0.5, 0.5, "no binding limit costs anything: moving any number by one unit "
                "changes nothing", ha="center", va="center", transform=ax.transAxes,
                fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    parties = set(ctx["party_order"])
    colours = party_colours(ctx["party_order"])
    rows = list(frame.iterrows())[::-1]
    ticks = []
    owners_seen: dict[str, str] = {}
    for i, (_name, row) in enumerate(rows):
        owner = str(row["owner"])
        colour = colours.get(owner, NEUTRAL["zone"]) if owner in parties else NEUTRAL["zone"]
        owners_seen.setdefault(label(owner, ctx), colour)
        for offset, column, hatch in ((0.18, "raise_one", None), (-0.18, "lower_one", "///")):
            value = float(row[column])
            if math.isnan(value) or abs(value) <= ZERO:
                ax.text(0, i + offset, " no package" if math.isnan(value) else " no change",
                        va="center", fontsize=8)
                continue
            ax.barh(i + offset, value, height=0.34, color=colour, hatch=hatch,
                    edgecolor=NEUTRAL["line"], linewidth=0.4)
        unit = category_one(str(row.get("unit", "") or "unit"))
        ticks.append(wrap(f"{label(owner, ctx)}: {named(row['label'], ctx)} (per {unit})", 38))
    ax.set_yticks(range(len(rows)), ticks, fontsize=8)
    ax.axvline(0, color=NEUTRAL["mark"], linewidth=0.8)
    thousands(ax, "x", ticks=5)
    ax.set_xlabel("change in the objective per unit of the limit's number "
                  "(normalised units; below 0: fewer concessions)")
    handles = [Patch(facecolor="white", edgecolor=NEUTRAL["line"], label="number raised by one"),
               Patch(facecolor="white", edgecolor=NEUTRAL["line"], hatch="///",
                     label="number lowered by one")]
    handles += [Patch(facecolor=c, label=f"owner: {o}") for o, c in owners_seen.items()]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    return ax
