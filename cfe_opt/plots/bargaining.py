"""Bargaining solutions side by side: the package each rule gives, and what each party concedes
in it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cfe_opt.analysis.packages import package_view
from cfe_opt.plots._common import (
    NEUTRAL,
    axes,
    context,
    legend,
    package_ticks,
    party_colours,
    title,
    wrap,
)
from cfe_opt.text import side_name

LABELS = {"utilitarian": "utilitarian", "kalai_smorodinsky": "Kalai–Smorodinsky",
          "nash": "Nash", "weighted": "weighted (the scenario's answer)"}
ZERO = 1e-9


def plot_bargaining(found: Any, ax: Axes | None = None) -> Axes:
    """Grouped bars: one group per bargaining solution, one bar per bargainer with something to
    bargain over (its deviation D_p, in its colour; a side of parties holding the same positions,
    ``TUR+NOR``, is one bar named "Turkey + Norway" in its first party's colour, and the legend
    says why they are one), a dashed tick at each bargainer's worst outcome
    W_p (the disagreement point); under each group the package itself — the positions'
    quantities that differ between the solutions, in their units. ``found`` is the
    ``solve_bargaining`` result (a ``bargaining_solutions`` table alone gives no packages)."""
    table: pd.DataFrame = found.table if hasattr(found, "table") else found
    positions = getattr(found, "positions", None)
    ctx = context(table)
    ax = axes(ax, size=(7.4, 4.8))
    flat = table.reset_index()
    parties = list(dict.fromkeys(flat["party"]))
    solutions = list(dict.fromkeys(flat["solution"]))
    no_bargain = set(table.attrs.get("no_bargain", []))
    shown = [p for p in parties if p not in no_bargain]
    values = flat.pivot(index="party", columns="solution", values="deviation")
    values = values.reindex(index=parties, columns=solutions)
    members = {p: p.split("+") for p in parties}  # a side's parties (a party: itself)
    by_party = party_colours(ctx["party_order"], [m for p in parties for m in members[p]])
    colours = {p: by_party[members[p][0]] for p in parties}
    x = np.arange(len(solutions))
    width = 0.8 / max(len(shown), 1)
    worst = flat.groupby("party", sort=False)["worst"].first()
    for i, party in enumerate(shown):
        left = x - 0.4 + width * i
        ax.bar(left + width / 2, values.loc[party].to_numpy(dtype=float), width,
               color=colours[party], label=side_name(party, ctx.get("party_names")))
        ax.hlines(np.full(len(x), float(worst[party])), left, left + width,
                  colors=NEUTRAL["mark"], linestyles="dashed", linewidth=1,
                  label="worst outcome (disagreement point)" if i == 0 else None)
    view = (package_view(positions, "solution", ctx.get("party_names", {}))[0]
            if positions is not None else pd.DataFrame())
    ticks = package_ticks(solutions, view, [LABELS.get(s, s) for s in solutions])
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_ylabel("deviation D_p (weighted, normalised; lower is better)")
    for side in (p for p in shown if len(members[p]) > 1):
        ax.plot([], [], " ", label=wrap(f"{side_name(side, ctx.get('party_names'))}: one side "
                                        "(the same positions, so the same outcome)", 36))
    if no_bargain:
        ax.plot([], [], " ", label=wrap("nothing to bargain over: " + ", ".join(
            side_name(p, ctx.get("party_names")) for p in parties if p in no_bargain), 36))
    bound = table.attrs.get("nash_error_bound")
    detail = (f"Nash product within a factor e^-{bound:.2g} of the optimum"
              if bound else "")
    title(ax, "What would each bargaining rule give, and who concedes what?", ctx, detail)
    legend(ax, outside=True)
    return ax
