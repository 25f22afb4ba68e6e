"""A solve's result folder as a report: who concedes what, what changes, what binds and what it
costs, in sentences generated from the tables, with the assumptions and the provenance.

Everything is read from the folder (its tables, summary.json and run.json). Party names come
from the scenario file the record names, when that file is still there with the same sha256;
otherwise the codes are shown (the provenance says which).
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from cfe_opt.reports.document import Document, Figure, Section, Table, figure_png
from cfe_opt.reports.sources import ResultSet, read_json, read_table
from cfe_opt.text import fmt

HARD = ("treaty_rule", "commitment", "red_line")
SENSE_WORDS = {"<=": "≤", ">=": "≥", "==": "="}
KIND_WORDS = {"treaty_rule": "treaty rule", "commitment": "commitment", "red_line": "red line"}
TOL = 1e-6
POSITION_SHOWN = ["direction", "target", "achieved", "deviation", "unit", "normalised_deviation",
                  "weight", "range_min", "range_max", "within_range"]


def solve_document(result: ResultSet) -> Document:
    summary = read_json(result, "summary.json")
    names, names_note = party_names(result.record,
                                    case=(summary.get("scenario") or {}).get("case"))
    scenario = " ".join(str(summary.get("scenario", {}).get("name", "")).split())
    optimal = summary.get("status") == "optimal"
    narrative: list[str] = []
    sections: list[Section] = []
    if optimal:
        positions = read_table(result, "positions.csv", ["party", "position"])
        allocation = read_table(result, "allocation.csv", ["party", "area", "category"])
        constraints = read_table(result, "constraints.csv", ["name"])
        equipment = read_table(result, "equipment.csv",
                               ["owner", "party", "area", "category", "status"])
        narrative += _headline(summary)
        narrative += concession_sentences(positions, names)
        changes = changed_figures(allocation, names)
        narrative += binding_sentences(constraints, names)
        if len(changes):
            narrative.append(f"{len(changes)} national or territorial figures change "
                             "(table below).")
        sections += _sections(positions, changes, constraints, allocation, equipment)
    else:
        narrative += _headline(summary)
        if result.has("concession.csv"):
            concession = read_table(result, "concession.csv", ["name"])
            narrative += concession_lines(concession, names)
            sections.append(Section("Why there is no package", [
                "The smallest concession that would allow a package: the hard limits that "
                "must move, and by how much."], tables=[Table(
                    "concession", "The smallest concession", concession.drop(
                        columns=[c for c in ("field",) if c in concession.columns]))]))
    assumptions = list(summary.get("assumptions") or [])
    if assumptions:
        narrative.append(f"The result rests on {len(assumptions)} stated assumption"
                         f"{'s' if len(assumptions) != 1 else ''} (listed below).")
    return Document(
        title=scenario or "cfe-opt result",
        subtitle=f"cfe-opt {result.command} · objective {summary.get('objective_mode', '?')}",
        kind="solve", narrative=narrative, sections=sections, assumptions=assumptions,
        provenance=provenance(result, summary, names_note),
        created=str(result.record.get("written", "")))


def _headline(summary: dict[str, Any]) -> list[str]:
    status = summary.get("status")
    check = summary.get("check") or {}
    mode = summary.get("objective_mode", "?")
    if status == "optimal":
        held = (f"all {check.get('checked', 0):,} hard limits hold by the independent check"
                if check.get("ok") else "the independent check did not pass")
        return [f"A package meets every hard limit: {held}. Under the {mode} objective its "
                f"departure from the stated positions is {fmt(summary.get('objective_value'))}."]
    if status == "infeasible":
        return ["No package meets every hard limit: they cannot all hold together."]
    return [f"The solver stopped with status {status}: no package is reported."]


def _name(code: str, names: dict[str, str]) -> str:
    return names.get(code, code)


def concession_sentences(positions: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """One sentence per position that is not met, largest weighted deviation first, then
    one for the positions met in full."""
    rows = positions.reset_index()
    missed = rows[rows["deviation"].abs() > TOL]
    missed = missed.sort_values("weighted_deviation", ascending=False, kind="stable")
    out = []
    for _, row in missed.iterrows():
        unit = str(row["unit"]) if "unit" in row and isinstance(row["unit"], str) else ""
        u = f" {unit}" if unit else ""
        who = _name(row["party"], names)
        target, achieved, deviation = row["target"], row["achieved"], row["deviation"]
        what = f"({row['position']})"
        if row["direction"] == "at_least":
            text = (f"{who} concedes {fmt(deviation)} of the {fmt(target)}{u} it sought "
                    f"{what}: the package gives {fmt(achieved)}")
        elif row["direction"] == "at_most":
            text = (f"{who} accepts {fmt(achieved)}{u} where it sought at most "
                    f"{fmt(target)} {what}: {fmt(deviation)} more")
        else:
            side = "below" if achieved < target else "above"
            text = (f"{who} gets {fmt(achieved)}{u} where it sought exactly {fmt(target)} "
                    f"{what}: {fmt(deviation)} {side}")
        low, high = row.get("range_min", math.nan), row.get("range_max", math.nan)
        if not (pd.isna(low) and pd.isna(high)):
            stated = _range_text(low, high)
            inside = row.get("within_range")
            inside = bool(inside) if not pd.isna(inside) else None
            if inside is True:
                text += f", within its acceptable range ({stated})"
            elif inside is False:
                text += f", outside its acceptable range ({stated})"
        out.append(text + ".")
    met = len(rows) - len(missed)
    if not len(rows):
        out.append("No party states a position.")
    elif not len(missed):
        out.append(f"Every position ({met}) is met in full.")
    elif met:
        out.append(f"The other {met} position{'s are' if met != 1 else ' is'} met in full.")
    return out


def _range_text(low: Any, high: Any) -> str:
    if pd.isna(low):
        return f"at most {fmt(high)}"
    if pd.isna(high):
        return f"at least {fmt(low)}"
    return f"{fmt(low)} to {fmt(high)}"


def binding_sentences(constraints: pd.DataFrame, names: dict[str, str] | None = None
                      ) -> list[str]:
    """The binding hard limits that cost something, dearest first; the others counted."""
    hard = constraints[constraints["kind"].isin(HARD) & constraints["binding"].astype(bool)]
    priced = hard[hard["shadow_price"].abs() > 1e-12]
    priced = priced.reindex(priced["shadow_price"].abs().sort_values(
        ascending=False, kind="stable").index)
    out = []
    for name, row in priced.iterrows():
        unit = f" {row['unit']}" if "unit" in row and isinstance(row["unit"], str) and row[
            "unit"] else ""
        price = float(row["shadow_price"])
        effect = "lower" if price < 0 else "raise"
        owner = _name(row["owner"], names or {})
        kind = KIND_WORDS.get(row["kind"], row["kind"])
        sense = SENSE_WORDS.get(row["sense"], row["sense"])
        out.append(f"The binding limit \u201c{row['label']}\u201d ({owner}'s {kind}, {sense} "
                   f"{fmt(row['rhs'])}{unit}; {name}) costs {fmt(abs(price))} per unit: one "
                   f"more would {effect} the objective by that much.")
    free = len(hard) - len(priced)
    if not len(hard):
        out.append("No hard limit binds: every one holds with room to spare.")
    elif free:
        out.append(f"{free} {'other ' if len(priced) else ''}hard limit"
                   f"{'s hold' if free != 1 else ' holds'} with equality at no cost.")
    if len(constraints) and constraints["shadow_price"].isna().all():
        out.append("No shadow prices (solved as a MILP, or the solver gives none).")
    return out


# (figure, column before, column after) of a state's row and of an area's row: each level has
# columns of its own in allocation.csv (docs/outputs.md)
_STATE_FIGURES = (("national ceiling", "national_ceiling_before", "national_ceiling"),
                  ("territorial ceiling", "territorial_ceiling_before", "territorial_ceiling"),
                  ("holdings", "holdings_before", "holdings_after"))
_AREA_FIGURES = (("territorial sub-ceiling", "territorial_subceiling_before",
                  "territorial_subceiling"),
                 ("active-unit sub-ceiling", "active_subceiling_before", "active_subceiling"))
_STATE_DEPLOYMENTS = (("temporary deployment", "temporary_deployment"),
                      ("exceptional temporary deployment", "temporary_deployment_exceptional"))
_AREA_DEPLOYMENTS = (("temporary deployment", "temporary_deployment_in_area"),
                     ("exceptional temporary deployment",
                      "temporary_deployment_exceptional_in_area"))


def changed_figures(allocation: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Each ceiling or holding that the package sets differently from before, one row each."""
    rows = []
    for (party, area, category), row in allocation.iterrows():
        figures = _STATE_FIGURES if area == "total" else _AREA_FIGURES
        for what, before_column, after_column in figures:
            before, after = row.get(before_column), row.get(after_column)
            if pd.isna(after):
                continue
            if pd.isna(before) or abs(float(after) - float(before)) > TOL:
                rows.append({"party": party, "area": area, "category": category,
                             "figure": what, "before": before, "after": after,
                             "change": (float(after) - float(before)) if not pd.isna(before)
                             else math.nan})
        for what, column in (_STATE_DEPLOYMENTS if area == "total" else _AREA_DEPLOYMENTS):
            deployed = row.get(column)
            if not pd.isna(deployed) and float(deployed) > TOL:
                rows.append({"party": party, "area": area, "category": category,
                             "figure": what, "before": math.nan, "after": deployed,
                             "change": math.nan})
    frame = pd.DataFrame(rows, columns=["party", "area", "category", "figure", "before", "after",
                                        "change"])
    return frame.set_index(["party", "area", "category", "figure"])


