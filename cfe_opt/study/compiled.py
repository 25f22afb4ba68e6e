"""The compiled evaluator: every variant of a study on one compiled model, re-solved warm.

Built once per worker: the base scenario is compiled (``CompiledModel`` with guards from its
validation), and what a row reads is located once (the columns of the kept ceilings, the
positions, the hard rows and the priced rows). A variant sets its numbers in place and solves
from the previous basis; its row is read from the solution arrays with the same records and
the same cleaning as the result tables (``results.position_record``, ``clean``), so it equals
the reference evaluator's row. A variant the compiled model cannot take in place (a structural
change, or a value that would fail validation) is built afresh from the changed scenario, as
the reference does, and counted (``run.rebuilt``).

**Warm against cold.** Among equally good packages the stage runner's last tie-break settles
one, so a warm start gives the same row as a cold one. That is checked as the study runs: a
fixed share of the variants (chosen by key, so the same ones whatever the chunking) is also
solved on a freshly built model, and ``run.cold_check`` records whether the two rows agree
(the study summary counts disagreements).
"""

from __future__ import annotations

import gc
import json
import math
import time
from typing import Any

import numpy as np

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.results import (
    allocation_table,
    clean,
    clean_ratio,
    position_record,
    positions_table,
)
from cfe_opt.scenario import Scenario, with_changes
from cfe_opt.solve import SOLVERS, CompiledModel, SolveRun
from cfe_opt.study.evaluate import (
    RowMeta,
    _blank,
    _infeasible_reason,
    _one_line,
    failure_row,
    invalid_row,
    package_version,
)
from cfe_opt.study.layout import RowLayout, detail_columns
from cfe_opt.study.load import Study
from cfe_opt.study.variant import Variant

COLD_SHARE = 100  # one variant in this many (by key) is also solved cold
MAX_STRUCTURES = 16  # compiled models kept for variants that change structure
CONFLICT_METHOD = "filter"  # a deletion filter: the same set warm or cold (see conflict.py)


