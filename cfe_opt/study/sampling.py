"""Prefix-stable draws for sampled axes.

Every sampled axis gets its own unit numbers u ∈ [0, 1), turned into values by the inverse of
its distribution (uniform, log-uniform, normal truncated to [low, high], choice). The unit
numbers are drawn so that

- growing the sample keeps the first draws: draw i never depends on the sample size;
- adding an axis leaves the other axes' draws alone: each axis draws from its own stream,
  seeded from (seed, axis name) — not from a shared stream whose position would shift.

By method:

- ``random``: one ``numpy.random.Generator`` (PCG64) per axis, seeded from (seed, name).
- ``sobol``: scrambled Sobol' points (``scipy.stats.qmc.Sobol``). The sequence is a sequence,
  so the first n points never depend on how many are drawn. Axis j (in the order the study
  file lists them) is dimension j of the sequence, scrambled with a seed from (seed, name), so
  adding an axis at the end changes no other axis; inserting one before others shifts their
  dimensions (the store then refuses the study as changed). Powers of two keep Sobol''s
  balance properties best.
- ``latin_hypercube``: a Latin hypercube is not prefix-stable by nature (its strata depend on
  n). The sample is made of blocks of ``block`` points; each block is a Latin hypercube of its
  own (``scipy.stats.qmc.LatinHypercube``, one dimension per axis, seeded from (seed, name,
  block number)), so growing the sample adds blocks and keeps the earlier ones. A last,
  partial block holds the first points of a full block's hypercube: it is not stratified by
  itself; sizes that are multiples of ``block`` are whole hypercubes.
- ``saltelli`` and ``morris``: the designs of SALib's Sobol' and Morris analyses
  (``SALib.sample.sobol`` with scrambling, ``SALib.sample.morris``), seeded by ``seed``. They
  are joint by construction (each row is built from all axes), so growing the number of base
  points or trajectories keeps the earlier draws, but adding an axis changes every draw.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from typing import Any

import numpy as np

from cfe_opt.study.definition import Choice, LogUniform, Normal, Sample, Uniform


def _seed_words(seed: int, *labels: str | int) -> list[int]:
    """An entropy list for ``numpy.random.SeedSequence`` from the seed and labels."""
    text = "\x1f".join(str(x) for x in (seed, *labels))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4)]


def axis_generator(seed: int, *labels: str | int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(_seed_words(seed,
                                                                                  *labels))))


def unit_draws(sample: Sample, size: int | None = None) -> dict[str, np.ndarray]:
    """Per sampled axis, the unit numbers in [0, 1] of ``size`` draws (default: the sample's;
    for ``saltelli`` and ``morris``, ``size`` counts base points / trajectories)."""
    n = sample.size if size is None else size
    names = list(sample.axes)
    if sample.method in ("saltelli", "morris"):
        return _salib_design(sample, n, names)
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        if sample.method == "random":
            out[name] = axis_generator(sample.seed, "random", name).random(n)
        elif sample.method == "sobol":
            out[name] = _sobol_column(sample.seed, name, j, n)
        else:
            out[name] = _lhs_column(sample.seed, name, n, sample.block)
    return out


def _salib_design(sample: Sample, n: int, names: list[str]) -> dict[str, np.ndarray]:
    """SALib's designs on the unit cube, for its Sobol' and Morris analyses."""
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sample.method == "saltelli":
            from SALib.sample import sobol as salib_sobol

            matrix = salib_sobol.sample(problem, n, calc_second_order=False, scramble=True,
                                        seed=sample.seed)
        else:
            from SALib.sample import morris as salib_morris

            matrix = salib_morris.sample(problem, n, num_levels=sample.levels,
                                         seed=sample.seed)
    return {name: np.clip(matrix[:, j], 0.0, 1.0) for j, name in enumerate(names)}


def _sobol_column(seed: int, name: str, dimension: int, n: int) -> np.ndarray:
    from scipy.stats import qmc

    engine = qmc.Sobol(d=dimension + 1, scramble=True,
                       rng=axis_generator(seed, "sobol", name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "balance properties" for n not 2^m
        points = engine.random(n)
    return np.minimum(points[:, dimension], np.nextafter(1.0, 0.0))


def _lhs_column(seed: int, name: str, n: int, block: int) -> np.ndarray:
    from scipy.stats import qmc

    parts = []
    for b in range(math.ceil(n / block)):
        engine = qmc.LatinHypercube(d=1, rng=axis_generator(seed, "lhs", name, b))
        parts.append(engine.random(block)[:, 0])
    return np.concatenate(parts)[:n] if parts else np.empty(0)


def values_from_units(axis: Any, u: np.ndarray) -> list[Any]:
    """Inverse-transform unit numbers into the axis's values (Python scalars)."""
    if isinstance(axis, Choice):
        weights = np.asarray(axis.weights if axis.weights is not None
                             else [1.0] * len(axis.values), dtype=float)
        edges = np.cumsum(weights) / weights.sum()
        picks = np.minimum(np.searchsorted(edges, u, side="right"), len(axis.values) - 1)
        return [axis.values[i] for i in picks]
    low, high = float(axis.low), float(axis.high)
    if isinstance(axis, Uniform):
        if axis.integer:
            lo, hi = math.ceil(low), math.floor(high)
            return [int(v) for v in np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)]
        x = low + u * (high - low)
    elif isinstance(axis, LogUniform):
        x = np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        x = np.clip(x, low, high)
    elif isinstance(axis, Normal):
        from scipy.stats import truncnorm

        a, b = (low - axis.mean) / axis.sd, (high - axis.mean) / axis.sd
        x = truncnorm.ppf(u, a, b, loc=axis.mean, scale=axis.sd)
        x = np.clip(x, low, high)
    else:  # pragma: no cover - the schema admits no other
        raise TypeError(f"unknown distribution {axis!r}")
    if getattr(axis, "integer", False):
        lo, hi = math.ceil(low), math.floor(high)
        return [int(v) for v in np.clip(np.rint(x), lo, hi)]
    return [float(v) for v in x]


def sample_values(sample: Sample, size: int | None = None) -> dict[str, list[Any]]:
    """Per sampled axis, its values for draws 0..size−1."""
    units = unit_draws(sample, size)
    return {name: values_from_units(axis, units[name]) for name, axis in sample.axes.items()}
