"""The compiled evaluator: every variant of a study on one compiled model, re-solved warm.

Built once per worker: the base scenario is compiled (``CompiledModel`` with guards from its
validation), and what a row reads is located once (the columns of the kept ceilings, the
positions, the hard rows and the priced rows). A variant sets its numbers in place and solves
from the previous basis; its row is read from the solution arrays with the same records and
the same cleaning as the result tables (``results.position_record``, ``clean``), so it equals
the reference evaluator's row; the cleaning works element by element, so a chunk's optimal rows
are cleaned together, in a few array operations instead of a few dozen a row.

A variant the compiled model cannot take in place (a structural change, or a value that
would fail validation) is built afresh from the changed scenario, as the reference does, and
counted (``run.rebuilt``).

**Warm against cold.** Among equally good packages the stage runner's last tie-break settles
one, so a warm start gives the same row as a cold one. That is checked as the study runs: the
variants the runner marks (``Variant.cold_check``: one in ``runner.COLD_EVERY`` of those a run
computes, so at least 1% of every run) are solved again from scratch — every stage without
a basis, on the same model with the variant's numbers — and ``run.cold_check`` records whether
the two rows agree (the study summary counts disagreements). (A check on a freshly built and
validated model would cost a hundred warm variants each; that numbers set in place give what a
fresh build gives is what the test suite checks, on every bundled scenario and on random
studies, against the reference evaluator.)
"""

from __future__ import annotations

import gc
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.model.params import Num, compile_num
from cfe_opt.results import allocation_table, clean, clean_ratio, misses, positions_table
from cfe_opt.rounding import clean_counts, clean_ratios
from cfe_opt.scenario import Scenario, with_changes
from cfe_opt.solve import SOLVERS, CompiledModel, SolveRun
from cfe_opt.solve.kept_basis import matvec
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

MAX_STRUCTURES = 16  # compiled models kept for variants that change structure
CONFLICT_METHOD = "filter"  # a deletion filter: the same set warm or cold (see conflict.py)


