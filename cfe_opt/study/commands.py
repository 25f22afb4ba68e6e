"""The ``cfe-opt study`` commands: parse, call the study API, print, return an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cfe_opt.errors import CfeOptError

EXIT_OK, EXIT_INTERRUPTED = 0, 130


def add_parser(commands: argparse._SubParsersAction) -> None:
    study = commands.add_parser(
        "study", help="batch studies: grids and samples of variants into a durable store",
        description="Run a study file (a base scenario, axes, objective modes) into a store "
                    "of Parquet files; resume, extend, query and report it. See "
                    "docs/studies.md.")
    actions = study.add_subparsers(dest="study_command", metavar="ACTION")

    run = actions.add_parser("run", help="evaluate the variants not yet in the store",
                             description="Evaluate every variant of the study not yet in "
                                         "DIR (a new study, a resumed one, or one grown by a "
                                         "larger sample or new axis values).")
    run.add_argument("study", type=Path, help="study file (YAML)")
    run.add_argument("--out", type=Path, required=True, help="the store folder")
    run.add_argument("--workers", type=int, default=None,
                     help="worker processes (default: the cores this process may use)")
    run.add_argument("--dask", default=None, metavar="ADDRESS",
                     help="run on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT uses "
                          "an existing scheduler")
    run.add_argument("--chunk-size", type=int, default=None, metavar="N",
                     help="variants per task (default: sized to about half a second of work)")
    run.add_argument("--evaluator", default=None,
                     help="how variants are solved (default: the fastest available)")
    run.add_argument("--quiet", action="store_true", help="no progress, only the summary")

    validate = actions.add_parser("validate", help="check a study file without running it")
    validate.add_argument("study", type=Path)

    status = actions.add_parser("status", help="done/total by status")
    status.add_argument("dir", type=Path, help="the store folder")

    query = actions.add_parser("query", help="SQL over the store (DuckDB; view 'variants')",
                               description="Run SQL through DuckDB over the store's Parquet "
                                           "files: views 'variants' (design ⋈ outcomes), "
                                           "'design' and 'outcomes'. Quote dotted column "
                                           "names: \"party_deviation.RUS\".")
    query.add_argument("dir", type=Path)
    query.add_argument("sql")
    query.add_argument("--csv", action="store_true", help="print CSV instead of a table")

    export = actions.add_parser("export", help="write the canonical table as one Parquet file")
    export.add_argument("dir", type=Path)
    export.add_argument("file", type=Path)

    report = actions.add_parser(
        "report", help="tables and figures: deviations, status map, robustness, PRIM/CART, "
                       "sensitivity",
        description="Write the study's analyses into a folder (default DIR/report): status "
                    "counts, deviation distributions, a status map, the robustness of a "
                    "package, scenario discovery (PRIM box and CART tree) of an outcome, and "
                    "the sensitivity of each party's deviation to the sampled axes.")
    report.add_argument("dir", type=Path)
    report.add_argument("--out", type=Path, default=None,
                        help="folder for the report (default: DIR/report)")
    report.add_argument("--outcome", default="status = 'infeasible'",
                        help="the outcome of interest, an SQL condition on 'variants' "
                             "(default: status = 'infeasible')")
    report.add_argument("--package", default="base",
                        help="the package whose robustness is measured: base (the base "
                             "scenario's solution) or a variant's key")
    report.add_argument("--within", type=float, default=0.05,
                        help="'within x of the optimum' for robustness (default 0.05: 5%%)")


def run_command(args: argparse.Namespace) -> int:
    action = getattr(args, "study_command", None)
    if action is None:
        raise CfeOptError("give an action: cfe-opt study run|validate|status|query|export|"
                          "report (see cfe-opt study --help)")
    return {"run": _run, "validate": _validate, "status": _status, "query": _query,
            "export": _export, "report": _report}[action](args)


def _run(args: argparse.Namespace) -> int:
    from cfe_opt.study.runner import DEFAULT_EVALUATOR, _Interrupted, run_study

    try:
        summary = run_study(args.study, args.out, workers=args.workers, dask=args.dask,
                            chunk_size=args.chunk_size,
                            evaluator=args.evaluator or DEFAULT_EVALUATOR,
                            stream=_Null() if args.quiet else sys.stderr)
    except _Interrupted as stop:
        print(stop.summary.text(), file=sys.stderr)
        return EXIT_INTERRUPTED
    print(summary.text())
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from cfe_opt.study.design import Design
    from cfe_opt.study.load import load_study

    study = load_study(args.study)
    design = Design.of(study)
    print(f"{study.file.display}: valid — base {study.base.display}, "
          f"{len(study.spec.axes)} grid axes, "
          f"{len(study.spec.sample.axes) if study.spec.sample else 0} sampled axes, "
          f"{len(design):,} design points, {len(study.layout.columns())} columns per row")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from cfe_opt.study.results import open_results

    with open_results(args.dir) as results:
        print(results.status().text())
    return EXIT_OK


def _query(args: argparse.Namespace) -> int:
    import duckdb

    from cfe_opt.study.results import open_results

    with open_results(args.dir) as results:
        try:
            frame = results.sql(args.sql)
        except duckdb.Error as exc:
            raise CfeOptError(f"query: {' '.join(str(exc).split())}") from None
    if args.csv:
        sys.stdout.write(frame.to_csv(index=False, lineterminator="\n"))
    else:
        print(frame.to_string(index=False, max_rows=200) if len(frame) else
              f"(no rows; columns: {', '.join(map(str, frame.columns))})")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from cfe_opt.study.results import open_results

    with open_results(args.dir) as results:
        path = results.write_canonical(args.file)
        rows = results.table().num_rows
    print(f"Wrote {rows:,} rows to {path}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from cfe_opt.study.report import build_report, write_report
    from cfe_opt.study.results import open_results

    with open_results(args.dir) as results:
        report = build_report(results, outcome=args.outcome, package=args.package,
                              within=args.within)
    out = args.out if args.out is not None else args.dir / "report"
    written = write_report(report, out)
    print(report.text())
    print(f"\nWrote {', '.join(written)} to {out}/")
    return EXIT_OK


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