def _sections(positions: pd.DataFrame, changes: pd.DataFrame, constraints: pd.DataFrame,
              allocation: pd.DataFrame, equipment: pd.DataFrame) -> list[Section]:
    from cfe_opt.plots.package import plot_binding_prices, plot_package

    shown = positions[[c for c in POSITION_SHOWN if c in positions.columns]]
    package = Section(
        "Who concedes what",
        ["Each position's outcome: its target, what the package gives, and the deviation in "
         "the position's own units and normalised (over its scale; 1 is the edge of its "
         "acceptable range where it states one)."],
        tables=[Table("positions", "Positions", shown)],
        figures=[Figure("package.png", "Who concedes what: each position's normalised "
                        "deviation", figure_png(plot_package(positions).figure))])
    moved = Section(
        "What changes",
        ["Every national or territorial figure the package sets differently from today, and "
         "each temporary deployment it uses." if len(changes) else
         "The package changes no national or territorial figure."],
        tables=[Table("changes", "Figures that change", changes)] if len(changes) else [])
    hard = constraints[constraints["kind"].isin(HARD) & constraints["binding"].astype(bool)]
    columns = [c for c in ("owner", "kind", "label", "sense", "rhs", "unit", "shadow_price")
               if c in hard.columns]
    binding = Section(
        "What binds, and what it costs",
        ["The hard limits that hold with equality, with their shadow price: the change in the "
         "objective per unit more of the limit's number."],
        tables=[Table("binding", "Binding hard limits", hard[columns])] if len(hard) else [])
    if len(hard) and (hard["shadow_price"].abs() > 1e-12).any():
        binding.figures.append(Figure("binding.png", "What the binding limits cost",
                                      figure_png(plot_binding_prices(constraints).figure)))
    tables = Section("The result tables", [
        "The tables of the result folder as written (allocation.csv, equipment.csv, "
        "constraints.csv)."], tables=[
        Table("allocation", "allocation.csv", allocation),
        Table("equipment", "equipment.csv", equipment),
        Table("constraints", "constraints.csv", constraints)])
    return [package, moved, binding, tables]


