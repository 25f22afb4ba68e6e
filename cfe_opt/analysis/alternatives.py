"""Options rather than one answer: near-optimal alternative packages (modelling to generate
alternatives, MGA), each one a mediator could put on the table.

A mediator gets up to k packages, each meeting every hard limit and within a given share of the
optimal total deviation, that differ from each other in what the parties care about, and none
of which is worse for one party and better for none than another (dominated).

**Near-optimal region.** z* is the optimum of the objective's defining stage (``weighted``: the
weighted sum of normalised deviations Σ_n w_n (U_n/s⁻_n + V_n/s⁺_n); ``minimax``: the level Z,
the largest weighted normalised deviation). The region is every package with

    objective ≤ (1 + share)·z* + floor

where ``floor`` (default 10⁻⁹·max(1, |z*|)) is an absolute allowance for the solver's
accuracy, not a modelling slack.

**What the packages differ in: the positions' quantities.** The space packages are spread in is
the quantities the parties' positions name, F_q (Russia's flank ACVs, Poland's territorial
ceiling for tanks, …; positions on the same quantity — Turkey's and Norway's caps on Russia's
flank ACVs — share one), never a ceiling or deployment no position names (nobody has said what
it should be, so a package that moves it offers no one anything). Each quantity's range
[lo_q, hi_q] over the region is found first (two LPs); one that cannot move, or can rise without
limit inside the region, is left out. Each is scaled by its room, s_q = hi_q − lo_q, so moving a
quantity across its whole near-optimal range counts 1; the distance of two packages is
Σ_q |F_q − F'_q|/s_q.

**Generating packages.** Package 0 is the optimum as ``cfe_opt.api.solve`` gives it (the
objective's stages, then the status-quo tie-break). Each later package comes from a direction:
maximise Σ_q σ_q F_q/s_q over the region, σ_q = ±1 pointing away from a reference (the
centroid of the earlier packages, then each earlier package) to the side with more room (ties
upwards), giving outcomes D_p(y) (each party's weighted normalised deviation, from the achieved
values). Then, holding D_p ≤ D_p(y) for every party:

1. min Σ_p D_p: no party can be made better off without another being worse (for ``weighted``
   this makes the package Pareto-optimal among all packages; for ``minimax``, among those in the
   region), so it is not dominated;
2. min Σ_q |F_q − F⁰_q|/s_q (F⁰: package 0): of the packages giving every party that much, the
   one closest to the optimum — a move nobody feels is undone;
3. the status-quo tie-break for everything else.

The candidate (one per reference) farthest from its nearest earlier package is taken. The search
stops early (``summary.attrs["stopped"]`` says why) when no candidate lies at least
``min_distance`` from every earlier package, or every candidate gives each party exactly what an
earlier package gives (it differs in nothing a party cares about), so fewer than k packages may
come back. A package another one dominates (a safeguard: by construction none is) is left out and
named in ``attrs["dominated"]``. No randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from cfe_opt.analysis.core import add_limit, parties_with_positions, party_deviation
from cfe_opt.analysis.stages import Goal, optimise_in_turn, package_slice, solve_for
from cfe_opt.errors import CfeOptError, SolverError
from cfe_opt.model.core import Model
from cfe_opt.model.linear import Lin, lin_sum
from cfe_opt.objectives import minimax_level, weighted_sum
from cfe_opt.results import (
    allocation_table,
    clean,
    equipment_table,
    party_deviations,
    positions_table,
)
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.quantities import status_quo_value
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus
from cfe_opt.text import figure_context, form_categories, unit_of

AlternativeObjective = Literal["weighted", "minimax"]
FLOOR = 1e-9  # default floor: this × max(1, |z*|), an allowance for the solver's accuracy
RANGE_TOL = 1e-6  # a quantity whose room is narrower than this × max(1, |F|) cannot move
UNBOUNDED_CAP = 1e9  # a quantity that can reach this inside the region is unbounded
KEEP_TOLS = (1e-10, 1e-8, 1e-6)  # slack on D_p ≤ D_p(y) (× max(1, D_p)), loosened if needed
SAME_TOL = 1e-6  # two outcomes closer than this (× max(1, |D|)) are the same for the party


@dataclass
class Alternatives:
    """Near-optimal packages (package 0 is the optimum).

    * ``summary``: package → ``objective`` (weighted total deviation, or the largest weighted
      deviation for ``minimax``), ``distance`` (scaled L1 distance in the positions' quantities
      to the nearest earlier package; NaN for package 0), then one column per party: its
      deviation D_p.
    * ``positions``: (package, party, position) → target, achieved, deviation (in the
      position's unit), normalised and weighted deviation — who gives what, in each package.
    * ``allocation``: (package, party, area, category) as in ``allocation_table``.
    * ``equipment``: (package, owner, party, area, category, status) as in ``equipment_table``.
    * ``quantities``: quantity → the positions on it, unit, status quo, the range over the
      near-optimal region, scale, whether it is in the space, its value in each package
      (columns 0, 1, …).
    """

    summary: pd.DataFrame
    positions: pd.DataFrame
    allocation: pd.DataFrame
    equipment: pd.DataFrame
    quantities: pd.DataFrame

    def package(self, number: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(allocation, equipment) of one package: the tables the checker reads."""
        return (package_slice(self.allocation, "package", number),
                package_slice(self.equipment, "package", number))


@dataclass(frozen=True)
class _Quantity:
    """One quantity positions name: its expression, the positions on it, its unit."""

    label: str  # PARTY.position of the first position on it
    positions: tuple[str, ...]
    expr: Lin
    unit: str
    status_quo: float | None


@dataclass
class _Package:
    values: dict[str, float]  # quantity label → value
    outcomes: dict[str, float]  # party → D_p
    allocation: pd.DataFrame
    equipment: pd.DataFrame
    positions: pd.DataFrame
    distance: float


def near_optimal_alternatives(scenario: Scenario, k: int = 4, share: float = 0.1,
                              objective: AlternativeObjective = "weighted",
                              solver: SolverName = "highs", floor: float | None = None,
                              min_distance: float = 1e-3) -> Alternatives:
    """Up to ``k`` workable packages within ``share`` of the optimum that differ as much as
    possible in the positions' quantities, none dominated (see the module docstring)."""
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
    quantities = _quantities(scenario, model)
    parties = parties_with_positions(model)
    first = _package(cm, quantities, parties, math.nan)

    _region(cm, objective, limit)
    ranges = {q.label: _range(cm, q) for q in quantities}
    space = [q for q in quantities if math.isfinite(ranges[q.label][1])
             and _width(ranges[q.label]) > RANGE_TOL * max(1.0, abs(first.values[q.label]))]
    scale = {q.label: _width(ranges[q.label]) or 1.0 for q in quantities}
    closeness = _closeness(cm, space, first, scale)

    packages = [first]
    stopped: str | None = None
    favours: dict[str, _Package | None] = {}  # the best package for each party (computed once)
    try:
        while len(packages) < k:
            if not space:
                stopped = "no quantity a position names can move within the share"
                break
            candidates: list[_Package | None] = []
            for reference in _references(packages, space):
                direction = {q.label: 1 if ranges[q.label][1] - reference[q.label]
                             >= reference[q.label] - ranges[q.label][0]
                             - RANGE_TOL * scale[q.label] else -1 for q in space}
                candidates.append(_candidate(cm, Goal("direction", _direction(
                    space, direction, scale), maximise=True), quantities, parties, closeness))
            for party in parties:
                if party not in favours:
                    favours[party] = _candidate(cm, Goal(f"best_for_{party}", party_deviation(
                        model, [party])), quantities, parties, closeness)
                candidates.append(favours[party])
            best: _Package | None = None
            best_gap = -1.0
            for candidate in candidates:
                if candidate is None or any(_same(candidate.outcomes, p.outcomes)
                                            for p in packages):
                    continue
                gap = min(_distance(candidate.values, p.values, space, scale)
                          for p in packages)
                if gap > best_gap + 1e-12:
                    best, best_gap = candidate, gap
            if best is None:
                stopped = ("every further package gives each party exactly what an earlier "
                           "one gives (it differs in nothing a party cares about)")
                break
            if best_gap < min_distance:
                stopped = (f"no further package at least {min_distance:g} (scaled) from every "
                           "earlier one")
                break
            packages.append(_Package(**{**best.__dict__, "distance": best_gap}))
    finally:
        cm.free_limit(("near_optimal",))
        for q in space:
            cm.free_limit(("alternatives", "near", q.label))

    dominated = [i for i, p in enumerate(packages)
                 if any(_dominates(o.outcomes, p.outcomes) for o in packages if o is not p)]
    kept = [p for i, p in enumerate(packages) if i not in dominated]
    return _assemble(scenario, objective, kept, quantities, space, scale, ranges, parties, {
        "objective": objective, "share": float(share), "floor": float(floor),
        "optimum": clean(optimum), "limit": float(limit), "requested": int(k),
        "returned": len(kept), "stopped": stopped, "min_distance": float(min_distance),
        "decision_space": [q.label for q in space],
        "unbounded": [q.label for q in quantities if not math.isfinite(ranges[q.label][1])],
        "dominated": dominated,
    })


def _quantities(scenario: Scenario, model: Model) -> list[_Quantity]:
    """The distinct quantities the positions name (positions on the same one share it)."""
    found: dict[tuple, list[str]] = {}
    forms: dict[tuple, Any] = {}
    for t in model.positions:
        terms = tuple(sorted((col, model.number(c)) for col, c in t.columns
                             if model.number(c) != 0))
        if not terms:
            continue
        found.setdefault(terms, []).append(f"{t.party}.{t.name}")
        forms.setdefault(terms, t.form)
    out = []
    for terms, names in found.items():
        form = forms[terms]
        before = status_quo_value(scenario.index, form)
        out.append(_Quantity(label=names[0], positions=tuple(names), expr=Lin(dict(terms)),
                             unit=unit_of(form_categories(form)),
                             status_quo=None if before is None else float(before)))
    return out


def _region(cm: CompiledModel, objective: AlternativeObjective, limit: float) -> None:
    """objective ≤ (1 + share)·z* + floor, on the compiled model."""
    model = cm.model
    expr = weighted_sum(model) if objective == "weighted" else minimax_level(model)
    add_limit(cm, ("near_optimal",), expr, "<=", limit,
              f"{objective} objective within the share of its optimum")


def _range(cm: CompiledModel, quantity: _Quantity) -> tuple[float, float]:
    """(lowest, highest) value of a quantity over the region; highest = inf if unbounded.

    The highest is sought with the quantity capped at ``UNBOUNDED_CAP`` (counts in a scenario
    are at most 10⁷), and one reaching the cap counts as unbounded: no solver is asked to
    report an unbounded LP (CBC through PuLP fails on one)."""
    out = []
    tag = ("alternatives", "cap")
    try:
        for maximise in (False, True):
            if maximise:
                add_limit(cm, tag, quantity.expr, "<=", UNBOUNDED_CAP, "cap while ranging")
            status, value = solve_for(cm, quantity.expr, maximise=maximise)
            if status is not SolveStatus.OPTIMAL:
                status, value = solve_for(cm, quantity.expr, maximise=maximise,
                                          presolve=False)
            if status is not SolveStatus.OPTIMAL or value is None:
                raise SolverError(f"{cm.scenario.display}: ranging {quantity.label} over the "
                                  f"near-optimal region ended {status.value} (a larger floor "
                                  f"may help)")
            out.append(float(value))
    finally:
        cm.free_limit(tag)
    high = math.inf if out[1] >= UNBOUNDED_CAP * (1 - 1e-9) else out[1]
    return out[0], high


def _width(bounds: tuple[float, float]) -> float:
    return bounds[1] - bounds[0] if math.isfinite(bounds[1]) else 0.0


def _closeness(cm: CompiledModel, space: list[_Quantity], first: _Package,
               scale: dict[str, float]) -> Lin:
    """Σ_q (P_q + N_q)/s_q with F_q − P_q + N_q = F⁰_q, P, N ≥ 0: the distance to package 0
    (its rows released when the search ends)."""
    model = cm.model
    terms: dict[int, float] = {}
    for q in space:
        keys = [("alternatives", side, q.label) for side in ("up", "down")]
        new = [key for key in keys if not model.has_var(("distance", *key))]
        if new:
            model.add_variables("distance", new, integer=False)
        up, down = (model.col(("distance", *key)) for key in keys)
        add_limit(cm, ("alternatives", "near", q.label), q.expr + Lin({up: -1.0, down: 1.0}),
                  "==", first.values[q.label], f"distance of {q.label} from package 0")
        terms[up] = terms[down] = 1.0 / scale[q.label]
    return Lin(terms)


def _references(packages: list[_Package], space: list[_Quantity]) -> list[dict[str, float]]:
    """The centroid of the earlier packages, then each earlier package, newest first."""
    labels = [q.label for q in space]
    centroid = {v: sum(p.values[v] for p in packages) / len(packages) for v in labels}
    return [centroid, *({v: p.values[v] for v in labels} for p in reversed(packages))]


def _direction(space: list[_Quantity], direction: dict[str, int],
               scale: dict[str, float]) -> Lin:
    """Σ_q σ_q F_q / s_q."""
    return lin_sum(q.expr * (direction[q.label] / scale[q.label]) for q in space)


def _candidate(cm: CompiledModel, goal: Goal, quantities: list[_Quantity],
               parties: list[str], closeness: Lin) -> _Package | None:
    """The package one goal (a direction in the quantities, or one party's own deviation)
    gives: as far as the region lets it go, then (every party kept at least that well off)
    Pareto-optimal, closest to package 0, tie-broken."""
    model = cm.model
    status, _ = solve_for(cm, goal.expr, maximise=goal.maximise)
    if status is not SolveStatus.OPTIMAL:
        return None
    outcomes = _outcomes(cm, parties)
    for tol in KEEP_TOLS:  # as tight as the solver's accuracy allows
        tags = []
        try:
            for p in parties:
                tags.append(("alternatives", "keep", p))
                add_limit(cm, tags[-1], party_deviation(model, [p]), "<=",
                          outcomes[p] + tol * max(1.0, abs(outcomes[p])),
                          f"{p} at least as well off as in the {goal.name} package")
            optimise_in_turn(cm, [Goal("pareto", party_deviation(model, parties)),
                                  Goal("closest", closeness)], tag="alternative")
            break
        except (CfeOptError, SolverError):
            continue
        finally:
            for tag in tags:
                cm.free_limit(tag)
    else:
        return None
    return _package(cm, quantities, parties, math.nan)


def _outcomes(cm: CompiledModel, parties: list[str]) -> dict[str, float]:
    """Each party's D_p at the current solution, from the achieved values."""
    by_party = party_deviations(positions_table(cm.model, cm.x))
    return {p: float(by_party.get(p, 0.0)) for p in parties}


def _distance(a: dict[str, float], b: dict[str, float], space: list[_Quantity],
              scale: dict[str, float]) -> float:
    """Σ_q |a_q − b_q| / s_q over the space."""
    return sum(abs(a[q.label] - b[q.label]) / scale[q.label] for q in space)


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(abs(a[p] - b[p]) <= SAME_TOL * max(1.0, abs(b[p])) for p in a)


def _dominates(a: dict[str, float], b: dict[str, float]) -> bool:
    """``a`` is no worse for any party and better for one (lower deviation is better)."""
    no_worse = all(a[p] <= b[p] + SAME_TOL * max(1.0, abs(b[p])) for p in a)
    better = any(a[p] < b[p] - SAME_TOL * max(1.0, abs(b[p])) for p in a)
    return no_worse and better


def _package(cm: CompiledModel, quantities: list[_Quantity], parties: list[str],
             distance: float) -> _Package:
    model, x = cm.model, cm.x
    positions = positions_table(model, x)
    by_party = party_deviations(positions)
    return _Package(values={q.label: cm.value(q.expr) for q in quantities},
                    outcomes={p: float(by_party.get(p, 0.0)) for p in parties},
                    allocation=allocation_table(model, x), equipment=equipment_table(model, x),
                    positions=positions, distance=distance)


def _assemble(scenario: Scenario, objective: AlternativeObjective, packages: list[_Package],
              quantities: list[_Quantity], space: list[_Quantity], scale: dict[str, float],
              ranges: dict[str, tuple[float, float]], parties: list[str],
              attrs: dict[str, Any]) -> Alternatives:
    rows = []
    for i, package in enumerate(packages):
        weighted = package.positions["weighted_deviation"]
        value = weighted.sum() if objective == "weighted" else weighted.max()
        rows.append({"package": i, "objective": clean(float(value) if len(weighted) else 0.0),
                     "distance": clean(package.distance),
                     **{p: clean(package.outcomes.get(p, 0.0)) for p in parties}})
    summary = pd.DataFrame(rows, columns=["package", "objective", "distance", *parties])
    summary = summary.set_index("package")
    summary.attrs.update(attrs)
    summary.attrs["parties"] = parties
    summary.attrs.update(figure_context(scenario))

    in_space = {q.label for q in space}
    quantity_rows = []
    for q in quantities:
        low, high = ranges[q.label]
        quantity_rows.append({
            "quantity": q.label, "positions": " ".join(q.positions), "unit": q.unit,
            "status_quo": math.nan if q.status_quo is None else clean(q.status_quo),
            "low": clean(low), "high": high if not math.isfinite(high) else clean(high),
            "scale": clean(scale[q.label]), "in_space": q.label in in_space,
            **{i: clean(p.values[q.label]) for i, p in enumerate(packages)}})
    table = pd.DataFrame(quantity_rows, columns=[
        "quantity", "positions", "unit", "status_quo", "low", "high", "scale", "in_space",
        *range(len(packages))]).set_index("quantity")
    table.attrs.update(summary.attrs)

    def stack(name: str) -> pd.DataFrame:
        frame = pd.concat({i: getattr(p, name) for i, p in enumerate(packages)},
                          names=["package"])
        frame.attrs.update(summary.attrs)
        return frame

    return Alternatives(summary=summary, positions=stack("positions"),
                        allocation=stack("allocation"), equipment=stack("equipment"),
                        quantities=table)
