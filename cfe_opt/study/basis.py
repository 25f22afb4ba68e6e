"""Optima of many weightings at once, from one optimal basis (for robustness).

When a sample changes only the objective's costs (party and position weights, in the weighted
or lexicographic mode), the base's optimal basis B stays optimal for the new costs c' exactly
when it stays dual feasible: with y' = B⁻ᵀ c'_B, every nonbasic column's reduced cost
c'_j − a_jᵀ y' and every nonbasic row's dual y'_i has the sign its bound requires. The optimum
is then c'·x* at the base's vertex x*. For K samples that is one matrix product: Y = B⁻ᵀ C_B
(B⁻ᵀ from m solves with HiGHS's own factor) and D = C − Aᵀ Y. Only the samples that leave the
basis are re-solved (warm, on the same compiled model).

Checked against a full re-solve of every sample in ``tests/test_study_basis.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cfe_opt.errors import CfeOptError
from cfe_opt.scenario import Scenario
from cfe_opt.solve import CompiledModel, SolveStatus
from cfe_opt.solve.kept_basis import dual_feasible, nonbasic

DUAL_TOL = 1e-9  # relative to the largest cost: a reduced cost this far on the wrong side
COST_ONLY_MODES = ("weighted", "lexicographic")


@dataclass
class SampledOptima:
    """Each sample's optimum of the defining stage, and how it was found."""

    optima: np.ndarray  # by sample
    from_basis: np.ndarray  # bool: the base's basis stayed optimal (no solve needed)
    resolved: int  # samples solved again


def sampled_optima(scenario: Scenario, samples: Sequence[Mapping[str, Any]],
                   mode: str = "weighted") -> SampledOptima:
    """The defining stage's optimum under each sample (field path → value), for samples that
    change only the objective's costs. Raises CfeOptError for a field that moves anything else
    (a target moves a row, a scale in minimax a row's coefficient): re-solve those instead."""
    if mode not in COST_ONLY_MODES:
        raise CfeOptError(f"the basis shortcut needs an objective whose weights are costs only "
                          f"(weighted or lexicographic), not {mode}")
    cm = CompiledModel(scenario, variants=True)
    model = cm.model
    cost = cm.stage_plan(mode).costs[0]
    slots = _cost_only_slots(cm, samples)
    status = cm.engine.solve_prepared(cost.prepared(model))
    if status is not SolveStatus.OPTIMAL:
        raise CfeOptError(f"{scenario.display}: the base's {mode} stage is {status.value}")
    x = cm.engine.x.copy()
    costs = _cost_matrix(model, cost, slots, samples)  # columns × samples
    stays = _dual_feasible(cm, costs)
    optima = costs.T @ x
    resolved = 0
    for k in np.flatnonzero(~stays):
        applied = cm.apply(dict(samples[k]))
        if not applied.in_place:
            raise CfeOptError(f"sample {k}: {applied.reason}")
        got = cm.engine.solve_prepared(cost.prepared(model), duals=False)
        if got is not SolveStatus.OPTIMAL:
            optima[k] = np.nan
        else:
            optima[k] = float(cost.vector(model) @ cm.engine.x)
        resolved += 1
    cm.apply({})
    return SampledOptima(optima=optima, from_basis=stays, resolved=resolved)


def _cost_only_slots(cm: CompiledModel, samples: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The slots the samples set, checked to reach nothing but objective costs."""
    slots = {}
    for path in sorted({p for s in samples for p in s}):
        try:
            moved = cm.rows_moved_by(path)
        except KeyError:
            raise CfeOptError(f"{path}: not a number the model tracks") from None
        rows = [name for name in moved if not name.startswith("objective.hold.")]
        if rows:
            raise CfeOptError(f"{path} moves the row {rows[0]}, not only costs: re-solve the "
                              "samples (a study does)")
        slots[path] = cm.model.params.slot_of[path]
    return slots


def _cost_matrix(model: Any, cost: Any, slots: dict[str, int],
                 samples: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The defining stage's costs for every sample (columns × samples), the tracked ones
    evaluated on arrays of the samples' values (the closures take numpy arrays as numbers)."""
    k = len(samples)
    theta: list[Any] = list(model.params.base)
    for path, slot in slots.items():
        theta[slot] = np.array([float(s.get(path, model.params.base[slot])) for s in samples])
    base = cost.vector(model)
    out = np.repeat(base[:, None], k, axis=1)
    for position, deps, fn in cost.compiled():
        if not deps.isdisjoint(slots.values()):
            out[cost.cols[position], :] = fn(theta)
    return out


def _dual_feasible(cm: CompiledModel, costs: np.ndarray) -> np.ndarray:
    """For each column of ``costs``, does the engine's current basis stay dual feasible?"""
    import highspy

    h = cm.engine.h
    basis = h.getBasis()
    col_status = np.array([int(s) for s in basis.col_status])
    row_status = np.array([int(s) for s in basis.row_status])
    status, basic = h.getBasicVariables()
    if status != highspy.HighsStatus.kOk:
        raise CfeOptError("HiGHS gives no basis to work from")
    m = len(basic)
    c_b = np.zeros((m, costs.shape[1]))
    structural = basic >= 0
    c_b[structural] = costs[basic[structural]]
    # B⁻ᵀ: one transpose solve per unit vector, with HiGHS's own factor
    inverse_t = np.empty((m, m))
    for i in range(m):
        unit = np.zeros(m)
        unit[i] = 1.0
        inverse_t[:, i] = h.getBasisTransposeSolve(unit)[1]
    y = inverse_t @ c_b  # rows × samples
    model = cm.model
    n = cm.engine.cols
    from scipy.sparse import csr_matrix

    e = cm.engine.entries
    a = csr_matrix((np.asarray(model.entry_value[:e]),
                    (np.asarray(model.entry_row[:e]), np.asarray(model.entry_col[:e]))),
                   shape=(m, n))
    reduced = costs[:n] - a.T @ y  # columns × samples
    scale = np.maximum(np.abs(costs).max(axis=0), 1e-300)
    engine = cm.engine
    return dual_feasible(nonbasic(np.concatenate((col_status, row_status))),
                         np.vstack((reduced, y)),
                         np.concatenate((engine.col_lower, engine.row_lower)),
                         np.concatenate((engine.col_upper, engine.row_upper)), DUAL_TOL * scale)