def concession_lines(concession: pd.DataFrame, names: dict[str, str]) -> list[str]:
    out = []
    for name, row in concession.iterrows():
        out.append(f"The smallest concession that would allow one: "
                   f"{_name(row['owner'], names)}'s "
                   f"{KIND_WORDS.get(row['kind'], row['kind'])} \u201c{row['label']}\u201d "
                   f"({name}) moves from {SENSE_WORDS.get(row['sense'], row['sense'])} "
                   f"{fmt(row['rhs'])} to "
                   f"{fmt(row['relaxed_rhs'])}.")
    return out


def party_names(record: dict[str, Any], case: str | None = None) -> tuple[dict[str, str], str]:
    """Party names from the scenario the record names, if it is still there unchanged: the
    ``case`` of its file when the result is one case's (the record's sha256 is then the case's;
    a command given ``--case`` records it among its parameters)."""
    from cfe_opt.errors import CfeOptError

    scenario = record.get("scenario") or {}
    file = scenario.get("file")
    if not file:
        return {}, "codes (the record names no scenario file)"
    path = Path(file)
    if not path.is_absolute():
        path = Path(str(record.get("working_folder", "."))) / path
    if not path.is_file():
        return {}, f"codes ({file} is not there to give names)"
    try:
        from cfe_opt.scenario import load_scenario

        case = case or (record.get("parameters") or {}).get("case")
        loaded = load_scenario(path, case=case)
    except CfeOptError:
        return {}, f"codes ({file} no longer loads)"
    if loaded.sha256 != scenario.get("sha256"):
        return {}, f"codes ({file} has changed since the run)"
    names = {}
    for code, party in loaded.spec.parties.items():
        name = party.name or code
        if name.endswith(")") and " (" in name:
            name = name[: name.rindex(" (")]
        names[code] = name
    where = f"{file}, case {case}" if case else str(file)
    return names, f"from {where} (the same sha256 as the run)"


def provenance(result: ResultSet, summary: dict[str, Any] | None, names_note: str
               ) -> list[tuple[str, str]]:
    record = result.record
    scenario = record.get("scenario") or {}
    rows = [("Command", "cfe-opt " + shlex.join(str(a) for a in record.get("argv", []))),
            ("Working folder", str(record.get("working_folder", ""))),
            ("Written", str(record.get("written", ""))),
            ("Result folder", str(result.folder)),
            ("run.json sha256", result.record_sha256)]
    if scenario:
        rows.append(("Scenario", f"{scenario.get('name', '')} ({scenario.get('file', '')})"))
        rows.append(("Scenario sha256 (merged)", str(scenario.get("sha256", ""))))
        for name, digest in (scenario.get("file_sha256") or {}).items():
            rows.append((f"File sha256: {name}", str(digest)))
    if summary is not None:
        rows.append(("Objective mode", str(summary.get("objective_mode", ""))))
        rows.append(("Solver", str(summary.get("solver_version", ""))))
        check = summary.get("check") or {}
        if check:
            rows.append(("Independent check", "passed" if check.get("ok") else "failed"))
    parameters = record.get("parameters") or {}
    if parameters:
        rows.append(("Parameters", ", ".join(f"{k}={v}" for k, v in sorted(parameters.items()))))
    for name, value in (record.get("versions") or {}).items():
        rows.append((f"Version: {name}", str(value)))
    rows.append(("Party names", names_note))
    for name, meta in sorted((record.get("files") or {}).items()):
        rows.append((f"sha256: {name}", str(meta.get("sha256", ""))))
    return rows
