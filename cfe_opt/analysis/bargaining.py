"""Bargaining solutions side by side: utilitarian, Kalai–Smorodinsky and Nash.

Each party p of the bargaining set P has one outcome, its deviation
D_p = Σ_{n of p} w_n (U_n/s⁻_n + V_n/s⁺_n) (``party_deviation``): what p gives up. Lower is
better. Every solution is a package that meets all hard limits; they differ in how they share
the concessions among the bargainers.

**Bargainers (sides).** Parties that hold exactly the same positions — a co-holder of a joint
position (``joint_with``) with no position of its own, beside the owner holding only that
position — have the same D_p in every package: one interest, one set of preferences. They
bargain as ONE side, named by their codes joined with ``+`` (``TUR+NOR``, "Turkey + Norway"),
with that common D. Counted apart they would be two bargainers with one utility: the
utilitarian and Kalai–Smorodinsky packages would not move (a repeated row changes neither
the sum, which counts each position once, nor the largest share), but the Nash product would
hold that utility's log twice — two votes for one stance. ``merge_identical=False`` (CLI
``--separate-holders``) counts each party apart all the same. A party holding a *copy* of
another's position (its own position, same content) keeps its own side: the scenario has then
said the stance is held twice (``talks_1998_flank_side_twice.yaml`` does so on purpose).
Below, "party" p means a side.

**Ideal and disagreement point.** I_p = min D_p over every package meeting all hard limits.
The worst outcome W_p (the disagreement point) is the *payoff-table nadir*: for each party q,
minimise D_q and then, holding that optimum, Σ_{p∈P} D_p (so the package is Pareto-optimal
among q's best); call it x^q. Then W_p = max_q D_p(x^q). It is finite (every x^q is a package)
and standard in multi-criteria analysis; every x^q satisfies D_p(x^q) ≤ W_p for all p, so the
set of packages leaving no party worse than W is never empty. The gain of p is g_p = W_p − D_p.
A party with I_p = W_p has nothing to bargain over: its gain is 0 and it is left out of the
Kalai–Smorodinsky and Nash objectives (held at D_p ≤ W_p instead); ``attrs["no_bargain"]``
lists such parties.

**Solutions** (each followed by min Σ_{p∈P} D_p, then — when P is not every party with
positions — by the weighted deviation of all positions, then by the scenario's status-quo
tie-break, each earlier optimum held):

* ``utilitarian``: min Σ_{p∈P} D_p.
* ``kalai_smorodinsky``: min Z s.t. Z ≥ (D_p − I_p)/(W_p − I_p) for every p with W_p > I_p
  and D_p ≤ W_p for all p (equal largest share of each party's possible concession).
* ``nash``: max Σ_p log g_p (the Nash product over the disagreement point), by a
  piecewise-linear outer approximation of log; see ``nash_breakpoints`` for the error bound.
* ``weighted`` (optional): the scenario's own answer, ``cfe_opt.api.solve(scenario,
  "weighted")``, for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cfe_opt.analysis.core import (
    add_limit,
    parties_with_positions,
    party_deviation,
)
from cfe_opt.analysis.stages import Goal, optimise_in_turn, package_slice
from cfe_opt.errors import CfeOptError, InfeasibleError, SolverError
from cfe_opt.model.core import Model
from cfe_opt.model.linear import Lin, lin_sum
from cfe_opt.objectives import weighted_sum
from cfe_opt.results import (
    allocation_table,
    clean,
    equipment_table,
    party_deviations,
    positions_table,
)
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolverName
from cfe_opt.text import figure_context

SOLUTIONS = ("utilitarian", "kalai_smorodinsky", "nash")
DEGENERATE_TOL = 1e-7  # W_p − I_p at most this (× max(1, W_p)): nothing to bargain over
RATIONALITY_TOL = 1e-7  # slack on D_p ≤ W_p (W_p comes from an LP solved to this accuracy)
MAX_BREAKPOINTS = 10_000  # tangents per party (nash_tolerance 1e-6 with 10 parties: ~2,600)
NASH_FLOOR_SHRINK = 1e-6  # the lower end of the gain range is (W_p − I_p)/m · (1 − this)


# ---- the Nash approximation ----------------------------------------------------------------
def tangent_gap(ratio: float) -> float:
    """The largest gap between log and the lower envelope of its tangents at a and r·a.

    The tangents T_a(g) = ln a + (g − a)/a and T_ra meet where g/a − g/(ra) = ln r, i.e. at
    g* = a·ρ with ρ = r·ln r/(r − 1). On [a, ra], T_a − ln rises from 0 and T_ra − ln falls to
    0 (each is convex with its minimum 0 at its own point), so min(T_a, T_ra) − ln is largest
    where they cross: δ(r) = T_a(g*) − ln g* = ρ − 1 − ln ρ. It depends on r only (≈ (ln r)²/8).
    """
    if ratio <= 1.0:
        return 0.0
    rho = ratio * math.log(ratio) / (ratio - 1.0)
    return rho - 1.0 - math.log(rho)


def nash_breakpoints(low: float, high: float, epsilon: float) -> tuple[list[float], float]:
    """Breakpoints a_1 = low < … < a_K = high, geometric (a_{k+1} = r·a_k), with as few as
    possible so that the tangent envelope exceeds log by at most ``epsilon`` on [low, high].

    Returns (breakpoints, gap) with gap = δ(r) ≤ epsilon (``tangent_gap``). K − 1 is the
    smallest number of steps with δ((high/low)^{1/(K−1)}) ≤ epsilon (δ rises with r).
    """
    if not 0 < low <= high:
        raise ValueError(f"need 0 < low <= high, got {low}, {high}")
    if epsilon <= 0:
        raise CfeOptError(f"nash_tolerance must be positive, got {epsilon}")
    if high / low <= 1.0 + 1e-12:
        return [high], 0.0
    # the largest ln r with δ(r) ≤ ε, by bisection (δ is increasing in r > 1)
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if tangent_gap(math.exp(mid)) <= epsilon:
            lo = mid
        else:
            hi = mid
    steps = math.ceil(math.log(high / low) / lo) if lo > 0 else MAX_BREAKPOINTS + 1
    if steps > MAX_BREAKPOINTS:
        raise CfeOptError(f"nash_tolerance {epsilon:g} per party is too small: it needs more "
                          f"than {MAX_BREAKPOINTS} tangents per party")
    steps = max(1, steps)
    while tangent_gap((high / low) ** (1 / steps)) > epsilon:  # guard against rounding
        steps += 1
    ratio = (high / low) ** (1 / steps)
    points = [low * ratio**k for k in range(steps)] + [high]
    return points, tangent_gap(ratio)


# ---- the analysis -------------------------------------------------------------------------------
@dataclass
class Bargaining:
    """The bargaining table and, per solution, its package (for the checker and reports).

    ``table`` is indexed by (party, solution); ``allocation``, ``equipment`` and ``positions``
    are the usual result tables with the solution as an extra first index level.
    """

    table: pd.DataFrame
    allocation: pd.DataFrame
    equipment: pd.DataFrame
    positions: pd.DataFrame

    def package(self, solution: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(allocation, equipment) of one solution's package: the tables the checker reads."""
        return (package_slice(self.allocation, "solution", solution),
                package_slice(self.equipment, "solution", solution))


