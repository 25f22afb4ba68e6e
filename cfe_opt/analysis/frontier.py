"""The Pareto frontier between two sides: how much one side must give up so the other gives up less.

A side is a set of parties (codes and/or group names). Its deviation D_S = Σ_{n of S} w_n
(U_n/s⁻_n + V_n/s⁺_n) is what it gives up, in one number (``party_deviation``); parties on
neither side do not enter (their positions are free), and every hard limit holds.

Method. (D_A, D_B) over the feasible packages is the image of a polytope under a linear map, so
its lower-left boundary — the Pareto frontier — is convex and piecewise linear, and every Pareto
point is *supported* (it minimises λ_A·D_A + λ_B·D_B for some λ > 0). The exact set of
breakpoints therefore comes from dichotomic (NISE, Aneja–Nair) search:

1. the two ends by lexicographic minimisation: min D_A, then, with D_A held, min D_B; and the
   reverse;
2. for two adjacent points p, q (p_A < q_A), minimise λ·D with λ normal to the segment
   (λ_A = p_B − q_B, λ_B = q_A − p_A), then — with that optimum held — min D_A, so the answer is
   a vertex of the frontier (one end of the optimal face), not a point inside an edge;
3. if that point is strictly below the segment it is a new breakpoint r: search (p, r) and
   (r, q) in turn; otherwise the segment pq is part of the frontier.

Every LP is solved on one compiled model of the scenario, warm; an optimum is kept for the next
stage exactly, on the optimal face, as in ``cfe_opt.solve`` (``lexicographic_minimum``), and
released when the run is done.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from cfe_opt.analysis.core import add_limit, optimise, party_deviation, party_terms
from cfe_opt.errors import CfeOptError, InfeasibleError, SolverError
from cfe_opt.model.core import Model
from cfe_opt.model.linear import Lin
from cfe_opt.objectives import (
    OBJECTIVE_MODES,
    status_quo_ceilings,
    status_quo_holdings,
    weighted_sum,
)
from cfe_opt.results import allocation_table, clean_ratio, positions_table
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus
from cfe_opt.solve.stages import Face, keep_to_optimal_face
from cfe_opt.text import figure_context

HOLD_LADDER = (1e-9, 1e-7, 1e-5)  # relative slack on a held optimum, loosened if needed
TOLERANCE = 1e-7  # a point must beat a segment by this much (× max(1, |coordinates|)) to count
MAX_POINTS = 2000  # a guard against a numerically looping search; real frontiers are far smaller

Objective = Callable[[Model], Lin]
Point = tuple[float, float]


# ---- lexicographic minimisation (shared with the ZOPA analysis) --------------------------------
@dataclass
class LexOutcome:
    """A lexicographic minimisation: the status, the stage it stopped at, the solved model."""

    status: SolveStatus
    stage: int  # index of the stage that was not optimal (or the last stage)
    compiled: CompiledModel  # its last solve is the outcome's package
    values: list[float] = field(default_factory=list)  # each stage's optimum

    @property
    def optimal(self) -> bool:
        return self.status is SolveStatus.OPTIMAL


def lexicographic_minimum(cm: CompiledModel, objectives: Sequence[Objective]) -> LexOutcome:
    """Minimise ``objectives[0]`` over the scenario's hard limits, then ``objectives[1]`` with the
    first optimum kept, and so on, on the compiled model as it stands.

    An optimum z* is kept as in ``cfe_opt.solve``: exactly, by restricting later stages to the
    stage's optimal face (for its optimal dual: every variable with a non-zero reduced cost fixed
    at its bound, every row with a non-zero dual made tight), and as the limit
    f ≤ z* + τ·max(1, |z*|), τ = 10⁻⁹. If the solver's accuracy makes a later stage infeasible,
    the run is repeated with the holds alone, loosened (τ = 10⁻⁷, 10⁻⁵). Faces and holds are
    released at the end; the last solution stays in ``cm``.

    Each objective is a function of the model (it builds its expression). The first stage that
    is not optimal ends the run: its status and index are returned.
    """
    exprs = [build(cm.model) for build in objectives]
    outcome: LexOutcome | None = None
    for rung, tau in enumerate(HOLD_LADDER):
        values: list[float] = []
        outcome = None
        faces: list[Face] = []
        holds: list[tuple] = []
        try:
            for i, expr in enumerate(exprs):
                status, value = optimise(cm, expr)
                if status is not SolveStatus.OPTIMAL or value is None:
                    outcome = LexOutcome(status, i, cm, values)
                    break
                values.append(value)
                if i < len(exprs) - 1:
                    if rung == 0:
                        faces.append(keep_to_optimal_face(cm.model, cm.engine))
                    holds.append(("lexicographic", "hold", i))
                    add_limit(cm, holds[-1], expr, "<=", value + tau * max(1.0, abs(value)),
                              f"hold stage {i}'s optimum")
        finally:
            for face in reversed(faces):
                face.release(cm.engine)
            for tag in holds:
                cm.free_limit(tag)
        if outcome is None:
            return LexOutcome(SolveStatus.OPTIMAL, len(exprs) - 1, cm, values)
        if outcome.stage == 0 or outcome.status is not SolveStatus.INFEASIBLE:
            return outcome
    assert outcome is not None
    return outcome


def not_optimal(scenario: Scenario, status: SolveStatus, what: str) -> CfeOptError:
    """The one-line error for an LP that did not solve: infeasible or a solver failure."""
    if status is SolveStatus.INFEASIBLE:
        return InfeasibleError(f"{scenario.display}: no package meets every hard limit, so there "
                               f"is no {what} (run cfe-opt diagnose)")
    return SolverError(f"{scenario.display}: {what}: the solver stopped with status "
                       f"{status.value}")


# ---- sides ------------------------------------------------------------------------------------
def side_parties(scenario: Scenario, side: Sequence[str] | str, name: str) -> tuple[str, ...]:
    """The parties of a side (codes and group names; a string may list them with + or ,)."""
    refs = _refs(side)
    label = side_label(side)
    if not refs:
        raise CfeOptError(f"{scenario.display}: {name} names no party")
    index = scenario.index
    for ref in refs:
        if ref not in index.parties and ref not in index.group_members:
            raise CfeOptError(f"{scenario.display}: {name} ({label}): '{ref}' is not a party or "
                              "group of the scenario")
    return index.parties_of(refs)


def side_label(side: Sequence[str] | str) -> str:
    """A side as written, joined with +: ``TUR+NOR``."""
    return "+".join(_refs(side))


def _refs(side: Sequence[str] | str) -> list[str]:
    if isinstance(side, str):
        side = side.replace(",", "+").split("+")
    return [ref.strip() for ref in side if ref.strip()]


def _sides(cm: CompiledModel, side_a: Sequence[str] | str, side_b: Sequence[str] | str
           ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    scenario, model = cm.scenario, cm.model
    out = []
    for side, name in ((side_a, "side A"), (side_b, "side B")):
        parties = side_parties(scenario, side, name)
        if not party_terms(model, parties):
            raise CfeOptError(f"{scenario.display}: {name} ({side_label(side)}) states no "
                              "position, so it has no deviation to trade")
        out.append(parties)
    return out[0], out[1]


def side_deviation(cm: CompiledModel, parties: Sequence[str]) -> float:
    """D_S at the model's current solution, from the achieved values (not the deviation
    variables): Σ w_n (max(0, T_n − F_n)/s⁻_n + max(0, F_n − T_n)/s⁺_n) over the side's
    positions, each side of a position counted only if its direction cares about it."""
    model = cm.model
    number = model.number
    total = 0.0
    for t in party_terms(model, parties):
        achieved = cm.value(model.expression(t.form)) if t.form else 0.0
        target = number(t.position.target)
        under = (max(0.0, target - achieved) / number(t.scale_under)
                 if t.under is not None else 0.0)
        over = max(0.0, achieved - target) / number(t.scale_over) if t.over is not None else 0.0
        total += number(t.weight) * (under + over)
    return total


# ---- the frontier -----------------------------------------------------------------------------
def frontier_package(scenario: Scenario, side_a: Sequence[str] | str,
                     side_b: Sequence[str] | str, weights: tuple[float, float],
                     solver: SolverName = "highs") -> CompiledModel:
    """The package at a vertex of the frontier, by lexicographic minimisation: min w_A·D_A +
    w_B·D_B, then (its optimum kept) min D_A; with w_B = 0, min D_A then D_B; with w_A = 0,
    min D_B then D_A; then the weighted deviation of every position and the status-quo
    tie-break settle the rest of the package. Weights are ≥ 0, not both 0. Returns the
    compiled model holding the package as its last solution (read it with
    ``cfe_opt.results.allocation_table(cm.model, cm.x)`` and the others)."""
    if min(weights) < 0 or max(weights) <= 0:
        raise CfeOptError(f"frontier package: weights {weights} must be ≥ 0 and not both 0")
    cm = CompiledModel(scenario, solver=solver)
    parties_a, parties_b = _sides(cm, side_a, side_b)
    return _vertex(cm, parties_a, parties_b, weights).compiled


def _vertex(cm: CompiledModel, parties_a: Sequence[str], parties_b: Sequence[str],
            weights: tuple[float, float]) -> LexOutcome:
    wa, wb = weights

    def dev_a(m: Model) -> Lin:
        return party_deviation(m, parties_a)

    def dev_b(m: Model) -> Lin:
        return party_deviation(m, parties_b)

    def mixed(m: Model) -> Lin:
        return party_deviation(m, parties_a) * wa + party_deviation(m, parties_b) * wb

    if wb == 0:
        stages: list[Objective] = [dev_a, dev_b]
    elif wa == 0:
        stages = [dev_b, dev_a]
    else:
        stages = [mixed, dev_a]
    # the rest of the package: every other position as well met as the trade-off allows, then
    # the status quo (so each breakpoint is one package, not whatever the solver ends on)
    stages += [weighted_sum, status_quo_holdings, status_quo_ceilings]
    outcome = lexicographic_minimum(cm, stages)
    if not outcome.optimal:
        raise not_optimal(cm.scenario, outcome.status, "Pareto frontier")
    return outcome


@dataclass
class Frontier:
    """The frontier's breakpoints and, for each, its package.

    ``points``: as ``pareto_frontier`` returns it; ``positions``: (point, party, position) →
    the positions table at each breakpoint's package (achieved values in the positions' own
    units); ``allocation``: (point, party, area, category) → its allocation table.
    """

    points: pd.DataFrame
    positions: pd.DataFrame
    allocation: pd.DataFrame


def pareto_frontier(scenario: Scenario, side_a: Sequence[str] | str,
                    side_b: Sequence[str] | str, solver: SolverName = "highs") -> pd.DataFrame:
    """The exact Pareto frontier of (D_A, D_B): every breakpoint, by dichotomic search.

    Method (see the module docstring): the two ends by lexicographic minimisation; then for
    each pair of adjacent points p, q the weighted sum with weights normal to pq
    (λ_A = p_B − q_B, λ_B = q_A − p_A), its optimum held and D_A minimised so the answer is a
    vertex; a point strictly below pq is a new breakpoint and both halves are searched again.
    Between consecutive breakpoints the frontier is the straight segment joining them.

    Returns a table indexed by ``point`` (0…n−1, by D_A ascending) with ``deviation_a`` and
    ``deviation_b`` (each side's weighted normalised deviation, from the achieved values,
    cleaned like the positions table's ratios: 9 significant digits);
    ``attrs``: ``side_a``, ``side_b`` (labels such as ``TUR+NOR``), ``parties_a``, ``parties_b``.
    One row when the two sides do not conflict. Raises ``CfeOptError`` for a side with no
    position and ``InfeasibleError`` when no package meets the hard limits. ``solve_frontier``
    gives each breakpoint's package too.
    """
    return solve_frontier(scenario, side_a, side_b, solver).points


def solve_frontier(scenario: Scenario, side_a: Sequence[str] | str,
                   side_b: Sequence[str] | str, solver: SolverName = "highs") -> Frontier:
    """The frontier (``pareto_frontier``) with each breakpoint's package."""
    cm = CompiledModel(scenario, solver=solver)
    parties_a, parties_b = _sides(cm, side_a, side_b)
    packages: list[tuple[Point, pd.DataFrame, pd.DataFrame]] = []

    def solve(weights: tuple[float, float]) -> Point:
        solved = _vertex(cm, parties_a, parties_b, weights).compiled
        point = side_deviation(solved, parties_a), side_deviation(solved, parties_b)
        packages.append((point, positions_table(solved.model, solved.x),
                         allocation_table(solved.model, solved.x)))
        return point

    left = solve((1.0, 0.0))  # min D_A, then min D_B
    right = solve((0.0, 1.0))  # min D_B, then min D_A
    points = [left]
    if not _same(left, right):
        points.append(right)
        pending = [(left, right)]
        while pending:
            p, q = pending.pop()
            la, lb = p[1] - q[1], q[0] - p[0]
            if la <= 0 or lb <= 0:  # p and q do not trade off (within the solver's accuracy)
                continue
            norm = math.hypot(la, lb)
            la, lb = la / norm, lb / norm
            r = solve((la, lb))
            gain = (la * p[0] + lb * p[1]) - (la * r[0] + lb * r[1])
            if gain > _tol(p, q, r) and p[0] + _tol(p, r) < r[0] < q[0] - _tol(q, r):
                points.append(r)
                if len(points) > MAX_POINTS:
                    raise SolverError(f"{scenario.display}: Pareto frontier: more than "
                                      f"{MAX_POINTS} breakpoints (numerical trouble?)")
                pending.extend([(r, q), (p, r)])
    points = _vertices(sorted(points))
    frame = pd.DataFrame({"deviation_a": [clean_ratio(p[0]) for p in points],
                          "deviation_b": [clean_ratio(p[1]) for p in points]},
                         index=pd.RangeIndex(len(points), name="point"))
    frame.attrs.update(side_a=side_label(side_a), side_b=side_label(side_b),
                       parties_a=list(parties_a), parties_b=list(parties_b),
                       **figure_context(scenario))
    chosen = [next(pack for pack in packages if _same(pack[0], point)) for point in points]
    positions = pd.concat({i: pack[1] for i, pack in enumerate(chosen)}, names=["point"])
    allocation = pd.concat({i: pack[2] for i, pack in enumerate(chosen)}, names=["point"])
    positions.attrs.update(frame.attrs)
    allocation.attrs.update(frame.attrs)
    return Frontier(points=frame, positions=positions, allocation=allocation)


def _tol(*points: Point) -> float:
    return TOLERANCE * max(1.0, *(abs(c) for p in points for c in p))


def _same(p: Point, q: Point) -> bool:
    return abs(p[0] - q[0]) <= _tol(p, q) and abs(p[1] - q[1]) <= _tol(p, q)


def _vertices(points: list[Point]) -> list[Point]:
    """Drop repeated points and points on the straight line through their neighbours (a
    safeguard: the search only adds vertices, up to the solver's accuracy)."""
    out: list[Point] = []
    for p in points:
        if out and _same(out[-1], p):
            continue
        out.append(p)
    changed = True
    while changed and len(out) > 2:
        changed = False
        for i in range(1, len(out) - 1):
            p, r, q = out[i - 1], out[i], out[i + 1]
            # distance of r from the line pq
            cross = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
            if abs(cross) / max(math.hypot(q[0] - p[0], q[1] - p[1]), 1e-300) <= _tol(p, q, r):
                del out[i]
                changed = True
                break
    return out


def mode_points(scenario: Scenario, side_a: Sequence[str] | str, side_b: Sequence[str] | str,
                solver: SolverName = "highs") -> pd.DataFrame:
    """Where each objective mode's answer puts the two sides: the scenario is solved with
    ``cfe_opt.api.solve`` under each mode (weighted, minimax, lexicographic, each with its
    status-quo tie-break) and each side's ``weighted_deviation`` is summed over its parties'
    positions. Indexed by ``objective``; columns ``deviation_a``, ``deviation_b``
    (``mode_packages`` gives each mode's package too)."""
    return mode_packages(scenario, side_a, side_b, solver)[0]


def mode_packages(scenario: Scenario, side_a: Sequence[str] | str,
                  side_b: Sequence[str] | str, solver: SolverName = "highs"
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``mode_points``, the positions table of each mode's package: (objective, party,
    position) → achieved in the positions' own units, …)."""
    from cfe_opt.api import solve  # the API sits above the analysis layer

    cm = CompiledModel(scenario, solver=solver)
    parties_a, parties_b = _sides(cm, side_a, side_b)
    rows = []
    tables = {}
    for mode in OBJECTIVE_MODES:
        result = solve(cm, objective=mode)
        if not result.optimal or result.positions is None:
            raise not_optimal(scenario, result.status, f"{mode} answer")
        tables[mode] = result.positions
        table = result.positions["weighted_deviation"]
        parties = table.index.get_level_values("party")
        rows.append({"objective": mode,
                     "deviation_a": clean_ratio(float(table[parties.isin(parties_a)].sum())),
                     "deviation_b": clean_ratio(float(table[parties.isin(parties_b)].sum()))})
    frame = pd.DataFrame(rows, columns=["objective", "deviation_a", "deviation_b"])
    frame = frame.set_index("objective")
    frame.attrs.update(side_a=side_label(side_a), side_b=side_label(side_b),
                       parties_a=list(parties_a), parties_b=list(parties_b),
                       **figure_context(scenario))
    positions = pd.concat(tables, names=["objective"])
    positions.attrs.update(frame.attrs)
    return frame, positions
