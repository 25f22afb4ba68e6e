"""Robustness of a package: under how many of the sampled weightings and positions does it stay
optimal, stay within x% of the optimum, and stay within each party's acceptable range?

A *package* is what a solution decides; what the positions see of it is each position's achieved
value. A study that varies only weights and positions (a party's or a position's ``weight``, a
position's ``target``, ``range``, ``scale`` or ``priority``) changes neither the hard limits nor
the positions' quantities, so a package feasible for the base is feasible in every variant and
its achieved values are the same in all of them. Its objective under a variant follows from those
values and the variant's positions; the variant's optimum is its stored row's ``objective`` (a
full re-solve: the brute-force reference). Regret = package objective − optimum ≥ 0.

The objective of a package under a variant is the variant's defining stage: weighted Σ w·d
(``weighted``), max w·d (``minimax``), Σ w·d over the positions of the first priority level
(``lexicographic``), with d = U/s⁻ + V/s⁺ the normalised deviation of the achieved value.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.model.constraints.positions import position_scales
from cfe_opt.scenario.paths import set_path
from cfe_opt.scenario.schema import Party, Position
from cfe_opt.study.results import StudyResults

OPTIMAL_RTOL = 1e-7  # the stored rows hold 9 significant digits
OPTIMAL_ATOL = 1e-9
_POSITION_FIELDS = re.compile(
    r"^parties\.[A-Za-z][A-Za-z0-9_]*\.(weight|positions\.[A-Za-z][A-Za-z0-9_]*\."
    r"(weight|target|scale|priority|range|range\.min|range\.max))$")


@dataclass(frozen=True)
class Package:
    """A package as the positions see it: each (party, position)'s achieved value."""

    achieved: dict[tuple[str, str], float]
    label: str = "package"


def package_of_result(result: Any, label: str = "base") -> Package:
    """The package of a solved ``Result`` (e.g. ``cfe_opt.solve(base)``)."""
    if result.positions is None:
        raise CfeOptError(f"{label}: the result has no solution (status "
                          f"{result.status.value})")
    return Package({(p, n): float(v) for (p, n), v in result.positions["achieved"].items()},
                   label)


def package_of_variant(results: StudyResults, key: str) -> Package:
    """The package of a stored variant (its ``achieved.P.n`` columns)."""
    frame = results.connection.execute("SELECT * FROM outcomes WHERE key = ?", [key]).df()
    if frame.empty:
        raise CfeOptError(f"no variant with key {key} in the store")
    row = frame.iloc[0]
    if row["status"] != "optimal":
        raise CfeOptError(f"variant {key[:12]} is {row['status']}: it has no package")
    achieved = {}
    for column in frame.columns:
        if column.startswith("achieved.") and not pd.isna(row[column]):
            _, party, name = column.split(".")
            achieved[(party, name)] = float(row[column])
    return Package(achieved, f"variant {key[:12]}")


def check_position_study(study_changes: list[str]) -> None:
    """Robustness needs a study that varies weights and positions only."""
    other = [f for f in study_changes if not _POSITION_FIELDS.match(f)]
    if other:
        raise CfeOptError(
            f"robustness needs a study that varies only weights and positions; it varies "
            f"{', '.join(sorted(other)[:4])} (a limit or a figure changes what packages are "
            "feasible)")


def _positions_of(base_spec: Any, base_data: dict, changes: dict[str, object]
                  ) -> dict[tuple[str, str], tuple[Position, float]]:
    """Each position of the variant with its total weight (party × position)."""
    parties = base_spec.parties
    if changes:
        data = {"parties": copy.deepcopy(base_data["parties"])}
        for path, value in changes.items():
            set_path(data, path, value)
        parties = {code: Party.model_validate(party) for code, party in data["parties"].items()}
    return {(code, name): (position, float(party.weight) * float(position.weight))
            for code, party in parties.items() for name, position in party.positions.items()}


def package_objective(package: Package, positions: dict[tuple[str, str], tuple[Position, float]],
                      mode: str) -> tuple[float, dict[tuple[str, str], float]]:
    """The package's objective under these positions and its weighted normalised deviations."""
    weighted: dict[tuple[str, str], float] = {}
    for key, (position, weight) in positions.items():
        achieved = package.achieved[key]
        target = float(position.target)
        low, high = (float(s) for s in position_scales(position))
        under = max(0.0, target - achieved) if position.direction != "at_most" else 0.0
        over = max(0.0, achieved - target) if position.direction != "at_least" else 0.0
        weighted[key] = (under / low + over / high) * weight
    if mode == "weighted":
        value = math.fsum(weighted.values())
    elif mode == "minimax":
        value = max(weighted.values(), default=0.0)
    elif mode == "lexicographic":
        first = min((p.priority for p, _ in positions.values()), default=1)
        value = math.fsum(w for k, w in weighted.items() if positions[k][0].priority == first)
    else:
        raise CfeOptError(f"unknown objective mode {mode!r}")
    return value, weighted


def _ranged(positions: dict, parties: list[str]) -> list[str]:
    """The parties with a stated range on some position: "in range" is reported for them only
    (never true by default for a party that states none)."""
    return [party for party in parties
            if any(k[0] == party and p.range is not None for k, (p, _) in positions.items())]


