"""Sampled axes: prefix-stable draws, independent axes, and the distributions' values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cfe_opt.study.definition import Sample
from cfe_opt.study.sampling import sample_values, unit_draws

AXES = {
    "w": {"field": "parties.TUR.weight", "distribution": "log_uniform", "low": 0.1, "high": 10},
    "t": {"field": "parties.RUS.positions.flank_acv.target", "distribution": "uniform",
          "low": 1380, "high": 2400},
    "n": {"field": "parties.NOR.positions.flank_acv_no_rise.target", "distribution": "normal",
          "mean": 1380, "sd": 100, "low": 1300, "high": 1500},
    "c": {"field": "settings.tie_break", "distribution": "choice",
          "values": ["status_quo", "none"], "weights": [3, 1]},
}


def sample(size: int, method: str = "random", axes: dict | None = None, seed: int = 11,
           block: int = 64) -> Sample:
    return Sample.model_validate({"size": size, "seed": seed, "method": method, "block": block,
                                  "axes": axes or AXES})


@pytest.mark.parametrize("method", ["random", "sobol", "latin_hypercube"])
def test_growing_a_sample_keeps_the_first_draws(method):
    small = sample_values(sample(100, method))
    large = sample_values(sample(1000, method))
    for name in AXES:
        assert large[name][:100] == small[name], name
        assert len(large[name]) == 1000


@pytest.mark.parametrize("method", ["random", "sobol", "latin_hypercube"])
def test_adding_an_axis_leaves_the_others_draws(method):
    before = sample_values(sample(200, method))
    more = dict(AXES, extra={"field": "parties.POL.weight", "distribution": "uniform",
                             "low": 0.5, "high": 2})
    after = sample_values(sample(200, method, more))
    for name in AXES:
        assert after[name] == before[name], name


def test_axes_are_not_the_same_stream():
    axes = {"a": {"field": "x.a", "distribution": "uniform", "low": 0, "high": 1},
            "b": {"field": "x.b", "distribution": "uniform", "low": 0, "high": 1}}
    draws = unit_draws(sample(500, axes=axes))
    assert abs(np.corrcoef(draws["a"], draws["b"])[0, 1]) < 0.15
    assert not np.allclose(draws["a"], draws["b"])


def test_another_seed_gives_other_draws():
    assert sample_values(sample(50, seed=1))["t"] != sample_values(sample(50, seed=2))["t"]


@pytest.mark.parametrize("method", ["random", "sobol", "latin_hypercube"])
def test_values_lie_in_their_ranges(method):
    values = sample_values(sample(512, method))
    assert all(0.1 <= v <= 10 for v in values["w"])
    assert all(1380 <= v <= 2400 for v in values["t"])
    assert all(1300 <= v <= 1500 for v in values["n"])
    assert set(values["c"]) == {"status_quo", "none"}


def test_distributions_have_their_shapes():
    values = sample_values(sample(20_000))
    # log-uniform on [0.1, 10]: log10 is uniform on [-1, 1]
    logs = np.log10(values["w"])
    assert stats.kstest(logs, stats.uniform(loc=-1, scale=2).cdf).pvalue > 0.01
    assert stats.kstest(values["t"], stats.uniform(loc=1380, scale=1020).cdf).pvalue > 0.01
    truncated = stats.truncnorm((1300 - 1380) / 100, (1500 - 1380) / 100, loc=1380, scale=100)
    assert stats.kstest(values["n"], truncated.cdf).pvalue > 0.01
    share = values["c"].count("status_quo") / len(values["c"])
    assert abs(share - 0.75) < 0.02  # weights 3:1


def test_whole_numbers_each_equally_likely():
    axes = {"h": {"field": "parties.USA.holdings.tanks", "distribution": "uniform",
                  "low": 10, "high": 13, "integer": True}}
    values = sample_values(sample(8000, axes=axes))["h"]
    assert all(isinstance(v, int) for v in values)
    counts = {v: values.count(v) for v in (10, 11, 12, 13)}
    assert set(values) == {10, 11, 12, 13}
    assert all(abs(n / 8000 - 0.25) < 0.03 for n in counts.values())


def test_a_latin_hypercube_block_is_stratified():
    units = unit_draws(sample(256, "latin_hypercube", block=64))
    for name, u in units.items():
        for b in range(4):
            block = u[b * 64:(b + 1) * 64]
            strata = np.floor(block * 64).astype(int)
            assert sorted(strata) == list(range(64)), (name, b)


def test_sobol_points_are_balanced_at_powers_of_two():
    units = unit_draws(sample(64, "sobol"))
    for u in units.values():
        assert sorted(np.floor(u * 64).astype(int)) == list(range(64))
    # and the pairs fill the unit square better than chance: every 8×8 cell holds one point
    a, b = units["w"], units["t"]
    cells = {(math.floor(x * 8), math.floor(y * 8)) for x, y in zip(a, b, strict=True)}
    assert len(cells) == 64