def bargaining_solutions(scenario: Scenario, parties: Sequence[str] | None = None,
                         nash_tolerance: float = 1e-3, solver: SolverName = "highs",
                         include_weighted: bool = False,
                         merge_identical: bool = True) -> pd.DataFrame:
    """Each party's outcome under the utilitarian, Kalai–Smorodinsky and Nash solutions.

    Returns a DataFrame indexed by (``party``, ``solution``) — ``party`` a bargainer: one
    party, or parties holding the same positions merged into one side (``TUR+NOR``; see the
    module docstring; ``merge_identical=False`` keeps every party apart) — with columns
    ``deviation`` (D_p at
    the solution's package), ``gain`` (W_p − D_p), ``concession`` ((D_p − I_p)/(W_p − I_p),
    NaN when W_p = I_p), ``ideal`` (I_p) and ``worst`` (W_p), rows party by party in the order
    given, solutions in the order utilitarian, kalai_smorodinsky, nash (, weighted).

    ``attrs``: ``nash_error_bound`` = m·δ(r) ≤ ``nash_tolerance``, where m is the number of
    parties with something to bargain over, r the ratio of adjacent tangent points and
    δ(r) = ρ − 1 − ln ρ, ρ = r·ln r/(r − 1) (``tangent_gap``): the true Σ ln g_p at the Nash
    package is within it of the true Nash optimum (proof in ``solve_bargaining``);
    ``nash_breakpoints`` (tangents per party), ``nash_log_product`` (the approximation's optimum
    and the true Σ ln g_p at the package), ``no_bargain`` (sides with I_p = W_p),
    ``parties`` (the parties bargaining), ``sides`` (side → its parties), ``merged`` (one
    sentence per merged side: which parties and why), ``merge_identical``, ``disagreement``.
    The method is in the module docstring.
    """
    return solve_bargaining(scenario, parties, nash_tolerance, solver, include_weighted,
                            merge_identical).table


