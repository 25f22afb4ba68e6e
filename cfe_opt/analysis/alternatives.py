"""Options rather than one answer: near-optimal alternative packages (modelling to generate
alternatives, MGA).

A mediator gets up to k packages, each meeting every hard limit and within a given share of the
optimal total deviation, chosen to differ from each other as much as possible.

**Near-optimal region.** z* is the optimum of the objective's defining stage (``weighted``: the
weighted sum of normalised deviations Σ_n w_n (U_n/s⁻_n + V_n/s⁺_n); ``minimax``: the level Z,
the largest weighted normalised deviation). The region is every package with

    objective ≤ (1 + share)·z* + floor

where ``floor`` (default 10⁻⁹·max(1, |z*|)) is an absolute allowance for the solver's
accuracy, not a modelling slack. When z* = 0 the share allows nothing and the floor is all there
is: the region is then the packages that meet every position (to the floor), which may still be
many (pass a larger ``floor`` to admit packages that miss the positions a little).

**Decision space.** What differs between packages is measured on the figures a mediator
negotiates: national ceilings NC, territorial ceilings TC and sub-ceilings TSC, and temporary
deployments TD (the model's variable families). Each figure's range [lo_v, hi_v] over the
region is found first (two LPs per figure); a figure that can rise without limit inside the
region (no position or limit bounds it: nobody minds its value) or cannot move at all is left
out of the space. Each figure v is scaled by s_v = max(|v⁰|, |v*|, hi_v − lo_v, 1), with v⁰ its
status-quo value and v* its value in the optimal package: the size of the number, or the room it
has if that is larger (a temporary deployment's status quo is 0 and some ceilings have no
current figure, so the status quo alone would make a few units of those outweigh everything).
The distance of two packages is the scaled L1 distance Σ_v |x_v − y_v|/s_v.

**Generating packages.** Package 0 is the optimum as ``cfe_opt.api.solve`` gives it: the
objective's stages, then the status-quo tie-break (each optimum held, ``optimise_in_turn``).
Each later package maximises a linear distance Σ_v σ_v x_v/s_v over the region, σ_v = ±1
pointing away from a reference: the candidate references are the centroid of the earlier
packages and each earlier package itself, and σ_v points to the side of the reference with more
room (hi_v − ref_v against ref_v − lo_v; ties upwards). The candidate whose package is
farthest from its nearest earlier package is taken; its direction's optimum is held and the
status-quo tie-break settles the rest. The search stops early when no candidate lies at least
``min_distance`` from every earlier package, so fewer than k packages may come back
(``summary.attrs["stopped"]`` says why). No randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from cfe_opt.analysis.core import add_limit
from cfe_opt.analysis.stages import Goal, optimise_in_turn, package_slice, solve_for
from cfe_opt.errors import CfeOptError, SolverError
from cfe_opt.model.linear import Lin
from cfe_opt.objectives import minimax_level, weighted_sum
from cfe_opt.results import (
    TOTAL,
    allocation_table,
    clean,
    equipment_table,
    party_deviations,
    positions_table,
)
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.quantities import status_quo
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus

AlternativeObjective = Literal["weighted", "minimax"]
DECISION_FAMILIES = ("national_ceiling", "territorial_ceiling", "territorial_subceiling",
                     "active_subceiling", "temporary_deployment")
FLOOR = 1e-9  # default floor: this × max(1, |z*|), an allowance for the solver's accuracy
RANGE_TOL = 1e-6  # a figure whose range is narrower than this × its scale cannot move
UNBOUNDED_CAP = 1e9  # a figure that can reach this inside the region is unbounded


@dataclass
class Alternatives:
    """Near-optimal packages (package 0 is the optimum).

    * ``summary``: package → ``objective`` (weighted total deviation, or the largest weighted
      deviation for ``minimax``), ``distance`` (scaled L1 distance to the nearest earlier
      package; NaN for package 0), then one column per party: its deviation D_p.
    * ``positions``: (package, party, position) → target, achieved, deviation, normalised and
      weighted deviation — who gives what.
    * ``allocation``: (package, party, area, category) as in ``allocation_table``.
    * ``equipment``: (package, owner, party, area, category, status) as in ``equipment_table``.
    * ``figures``: (figure, party, area, category) → status quo, scale, the range over the
      near-optimal region, whether the figure is in the decision space, and its value in each
      package (columns 0, 1, …).
    """

    summary: pd.DataFrame
    positions: pd.DataFrame
    allocation: pd.DataFrame
    equipment: pd.DataFrame
    figures: pd.DataFrame

    def package(self, number: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(allocation, equipment) of one package: the tables the checker reads."""
        return (package_slice(self.allocation, "package", number),
                package_slice(self.equipment, "package", number))


@dataclass
class _Package:
    values: dict[tuple, float]  # decision figure → value
    allocation: pd.DataFrame
    equipment: pd.DataFrame
    positions: pd.DataFrame
    distance: float