class Reader:
    """Where a row's numbers are in one compiled model (located once, read per variant)."""

    def __init__(self, model: Model, layout: RowLayout, engine: Any = None) -> None:
        self.model = model
        self.engine = engine
        self.layout = layout
        kept = set(layout.positions)
        self.positions = [(t, (f"achieved.{t.party}.{t.name}", f"deviation.{t.party}.{t.name}",
                               f"normalised_deviation.{t.party}.{t.name}")
                           if (t.party, t.name) in kept else None) for t in model.positions]
        self.template = {name: None for name, _ in layout.columns()}
        self.ceilings = []
        for column, (family, *keys) in layout.ceilings:
            col = model.variables.get(family, {}).get(tuple(keys))
            self.ceilings.append((column, col))
        hard = [row for row in model.row_list if row.info.kind in HARD_KINDS]
        self.hard_names = [row.name for row in hard]
        self.hard_index = np.array([row.index for row in hard], dtype=np.int64)
        sense = np.array([row.sense for row in hard] or [""], dtype=object)[:len(hard)]
        self.hard_le = np.asarray(sense == "<=", dtype=bool)
        self.hard_ge = np.asarray(sense == ">=", dtype=bool)
        self.hard_eq = np.asarray(sense == "==", dtype=bool)

    def fill(self, row: dict[str, Any], out: SolveRun) -> None:
        """An optimal variant's outcome columns, from the solution arrays."""
        model, x = self.model, out.x
        assert x is not None and out.activity is not None
        row["objective"] = _number(clean_ratio(out.objective))
        by_party: dict[str, float] = {}
        for t, columns in self.positions:
            record = position_record(model, t, x)
            weighted = clean_ratio(record["weighted_deviation"])
            for holder in t.holders or (t.party,):  # a joint position counts for each holder
                by_party[holder] = by_party.get(holder, 0.0) + weighted
            if columns is not None:
                row[columns[0]] = _number(clean(record["achieved"]))
                row[columns[1]] = _number(clean(record["deviation"]))
                row[columns[2]] = _number(clean_ratio(record["normalised_deviation"]))
        for party in self.layout.parties:
            if party in by_party:
                row[f"party_deviation.{party}"] = clean_ratio(by_party[party])
        for column, col in self.ceilings:
            row[column] = None if col is None else _number(clean(float(x[col])))
        row["binding"] = self.binding(out.activity)
        if self.layout.detail:  # only when asked: the tables themselves
            row.update(detail_columns(allocation_table(model, x), positions_table(model, x)))

    def prices_of(self, row: dict[str, Any], compiled: CompiledModel, mode: str,
                  out: SolveRun) -> None:
        """The kept limits' prices: one unit's worth, re-solved (``unit_prices``)."""
        if not self.layout.prices or out.objective is None:
            return
        prices = compiled.unit_prices(mode, out.objective, list(self.layout.prices))  # type: ignore[arg-type]
        for name, (up, down) in prices.items():
            row[f"price_up.{name}"] = None if up is None else _number(clean_ratio(up))
            row[f"price_down.{name}"] = None if down is None else _number(clean_ratio(down))

    def binding(self, activity: np.ndarray) -> list[str]:
        """The hard limits that hold with equality (``results.is_binding``, on arrays)."""
        model = self.model
        if not len(self.hard_index):
            return []
        lhs = activity[self.hard_index]
        mirror = getattr(self.engine, "row_lower", None)  # HiGHS keeps the bounds as arrays
        if mirror is not None and len(mirror) == model.num_rows:
            lower = mirror[self.hard_index]
            upper = self.engine.row_upper[self.hard_index]
        else:
            lower = np.asarray(model.row_lower)[self.hard_index]
            upper = np.asarray(model.row_upper)[self.hard_index]
        rhs = np.where(self.hard_le, upper, lower)
        slack = np.where(self.hard_le, rhs - lhs, lhs - rhs)
        with np.errstate(invalid="ignore"):
            tight = np.abs(slack) <= 1e-6 * np.maximum(1.0, np.abs(rhs))
        found = self.hard_eq | (tight & (self.hard_le | self.hard_ge))
        return sorted(self.hard_names[k] for k in np.flatnonzero(found))


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


