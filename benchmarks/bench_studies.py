"""Benchmarks of batch studies (issue 6's targets), measured in one run, as ratios.

    python benchmarks/bench_studies.py [--quick] [--only a,c,...] [--json FILE]

Each target is measured against its baseline in the same run, on this machine:

  (a) a 10,000-variant study of talks_1998 (Russia's flank target × Turkey's weight) with
      2 workers: variants per second (target ≥ 3,000/s);
  (b) the 30-party synthetic scenario of bench_solve.py, a hard limit's number varied, with
      2 workers (target ≥ 800/s);
  (c) per-variant time of the compiled evaluator against the floor: bare highspy re-solving
      the same stage LPs in place in a tight loop, the same numbers changed, the package read
      back (target ≤ 2×); (a) and (b) also print the rate two workers would reach at that
      floor, the most any evaluator on these LPs could;
  (d) against the naive loop a user writes: load, change, ``cfe_opt.solve(..., solver="cbc")``
      (target ≥ 100× faster per variant);
  (e) one solve of synthetic scenarios from 30 to 3,000 parties (validate, build, solve):
      fitted growth exponent (target ≤ 1.15), 3,000 parties in < 5 s;
  (f) peak memory: a study of 100,000 variants against one of 1,000 (target ≤ 1.2×), and one
      solve of 3,000 parties (target < 600 MB);
  (g) the same study on a Dask LocalCluster with 2 workers against the local pool (target
      within 1.3× of its rate);
  (h) ``cfe-opt validate models/talks_1998.yaml`` as a whole process against
      ``python -c "import pandas"`` (target ≤ 1.5×).

Timings are medians of repeated runs (process CPU time for in-process loops, wall time for
whole runs); nothing here is asserted by the test suite — it only measures and prints.
``--quick`` runs smaller sizes (a smoke test, not the recorded figures).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TALKS = ROOT / "models" / "talks_1998.yaml"
PYTHON = sys.executable


def _bench_solve() -> Any:
    spec = importlib.util.spec_from_file_location("bench_solve", ROOT / "benchmarks" /
                                                  "bench_solve.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _cfe_opt() -> str:
    return str(Path(PYTHON).with_name("cfe-opt"))


# ---- studies as whole runs (a, b, f, g) ---------------------------------------------------------
def _study_file(folder: Path, name: str, base: Path, axes: dict, sample: dict | None,
                keep: dict | None = None) -> Path:
    import yaml

    study: dict[str, Any] = {"name": name, "base": str(base), "objectives": ["weighted"],
                             "axes": axes, "keep": keep or {"ceilings": "none"}}
    if sample:
        study["sample"] = sample
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path


def talks_study(folder: Path, variants: int) -> Path:
    """Russia's flank target on a grid × Turkey's weight sampled: ``variants`` in all."""
    grid = 100 if variants >= 1000 else 10
    size = max(1, variants // grid)
    return _study_file(folder, f"talks_{variants}", TALKS, {
        "target": {"field": "parties.RUS.positions.flank_acv_active.target",
                   "values": [580 + 10 * i for i in range(grid)]}},
        {"size": size, "seed": 1, "method": "random", "axes": {"w": {
            "field": "parties.TUR.weight", "distribution": "uniform", "low": 0.5,
            "high": 2.0}}})


def synthetic_study(folder: Path, variants: int) -> Path:
    """The 30-party synthetic scenario, the centre zone's tank limit varied."""
    import yaml

    data = _bench_solve().synthetic(30)
    base = folder / "synthetic_30.yaml"
    base.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    value = data["limits"]["centre_zone"]["value"]
    return _study_file(folder, f"synthetic_{variants}", base, {
        "zone": {"field": "limits.centre_zone.value",
                 "values": [value - variants // 2 + i for i in range(variants)]}}, None)


def run_study(study: Path, out: Path, workers: int, dask: str | None = None
              ) -> dict[str, float]:
    """One ``cfe-opt study run`` as a process: its rate and the peak memory of its processes."""
    args = [_cfe_opt(), "study", "run", str(study), "--out", str(out), "--quiet",
            "--workers", str(workers)]
    if dask:
        args += ["--dask", dask]
    runner = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "w = time.perf_counter() - t; "
              "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
              "print(w, r, p.returncode); print(p.stdout[-2000:]); print(p.stderr[-2000:])")
    done = subprocess.run([PYTHON, "-c", runner, *args], capture_output=True, text=True,
                          check=True)
    wall, rss, code = done.stdout.splitlines()[0].split()
    if code != "0":
        raise RuntimeError(f"study run failed: {done.stdout}")
    line = next(x for x in done.stdout.splitlines() if "variants computed in" in x)
    computed = int(line.split("—")[1].split("variants")[0].replace(",", "").strip())
    seconds = float(line.split("computed in")[1].split("s (")[0].replace(",", ""))
    return {"variants": computed, "seconds": seconds, "rate": computed / seconds,
            "wall": float(wall), "peak_rss_mb": int(rss) / 1024}


# ---- per variant, in process (c, d) ---------------------------------------------------------
def changes_for(i: int) -> dict[str, Any]:
    return {"parties.RUS.positions.flank_acv_active.target": 580 + (i % 100) * 10,
            "parties.TUR.weight": 0.5 + (i % 37) / 24}


def compiled_loop(n: int) -> float:
    """CPU seconds per variant: the compiled evaluator's path (apply, solve, read the row)."""
    from cfe_opt.scenario import load_scenario
    from cfe_opt.study.compiled import CompiledEvaluator
    from cfe_opt.study.load import load_study

    with tempfile.TemporaryDirectory() as tmp:
        study = load_study(talks_study(Path(tmp), 1000))
        evaluator = CompiledEvaluator(study, cold_share=0)
    from cfe_opt.study.variant import Variant

    variants = [Variant(key=f"{i:064x}", changes=changes_for(i), mode="weighted")
                for i in range(n)]
    evaluator.evaluate(variants[:50])  # warm up
    start = time.process_time()
    rows = evaluator.evaluate(variants)
    seconds = (time.process_time() - start) / n
    bad = [r for r in rows if r["status"] != "optimal" or r["run.rebuilt"]]
    assert not bad, (bad[0]["status"], bad[0]["reason"])
    del load_scenario
    return seconds


def synthetic_changes(data: dict) -> Any:
    """The changes of study (b): the centre zone's tank limit over a range."""
    value = data["limits"]["centre_zone"]["value"]
    return lambda i: {"limits.centre_zone.value": value - 50 + i % 100}


def floor_loop(n: int, scenario: Any = None, changes: Any = changes_for) -> float:
    """CPU seconds per variant for bare highspy: the same stage LPs (the compiled model's
    arrays, one ``highspy.Highs`` per stage, earlier optima held as row bounds), the same
    numbers changed in place (the variant's, ``changes``), re-solved in a tight loop, and the
    package read back (the last stage's column values and row activities as numpy arrays,
    the least a variant's answer needs). ``scenario``: talks_1998 unless given."""
    import highspy
    import numpy as np

    from cfe_opt.scenario import load_scenario
    from cfe_opt.solve import CompiledModel
    from cfe_opt.solve.highs import new_highs

    cm = CompiledModel(scenario if scenario is not None else load_scenario(TALKS),
                       variants=True)
    cm.solve("weighted")
    m = cm.model
    steps = cm._plans["weighted"]
    # what each variant changes, in arrays, worked out before the clock starts
    per_variant = []
    for i in range(n):
        cm.apply(changes(i))
        rows = sorted(m.changed_rows)
        cm.engine.sync()
        per_variant.append((np.array(rows, dtype=np.int32),
                            np.array([m.row_lower[r] for r in rows]),
                            np.array([m.row_upper[r] for r in rows]),
                            [c.prepared(m)[0].copy() for c in steps.costs]))
    cm.apply({})
    entry_row, entry_col = np.array(m.entry_row), np.array(m.entry_col)
    order = np.argsort(entry_row, kind="stable")
    starts = np.searchsorted(entry_row[order], np.arange(m.num_rows)).astype(np.int32)
    highs = []
    for cost in steps.costs:
        h = new_highs()
        h.addVars(m.num_cols, np.array(m.col_lower), np.array(m.col_upper))
        h.addRows(m.num_rows, np.array(m.row_lower), np.array(m.row_upper), len(order),
                  starts, entry_col[order].astype(np.int32), np.array(m.entry_value)[order])
        h.changeColsCost(m.num_cols, np.arange(m.num_cols, dtype=np.int32),
                         cost.prepared(m)[0])
        h.run()
        highs.append(h)
    every = np.arange(m.num_cols, dtype=np.int32)
    holds = steps.holds

    def variant(k: int) -> None:
        rows, low, up, costs = per_variant[k]
        optima: list[float] = []
        for s, h in enumerate(highs):
            h.changeRowsBounds(len(rows), rows, low, up)
            h.changeColsCost(len(every), every, costs[s])
            for j in range(s):
                h.changeRowBounds(holds[j], -highspy.kHighsInf, optima[j] + 1e-9)
            h.run()
            optima.append(h.getInfo().objective_function_value)
        solution = highs[-1].getSolution()
        np.array(solution.col_value), np.array(solution.row_value)

    for k in range(min(50, n)):
        variant(k)
    start = time.process_time()
    for k in range(n):
        variant(k)
    return (time.process_time() - start) / n


def naive_loop(n: int) -> float:
    """Seconds per variant the way a user would write it without studies: load the file,
    change the numbers, ``cfe_opt.solve(..., solver="cbc")``."""
    from cfe_opt import load_scenario, solve
    from cfe_opt.scenario import with_changes

    start = time.perf_counter()
    for i in range(n):
        scenario = with_changes(load_scenario(TALKS), changes_for(i))
        result = solve(scenario, solver="cbc")
        assert result.optimal
    return (time.perf_counter() - start) / n


# ---- one solve, growing (e, f) --------------------------------------------------------------
def one_solve(parties: int) -> dict[str, float]:
    """Validate, build and solve one synthetic scenario in a fresh process: seconds, peak MB."""
    script = str(ROOT / "benchmarks" / "bench_solve.py")
    code = (
        "import importlib.util, resource, sys, time\n"
        f"spec = importlib.util.spec_from_file_location('b', {script!r})\n"
        "b = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)\n"
        f"data = b.synthetic({parties})\n"
        "from cfe_opt import scenario_from_dict, solve\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        "r = solve(scenario_from_dict(data))\n"
        "w, c = time.perf_counter() - t, time.process_time() - c\n"
        "assert r.optimal, r.status\n"
        "print(w, c, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu, rss = done.stdout.split()
    # the CPU time of the process too: on a shared machine it moves far less than wall time
    return {"seconds": float(wall), "cpu_seconds": float(cpu), "peak_rss_mb": int(rss) / 1024}


def growth_exponent(sizes: list[int], seconds: list[float]) -> float:
    """The slope of log(seconds) against log(parties), least squares."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


# ---- imports (h) --------------------------------------------------------------------------------
def process_seconds(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- the report ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--only", default="a,b,c,d,e,f,g,h", help="targets to run, e.g. a,c")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    quick = args.quick
    figures: dict[str, Any] = {"machine": _machine()}
    rows: list[tuple[str, str, str, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floors: dict[str, float] = {}
        if "a" in only:
            n = 400 if quick else 10_000
            a = run_study(talks_study(folder, n), folder / "a", workers=2)
            floors["a"] = floor_loop(200 if quick else 2000)
            a["floor_ms"] = floors["a"] * 1e3
            figures["a"] = a
            rows.append(("a", f"talks_1998 study, {n:,} variants, 2 workers",
                         f"{a['rate']:,.0f} variants/s (floor ×2 workers: "
                         f"{2 / floors['a']:,.0f}/s)", "≥ 3,000/s"))
        if "b" in only:
            from cfe_opt.scenario import scenario_from_dict

            n = 200 if quick else 5_000
            b = run_study(synthetic_study(folder, n), folder / "b", workers=2)
            data = _bench_solve().synthetic(30)
            floors["b"] = floor_loop(100 if quick else 1000, scenario_from_dict(data),
                                     synthetic_changes(data))
            b["floor_ms"] = floors["b"] * 1e3
            figures["b"] = b
            rows.append(("b", f"30-party synthetic, {n:,} variants, 2 workers",
                         f"{b['rate']:,.0f} variants/s (floor ×2 workers: "
                         f"{2 / floors['b']:,.0f}/s)", "≥ 800/s"))
        if "c" in only or "d" in only:
            n = 200 if quick else 3000
            ours = statistics.median(compiled_loop(n) for _ in range(3))
            figures["c"] = {"compiled_ms": ours * 1e3}
            if "c" in only:
                floor = statistics.median(floor_loop(n) for _ in range(3))
                figures["c"]["floor_ms"] = floor * 1e3
                rows.append(("c", "per variant: compiled evaluator / bare highspy floor",
                             f"{ours * 1e3:.3f} / {floor * 1e3:.3f} ms = "
                             f"{ours / floor:.2f}×", "≤ 2×"))
            if "d" in only:
                naive = naive_loop(5 if quick else 30)
                figures["d"] = {"naive_ms": naive * 1e3, "compiled_ms": ours * 1e3}
                rows.append(("d", "per variant: naive loop (CBC) / compiled evaluator",
                             f"{naive * 1e3:.1f} / {ours * 1e3:.3f} ms = {naive / ours:,.0f}×",
                             "≥ 100×"))
        if "e" in only or "f" in only:
            sizes = [30, 100, 300] if quick else [30, 100, 300, 1000, 3000]
            solves = {s: one_solve(s) for s in sizes}
            figures["e"] = {str(s): v for s, v in solves.items()}
            exponent = growth_exponent(sizes, [solves[s]["seconds"] for s in sizes])
            if "e" in only:
                times = ", ".join(f"{s}: {solves[s]['seconds']:.2f} s "
                                  f"(CPU {solves[s]['cpu_seconds']:.2f} s)" for s in sizes)
                cpu_exponent = growth_exponent(sizes, [solves[s]["cpu_seconds"] for s in sizes])
                rows.append(("e", f"one solve by parties, wall (CPU) ({times})",
                             f"exponent {exponent:.2f} (CPU {cpu_exponent:.2f}); {sizes[-1]}: "
                             f"{solves[sizes[-1]]['seconds']:.2f} s "
                             f"(CPU {solves[sizes[-1]]['cpu_seconds']:.2f} s)",
                             "≤ 1.15; 3,000 < 5 s"))
            if "f" in only:
                small, big = (200, 2000) if quick else (1_000, 100_000)
                f_small = run_study(talks_study(folder, small), folder / "f1", workers=2)
                f_big = run_study(talks_study(folder, big), folder / "f2", workers=2)
                figures["f"] = {"small": f_small, "big": f_big,
                                "solve_peak_mb": solves[sizes[-1]]["peak_rss_mb"]}
                rows.append(("f", f"peak memory: {big:,} vs {small:,} variants; "
                             f"{sizes[-1]} parties",
                             f"{f_big['peak_rss_mb']:.0f} / {f_small['peak_rss_mb']:.0f} MB "
                             f"= {f_big['peak_rss_mb'] / f_small['peak_rss_mb']:.2f}×; "
                             f"{solves[sizes[-1]]['peak_rss_mb']:.0f} MB",
                             "≤ 1.2×; < 600 MB"))
        if "g" in only:
            n = 400 if quick else 10_000
            study = talks_study(folder, n)
            local = run_study(study, folder / "g1", workers=2)
            dask = run_study(study, folder / "g2", workers=2, dask="local")
            figures["g"] = {"local": local, "dask": dask}
            rows.append(("g", f"Dask LocalCluster vs local pool, {n:,} variants, 2 workers",
                         f"{dask['rate']:,.0f} vs {local['rate']:,.0f}/s = "
                         f"{local['rate'] / dask['rate']:.2f}× slower", "≤ 1.3×"))
        if "h" in only:
            repeats = 3 if quick else 9
            ours = process_seconds([_cfe_opt(), "validate", str(TALKS)], repeats)
            pandas = process_seconds([PYTHON, "-c", "import pandas"], repeats)
            figures["h"] = {"validate_s": ours, "import_pandas_s": pandas}
            rows.append(("h", "cfe-opt validate / python -c 'import pandas' (processes)",
                         f"{ours:.3f} / {pandas:.3f} s = {ours / pandas:.2f}×", "≤ 1.5×"))

    width = max(len(r[1]) for r in rows) if rows else 10
    print(f"machine: {figures['machine']}")
    for key, what, got, target in rows:
        print(f"({key}) {what:<{width}}  {got:<40}  target {target}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _machine() -> str:
    import platform

    import highspy
    import pulp

    from cfe_opt.solve.highs import highs_version

    del highspy
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            f", PuLP {pulp.__version__}, {highs_version()}")


if __name__ == "__main__":
    sys.exit(main())
