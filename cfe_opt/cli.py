"""The command line: parse, call the API, print, exit code. Nothing else lives here.

Exit codes: 0 solved (or valid), 1 no feasible option, 2 bad input, 3 solver failure,
4 internal error. Errors are one line each, never a traceback (set CFE_OPT_DEBUG=1 for one).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from cfe_opt.errors import CfeOptError, InfeasibleError
from cfe_opt.objectives import OBJECTIVE_MODES
from cfe_opt.report import package_version

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT, EXIT_SOLVER, EXIT_INTERNAL = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cfe-opt",
        description="Search conventional-force reduction options: scenario → LP → packages.")
    parser.add_argument("--version", action="version", version=f"cfe-opt {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    solve = commands.add_parser("solve", help="find the package closest to every position",
                                description="Solve a scenario and write its result tables.")
    solve.add_argument("scenario", type=Path, help="scenario file (YAML)")
    solve.add_argument("--objective", choices=OBJECTIVE_MODES, default="weighted",
                       help="how deviations from positions are traded off (default: weighted)")
    solve.add_argument("--solver", choices=("highs", "cbc"), default="highs",
                       help="LP solver (default: highs, in-process)")
    solve.add_argument("--integer", action="store_true",
                       help="whole-number ceilings and holdings (MILP; no shadow prices)")
    solve.add_argument("--out", type=Path, default=None,
                       help="folder for the result files (default: out/<scenario name>)")
    solve.add_argument("--write-model", action="store_true",
                       help="also write the last stage's LP as model.mps")
    solve.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                       help="stop each solver call after this many seconds")
    solve.add_argument("--quiet", action="store_true", help="print only the status line")

    validate = commands.add_parser("validate", help="check a scenario file without solving")
    validate.add_argument("scenario", type=Path)

    check = commands.add_parser("check", help="check a written solution against every limit")
    check.add_argument("scenario", type=Path)
    check.add_argument("--solution", type=Path, required=True,
                       help="folder holding allocation.csv and equipment.csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return {"solve": _solve, "validate": _validate, "check": _check}[args.command](args)
    except InfeasibleError as exc:
        print(f"cfe-opt: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except CfeOptError as exc:
        for line in str(exc).splitlines():
            print(f"cfe-opt: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cfe-opt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (| head)
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter exit quiet
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("CFE_OPT_DEBUG"):
            raise
        print(f"cfe-opt: internal error: {type(exc).__name__}: {exc} (set CFE_OPT_DEBUG=1 "
              "for a traceback; please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def _solve(args: argparse.Namespace) -> int:
    from cfe_opt.api import solve, verify
    from cfe_opt.report import text_summary, write_outputs
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    result = solve(scenario, objective=args.objective, solver=args.solver,
                   integer=args.integer, time_limit=args.time_limit)
    report = verify(scenario, result) if result.optimal else None
    out = args.out if args.out is not None else Path("out") / args.scenario.stem
    written = write_outputs(result, report, scenario.files, out, write_model=args.write_model)
    text = text_summary(result, report, scenario.files)
    print(text.splitlines()[1] if args.quiet else text)
    print(f"\nWrote {', '.join(p.name for p in written)} to {out}/")
    if not result.optimal:
        if result.status.value == "infeasible":
            print("cfe-opt: no feasible option: the hard limits above cannot all hold "
                  "(see concession.csv)", file=sys.stderr)
            return EXIT_INFEASIBLE
        print(f"cfe-opt: error: the solver stopped with status {result.status.value}",
              file=sys.stderr)
        return EXIT_SOLVER
    if report is not None and not report.ok:
        print("cfe-opt: internal error: the solution fails the independent check "
              "(please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    index = scenario.index
    limits = len(scenario.spec.limits) + sum(len(p.red_lines)
                                             for p in scenario.spec.parties.values())
    positions = sum(len(p.positions) for p in scenario.spec.parties.values())
    print(f"{scenario.display}: valid — {len(index.parties)} parties, "
          f"{len(index.categories)} categories, {len(scenario.spec.groups)} groups, "
          f"{len(scenario.spec.zones)} zones, {limits} hard limits, {positions} positions "
          f"(sha256 {scenario.sha256[:12]})")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from cfe_opt.check import check, read_solution
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    allocation, equipment = read_solution(args.solution)
    report = check(scenario, allocation, equipment)
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_INFEASIBLE


if __name__ == "__main__":
    sys.exit(main())
