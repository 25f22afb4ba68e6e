"""Readable text summaries of a result (the CLI prints these) and the summary.json record."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.check import CheckReport
from cfe_opt.io import csv_text, json_text
from cfe_opt.model.core import HARD_KINDS
from cfe_opt.outputs import Content
from cfe_opt.results import TOTAL, Result, clean, clean_ratio
from cfe_opt.text import (
    SHORT,
    category_one,
    fmt,
    party_name,
    render_table,
    scenario_names,
    with_unit,
)
from cfe_opt.version import package_version

CHANGE_TOL = 1e-6
PRICE_TOL = 1e-9


def summary_record(result: Result, check: CheckReport | None, files: tuple[str, ...]) -> dict:
    import pulp

    return {
        "status": result.status.value,
        "objective_mode": result.objective_mode,
        "objective_value": result.objective,
        "stages": [{"name": s.name, "main": s.main, "status": s.status.value,
                    "objective": clean_ratio(s.objective) if s.objective is not None else None,
                    "seconds": round(s.seconds, 6), "hold_tolerance": s.hold_tolerance}
                   for s in result.stages],
        "solver": result.solver,
        "solver_version": result.solver_version,
        "integer": result.integer,
        "shadow_prices": result.duals_available,
        "build_seconds": round(result.build_seconds, 6),
        "solve_seconds": round(result.solve_seconds, 6),
        "scenario": {"name": result.scenario, "files": list(files),
                     "sha256": result.scenario_sha256, "case": result.case},
        "check": None if check is None else {
            "ok": check.ok, "checked": check.checked,
            "violations": [str(v) for v in check.violations]},
        "notes": result.notes,
        "outcomes": result.outcomes,
        "as_of": result.as_of,
        "later_stand_ins": result.later_stand_ins,
        "assumptions": result.assumptions,
        "versions": {"cfe_opt": package_version(), "pulp": pulp.__version__},
    }


def solve_files(result: Result, check: CheckReport | None, files: tuple[str, ...],
                write_model: bool = False) -> dict[str, Content]:
    """The files of a solve's output set, by name: the tables, summary.json, and if asked the
    last stage's LP as model.mps (each as bytes or as a function writing it at a path)."""
    out: dict[str, Content] = {}
    for name, frame in result.tables().items():
        out[f"{name}.csv"] = csv_text(frame).encode("utf-8")
    if write_model and result.model is not None and result.run is not None:
        from cfe_opt.solve.cbc import mps_text

        out["model.mps"] = mps_text(result.model, result.run.cost).encode("utf-8")
    out["summary.json"] = json_text(summary_record(result, check, files)).encode("utf-8")
    return out


def move_phrase(name: str, row: Any, names: dict[str, str]) -> str:
    """A concession's move in words and units: ``Russia's red line 'floor': ≥ 2,000 → 1,380
    (−620 ACVs)``."""
    kind = KIND_WORDS.get(str(row.kind), str(row.kind))
    sense = {"<=": "≤", ">=": "≥", "==": "="}.get(str(row.sense), str(row.sense))
    ratio = (" (in cut-share units: the rule itself would have to give way)"
             if row.family in ("reciprocity", "equal_treatment") else "")
    change = float(row.change)
    sign = "+" if change > 0 else "−"
    return (f"{party_name(str(row.owner), names)}'s {kind} '{row.label}': {sense} "
            f"{fmt(float(row.rhs))} → {fmt(float(row.relaxed_rhs))} ({sign}{fmt(abs(change))}"
            f"{' ' + str(row.unit) if getattr(row, 'unit', '') and not ratio else ''}){ratio}")


def _fmt(value: Any) -> str:
    return fmt(value)


@dataclass(frozen=True)
class SolveText:
    """The texts ``solve`` prints: the full summary, a brief one (for each case of a file) and
    the status line alone (``--quiet``)."""

    full: str
    brief: str
    status_line: str

    @classmethod
    def of(cls, result: Result, check: CheckReport | None, files: tuple[str, ...],
           show_all: bool = False,
           unit_prices: dict[str, tuple[float | None, float | None]] | None = None
           ) -> SolveText:
        full = text_summary(result, check, files, show_all=show_all, unit_prices=unit_prices)
        status = next(line for line in full.splitlines() if line.startswith("Status"))
        brief = [status]
        brief += [line for line in full.splitlines()
                  if line.startswith(("Check ", "Outcomes", "As of"))]
        if result.positions is not None:
            conceding = result.positions[result.positions["deviation"] > CHANGE_TOL]
            for (party, name), row in conceding.iterrows():
                brief.append(f"  concedes  {party} {name}: {position_phrase(row)} "
                             f"(normalised {_fmt(row.normalised_deviation)})")
        return cls(full=full, brief="\n".join(brief), status_line=status)