class CompiledEvaluator:
    """Evaluates variants on one compiled model of the study's base (see the module doc)."""

    name = "compiled"

    def __init__(self, study: Study, cold_share: int = COLD_SHARE) -> None:
        self.study = study
        self.layout = study.layout
        self.solver = study.spec.solver
        self.cold_share = cold_share
        self.compiled = CompiledModel(study.base, solver=self.solver, variants=True)
        self.reader = Reader(self.compiled.model, self.layout, self.compiled.engine)
        self.meta = RowMeta(solver=SOLVERS[self.solver].name,
                            solver_version=self.compiled.solver_version,
                            cfe_opt_version=package_version("cfe-opt"),
                            base_sha256=study.base.sha256, evaluator=self.name)
        self._structures: dict[str, tuple[CompiledModel, Reader]] = {}  # by structure change
        gc.freeze()  # the compiled model lives as long as the worker: never scan it again

    def evaluate(self, variants: list[Variant]) -> list[dict[str, Any]]:
        """One row per variant, in the order given."""
        was = gc.isenabled()
        gc.disable()  # rows and arrays hold no cycles; collect once per chunk instead
        try:
            return [self.evaluate_one(v) for v in variants]
        finally:
            if was:
                gc.enable()
            gc.collect(0)

    def evaluate_one(self, variant: Variant) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            compiled, reader, numbers, rebuilt = self._model_for(variant)
            if compiled is not None and compiled.apply(numbers).in_place:
                row = self._solve(variant, compiled, reader)
            else:
                row = self.cold(variant)
                rebuilt = True
            if not rebuilt and self.cold_share and int(variant.key[:8], 16) % self.cold_share == 0:
                row["run.cold_check"] = _canonical(row) == _canonical(self.cold(variant))
        except Exception as exc:  # the study goes on: the failure is this variant's row
            row = failure_row(variant, self.layout, self.meta, "error",
                              f"{type(exc).__name__}: {exc}")
            rebuilt = True
        row["run.rebuilt"] = rebuilt
        row["run.seconds"] = time.perf_counter() - start
        return row

    def _model_for(self, variant: Variant
                   ) -> tuple[CompiledModel | None, Reader | None, dict[str, Any], bool]:
        """The compiled model to set the variant's numbers on: the base's, or — when the
        variant also changes structure (a limit removed, a case's non-numeric field) — one
        compiled for that structure, kept for the next variants with the same structure.
        Returns (model or None if the structure is invalid alone, its reader, the numeric
        changes, whether a model was built for this variant)."""
        slots = self.compiled.model.params.slot_of
        numbers, structure = {}, {}
        for path, value in variant.changes.items():
            tracked = path in slots or (path.endswith(".value") and path[:-6] in slots)
            (numbers if tracked and value is not None else structure)[path] = value
        if not structure:
            return self.compiled, self.reader, numbers, False
        key = json.dumps(sorted(structure.items()), default=str)
        found = self._structures.get(key)
        built = found is None
        if found is None:
            try:
                scenario = with_changes(self.study.base, structure)
            except (ScenarioError, ScenarioErrors):
                return None, None, numbers, True
            model = CompiledModel(scenario, solver=self.solver, variants=True)
            found = (model, Reader(model.model, self.layout, model.engine))
            if len(self._structures) >= MAX_STRUCTURES:
                self._structures.pop(next(iter(self._structures)))
            self._structures[key] = found
        return found[0], found[1], numbers, built

    def cold(self, variant: Variant) -> dict[str, Any]:
        """The variant built afresh from the changed scenario (validated), solved from
        scratch: the row the reference evaluator gives."""
        try:
            scenario = with_changes(self.study.base, variant.changes)
        except (ScenarioError, ScenarioErrors) as exc:
            return invalid_row(variant, self.layout, self.meta, exc)
        fresh = CompiledModel(scenario, solver=self.solver)
        return self._solve(variant, fresh, Reader(fresh.model, self.layout, fresh.engine))

    def _solve(self, variant: Variant, compiled: CompiledModel, reader: Reader
               ) -> dict[str, Any]:
        out = compiled.solve(variant.mode)  # type: ignore[arg-type]
        row = _blank(variant, self.layout, self.meta, reader.template)
        row["solver_version"] = out.solver_version or self.meta.solver_version
        if out.optimal:
            row["status"] = "optimal"
            reader.fill(row, out)
            reader.prices_of(row, compiled, variant.mode, out)
        elif out.status.value == "infeasible":
            row["status"] = "infeasible"
            self._infeasible(row, compiled, compiled.scenario)
        else:
            row["status"] = "not_solved" if out.status.value == "not_solved" else "error"
            stopped = [s for s in out.stages if s.status.value != "optimal"]
            where = f" at stage {stopped[0].name}" if stopped else ""
            row["reason"] = _one_line(f"the solver stopped with status {out.status.value}"
                                      f"{where}")
        return row

    def _infeasible(self, row: dict[str, Any], compiled: CompiledModel,
                    scenario: Scenario) -> None:
        from cfe_opt.analysis.conflict import conflict_set
        from cfe_opt.concession import smallest_concession

        concession = smallest_concession(compiled)
        conflict = conflict_set(compiled, method=CONFLICT_METHOD)

        row["reason"] = _one_line(_infeasible_reason(None, conflict))
        if len(concession):
            row["concession_total"] = clean(float(concession["change"].abs().sum()))
            row["concession"] = [{"name": str(n), "owner": str(r["owner"]),
                                  "change": float(r["change"])}
                                 for n, r in concession.iterrows()]
        row["conflict"] = [{"name": str(n), "owner": str(r["owner"]), "kind": str(r["kind"])}
                           for n, r in conflict.iterrows() if r["kind"] in HARD_KINDS]


def _canonical(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("run.")}
