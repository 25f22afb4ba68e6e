"""The smallest concession: which hard limits must move, and by how much, to allow a package.

An elastic copy of the model gives every treaty rule, commitment and red line a non-negative
violation E; minimising Σ w_owner · E finds the cheapest set of moves (in units of the limits'
own right-hand sides, weighted per owner) that restores feasibility.
"""

from __future__ import annotations

import math

import pandas as pd
import pulp

from cfe_opt.model.build import build_model
from cfe_opt.results import clean
from cfe_opt.scenario import Scenario
from cfe_opt.solve import SolverName, SolveStatus, make_solver, solve_once

MOVE_TOL = 1e-6


def smallest_concession(scenario: Scenario, weights: dict[str, float] | None = None,
                        solver_name: SolverName = "highs") -> pd.DataFrame:
    """One row per hard limit that must move: its owner, kind, sense, number and new number."""
    model = build_model(scenario, elastic=True)
    weights = weights or {}
    terms = []
    for name, pairs in model.elastic_vars.items():
        w = float(weights.get(model.rows[name].info.owner, 1.0))
        terms.extend(var * w for var, _ in pairs)
    model.problem.setObjective(pulp.lpSum(terms))
    status = solve_once(model, make_solver(solver_name, integer=False), solver_name)
    columns = ["name", "owner", "kind", "family", "label", "sense", "rhs", "relaxed_rhs",
               "change", "field"]
    if status is not SolveStatus.OPTIMAL:
        return pd.DataFrame(columns=columns).set_index("name")
    rows = []
    for name, pairs in model.elastic_vars.items():
        # lhs + sign·E (sense) b  ⟺  lhs (sense) b − sign·E: the number moves by −sign·E
        change = -sum(sign * (var.value() or 0.0) for var, sign in pairs)
        if abs(change) <= MOVE_TOL:
            continue
        row = model.rows[name]
        rows.append({"name": name, "owner": row.info.owner, "kind": row.info.kind,
                     "family": row.info.family, "label": row.info.label, "sense": row.sense,
                     "rhs": row.rhs, "relaxed_rhs": clean(row.rhs + change),
                     "change": clean(change), "field": row.info.field})
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values(["change", "name"], key=lambda s: s.abs() if s.name == "change"
                              else s, ascending=[False, True]) if len(frame) else frame
    return frame.set_index("name")


def describe(frame: pd.DataFrame) -> list[str]:
    """Each move in negotiators' terms: "RUS red line 'x' [RUS, acv]: ≤ 1,380 → 1,740"."""
    out = []
    for name, row in frame.iterrows():
        who = {"red_line": f"{row.owner} red line", "commitment": f"{row.owner} commitment",
               "treaty_rule": f"rule of {row.owner}"}.get(row.kind, row.owner)
        rhs, new = row.rhs, row.relaxed_rhs
        units = (" (in cut-share units: the rule itself would have to give way)"
                 if row.family in ("reciprocity", "equal_treatment") else "")
        out.append(f"{who} {row.label!r} ({name}): {row.sense} {_fmt(rhs)} → {_fmt(new)}"
                   f"{units}")
    return out


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
