"""Objectives as stages: weighted · minimax · lexicographic, then the status-quo tie-break.

Each objective mode is a list of stages. The solver minimises each stage's objective in turn
and holds each optimum as a limit for the stages after it (``Σ ≤ optimum + tolerance``). The
last *main* stage gives the reported objective value and the shadow prices; the tie-break
stages only choose, among the optimal packages, the one closest to the status quo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import Lin, lin_sum
from cfe_opt.model.params import total
from cfe_opt.modes import OBJECTIVE_MODES, ObjectiveMode
from cfe_opt.scenario.quantities import status_quo

__all__ = ["OBJECTIVE_MODES", "ObjectiveMode", "Stage", "stages"]


@dataclass(frozen=True)
class Stage:
    name: str
    build: Callable[[Model], Lin]  # adds any rows it needs (once), returns Σ
    main: bool  # part of the objective proper (False: tie-break)


def stages(mode: ObjectiveMode, model: Model) -> list[Stage]:
    """The stages of an objective mode, tie-break stages included (if the scenario asks)."""
    if mode == "weighted":
        main = [Stage("weighted", weighted_sum, True)]
    elif mode == "minimax":
        main = [Stage("minimax", minimax_level, True),
                Stage("weighted", weighted_sum, True)]
    elif mode == "lexicographic":
        levels = sorted({t.position.priority for t in model.positions}) or [1]
        main = [Stage(f"priority_{level}", _priority_sum(level), True) for level in levels]
    else:
        raise ValueError(f"unknown objective mode {mode!r}")
    if model.index.spec.settings.tie_break == "status_quo":
        main += [Stage("tie_break_holdings", status_quo_holdings, False),
                 Stage("tie_break_ceilings", status_quo_ceilings, False)]
    # always last, whatever the tie-break setting: one fixed package among the equally good
    return [*main, Stage("tie_break_unique", unique_package, False)]


def weighted_sum(model: Model) -> Lin:
    """Σ_n w_n · (U_n/s⁻_n + V_n/s⁺_n): the weighted sum of normalised deviations."""
    return lin_sum(t.weighted() for t in model.positions)


def minimax_level(model: Model) -> Lin:
    """Z, with Z ≥ w_n · (U_n/s⁻_n + V_n/s⁺_n) for every position n: the largest weighted
    normalised deviation. The rows are added once; later calls reuse them."""
    if not model.has_var(("stage_level", "minimax")):
        model.add_variables("stage_level", [("minimax",)], integer=False)
        level = model.var(("stage_level", "minimax"))
        for t in model.positions:
            model.add_row(("minimax", t.party, t.name), level - t.weighted(), ">=", 0,
                          RowInfo(family="objective", owner="model", kind="objective",
                                  label=f"minimax level covers {t.party} position {t.name}",
                                  keys=(t.party, t.name)))
    return model.var(("stage_level", "minimax"))


def _priority_sum(level: int) -> Callable[[Model], Lin]:
    def priority_sum(model: Model) -> Lin:
        """Σ_{n: priority n = level} w_n · (U_n/s⁻_n + V_n/s⁺_n)."""
        return lin_sum(t.weighted() for t in model.positions
                       if t.position.priority == level)
    return priority_sum


def status_quo_holdings(model: Model) -> Lin:
    """Σ |H − H⁰| + Σ |X − X⁰|: change least where equipment stands (L1, in units).

    Holdings can only fall unless ``holdings_may_rise``, so |H − H⁰| = H⁰ − H = R there: the
    reductions themselves, with no distance variable (``_distance`` for the others)."""
    index = model.index
    keys = [("equipment", *k) for k in index.equipment_keys()]
    holdings = [("holdings", p, c) for p in index.parties for c in index.party_categories[p]]
    if index.spec.settings.holdings_may_rise:
        return _distance(model, "holdings", holdings + keys)
    reductions = Lin({model.col(("reduction", *k[1:])): 1.0 for k in holdings})
    return reductions + _distance(model, "holdings", keys)


def status_quo_ceilings(model: Model) -> Lin:
    """Σ |C − C⁰| over ceilings with a current figure C⁰, + Σ C over ceilings without one,
    + Σ TD + Σ CUT[mandated]: ceilings change least, where nothing is known they stay as tight
    as holdings, and a cut is made by national decision unless a limit requires the mandated
    form."""
    with_figure, figures, without = [], [], []
    for family in ("national_ceiling", "territorial_ceiling", "territorial_subceiling",
                   "active_subceiling"):
        for key in model.variables.get(family, {}):
            full = (family, *key)
            figure = status_quo(model.index, full)
            if figure is None:
                without.append(full)
            else:
                with_figure.append(full)
                figures.append(figure)
    free = lin_sum(model.var(k) for k in without)
    deployments = Lin(dict.fromkeys(model.variables.get("temporary_deployment", {}).values(),
                                    1.0))
    mandated = Lin({col: 1.0 for key, col in model.variables.get("ceiling_cut", {}).items()
                    if key[0] == "mandated"})
    return (_distance(model, "ceilings", with_figure, figures) + free + deployments
            + mandated)


# the figures a package consists of: what the last tie-break makes unique
PACKAGE_FAMILIES = ("national_ceiling", "holdings", "reduction", "territorial_ceiling",
                    "territorial_subceiling", "active_subceiling", "ceiling_cut",
                    "temporary_deployment", "equipment")


def generic_weight(name: str) -> float:
    """A fixed weight in [1, 2) for a variable, from its name alone (SHA-256): the same for
    the same variable in every build, whatever the order variables were declared in."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return 1.0 + int.from_bytes(digest[:6], "big") / 2.0**48


