"""The commands behind the CLI: load, call the API, write outputs, print, return an exit code.

Exit codes: 0 done, 1 no feasible option (or a failed check), 2 bad input, 3 solver failure,
4 internal error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INFEASIBLE, EXIT_BAD_INPUT, EXIT_SOLVER, EXIT_INTERNAL = 0, 1, 2, 3, 4


# ---- inputs and outputs shared by the commands ------------------------------------------------
def _load(args: argparse.Namespace, case: str | None = None) -> Any:
    """The command's scenario, with its models tree (--models-root) if given, and the case of
    the file it names (--case; default: the file as written)."""
    from cfe_opt.scenario import load_scenario

    return load_scenario(args.scenario, models_root=getattr(args, "models_root", None),
                         case=case if case is not None else getattr(args, "case", None))


# options that say where things are or how much to print, not what is computed
_NOT_PARAMETERS = frozenset({"command", "scenario", "out", "quiet", "models_root", "argv",
                             "output_folder", "action", "show_all"})


def command_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The command's own parameters (what it computes), as plain data for run.json."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items())
            if k not in _NOT_PARAMETERS}


def plan_outputs(args: argparse.Namespace, defaults: dict[str, Any]) -> None:
    """For a command that writes files (one with --out): the folder of its output set, checked
    now, before anything is computed (a bad --out costs nothing and touches nothing).

    Default: ``out/<scenario file stem>/<command>``, with ``-<8 hex digits>`` (a digest of the
    parameters) when any parameter differs from its default: a different question gets its own
    folder, the same question replaces its earlier answer."""
    if not (hasattr(args, "out") and hasattr(args, "scenario")):
        return  # writes nothing, or (a study) keeps a store of its own
    from cfe_opt.outputs import output_folder, set_name, sets_folder

    parameters = command_parameters(args)
    name = set_name(args.command, parameters, {k: v for k, v in defaults.items()
                                               if k in parameters})
    stem = Path(args.scenario).stem.strip() or "scenario"
    default = Path("out") / stem / name
    cases = _file_cases(args) if args.command == "solve" and args.case is None else []
    if cases:
        # every case of the file: a folder of sets, one per case and one for cases.csv
        args.case_folders = sets_folder(args.out, default, [*cases, CASES_SET])
        args.output_root = args.case_folders[CASES_SET].parent
        args.output_folder = None
        return
    args.output_folder = output_folder(args.out, default)


CASES_SET = "cases"  # the set beside the cases' own, holding cases.csv (no case takes the name)


def _file_cases(args: argparse.Namespace) -> list[str]:
    """The cases the scenario file lists (read, not yet validated: a bad file is reported when
    it is loaded)."""
    from cfe_opt.errors import CfeOptError
    from cfe_opt.scenario.cases import case_names
    from cfe_opt.scenario.loader import read_raw

    try:
        raw = read_raw(Path(args.scenario), getattr(args, "models_root", None))
    except CfeOptError:
        return []
    return case_names(raw.data)


def _scenario_record(scenario: Any) -> dict[str, Any]:
    import hashlib

    digests = {}
    for name in scenario.files:
        try:
            digests[name] = hashlib.sha256(Path(name).read_bytes()).hexdigest()
        except OSError:
            digests[name] = None
    return {"file": scenario.display, "name": scenario.name, "files": list(scenario.files),
            "sha256": scenario.sha256, "file_sha256": digests}


def _write_set(args: argparse.Namespace, scenario: Any, outputs: dict[str, object],
               resolved: dict[str, Any] | None = None,
               outcome: dict[str, Any] | None = None) -> str:
    """Write the outputs as one set with its run.json (the parameters as given, what the
    command ``resolved`` them to, its ``outcome``); the line saying what was written."""
    import pandas as pd

    from cfe_opt.io import write_csv, write_figure
    from cfe_opt.outputs import new_record, publish

    files: dict[str, Any] = {}
    extra = [f for f in (getattr(args, "figure_format", None) or []) if f != "png"]
    figures = []
    for name, item in outputs.items():
        if isinstance(item, bytes) or callable(item):
            files[name] = item
        elif isinstance(item, pd.DataFrame):
            files[name] = lambda path, frame=item: write_csv(frame, path)
        else:  # a figure: PNG, and each format asked for beside it
            figures.append(item)
            for kind in ("png", *dict.fromkeys(extra)):
                files[str(Path(name).with_suffix(f".{kind}"))] = (
                    lambda path, figure=item: write_figure(figure, path, close=False))
    record = new_record(args.command, getattr(args, "argv", []), command_parameters(args),
                        _scenario_record(scenario))
    record["resolved"] = resolved or {}
    record["outcome"] = outcome or {}
    try:
        published = publish(args.output_folder, files, record)
    finally:
        import matplotlib.pyplot as plt

        for figure in figures:
            plt.close(figure)
    line = f"Wrote {', '.join(published.files)} to {_shown(published.folder)}/"
    if published.replaced is not None:
        old = published.replaced
        line += (f" (replacing the set of '{old.get('command', '?')}' written "
                 f"{old.get('written', '?')})")
    return line


def _shown(folder: Path) -> str:
    try:
        return str(folder.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


# ---- commands ---------------------------------------------------------------------------------
def solve(args: argparse.Namespace) -> int:
    scenario = _load(args)
    if getattr(args, "output_folder", None) is not None or not scenario.spec.cases:
        code, result, text, wrote = _solve_one(args, scenario)
        print(text.status_line if args.quiet else text.full)
        print(f"\n{wrote}")
        _explain(code, args, [result.status.value])
        return code
    from cfe_opt.api import cases_table
    from cfe_opt.io import csv_text
    from cfe_opt.report import cases_text
    from cfe_opt.scenario import scenario_cases

    folders = getattr(args, "case_folders", None) or {}
    results = {}
    codes = []
    for name, case_of in scenario_cases(scenario).items():
        args.output_folder = folders[name]
        code, result, text, _wrote = _solve_one(args, case_of)
        results[name] = result
        codes.append(code)
        description = scenario.spec.cases[name].description
        print(f"Case {name}" + (f": {' '.join(description.split())}" if description else ""))
        print(text.status_line if args.quiet else text.brief)
        print()
    table = cases_table(results, scenario)
    args.output_folder = folders[CASES_SET]
    wrote = _write_set(args, scenario, {"cases.csv": csv_text(table).encode("utf-8")},
                       outcome={"statuses": {n: r.status.value for n, r in results.items()}})
    if not args.quiet:
        print(cases_text(table))
    print(f"\n{wrote}; each case's set in {_shown(args.output_root.resolve())}/<case>/ "
          f"({', '.join(results)})")
    worst = max(codes, key=lambda c: _SEVERITY.get(c, 0))
    _explain(worst, args, [f"{n}: {r.status.value}" for n, r in results.items()
                           if not r.optimal])
    return worst


_SEVERITY = {EXIT_OK: 0, EXIT_INFEASIBLE: 1, EXIT_SOLVER: 2, EXIT_INTERNAL: 3}


def _solve_one(args: argparse.Namespace, scenario: Any) -> tuple[int, Any, Any, str]:
    """Solve one scenario (or case), check it, write its output set; (exit code, result,
    texts, the line saying what was written)."""
    from cfe_opt.api import solve, verify
    from cfe_opt.model.core import HARD_KINDS
    from cfe_opt.report import PRICE_TOL, SolveText, solve_files
    from cfe_opt.solve import CompiledModel

    compiled = CompiledModel(scenario, solver=args.solver, integer=args.integer)
    result = solve(compiled, objective=args.objective, time_limit=args.time_limit,
                   robustness=getattr(args, "robustness", False))
    report = verify(scenario, result) if result.optimal else None
    files: dict[str, Any] = dict(solve_files(result, report, scenario.files,
                                             write_model=args.write_model))
    if result.optimal:
        from cfe_opt.plots.allocation import plot_allocation

        files["allocation.png"] = plot_allocation(result).figure
    slopes = {}
    constraints = result.constraints
    if result.optimal and result.duals_available and constraints is not None and \
            result.objective is not None:
        # what one unit more or less of each priced binding limit does, re-solved (the LP's
        # price may hold on one side only)
        priced = constraints[constraints["kind"].isin(HARD_KINDS) & constraints["binding"]
                             & (constraints["shadow_price"].abs() > PRICE_TOL)]
        if len(priced):
            slopes = compiled.unit_prices(args.objective, result.objective, list(priced.index))
    wrote = _write_set(args, scenario, files, outcome={"status": result.status.value})
    text = SolveText.of(result, report, scenario.files,
                        show_all=getattr(args, "show_all", False), unit_prices=slopes)
    if not result.optimal:
        code = EXIT_INFEASIBLE if result.status.value == "infeasible" else EXIT_SOLVER
    elif report is not None and not report.ok:
        code = EXIT_INTERNAL
    else:
        code = EXIT_OK
    return code, result, text, wrote


def _explain(code: int, args: argparse.Namespace, statuses: list[str]) -> None:
    if code == EXIT_INFEASIBLE:
        print("cfe-opt: no feasible option: the hard limits above cannot all hold "
              f"(see concession.csv; run 'cfe-opt diagnose {args.scenario}' for the "
              "conflicting limits)", file=sys.stderr)
    elif code == EXIT_SOLVER:
        print(f"cfe-opt: error: the solver stopped with status {', '.join(statuses)}",
              file=sys.stderr)
    elif code == EXIT_INTERNAL:
        print("cfe-opt: internal error: the solution fails the independent check "
              "(please report it)", file=sys.stderr)


def validate(args: argparse.Namespace) -> int:
    scenario = _load(args)
    index = scenario.index
    limits = len(scenario.spec.limits) + sum(len(p.red_lines)
                                             for p in scenario.spec.parties.values())
    positions = sum(len(p.positions) for p in scenario.spec.parties.values())
    cases = f", {len(scenario.spec.cases)} cases" if scenario.spec.cases else ""
    print(f"{scenario.display}: valid — {len(index.parties)} parties, "
          f"{len(index.categories)} categories, {len(scenario.spec.groups)} groups, "
          f"{len(scenario.spec.zones)} zones, {limits} hard limits, {positions} positions"
          f"{cases} (sha256 {scenario.sha256[:12]})")
    return EXIT_OK


def history(args: argparse.Namespace) -> int:
    from cfe_opt.analysis_text import text_history
    from cfe_opt.history import history_of
    from cfe_opt.io import csv_text
    from cfe_opt.outputs import output_folder

    result_dir = Path(args.result_dir)
    args.output_folder = output_folder(args.out, result_dir.parent / f"{result_dir.name}-history")
    table, scenario = history_of(result_dir, data_dir=args.data, signed=args.signed)
    wrote = _write_set(args, scenario, {"history.csv": csv_text(table).encode("utf-8")},
                       resolved={"result_dir": str(result_dir), "case": scenario.case},
                       outcome={"figures": len(table)})
    print(text_history(table))
    print(f"\n{wrote}")
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    from cfe_opt.check import check, read_solution, solution_case

    case = args.case if args.case is not None else solution_case(args.solution)
    scenario = _load(args, case=case)
    allocation, equipment = read_solution(args.solution, scenario)
    report = check(scenario, allocation, equipment)
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_INFEASIBLE


def _publish(args: argparse.Namespace, scenario: Any, text: str, outputs: dict[str, object],
             resolved: dict[str, Any] | None = None,
             outcome: dict[str, Any] | None = None) -> None:
    """Write the tables (CSV) and figures (PNG), by file name, as the command's output set with
    its run.json (``resolved``: what the command made of its parameters, e.g. the parties of
    each side; ``outcome``: e.g. feasible or not), then print the text and what was written."""
    wrote = _write_set(args, scenario, outputs, resolved, outcome)
    print(text)
    print(f"\n{wrote}")


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
    from cfe_opt.analysis.conflict import conflict_sets
    from cfe_opt.analysis_text import text_diagnosis
    from cfe_opt.concession import fair_concession, smallest_concession
    from cfe_opt.errors import CfeOptError
    from cfe_opt.solve import CompiledModel

    scenario = _load(args)
    weights = _weights(args.weight)
    unknown = sorted(set(weights) - set(scenario.index.parties))
    if unknown:
        raise CfeOptError(f"--weight: {', '.join(unknown)} is not a party of {scenario.display}")
    if args.method == "highs" and args.solver != "highs":
        raise CfeOptError("--method highs needs --solver highs (CBC computes no IIS; "
                          "use --method filter)")
    compiled = CompiledModel(scenario, solver=args.solver)
    conflicts = conflict_sets(compiled, method=args.method)
    if conflicts.empty:  # the set says so: no conflict table of an earlier run stays behind
        _publish(args, scenario, f"{scenario.display}: feasible — every hard limit can hold "
                 "together (see 'cfe-opt prices' for what each costs)", {},
                 outcome={"feasible": True})
        return EXIT_OK
    cheapest = smallest_concession(compiled, weights=weights)
    fair = fair_concession(compiled, weights=weights)
    sets = len(set(conflicts.index.get_level_values("set")))
    _publish(args, scenario, text_diagnosis(scenario, conflicts, cheapest, fair),
             {"conflict.csv": conflicts, "concession.csv": cheapest,
              "concession_fair.csv": fair},
             outcome={"feasible": False, "conflict_sets": sets,
                      "complete": bool(conflicts.attrs.get("complete", True))})
    return EXIT_INFEASIBLE


def prices(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.sensitivity import limit_costs, shadow_prices
    from cfe_opt.analysis_text import text_prices
    from cfe_opt.plots.sensitivity import plot_tornado

    scenario = _load(args)
    table = shadow_prices(scenario, objective=args.objective, solver=args.solver)
    costs = limit_costs(scenario, table, objective=args.objective, solver=args.solver)
    _publish(args, scenario, text_prices(scenario, table, costs, show_all=args.show_all),
             {"shadow_prices.csv": table, "limit_costs.csv": costs,
              "shadow_prices.png": plot_tornado(table).figure})
    return EXIT_OK


def sweep(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.sweep import parse_vary
    from cfe_opt.analysis.sweep import sweep as run_sweep
    from cfe_opt.analysis_text import text_sweep
    from cfe_opt.plots.sweep import plot_sweep

    scenario = _load(args)
    field, values = parse_vary(args.vary)
    found = run_sweep(scenario, field, values, objective=args.objective, solver=args.solver)
    _publish(args, scenario, text_sweep(found, show_all=args.show_all),
             {"sweep.csv": found.table, "sweep_points.csv": found.points,
              "sweep_breakpoints.csv": found.breakpoints,
              "sweep.png": plot_sweep(found).figure},
             {"field": field, "values": [float(v) for v in values]},
             {"statuses": {s: int((found.points["status"] == s).sum())
                           for s in found.points["status"].unique()}})
    return EXIT_OK


def frontier(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.frontier import mode_packages, solve_frontier
    from cfe_opt.analysis_text import text_frontier
    from cfe_opt.plots.frontier import plot_frontier

    scenario = _load(args)
    parties_a, parties_b = _two_sides(scenario, args.side_a, args.side_b)
    found = solve_frontier(scenario, args.side_a, args.side_b, solver=args.solver)
    modes, mode_positions = mode_packages(scenario, args.side_a, args.side_b,
                                          solver=args.solver)
    _publish(args, scenario, text_frontier(found, modes, mode_positions,
                                           show_all=args.show_all),
             {"frontier.csv": found.points, "frontier_positions.csv": found.positions,
              "frontier_allocation.csv": found.allocation, "frontier_modes.csv": modes,
              "frontier_modes_positions.csv": mode_positions,
              "frontier.png": plot_frontier(found, modes,
                                            mode_positions=mode_positions).figure},
             {"side_a_parties": list(parties_a), "side_b_parties": list(parties_b)})
    return EXIT_OK


def _two_sides(scenario: Any, side_a: str, side_b: str) -> tuple[tuple[str, ...], ...]:
    """The parties of each side; two sides that are the same, or share a party, are refused
    (a party cannot trade against itself)."""
    from cfe_opt.analysis.frontier import side_label, side_parties
    from cfe_opt.errors import CfeOptError

    parties_a = side_parties(scenario, side_a, "side A")
    parties_b = side_parties(scenario, side_b, "side B")
    shown = f"side A ({side_label(side_a)}) and side B ({side_label(side_b)})"
    if set(parties_a) == set(parties_b):
        raise CfeOptError(f"{scenario.display}: {shown} are the same parties "
                          f"({', '.join(parties_a)}); a frontier needs two different sides")
    both = [p for p in parties_a if p in parties_b]
    if both:
        raise CfeOptError(f"{scenario.display}: {shown} overlap: {', '.join(both)} on both "
                          "sides; each party may be on one side only")
    return parties_a, parties_b


def _quantity_arg(text: str, which: str) -> object:
    """PARTY.position stays text; anything else is read as an inline YAML mapping, by the same
    strict reader as scenario files (no tags, no aliases, YAML 1.2 scalars)."""
    import re

    from cfe_opt.errors import CfeOptError, ScenarioError
    from cfe_opt.scenario.yaml_safe import parse_yaml

    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*", text.strip()):
        return text.strip()
    if not text.strip():
        raise CfeOptError(f"{which}: empty; give PARTY.position or a mapping such as "
                          "'{of: holdings, parties: [RUS], categories: [tanks]}'")
    try:
        value = parse_yaml(text, which).data
    except ScenarioError as exc:
        raise CfeOptError(f"{which} {text!r}: not PARTY.position and not a YAML mapping "
                          f"({exc.reason})") from None
    if not isinstance(value, dict):
        raise CfeOptError(f"{which} {text!r}: give PARTY.position or a mapping such as "
                          "'{of: holdings, parties: [RUS], categories: [tanks]}'")
    return value


def _two_quantities(scenario: Any, qx: object, qy: object) -> None:
    """Two axes that are the same quantity (or one a multiple of the other) would make the
    polygon a line: refused, naming both."""
    from cfe_opt.analysis.zopa import resolve_quantity
    from cfe_opt.errors import CfeOptError
    from cfe_opt.scenario.quantities import linear_form

    (quantity_x, label_x), (quantity_y, label_y) = (resolve_quantity(scenario, q)
                                                    for q in (qx, qy))
    fx = {k: c for k, c in linear_form(scenario.index, quantity_x).items() if c != 0}
    fy = {k: c for k, c in linear_form(scenario.index, quantity_y).items() if c != 0}
    if not fx or not fy or set(fx) != set(fy):
        return
    key = next(iter(fx))
    k = fy[key] / fx[key]
    if all(abs(fy[v] - k * c) <= 1e-12 * max(1.0, abs(fy[v])) for v, c in fx.items()):
        what = "the same quantity" if abs(k - 1) <= 1e-12 else f"proportional ({k:g}×)"
        raise CfeOptError(f"{scenario.display}: the two quantities ({label_x}; {label_y}) are "
                          f"{what}: their feasible region is a line, not a polygon; give one "
                          "quantity for its range, or two different ones")


def zopa(args: argparse.Namespace) -> int:
    import pandas as pd

    from cfe_opt.analysis.agreement import agreement_region, agreement_zone
    from cfe_opt.analysis.zopa import feasible_region, preferred_points
    from cfe_opt.analysis_text import text_zopa
    from cfe_opt.plots.zopa import plot_range, plot_region

    qx = _quantity_arg(args.quantity, "quantity")
    qy = _quantity_arg(args.quantity_y, "quantity_y") if args.quantity_y is not None else None
    scenario = _load(args)
    if qy is not None:
        _two_quantities(scenario, qx, qy)
    zones = [agreement_zone(scenario, qx, solver=args.solver)]
    if qy is not None:
        zones.append(agreement_zone(scenario, qy, solver=args.solver))
    table = pd.concat({z.ranges.attrs["quantity"]: z.ranges for z in zones}, names=["quantity"])
    edges = zones[0].edges
    clashes = pd.concat({z.ranges.attrs["quantity"]: z.clashes for z in zones},
                        names=["quantity"])
    preferred = preferred_points(scenario, qx, qy)
    # compute everything before writing anything: an error leaves no half-written set
    region = zone_region = None
    if qy is not None:
        region = feasible_region(scenario, qx, qy, solver=args.solver)
        zone_region = agreement_region(scenario, qx, qy, solver=args.solver)
    figure = (plot_region(region, preferred, zone=zone_region) if region is not None
              else plot_range(zones[0], preferred)).figure
    outputs: dict[str, object] = {"zopa.csv": table, "zopa_ranges.csv": edges,
                                  "zopa_clashes.csv": clashes,
                                  "zopa_preferred.csv": preferred}
    if region is not None:
        outputs["zopa_region.csv"] = region
        if zone_region is not None:
            outputs["zopa_zone_region.csv"] = zone_region
    outputs["zopa.png"] = figure
    _publish(args, scenario, text_zopa(zones, preferred, region, zone_region), outputs,
             {"quantities": [q for q in (qx, qy) if q is not None]},
             {"zone": [str(z.ranges.loc["stated ranges", "status"]) for z in zones]})
    return EXIT_OK


def _parties_arg(text: str | None) -> list[str] | None:
    if text is None:
        return None
    from cfe_opt.errors import CfeOptError

    parties = [p.strip() for p in text.replace(",", "+").split("+") if p.strip()]
    if not parties:
        raise CfeOptError(f"--parties {text!r}: names no party")
    return parties


def _distinct_parties(scenario: Any, refs: list[str] | None) -> None:
    """Each party bargains once: a party named twice, directly or through groups, is refused."""
    from cfe_opt.errors import CfeOptError

    if refs is None:
        return
    index = scenario.index
    named: dict[str, str] = {}
    for ref in refs:
        if ref not in index.parties and ref not in index.group_members:
            continue  # the analysis names unknown references
        for party in index.parties_of([ref]):
            if party in named:
                how = (f"'{named[party]}' and '{ref}'" if named[party] != ref
                       else f"'{ref}' twice")
                raise CfeOptError(f"{scenario.display}: --parties: {party} is named by {how}; "
                                  "each party bargains once")
            named[party] = ref


def bargain(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.bargaining import solve_bargaining
    from cfe_opt.analysis_text import text_bargaining
    from cfe_opt.errors import CfeOptError
    from cfe_opt.plots.bargaining import plot_bargaining

    if not (0 < args.nash_tolerance < float("inf")):
        raise CfeOptError("--nash-tolerance must be a positive number")
    parties = _parties_arg(args.parties)
    scenario = _load(args)
    _distinct_parties(scenario, parties)
    found = solve_bargaining(scenario, parties=parties, nash_tolerance=args.nash_tolerance,
                             solver=args.solver, merge_identical=not args.separate_holders)
    table = found.table
    _publish(args, scenario, text_bargaining(found, show_all=args.show_all),
             {"bargaining.csv": table, "bargaining_positions.csv": found.positions,
              "bargaining_allocation.csv": found.allocation,
              "bargaining.png": plot_bargaining(found).figure},
             {"bargaining_parties": list(table.attrs["parties"]),
              "bargaining_sides": dict(table.attrs["sides"]),
              "separate_holders": bool(args.separate_holders)})
    return EXIT_OK


def alternatives(args: argparse.Namespace) -> int:
    from cfe_opt.analysis.alternatives import near_optimal_alternatives
    from cfe_opt.analysis_text import text_alternatives
    from cfe_opt.errors import CfeOptError
    from cfe_opt.plots.alternatives import plot_alternatives

    if args.k < 1 or not (0 <= args.share < float("inf")):
        raise CfeOptError("-k must be at least 1 and --share a number of at least 0")
    scenario = _load(args)
    found = near_optimal_alternatives(scenario, k=args.k, share=args.share,
                                      objective=args.objective, solver=args.solver)
    _publish(args, scenario, text_alternatives(found, show_all=args.show_all),
             {"alternatives.csv": found.summary, "alternatives_positions.csv": found.positions,
              "alternatives_allocation.csv": found.allocation,
              "alternatives_quantities.csv": found.quantities,
              "alternatives.png": plot_alternatives(found).figure},
             outcome={"returned": len(found.summary), "stopped": found.summary.attrs.get(
                 "stopped")})
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    import math

    from cfe_opt.reports import build_document, render
    from cfe_opt.reports.sources import ReportError
    from cfe_opt.reports.target import report_target

    if not (0 <= args.within < math.inf):
        raise ReportError("--within must be a number of at least 0")
    out, form = report_target(args.source, args.out, args.format)
    options = {"package": args.package, "within": args.within}
    if args.outcome is not None:
        options["outcome"] = args.outcome
    document = build_document(args.source, **options)
    from cfe_opt.io import write_atomic

    write_atomic(out, render(document, form, source=args.source.resolve().name))
    print(f"{args.source}: {document.title} — report written to {out} ({form}, "
          f"{out.stat().st_size:,} bytes)")
    for line in document.narrative:
        print(f"  - {line}")
    return EXIT_OK


def study(args: argparse.Namespace) -> int:
    from cfe_opt.study.commands import run_command

    return run_command(args)


def scenarios(args: argparse.Namespace) -> int:
    from cfe_opt.bundled_scenarios import bundled_files, bundled_root, copy_bundled, list_bundled

    if args.action == "list":
        found = list_bundled()
        root = bundled_root()
        print(f"Bundled scenarios ({len(found)}, in {root}):")
        width = max(len(s.file) for s in found)
        for s in found:
            based = f" (extends {s.extends})" if s.extends else ""
            print(f"  {s.file:<{width}}  {s.name}{based}")
            if s.description:
                print(f"  {'':<{width}}  {s.description}")
        print(f"\nCopy them (with data/, their sources) to a folder of your own: "
              f"cfe-opt scenarios copy DIR ({len(bundled_files(root))} files)")
        return EXIT_OK
    written = copy_bundled(args.directory)
    count = sum(1 for p in written if p.suffix == ".yaml" and p.parent == written[0].parent)
    print(f"Copied {count} scenarios and their data/ folder ({len(written)} files) to "
          f"{args.directory}/; e.g. cfe-opt solve {args.directory / 'talks_1998.yaml'}")
    return EXIT_OK
