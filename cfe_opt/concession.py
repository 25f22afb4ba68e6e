"""The smallest concession: which hard limits must move, and by how much, to allow a package.

The elastic form of the model gives every treaty rule, commitment and red line a non-negative
violation E (columns kept at 0 until a concession is sought); minimising Σ w_owner · E finds
the cheapest set of moves (in units of the limits' own right-hand sides, weighted per owner)
that restores feasibility.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.results import clean, row_units
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus

MOVE_TOL = 1e-6
COLUMNS = ["name", "owner", "kind", "family", "label", "sense", "rhs", "relaxed_rhs",
           "change", "unit", "field"]


def elastic_columns(model: Model) -> dict[str, list[tuple[int, int]]]:
    """The violation columns of every hard limit, added once: ``lhs − E⁺ ≤ b``,
    ``lhs + E⁻ ≥ b``, ``lhs + E⁻ − E⁺ = b`` with E ≥ 0 (kept at 0 while not in use)."""
    if not model.elastic_cols:
        signs = {"<=": (-1,), ">=": (1,), "==": (1, -1)}
        for row in model.row_list:
            if row.info.kind not in HARD_KINDS:
                continue
            pairs = []
            for sign in signs[row.sense]:
                key = ("down" if sign > 0 else "up", row.name)
                model.add_variables("violation", [key], up={key: 0.0}, integer=False)
                col = model.col(("violation", *key))
                model.add_entry(row.index, col, float(sign))
                pairs.append((col, sign))
            model.elastic_cols[row.name] = pairs
    return model.elastic_cols


def elastic_solve(compiled: CompiledModel, kept: set[str] | None = None,
                  weights: dict[str, float] | None = None,
                  unique: bool = False) -> tuple[SolveStatus, float | None]:
    """min Σ w·E over the hard limits in ``kept`` (all if None) with their violations free and
    every other limit's violation free at no cost; the violations are at 0 again afterwards.
    With ``unique``, among the cheapest concessions the one minimising Σ g·E (g a fixed weight
    per violation from its name, ``generic_weight``): equally cheap moves (Russia's floor or
    Turkey's cap by the same amount) are settled by the scenario alone, not by where the
    solver started. Leaves the solution in ``compiled`` for ``smallest_concession``."""
    from cfe_opt.model.linear import Lin
    from cfe_opt.objectives import generic_weight

    model = compiled.model
    columns = elastic_columns(model)
    weights = weights or {}
    cost = np.zeros(model.num_cols)
    for name, pairs in columns.items():
        w = float(weights.get(model.rows[name].info.owner, 1.0))
        for col, _sign in pairs:
            model.set_col_bounds(col, 0.0, math.inf)
            if kept is None or name in kept:
                cost[col] = w
    try:
        status = compiled.engine.solve(cost)
        value = float(cost @ compiled.engine.x) if status is SolveStatus.OPTIMAL else None
        if unique and value is not None:
            terms = {j: float(cost[j]) for j in np.flatnonzero(cost)}
            compiled.set_limit(("concession",), Lin(terms), "<=",
                               value + 1e-12 * max(1.0, abs(value)), "hold the cheapest")
            generic = np.zeros(model.num_cols)
            for pairs in columns.values():
                for col, _sign in pairs:
                    generic[col] = generic_weight(model.col_names[col])
            if compiled.engine.solve(generic) is not SolveStatus.OPTIMAL:
                compiled.free_limit(("concession",))  # keep the first answer
                status = compiled.engine.solve(cost)
            compiled.free_limit(("concession",))
    finally:
        for pairs in columns.values():
            for col, _sign in pairs:
                model.set_col_bounds(col, 0.0, 0.0)
    return status, value


def smallest_concession(scenario: Scenario | CompiledModel,
                        weights: dict[str, float] | None = None,
                        solver_name: SolverName = "highs") -> pd.DataFrame:
    """One row per hard limit that must move: its owner, kind, sense, number and new number."""
    compiled = scenario if isinstance(scenario, CompiledModel) else CompiledModel(
        scenario, solver=solver_name)
    status, _ = elastic_solve(compiled, weights=weights, unique=True)
    if status is not SolveStatus.OPTIMAL:
        return pd.DataFrame(columns=COLUMNS).set_index("name")
    return _moves(compiled)


def _moves(compiled: CompiledModel) -> pd.DataFrame:
    """Every hard limit the last elastic solve moved: its number and the new number."""
    model, x = compiled.model, compiled.engine.x
    units = row_units(model)
    rows = []
    for name, pairs in model.elastic_cols.items():
        # lhs + sign·E (sense) b  ⟺  lhs (sense) b − sign·E: the number moves by −sign·E
        change = -sum(sign * float(x[col]) for col, sign in pairs)
        if abs(change) <= MOVE_TOL:
            continue
        row = model.rows[name]
        rows.append({"name": name, "owner": row.info.owner, "kind": row.info.kind,
                     "family": row.info.family, "label": row.info.label, "sense": row.sense,
                     "rhs": row.rhs, "relaxed_rhs": clean(row.rhs + change),
                     "change": clean(change), "unit": units[row.index],
                     "field": row.info.field})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["change", "name"], key=lambda s: s.abs() if s.name == "change"
                              else s, ascending=[False, True]) if len(frame) else frame
    return frame.set_index("name")


def fair_concession(scenario: Scenario | CompiledModel,
                    weights: dict[str, float] | None = None,
                    solver_name: SolverName = "highs") -> pd.DataFrame:
    """A concession split fairly: min Z with Σ_{limits of p} w_p·E ≤ Z for every owner p (no
    owner moves its numbers by more than Z, in the units of its limits' own numbers), then, Z
    held, the cheapest such (min Σ w·E), then the same fixed choice among equals as
    ``smallest_concession``. Same table as ``smallest_concession``; ``attrs["level"]`` is Z.

    The flank deadlock (Russia's floor 2,000 against Turkey's and Norway's caps of 1,380): the
    cheapest concession moves Russia's floor by 620; the fair split moves each of the three by
    310, to 1,690."""
    from cfe_opt.model.linear import Lin

    compiled = scenario if isinstance(scenario, CompiledModel) else CompiledModel(
        scenario, solver=solver_name)
    model = compiled.model
    columns = elastic_columns(model)
    weights = weights or {}
    by_owner: dict[str, dict[int, float]] = {}
    for name, pairs in columns.items():
        owner = model.rows[name].info.owner
        w = float(weights.get(owner, 1.0))
        for col, _sign in pairs:
            by_owner.setdefault(owner, {})[col] = w
    if not model.has_var(("stage_level", "fair_concession")):
        model.add_variables("stage_level", [("fair_concession",)], integer=False)
    level = model.col(("stage_level", "fair_concession"))
    tags = [("fair_concession", owner) for owner in by_owner]
    for tag, (owner, terms) in zip(tags, by_owner.items(), strict=True):
        compiled.set_limit(tag, Lin({**terms, level: -1.0}), "<=", 0.0,
                           f"{owner}'s moves within the fair level")
    for pairs in columns.values():
        for col, _sign in pairs:
            model.set_col_bounds(col, 0.0, math.inf)
    try:
        status = compiled.engine.solve(_unit(model.num_cols, level))
        if status is not SolveStatus.OPTIMAL:
            return pd.DataFrame(columns=COLUMNS).set_index("name")
        z = float(compiled.engine.x[level])
        compiled.set_limit(("fair_concession", "level"), Lin({level: 1.0}), "<=",
                           z + 1e-9 * max(1.0, z), "hold the fair level")
        status, _ = elastic_solve(compiled, weights=weights, unique=True)
        if status is not SolveStatus.OPTIMAL:
            return pd.DataFrame(columns=COLUMNS).set_index("name")
        frame = _moves(compiled)
    finally:
        for tag in [*tags, ("fair_concession", "level")]:
            compiled.free_limit(tag)
        for pairs in columns.values():
            for col, _sign in pairs:
                model.set_col_bounds(col, 0.0, 0.0)
    frame.attrs["level"] = clean(z)
    return frame


def _unit(size: int, col: int) -> np.ndarray:
    cost = np.zeros(size)
    cost[col] = 1.0
    return cost


def describe(frame: pd.DataFrame) -> list[str]:
    """Each move in negotiators' terms: "RUS red line 'x' [RUS, acv]: ≤ 1,380 → 1,740"."""
    out = []
    for name, row in frame.iterrows():
        who = {"red_line": f"{row.owner} red line", "commitment": f"{row.owner} commitment",
               "treaty_rule": f"rule of {row.owner}"}.get(row.kind, row.owner)
        rhs, new = row.rhs, row.relaxed_rhs
        units = (" (in cut-share units: the rule itself would have to give way)"
                 if row.family in ("reciprocity", "equal_treatment") else "")
        unit = str(row.get("unit", "") or "")
        out.append(f"{who} {row.label!r} ({name}): {row.sense} {_fmt(rhs)} → {_fmt(new)}"
                   f"{' ' + unit if unit and not units else ''}{units}")
    return out


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
