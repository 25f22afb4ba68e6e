"""Solver noise removed from whole arrays at once, exactly as ``results.clean`` and
``results.clean_ratio`` remove it from one number.

A study row holds hundreds of numbers per variant; formatting each through Python's decimal
rounding (``f"{v:.9g}"``) costs microseconds apiece. Here the rounding is done with numpy and is
**equal, bit for bit,** to the scalar functions:

- rounding ``v`` to ``d`` decimal places is ``m / 10^d`` with ``m = rint(v·10^d)``: ``m`` is an
  integer below 2⁵³ and ``10^d`` is exact (d ≤ 22), so the one division is the nearest double
  to the decimal ``m·10^-d`` — what parsing the formatted string gives;
- ``rint`` of the rounded product picks the same ``m`` as exact decimal rounding unless the
  product lies within a few units in the last place of a half; those values (and any whose
  decimal exponent is in doubt, next to a power of ten) are handed to the scalar function.

So the fast path is taken only where it provably agrees, and every other value is computed the
slow, obviously right way. ``tests/test_rounding.py`` checks the two on random and edge values.
"""

from __future__ import annotations

import numpy as np

from cfe_opt.results import DECIMALS, RATIO_ZERO, SIGNIFICANT, clean, clean_ratio

_SLACK = 2.0 ** -46  # products within 64 units in the last place of a half go the slow way
_POW10 = 10.0 ** np.arange(0, 23)  # 10^k, exact for 0 ≤ k ≤ 22
_TOP = 10.0 ** SIGNIFICANT


def _undecided(product: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """Where ``rint`` of the (rounded) product might not be the exact decimal rounding: the
    product lies within 64 units in its last place of a half."""
    return np.abs(np.abs(product - nearest) - 0.5) <= np.abs(product) * _SLACK


def _round_places(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` rounded to ``DECIMALS`` places, and which the fast path could not decide."""
    product = values * _POW10[DECIMALS]
    nearest = np.rint(product)
    unsure = _undecided(product, nearest) | (np.abs(product) >= 2.0 ** 52)
    return nearest / _POW10[DECIMALS], unsure


def _significant(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (finite, non-zero) to ``SIGNIFICANT`` significant digits
    (``float(f"{v:.9g}")``), and which of them the fast path could not decide."""
    with np.errstate(divide="ignore", invalid="ignore"):
        places = (SIGNIFICANT - 1) - np.floor(np.log10(np.abs(values)))
    ok = (places >= 0) & (places <= 22)
    scale = _POW10[np.where(ok, places, 0).astype(np.intp)]
    product = values * scale
    nearest = np.rint(product)
    size = np.abs(nearest)
    # the decimal exponent is certain when the rounded product has exactly 9 digits (a log10
    # one off next to a power of ten would give 8 or 10)
    unsure = ~ok | _undecided(product, nearest) | (size <= _TOP / 10) | (size >= _TOP)
    return nearest / scale, unsure


def clean_counts(values: np.ndarray) -> np.ndarray:
    """``results.clean`` of every element (6 decimals, then 9 significant digits, -0 as 0;
    NaN stays NaN)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    first, unsure = _round_places(np.where(finite, values, 0.0))
    zero = finite & ~unsure & (first == 0)
    second, unsure_2 = _significant(np.where(zero, 1.0, first))
    done = finite & ~unsure & ~zero & ~unsure_2
    out[done] = second[done]
    out[zero] = 0.0
    for k in np.flatnonzero(~np.isnan(values) & ~done & ~zero):
        out.flat[k] = clean(float(values.flat[k]))
    return out


def clean_ratios(values: np.ndarray) -> np.ndarray:
    """``results.clean_ratio`` of every element (9 significant digits, |v| < 10⁻¹² as 0, ±inf
    kept, NaN stays NaN)."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()  # NaN and ±inf stay as they are
    finite = np.isfinite(values)
    tiny = finite & (np.abs(values) < RATIO_ZERO)
    work = finite & ~tiny
    rounded, unsure = _significant(np.where(work, values, 1.0))
    done = work & ~unsure
    out[done] = rounded[done]
    out[tiny] = 0.0
    for k in np.flatnonzero(work & unsure):
        out.flat[k] = clean_ratio(float(values.flat[k]))
    return out