def _in_range(position: Position, achieved: float) -> bool:
    rng = position.range
    if rng is None:
        return True
    low_ok = rng.min is None or achieved >= rng.min - 1e-6
    high_ok = rng.max is None or achieved <= rng.max + 1e-6
    return low_ok and high_ok


@dataclass
class Robustness:
    """Per design point and in summary."""

    points: pd.DataFrame  # point → mode, optimum, package objective, regret, flags
    summary: pd.DataFrame  # measure → share, count, points

    def share(self, measure: str) -> float:
        return float(self.summary.loc[measure, "share"])


def robustness(results: StudyResults, package: Package, within: float = 0.05,
               mode: str | None = None) -> Robustness:
    """How robust ``package`` is across the study's variants (optimal ones only).

    ``within``: the share x of "within x% of the optimum" (0.05 = 5%); ``mode``: one objective
    mode of the study (default: every mode, each point under its own).
    """
    from cfe_opt.study.design import Design

    if not within >= 0 or math.isinf(within):
        raise CfeOptError("within must be a number of at least 0 (0.05: within 5%)")
    study = results.study()
    check_position_study(list(study.fields))
    base = study.base
    missing = [k for k in _positions_of(base.spec, base.data, {}) if k not in package.achieved]
    if missing:
        raise CfeOptError(f"{package.label} has no achieved value for "
                          f"{', '.join('.'.join(k) for k in missing[:4])}")
    stored = results.connection.execute(
        "SELECT key, status, objective FROM outcomes").fetchall()
    rows = {k: (s, o) for k, s, o in stored}
    records = []
    parties = list(dict.fromkeys(p for p, _ in package.achieved))
    ranged = _ranged(_positions_of(base.spec, base.data, {}), parties)
    for point, (_, _values, variant) in enumerate(Design.of(study).points()):
        if mode is not None and variant.mode != mode:
            continue
        status, optimum = rows.get(variant.key, (None, None))
        if status != "optimal":
            continue
        positions = _positions_of(base.spec, base.data, variant.changes)
        records.append({"point": point, "key": variant.key,
                        **_measured(package, positions, variant.mode, float(optimum), within,
                                    ranged)})
    points = pd.DataFrame(records)
    if points.empty:
        raise CfeOptError("no optimal variants in the store to measure robustness against")
    summary = _summary(points, ranged, within)
    summary.attrs["package"] = package.label
    summary.attrs["within"] = within
    return Robustness(points=points.set_index("point"), summary=summary)


def _measured(package: Package, positions: dict, mode: str, optimum: float, within: float,
              parties: list[str]) -> dict[str, Any]:
    """One variant's flags: stays optimal, within x of the optimum, within each party's
    ranges (for ``parties``: those stating a range; see the module doc)."""
    value, _ = package_objective(package, positions, mode)
    regret = value - optimum
    slack = OPTIMAL_RTOL * max(1.0, abs(optimum)) + OPTIMAL_ATOL
    record = {"mode": mode, "optimum": optimum, "package_objective": value,
              "regret": max(regret, 0.0), "optimal": regret <= slack,
              "within": value <= optimum * (1 + within) + slack}
    for party in parties:
        record[f"in_range.{party}"] = all(
            _in_range(p, package.achieved[k]) for k, (p, _) in positions.items()
            if k[0] == party and p.range is not None)
    return record


def _summary(points: pd.DataFrame, parties: list[str], within: float) -> pd.DataFrame:
    measures = {"optimal": "stays optimal", "within": f"within {within:.0%} of the optimum"}
    measures.update({f"in_range.{p}": f"within {p}'s acceptable ranges" for p in parties})
    return pd.DataFrame([{"measure": m, "description": d, "count": int(points[m].sum()),
                          "points": len(points), "share": float(points[m].mean())}
                         for m, d in measures.items()]).set_index("measure")


def robustness_of_weightings(scenario: Any, package: Package,
                             samples: list[dict[str, float]], mode: str = "weighted",
                             within: float = 0.05) -> Robustness:
    """``robustness`` without a study: under each sampled weighting (field path → value,
    weights only), does ``package`` stay optimal, within x% of the optimum, within each party's
    ranges? The optima come from the base's optimal basis where it stays optimal (one matrix
    product for every sample, ``cfe_opt.study.basis``) and from a warm re-solve of the others;
    ``summary.attrs`` says how many needed one."""
    from cfe_opt.study.basis import sampled_optima

    if not within >= 0 or math.isinf(within):
        raise CfeOptError("within must be a number of at least 0 (0.05: within 5%)")
    found = sampled_optima(scenario, samples, mode)
    parties = list(dict.fromkeys(p for p, _ in package.achieved))
    ranged = _ranged(_positions_of(scenario.spec, scenario.data, {}), parties)
    records = []
    for k, changes in enumerate(samples):
        optimum = float(found.optima[k])
        if math.isnan(optimum):
            continue
        positions = _positions_of(scenario.spec, scenario.data, changes)
        records.append({"sample": k, **_measured(package, positions, mode, optimum, within,
                                                 ranged),
                        "from_basis": bool(found.from_basis[k])})
    points = pd.DataFrame(records)
    summary = _summary(points, ranged, within)
    summary.attrs.update(package=package.label, within=within, samples=len(samples),
                         from_basis=int(found.from_basis.sum()), resolved=found.resolved)
    return Robustness(points=points.set_index("sample"), summary=summary)
