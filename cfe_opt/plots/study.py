"""Study figures: deviation distributions, status map, robustness, PRIM, sensitivity.

Each takes the tables the study analyses return (``cfe_opt.study``), an optional ``ax`` and an
optional ``context`` (``cfe_opt.text.figure_context`` of the study's base scenario, its name
replaced by the study's: ``study_context``), and returns the axes. They meet the one figure
standard of ``cfe_opt.plots._common``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from cfe_opt.plots._common import (
    NEUTRAL,
    OKABE_ITO,
    axes,
    context,
    label,
    legend,
    named,
    party_colours,
    title,
)

_MATPLOTLIB = tuple(int(p) for p in matplotlib.__version__.split(".")[:2])
# the status of a variant: colour-blind safe (Okabe–Ito), grey for refused values
STATUS_COLOURS = {"optimal": OKABE_ITO[0], "infeasible": OKABE_ITO[1],
                  "invalid": NEUTRAL["zone"], "not_solved": OKABE_ITO[3],
                  "error": NEUTRAL["mark"]}
CMAP = "viridis"  # colour-blind safe, readable in grey


def study_context(study: Any) -> dict[str, Any]:
    """The figure context of a study: its base scenario's parties, the study's name."""
    from cfe_opt.text import figure_context

    found = figure_context(study.base)
    found["scenario"] = f"study {study.spec.name} (base: {found['scenario']})"
    return found


def _ctx(frame: Any, given: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return given if given is not None else context(frame)


def plot_deviation_distributions(variants: pd.DataFrame, ax: Axes | None = None,
                                 context: Mapping[str, Any] | None = None) -> Axes:
    """One box per party, in its colour: its deviation (weighted, normalised) across the
    optimal variants."""
    ctx = _ctx(variants, context)
    ax = axes(ax)
    columns = [c for c in variants.columns if c.startswith("party_deviation.")]
    data = [variants[c].dropna().to_numpy() for c in columns]
    shown = [(c.split(".", 1)[1], d) for c, d in zip(columns, data, strict=True) if len(d)]
    title(ax, "How much does each party concede across the study's variants?", ctx)
    if not shown:
        ax.text(0.5, 0.5, "no optimal variant", ha="center", va="center",
                transform=ax.transAxes)
        return ax
    horizontal = ({"orientation": "horizontal"} if _MATPLOTLIB >= (3, 10)
                  else {"vert": False})
    colours = party_colours(ctx.get("party_order", []), [p for p, _ in shown])
    parts = ax.boxplot([d for _, d in shown], showmeans=True, patch_artist=True,
                       medianprops={"color": NEUTRAL["mark"]},
                       meanprops={"markerfacecolor": "white",
                                  "markeredgecolor": NEUTRAL["mark"]},
                       flierprops={"markeredgecolor": NEUTRAL["line"]}, **horizontal)
    for box, (party, _d) in zip(parts["boxes"], shown, strict=True):
        box.set_facecolor(colours[party])
        box.set_alpha(0.7)
    ax.set_yticks(range(1, len(shown) + 1), [label(p, ctx) for p, _ in shown])
    ax.set_xlabel("deviation (weighted, normalised; lower is better) — "
                  f"{max(len(d) for _, d in shown):,} optimal variants")
    return ax


def plot_status_map(variants: pd.DataFrame, x: str, y: str | None = None,
                    ax: Axes | None = None, context: Mapping[str, Any] | None = None) -> Axes:
    """Each design point at its axis values, coloured by status (jittered where points
    coincide); with one axis, status shares along it."""
    ctx = _ctx(variants, context)
    ax = axes(ax)
    title(ax, "Which variants have a package, and which do not?", ctx)
    if y is None:
        shares = (variants.groupby([x, "status"]).size().unstack("status", fill_value=0))
        shares = shares.div(shares.sum(axis=1), axis=0)
        bottom = np.zeros(len(shares))
        positions = np.arange(len(shares))
        for status in [s for s in STATUS_COLOURS if s in shares.columns]:
            ax.bar(positions, shares[status], bottom=bottom, color=STATUS_COLOURS[status],
                   label=status.replace("_", " "))
            bottom += shares[status].to_numpy()
        ax.set_xticks(positions, [_label(v) for v in shares.index], rotation=45, ha="right")
        ax.set_xlabel(f"study axis {x}")
        ax.set_ylabel("share of variants")
    else:
        rng = np.random.default_rng(0)
        xs, ys = _numeric(variants[x]), _numeric(variants[y])
        jx = (np.ptp(xs) or 1.0) * 0.01 * rng.standard_normal(len(xs))
        jy = (np.ptp(ys) or 1.0) * 0.01 * rng.standard_normal(len(ys))
        for status, colour in STATUS_COLOURS.items():
            mask = (variants["status"] == status).to_numpy()
            if mask.any():
                ax.scatter(xs[mask] + jx[mask], ys[mask] + jy[mask], s=14, color=colour,
                           label=status.replace("_", " "), alpha=0.85)
        for series, set_ticks in ((variants[x], ax.set_xticks), (variants[y], ax.set_yticks)):
            if not pd.api.types.is_numeric_dtype(series):
                names = sorted(series.dropna().unique(), key=str)
                set_ticks(range(len(names)), [str(n) for n in names])
        ax.set_xlabel(f"study axis {x}")
        ax.set_ylabel(f"study axis {y}")
    legend(ax, outside=True)
    return ax


def _numeric(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float)
    names = sorted(series.dropna().unique(), key=str)
    return series.map({n: float(i) for i, n in enumerate(names)}).to_numpy(dtype=float)


def _label(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return f"{value:.4g}"
    return str(value)


def plot_robustness(summary: pd.DataFrame, ax: Axes | None = None,
                    context: Mapping[str, Any] | None = None) -> Axes:
    """The share of variants under which the package stays optimal, within x%, in range."""
    ctx = _ctx(summary, context)
    ax = axes(ax)
    labels = [named(str(d), ctx) for d in summary["description"].tolist()[::-1]]
    shares = summary["share"].to_numpy()[::-1]
    ax.barh(range(len(shares)), shares, color=NEUTRAL["zone"])
    ax.set_yticks(range(len(shares)), labels)
    ax.set_xlim(0, 1)
    for i, share in enumerate(shares):
        ax.text(min(share + 0.01, 0.9), i, f"{share:.0%}", va="center", fontsize=8)
    ax.set_xlabel("share of the optimal variants")
    title(ax, f"How robust is {named(summary.attrs.get('package', 'the package'), ctx)}?", ctx)
    return ax


def plot_prim_tradeoff(trajectory: pd.DataFrame, ax: Axes | None = None,
                       context: Mapping[str, Any] | None = None) -> Axes:
    """PRIM's peeling trajectory: coverage against density, coloured by restricted inputs;
    the chosen box ringed."""
    ctx = _ctx(trajectory, context)
    ax = axes(ax)
    points = ax.scatter(trajectory["coverage"], trajectory["density"],
                        c=trajectory["res dim"], cmap=CMAP, s=18)
    selected = trajectory.attrs.get("selected")
    if selected is not None and selected in trajectory.index:
        chosen = trajectory.loc[selected]
        ax.scatter([chosen["coverage"]], [chosen["density"]], s=120, facecolors="none",
                   edgecolors=NEUTRAL["mark"], label="chosen box")
        legend(ax)
    ax.figure.colorbar(points, ax=ax, label="inputs restricted")
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that is of interest)")
    title(ax, "Scenario discovery: how wide and how pure is each PRIM box?", ctx)
    return ax


def plot_prim_box(inputs: pd.DataFrame, outcome: np.ndarray, box: pd.DataFrame, x: str,
                  y: str, ax: Axes | None = None,
                  context: Mapping[str, Any] | None = None) -> Axes:
    """The points over two inputs, cases of interest highlighted, the PRIM box drawn."""
    ctx = _ctx(inputs, context)
    ax = axes(ax)
    xs, ys = inputs[x].to_numpy(dtype=float), inputs[y].to_numpy(dtype=float)
    hit = outcome.astype(bool)
    ax.scatter(xs[~hit], ys[~hit], s=10, color=NEUTRAL["light"], label="other variants")
    ax.scatter(xs[hit], ys[hit], s=12, color=OKABE_ITO[1], label="outcome of interest")
    low_x, high_x = _limits(box, x, xs)
    low_y, high_y = _limits(box, y, ys)
    ax.add_patch(Rectangle((low_x, low_y), high_x - low_x, high_y - low_y, fill=False,
                           edgecolor=NEUTRAL["mark"], linewidth=1.5, label="PRIM box"))
    ax.set_xlabel(f"study axis {x}")
    ax.set_ylabel(f"study axis {y}")
    legend(ax, outside=True)
    title(ax, "Scenario discovery: where do the cases of interest lie?", ctx)
    return ax


def _limits(box: pd.DataFrame, name: str, values: np.ndarray) -> tuple[float, float]:
    if name in box.index:
        return float(box.at[name, "min"]), float(box.at[name, "max"])
    return float(np.min(values)), float(np.max(values))


def plot_sensitivity(table: pd.DataFrame, ax: Axes | None = None,
                     context: Mapping[str, Any] | None = None) -> Axes:
    """Sensitivity indices per axis and output (the table of ``study_sensitivity``), as
    grouped bars of the first index column; an output that is a party's deviation in that
    party's colour, by its name."""
    ctx = _ctx(table, context)
    ax = axes(ax)
    index = table.attrs.get("index") or next(
        c for c in table.columns if c not in ("output", "axis") and not c.endswith("_conf"))
    wide = table.pivot(index="axis", columns="output", values=index)
    n = max(len(wide.columns), 1)
    width = 0.8 / n
    parties = [str(o).split(".", 1)[1] for o in wide.columns
               if str(o).startswith("party_deviation.")]
    colours = party_colours(ctx.get("party_order", []), parties)
    for i, output in enumerate(wide.columns):
        party = str(output).split(".", 1)[1] if str(output).startswith(
            "party_deviation.") else None
        ax.bar(np.arange(len(wide)) + i * width - 0.4 + width / 2, wide[output], width,
               color=colours.get(party, NEUTRAL["zone"]) if party else NEUTRAL["zone"],
               label=f"deviation of {label(party, ctx)}" if party else str(output))
    ax.set_xticks(range(len(wide)), [f"study axis {a}" for a in wide.index])
    ax.set_ylabel(f"sensitivity index {index} (share of the output's variance)")
    title(ax, "Which study axes move each party's concession most?", ctx,
          f"{table.attrs.get('method', '')} indices")
    legend(ax, outside=True)
    return ax
