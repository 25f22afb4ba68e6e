"""Benchmark: cfe-opt's whole solve against HiGHS alone on the same LP, measured in one run.

    python benchmarks/bench_solve.py [--parties 30] [--repeats 5]

A synthetic scenario of the adapted-Treaty's size (30 parties, five categories, areas, groups,
zones, per-party and group limits, three positions per party) is solved by cfe-opt (validate,
build, weighted objective with its tie-break stages). The baseline is HiGHS reading the same LP
(written as MPS) and solving it once. The report gives medians and the ratio cfe-opt / HiGHS:
the overhead the tool adds over the bare solver, which the batch studies must keep small.
No timing is asserted anywhere; this script only measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CATEGORIES = ["tanks", "acv", "artillery", "combat_aircraft", "attack_helicopters"]
GROUND = CATEGORIES[:3]


def synthetic(parties: int = 30) -> dict[str, Any]:
    """A deterministic scenario of the given size (no randomness: arithmetic patterns only)."""
    codes = [f"S{i:02d}" for i in range(parties)]
    spec: dict[str, Any] = {"name": f"synthetic {parties}", "parties": {}, "groups": {},
                            "zones": {}, "limits": {}}
    for i, code in enumerate(codes):
        base = 200 + 37 * (i % 11)
        holdings = {c: base * (k + 1) for k, c in enumerate(CATEGORIES)}
        party: dict[str, Any] = {
            "name": code, "holdings": holdings,
            "national_ceiling": {c: int(v * 1.1) for c, v in holdings.items()},
            "territorial_ceiling": {c: int(holdings[c] * 1.2) for c in GROUND},
            "positions": {
                "keep_tanks": {"quantity": {"of": "holdings", "parties": [code],
                                            "categories": ["tanks"]},
                               "direction": "at_least", "target": holdings["tanks"]},
                "nc_acv": {"quantity": {"of": "national_ceiling", "parties": [code],
                                        "categories": ["acv"]},
                           "direction": "exactly", "target": int(holdings["acv"] * 1.05),
                           "range": {"min": holdings["acv"], "max": int(holdings["acv"] * 1.2)}},
                "others_low": {"quantity": {"of": "territorial_ceiling",
                                            "parties": [codes[(i + 1) % parties]],
                                            "categories": ["tanks"]},
                               "direction": "at_most", "target": holdings["tanks"]},
            },
        }
        if i % 10 == 0:
            party["areas"] = {"flank": {"holdings": {"acv": holdings["acv"] // 3},
                                        "territorial_subceiling": {
                                            "acv": holdings["acv"] // 3}}}
        spec["parties"][code] = party
    spec["groups"] = {"east": {"members": codes[: parties // 2]},
                      "west": {"members": codes[parties // 2:]}}
    spec["zones"] = {"centre": {"members": codes[parties // 3: 2 * parties // 3]}}
    spec["limits"] = {
        "sufficiency": {"quantity": {"of": "holdings"}, "per": ["party", "category"],
                        "sense": "<=", "values": {c: 13300 for c in CATEGORIES}},
        "group_east": {"quantity": {"of": "national_ceiling", "parties": ["east"]},
                       "per": ["category"], "sense": "<=",
                       "values": {c: int(sum(spec["parties"][p]["holdings"][c]
                                             for p in codes[: parties // 2]) * 0.95)
                                  for c in CATEGORIES}},
        "centre_zone": {"quantity": {"of": "equipment", "areas": ["centre"],
                                     "categories": ["tanks"]},
                        "sense": "<=", "value": int(sum(
                            spec["parties"][p]["holdings"]["tanks"]
                            for p in codes[parties // 3: 2 * parties // 3]) * 0.9)},
    }
    return spec


def median_seconds(action, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import highspy

    from cfe_opt import scenario_from_dict, solve
    from cfe_opt.model.build import build_model
    from cfe_opt.objectives import weighted_sum
    from cfe_opt.solve import dense_cost
    from cfe_opt.solve.cbc import mps_text

    data = synthetic(args.parties)

    def cfe_opt_solve() -> None:
        result = solve(scenario_from_dict(data))
        assert result.optimal

    model = build_model(scenario_from_dict(data))
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "model.mps"
        mps.write_text(mps_text(model, dense_cost(model, weighted_sum(model))))

        def highs_alone() -> None:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.readModel(str(mps))
            h.run()
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal

        ours = median_seconds(cfe_opt_solve, args.repeats)
        base = median_seconds(highs_alone, args.repeats)
    rows, cols = model.num_rows, model.num_cols
    print(f"synthetic scenario: {args.parties} parties, {rows} rows, {cols} columns")
    print(f"cfe-opt solve (validate, build, 3 stages): median {ours * 1000:8.1f} ms")
    print(f"HiGHS alone (read MPS, one solve):          median {base * 1000:8.1f} ms")
    print(f"ratio cfe-opt / HiGHS: {ours / base:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
