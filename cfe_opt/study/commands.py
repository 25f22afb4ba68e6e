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
    _add_diff(actions)


def _add_diff(actions: argparse._SubParsersAction) -> None:
    diff = actions.add_parser(
        "diff", help="which variants changed status or outcome between two stores",
        description="Compare two stores of one study design (e.g. before and after a model or "
                    "data change): variants matched by sample, axis values and objective "
                    "mode; those that changed status, or whose outcome moved beyond a "
                    "tolerance, as a table (diff.csv), a summary (diff_summary.csv) and a "
                    "figure (diff.png), written as one set with run.json (render it with "
                    "cfe-opt report DIR).")
    diff.add_argument("store_a", type=Path, metavar="STORE_A")
    diff.add_argument("store_b", type=Path, metavar="STORE_B")
    diff.add_argument("--tolerance", type=float, default=1e-6,
                      help="an outcome changed when it moved by more than this × max(1, |A|) "
                           "(default 1e-6)")
    diff.add_argument("--out", default=None, metavar="DIR",
                      help="folder for the comparison (default: out/<A>-vs-<B>/study-diff)")


def run_command(args: argparse.Namespace) -> int:
    action = getattr(args, "study_command", None)
    if action is None:
        raise CfeOptError("give an action: cfe-opt study run|validate|status|query|export|"
                          "report|diff (see cfe-opt study --help)")
    return {"run": _run, "validate": _validate, "status": _status, "query": _query,
            "export": _export, "report": _report, "diff": _diff}[action](args)


def _run(args: argparse.Namespace) -> int:
    from cfe_opt.study.progress import NullStream
    from cfe_opt.study.runner import DEFAULT_EVALUATOR, _Interrupted, run_study

    try:
        summary = run_study(args.study, args.out, workers=args.workers, dask=args.dask,
                            chunk_size=args.chunk_size,
                            evaluator=args.evaluator or DEFAULT_EVALUATOR,
                            stream=NullStream() if args.quiet else sys.stderr)
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
    import pyarrow.parquet as pq

    from cfe_opt.study.results import open_results

    with open_results(args.dir) as results:
        path = results.write_canonical(args.file)
    print(f"Wrote {pq.read_metadata(path).num_rows:,} rows to {path}")
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


def _diff(args: argparse.Namespace) -> int:
    import hashlib

    from cfe_opt.io import csv_text
    from cfe_opt.outputs import new_record, output_folder, publish
    from cfe_opt.plots.study import plot_study_diff
    from cfe_opt.reports.document import figure_png
    from cfe_opt.study.diff import diff_sentences, diff_stores, summary_table
    from cfe_opt.study.results import open_results

    name_a = args.store_a.resolve().name or "A"
    name_b = args.store_b.resolve().name or "B"
    folder = output_folder(args.out, Path("out") / f"{name_a}-vs-{name_b}" / "study-diff")
    stores = {}
    with open_results(args.store_a) as a, open_results(args.store_b) as b:
        found = diff_stores(a, b, tolerance=args.tolerance)
        for label, results in (("A", a), ("B", b)):
            manifest = results.manifest
            copy = results.store.root / "study.yaml"
            stores[label] = {
                "folder": str(results.store.root), "study": manifest.get("study"),
                "fingerprint": manifest.get("fingerprint"),
                "base_sha256": manifest.get("frame", {}).get("base_sha256"),
                "design_sha256": manifest.get("design_sha256"),
                "study_yaml_sha256": hashlib.sha256(copy.read_bytes()).hexdigest()
                if copy.is_file() else None,
                "variants": results.status().done}
    lines = diff_sentences(found)
    figure = plot_study_diff(found.counts, found.pairs, f"A ({name_a})", f"B ({name_b})")
    files = {"diff.csv": csv_text(found.table.set_index(found.keys)).encode("utf-8"),
             "diff_summary.csv": csv_text(summary_table(found)).encode("utf-8"),
             "diff.png": figure_png(figure.figure)}
    record = new_record("study diff", list(getattr(args, "argv", [])),
                        {"tolerance": args.tolerance}, None)
    record["resolved"] = {"stores": stores, "matched_on": found.keys,
                          "compared": found.compared}
    record["outcome"] = {"sentences": lines, "counts": dict(found.counts)}
    published = publish(folder, files, record)
    print("\n".join(lines))
    print(f"\nWrote {', '.join(published.files)} to {published.folder}/ (a report: cfe-opt "
          f"report {published.folder})")
    return EXIT_OK

