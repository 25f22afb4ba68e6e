"""Global sensitivity of an outcome (a party's deviation, the objective) to the sampled axes,
with SALib.

- ``sobol``: Sobol' indices (first order S1 and total ST, with confidence intervals), from a
  study sampled with ``method: saltelli`` (SALib's design; the analysis needs its structure).
- ``morris``: elementary effects (μ*, σ), from a study sampled with ``method: morris``.
- ``delta``: Borgonovo's moment-independent δ and a first-order S1 estimate, from any sample
  (random, Latin hypercube, Sobol').

One analysis per grid setting and objective mode would be the honest reading when a study also
has grid axes; this module asks for one such slice (``where``) and refuses a slice whose design
is incomplete. An outcome that is null (the variant not optimal) makes the design incomplete for
``sobol`` and ``morris``; ``delta`` uses the points that have it and says how many.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.study.results import StudyResults

METHODS = ("sobol", "morris", "delta")
RESAMPLES = 100  # bootstrap resamples for the confidence intervals


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sensitivity(results: StudyResults, output: str, method: str = "delta",
                where: str | None = None, resamples: int | None = None) -> pd.DataFrame:
    """Sensitivity indices of ``output`` (a column of ``variants``) to each sampled axis;
    ``resamples``: bootstrap resamples for the confidence intervals (default 100)."""
    import duckdb

    resamples = RESAMPLES if resamples is None else resamples
    if method not in METHODS:
        raise CfeOptError(f"unknown sensitivity method {method!r} (choose {', '.join(METHODS)})")
    study = results.study()
    sample = study.spec.sample
    if sample is None:
        raise CfeOptError("sensitivity needs a sampled study (a 'sample:' section)")
    needed = {"sobol": "saltelli", "morris": "morris"}.get(method)
    if needed and sample.method != needed:
        raise CfeOptError(f"{method} indices need a study sampled with method: {needed} (this "
                          f"one uses {sample.method}); use method delta for any sample")
    names = list(sample.axes)
    numeric = [n for n, a in sample.axes.items() if getattr(a, "distribution", "") != "choice"]
    if len(numeric) < len(names):
        raise CfeOptError("sensitivity indices need numeric sampled axes (a choice axis is "
                          "not)")
    clause = f" AND ({where})" if where else ""
    try:
        frame = results.connection.sql(
            f"SELECT sample, {', '.join(_quote(n) for n in names)}, {_quote(output)} AS _y "
            f"FROM variants WHERE true{clause} ORDER BY point").df()
    except duckdb.Error as exc:
        raise CfeOptError(f"sensitivity of {output!r}: {' '.join(str(exc).split())}") from None
    if frame["sample"].duplicated().any():
        raise CfeOptError("the slice holds a draw more than once (several grid settings or "
                          "objective modes): narrow it with where, e.g. mode = 'weighted'")
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[float(frame[n].min()), float(frame[n].max())] for n in names]}
    x = frame[names].to_numpy(dtype=float)
    y = frame["_y"].to_numpy(dtype=float)
    complete = len(frame) == sample.draws and not np.isnan(y).any()
    with warnings.catch_warnings(record=True) as notices:  # SALib's notices: kept as notes
        warnings.simplefilter("always")
        if method == "sobol":
            _require(complete, frame, sample.draws, y)
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, seed=0,
                                 num_resamples=resamples)
            table = pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                                  "ST_conf": res["ST_conf"]}, index=names)
        elif method == "morris":
            _require(complete, frame, sample.draws, y)
            from SALib.analyze import morris

            units = _units(study, frame, names)
            unit_problem = dict(problem, bounds=[[0.0, 1.0]] * len(names))
            res = morris.analyze(unit_problem, units, y, num_levels=sample.levels, seed=0,
                                 num_resamples=resamples)
            table = pd.DataFrame({"mu_star": res["mu_star"], "mu_star_conf":
                                  res["mu_star_conf"], "sigma": res["sigma"]}, index=names)
        else:
            from SALib.analyze import delta

            keep = ~np.isnan(y)
            if keep.sum() < 20:
                raise CfeOptError(f"delta needs at least 20 points with {output}; "
                                  f"{int(keep.sum())} have it")
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(
                    io.StringIO()):  # SALib prints bin and bias notices
                res = delta.analyze(problem, x[keep], y[keep], seed=0,
                                    num_resamples=resamples)
            table = pd.DataFrame({"delta": res["delta_raw"], "delta_conf":
                                  res["delta_raw_conf"], "S1": res["S1"],
                                  "S1_conf": res["S1_conf"]}, index=names)
    table.index.name = "axis"
    table.attrs.update({"output": output, "method": method, "points": int((~np.isnan(y)).sum()),
                        "notes": list(dict.fromkeys(str(n.message) for n in notices))})
    return table


def _require(complete: bool, frame: pd.DataFrame, draws: int, y: np.ndarray) -> None:
    if not complete:
        missing = draws - len(frame) + int(np.isnan(y).sum())
        raise CfeOptError(f"the design is incomplete: {missing} of its {draws} draws have no "
                          "value (not run yet, or not optimal); these indices need them all")


def _units(study, frame: pd.DataFrame, names: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Morris works on the design's own grid: the unit draws, in sample order."""
    from cfe_opt.study.sampling import unit_draws

    units = unit_draws(study.spec.sample)
    order = frame["sample"].to_numpy(dtype=int)
    return np.column_stack([units[n][order] for n in names])