class Reader:
    """Where a row's numbers are in one compiled model (located once, read per variant).

    The positions are read as arrays: the forms as a sparse matrix (rows: positions, in the
    model's order; entries in each form's own order, so a product sums in the same order as
    ``results.position_record``), targets, scales and weights as vectors whose tracked numbers
    are re-evaluated when a variant changes them. Each number is then cleaned with the result
    tables' own rules (``cfe_opt.rounding``: equal, bit for bit, to ``clean`` and
    ``clean_ratio``), so a row shows what the tables would show.
    """

    def __init__(self, model: Model, layout: RowLayout, engine: Any = None) -> None:
        from scipy.sparse import csr_matrix

        self.model = model
        self.engine = engine
        self.layout = layout
        terms = model.positions
        kept = set(layout.positions)
        # the kept positions' columns: (index among the model's positions, column names)
        self.kept = [(k, (f"achieved.{t.party}.{t.name}", f"deviation.{t.party}.{t.name}",
                          f"normalised_deviation.{t.party}.{t.name}"))
                     for k, t in enumerate(terms) if (t.party, t.name) in kept]
        self.kept_index = np.array([k for k, _ in self.kept], dtype=np.intp)
        self.template = {name: None for name, _ in layout.columns()}
        self.n_cols = model.num_cols
        # every number a position reads, by where it goes: (None, entry of the forms) or (vector, k)
        self._numbers: list[tuple[Any, int, Any]] = []
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for t in terms:
            for col, coef in t.columns:
                self._numbers.append((None, len(data), coef))
                data.append(0.0)
                indices.append(col)
            indptr.append(len(data))
        count = len(terms)
        self.target, self.scale_under = np.zeros(count), np.ones(count)
        self.scale_over, self.weight = np.ones(count), np.zeros(count)
        for k, t in enumerate(terms):
            for vector, value in ((self.target, t.position.target),
                                  (self.scale_under, t.scale_under),
                                  (self.scale_over, t.scale_over), (self.weight, t.weight)):
                self._numbers.append((vector, k, value))
        self.has_under = np.array([t.under is not None for t in terms], dtype=bool)
        self.has_over = np.array([t.over is not None for t in terms], dtype=bool)
        self.forms = csr_matrix((np.array(data), np.array(indices, dtype=np.int32),
                                 np.array(indptr, dtype=np.int32)),
                                shape=(count, self.n_cols))
        self._tracked = [(where, k, num.deps, compile_num(num))
                         for where, k, num in self._numbers if isinstance(num, Num)]
        # by slot: the tracked numbers reading it (a change re-evaluates only those)
        self._by_slot: dict[int, list[tuple[Any, int, Any]]] = {}
        for where, k, deps, fn in self._tracked:
            for slot in deps:
                self._by_slot.setdefault(slot, []).append((where, k, fn))
        self._version: int | None = None
        # each party's positions (a joint one counts for each holder), as a 0/1 matrix over
        # the positions in their order, for the parties the layout keeps
        holders = [t.holders or (t.party,) for t in terms]
        parties = [p for p in layout.parties if any(p in h for h in holders)]
        self.party_columns = [f"party_deviation.{p}" for p in parties]
        rows_of, cols_of = [], []
        for i, party in enumerate(parties):
            for k, h in enumerate(holders):
                if party in h:
                    rows_of.append(i)
                    cols_of.append(k)
        self.by_party = csr_matrix((np.ones(len(rows_of)), (rows_of, cols_of)),
                                   shape=(len(parties), count))
        self.ceilings = []
        for column, (family, *keys) in layout.ceilings:
            col = model.variables.get(family, {}).get(tuple(keys))
            self.ceilings.append((column, col))
        self.ceiling_columns = [c for c, col in self.ceilings if col is not None]
        self.ceiling_index = np.array([col for _, col in self.ceilings if col is not None],
                                      dtype=np.intp)
        # the row's columns in the order ``fill`` computes their values
        self.count_columns = ([c[0] for _, c in self.kept] + [c[1] for _, c in self.kept]
                              + self.ceiling_columns)
        self.ratio_columns = [c[2] for _, c in self.kept] + ["objective"]
        # (by name: the binding ones come out in the order a row lists them)
        hard = sorted((row for row in model.row_list if row.info.kind in HARD_KINDS),
                      key=lambda row: row.name)
        self.hard_names = [row.name for row in hard]
        self.hard_index = np.array([row.index for row in hard], dtype=np.int64)
        sense = np.array([row.sense for row in hard] or [""], dtype=object)[:len(hard)]
        self.hard_le = np.asarray(sense == "<=", dtype=bool)
        self.hard_ge = np.asarray(sense == ">=", dtype=bool)
        self.hard_eq = np.asarray(sense == "==", dtype=bool)

    def _refresh(self) -> None:
        """The positions' numbers at the model's current parameter values: all of them the
        first time, then only those the last change touched."""
        model = self.model
        version = model.theta_version
        if self._version == version:
            return
        if self._version is None:
            number = model.number
            for where, k, value in self._numbers:
                (self.forms.data if where is None else where)[k] = number(value)
        else:
            touched = model.theta_touched if self._version == version - 1 else None
            theta = model.theta
            data = self.forms.data
            if touched is None:
                for where, k, _deps, fn in self._tracked:
                    (data if where is None else where)[k] = fn(theta)
            else:
                for slot in touched:
                    for where, k, fn in self._by_slot.get(slot, ()):
                        (data if where is None else where)[k] = fn(theta)
        self._version = version

    def deviations(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per position, in the model's order: achieved, deviation in units, normalised and
        weighted deviation (``results.position_record``'s formulas, on arrays; the misses by
        the same ``results.misses``)."""
        self._refresh()
        achieved = matvec(self.forms, x[:self.n_cols])  # SciPy's own kernel, as ``@``
        under, over = misses(self.target, achieved, self.has_under, self.has_over)
        normalised = under / self.scale_under + over / self.scale_over
        return achieved, under + over, normalised, normalised * self.weight

    def fill(self, row: dict[str, Any], out: SolveRun) -> Unclean:
        """An optimal variant's outcome columns, from the solution arrays: all but its
        numbers, which are returned to be cleaned (``clean``), with a chunk's others."""
        model, x = self.model, out.x
        assert x is not None and out.activity is not None
        achieved, deviation, normalised, weighted = self.deviations(x)
        kept = self.kept_index
        objective = math.nan if out.objective is None else out.objective
        unclean = Unclean(self, row, np.concatenate((achieved[kept], deviation[kept],
                                                     x[self.ceiling_index])),
                          np.concatenate((normalised[kept], [objective], weighted)))
        row["binding"] = self.binding(out.activity)
        if self.layout.detail:  # only when asked: the tables themselves
            row.update(detail_columns(allocation_table(model, x), positions_table(model, x)))
        return unclean

    def clean(self, rows: list[Unclean]) -> None:
        """Put the rows' numbers in, cleaned with the result tables' rules — for many rows at
        once: the cleaning is element by element (``cfe_opt.rounding``), so a number comes
        out the same whichever rows it is cleaned with."""
        if not rows:
            return
        kept = len(self.kept)
        counts = clean_counts(np.stack([r.counts for r in rows]))
        ratios = clean_ratios(np.stack([r.ratios for r in rows]))
        # each party's total: the cleaned weighted deviations summed in position order (one
        # sparse product per row, in the order of ``by_party``'s entries)
        parties = clean_ratios((self.by_party @ ratios[:, kept + 1:].T).T)
        named = ((self.count_columns, counts), (self.ratio_columns, ratios[:, :kept + 1]),
                 (self.party_columns, parties))
        for columns, values in named:
            for unclean, numbers in zip(rows, values.tolist(), strict=True):
                unclean.row.update(zip(columns, [None if v != v else v for v in numbers],
                                       strict=True))

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
        names = self.hard_names
        return [names[k] for k in np.flatnonzero(found).tolist()]


@dataclass
class Unclean:
    """An optimal row waiting for its numbers (``Reader.clean``): the counts (achieved and
    deviation of the kept positions, the kept ceilings) and the ratios (normalised deviations
    of the kept positions, the objective, every position's weighted deviation), raw."""

    reader: Reader
    row: dict[str, Any]
    counts: np.ndarray
    ratios: np.ndarray


def clean_rows(rows: list[Unclean]) -> None:
    """Clean the rows' numbers, those of one compiled model together."""
    by_reader: dict[int, list[Unclean]] = {}
    for unclean in rows:
        by_reader.setdefault(id(unclean.reader), []).append(unclean)
    for group in by_reader.values():
        group[0].reader.clean(group)


def _hand_on(mine: list[Unclean], waiting: list[Unclean] | None) -> None:
    """Leave the rows in ``waiting`` to be cleaned with a chunk's others, or, with none, clean
    them now."""
    if waiting is None:
        clean_rows(mine)
    else:
        waiting.extend(mine)


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


class CompiledEvaluator:
    """Evaluates variants on one compiled model of the study's base (see the module doc)."""

    name = "compiled"

    def __init__(self, study: Study, cold_share: int = 0) -> None:
        """``cold_share``: also solve cold one variant in this many by key (1: every one), on
        top of those marked ``cold_check``."""
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
        """One row per variant, in the order given. The optimal rows' numbers are cleaned
        together at the end (``Reader.clean``; its time is shared among them)."""
        was = gc.isenabled()
        gc.disable()  # rows and arrays hold no cycles; collect once per chunk instead
        try:
            waiting: list[Unclean] = []
            rows = [self.evaluate_one(v, waiting) for v in variants]
            start = time.perf_counter()
            clean_rows(waiting)
            share = (time.perf_counter() - start) / max(1, len(waiting))
            for unclean in waiting:
                unclean.row["run.seconds"] += share
            return rows
        finally:
            if was:
                gc.enable()
            gc.collect(0)

    def evaluate_one(self, variant: Variant, waiting: list[Unclean] | None = None
                     ) -> dict[str, Any]:
        """The variant's row; an optimal row's numbers are left to clean in ``waiting`` if
        given, else cleaned at once."""
        start = time.perf_counter()
        mine: list[Unclean] = []
        try:
            compiled, reader, numbers, rebuilt = self._model_for(variant)
            if compiled is not None and compiled.apply(numbers).in_place:
                row = self._solve(variant, compiled, reader, mine)
            else:
                row = self.fresh(variant, mine)
                rebuilt = True
            if not rebuilt and (variant.cold_check or (
                    self.cold_share and int(variant.key[:8], 16) % self.cold_share == 0)):
                again = self._solve(variant, compiled, reader, mine, cold=True)
                clean_rows(mine)
                mine.clear()
                row["run.cold_check"] = rows_agree(row, again)
        except Exception as exc:  # the study goes on: the failure is this variant's row
            row = failure_row(variant, self.layout, self.meta, "error",
                              f"{type(exc).__name__}: {exc}")
            mine.clear()
            rebuilt = True
        _hand_on(mine, waiting)
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

    def fresh(self, variant: Variant, waiting: list[Unclean] | None = None) -> dict[str, Any]:
        """The variant built afresh from the changed scenario (validated), solved from
        scratch: the row the reference evaluator gives (its numbers left in ``waiting`` if
        given, else cleaned at once)."""
        try:
            scenario = with_changes(self.study.base, variant.changes)
        except (ScenarioError, ScenarioErrors) as exc:
            return invalid_row(variant, self.layout, self.meta, exc)
        fresh = CompiledModel(scenario, solver=self.solver)
        mine: list[Unclean] = []
        row = self._solve(variant, fresh, Reader(fresh.model, self.layout, fresh.engine),
                          mine)
        _hand_on(mine, waiting)
        return row

    def _solve(self, variant: Variant, compiled: CompiledModel, reader: Reader,
               waiting: list[Unclean], cold: bool = False) -> dict[str, Any]:
        """The variant solved on ``compiled``; an optimal row's numbers left in ``waiting``
        to be cleaned."""
        out = compiled.solve(variant.mode, cold=cold)  # type: ignore[arg-type]
        row = _blank(variant, self.layout, self.meta, reader.template)
        row["solver_version"] = out.solver_version or self.meta.solver_version
        if out.optimal:
            row["status"] = "optimal"
            waiting.append(reader.fill(row, out))
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


AGREE = 1e-8  # relative: one unit in the ninth significant digit a cleaned number keeps
RATIO_ABS = 1e-12  # numbers this small are 0 after cleaning


def rows_agree(warm: dict[str, Any], cold: dict[str, Any]) -> bool:
    """Whether two rows of one variant give the same package: every column equal, numbers to
    one unit in their last cleaned digit (``AGREE``). A number lying at a rounding boundary
    of the cleaning can come out one unit apart from two solves of the same vertex (floating
    point noise of ~10⁻¹³ on a different path); a different package differs far more."""
    a, b = _canonical(warm), _canonical(cold)
    if a.keys() != b.keys():
        return False
    for key, x in a.items():
        y = b[key]
        if x == y:
            continue
        if isinstance(x, float) and isinstance(y, float) and math.isclose(
                x, y, rel_tol=AGREE, abs_tol=RATIO_ABS):
            continue
        return False
    return True

