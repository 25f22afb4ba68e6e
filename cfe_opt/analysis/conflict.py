"""Why no deal: the minimal sets of hard limits that cannot all hold (irreducible infeasible
subsystems, IIS), in the negotiators' terms.

HiGHS computes an IIS of the LP directly (option ``iis_strategy``: elastic LP, then reduce to an
irreducible set). Where that is not available (CBC, or HiGHS cannot give one) a deletion filter
over elastic LPs finds one: start from every treaty rule, commitment and red line; drop each in
turn and keep it dropped if the rest still conflict. Definitions (holdings accounting, what a
ceiling means) are always kept: they are what the words mean, not something to negotiate.

There may be several minimal sets (Russia's floor conflicts with Turkey's cap and, on its own,
with Norway's identical one): ``conflict_sets`` finds them all (up to a bound) by a hitting-set
search over the same elastic test (``minimal_sets``), so a report can say that moving Turkey's
cap alone would not do.
"""

from __future__ import annotations

import pandas as pd

from cfe_opt.analysis.minimal_sets import MAX_SETS, minimal_sets
from cfe_opt.concession import elastic_solve
from cfe_opt.model.core import HARD_KINDS, Model
from cfe_opt.results import row_units
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolverName, SolveStatus

IIS_STRATEGY = 2 | 4  # HiGHS: try an elastic LP, then find a true (irreducible) IIS
ELASTIC_TOL = 1e-7
COLUMNS = ["name", "owner", "kind", "family", "label", "sense", "rhs", "field"]

# What a variable bound means, for the variables whose bounds can take part in a conflict.
_BOUND_MEANING = {
    "reduction": ("holdings cannot rise (reduction ≥ 0)", ">=", 0.0),
    "holdings": ("holdings are not negative", ">=", 0.0),
    "national_ceiling": ("a national ceiling is not negative", ">=", 0.0),
    "territorial_ceiling": ("a territorial ceiling is not negative", ">=", 0.0),
    "territorial_subceiling": ("a territorial sub-ceiling is not negative", ">=", 0.0),
    "active_subceiling": ("an active-unit sub-ceiling is not negative", ">=", 0.0),
    "ceiling_cut": ("a ceiling cut is not negative (a ceiling with cuts cannot rise)", ">=",
                    0.0),
    "temporary_deployment": ("a temporary deployment is not negative", ">=", 0.0),
    "equipment": ("equipment is not negative", ">=", 0.0),
}


# where the party whose variable it is stands in a variable's keys (default: first)
_OWNER_AT = {"temporary_deployment": 1, "ceiling_cut": 2}


def conflict_set(scenario: Scenario | CompiledModel, solver: SolverName = "highs",
                 method: str = "auto") -> pd.DataFrame:
    """A minimal set of conflicting limits, indexed by row name; empty if the limits can all hold.

    ``method``: ``highs`` (HiGHS's IIS), ``filter`` (deletion filter over elastic LPs) or
    ``auto`` (HiGHS's when the solver is HiGHS and it finds one, else the filter). The frame's
    ``attrs["method"]`` says which was used. Rows come in model order: the scenario's hard limits
    (owner, kind, sense, number, the field the number comes from), then any definitions or
    variable bounds that take part.
    """
    if method not in ("auto", "highs", "filter"):
        raise ValueError(f"unknown conflict method {method!r}")
    cm = scenario if isinstance(scenario, CompiledModel) else CompiledModel(scenario,
                                                                            solver=solver)
    if method in ("auto", "highs") and cm.solver == "highs":
        frame = _highs_iis(cm)
        if frame is not None:
            frame.attrs["method"] = "highs"
            return frame
        if method == "highs":
            raise ValueError("HiGHS did not produce an IIS")
    frame = _deletion_filter(cm)
    frame.attrs["method"] = "filter"
    return frame


