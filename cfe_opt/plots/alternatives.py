"""Near-optimal alternative packages: what each package gives, and what each party concedes in
it."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from cfe_opt.analysis.alternatives import Alternatives
from cfe_opt.analysis.packages import package_view
from cfe_opt.plots._common import (
    axes,
    context,
    label,
    legend,
    no_data,
    package_ticks,
    party_colours,
    title,
    wrap,
)
from cfe_opt.text import fmt

ZERO = 1e-9


def plot_alternatives(alternatives: Alternatives, ax: Axes | None = None) -> Axes:
    """Grouped bars: one group per package (package 0 is the optimum), one bar per party that
    concedes something in some package (its deviation D_p, in its colour); under each group the
    package itself — the positions' quantities that differ between packages, in their units.
    Parties that concede nothing in any package are named in the legend."""
    summary = alternatives.summary
    ctx = context(summary)
    ax = axes(ax, size=(7.4, 4.8))
    parties = [p for p in summary.attrs.get("parties", []) if p in summary.columns]
    moving = [p for p in parties if summary[p].abs().max() > ZERO]
    quiet = [p for p in parties if p not in moving]
    packages = list(summary.index)
    share = summary.attrs.get("share")
    detail = (f"within {fmt(100 * float(share))}% of the optimal "
              f"{summary.attrs.get('objective', '')} objective" if share is not None else "")
    title(ax, "Which other workable packages are there, and who concedes what in each?", ctx,
          detail)
    if not packages:
        return no_data(ax, "no package")
    colours = party_colours(ctx["party_order"], parties)
    x = np.arange(len(packages))
    width = 0.8 / max(len(moving), 1)
    for i, party in enumerate(moving):
        ax.bar(x - 0.4 + width * (i + 0.5), summary[party].to_numpy(dtype=float), width,
               color=colours[party], label=label(party, ctx))
    view, _notes = package_view(alternatives.positions, "package",
                                ctx.get("party_names", {}))
    ticks = package_ticks(packages, view, [f"package {p}" + (" (optimum)" if p == packages[0]
                                                             else "") for p in packages])
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_ylabel("deviation D_p (weighted, normalised; lower is better)")
    if not moving:
        ax.plot([], [], " ", label="nobody concedes anything")
    if quiet:
        ax.plot([], [], " ", label=wrap("concede nothing in any package: "
                                        + ", ".join(label(p, ctx) for p in quiet), 36))
    legend(ax, outside=True)
    return ax
