"""The array cleaning of study rows equals the scalar cleaning of the result tables, bit for
bit (``cfe_opt.rounding`` against ``results.clean`` / ``results.clean_ratio``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cfe_opt.results import clean, clean_ratio
from cfe_opt.rounding import clean_counts, clean_ratios


def _edge_values() -> np.ndarray:
    rng = np.random.default_rng(20261201)
    magnitudes = 10.0 ** rng.uniform(-14, 11, 20_000)
    random = magnitudes * rng.choice([-1.0, 1.0], 20_000)
    # halves at the 6th decimal and at the 9th significant digit, and their neighbours
    halves = []
    for base in (0.0000005, 1.0000005, 12.3456785, 1234.5678905, 0.123456785, 2.5e-7,
                 999999999.5, 9999.99999995, 0.0009999999995, 1e-12, 1e9, 1e-6, 5e-7):
        halves += [base, np.nextafter(base, 0), np.nextafter(base, 1), -base]
    # powers of ten and their neighbours, counts, solver noise on counts
    powers = [10.0 ** k for k in range(-13, 12)]
    powers += [np.nextafter(p, 0) for p in powers] + [np.nextafter(p, 2 * p) for p in powers]
    counts = np.arange(0, 5000, 7, dtype=float)
    noisy = counts + rng.normal(0, 1e-9, len(counts))
    special = [0.0, -0.0, math.inf, -math.inf, math.nan, 2.0 ** 60, -2.0 ** 53, 1e300, 5e-324]
    return np.concatenate([random, halves, powers, counts, noisy, special]).astype(float)


def _same(got: np.ndarray, want: list[float]) -> None:
    want_array = np.array(want)
    both_nan = np.isnan(got) & np.isnan(want_array)
    assert np.array_equal(np.signbit(got[~both_nan]), np.signbit(want_array[~both_nan]))
    bad = ~both_nan & (got != want_array)
    assert not bad.any(), [(v, g, w) for v, g, w in zip(
        _edge_values()[bad][:5], got[bad][:5], want_array[bad][:5], strict=False)]


def test_clean_counts_equals_clean_on_every_value() -> None:
    values = _edge_values()
    _same(clean_counts(values), [clean(float(v)) for v in values])


def test_clean_ratios_equals_clean_ratio_on_every_value() -> None:
    values = _edge_values()
    _same(clean_ratios(values), [clean_ratio(float(v)) for v in values])


@pytest.mark.parametrize("value, counted, ratio", [
    (1290.0000000004, 1290.0, 1290.0),
    (0.12345678949, 0.123457, 0.123456789),
    (-0.0, 0.0, 0.0),
    (3e-13, 0.0, 0.0),
])
def test_hand_cases(value: float, counted: float, ratio: float) -> None:
    assert clean_counts(np.array([value]))[0] == counted
    assert clean_ratios(np.array([value]))[0] == ratio
    assert not np.signbit(clean_counts(np.array([value]))[0])
