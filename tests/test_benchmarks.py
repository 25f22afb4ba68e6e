"""The benchmark scripts run (they measure; nothing here is timed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_solve.py"


def test_bench_solve_runs_on_a_small_scenario(capsys):
    spec = importlib.util.spec_from_file_location("bench_solve", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--parties", "4", "--repeats", "1"]) == 0
    assert "ratio cfe-opt / HiGHS" in capsys.readouterr().out


STUDIES = BENCH.parent / "bench_studies.py"


def test_bench_studies_runs_quick(capsys):
    """The study benchmark's in-process targets at smoke-test sizes: it prints its table."""
    spec = importlib.util.spec_from_file_location("bench_studies", STUDIES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--quick", "--only", "c,d"]) == 0
    out = capsys.readouterr().out
    assert "(c) per variant: compiled evaluator / bare highspy floor" in out
    assert "(d) per variant: naive loop (CBC) / compiled evaluator" in out
