"""Evaluate variants: each becomes one flat row (the schema is ``layout.py``, documented in
``docs/studies.md``).

The interface every evaluator has (the reference here; the compiled one beside the model)::

    evaluator = SomeEvaluator(study)          # once per worker, kept across chunks
    rows = evaluator.evaluate(variants)       # list[Variant] -> list[dict], same order

Each row is a ``dict`` column → value holding every column of ``study.layout.schema()``
(missing optional values are ``None``); the store turns rows into Arrow with that schema. A row
is a function of the variant's key alone (no axis values, no place in the run), except the
``run.*`` columns: how it was computed (evaluator, whether the model was rebuilt, seconds),
which differ between runs and are left out of the canonical table.

``ReferenceEvaluator`` is the slow, obviously correct way: apply the changes
(``with_changes``, which validates), ``cfe_opt.api.solve``, read the result tables; for an
infeasible variant also the conflict set (``conflict_set``) — ``solve`` already gives the
smallest concession. Every variant is a full rebuild (``run.rebuilt`` is true).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.model.core import HARD_KINDS
from cfe_opt.results import Result, clean
from cfe_opt.study.layout import RowLayout
from cfe_opt.study.load import Study
from cfe_opt.study.variant import MODEL_VERSION, Variant, normalise, variant_key
from cfe_opt.version import package_version

__all__ = ["MODEL_VERSION", "ReferenceEvaluator", "RowMeta", "Variant", "failure_row",
           "normalise", "outcome_row", "variant_key"]

MAX_REASON = 500  # characters of a reason kept in a row


@dataclass(frozen=True)
class RowMeta:
    """What every row of one evaluator carries besides the outcome."""

    solver: str  # HiGHS or CBC
    solver_version: str
    cfe_opt_version: str
    base_sha256: str
    evaluator: str  # run.evaluator: reference / compiled


def _nan_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return float(value)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def _blank(variant: Variant, layout: RowLayout, meta: RowMeta,
           template: dict[str, Any] | None = None) -> dict[str, Any]:
    """A row with every column empty but the variant's own; ``template`` (the layout's
    columns, all None) saves building the column list for every row."""
    row: dict[str, Any] = (dict(template) if template is not None
                           else {name: None for name, _ in layout.columns()})
    row.update({"key": variant.key, "mode": variant.mode, "binding": None,
                "solver": meta.solver, "solver_version": meta.solver_version,
                "cfe_opt_version": meta.cfe_opt_version, "base_sha256": meta.base_sha256,
                "model_version": MODEL_VERSION, "run.evaluator": meta.evaluator})
    return row


def failure_row(variant: Variant, layout: RowLayout, meta: RowMeta, status: str,
                reason: str) -> dict[str, Any]:
    """The row of a variant that could not be solved: invalid (its values fail validation)
    or error (the solver or cfe-opt failed); every outcome column empty."""
    row = _blank(variant, layout, meta)
    row.update({"status": status, "reason": _one_line(reason)})
    return row


def invalid_row(variant: Variant, layout: RowLayout, meta: RowMeta,
                error: ScenarioError | ScenarioErrors) -> dict[str, Any]:
    """The row of a variant whose values the scenario's validation refuses: each problem as
    ``field: reason``."""
    problems = error.errors if isinstance(error, ScenarioErrors) else [error]
    reason = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    return failure_row(variant, layout, meta, "invalid", reason)


def outcome_row(variant: Variant, layout: RowLayout, meta: RowMeta, result: Result,
                conflict: pd.DataFrame | None = None,
                prices: dict[str, tuple[float | None, float | None]] | None = None
                ) -> dict[str, Any]:
    """The row of a solved variant, read from the result tables.

    Optimal: objective, each party's deviation (Σ of its positions' weighted normalised
    deviations, in scenario order, then to 9 significant digits), each position's achieved
    value, deviation in its own units and normalised deviation, the kept ceilings, the
    binding hard limits (sorted by name) and the kept limits' ``prices`` (the objective's change
    per unit with the number raised and lowered by one, ``CompiledModel.unit_prices``: an LP
    dual depends on the solver's final basis where the optimum is degenerate, these do not).
    Infeasible: the smallest
    total concession (Σ |change| over the limits that must move), the moves, and the hard
    limits of the conflict set (name, owner, kind), in the conflict set's order.
    """
    from cfe_opt.results import TOTAL, clean_ratio

    row = _blank(variant, layout, meta)
    status = {"optimal": "optimal", "infeasible": "infeasible", "not_solved": "not_solved"}.get(
        result.status.value, "error")
    row["status"] = status
    row["solver"] = result.solver or meta.solver
    row["solver_version"] = result.solver_version or meta.solver_version
    if status == "optimal":
        row["objective"] = _nan_none(result.objective)
        positions = result.positions
        by_party: dict[str, float] = {}
        kept = set(layout.positions)
        for (party, name), rec in positions.iterrows():
            # a position held jointly counts for its owner and each co-holder
            for holder in (party, *(h for h in str(rec["joint_with"]).split("+") if h)):
                by_party[holder] = by_party.get(holder, 0.0) + float(rec["weighted_deviation"])
            if (party, name) in kept:
                row[f"achieved.{party}.{name}"] = _nan_none(rec["achieved"])
                row[f"deviation.{party}.{name}"] = _nan_none(rec["deviation"])
                row[f"normalised_deviation.{party}.{name}"] = _nan_none(
                    rec["normalised_deviation"])
        for party in layout.parties:
            if party in by_party:
                row[f"party_deviation.{party}"] = clean_ratio(by_party[party])
        allocation = result.allocation
        for column, (family, *keys) in layout.ceilings:
            row[column] = _nan_none(_ceiling(allocation, family, keys, TOTAL))
        constraints = result.constraints
        hard = constraints[constraints["kind"].isin(HARD_KINDS) & constraints["binding"]]
        row["binding"] = sorted(str(n) for n in hard.index)
        if layout.detail:
            from cfe_opt.study.layout import detail_columns

            row.update(detail_columns(allocation, positions))
        if prices is not None:
            for name, (up, down) in prices.items():
                row[f"price_up.{name}"] = None if up is None else _nan_none(clean_ratio(up))
                row[f"price_down.{name}"] = None if down is None else _nan_none(
                    clean_ratio(down))
    elif status == "infeasible":
        row["reason"] = _one_line(_infeasible_reason(result, conflict))
        concession = result.concession
        if concession is not None and len(concession):
            row["concession_total"] = clean(float(concession["change"].abs().sum()))
            row["concession"] = [{"name": str(n), "owner": str(r["owner"]),
                                  "change": float(r["change"])}
                                 for n, r in concession.iterrows()]
        if conflict is not None:
            row["conflict"] = [{"name": str(n), "owner": str(r["owner"]), "kind": str(r["kind"])}
                               for n, r in conflict.iterrows() if r["kind"] in HARD_KINDS]
    else:
        stopped = [s for s in result.stages if s.status.value != "optimal"]
        where = f" at stage {stopped[0].name}" if stopped else ""
        row["reason"] = _one_line(f"the solver stopped with status {result.status.value}"
                                  f"{where}")
    return row


def _ceiling(allocation: pd.DataFrame, family: str, keys: list[str], total: str) -> float | None:
    if family in ("territorial_subceiling", "active_subceiling"):
        party, area, category = keys
        column = family
    elif family == "temporary_deployment":  # (kind, host, area or total, category)
        kind, party, area, category = keys
        column = "temporary_deployment" + ("_exceptional" if kind == "exceptional" else "") + (
            "" if area == total else "_in_area")
    else:
        party, category = keys
        area = total
        column = family
    try:
        return float(allocation.at[(party, area, category), column])
    except KeyError:
        return None  # the variant has no such ceiling (a structural change removed it)


def _infeasible_reason(result: Result | None, conflict: pd.DataFrame | None) -> str:
    text = "no package meets every hard limit"
    if conflict is not None:
        hard = [f"{n} ({r['owner']})" for n, r in conflict.iterrows() if r["kind"] in HARD_KINDS]
        if hard:
            shown = ", ".join(hard[:6]) + (f" and {len(hard) - 6} more" if len(hard) > 6 else "")
            text += f"; conflict: {shown}"
    return text


class ReferenceEvaluator:
    """Evaluates variants through the public API, one full solve each (see module doc)."""

    name = "reference"

    def __init__(self, study: Study) -> None:
        from cfe_opt.solve import SOLVERS, solver_version

        self.study = study
        self.layout = study.layout
        solver = study.spec.solver
        self.meta = RowMeta(solver=SOLVERS[solver].name, solver_version=solver_version(solver),
                            cfe_opt_version=package_version("cfe-opt"),
                            base_sha256=study.base.sha256, evaluator=self.name)

    def evaluate(self, variants: list[Variant]) -> list[dict[str, Any]]:
        """One row per variant, in the order given (see the module doc for the interface)."""
        return [self.evaluate_one(v) for v in variants]

    def evaluate_one(self, variant: Variant) -> dict[str, Any]:
        from cfe_opt.analysis.conflict import conflict_set
        from cfe_opt.api import solve
        from cfe_opt.scenario import with_changes
        from cfe_opt.solve import CompiledModel

        start = time.perf_counter()
        solver = self.study.spec.solver
        try:
            scenario = with_changes(self.study.base, variant.changes)
        except (ScenarioError, ScenarioErrors) as exc:
            row = invalid_row(variant, self.layout, self.meta, exc)
        else:
            try:
                compiled = CompiledModel(scenario, solver=solver)
                result = solve(compiled, objective=variant.mode)  # type: ignore[arg-type]
                # the deletion filter gives one set whatever the solver started from, so
                # every evaluator's row agrees (HiGHS's own IIS depends on its path)
                conflict = (conflict_set(scenario, solver=solver, method="filter")
                            if result.status.value == "infeasible" else None)
                prices = (compiled.unit_prices(variant.mode, result.run.objective,  # type: ignore[arg-type]
                                               list(self.layout.prices))
                          if result.optimal and result.run is not None
                          and result.run.objective is not None and self.layout.prices
                          else None)
                row = outcome_row(variant, self.layout, self.meta, result, conflict, prices)
            except Exception as exc:  # the study goes on: the failure is this variant's row
                row = failure_row(variant, self.layout, self.meta, "error",
                                  f"{type(exc).__name__}: {exc}")
        row["run.rebuilt"] = True
        row["run.seconds"] = time.perf_counter() - start
        return row
