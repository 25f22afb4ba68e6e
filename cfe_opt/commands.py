"""The commands behind the CLI: load, call the API, write outputs, print, return an exit code.

Exit codes: 0 done, 1 no feasible option (or a failed check), 2 bad input, 3 solver failure,
4 internal error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT, EXIT_SOLVER, EXIT_INTERNAL = 0, 1, 2, 3, 4


def solve(args: argparse.Namespace) -> int:
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
    status_line = next(line for line in text.splitlines() if line.startswith("Status"))
    print(status_line if args.quiet else text)
    print(f"\nWrote {', '.join(p.name for p in written)} to {out}/")
    if not result.optimal:
        if result.status.value == "infeasible":
            print("cfe-opt: no feasible option: the hard limits above cannot all hold "
                  f"(see concession.csv; run 'cfe-opt diagnose {args.scenario}' for the "
                  "conflicting limits)", file=sys.stderr)
            return EXIT_INFEASIBLE
        print(f"cfe-opt: error: the solver stopped with status {result.status.value}",
              file=sys.stderr)
        return EXIT_SOLVER
    if report is not None and not report.ok:
        print("cfe-opt: internal error: the solution fails the independent check "
              "(please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


def validate(args: argparse.Namespace) -> int:
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


def check(args: argparse.Namespace) -> int:
    from cfe_opt.check import check, read_solution
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    allocation, equipment = read_solution(args.solution)
    report = check(scenario, allocation, equipment)
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_INFEASIBLE




def _out(args: argparse.Namespace) -> Path:
    return args.out if args.out is not None else Path("out") / args.scenario.stem


def _publish(args: argparse.Namespace, text: str, outputs: dict[str, object]) -> None:
    """Write each table (CSV) and figure (PNG) by file name, atomically, then print the text
    and what was written where."""
    import pandas as pd

    from cfe_opt.io import write_csv, write_figure

    out = _out(args)
    for name, item in outputs.items():
        if isinstance(item, pd.DataFrame):
            write_csv(item, out / name)
        else:
            write_figure(item, out / name)
    print(text)
    print(f"\nWrote {', '.join(outputs)} to {out}/")


def _weights(pairs: list[str]) -> dict[str, float]:
    from cfe_opt.errors import CfeOptError

    weights = {}
    for pair in pairs:
        party, _, number = pair.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = -1.0
        if not party or not (value > 0) or value == float("inf"):
            raise CfeOptError(f"--weight {pair!r}: expected PARTY=W with W a positive number")
        weights[party] = value
    return weights


def diagnose(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.conflict import conflict_set
    from cfe_opt.concession import smallest_concession
    from cfe_opt.errors import CfeOptError
    from cfe_opt.report import text_diagnosis
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    weights = _weights(args.weight)
    unknown = sorted(set(weights) - set(scenario.index.parties))
    if unknown:
        raise CfeOptError(f"--weight: {', '.join(unknown)} is not a party of {scenario.display}")
    if args.method == "highs" and args.solver != "highs":
        raise CfeOptError("--method highs needs --solver highs (CBC computes no IIS; "
                          "use --method filter)")
    conflict = conflict_set(scenario, solver=args.solver, method=args.method)
    if conflict.empty:
        print(f"{scenario.display}: feasible — every hard limit can hold together "
              "(see 'cfe-opt prices' for what each costs)")
        return EXIT_OK
    concession = smallest_concession(scenario, weights=weights, solver_name=args.solver)
    _publish(args, text_diagnosis(scenario, conflict, concession),
             {"conflict.csv": conflict, "concession.csv": concession})
    return EXIT_INFEASIBLE


def prices(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.sensitivity import limit_costs, shadow_prices
    from cfe_opt.plots.sensitivity import plot_tornado
    from cfe_opt.report import text_prices
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    table = shadow_prices(scenario, objective=args.objective, solver=args.solver)
    costs = limit_costs(scenario, table, objective=args.objective, solver=args.solver)
    _publish(args, text_prices(scenario, table, costs),
             {"shadow_prices.csv": table, "limit_costs.csv": costs,
              "shadow_prices.png": plot_tornado(table).figure})
    return EXIT_OK


def sweep(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.sweep import parse_vary
    from cfe_opt.analysis.sweep import sweep as run_sweep
    from cfe_opt.plots.sweep import plot_sweep
    from cfe_opt.report import text_sweep
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    field, values = parse_vary(args.vary)
    table = run_sweep(scenario, field, values, objective=args.objective, solver=args.solver)
    _publish(args, text_sweep(table),
             {"sweep.csv": table, "sweep.png": plot_sweep(table).figure})
    return EXIT_OK


def frontier(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.frontier import mode_points, pareto_frontier
    from cfe_opt.plots.frontier import plot_frontier
    from cfe_opt.report import text_frontier
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    table = pareto_frontier(scenario, args.side_a, args.side_b, solver=args.solver)
    modes = mode_points(scenario, args.side_a, args.side_b, solver=args.solver)
    _publish(args, text_frontier(table, modes),
             {"frontier.csv": table, "frontier_modes.csv": modes,
              "frontier.png": plot_frontier(table, modes).figure})
    return EXIT_OK


def _quantity_arg(text: str) -> object:
    """PARTY.position stays text; anything else is read as an inline YAML mapping (safely)."""
    import re

    import yaml

    from cfe_opt.errors import CfeOptError

    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*", text.strip()):
        return text.strip()
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CfeOptError(f"quantity {text!r}: not PARTY.position and not a YAML mapping "
                          f"({' '.join(str(exc).split())})") from None
    if not isinstance(value, dict):
        raise CfeOptError(f"quantity {text!r}: give PARTY.position or a mapping such as "
                          "'{of: holdings, parties: [RUS], categories: [tanks]}'")
    return value


def zopa(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.zopa import feasible_region, preferred_points, quantity_range
    from cfe_opt.plots.zopa import plot_range, plot_region
    from cfe_opt.report import text_zopa
    from cfe_opt.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    qx = _quantity_arg(args.quantity)
    qy = _quantity_arg(args.quantity_y) if args.quantity_y else None
    ranges = [quantity_range(scenario, qx, solver=args.solver)]
    if qy is not None:
        ranges.append(quantity_range(scenario, qy, solver=args.solver))
    import pandas as pd

    table = pd.concat(ranges)
    preferred = preferred_points(scenario, qx, qy)
    # compute everything before writing anything: an error leaves no half-written set
    region = feasible_region(scenario, qx, qy, solver=args.solver) if qy is not None else None
    figure = (plot_region(region, preferred) if region is not None
              else plot_range(ranges[0], preferred)).figure
    outputs: dict[str, object] = {"zopa.csv": table, "zopa_preferred.csv": preferred}
    if region is not None:
        outputs["zopa_region.csv"] = region
    elif (_out(args) / "zopa_region.csv").exists():
        (_out(args) / "zopa_region.csv").unlink()  # an earlier two-quantity run's polygon
    outputs["zopa.png"] = figure
    _publish(args, text_zopa(table, preferred, region), outputs)
    return EXIT_OK


def _parties_arg(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [p for p in text.replace(",", "+").split("+") if p]


def bargain(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.bargaining import bargaining_solutions
    from cfe_opt.errors import CfeOptError
    from cfe_opt.plots.bargaining import plot_bargaining
    from cfe_opt.report import text_bargaining
    from cfe_opt.scenario import load_scenario

    if not args.nash_tolerance > 0:
        raise CfeOptError("--nash-tolerance must be a positive number")
    scenario = load_scenario(args.scenario)
    table = bargaining_solutions(scenario, parties=_parties_arg(args.parties),
                                 nash_tolerance=args.nash_tolerance, solver=args.solver)
    _publish(args, text_bargaining(table),
             {"bargaining.csv": table, "bargaining.png": plot_bargaining(table).figure})
    return EXIT_OK


def alternatives(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.alternatives import near_optimal_alternatives
    from cfe_opt.errors import CfeOptError
    from cfe_opt.plots.alternatives import plot_alternatives
    from cfe_opt.report import text_alternatives
    from cfe_opt.scenario import load_scenario

    if args.k < 1 or not (0 <= args.share < float("inf")):
        raise CfeOptError("-k must be at least 1 and --share a number of at least 0")
    scenario = load_scenario(args.scenario)
    found = near_optimal_alternatives(scenario, k=args.k, share=args.share,
                                      objective=args.objective, solver=args.solver)
    _publish(args, text_alternatives(found),
             {"alternatives.csv": found.summary, "alternatives_positions.csv": found.positions,
              "alternatives_allocation.csv": found.allocation,
              "alternatives.png": plot_alternatives(found).figure})
    return EXIT_OK


def study(args: argparse.Namespace) -> int:
    from cfe_opt.study.commands import run_command

    return run_command(args)
