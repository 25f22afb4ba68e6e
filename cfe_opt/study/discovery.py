"""Scenario discovery: which inputs drive an outcome of interest (e.g. "no deal").

The outcome is a condition on the ``variants`` view in SQL (``status = 'infeasible'``,
``"party_deviation.RUS" > 0.3``); the inputs are the study's axis columns (cases and text axes
enter one-hot, as ``axis=value`` columns of 0 and 1). Two methods, each from a maintained
package:

- PRIM (patient rule induction, the ``prim`` package): a box — a range for some inputs — where
  the outcome is dense, peeled step by step. Each step of the peeling trajectory trades
  *coverage* (the share of all cases of interest inside the box) against *density* (the share
  of the box's points that are cases of interest); ``mass`` is the box's share of all points.
- CART (``sklearn.tree.DecisionTreeClassifier``): a small tree whose leaves are rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.study.results import StudyResults

DESIGN_COLUMNS = ("point", "sample", "mode", "key")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def inputs_and_outcome(results: StudyResults, outcome: str, inputs: list[str] | None = None,
                       where: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The axis columns (numeric ones unless named) and the 0/1 outcome, per design point."""
    import duckdb

    design = [c for c in results.relation("design").columns if c not in DESIGN_COLUMNS]
    names = inputs or design
    unknown = [n for n in names if n not in design]
    if unknown:
        raise CfeOptError(f"{', '.join(unknown)}: not an axis of the study (axes: "
                          f"{', '.join(design)})")
    clause = f" WHERE {where}" if where else ""
    try:
        frame = results.connection.sql(
            f"SELECT {', '.join(_quote(n) for n in names)}, CAST(({outcome}) AS INTEGER) "
            f"AS _outcome FROM variants{clause} ORDER BY point").df()
    except duckdb.Error as exc:
        raise CfeOptError(f"outcome {outcome!r}: {' '.join(str(exc).split())}") from None
    if frame.empty:
        raise CfeOptError("no variants to analyse (is the store empty?)")
    y = frame.pop("_outcome").fillna(0).astype(int).to_numpy()
    return frame, y


@dataclass
class Discovery:
    outcome: str
    base_rate: float  # share of points with the outcome
    trajectory: pd.DataFrame  # PRIM peeling trajectory: coverage, density, mass, res dim
    box: pd.DataFrame  # the chosen box: input → min, max (restricted inputs only)
    tree_rules: str  # the CART tree as text
    leaves: pd.DataFrame  # rule → points, share with the outcome


def discover(results: StudyResults, outcome: str, inputs: list[str] | None = None,
             where: str | None = None, density: float = 0.8, max_depth: int = 3,
             peel_alpha: float = 0.05) -> Discovery:
    """PRIM box and CART tree for ``outcome`` over the study's axes.

    The PRIM box chosen is the last step of the trajectory with density ≥ ``density``
    (or the densest if none reaches it): the widest box that dense.
    """
    import prim
    from sklearn.tree import DecisionTreeClassifier, export_text

    x, y = inputs_and_outcome(results, outcome, inputs, where)
    if y.sum() == 0 or y.sum() == len(y):
        raise CfeOptError(f"outcome {outcome!r} holds for {'no' if y.sum() == 0 else 'every'} "
                          "variant: nothing to discover")
    features = pd.get_dummies(x, prefix_sep="=", dtype=float)
    varying = features.loc[:, features.nunique() > 1]
    trajectory = pd.DataFrame(columns=["coverage", "density", "mean", "res dim", "mass"])
    box = pd.DataFrame(columns=["min", "max"])
    if not varying.empty:
        finder = prim.Prim(varying, y, threshold=0.5, threshold_type=">",
                           peel_alpha=peel_alpha)
        found = finder.find_box()
        trajectory = found.peeling_trajectory.reset_index(drop=True)
        dense = trajectory.index[trajectory["density"] >= density]
        step = int(dense[0]) if len(dense) else int(trajectory["density"].idxmax())
        found.select(step)
        limits = found.limits
        box = limits[["min", "max"]].astype(float)
        trajectory.attrs["selected"] = step
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(1, len(y) // 50),
                                  random_state=0).fit(features, y)
    rules = export_text(tree, feature_names=list(features.columns))
    leaves = _leaves(tree, features, y)
    return Discovery(outcome=outcome, base_rate=float(y.mean()), trajectory=trajectory,
                     box=box, tree_rules=rules, leaves=leaves)


def _leaves(tree: Any, features: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """One row per leaf: its rule (the conditions down to it), points and outcome share."""
    t = tree.tree_
    names = list(features.columns)
    rules: dict[int, str] = {}

    def walk(node: int, path: list[str]) -> None:
        if t.children_left[node] == t.children_right[node]:
            rules[node] = " and ".join(path) or "all"
            return
        name, cut = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*path, f"{name} <= {cut:.6g}"])
        walk(t.children_right[node], [*path, f"{name} > {cut:.6g}"])

    walk(0, [])
    leaf_of = tree.apply(features)
    rows = []
    for node, rule in rules.items():
        inside = leaf_of == node
        rows.append({"rule": rule, "points": int(inside.sum()),
                     "share": float(y[inside].mean()) if inside.any() else float("nan")})
    return pd.DataFrame(rows).sort_values(["share", "points"], ascending=[False, False],
                                          kind="stable").reset_index(drop=True)
