"""Batch studies: thousands of variants of a scenario, evaluated in chunks, stored durably.

Layers, one way: definition (the study file) → design (grid × sample × objective modes) →
evaluation (``evaluate.py``) → store (Parquet) → results and analyses. See docs/studies.md.

    >>> import cfe_opt.study
    >>> cfe_opt.study.run("studies/flank.yaml", "out/flank")     # or: cfe-opt study run …
    >>> results = cfe_opt.study.open("out/flank")
    >>> results.df(where="status = 'infeasible'")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cfe_opt.study.results import StudyResults

__all__ = ["load_study", "open", "run"]


def open(path: Any) -> StudyResults:
    """Open a study store: DuckDB views ``variants``/``design``/``outcomes``, DataFrames."""
    from cfe_opt.study.results import open_results

    return open_results(path)


def run(study: Any, out: Any, **options: Any) -> Any:
    """Run (resume, extend) a study into a store; see ``runner.run_study``."""
    from cfe_opt.study.runner import run_study

    return run_study(study, out, **options)


def load_study(path: Any) -> Any:
    """Read and check a study file against its base scenario."""
    from cfe_opt.study.load import load_study as load

    return load(path)