def conflict_sets(scenario: Scenario | CompiledModel, solver: SolverName = "highs",
                  method: str = "auto", max_sets: int = MAX_SETS) -> pd.DataFrame:
    """Every minimal set of conflicting hard limits (up to ``max_sets``), indexed by
    (``set``: 1, 2, …; ``name``) with the columns of ``conflict_set`` and the ``unit`` of each
    limit's number; empty if the limits can all hold.

    The first set is ``conflict_set``'s (HiGHS's IIS or the deletion filter); the others come
    from the hitting-set search of ``minimal_sets`` over the elastic test (min Σ E over the kept
    limits, the others free, is above zero). ``attrs``: ``method``, ``complete`` (every minimal
    set was found), ``in_every_set`` (the limits all sets share: moving one of them alone can
    resolve every conflict)."""
    from cfe_opt.concession import elastic_columns

    cm = scenario if isinstance(scenario, CompiledModel) else CompiledModel(scenario,
                                                                            solver=solver)
    first = conflict_set(cm, method=method)
    if first.empty:
        frame = pd.DataFrame(columns=["set", *COLUMNS, "unit"]).set_index(["set", "name"])
        frame.attrs.update(method=first.attrs.get("method"), complete=True, in_every_set=[])
        return frame
    model = cm.model
    names = list(elastic_columns(model))
    hard_first = [n for n in first.index if n in set(names)]

    def conflicting(kept: set[str]) -> bool:
        status, value = elastic_solve(cm, kept=kept)
        return status is SolveStatus.OPTIMAL and value is not None and value > ELASTIC_TOL

    found = minimal_sets(names, conflicting, first=hard_first or None, max_sets=max_sets)
    frames = {}
    for i, members in enumerate(found.sets, start=1):
        if i == 1:
            frames[1] = first  # with any definitions or bounds HiGHS names
        else:
            frames[i] = _order(pd.DataFrame([_row_record(model, n) for n in members],
                                            columns=COLUMNS))
    frame = pd.concat(frames, names=["set"])
    units = dict(zip((r.name for r in model.row_list), row_units(model), strict=True))
    frame["unit"] = [units.get(str(n), "") for n in frame.index.get_level_values("name")]
    shared = set.intersection(*(set(s) for s in found.sets)) if found.sets else set()
    frame.attrs.update(method=first.attrs.get("method"), complete=found.complete,
                       in_every_set=[n for n in names if n in shared])
    return frame


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS).set_index("name")


def _row_record(model: Model, name: str) -> dict:
    row = model.rows[name]
    return {"name": name, "owner": row.info.owner, "kind": row.info.kind,
            "family": row.info.family, "label": row.info.label, "sense": row.sense,
            "rhs": row.rhs, "field": row.info.field}


def _highs_iis(cm: CompiledModel) -> pd.DataFrame | None:
    found = cm.engine.iis(IIS_STRATEGY)
    if found is None:
        return None
    rows, bounds = found
    if not rows:
        return _empty()
    model = cm.model
    records = [_row_record(model, model.row_list[i].name) for i in sorted(rows)
               if i < model.num_rows]
    records += _bound_records(model, bounds)
    frame = pd.DataFrame(records, columns=COLUMNS)
    return _order(frame)


def _bound_records(model: Model, bounds: list[tuple[int, int]]) -> list[dict]:
    """Variable bounds in the IIS (HiGHS marks them Lower/Upper/Boxed), in the same terms."""
    records = []
    for j, bound in bounds:
        if bound not in (2, 3, 4):  # kIisBoundStatusLower / Upper / Boxed
            continue
        if j >= model.num_cols:
            continue
        family, *key = model.col_keys[j]
        meaning = _BOUND_MEANING.get(family)
        if meaning is None:
            continue
        label, sense, rhs = meaning
        records.append({"name": f"bound.{model.col_names[j]}",
                        "owner": key[_OWNER_AT.get(family, 0)] if key else "model",
                        "kind": "definition", "family": "bound",
                        "label": f"{'.'.join(map(str, key))}: {label}", "sense": sense,
                        "rhs": rhs, "field": ""})
    return records


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Hard limits first (what can be negotiated), then definitions and bounds."""
    rank = frame["kind"].map(lambda k: 0 if k in HARD_KINDS else 1)
    frame = frame.assign(_rank=rank).sort_values(["_rank"], kind="stable").drop(columns="_rank")
    return frame.set_index("name")


def _deletion_filter(cm: CompiledModel) -> pd.DataFrame:
    from cfe_opt.concession import elastic_columns

    model = cm.model
    names = list(elastic_columns(model))

    def conflicting(kept: set[str]) -> bool:
        """Do the kept limits (the others free to move) conflict? min Σ_kept E > 0."""
        status, value = elastic_solve(cm, kept=kept)
        return status is SolveStatus.OPTIMAL and value is not None and value > ELASTIC_TOL

    kept = set(names)
    if not conflicting(kept):
        return _empty()
    for name in names:
        trial = kept - {name}
        if conflicting(trial):
            kept = trial
    frame = pd.DataFrame([_row_record(model, n) for n in names if n in kept], columns=COLUMNS)
    return _order(frame)
