"""What the analysis commands print: the answer first, in the positions' own units, one number
format (``cfe_opt.text.fmt``), one header line per table, rows where nothing happens left out
unless asked for (``show_all``)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cfe_opt.analysis.packages import package_view
from cfe_opt.report import move_phrase
from cfe_opt.text import fmt, party_name, render_table, side_name

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


# ---- packages: what each point of an analysis gives, in the positions' own units -------------
def _packages_lines(positions: pd.DataFrame, level: str, names: dict[str, str],
                    show_all: bool, what: str) -> list[str]:
    view, notes = package_view(positions, level, names, show_all)
    lines = [f"What each {what} gives, in the positions' own units "
             + ("(every position)" if show_all else "(the positions that differ; --all: every "
                                                   "one)")]
    if view.empty or not len(view.columns):
        lines.append(f"  every {what} gives the same package (--all shows it)")
    else:
        lines.append(render_table(view))
    lines += [f"  ({note})" for note in notes]
    return lines


# ---- alternatives -----------------------------------------------------------------------------
def text_alternatives(found: Any, show_all: bool = False) -> str:
    """The packages found: what each gives in units, each party's deviation, how far apart."""
    summary = found.summary
    names = _names(summary)
    attrs = summary.attrs
    lines = [f"Near-optimal packages: within {fmt(100 * float(attrs.get('share', 0)))}% of the "
             f"optimal {attrs.get('objective')} objective ({fmt(attrs.get('optimum'))}); "
             f"package 0 is the optimum", ""]
    lines += _packages_lines(found.positions, "package", names, show_all, "package")
    lines += ["", "Each party's deviation (weighted, normalised; lower is better) and the "
              "distance to the nearest earlier package (in the positions' quantities, each "
              "scaled by its room)"]
    show = summary.copy()
    if not show_all:
        moving = [p for p in attrs.get("parties", []) if p in show.columns
                  and show[p].abs().max() > ZERO]
        show = show[["objective", "distance", *moving]]
    show = show.rename(columns={p: party_name(p, names) for p in show.columns
                                if p not in ("objective", "distance")})
    lines.append(render_table(show))
    if attrs.get("stopped"):
        lines.append(f"Stopped: {attrs['stopped']}")
    if attrs.get("dominated"):
        lines.append(f"Left out as dominated: packages {attrs['dominated']}")
    return "\n".join(lines)


# ---- bargaining -------------------------------------------------------------------------------
SOLUTION_NAMES = {"utilitarian": "utilitarian", "kalai_smorodinsky": "Kalai–Smorodinsky",
                  "nash": "Nash", "weighted": "weighted"}


def text_bargaining(found: Any, show_all: bool = False) -> str:
    """The package each bargaining rule gives, in units, then each party's deviation."""
    table = found.table
    names = _names(table)
    positions = found.positions.rename(index=SOLUTION_NAMES, level="solution")
    lines = ["Bargaining solutions (each party's worst outcome, the disagreement point, is the "
             "payoff-table nadir)", ""]
    lines += _packages_lines(positions, "solution", names, show_all, "solution")
    wide = table["deviation"].unstack("solution")
    parties = list(dict.fromkeys(table.index.get_level_values("party")))
    solutions = list(dict.fromkeys(table.index.get_level_values("solution")))
    no_bargain = list(table.attrs.get("no_bargain") or [])
    shown = parties if show_all else [p for p in parties if p not in no_bargain]
    wide = wide.reindex(index=shown, columns=solutions)
    wide.index = [side_name(p, names) for p in wide.index]
    wide.index.name = "party"
    wide.columns = [SOLUTION_NAMES.get(c, c) for c in wide.columns]
    worst = table["worst"].groupby(level="party", sort=False).first().reindex(shown)
    wide["worst (disagreement)"] = worst.to_numpy()
    lines += ["", "Each party's deviation (weighted, normalised; lower is better) under each "
              "solution", render_table(wide)]
    bound = table.attrs.get("nash_error_bound")
    if bound is not None:
        lines.append(f"Nash: Σ log gains within {fmt(float(bound))} of the true optimum "
                     "(piecewise-linear outer approximation)")
    if no_bargain:
        lines.append("Nothing to bargain over (the same outcome in every package): "
                     + ", ".join(side_name(p, names) for p in no_bargain))
    lines += list(table.attrs.get("merged") or [])
    return "\n".join(lines)