def cases_text(table: pd.DataFrame) -> str:
    """The cases side by side."""
    show = table.drop(columns=["description"], errors="ignore")
    return "Cases side by side (deviation_P: party P's weighted normalised deviation)\n" + (
        _table(show.T))


def _names(result: Result) -> dict[str, str]:
    model = result.model
    return scenario_names(model.scenario) if model is not None else {}


def text_summary(result: Result, check: CheckReport | None, files: tuple[str, ...],
                 show_all: bool = False,
                 unit_prices: dict[str, tuple[float | None, float | None]] | None = None
                 ) -> str:
    """What ``solve`` prints: the answer first (who concedes what, in the positions' own
    units), then the status and the check, what changes (every ceiling that moves, areas
    included, and apart from it the figures set where there was none), and the binding hard
    limits with their prices (in words from ``unit_prices``: each limit's re-solved one-unit
    moves, (up, down) as ``CompiledModel.unit_prices`` gives them). Rows where nothing happens
    are left out unless ``show_all``."""
    names = _names(result)
    head = (f"Scenario  {' '.join(result.scenario.split())}  ({files[0] if files else ''}; "
            f"sha256 {result.scenario_sha256[:12]})")
    if not result.optimal:
        lines = [head]
        if result.status.value == "infeasible":
            lines.append("Status    infeasible: no package meets every hard limit")
        else:
            lines.append(f"Status    {result.status.value}: the solver stopped before proving "
                         "an optimum (time limit or numerical trouble); no package is reported")
        if result.concession is not None and len(result.concession):
            lines.append("The smallest concession that would allow a package moves (in the "
                         "limits' own units; 'cfe-opt diagnose' gives every conflict and a fair "
                         "split):")
            lines += [f"  - {move_phrase(str(n), row, names)}"
                      for n, row in result.concession.iterrows()]
        return "\n".join(lines)
    main = [s for s in result.stages if s.main]
    stages = " · ".join(f"{s.name} {fmt(clean_ratio(s.objective))}" for s in main)
    lines = [head, "", *answer_lines(result.positions, names, show_all), ""]
    lines.append(f"Status    optimal; objective {result.objective_mode} = "
                 f"{fmt(result.objective)}   ({result.solver_version}, build "
                 f"{result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s)")
    if len(main) > 1:
        lines.append(f"Stages    {stages}")
    if check is not None:
        lines.append(f"Check     {check.summary()}")
    if any(not s.main for s in result.stages):
        lines.append("Tie-break the package closest to the status quo among equally good ones "
                     "(the tie-break stages' values are distances, in summary.json)")
    lines += [f"Note      {n}" for n in result.notes]
    if result.assumptions:
        lines.append(f"Assumed   {len(result.assumptions)} figures or limits rest on stated "
                     "assumptions (listed in summary.json)")
    if result.as_of is not None:
        lines.append(f"As of     {result.as_of}: {len(result.later_stand_ins)} input(s) dated "
                     "later stand in for figures of the time (later_stand_ins in summary.json)")
    if result.outcomes:
        lines.append("Outcomes  " + " · ".join(f"{k} {_fmt(v)}"
                                               for k, v in result.outcomes.items()))
    changed, filled = changes_table(result.allocation, names)
    lines += ["", "What changes: every ceiling and holding that moves (areas included)",
              render_table(changed) if len(changed) else "  (nothing moves)"]
    if len(filled):
        lines += ["", "Figures set where there was none (no current figure in the scenario; "
                  "where no position or limit pins one, the tie-break's choice)",
                  render_table(filled)]
    lines += ["", *binding_lines(result.constraints, names, show_all, result.objective_mode,
                                 unit_prices)]
    if result.robustness is not None:
        lines += ["", "Robustness: outcomes as each party's weight and scales vary "
                  f"(×{result.robustness.attrs.get('band', ('', ''))[0]:g} … "
                  f"×{result.robustness.attrs.get('band', ('', ''))[1]:g})",
                  _robustness(result.robustness)]
    return "\n".join(lines)


def _robustness(frame: pd.DataFrame) -> str:
    moved = frame[frame["change"].abs() > CHANGE_TOL]
    if moved.empty:
        return "  (no outcome moves over the band)"
    show = moved.reset_index()[["party", "factor", "multiplier", "outcome", "base", "value",
                                "change"]].set_index(["party", "factor", "multiplier",
                                                      "outcome"])
    return _table(show)


