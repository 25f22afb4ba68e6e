"""``cfe-opt study report``: the study's tables and figures in one folder, with a text summary.

What it holds, each where the study allows it:

- ``status.csv``: variants by objective mode and status;
- ``deviations.csv`` / ``deviations.png``: each party's deviation across the optimal variants;
- ``status_map.png``: the status of each variant over the first two axes (or along one);
- ``robustness.csv``, ``robustness_points.csv``, ``robustness.png``: how robust a package is
  (the base scenario's, or a stored variant's) — for studies that vary weights and positions;
- ``prim_trajectory.csv``, ``prim_box.csv``, ``cart_leaves.csv``, ``cart_tree.txt``,
  ``prim_tradeoff.png``, ``prim_box.png``: scenario discovery of an outcome (default: no
  feasible package);
- ``sensitivity.csv`` / ``sensitivity.png``: each party's deviation's sensitivity to the
  sampled axes (Sobol' for a ``saltelli`` sample, Morris for ``morris``, δ otherwise), for the
  first objective mode and the first value of every grid axis.

Everything is computed before anything is written; each file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.study.results import StudyResults

DEFAULT_OUTCOME = "status = 'infeasible'"


@dataclass
class Report:
    tables: dict[str, Any] = field(default_factory=dict)  # file name → DataFrame or text
    figures: dict[str, Any] = field(default_factory=dict)  # file name → Axes
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build_report(results: StudyResults, outcome: str = DEFAULT_OUTCOME,
                 package: str = "base", within: float = 0.05) -> Report:
    from cfe_opt.plots.study import plot_deviation_distributions, plot_status_map, study_context

    report = Report()
    study = results.study()
    context = study_context(study)
    status = results.status()
    report.lines.append(status.text())
    if status.done == 0:
        raise CfeOptError(f"{results.store.root}: no variant has been evaluated yet")
    variants = results.df()
    counts = variants.groupby(["mode", "status"]).size().rename("variants").reset_index()
    report.tables["status.csv"] = counts.set_index(["mode", "status"])
    parties = [c for c in variants.columns if c.startswith("party_deviation.")]
    optimal = variants[variants["status"] == "optimal"]
    if parties and len(optimal):
        long = optimal.melt(id_vars=["mode"], value_vars=parties, var_name="party",
                            value_name="deviation")
        long["party"] = long["party"].str.split(".", n=1).str[1]
        stats = long.groupby(["mode", "party"], sort=False)["deviation"].describe(
            percentiles=[0.1, 0.5, 0.9])
        report.tables["deviations.csv"] = stats
        report.figures["deviations.png"] = plot_deviation_distributions(optimal,
                                                                        context=context)
        worst = stats["mean"].groupby(level="party").max().sort_values(ascending=False)
        report.lines.append("Mean deviation by party (largest mode): " + ", ".join(
            f"{p} {v:.3g}" for p, v in worst.items()))
    axes_columns = [c for c in results.relation("design").columns
                    if c not in ("point", "sample", "mode", "key")]
    if axes_columns:
        pair = axes_columns[:2]
        report.figures["status_map.png"] = plot_status_map(
            variants, pair[0], pair[1] if len(pair) > 1 else None, context=context)
    _robustness(report, results, study, package, within, context)
    _discovery(report, results, outcome, context)
    _sensitivity(report, results, study, context)
    return report


def _robustness(report: Report, results: StudyResults, study: Any, package: str,
                within: float, context: dict[str, Any] | None = None) -> None:
    from cfe_opt.api import solve
    from cfe_opt.plots.study import plot_robustness
    from cfe_opt.study.robustness import (
        check_position_study,
        package_of_result,
        package_of_variant,
        robustness,
    )

    try:
        check_position_study(list(study.fields))
    except CfeOptError as exc:
        report.lines.append(f"Robustness: skipped — {exc}")
        return
    if package == "base":
        mode = study.spec.objectives[0]
        chosen = package_of_result(solve(study.base, objective=mode), f"the base package "
                                   f"({mode})")
    else:
        chosen = package_of_variant(results, package)
    found = robustness(results, chosen, within=within)
    report.tables["robustness.csv"] = found.summary
    report.tables["robustness_points.csv"] = found.points
    report.figures["robustness.png"] = plot_robustness(found.summary, context=context)
    report.lines.append(
        f"Robustness of {chosen.label}: optimal in {found.share('optimal'):.0%}, within "
        f"{within:.0%} of the optimum in {found.share('within'):.0%} of "
        f"{len(found.points):,} optimal variants")


def _discovery(report: Report, results: StudyResults, outcome: str,
               context: dict[str, Any] | None = None) -> None:
    from cfe_opt.plots.study import plot_prim_box, plot_prim_tradeoff
    from cfe_opt.study.discovery import discover, inputs_and_outcome

    try:
        found = discover(results, outcome)
    except CfeOptError as exc:
        report.lines.append(f"Scenario discovery: skipped — {exc}")
        return
    # every column named (tidy): the peeling step, the input a box restricts, the leaf
    report.tables["prim_trajectory.csv"] = found.trajectory.rename_axis("step")
    report.tables["prim_box.csv"] = found.box.rename_axis("input")
    report.tables["cart_leaves.csv"] = found.leaves.rename_axis("leaf")
    report.tables["cart_tree.txt"] = found.tree_rules
    if len(found.trajectory):
        report.figures["prim_tradeoff.png"] = plot_prim_tradeoff(found.trajectory,
                                                                 context=context)
    x, y = inputs_and_outcome(results, outcome)
    features = pd.get_dummies(x, prefix_sep="=", dtype=float)
    chosen = list(found.box.index) + [c for c in features.columns
                                      if c not in found.box.index]
    if len(chosen) >= 2:
        report.figures["prim_box.png"] = plot_prim_box(features, y, found.box, chosen[0],
                                                       chosen[1], context=context)
    box = " and ".join(f"{n} in [{r['min']:.6g}, {r['max']:.6g}]"
                       for n, r in found.box.iterrows()) or "no box"
    step = found.trajectory.attrs.get("selected")
    chosen_row = found.trajectory.loc[step] if step is not None else None
    quality = (f" (coverage {chosen_row['coverage']:.0%}, density {chosen_row['density']:.0%})"
               if chosen_row is not None else "")
    report.lines.append(f"Scenario discovery of {outcome!r} ({found.base_rate:.0%} of the "
                        f"variants): PRIM box {box}{quality}; CART rule with the highest share: "
                        f"{found.leaves.iloc[0]['rule']} ({found.leaves.iloc[0]['share']:.0%})")


def _sensitivity(report: Report, results: StudyResults, study: Any,
                 context: dict[str, Any] | None = None) -> None:
    from cfe_opt.plots.study import plot_sensitivity
    from cfe_opt.study.design import Design
    from cfe_opt.study.sensitivity import sensitivity

    sample = study.spec.sample
    if sample is None:
        report.lines.append("Sensitivity: skipped — the study samples no axis")
        return
    method = {"saltelli": "sobol", "morris": "morris"}.get(sample.method, "delta")
    mode = study.spec.objectives[0]
    design = Design.of(study)
    where = [f"mode = '{mode}'"]
    for settings in design.grid:
        for column, value in settings[0][0]:
            literal = "NULL" if value is None else (f"'{value}'" if isinstance(value, str)
                                                    else repr(value))
            where.append(f"{_quote(column)} IS NOT DISTINCT FROM {literal}")
    clause = " AND ".join(where)
    outputs = []
    for column in (c for c in results.columns if c.startswith("party_deviation.")):
        spread = results.connection.execute(
            f"SELECT max({_quote(column)}) - min({_quote(column)}) FROM variants "
            f"WHERE {clause}").fetchall()[0][0]
        if spread is not None and spread > 0:
            outputs.append(column)
    if not outputs:
        report.lines.append("Sensitivity: skipped — no party's deviation varies in the slice "
                            f"{clause}")
        return
    tables, skipped = [], {}
    for output in outputs:
        try:
            table = sensitivity(results, output, method, where=clause)
        except CfeOptError as exc:
            skipped[output] = str(exc)
            continue
        tables.append(table.reset_index().assign(output=output))
    for reason in dict.fromkeys(skipped.values()):
        names = [o.split(".", 1)[1] for o, r in skipped.items() if r == reason]
        report.lines.append(f"Sensitivity of {', '.join(names)}: skipped — {reason}")
    if not tables:
        return
    long = pd.concat(tables, ignore_index=True)
    long = long[["output", "axis", *[c for c in long.columns if c not in ("output", "axis")]]]
    long.attrs.update({"method": method, "index": {"sobol": "ST", "morris": "mu_star",
                                                   "delta": "delta"}[method]})
    report.tables["sensitivity.csv"] = long.set_index(["output", "axis"])
    report.figures["sensitivity.png"] = plot_sensitivity(long, context=context)
    report.lines.append(f"Sensitivity ({method}; {clause}): {len(tables)} party deviations × "
                        f"{long['axis'].nunique()} axes")


def write_report(report: Report, out: Path) -> list[str]:
    from cfe_opt.io import write_atomic, write_csv, write_figure

    written = []
    for name, item in report.tables.items():
        if isinstance(item, str):
            write_atomic(out / name, item)
        else:
            write_csv(item, out / name)
        written.append(name)
    for name, ax in report.figures.items():
        write_figure(ax.figure, out / name)
        written.append(name)
    write_atomic(out / "report.txt", report.text() + "\n")
    written.append("report.txt")
    return written
