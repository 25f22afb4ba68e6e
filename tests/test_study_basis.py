"""Optima of many weightings from one basis equal full re-solves (the robustness shortcut)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make

from cfe_opt import load_scenario, solve
from cfe_opt.errors import CfeOptError
from cfe_opt.scenario import with_changes
from cfe_opt.study.basis import sampled_optima
from cfe_opt.study.robustness import package_of_result, robustness_of_weightings

ROOT = Path(__file__).resolve().parent.parent
# the basis shortcut is checked on the frozen pre-issue-7 talks file (brute force beside it)
TALKS = ROOT / "tests" / "fixtures" / "talks_1998_before_issue_7" / "talks_1998.yaml"


def weightings(scenario, count: int, seed: int, low: float = 0.2, high: float = 5.0):
    rng = np.random.default_rng(seed)
    parties = [p for p, party in scenario.spec.parties.items() if party.positions]
    out = []
    for _ in range(count):
        sample = {f"parties.{p}.weight": float(rng.uniform(low, high)) for p in parties}
        for p in parties:  # and some position weights
            for n in list(scenario.spec.parties[p].positions)[:1]:
                sample[f"parties.{p}.positions.{n}.weight"] = float(rng.uniform(0.5, 2))
        out.append(sample)
    return out


def brute_force(scenario, samples, mode):
    return np.array([solve(with_changes(scenario, s), objective=mode).run.objective
                     for s in samples])


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_talks_optima_from_the_basis_equal_full_solves(mode):
    talks = load_scenario(TALKS)
    samples = weightings(talks, 60, seed=1)
    found = sampled_optima(talks, samples, mode)
    assert found.optima == pytest.approx(brute_force(talks, samples, mode), rel=1e-9, abs=1e-12)
    # the shortcut did its job: most samples from the basis, some re-solved
    assert 0 < found.resolved < len(samples)
    assert found.from_basis.sum() + found.resolved == len(samples)


def test_synthetic_optima_from_the_basis_equal_full_solves():
    import importlib.util

    spec = importlib.util.spec_from_file_location("b", ROOT / "benchmarks" / "bench_solve.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    scenario = make(bench.synthetic(12))
    samples = weightings(scenario, 25, seed=2, low=0.5, high=2.0)
    found = sampled_optima(scenario, samples)
    assert found.optima == pytest.approx(brute_force(scenario, samples, "weighted"), rel=1e-9,
                                         abs=1e-12)


def test_a_target_is_not_a_cost_and_minimax_is_refused():
    talks = load_scenario(TALKS)
    with pytest.raises(CfeOptError, match=r"moves the row position\.under\.RUS\.flank_acv"):
        sampled_optima(talks, [{"parties.RUS.positions.flank_acv.target": 2100}])
    with pytest.raises(CfeOptError, match=r"\(weighted or lexicographic\), not minimax"):
        sampled_optima(talks, [{"parties.TUR.weight": 2}], mode="minimax")


def test_robustness_of_the_base_package_against_brute_force():
    """The base package (Russia at 1,380 flank ACVs) stays optimal while Russia's weight is
    small against Turkey's and Norway's: checked sample by sample against full solves."""
    talks = load_scenario(TALKS)
    package = package_of_result(solve(talks), "base")
    rng = np.random.default_rng(5)
    samples = [{"parties.RUS.weight": float(rng.uniform(0.2, 6)),
                "parties.TUR.weight": float(rng.uniform(0.2, 2))} for _ in range(40)]
    found = robustness_of_weightings(talks, package, samples)
    for k, sample in enumerate(samples):
        result = solve(with_changes(talks, sample))
        staying = package_of_result(result).achieved[("RUS", "flank_acv")] == pytest.approx(
            1380)
        optimum = result.run.objective
        assert found.points.loc[k, "optimum"] == pytest.approx(optimum, rel=1e-9, abs=1e-12)
        assert bool(found.points.loc[k, "optimal"]) == staying, sample
    share = found.summary.loc["optimal", "share"]
    assert 0 < share < 1
    assert found.summary.attrs["from_basis"] + found.summary.attrs["resolved"] == 40
