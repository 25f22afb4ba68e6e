"""What the analysis commands print: the answer first, in the positions' own units, one number
format (``cfe_opt.text.fmt``), one header line per table, rows where nothing happens left out
unless asked for (``show_all``)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cfe_opt.text import fmt, party_name, render_table

ZERO = 1e-9


def _names(frame: pd.DataFrame) -> dict[str, str]:
    return dict(frame.attrs.get("party_names") or {})


def _item_label(item: str, names: dict[str, str]) -> str:
    party, _, position = str(item).partition(".")
    return f"{party_name(party, names)}: {position}" if position else party_name(party, names)


# ---- sweep ------------------------------------------------------------------------------------
def text_sweep(found: Any, show_all: bool = False) -> str:
    """Along the sweep: what each party concedes in units, the ceilings that move, where the
    active set changes, and the values with no package or refused by validation."""
    points, table, breaks = found.points, found.table, found.breakpoints
    attrs = table.attrs
    names = _names(table)
    values = list(points.index)
    span = (f"{fmt(float(values[0]))} to {fmt(float(values[-1]))}, {len(values)} values"
            if values else "no values")
    lines = [f"Sweep of {attrs.get('field_label', attrs.get('field'))} "
             f"({attrs.get('field')}): {span}; {attrs.get('objective')} objective", ""]
    measures = table.index.get_level_values("measure") if len(table) else []
    concessions = _wide(table, "concession") if "concession" in measures else pd.DataFrame()
    if not show_all and len(concessions.columns):
        concessions = concessions.loc[:, concessions.abs().max() > ZERO]
    lines.append("What each party concedes, in the positions' own units"
                 + ("" if show_all else " (positions conceded somewhere; --all: every one)"))
    if len(concessions.columns):
        units = _units(table, "concession")
        shown = concessions.reindex(values)
        shown.columns = [f"{_item_label(c, names)} ({units.get(c, '')})" for c in shown.columns]
        lines.append(render_table(_with_status(shown, points)))
    else:
        lines.append("  nobody concedes anything at any solved value")
    ceilings = _wide(table, "ceiling") if "ceiling" in measures else pd.DataFrame()
    lines += ["", "Ceilings and deployments that move"]
    if len(ceilings.columns):
        lines.append(render_table(_with_status(ceilings.reindex(values), points)))
    else:
        lines.append("  none: every ceiling stays where it is along the sweep")
    lines += ["", "Breakpoints (where the binding limits, the conceded positions or the "
              "existence of a package change)"]
    if breaks.empty:
        lines.append("  none")
    for _, row in breaks.iterrows():
        lines.append(f"  - {breakpoint_phrase(row)}")
    for status, label in (("infeasible", "No feasible package at"),
                          ("not_solved", "The solver stopped at")):
        bad = [v for v, s in points["status"].items() if s == status]
        if bad:
            lines += ["", f"{label}: {', '.join(fmt(float(v)) for v in bad)}"]
    invalid = points[points["status"] == "invalid"]
    if len(invalid):
        lines += ["", "Values the scenario refuses (recorded as invalid; the sweep went on):"]
        lines += [f"  - {fmt(float(v))}: {r}" for v, r in invalid["reason"].items()]
    return "\n".join(lines)


def breakpoint_phrase(row: Any) -> str:
    """``at 1,380: Russia concedes on flank_acv (from here on)``."""
    at = float(row["at"])
    if not math.isnan(at):
        where = f"at {fmt(at)}"
    elif row.get("kind") == "whole":
        where = f"from {fmt(float(row['before']))} (not yet at {fmt(float(row['after']))})"
    else:
        where = f"between {fmt(float(row['after']))} and {fmt(float(row['before']))}"
    parts = []
    if row["entered"]:
        parts.append(f"from here on {row['entered']}")
    if row["left"]:
        parts.append(f"no longer: {row['left']}")
    return f"{where}: {'; '.join(parts) or 'the active set changes'}"


def _wide(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    part = table.xs(measure, level="measure")["number"]
    wide = part.unstack("item")
    order = list(dict.fromkeys(part.index.get_level_values("item")))
    return wide.reindex(columns=order)


def _units(table: pd.DataFrame, measure: str) -> dict[str, str]:
    part = table.xs(measure, level="measure")
    return {str(k[1]): str(u) for k, u in part["unit"].items()}


def _with_status(frame: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index.name = "value"
    if (points["status"] != "optimal").any():
        out.insert(0, "status", points["status"].reindex(out.index))
    return out
