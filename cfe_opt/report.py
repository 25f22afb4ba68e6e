"""Readable text summaries of a result (the CLI prints these) and the summary.json record."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.check import CheckReport
from cfe_opt.concession import describe
from cfe_opt.io import csv_text, json_text
from cfe_opt.outputs import Content
from cfe_opt.results import Result, clean_ratio
from cfe_opt.version import package_version

CHANGE_TOL = 1e-6


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


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 10 else f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class SolveText:
    """The texts ``solve`` prints: the full summary, a brief one (for each case of a file) and
    the status line alone (``--quiet``)."""

    full: str
    brief: str
    status_line: str

    @classmethod
    def of(cls, result: Result, check: CheckReport | None, files: tuple[str, ...]) -> SolveText:
        full = text_summary(result, check, files)
        status = next(line for line in full.splitlines() if line.startswith("Status"))
        brief = [status]
        brief += [line for line in full.splitlines()
                  if line.startswith(("Check ", "Outcomes", "As of"))]
        if result.positions is not None:
            conceding = result.positions[result.positions["deviation"] > CHANGE_TOL]
            for (party, name), row in conceding.iterrows():
                brief.append(f"  concedes  {party} {name}: {_fmt(row.achieved)} against "
                             f"{_fmt(row.target)} (normalised {_fmt(row.normalised_deviation)})")
        return cls(full=full, brief="\n".join(brief), status_line=status)


def cases_text(table: pd.DataFrame) -> str:
    """The cases side by side."""
    show = table.drop(columns=["description"], errors="ignore")
    return "Cases side by side (deviation_P: party P's weighted normalised deviation)\n" + (
        _table(show.T))


def text_summary(result: Result, check: CheckReport | None, files: tuple[str, ...]) -> str:
    lines = [f"Scenario  {' '.join(result.scenario.split())}  ({files[0] if files else ''}; sha256 "
             f"{result.scenario_sha256[:12]})"]
    if not result.optimal:
        if result.status.value == "infeasible":
            lines.append("Status    infeasible: no package meets every hard limit")
        else:
            lines.append(f"Status    {result.status.value}: the solver stopped before proving "
                         "an optimum (time limit or numerical trouble); no package is reported")
        if result.concession is not None and len(result.concession):
            lines.append("The smallest concession that would allow a package moves:")
            lines += [f"  - {line}" for line in describe(result.concession)]
        return "\n".join(lines)
    stages = " · ".join(f"{s.name} {clean_ratio(s.objective):g}" for s in result.stages)
    lines.append(f"Status    optimal; objective {result.objective_mode} = "
                 f"{result.objective:g}   ({result.solver_version}, build "
                 f"{result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s)")
    lines.append(f"Stages    {stages}")
    if check is not None:
        lines.append(f"Check     {check.summary()}")
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
    lines += ["", "Positions: who concedes what", _positions(result.positions), "",
              "Ceilings and holdings that change", _changes(result.allocation), "",
              "Binding hard limits", _binding(result.constraints)]
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


def _positions(frame: pd.DataFrame | None) -> str:
    if frame is None or frame.empty:
        return "  (no positions)"
    show = frame[["direction", "target", "achieved", "deviation", "normalised_deviation",
                  "within_range"]].copy()
    show.columns = ["direction", "target", "achieved", "deviation", "normalised", "in range"]
    return _table(show)


def _changes(allocation: pd.DataFrame | None) -> str:
    if allocation is None or "total" not in allocation.index.get_level_values("area"):
        return "  (none)"
    national = allocation.xs("total", level="area")
    rows = []
    for (party, cat), row in national.iterrows():
        changed = []
        for name, before, after in (
            ("national ceiling", row.national_ceiling_before, row.national_ceiling),
            ("territorial ceiling", row.territorial_ceiling_before, row.territorial_ceiling),
        ):
            if not math.isnan(after) and (math.isnan(before) or abs(after - before) >
                                          CHANGE_TOL):
                changed.append(f"{name} {_fmt(before) or '—'} → {_fmt(after)}")
        if abs(row.reduction) > CHANGE_TOL:
            changed.append(f"holdings {_fmt(row.holdings_before)} → {_fmt(row.holdings_after)}")
        if not math.isnan(row.temporary_deployment) and row.temporary_deployment > CHANGE_TOL:
            changed.append(f"temporary deployment {_fmt(row.temporary_deployment)}")
        if changed:
            rows.append({"party": party, "category": cat, "change": "; ".join(changed)})
    if not rows:
        return "  (none)"
    return _table(pd.DataFrame(rows).set_index(["party", "category"]))


def _binding(constraints: pd.DataFrame | None) -> str:
    if constraints is None:
        return ""
    hard = constraints[constraints["kind"].isin(["treaty_rule", "commitment", "red_line"])
                       & constraints["binding"]]
    if hard.empty:
        return "  (none)"
    show = hard[["owner", "kind", "label", "sense", "rhs", "shadow_price"]].copy()
    show["label"] = show["label"].str.slice(0, 60)
    return _table(show)


def _table(frame: pd.DataFrame) -> str:
    text = frame.to_string(float_format=_fmt, na_rep="")
    return "\n".join("  " + line for line in text.splitlines())


def text_diagnosis(scenario: Any, conflict: pd.DataFrame, concession: pd.DataFrame) -> str:
    """Why no package: the conflicting limits, then the smallest concession."""
    lines = [f"Scenario  {scenario.name}  ({scenario.display})",
             "Status    infeasible: no package meets every hard limit", "",
             f"These limits cannot all hold together (a minimal conflict set, "
             f"{conflict.attrs.get('method', '')}):"]
    for name, row in conflict.iterrows():
        who = {"red_line": f"{row.owner} red line", "commitment": f"{row.owner} commitment",
               "treaty_rule": f"rule of {row.owner}"}.get(row.kind, f"{row.kind} ({row.owner})")
        lines.append(f"  - {who}: {row.label} ({name}) {row.sense} {_fmt(row.rhs)}")
    lines += ["", "The smallest concession that restores feasibility moves:"]
    lines += [f"  - {line}" for line in describe(concession)] or ["  (none found)"]
    return "\n".join(lines)


def text_prices(scenario: Any, prices: pd.DataFrame, costs: pd.DataFrame) -> str:
    """Binding hard limits by cost, with the range of their numbers over which the price holds."""
    binding = prices[prices["binding"]]
    lines = [f"Scenario  {scenario.name}  ({scenario.display})",
             f"Objective {prices.attrs.get('objective')} = "
             f"{_fmt(prices.attrs.get('objective_value', math.nan))}", "",
             "Binding hard limits, by cost (price: change in the objective per unit increase of "
             "the number; it holds for numbers from..to)"]
    if binding.empty:
        lines.append("  (none)")
    else:
        show = binding[["owner", "kind", "sense", "rhs", "shadow_price", "valid_from",
                        "valid_to"]].copy()
        show.columns = ["owner", "kind", "sense", "number", "price", "from", "to"]
        lines.append(show.to_string(float_format=lambda v: f"{v:,.6g}", na_rep=""))
    if len(costs):
        lines += ["", "Whom each costs (change in each party's deviation per unit increase)"]
        nonzero = costs[costs["per_unit"].abs() > 1e-12]
        lines.append(nonzero["per_unit"].unstack("party").fillna(0).to_string(
            float_format=lambda v: f"{v:,.6g}") if len(nonzero) else "  (no party's deviation "
            "moves)")
    return "\n".join(lines)


def text_sweep(table: pd.DataFrame) -> str:
    """Each party's deviation along the sweep, and the breakpoints."""
    if "deviation" in table.index.get_level_values("measure"):
        deviations = table.xs("deviation", level="measure")["number"].unstack("item")
    else:
        deviations = pd.DataFrame()
    moving = deviations.loc[:, deviations.abs().max() > 1e-9]
    lines = [f"Sweep of {table.attrs.get('field')} ({table.attrs.get('objective')} objective)",
             "Deviation of each party that concedes anything along the sweep:"]
    lines.append(moving.to_string(float_format=lambda v: f"{v:.4f}") if moving.shape[1]
                 else "  (no party concedes anything)")
    status = table.xs("status", level="measure")["number"]
    infeasible = [v for (v, _), ok in status.items() if ok == 0]
    if infeasible:
        lines.append(f"No feasible package at: {', '.join(_fmt(float(v)) for v in infeasible)}")
    points = table.attrs.get("breakpoints", [])
    lines.append(f"Breakpoints (active set changes): "
                 f"{', '.join(_fmt(float(v)) for v in points) if points else 'none'}")
    return "\n".join(lines)