def solve_bargaining(scenario: Scenario, parties: Sequence[str] | None = None,
                     nash_tolerance: float = 1e-3, solver: SolverName = "highs",
                     include_weighted: bool = False,
                     merge_identical: bool = True) -> Bargaining:
    """The bargaining solutions with their packages (see ``bargaining_solutions``).

    Nash: maximise Σ_{p∈N} t_p over the m parties N with W_p > I_p, where
    t_p ≤ ln a_k + (g_p − a_k)/a_k for each breakpoint a_k of p (tangents of ln at a_k), and
    g_p = W_p − D_p is kept in [L_p, W_p − I_p], L_p = (W_p − I_p)/m (shrunk by 10⁻⁶).

    *Why L_p loses nothing.* The set of attainable gains (with free disposal) is convex: D_p is
    a convex function of the package. At the true Nash optimum g°, first-order optimality of the
    concave Σ ln g over it gives Σ_q g_q/g°_q ≤ m for every attainable g ≥ 0; at x^p (p's ideal
    in the payoff table) g_p = W_p − I_p and every g_q ≥ 0, so g°_p ≥ (W_p − I_p)/m.

    *The bound.* Let F = Σ ln g_p and F̂ = Σ t_p (the tangent envelope) on the domain Ω above.
    Tangents of a concave function lie above it, so F ≤ F̂; between adjacent breakpoints
    F̂ − F ≤ δ(r) per party (``tangent_gap``), so F̂ ≤ F + m·δ(r). With ĝ the approximate optimum
    and g° ∈ Ω the true one: F(ĝ) ≥ F̂(ĝ) − m·δ ≥ F̂(g°) − m·δ ≥ F(g°) − m·δ. The breakpoints are
    chosen (``nash_breakpoints``) with δ(r) ≤ nash_tolerance/m, so the stated bound m·δ(r) is at
    most nash_tolerance: the Nash product at the package is within a factor e^(−bound) of the
    best. (Gains reported from achieved values are ≥ the LP's, so F only improves.)
    """
    if not nash_tolerance > 0:
        raise CfeOptError(f"nash_tolerance must be positive, got {nash_tolerance}")
    cm = CompiledModel(scenario, solver=solver)
    model = cm.model
    everyone = parties_with_positions(model)
    members = _bargaining_set(scenario, parties, everyone)
    extra_stage = set(members) != set(everyone)
    sides = bargaining_sides(model, members, merge_identical)
    if len(sides) < 2:
        raise CfeOptError(f"{scenario.display}: bargaining needs at least two sides: "
                          f"{' and '.join(members)} hold the same positions and bargain as "
                          "one (merge_identical=False, --separate-holders, counts them apart)")
    chosen = list(sides)  # the bargainers, by side code

    def deviation_of(side: str) -> Lin:
        return party_deviation(model, sides[side])

    # payoff table: x^q minimises D_q, then Σ_P D (infeasible here: no package at all)
    ideal: dict[str, float] = {}
    payoff: dict[str, dict[str, float]] = {}
    for q in chosen:
        values = optimise_in_turn(cm, [
            Goal(f"ideal_{_key(q)}", deviation_of(q)),
            Goal("bargaining_set", party_deviation(model, members))], tie_break=False)
        ideal[q] = values[0]
        payoff[q] = {p: cm.value(deviation_of(p)) for p in chosen}
    worst = {p: max(max(payoff[q][p] for q in chosen), ideal[p]) for p in chosen}
    degenerate = [p for p in chosen
                  if worst[p] - ideal[p] <= DEGENERATE_TOL * max(1.0, abs(worst[p]))]
    active = [p for p in chosen if p not in degenerate]

    nash_info: dict[str, float] = {}
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}
    for solution in SOLUTIONS:
        limits: list[tuple] = []  # this solution's own limits, released after it
        if solution == "utilitarian":
            goals = [Goal("utilitarian", party_deviation(model, members))]
        elif solution == "kalai_smorodinsky":
            goals = _kalai_smorodinsky(cm, sides, active, ideal, worst, limits)
        else:
            goals, nash_info = _nash(cm, sides, active, ideal, worst, nash_tolerance, limits)
        if solution != "utilitarian":
            goals.append(Goal("bargaining_set", party_deviation(model, members)))
        if extra_stage:
            goals.append(Goal("everyone", weighted_sum(model)))
        try:
            values = optimise_in_turn(cm, goals, tag=solution)
        except InfeasibleError as error:  # the scenario is feasible: this is numerical
            raise SolverError(f"{scenario.display}: the {solution} solution came out "
                              f"infeasible although the hard limits admit a package") from error
        finally:
            for tag in limits:
                cm.free_limit(tag)
        if solution == "nash" and active:
            nash_info["approximate_log_product"] = values[0]
        tables[solution] = (allocation_table(model, cm.x), equipment_table(model, cm.x),
                            positions_table(model, cm.x))

    rows = []
    if include_weighted:
        from cfe_opt.api import solve

        result = solve(cm, "weighted")
        if not result.optimal:
            raise SolverError(f"{scenario.display}: the weighted solve ended "
                              f"{result.status.value}")
        assert result.allocation is not None and result.equipment is not None
        assert result.positions is not None
        tables["weighted"] = (result.allocation, result.equipment, result.positions)
    outcomes = {s: party_deviations(t[2]) for s, t in tables.items()}
    for p in chosen:
        for solution, by_party in outcomes.items():
            d = float(by_party.get(sides[p][0], 0.0))  # every member's D is the same
            span = worst[p] - ideal[p]
            rows.append({"party": p, "solution": solution, "deviation": clean(d),
                         "gain": clean(worst[p] - d),
                         "concession": clean((d - ideal[p]) / span) if p in active
                         else math.nan,
                         "ideal": clean(ideal[p]), "worst": clean(worst[p])})
    table = pd.DataFrame(rows).set_index(["party", "solution"])
    gains = table.xs("nash", level="solution")["gain"]
    true_log = sum(math.log(max(float(gains[p]), 1e-300)) for p in active)
    table.attrs.update({
        "parties": list(members),
        "sides": {side: list(sides[side]) for side in chosen},
        "merged": merged_sides_text(model, sides, figure_context(scenario)["party_names"]),
        "merge_identical": bool(merge_identical),
        "no_bargain": degenerate,
        "disagreement": "payoff-table nadir: W_p = max over q of D_p at q's ideal package",
        "nash_tolerance": float(nash_tolerance),
        "nash_error_bound": float(nash_info.get("bound", 0.0)),
        "nash_breakpoints": int(nash_info.get("breakpoints", 0)),
        "nash_log_product": {"approximate": float(nash_info.get("approximate_log_product", 0)),
                             "at_package": true_log},
    })

    table.attrs.update(figure_context(scenario))

    def stack(i: int) -> pd.DataFrame:
        frame = pd.concat({s: t[i] for s, t in tables.items()}, names=["solution"])
        frame.attrs.update(table.attrs)
        return frame

    return Bargaining(table=table, allocation=stack(0), equipment=stack(1),
                      positions=stack(2))