# ---- frontier ---------------------------------------------------------------------------------
def text_frontier(frontier: Any, modes: pd.DataFrame, mode_positions: pd.DataFrame | None = None,
                  show_all: bool = False) -> str:
    """The frontier's breakpoints with the package at each, in units, and where each objective
    mode lands."""

    points = frontier.points
    names = _names(points)
    a = side_name(points.attrs.get("side_a", "A"), names)
    b = side_name(points.attrs.get("side_b", "B"), names)
    lines = [f"Pareto frontier: what {b} must give up so that {a} gives up less "
             f"({len(points)} breakpoints; straight lines between them)", ""]
    lines += _packages_lines(frontier.positions, "point", names, show_all, "breakpoint")
    lines += ["", "Each side's deviation (weighted, normalised; lower is better) at each "
              "breakpoint",
              render_table(points.rename(columns={"deviation_a": a, "deviation_b": b}))]
    lines += ["", "Where each objective mode lands"]
    if mode_positions is not None:
        view = _packages_lines(mode_positions, "objective", names, show_all, "objective mode")
        lines += view[1:]
    lines.append(render_table(modes.rename(columns={"deviation_a": a, "deviation_b": b})))
    return "\n".join(lines)


# ---- diagnose ---------------------------------------------------------------------------------
WHO = {"red_line": "red line", "commitment": "commitment", "treaty_rule": "treaty rule"}


def _limit_phrase(name: str, row: Any, names: dict[str, str]) -> str:
    kind = WHO.get(str(row.kind), str(row.kind))
    sense = {"<=": "≤", ">=": "≥", "==": "="}.get(str(row.sense), str(row.sense))
    return (f"{party_name(str(row.owner), names)}'s {kind} '{row.label}' {sense} "
            f"{fmt(float(row.rhs))} ({name})")


def text_diagnosis(scenario: Any, conflicts: pd.DataFrame, cheapest: pd.DataFrame,
                   fair: pd.DataFrame) -> str:
    """Why no package: every minimal conflict set, what they share, then two concessions: the
    cheapest (least moved in all) and a fair split (no owner moves more than it must)."""
    from cfe_opt.text import scenario_names

    names = scenario_names(scenario)
    sets = list(dict.fromkeys(conflicts.index.get_level_values("set")))
    lines = [f"Scenario  {scenario.name}  ({scenario.display})",
             "Status    infeasible: no package meets every hard limit", ""]
    many = len(sets) > 1
    complete = conflicts.attrs.get("complete", True)
    head = (f"{len(sets)} minimal sets of limits cannot each hold together"
            + ("" if complete else " (the search stopped there: there may be more)")
            + " — dropping one limit from a set resolves that set, not the others:"
            if many else "These limits cannot all hold together (a minimal conflict set; it is "
                         "the only one):")
    lines.append(head)
    for number in sets:
        members = conflicts.xs(number, level="set")
        if many:
            lines.append(f"  set {number}:")
        for name, row in members.iterrows():
            lines.append(f"    - {_limit_phrase(str(name), row, names)}" if many
                         else f"  - {_limit_phrase(str(name), row, names)}")
    shared = conflicts.attrs.get("in_every_set") or []
    if many and shared:
        first = conflicts.xs(sets[0], level="set")
        lines.append("  In every set: " + "; ".join(
            _limit_phrase(n, first.loc[n], names) for n in shared if n in first.index)
            + " — moving it alone can resolve every conflict")
    elif many:
        lines.append("  No limit is in every set: resolving them all needs moves in several")
    lines += ["", "The cheapest concession (least moved in all, in the limits' own units):"]
    lines += [f"  - {move_phrase(str(n), r, names)}" for n, r in cheapest.iterrows()] or [
        "  (none found)"]
    level = fair.attrs.get("level")
    lines += ["", "A fair split (minimax: no owner moves its numbers by more than "
              f"{fmt(float(level)) if level is not None else '?'}, in their own units):"]
    lines += [f"  - {move_phrase(str(n), r, names)}" for n, r in fair.iterrows()] or [
        "  (none found)"]
    return "\n".join(lines)