def text_frontier(frontier: pd.DataFrame, modes: pd.DataFrame) -> str:
    """The frontier's breakpoints and where each objective mode lands."""
    a, b = frontier.attrs.get("side_a", "A"), frontier.attrs.get("side_b", "B")
    lines = [f"Pareto frontier: deviation of {a} against deviation of {b} "
             f"({len(frontier)} breakpoints; straight lines between them)"]
    show = frontier.rename(columns={"deviation_a": a, "deviation_b": b})
    lines.append(show.to_string(float_format=lambda v: f"{v:.6g}"))
    lines += ["", "Where each objective mode lands:"]
    lines.append(modes.rename(columns={"deviation_a": a, "deviation_b": b}).to_string(
        float_format=lambda v: f"{v:.6g}"))
    return "\n".join(lines)


def text_zopa(ranges: pd.DataFrame, preferred: pd.DataFrame,
              region: pd.DataFrame | None) -> str:
    """The interval of each quantity over every package that meets every hard limit."""
    lines = ["Zone of possible agreement (every hard limit holds; positions ignored):"]
    lines.append(ranges.to_string(float_format=lambda v: f"{v:,.6g}"))
    if len(preferred):
        lines += ["", "Parties' preferred points:",
                  preferred.to_string(float_format=lambda v: f"{v:,.6g}", na_rep="")]
    if region is not None:
        lines += ["", f"Feasible polygon ({len(region)} vertices):",
                  region.to_string(float_format=lambda v: f"{v:,.6g}")]
    return "\n".join(lines)