def bargaining_sides(model: Model, parties: Sequence[str], merge_identical: bool = True
                     ) -> dict[str, tuple[str, ...]]:
    """The bargainers: side code → its parties, in the order given. With ``merge_identical``
    parties holding exactly the same positions (the same position terms, own or joint) form one
    side, coded by their codes joined with ``+``; otherwise each party is a side of its own."""
    if not merge_identical:
        return {p: (p,) for p in parties}
    groups: dict[tuple[int, ...], list[str]] = {}
    for p in parties:
        held = tuple(i for i, t in enumerate(model.positions) if p in (t.holders or (t.party,)))
        groups.setdefault(held, []).append(p)
    return {"+".join(group): tuple(group) for group in groups.values()}


def merged_sides_text(model: Model, sides: dict[str, tuple[str, ...]],
                      names: dict[str, str]) -> list[str]:
    """One sentence per merged side: which parties, which positions, and why."""
    from cfe_opt.text import party_name, side_name

    out = []
    for group in sides.values():
        if len(group) < 2:
            continue
        held = [t for t in model.positions if group[0] in (t.holders or (t.party,))]
        listed = "; ".join(f"{party_name(t.party, names)}'s {t.name}"
                           + (f", held jointly with {side_name(t.joint_with, names)}"
                              if t.joint_with else "") for t in held)
        out.append(f"{side_name(group, names)} bargain as one side: they hold the same "
                   f"positions ({listed}), so each package gives them the same outcome; "
                   "counted apart, that one stance would have a vote for each holder in the "
                   "Nash product (merge_identical=False / --separate-holders does so)")
    return out


