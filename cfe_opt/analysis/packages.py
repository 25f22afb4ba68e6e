"""Packages in the positions' own units: what each point of an analysis (a bargaining solution,
a frontier breakpoint, an alternative) gives each position, as one table for text and figures."""

from __future__ import annotations

import pandas as pd

from cfe_opt.text import party_name


def package_view(positions: pd.DataFrame, level: str, names: dict[str, str],
                 show_all: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Each point's package as the achieved values of the positions that differ between the
    points (every position with ``show_all``), one column per quantity: positions on the same
    quantity (the same ``quantity`` and unit) share a column, named after the first, with a
    note naming the others. Columns ``"Russia: flank_acv (ACVs)"``; rows the points."""
    achieved = positions["achieved"].unstack(level=[1, 2]) if len(positions) else pd.DataFrame()
    if achieved.empty:
        return achieved, []
    order = list(dict.fromkeys(positions.index.droplevel(0)))
    points = list(dict.fromkeys(positions.index.get_level_values(0)))
    achieved = achieved.reindex(index=points, columns=pd.MultiIndex.from_tuples(order))
    units = positions["unit"].groupby(level=[1, 2]).first() if "unit" in positions else {}
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    seen: list[tuple[str, pd.Series, list[str], tuple]] = []
    quantity = (positions["quantity"].groupby(level=[1, 2]).first()
                if "quantity" in positions else {})
    for key in achieved.columns:
        series = achieved[key].astype(float)
        moves = series.max() - series.min() > 1e-6 * max(1.0, float(series.abs().max()))
        if not (moves or show_all):
            continue
        label = f"{party_name(key[0], names)}: {key[1]}"
        same = (quantity.get(key), units.get(key, ""))
        twin = next((s for s in seen if s[3] == same and (s[1] - series).abs().max() <= 1e-9),
                    None) if same[0] else None
        if twin is not None:
            twin[2].append(label)
            continue
        seen.append((label, series, [label], same))
        columns[f"{label} ({units.get(key, '')})"] = series
    for label, _series, twins, _same in seen:
        if len(twins) > 1:
            notes.append(f"{label} is the same quantity as {', '.join(twins[1:])}")
    frame = pd.DataFrame(columns)
    frame.index.name = level
    return frame, notes