def position_phrase(row: Any) -> str:
    """``620 ACVs short: 1,380 against at least 2,000``."""
    unit = str(row.get("unit", "") or "")
    wants = {"at_least": "at least", "at_most": "at most", "exactly": "exactly"}.get(
        str(row["direction"]), str(row["direction"]))
    achieved, target = float(row["achieved"]), float(row["target"])
    miss = "short" if achieved < target else "over"
    return (f"{with_unit(float(row['deviation']), unit)} {miss}: {fmt(achieved)} against "
            f"{wants} {fmt(target)}")


def range_phrase(row: Any) -> str:
    """``in its range 1,700..2,400``, ``outside its range 1,700..``, ``no range stated``."""
    inside = row.get("within_range")
    low, high = float(row.get("range_min", math.nan)), float(row.get("range_max", math.nan))
    if inside is None or inside is pd.NA or (math.isnan(low) and math.isnan(high)):
        return "no range stated"
    span = f"{fmt(low) if not math.isnan(low) else ''}..{fmt(high) if not math.isnan(high) else ''}"
    return f"{'inside' if bool(inside) else 'outside'} its range {span}"


def answer_lines(positions: pd.DataFrame | None, names: dict[str, str],
                 show_all: bool = False) -> list[str]:
    """Who concedes what, in the positions' own units: one line per conceded position, then
    how many positions are met (listed with ``show_all``)."""
    if positions is None or positions.empty:
        return ["Who concedes what: no party states a position"]
    conceded = positions[positions["deviation"] > CHANGE_TOL]
    met = positions[positions["deviation"] <= CHANGE_TOL]
    lines = ["Who concedes what (in the positions' own units)"]
    rows = []
    for (party, name), row in (positions if show_all else conceded).iterrows():
        if float(row["deviation"]) > CHANGE_TOL:
            what = position_phrase(row)
        else:
            what = f"met: {fmt(float(row['achieved']))} {row.get('unit', '')}".rstrip()
        rows.append({"party": party_name(party, names), "position": name, "outcome": what,
                     "normalised": float(row["normalised_deviation"]),
                     "range": range_phrase(row)})
    if rows:
        lines.append(render_table(pd.DataFrame(rows)))
    if conceded.empty:
        lines.append(f"  Every position is met ({len(met)}).")
    elif not show_all and len(met):
        lines.append(f"  Every other position is met ({len(met)}; --all lists them).")
    return lines


# (label, column before, column after) of the figures a package sets, by level of the table
STATE_FIGURES = (("national ceiling", "national_ceiling_before", "national_ceiling"),
                 ("territorial ceiling", "territorial_ceiling_before", "territorial_ceiling"),
                 ("holdings", "holdings_before", "holdings_after"),
                 ("temporary deployment", None, "temporary_deployment"),
                 ("exceptional temporary deployment", None,
                  "temporary_deployment_exceptional"))
AREA_FIGURES = (("territorial sub-ceiling", "territorial_subceiling_before",
                 "territorial_subceiling"),
                ("sub-ceiling in active units", "active_subceiling_before", "active_subceiling"),
                ("temporary deployment into the area", None, "temporary_deployment_in_area"),
                ("exceptional temporary deployment into the area", None,
                 "temporary_deployment_exceptional_in_area"))


def changes_table(allocation: pd.DataFrame | None, names: dict[str, str] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every figure that moves: before, after, change; every figure set where the scenario
    has none: its value). A temporary deployment's status quo is none deployed (0)."""
    columns = ["party", "area", "category", "figure", "before", "after", "change"]
    moved: list[dict[str, Any]] = []
    filled: list[dict[str, Any]] = []
    if allocation is None or allocation.empty:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=columns[:5])
    for (party, area, category), row in allocation.iterrows():
        figures = STATE_FIGURES if area == TOTAL else AREA_FIGURES
        for label, before_column, after_column in figures:
            after = _cell(row, after_column)
            if math.isnan(after):
                continue
            before = 0.0 if before_column is None else _cell(row, before_column)
            where = {"party": party_name(str(party), names), "area": area,
                     "category": SHORT.get(str(category), str(category)), "figure": label}
            if math.isnan(before):
                filled.append({**where, "value": after})
            elif abs(after - before) > CHANGE_TOL * max(1.0, abs(before)):
                moved.append({**where, "before": before, "after": after,
                              "change": clean(after - before)})
    return (pd.DataFrame(moved, columns=columns),
            pd.DataFrame(filled, columns=[*columns[:4], "value"]))


