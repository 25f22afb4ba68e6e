"""The command line: parse, call the API, print, exit code. Nothing else lives here.

Exit codes: 0 solved (or valid), 1 no feasible option, 2 bad input, 3 solver failure,
4 internal error. Errors are one line each, never a traceback (set CFE_OPT_DEBUG=1 for one).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from pathlib import Path
from typing import NoReturn

from cfe_opt import commands
from cfe_opt.commands import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_OK
from cfe_opt.errors import CfeOptError, InfeasibleError, ScenarioErrors
from cfe_opt.modes import OBJECTIVE_MODES
from cfe_opt.version import package_version

FIGURE_FORMATS = ("png", "svg", "pdf")  # as cfe_opt.io writes them (not imported: it loads pandas)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``cfe-opt solve: error: … (see …--help)``, exit 2)
    and no abbreviated long options (``--obj`` is not taken for ``--objective``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {_one_line(message)} (see "
                                  f"'{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="cfe-opt",
        description="Search conventional-force reduction options: scenario → LP → packages.")
    parser.add_argument("--version", action="version", version=f"cfe-opt {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    solve = commands.add_parser("solve", help="find the package closest to every position",
                                description="Solve a scenario and write its result tables.")
    _scenario(solve)
    solve.add_argument("--objective", choices=OBJECTIVE_MODES, default="weighted",
                       help="how deviations from positions are traded off (default: weighted)")
    solve.add_argument("--solver", choices=("highs", "cbc"), default="highs",
                       help="LP solver (default: highs, in-process)")
    solve.add_argument("--integer", action="store_true",
                       help="whole-number ceilings and holdings (MILP; no shadow prices)")
    _out(solve)
    solve.add_argument("--write-model", action="store_true",
                       help="also write the last stage's LP as model.mps")
    solve.add_argument("--time-limit", type=_seconds, default=None, metavar="SECONDS",
                       help="stop each solver call after this many seconds")
    solve.add_argument("--quiet", action="store_true", help="print only the status line")
    _show_all(solve)
    _figures(solve)
    solve.add_argument("--case", default=None, metavar="NAME",
                       help="solve one case of the file (default: every case it lists, each "
                            "into OUT/<case>/, with cases.csv side by side)")
    solve.add_argument("--robustness", action="store_true",
                       help="also show how the outcomes move as each party's weight and "
                            "scales vary from ×0.5 to ×2 (robustness_band.csv)")

    validate = commands.add_parser("validate", help="check a scenario file without solving")
    _scenario(validate)

    check = commands.add_parser("check", help="check a written solution against every limit")
    _scenario(check)
    check.add_argument("--solution", type=_path_arg("--solution"), required=True,
                       help="folder holding allocation.csv and equipment.csv")
    check.add_argument("--case", default=None, metavar="NAME",
                       help="the case of the file the solution is for (default: the one its "
                            "summary.json names, if any)")

    history = commands.add_parser(
        "history", help="compare a solved 1998 scenario with the figures signed in 1999",
        description="State by state and category by category: the model's figure, the signed "
                    "one, the gap, and whether the signed figure lies inside the zone of "
                    "possible agreement over the stated ranges (history.csv).")
    history.add_argument("result_dir", type=Path, help="folder written by 'cfe-opt solve'")
    history.add_argument("--data", type=Path, default=None,
                         help="folder of the signed figures (default: models/data next to the "
                              "scenario)")
    history.add_argument("--signed", type=Path, default=None,
                         help="the signed treaty as a scenario, cross-checked with the data "
                              "(default: adapted_1999.yaml next to the scenario)")
    history.add_argument("--out", default=None, metavar="DIR",
                         help="folder for history.csv and run.json, replaced as a set "
                              "(default: RESULT_DIR-history beside RESULT_DIR)")

    diagnose = commands.add_parser(
        "diagnose", help="why no package meets every hard limit, and the smallest concession",
        description="Find a minimal set of conflicting hard limits (an IIS) and the smallest "
                    "concession that restores feasibility. Exit code 1 when infeasible.")
    _common(diagnose, objective=False)
    diagnose.add_argument("--weight", action="append", default=[], metavar="PARTY=W",
                          help="weight of moving PARTY's limits in the concession (default 1; "
                               "repeatable)")
    diagnose.add_argument("--method", choices=("auto", "highs", "filter"), default="auto",
                          help="how to find the conflict set (default: HiGHS's IIS if it gives "
                               "one, else a deletion filter)")

    prices = commands.add_parser(
        "prices", help="what each hard limit costs: shadow prices, ranges, whom it costs",
        description="Shadow prices of every hard limit with the range over which each holds, "
                    "the binding limits sorted by cost, and a tornado figure.")
    _common(prices)
    _show_all(prices)
    _figures(prices)

    sweep = commands.add_parser(
        "sweep", help="how the answer moves as one number moves",
        description="Solve along a sweep of one scenario field: each party's deviation, the "
                    "ceilings that move and the binding limits, with breakpoints.")
    _common(sweep)
    sweep.add_argument("--vary", required=True, metavar="FIELD=FROM:TO:STEP",
                       help="any number field of the scenario by its dotted path, also one "
                            "left at its default, e.g. "
                            "parties.RUS.positions.flank_acv_active.target=580:3000:100 or "
                            "parties.TUR.weight=0.5:4:0.5")
    _show_all(sweep)
    _figures(sweep)

    frontier = commands.add_parser(
        "frontier", help="the exact Pareto frontier between two parties or groups",
        description="Every breakpoint of the trade-off between two sides' deviations, with "
                    "each objective mode's choice marked.")
    _common(frontier, objective=False)
    frontier.add_argument("side_a", help="parties/groups of the first side, e.g. RUS")
    frontier.add_argument("side_b", help="parties/groups of the second side, e.g. TUR+NOR")
    _show_all(frontier)
    _figures(frontier)

    zopa = commands.add_parser(
        "zopa", help="zone of possible agreement for one or two quantities",
        description="The values a quantity can take in a package that meets every hard limit "
                    "(min and max by LP); for two quantities, the feasible polygon with each "
                    "party's preferred point. A quantity is PARTY.position (that position's "
                    "quantity) or an inline mapping such as "
                    "'{of: territorial_ceiling, areas: [RUS.flank], categories: [acv]}'.")
    _common(zopa, objective=False)
    zopa.add_argument("quantity", help="PARTY.position or an inline quantity")
    zopa.add_argument("quantity_y", nargs="?", help="a second quantity: the feasible polygon")
    _figures(zopa)

    bargain = commands.add_parser(
        "bargain", help="bargaining solutions side by side (utilitarian, Kalai–Smorodinsky, Nash)",
        description="Each party's outcome under the utilitarian, Kalai–Smorodinsky and Nash "
                    "bargaining solutions (Nash by a piecewise-linear approximation with a "
                    "stated error bound), as a table and a grouped bar chart.")
    _common(bargain, objective=False)
    bargain.add_argument("--parties", default=None,
                         help="parties/groups to bargain, e.g. RUS+TUR+NOR (default: every "
                              "party with positions)")
    bargain.add_argument("--nash-tolerance", type=float, default=1e-3,
                         help="bound on the Nash approximation's error in Σ log gains")
    bargain.add_argument("--separate-holders", action="store_true",
                         help="bargain every party apart, even parties holding exactly the "
                              "same positions (a joint position's co-holder with none of its "
                              "own); by default such parties are one side, e.g. TUR+NOR")
    _show_all(bargain)
    _figures(bargain)

    alternatives = commands.add_parser(
        "alternatives", help="several workable packages that differ as much as possible",
        description="Near-optimal alternatives (modelling to generate alternatives): up to K "
                    "packages within a share of the optimal total deviation, each as different "
                    "from the others as possible, each with its who-gives-what table.")
    _common(alternatives, objective=False)
    alternatives.add_argument("--objective", choices=("weighted", "minimax"), default="weighted")
    alternatives.add_argument("-k", type=int, default=4, help="packages at most (default 4)")
    alternatives.add_argument("--share", type=float, default=0.1,
                              help="how much worse than the optimum a package may be (0.1: "
                                   "10%%)")
    _show_all(alternatives)
    _figures(alternatives)

    report = commands.add_parser(
        "report", help="a result folder or study store as one HTML, Markdown or Excel file",
        description="Write a report of a result folder (e.g. out/talks_1998/solve) or a study "
                    "store: the findings in sentences, tables, figures, the assumptions and "
                    "the provenance. HTML is one self-contained file; the same input gives "
                    "the same bytes.")
    report.add_argument("source", type=_path_arg("RESULT_OR_STUDY_DIR"),
                        metavar="RESULT_OR_STUDY_DIR",
                        help="a folder a cfe-opt command wrote, or a study store")
    report.add_argument("--format", choices=("html", "md", "xlsx"), default=None,
                        help="html (default), md or xlsx; else from --out's suffix")
    report.add_argument("--out", default=None, metavar="FILE",
                        help="the report file (default: beside the folder, DIR.html)")
    report.add_argument("--outcome", default=None,
                        help="study stores: the outcome of interest, an SQL condition on "
                             "'variants' (default: status = 'infeasible')")
    report.add_argument("--package", default="base",
                        help="study stores: the package whose robustness is measured (base "
                             "or a variant's key)")
    report.add_argument("--within", type=float, default=0.05,
                        help="study stores: 'within x of the optimum' (default 0.05)")

    scenarios = commands.add_parser(
        "scenarios", help="the scenarios that ship with cfe-opt: list them, copy them",
        description="The bundled scenarios (the 1998–99 talks) and their data folder ship with "
                    "the package. 'list' shows them; 'copy DIR' copies them into DIR, to run, "
                    "extend or edit there (nothing is overwritten).")
    actions = scenarios.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list the bundled scenarios")
    copy = actions.add_parser("copy", help="copy the bundled scenarios and data/ into DIR")
    copy.add_argument("directory", type=_path_arg("DIR"), metavar="DIR",
                      help="folder to copy into (created if missing; no file is overwritten)")

    from cfe_opt.study.commands import add_parser as add_study_parser

    add_study_parser(commands)
    return parser


def _scenario(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=_path_arg("scenario"), help="scenario file (YAML)")
    parser.add_argument("--models-root", type=_path_arg("--models-root"), default=None,
                        metavar="DIR",
                        help="the folder tree a scenario may extend files in (default: the "
                             "nearest ancestor folder named models, else the scenario's own "
                             "folder)")


def _show_all(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", dest="show_all",
                        help="print every row, also those where nothing happens (positions "
                             "met, limits binding at no cost)")


def _figures(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--figure-format", action="append", choices=FIGURE_FORMATS,
                        default=None, metavar="FORMAT", dest="figure_format",
                        help="also write each figure as svg or pdf (repeatable; PNG at 200 "
                             "dpi is always written)")


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for this command's outputs, replaced as a set (default: "
                             "out/<scenario>/<command>[-<digest of its parameters>])")


def _path_arg(what: str):  # type: ignore[no-untyped-def]
    """A path given on the command line: not empty (Path('') would be the current folder)."""

    def convert(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError("an empty path")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise argparse.ArgumentTypeError("control characters in a path")
        return Path(text)

    convert.__name__ = what
    return convert


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _common(parser: argparse.ArgumentParser, objective: bool = True) -> None:
    _scenario(parser)
    if objective:
        parser.add_argument("--objective", choices=OBJECTIVE_MODES, default="weighted",
                            help="objective mode (default: weighted)")
    parser.add_argument("--solver", choices=("highs", "cbc"), default="highs",
                        help="LP solver (default: highs)")
    _out(parser)
    parser.add_argument("--case", default=None, metavar="NAME",
                        help="use this case of the scenario file (default: the file as written)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _unknown(parser, args, extra)
    if args.command is None:
        parser.error("give a command: " + ", ".join(_subparsers(parser)))
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        commands.plan_outputs(args, _defaults(parser, args.command))
        return getattr(commands, args.command)(args)
    except InfeasibleError as exc:
        print(f"cfe-opt: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except CfeOptError as exc:
        problems = exc.errors if isinstance(exc, ScenarioErrors) else [exc]
        for problem in problems:  # one line each, whatever the text held
            print(f"cfe-opt: error: {_one_line(str(problem))}", file=sys.stderr)
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


def _unknown(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]
             ) -> NoReturn:
    """Refuse arguments the command does not take, suggesting the option an abbreviation or a
    typo was meant for (options are never abbreviated)."""
    import difflib

    sub = _subparsers(parser).get(args.command) if args.command else None
    target = sub or parser
    options = [o for a in target._actions for o in a.option_strings if o.startswith("--")]
    token = next((t for t in extra if t.startswith("-")), extra[0])
    name = token.split("=", 1)[0]
    if name.startswith("--"):
        starts = [o for o in options if o.startswith(name)]
        close = starts or difflib.get_close_matches(name, options, n=1)
        hint = f"; did you mean {close[0]}? (options are never abbreviated)" if close else ""
        target.error(f"unknown option {name}{hint}")
    target.error(f"unexpected argument{'s' if len(extra) > 1 else ''}: {' '.join(extra)}")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _defaults(parser: argparse.ArgumentParser, command: str) -> dict[str, object]:
    """The default of every option of ``command`` (to name its output set)."""
    sub = _subparsers(parser)[command]
    return {a.dest: a.default for a in sub._actions if a.dest != "help"}


if __name__ == "__main__":
    sys.exit(main())