# ---- zone of possible agreement ---------------------------------------------------------------
def _span(low: float, high: float) -> str:
    return f"{fmt(float(low))} .. {fmt(float(high))}"


def _wants(direction: str, target: float) -> str:
    word = {"at_least": "at least", "at_most": "at most", "exactly": "exactly"}.get(
        direction, direction)
    return f"{word} {fmt(float(target))}"


def _acceptable(low: float, high: float) -> str:
    if math.isnan(low) and math.isnan(high):
        return "no range stated"
    return (f"{fmt(low) if not math.isnan(low) else ''} .. "
            f"{fmt(high) if not math.isnan(high) else ''}").strip()


def text_zopa(zones: list[Any], preferred: pd.DataFrame, region: pd.DataFrame | None = None,
              zone_region: pd.DataFrame | None = None) -> str:
    """For each quantity: its range under the hard limits alone and inside every stated
    range (the zone of possible agreement), what each party wants on it, and where the ranges
    clash, by how much and the smallest widening that opens a zone; for two, the polygons."""
    lines: list[str] = []
    names = _names(preferred)
    for axis, zone in zip(("x", "y"), zones, strict=False):
        ranges, edges = zone.ranges, zone.edges
        unit = ranges.attrs.get("unit", "")
        lines += [f"Zone of possible agreement for {ranges.attrs.get('quantity')} (in {unit})"]
        hard = ranges.loc["hard limits"]
        lines.append(f"  hard limits only           {_span(hard.minimum, hard.maximum)}   "
                     "(every package meeting every treaty rule, commitment and red line)")
        stated = ranges.loc["stated ranges"]
        if stated.status != "empty":
            ends = []
            for end in ("min", "max"):
                setting = [f"{party_name(p, names)}'s {'minimum' if e == 'min' else 'maximum'}"
                           for (p, _n, e), r in edges.iterrows() if r["bounds"] == end]
                ends.append(" and ".join(setting) if setting else "the hard limits")
            why = (f"from {ends[0]} to {ends[1]}" if len(edges)
                   else "no position states a range: the same")
            lines.append(f"  inside every stated range  {_span(stated.minimum, stated.maximum)}"
                         f"   ({why})")
        else:
            lines.append("  inside every stated range  none: the ranges clash")
            for phrase in zone.clashes.attrs.get("phrases", []):
                lines.append(f"    - {phrase}")
            moved = edges[edges["widening"] > 1e-9] if "widening" in edges else edges.iloc[0:0]
            if len(moved):
                units = set(moved["unit"])
                total = float(moved["widening"].sum())
                amount = f"{fmt(total)} {units.pop()}" if len(units) == 1 else fmt(total)
                steps = [f"{party_name(p, names)}'s {'minimum' if e == 'min' else 'maximum'} "
                         f"({n}) {fmt(float(r['value']))} → {fmt(float(r['widened_value']))}"
                         for (p, n, e), r in moved.iterrows()]
                lines.append(f"  The smallest widening that opens a zone ({amount} in all): "
                             + "; ".join(steps))
            if "once widened" in ranges.index:
                widened = ranges.loc["once widened"]
                span = _span(widened.minimum, widened.maximum)
                lines.append(f"  once widened               {span}")
        if len(preferred) and f"position_{axis}" in preferred:
            rows = [{"party": party_name(p, names), "position": r[f"position_{axis}"],
                     "wants": _wants(r[f"direction_{axis}"], r[axis]),
                     "acceptable range": _acceptable(float(r[f"range_min_{axis}"]),
                                                     float(r[f"range_max_{axis}"]))}
                    for p, r in preferred.iterrows() if r[f"position_{axis}"]]
            if rows:
                lines += ["  What each party wants on it:", render_table(pd.DataFrame(rows),
                                                                        indent="    ")]
        lines.append("")
    if region is not None:
        lines += [f"Allowed by every hard limit: a polygon of {len(region)} vertices",
                  render_table(region)]
        if zone_region is not None:
            lines += ["", f"Inside every stated range too: a polygon of {len(zone_region)} "
                      "vertices", render_table(zone_region)]
        else:
            lines += ["", "Inside every stated range too: none (the ranges clash)"]
    return "\n".join(lines).rstrip()