def _cell(row: Any, column: str) -> float:
    value = row.get(column, math.nan) if hasattr(row, "get") else math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def binding_lines(constraints: pd.DataFrame | None, names: dict[str, str],
                  show_all: bool = False, objective: str = "weighted",
                  unit_prices: dict[str, tuple[float | None, float | None]] | None = None
                  ) -> list[str]:
    """The binding hard limits with a price, each with its price in words; those binding at
    no cost counted (listed with ``show_all``)."""
    if constraints is None:
        return []
    hard = constraints[constraints["kind"].isin(HARD_KINDS) & constraints["binding"]]
    lines = ["Binding hard limits (the price: the change in the objective per unit more of "
             "the limit's number)"]
    if hard.empty:
        return [*lines, "  (none)"]
    priced = hard[hard["shadow_price"].abs().fillna(0) > PRICE_TOL]
    shown = hard if show_all else priced
    rows = [{"owner": party_name(str(r.owner), names), "limit": str(r.label),
             "sense": r.sense, "number": float(r.rhs), "unit": str(r.get("unit", "")),
             "price": float(r.shadow_price)} for _, r in shown.iterrows()]
    if rows:
        lines.append(render_table(pd.DataFrame(rows)))
    for name, r in priced.iterrows():
        up, down = (unit_prices or {}).get(str(name), (None, None))
        if up is not None or down is not None:
            r = r.copy()
            r["raise_one"] = math.nan if up is None else up
            r["lower_one"] = math.nan if down is None else -down
        lines.append(f"  - {price_sentence(r, names, objective)}")
    rest = len(hard) - len(priced)
    if rest and not show_all:
        lines.append(f"  {rest} more bind at no cost (price 0; --all lists them)")
    return lines


OBJECTIVE_WORDS = {"weighted": "total concession", "minimax": "largest concession",
                   "lexicographic": "first priority's concession"}
KIND_WORDS = {"red_line": "red line", "commitment": "commitment", "treaty_rule": "treaty rule"}
SENSE_WORDS = {"<=": "≤", ">=": "≥", "==": "="}


def price_sentence(row: Any, names: dict[str, str] | None = None,
                   objective: str = "weighted") -> str:
    """What one unit more (and less) of a limit's number does, in words and units: ``one more
    ACV on 'no increase in Russia's flank ACVs' (Turkey's red line, ≤ 1,380) lowers the total
    concession by 0.0065 normalised units; one less raises it by as much``. From the re-solved
    one-unit moves (``raise_one``, ``lower_one``) where the row has them — at a degenerate
    optimum the LP's price holds on one side only — else from the shadow price."""
    unit = str(row.get("unit", "") or "unit")
    one = category_one(unit)
    what = (f"'{row['label']}' ({whose(row, names)}, {SENSE_WORDS.get(str(row['sense']), '')} "
            f"{fmt(float(row['rhs']))})")
    measure = OBJECTIVE_WORDS.get(objective, "objective")
    up, down = _number(row.get("raise_one")), _number(row.get("lower_one"))
    if math.isnan(up) and math.isnan(down):
        price = _number(row.get("shadow_price"))
        if math.isnan(price):
            return f"{what}: no price (the solver gives none here)"
        if abs(price) <= PRICE_TOL:
            return f"one more {one} on {what} changes nothing"
        return (f"one more {one} on {what} {_effect(price, measure)} (the LP's price; "
                "'cfe-opt prices' re-solves a unit each way)")
    if abs(up) <= PRICE_TOL and abs(down) <= PRICE_TOL:
        return f"one {one} more or less on {what} changes nothing"
    if not math.isnan(up) and not math.isnan(down) and abs(up + down) <= 1e-6 * max(
            abs(up), abs(down)):
        return f"one more {one} on {what} {_effect(up, measure)}; one less, the reverse"
    parts = [f"one more {one} on {what} {_effect(up, measure)}",
             f"one less {_effect(down, measure)}"]
    return "; ".join(parts)


def whose(row: Any, names: dict[str, str] | None) -> str:
    """``Turkey's red line``, ``a treaty rule of CFE_1990``, ``a treaty rule``."""
    owner = str(row["owner"])
    kind = KIND_WORDS.get(str(row.get("kind", "")), str(row.get("kind", "")))
    if names and owner in names:
        return f"{party_name(owner, names)}'s {kind}"
    if owner in ("treaty", "model", ""):
        return f"a {kind}"
    return f"a {kind} of {owner}"


def _effect(change: float, measure: str) -> str:
    if math.isnan(change):
        return "is not possible (no package then)"
    if abs(change) <= PRICE_TOL:
        return "changes nothing"
    verb = "lowers" if change < 0 else "raises"
    return f"{verb} the {measure} by {fmt(abs(change))} normalised units"


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _table(frame: pd.DataFrame) -> str:
    return render_table(frame)
