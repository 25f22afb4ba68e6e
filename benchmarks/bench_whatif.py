"""Benchmark: the live what-if panel's work per change on the 1998 scenario.

    python benchmarks/bench_whatif.py [--scenario models/talks_1998.yaml] [--changes 200]

Each change is what the panel does when a slider moves: ``PackageView.change`` — the session's
re-solve through the compiled, warm model (``cfe_opt.api.solve`` on the ``CompiledModel``, the
usual ``Result``, whose tables are built on first read) and the in-place redraw of the package
figure to PNG (which reads the result's ``positions`` table: it is built there). The
changes cycle through the panel's controls: the first position's target over a range, each
party's weight, the objective mode. Reported: median and 95th percentile of the whole change
(wall clock, and the CPU time of this process, which other load on a shared machine does not
inflate), and of its two parts; the first few changes (warm-up) are left out. Changes that need
a compile (a red line switched off the first time, a range edge the model does not track) are
timed apart. No timing is asserted anywhere; this script only measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 3


def _changes(session, count: int) -> list[tuple[dict, str]]:
    """``count`` settings as the panel would make them: targets, weights, objective modes."""
    from cfe_opt.modes import OBJECTIVE_MODES

    (party, name), *_ = session.positions()
    target_path = f"parties.{party}.positions.{name}.target"
    target = float(session.value(target_path))
    parties = list(dict.fromkeys(p for p, _ in session.positions()))
    out = []
    for i in range(count):
        settings = {target_path: round(target * (0.3 + 1.4 * ((i * 37) % 100) / 100))}
        if i % 3 == 1:
            settings[f"parties.{parties[i % len(parties)]}.weight"] = 0.5 + (i % 7) * 0.25
        out.append((settings, OBJECTIVE_MODES[(i // 10) % len(OBJECTIVE_MODES)]))
    return out


def _stats(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {statistics.median(values) * 1000:7.1f} ms   95th percentile "
            f"{p95 * 1000:7.1f} ms   (n={len(values)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "models" / "talks_1998.yaml"))
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)

    from cfe_opt.errors import CfeOptError
    from cfe_opt.scenario import load_scenario
    from cfe_opt.whatif.session import WhatIf
    from cfe_opt.whatif.view import PackageView

    scenario = load_scenario(args.scenario)
    session = WhatIf(scenario)
    view = PackageView(session)
    whole, cpu, solve, draw, compiled = [], [], [], [], []
    refused = 0
    for i, (settings, mode) in enumerate(_changes(session, args.changes)):
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            outcome, _png = view.change(settings, mode)
        except CfeOptError:  # a value the scenario refuses (a target outside its range)
            refused += 1
            continue
        seconds = time.perf_counter() - start
        used = time.process_time() - start_cpu
        if i < WARM_UP:
            continue
        if not outcome.in_place:
            compiled.append(seconds)
            continue
        whole.append(seconds)
        cpu.append(used)
        solve.append(outcome.seconds)
        draw.append(seconds - outcome.seconds)
    for (party, name), _ in zip(session.red_lines(), range(3), strict=False):
        start = time.perf_counter()
        view.change({f"parties.{party}.red_lines.{name}": None}, "weighted")
        compiled.append(time.perf_counter() - start)
    edge = next((f"parties.{p}.positions.{n}.range.min" for p, n in session.positions()
                 if scenario.spec.parties[p].positions[n].range is not None
                 and scenario.spec.parties[p].positions[n].range.min is not None), None)
    if edge is not None:
        low = float(session.value(edge))
        for k in range(5):
            start = time.perf_counter()
            try:
                view.change({edge: low * (0.9 + 0.02 * k)}, "weighted")
            except CfeOptError:
                continue
            compiled.append(time.perf_counter() - start)
    print(f"What-if panel on {scenario.display} ({len(session.positions())} positions, "
          f"{len(session.red_lines())} red lines), {args.changes} changes, "
          f"{WARM_UP} warm-up left out, {refused} refused by the scenario's checks")
    print(f"  change (re-solve + redraw), in place: {_stats(whole)}")
    print(f"  the same, CPU time of this process:  {_stats(cpu)}")
    print(f"    re-solve (apply, solve warm, Result):          {_stats(solve)}")
    print(f"    redraw (positions table, figure in place, PNG): {_stats(draw)}")
    print(f"  change needing a compile (red line off, untracked number): {_stats(compiled)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
