"""Near-optimal alternative packages: each package's per-party deviations."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from cfe_opt.analysis.alternatives import Alternatives
from cfe_opt.plots._common import axes


def plot_alternatives(alternatives: Alternatives, ax: Axes | None = None) -> Axes:
    """Grouped bar chart: parties on x, one bar per package (package 0 is the optimum), each
    party's deviation D_p on y; the legend gives each package's objective."""
    ax = axes(ax, size=(9.0, 4.5))
    summary = alternatives.summary
    parties = list(summary.attrs.get("parties") or
                   [c for c in summary.columns if c not in ("objective", "distance")])
    packages = list(summary.index)
    x = np.arange(len(parties))
    width = 0.8 / max(len(packages), 1)
    for i, package in enumerate(packages):
        row = summary.loc[package]
        label = f"package {package}" + (" (optimum)" if i == 0 else "")
        label += f": objective {float(row['objective']):.4g}"
        ax.bar(x - 0.4 + width * (i + 0.5), row[parties].to_numpy(dtype=float), width,
               label=label)
    ax.set_xticks(x, parties)
    ax.set_xlabel("party")
    ax.set_ylabel("deviation D_p (weighted, normalised)")
    share = summary.attrs.get("share")
    title = "Near-optimal alternatives"
    if share is not None:
        title += f" (within {float(share):.0%} of the optimum)"
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