def _key(side: str) -> str:
    """A side's key for the LP's own rows and columns: its first party (unique per side)."""
    return side.split("+")[0]


def _bargaining_set(scenario: Scenario, parties: Sequence[str] | None,
                    everyone: list[str]) -> list[str]:
    if parties is None:
        chosen = list(everyone)
    else:
        for p in parties:
            if p not in scenario.index.parties and p not in scenario.index.group_members:
                raise CfeOptError(f"{scenario.display}: unknown party or group '{p}'")
        chosen = list(dict.fromkeys(
            q for p in parties for q in scenario.index.parties_of([p])))
        for p in chosen:
            if p not in everyone:
                raise CfeOptError(f"{scenario.display}: party '{p}' has no positions to "
                                  f"bargain over")
    if len(chosen) < 2:
        raise CfeOptError(f"{scenario.display}: bargaining needs at least two parties with "
                          f"positions (found {len(chosen)})")
    return chosen


def _rationality(cm: CompiledModel, sides: dict[str, tuple[str, ...]],
                 worst: dict[str, float], limits: list[tuple]) -> None:
    """D_p ≤ W_p for every side: no one ends worse than the disagreement point."""
    for p in sides:
        limits.append(("rational", _key(p)))
        add_limit(cm, limits[-1], party_deviation(cm.model, sides[p]), "<=",
                  worst[p] + RATIONALITY_TOL * max(1.0, abs(worst[p])),
                  f"{p} no worse than its disagreement outcome")


def _kalai_smorodinsky(cm: CompiledModel, sides: dict[str, tuple[str, ...]],
                       active: list[str], ideal: dict[str, float], worst: dict[str, float],
                       limits: list[tuple]) -> list[Goal]:
    """Z ≥ (D_p − I_p)/(W_p − I_p) for p with W_p > I_p; D_p ≤ W_p for all; goal min Z."""
    model = cm.model
    _rationality(cm, sides, worst, limits)
    if not model.has_var(("stage_level", "kalai_smorodinsky")):
        model.add_variables("stage_level", [("kalai_smorodinsky",)], integer=False)
    level = model.var(("stage_level", "kalai_smorodinsky"))
    for p in active:
        span = worst[p] - ideal[p]
        limits.append(("kalai_smorodinsky", _key(p)))
        add_limit(cm, limits[-1], level - party_deviation(model, sides[p]) / span,
                  ">=", -ideal[p] / span, f"{p}'s share of its possible concession")
    return [Goal("kalai_smorodinsky", level)]


def _nash(cm: CompiledModel, sides: dict[str, tuple[str, ...]], active: list[str],
          ideal: dict[str, float], worst: dict[str, float], tolerance: float,
          limits: list[tuple]) -> tuple[list[Goal], dict[str, float]]:
    """t_p + D_p/a ≤ ln a − 1 + W_p/a for each breakpoint a (t_p ≤ the tangent of ln g_p at a),
    D_p ≤ W_p − L_p (g_p ≥ L_p), D_p ≤ W_p for all; goal max Σ t_p."""
    model = cm.model
    _rationality(cm, sides, worst, limits)
    m = len(active)
    info: dict[str, float] = {"bound": 0.0, "breakpoints": 0}
    if m == 0:  # nothing to bargain over: the later stages decide
        return [], info
    new = [("nash", _key(p)) for p in active
           if not model.has_var(("stage_level", "nash", _key(p)))]
    model.add_variables("stage_level", new, low=None, integer=False)
    total: list[Lin] = []
    for p in active:
        span = worst[p] - ideal[p]
        low = span / m * (1 - NASH_FLOOR_SHRINK) if m > 1 else span
        points, gap = nash_breakpoints(low, span, tolerance / m)
        info["bound"] = max(info["bound"], m * gap)  # same ratio for every party
        info["breakpoints"] = len(points)
        t = model.var(("stage_level", "nash", _key(p)))
        deviation = party_deviation(model, sides[p])
        limits.append(("nash_floor", _key(p)))
        add_limit(cm, limits[-1], deviation, "<=", worst[p] - low,
                  f"{p}'s gain at least (W − I)/m")
        for k, a in enumerate(points):
            limits.append(("nash", _key(p), k))
            add_limit(cm, limits[-1], t + deviation / a, "<=",
                      math.log(a) - 1 + worst[p] / a, f"log of {p}'s gain, tangent {k}")
        total.append(t)
    return [Goal("nash", lin_sum(total), maximise=True)], info