# ---- prices -----------------------------------------------------------------------------------
def text_prices(scenario: Any, prices: pd.DataFrame, costs: pd.DataFrame,
                show_all: bool = False) -> str:
    """What each binding hard limit costs, in words and units first, then the table (price,
    the interval where it holds, one unit's move each way) and whom each costs."""
    from cfe_opt.report import OBJECTIVE_WORDS, price_sentence
    from cfe_opt.text import scenario_names

    names = scenario_names(scenario)
    objective = str(prices.attrs.get("objective", "weighted"))
    binding = prices[prices["binding"]]
    priced = binding[binding["shadow_price"].abs().fillna(0) > ZERO]
    lines = [f"Scenario  {scenario.name}  ({scenario.display})",
             f"Objective {objective} = {fmt(float(prices.attrs.get('objective_value', math.nan)))}"
             f" (the {OBJECTIVE_WORDS.get(objective, 'objective')}, in weighted normalised "
             "units)", "", "What each binding limit costs:"]
    if priced.empty:
        lines.append("  nothing: no binding limit has a price (moving any number by a unit "
                     "changes nothing)")
    for _name, row in priced.iterrows():
        holds = ""
        low, high = float(row["valid_from"]), float(row["valid_to"])
        if not (math.isnan(low) and math.isnan(high)):
            holds = f" (it holds for numbers from {fmt(low)} to {fmt(high)})"
        lines.append(f"  - {price_sentence(row, names, objective)}{holds}")
    shown = binding if show_all else priced
    if len(shown):
        table = pd.DataFrame([{
            "owner": party_name(str(r.owner), names), "limit": str(r.label), "sense": r.sense,
            "number": float(r.rhs), "unit": r.unit, "price": float(r.shadow_price),
            "from": float(r.valid_from), "to": float(r.valid_to),
            "one more": float(r.raise_one), "one less": float(r.lower_one)}
            for _, r in shown.iterrows()])
        lines += ["", "Binding hard limits (price: change in the objective per one more of the "
                  "limit's unit; one more / one less: the change when the number moves by one, "
                  "re-solved)", render_table(table)]
    rest = len(binding) - len(priced)
    if rest and not show_all:
        lines.append(f"  {rest} more bind at no cost (price 0; --all lists them)")
    if len(costs):
        nonzero = costs[costs["per_unit"].abs() > ZERO]
        lines += ["", "Whom each costs (change in each party's deviation per one more of the "
                  "limit's unit)"]
        if len(nonzero):
            wide = nonzero["per_unit"].unstack("party").fillna(0)
            wide.columns = [party_name(str(c), names) for c in wide.columns]
            units = nonzero["unit"].groupby(level="limit").first()
            wide.insert(0, "unit", units.reindex(wide.index))
            labels = prices["label"].reindex(wide.index)
            wide.index = [str(labels.get(i, i)) for i in wide.index]
            wide.index.name = "limit"
            lines.append(render_table(wide))
        else:
            lines.append("  no party's deviation moves")
    return "\n".join(lines)


def text_history(table: pd.DataFrame) -> str:
    """The history table: model against signed, with the zone and what decides each figure."""
    attrs = table.attrs
    lines = [f"History  {attrs.get('scenario', '')} ({attrs.get('objective_mode', '')}) "
             "against the figures signed in November 1999",
             "zone: the figure's range over the packages meeting every hard limit and every "
             "stated range; face: its range over the optimal packages (before the tie-breaks)"]
    if table.empty:
        return "\n".join([*lines, "  (no figure of the scenario has a signed counterpart)"])
    show = table[["model", "signed", "signed_kind", "gap", "zone_min", "zone_max", "inside",
                  "face_min", "face_max", "status"]]
    lines.append(render_table(show))
    later = table[table["later_inputs"] != ""]
    if len(later):
        lines += ["", "Figures whose block rests on later stand-ins:"]
        for key, row in later.iterrows():
            lines.append(f"  {' '.join(map(str, key))}: {row.later_inputs}")
    return "\n".join(lines)