def unique_package(model: Model) -> Lin:
    """Σ g_v · v over the package's figures, g_v = ``generic_weight`` of v's name: among
    packages equally good in every earlier stage, one fixed choice. A linear function in
    general position has a single minimiser over the set of optimal packages, so the answer
    does not depend on where the solver started (a warm start after another variant, or a
    fresh build) — only on the scenario. It is bounded below even without the status-quo
    stages: every figure is ≥ 0 but a reduction R = H⁰ − H, and raising H raises NC ≥ H with
    g_H + g_NC ≥ 2 > g_R."""
    terms = {}
    for family in PACKAGE_FAMILIES:
        for col in model.variables.get(family, {}).values():
            terms[col] = generic_weight(model.col_names[col])
    return Lin(terms)


DISTANCE_ROWS = "objective.distance."  # how the rows ``_distance`` adds are named


def _distance(model: Model, tag: str, keys: list[tuple], figures: list | None = None) -> Lin:
    """Σ (v + 2·B_v) − Σ v⁰ with v + B_v ≥ v⁰ and B_v ≥ 0 (B_v: how far v is below v⁰): at the
    optimum B_v = max(0, v⁰ − v), so v + 2·B_v − v⁰ = |v − v⁰|, and any feasible point with
    Σ (v + 2·B_v − v⁰) ≤ z keeps Σ |v − v⁰| ≤ z. One column and one row per figure (added
    once); the constant −Σ v⁰ makes the stage's value the distance itself. ``figures``: the
    v⁰ (``status_quo``), when the caller has them."""
    if figures is None:
        figures = [status_quo(model.index, key) for key in keys]
    below = [(tag, "below", *k) for k in keys]
    cols = [model.col(key) for key in keys]
    if below and not model.has_var(("distance", *below[0])):
        # the names ``add_variables`` and ``add_row`` would make, from the columns' own
        named = [model.col_names[c] for c in cols]
        model.add_variables("distance", below, integer=False,
                            names=[f"distance.{tag}.below.{n}" for n in named])
        distance = model.variables["distance"]
        info = RowInfo(family="objective", owner="model", kind="objective",
                       label=f"a figure's shortfall below the status quo ({tag} tie-break)")
        model.add_rows(
            [f"{DISTANCE_ROWS}{tag}.{n}" for n in named],
            # v + B_v (the column as its own term, then its shortfall)
            [(c, distance[b]) for c, b in zip(cols, below, strict=True)],
            (1.0, 1.0), ">=", figures,
            [info] * len(keys))
    distance = model.variables.get("distance", {})
    terms: dict[int, float] = dict.fromkeys(cols, 1.0)
    terms.update(dict.fromkeys((distance[b] for b in below), 2.0))
    return Lin(terms, -total(figures))