def near_optimal_alternatives(scenario: Scenario, k: int = 4, share: float = 0.1,
                              objective: AlternativeObjective = "weighted",
                              solver: SolverName = "highs", floor: float | None = None,
                              min_distance: float = 1e-3) -> Alternatives:
    """Up to ``k`` packages within ``share`` of the optimum that differ as much as possible.

    Method (see the module docstring): the optimum z*, the near-optimal region
    objective ≤ (1 + share)·z* + floor, each negotiated figure's range over it, then packages
    that each maximise a linear scaled distance from the earlier ones (MGA), stopping early at
    a package within ``min_distance`` (scaled L1) of an earlier one.
    """
    if objective not in ("weighted", "minimax"):
        raise CfeOptError(f"alternatives: objective must be weighted or minimax, "
                          f"not '{objective}'")
    if k < 1:
        raise CfeOptError(f"alternatives: k must be at least 1, got {k}")
    if share < 0 or (floor is not None and floor < 0):
        raise CfeOptError("alternatives: share and floor must not be negative")

    cm = CompiledModel(scenario, solver=solver)
    model = cm.model
    # the objective's stages and the status-quo tie-break, as cfe_opt.solve.run has them
    goals = [Goal("weighted", weighted_sum(model))]
    if objective == "minimax":
        goals.insert(0, Goal("minimax", minimax_level(model)))
    optimum = optimise_in_turn(cm, goals)[0]
    if floor is None:
        floor = FLOOR * max(1.0, abs(optimum))
    limit = (1.0 + share) * optimum + floor
    keys = [(family, *key) for family in DECISION_FAMILIES
            for key in model.variables.get(family, {})]
    first = _package(cm, keys, math.nan)

    _region(cm, objective, limit)
    ranges = {key: _range(cm, key) for key in keys}
    scale = {key: max(abs(model.number(status_quo(model.index, key) or 0.0)),
                      abs(first.values[key]), _width(ranges[key]), 1.0) for key in keys}
    space = [key for key in keys if math.isfinite(ranges[key][1])
             and ranges[key][1] - ranges[key][0] > RANGE_TOL * scale[key]]

    packages = [first]
    stopped: str | None = None
    while len(packages) < k:
        if not space:
            stopped = "no negotiated figure can move within the share"
            break
        best: tuple[float, dict[tuple, int]] | None = None
        for reference in _references(packages, space):
            direction = {v: 1 if ranges[v][1] - reference[v] >= reference[v] - ranges[v][0]
                         - RANGE_TOL * scale[v] else -1 for v in space}
            status, _ = solve_for(cm, _direction(cm, direction, scale), maximise=True)
            if status is not SolveStatus.OPTIMAL:
                continue
            values = {v: _var_value(cm, v) for v in space}
            gap = min(_distance(values, p.values, space, scale) for p in packages)
            if best is None or gap > best[0] + 1e-12:
                best = (gap, direction)
        if best is None or best[0] < min_distance:
            stopped = (f"no further package at least {min_distance:g} (scaled L1) from "
                       f"every earlier one")
            break
        optimise_in_turn(cm, [Goal("alternative", _direction(cm, best[1], scale),
                                   maximise=True)])
        values = {v: _var_value(cm, v) for v in keys}
        gap = min(_distance(values, p.values, space, scale) for p in packages)
        if gap < min_distance:
            stopped = (f"no further package at least {min_distance:g} (scaled L1) from "
                       f"every earlier one")
            break
        packages.append(_package(cm, keys, gap))
    cm.free_limit(("near_optimal",))

    return _assemble(scenario, objective, packages, keys, space, scale, ranges, {
        "objective": objective, "share": float(share), "floor": float(floor),
        "optimum": clean(optimum), "limit": float(limit), "requested": int(k),
        "returned": len(packages), "stopped": stopped, "min_distance": float(min_distance),
        "decision_space": [_label(v) for v in space],
        "unbounded": [_label(v) for v in keys if not math.isfinite(ranges[v][1])],
    })


def _region(cm: CompiledModel, objective: AlternativeObjective, limit: float) -> None:
    """objective ≤ (1 + share)·z* + floor, on the compiled model."""
    model = cm.model
    expr = weighted_sum(model) if objective == "weighted" else minimax_level(model)
    add_limit(cm, ("near_optimal",), expr, "<=", limit,
              f"{objective} objective within the share of its optimum")