def text_bargaining(table: pd.DataFrame) -> str:
    """Each party's deviation under each bargaining solution."""
    wide = table["deviation"].unstack("solution")
    parties = list(dict.fromkeys(table.index.get_level_values("party")))
    solutions = list(dict.fromkeys(table.index.get_level_values("solution")))
    wide = wide.reindex(index=parties, columns=solutions)
    lines = ["Each party's deviation (weighted, normalised) under each bargaining solution:",
             wide.to_string(float_format=lambda v: f"{v:.6g}")]
    bound = table.attrs.get("nash_error_bound")
    if bound is not None:
        lines.append(f"Nash: Σ log gains within {bound:.3g} of the true optimum "
                     "(piecewise-linear outer approximation)")
    if table.attrs.get("no_bargain"):
        lines.append(f"Nothing to bargain over for: {', '.join(table.attrs['no_bargain'])}")
    return "\n".join(lines)


def text_alternatives(found: Any) -> str:
    """The packages found, their objectives and distances, and who concedes what in each."""
    lines = ["Near-optimal packages (0 is the optimum):",
             found.summary.to_string(float_format=lambda v: f"{v:.6g}", na_rep="")]
    stopped = found.summary.attrs.get("stopped")
    if stopped:
        lines.append(f"Stopped: {stopped}")
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
    lines.append(_table(show))
    later = table[table["later_inputs"] != ""]
    if len(later):
        lines += ["", "Figures whose block rests on later stand-ins:"]
        for key, row in later.iterrows():
            lines.append(f"  {' '.join(map(str, key))}: {row.later_inputs}")
    return "\n".join(lines)