def _range(cm: CompiledModel, key: tuple) -> tuple[float, float]:
    """(lowest, highest) value of one figure over the model; highest = inf if unbounded.

    The highest is sought with the figure capped at ``UNBOUNDED_CAP`` (counts in a scenario are
    at most 10⁷), and a figure reaching the cap counts as unbounded: no solver is asked to
    report an unbounded LP (CBC through PuLP fails on one)."""
    model = cm.model
    col = model.col(key)
    low, up = model.col_lower[col], model.col_upper[col]
    out = []
    try:
        for maximise in (False, True):
            if maximise:
                model.set_col_bounds(col, low, min(up, UNBOUNDED_CAP))
            expr = Lin({col: 1.0})
            status, value = solve_for(cm, expr, maximise=maximise)
            if status is not SolveStatus.OPTIMAL:
                status, value = solve_for(cm, expr, maximise=maximise, presolve=False)
            if status is not SolveStatus.OPTIMAL or value is None:
                raise SolverError(f"{cm.scenario.display}: ranging {_label(key)} over the "
                                  f"near-optimal region ended {status.value} (a larger floor "
                                  f"may help)")
            out.append(float(value))
    finally:
        model.set_col_bounds(col, low, up)
    high = math.inf if out[1] >= UNBOUNDED_CAP * (1 - 1e-9) else out[1]
    return out[0], high


def _width(bounds: tuple[float, float]) -> float:
    return bounds[1] - bounds[0] if math.isfinite(bounds[1]) else 0.0


def _references(packages: list[_Package], space: list[tuple]) -> list[dict[tuple, float]]:
    """The centroid of the earlier packages, then each earlier package, newest first."""
    centroid = {v: sum(p.values[v] for p in packages) / len(packages) for v in space}
    return [centroid, *({v: p.values[v] for v in space} for p in reversed(packages))]


def _direction(cm: CompiledModel, direction: dict[tuple, int],
               scale: dict[tuple, float]) -> Lin:
    """Σ_v σ_v x_v / s_v."""
    return Lin({cm.model.col(v): sign / scale[v] for v, sign in direction.items()})


def _distance(a: dict[tuple, float], b: dict[tuple, float], space: list[tuple],
              scale: dict[tuple, float]) -> float:
    """Σ_v |a_v − b_v| / s_v over the decision space."""
    return sum(abs(a[v] - b[v]) / scale[v] for v in space)


def _var_value(cm: CompiledModel, key: tuple) -> float:
    return float(cm.x[cm.model.col(key)])


def _package(cm: CompiledModel, keys: list[tuple], distance: float) -> _Package:
    model, x = cm.model, cm.x
    return _Package(values={v: _var_value(cm, v) for v in keys},
                    allocation=allocation_table(model, x), equipment=equipment_table(model, x),
                    positions=positions_table(model, x), distance=distance)


def _label(key: tuple) -> str:
    return ".".join(str(part) for part in key)


def _figure_index(key: tuple) -> tuple[str, str, str, str]:
    family, party, *rest = key
    if family == "territorial_subceiling":
        return family, party, rest[0], rest[1]
    return family, party, TOTAL, rest[0]


def _assemble(scenario: Scenario, objective: AlternativeObjective, packages: list[_Package],
              keys: list[tuple], space: list[tuple], scale: dict[tuple, float],
              ranges: dict[tuple, tuple[float, float]], attrs: dict[str, Any]) -> Alternatives:
    parties: list[str] = list(party_deviations(packages[0].positions).index)
    rows = []
    for i, package in enumerate(packages):
        weighted = package.positions["weighted_deviation"]
        value = weighted.sum() if objective == "weighted" else weighted.max()
        by_party = party_deviations(package.positions)
        rows.append({"package": i, "objective": clean(float(value) if len(weighted) else 0.0),
                     "distance": clean(package.distance),
                     **{p: clean(float(by_party.get(p, 0.0))) for p in parties}})
    summary = pd.DataFrame(rows, columns=["package", "objective", "distance", *parties])
    summary = summary.set_index("package")
    summary.attrs.update(attrs)
    summary.attrs["parties"] = parties

    index = scenario.index
    figure_rows = []
    for key in keys:
        family, party, area, category = _figure_index(key)
        before = status_quo(index, key)
        figure_rows.append({
            "figure": family, "party": party, "area": area, "category": category,
            "status_quo": math.nan if before is None else float(before),
            "scale": scale[key], "low": clean(ranges[key][0]),
            "high": ranges[key][1] if not math.isfinite(ranges[key][1])
            else clean(ranges[key][1]),
            "in_space": key in space,
            **{i: clean(p.values[key]) for i, p in enumerate(packages)}})
    figures = pd.DataFrame(figure_rows, columns=[
        "figure", "party", "area", "category", "status_quo", "scale", "low", "high", "in_space",
        *range(len(packages))]).set_index(["figure", "party", "area", "category"])

    def stack(name: str) -> pd.DataFrame:
        return pd.concat({i: getattr(p, name) for i, p in enumerate(packages)},
                         names=["package"])

    return Alternatives(summary=summary, positions=stack("positions"),
                        allocation=stack("allocation"), equipment=stack("equipment"),
                        figures=figures)
